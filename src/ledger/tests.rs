//! Unit tests of [`super`] (`src/ledger.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::queries::Past;
use super::*;
use crate::money::Cents;
use crate::policy::{History, SentLetter, Stage};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindly-ledger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(crate::practice::LEDGER_FILE)
}

#[test]
fn the_schema_is_made_once_and_a_newer_one_is_refused() {
    let path = scratch("schema");
    let ledger = Ledger::open(&path, "is testing").unwrap();
    assert_eq!(ledger.version().unwrap(), MIGRATIONS.len() as i64);
    let mode: String =
        ledger.sql(|c| c.pragma_query_value(None, "journal_mode", |r| r.get(0))).unwrap();
    assert_eq!(mode, "wal");
    drop(ledger);
    let again = Ledger::open(&path, "is testing").unwrap();
    assert_eq!(
        again.version().unwrap(),
        MIGRATIONS.len() as i64,
        "opening again runs nothing twice"
    );
    again.sql(|c| c.pragma_update(None, "user_version", 99)).unwrap();
    drop(again);
    assert!(matches!(Ledger::open(&path, "is testing"), Err(LedgerError::Newer { found: 99, .. })));
    assert!(matches!(Ledger::open_read_only(&path), Err(LedgerError::Newer { .. })));
}

#[test]
fn no_ledger_means_no_history_and_a_trial_creates_none() {
    let path = scratch("none");
    assert!(Ledger::open_read_only(&path).unwrap().is_none());
    assert!(!path.exists());
    let ledger = Ledger::open(&path, "is testing").unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    assert!(ledger.histories(["A1"], as_of).unwrap().is_empty());
}

#[test]
fn a_ledger_of_an_older_schema_is_brought_up_to_date_keeping_its_rows() {
    let path = scratch("migrate");
    let old = Connection::open(&path).unwrap();
    old.execute_batch(MIGRATIONS[0]).unwrap();
    old.pragma_update(None, "user_version", 1).unwrap();
    old.execute_batch(
            "INSERT INTO runs VALUES (1, '2026-10-31', 't', 'runs/x', 's', '0.1', '0.15', 'e', 'c', NULL, 'l', 1, 1, 0, NULL);
             INSERT INTO pieces (piece_id, run_id, stage, sha256, recipient, address)
             VALUES ('K1', 1, 'reminder', 'p', 'Ann', '1 MAIN ST');",
        )
        .unwrap();
    drop(old);
    let ledger = Ledger::open(&path, "is testing").unwrap();
    assert_eq!(ledger.version().unwrap(), MIGRATIONS.len() as i64);
    let (piece, file): (String, String) = ledger
        .sql(|c| {
            c.query_row("SELECT piece_id, file FROM pieces", [], |r| Ok((r.get(0)?, r.get(1)?)))
        })
        .unwrap();
    assert_eq!((piece.as_str(), file.as_str()), ("K1", ""));
    assert_eq!(ledger.runs().unwrap().len(), 1);
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn letter(date: &str, stage: Stage) -> (SentLetter, Option<String>) {
    (
        SentLetter {
            piece: format!("K{date}"),
            date: day(date),
            stage,
            balance: Some(Cents(5000)),
            to_confidential: false,
        },
        None,
    )
}

#[test]
fn a_sequence_starts_after_the_last_run_the_account_owed_nothing() {
    let letters = vec![
        letter("2026-05-31", Stage::Reminder),
        letter("2026-08-31", Stage::Reminder),
        letter("2026-09-30", Stage::PlanOffer),
    ];
    let past =
        Past { letters: letters.clone(), resets: vec![day("2026-06-30"), day("2026-07-31")] };
    let history = past.history();
    assert_eq!(history.sequence_started, Some(day("2026-08-31")));
    assert!(!history.paid_down_since);
    assert_eq!(history.last_letter.unwrap().stage, Stage::PlanOffer);
    let paid = Past { letters, resets: vec![day("2026-10-31")] }.history();
    assert!(paid.paid_down_since);
    assert_eq!(paid.sequence_started, None);
    assert_eq!(Past::default().history(), History::default());
}

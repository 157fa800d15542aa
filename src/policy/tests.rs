//! Unit tests of [`super`] (`src/policy.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;
use crate::model::{Address, Charge, Flags, Guarantor};

fn account(charges: &[(&str, i64)]) -> Account {
    Account {
        id: "A1".into(),
        patient: String::new(),
        guarantor: Guarantor {
            name: "Ann Lee".into(),
            latin_name: None,
            address: Address {
                street: vec!["1 Main St".into()],
                city: "Eugene".into(),
                state: "OR".into(),
                zip: "97401".into(),
            },
        },
        language: "en".into(),
        flags: Flags::default(),
        charges: charges
            .iter()
            .enumerate()
            .map(|(i, (date, cents))| Charge {
                line: i as u64 + 2,
                service_date: date.parse().unwrap(),
                description: "Visit".into(),
                charge: Cents(*cents),
                credits: Cents::ZERO,
                balance: Cents(*cents),
                balance_blank: false,
                aged: None,
                patient: String::new(),
            })
            .collect(),
        rejected_lines: vec![],
        codes: vec![],
        reversals: vec![],
        good_faith_estimate: None,
        last_payment: None,
        confidential: None,
    }
}

#[test]
fn every_hold_reason_is_in_the_messages_chapter_with_what_to_do() {
    let chapter = std::fs::read_to_string("docs/messages.md").unwrap();
    let source = include_str!("../policy.rs");
    let code = &source[source.find("pub fn code(&self) -> &'static str").unwrap()..];
    let code = &code[..code.find("\n    }\n").unwrap()];
    let mut codes: Vec<String> = code
        .split("=> \"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    assert!(codes.len() > 15, "{codes:?}");
    codes.extend(
        CodeMeaning::ALL.iter().filter(|m| **m != CodeMeaning::None).map(|m| m.code().to_string()),
    );
    // What a letter held once laid out is (pipeline::letters::Unmade).
    codes.extend(["preflight", "render_failed"].map(String::from));
    for code in codes {
        assert!(
            chapter.contains(&format!("| `{code}` |")),
            "docs/messages.md does not explain the hold {code}"
        );
    }
}

#[test]
fn an_account_none_of_whose_rows_could_be_read_is_held_for_that_alone() {
    let mut unread = Account::unread("A9".into());
    unread.rejected_lines = vec![4, 9];
    let assessed = assess(&unread, as_of(), &Policy::default(), &History::default());
    let Decision::Hold { reasons } = &assessed.decision else { panic!("{assessed:?}") };
    assert_eq!(
        reasons.len(),
        1,
        "not held as owing nothing, nor for an address it never gave: {reasons:?}"
    );
    assert_eq!(reasons[0].code(), "rows_rejected");
    assert_eq!(
        reasons[0].to_string(),
        "none of its rows could be read (lines 4, 9), so what it owes is not known; see rejects.csv"
    );
}

fn as_of() -> NaiveDate {
    "2026-11-30".parse().unwrap()
}

/// The stage by age alone (`escalation = "by_age"`).
fn stage_of(days_old: i64) -> Decision {
    let date = (as_of() - chrono::Duration::days(days_old)).to_string();
    let by_age = Policy { escalation: Escalation::ByAge, ..Policy::default() };
    assess(&account(&[(&date, 5000)]), as_of(), &by_age, &History::default()).decision
}

#[test]
fn stages_follow_the_age_of_the_oldest_unpaid_service() {
    assert!(
        matches!(stage_of(29), Decision::Hold { ref reasons } if reasons[0].code() == "not_yet_due")
    );
    assert_eq!(stage_of(30), Decision::Letter { stage: Stage::Reminder });
    assert_eq!(stage_of(59), Decision::Letter { stage: Stage::Reminder });
    assert_eq!(stage_of(60), Decision::Letter { stage: Stage::PlanOffer });
    assert_eq!(stage_of(90), Decision::Letter { stage: Stage::Assistance });
    assert_eq!(stage_of(120), Decision::Letter { stage: Stage::FinalNotice });
    assert_eq!(stage_of(400), Decision::Letter { stage: Stage::FinalNotice });
}

#[test]
fn paid_charges_do_not_age_the_account() {
    let mut a = account(&[("2026-01-01", 5000), ("2026-10-15", 5000)]);
    a.charges[0].balance = Cents::ZERO;
    let assessment = assess(&a, as_of(), &Policy::default(), &History::default());
    assert_eq!(assessment.oldest_unpaid, Some("2026-10-15".parse().unwrap()));
    assert_eq!(assessment.decision, Decision::Letter { stage: Stage::Reminder });
}

#[test]
fn holds_name_every_reason_that_applies() {
    let mut a = account(&[("2026-01-01", 500)]);
    a.flags.dispute = true;
    a.guarantor.address.zip.clear();
    let Decision::Hold { reasons } =
        assess(&a, as_of(), &Policy::default(), &History::default()).decision
    else {
        panic!()
    };
    let codes: Vec<_> = reasons.iter().map(HoldReason::code).collect();
    assert_eq!(codes, ["dispute", "incomplete_address", "under_minimum"]);
    assert_eq!(reasons[2].to_string(), "balance $5.00 is under the minimum of $10.00");
}

#[test]
fn a_hold_by_hand_is_the_reason_that_decided() {
    let mut a = account(&[("2026-01-01", 500)]);
    a.flags.dispute = true;
    let listed = Listed {
        meaning: CodeMeaning::PaymentPosted,
        line: 3,
        until: None,
        note: "Paid 12/01".into(),
    };
    let history = History { listed: Some(listed), ..History::default() };
    let assessment = assess(&a, as_of(), &Policy::default(), &history);
    assert!(assessment.held_by_list());
    let Decision::Hold { reasons } = assessment.decision else { panic!("held by hand") };
    let codes: Vec<_> = reasons.iter().map(HoldReason::code).collect();
    assert_eq!(codes, ["payment_posted", "dispute", "under_minimum"]);
    assert_eq!(
        reasons[0].to_string(),
        "a payment was posted after the export was made: the balance in the export may already be paid \
             (the hold list, line 3: Paid 12/01)"
    );
    let plain =
        assess(&account(&[("2026-01-01", 5000)]), as_of(), &Policy::default(), &History::default());
    assert!(!plain.held_by_list());
}

#[test]
fn credit_and_zero_balances_are_held() {
    let credit = assess(
        &account(&[("2026-01-01", -2500)]),
        as_of(),
        &Policy::default(),
        &History::default(),
    );
    assert_eq!(
        credit.decision,
        Decision::Hold { reasons: vec![HoldReason::CreditBalance { balance: Cents(-2500) }] }
    );
    let zero =
        assess(&account(&[("2026-01-01", 0)]), as_of(), &Policy::default(), &History::default());
    assert_eq!(zero.decision, Decision::Hold { reasons: vec![HoldReason::ZeroBalance] });
}

#[test]
fn a_balance_the_export_left_blank_is_not_held_as_paid() {
    let mut blank = account(&[("2026-01-01", 0), ("2026-02-01", 0)]);
    blank.charges[1].balance_blank = true;
    let held = assess(&blank, as_of(), &Policy::default(), &History::default());
    assert_eq!(
        held.decision,
        Decision::Hold { reasons: vec![HoldReason::BlankBalance { lines: vec![3] }] }
    );
    assert_eq!(
        HoldReason::BlankBalance { lines: vec![3] }.to_string(),
        "the export leaves the balance blank (line 3), so what is owed is not known; check the account in the \
             billing system"
    );
    assert!(
        HoldReason::BlankBalance { lines: vec![3, 7] }
            .to_string()
            .contains("blank (lines 3, 7), so")
    );
    // With a balance the export does state, the letter asks for that.
    let mut owing = account(&[("2026-01-01", 12_000), ("2026-02-01", 0)]);
    owing.charges[1].balance_blank = true;
    let decision = assess(&owing, as_of(), &Policy::default(), &History::default()).decision;
    assert!(matches!(decision, Decision::Letter { .. }), "{decision:?}");
}

#[test]
fn a_bill_400_dollars_over_the_good_faith_estimate_is_held() {
    let mut a = account(&[("2026-01-01", 50_000), ("2026-01-02", 39_999)]);
    a.good_faith_estimate = Some(Cents(50_000));
    let decide = |a: &Account| assess(a, as_of(), &Policy::default(), &History::default()).decision;
    assert_eq!(decide(&a), Decision::Letter { stage: Stage::Reminder }, "$399.99 over");
    a.charges[1].charge = Cents(40_000);
    let Decision::Hold { reasons } = decide(&a) else { panic!("$400.00 over is mailed") };
    assert_eq!(
        reasons,
        [HoldReason::OverEstimate { billed: Cents(90_000), estimate: Cents(50_000) }]
    );
    let text = reasons[0].to_string();
    assert!(
        text.contains(
            "billed $900.00, $400.00 more than the patient's good-faith estimate of $500.00"
        ),
        "{text}"
    );
}

#[test]
fn hold_codes_hold_with_their_meaning_and_unknown_codes_are_never_ignored() {
    let mut a = account(&[("2026-01-01", 50_000)]);
    let code = |code: &str, meaning| crate::model::HoldCode {
        code: code.into(),
        column: "Status".into(),
        line: 7,
        meaning,
    };
    a.codes = vec![code("ACTIVE", Some(CodeMeaning::None))];
    assert_eq!(
        assess(&a, as_of(), &Policy::default(), &History::default()).decision,
        Decision::Letter { stage: Stage::Reminder }
    );
    a.codes = vec![code("BK", Some(CodeMeaning::Bankruptcy)), code("ZZ9", None)];
    let Decision::Hold { reasons } =
        assess(&a, as_of(), &Policy::default(), &History::default()).decision
    else {
        panic!()
    };
    let codes: Vec<_> = reasons.iter().map(HoldReason::code).collect();
    assert_eq!(codes, ["bankruptcy", "unknown_hold_code"]);
    assert!(
        reasons[0].to_string().contains("bankruptcy")
            && reasons[0].to_string().contains("(code \"BK\" in column \"Status\", line 7)"),
        "{}",
        reasons[0]
    );
    assert!(reasons[1].to_string().contains("\"ZZ9\""), "{}", reasons[1]);
}

#[test]
fn an_address_outside_latin_letters_is_held() {
    let mut a = account(&[("2026-01-01", 50_000)]);
    a.guarantor.address.city = "Москва".into();
    let Decision::Hold { reasons } =
        assess(&a, as_of(), &Policy::default(), &History::default()).decision
    else {
        panic!()
    };
    assert_eq!(reasons[0].code(), "address_not_latin");
    a.guarantor.address.city = "San José Ñuñoa Đà".into();
    assert!(matches!(
        assess(&a, as_of(), &Policy::default(), &History::default()).decision,
        Decision::Letter { .. }
    ));
}

fn sent(stage: Stage, days_ago: i64, balance: i64) -> History {
    History {
        last_letter: Some(SentLetter {
            piece: "K1".into(),
            date: as_of() - chrono::Duration::days(days_ago),
            stage,
            balance: Some(Cents(balance)),
            to_confidential: false,
        }),
        ..History::default()
    }
}

fn decide(days_old: i64, balance: i64, history: &History) -> Decision {
    let date = (as_of() - chrono::Duration::days(days_old)).to_string();
    assess(&account(&[(&date, balance)]), as_of(), &Policy::default(), history).decision
}

fn held_for(decision: &Decision) -> Vec<&'static str> {
    match decision {
        Decision::Hold { reasons } => reasons.iter().map(HoldReason::code).collect(),
        Decision::Letter { .. } => vec![],
    }
}

#[test]
fn letters_escalate_one_stage_at_a_time_from_what_was_sent() {
    let letter = |stage| Decision::Letter { stage };
    // First seen at 200 days old: the first letter, not a final notice.
    assert_eq!(decide(200, 5000, &History::default()), letter(Stage::Reminder));
    // A month after a reminder: the plan offer, though the age calls for more.
    assert_eq!(decide(200, 5000, &sent(Stage::Reminder, 30, 5000)), letter(Stage::PlanOffer));
    // Never beyond what the age calls for.
    assert_eq!(decide(45, 5000, &sent(Stage::Reminder, 30, 5000)), letter(Stage::Reminder));
    // A payment since the last letter repeats its stage.
    assert_eq!(decide(200, 4000, &sent(Stage::PlanOffer, 35, 5000)), letter(Stage::PlanOffer));
    // Between the minimum gap and the days between stages: the same stage again.
    assert_eq!(decide(200, 5000, &sent(Stage::Assistance, 29, 5000)), letter(Stage::Assistance));
    let by_age = Policy { escalation: Escalation::ByAge, ..Policy::default() };
    let date = (as_of() - chrono::Duration::days(200)).to_string();
    let decision =
        assess(&account(&[(&date, 5000)]), as_of(), &by_age, &History::default()).decision;
    assert_eq!(decision, letter(Stage::FinalNotice));
}

#[test]
fn too_soon_final_notice_once_and_returned_mail_are_held() {
    assert_eq!(held_for(&decide(200, 5000, &sent(Stage::Reminder, 18, 5000))), ["too_soon"]);
    let Decision::Hold { reasons } = decide(200, 5000, &sent(Stage::Reminder, 18, 5000)) else {
        panic!()
    };
    assert!(
        reasons[0].to_string().contains("(K1) went out on 2026-11-12, 18 days ago"),
        "{}",
        reasons[0]
    );
    assert_eq!(
        held_for(&decide(200, 5000, &sent(Stage::FinalNotice, 40, 5000))),
        ["final_notice_sent"]
    );
    // New charges since the final notice: it may go again.
    assert_eq!(
        decide(200, 9000, &sent(Stage::FinalNotice, 40, 5000)),
        Decision::Letter { stage: Stage::FinalNotice }
    );
    let mut returned = sent(Stage::Reminder, 40, 5000);
    returned.returned = vec![("K0".into(), account(&[]).guarantor.address.key())];
    let Decision::Hold { reasons } = decide(200, 5000, &returned) else { panic!() };
    assert_eq!(
        reasons,
        [HoldReason::ReturnedMail { piece: "K0".into(), side_file_line: None }],
        "an earlier piece came back"
    );
    returned.returned = vec![("K0".into(), "2 OTHER ST, EUGENE, OR 97401".into())];
    assert_eq!(decide(200, 5000, &returned), Decision::Letter { stage: Stage::PlanOffer });
}

#[test]
fn an_account_paid_down_since_its_last_letter_starts_over() {
    let mut paid = sent(Stage::FinalNotice, 90, 5000);
    paid.paid_down_since = true;
    assert_eq!(decide(200, 5000, &paid), Decision::Letter { stage: Stage::Reminder });
}

#[test]
fn under_irs_501r_no_final_notice_comes_sooner_than_90_days_after_the_first_letter() {
    let policy = Policy { irs_501r: true, final_notice_reply_days: 30, ..Policy::default() };
    let date = (as_of() - chrono::Duration::days(200)).to_string();
    let decide = |started_days_ago: i64| {
        let mut history = sent(Stage::Assistance, 30, 5000);
        history.sequence_started = Some(as_of() - chrono::Duration::days(started_days_ago));
        assess(&account(&[(&date, 5000)]), as_of(), &policy, &history)
    };
    let early = decide(60);
    assert_eq!(early.decision, Decision::Letter { stage: Stage::Assistance });
    assert!(early.note.unwrap().contains("60 days ago; no final notice before 90 days"));
    assert_eq!(decide(90).decision, Decision::Letter { stage: Stage::FinalNotice });
    // By age alone, with nothing sent: never a final notice first.
    let by_age = Policy { escalation: Escalation::ByAge, ..policy.clone() };
    let first = assess(&account(&[(&date, 5000)]), as_of(), &by_age, &History::default());
    assert_eq!(first.decision, Decision::Letter { stage: Stage::Assistance });
}

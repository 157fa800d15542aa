//! Deciding, for each account, whether a letter is due and which one.
//!
//! Every account gets a [`Decision`] with the facts behind it (balance, age,
//! the rule that applied), so the audit file can answer "why did this patient
//! get this letter?" months later.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::{CodeMeaning, Escalation, IRS_501R_FINAL_NOTICE_DAYS, Policy};
use crate::hold_list::Listed;
use crate::model::{Account, Line};
use crate::money::Cents;

/// The four letters of the collection cycle, gentlest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Reminder,
    PlanOffer,
    Assistance,
    FinalNotice,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Reminder, Stage::PlanOffer, Stage::Assistance, Stage::FinalNotice];

    /// The name used in file names, manifests and the wording folder.
    pub fn id(self) -> &'static str {
        match self {
            Stage::Reminder => "reminder",
            Stage::PlanOffer => "plan_offer",
            Stage::Assistance => "assistance",
            Stage::FinalNotice => "final_notice",
        }
    }

    /// The stage whose [`Stage::id`] is `id`.
    pub fn from_id(id: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.id() == id)
    }

    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The stage after this one; the final notice is the last.
    pub fn next(self) -> Stage {
        match self {
            Stage::Reminder => Stage::PlanOffer,
            Stage::PlanOffer => Stage::Assistance,
            Stage::Assistance | Stage::FinalNotice => Stage::FinalNotice,
        }
    }

    fn after_days(self, policy: &Policy) -> i64 {
        match self {
            Stage::Reminder => policy.reminder_after_days,
            Stage::PlanOffer => policy.plan_offer_after_days,
            Stage::Assistance => policy.assistance_after_days,
            Stage::FinalNotice => policy.final_notice_after_days,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What was sent to an account before this run, from the ledger; empty
/// when there is no ledger or nothing was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub last_letter: Option<SentLetter>,
    /// The account was paid down to nothing or under the minimum in a run
    /// after its last letter: it starts a new sequence.
    pub paid_down_since: bool,
    /// Letters that came back undeliverable: piece and the address it was
    /// sent to ([`crate::model::Address::key`]). Any of them holds the
    /// account while the export still has that address, also when a later
    /// letter went there before the return was reported.
    pub returned: Vec<(String, String)>,
    /// When the first letter of the account's current sequence went out
    /// (for `irs_501r`); `None` if a new sequence starts with this run.
    pub sequence_started: Option<NaiveDate>,
    /// The account's row of the run's hold list, if it has one in force:
    /// what staff know that neither the export nor the ledger says.
    pub listed: Option<Listed>,
}

/// The last letter an account was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentLetter {
    pub piece: String,
    /// The as-of date of the run that made it (the letter's date).
    pub date: NaiveDate,
    pub stage: Stage,
    /// The balance the letter stated.
    pub balance: Option<Cents>,
}

/// How far over the good-faith estimate a self-pay patient's bill may be
/// disputed (No Surprises Act, 45 CFR 149.620: $400 or more, within 120
/// days of the bill). The window's start is the practice's first bill,
/// which the export does not date, so such an account is held however old.
pub const NO_SURPRISES_DISPUTE: Cents = Cents(40_000);

/// Why policy sends no letter to an account. (A letter policy decided on
/// but that could not be made is the pipeline's `Unmade`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HoldReason {
    /// Held by hand: the account's row of the run's hold list.
    Listed {
        meaning: CodeMeaning,
        line: u64,
        note: String,
    },
    /// The vendor's upload would refuse or cut the recipient (a name or
    /// street line too long, a ZIP it does not take).
    VendorLimit {
        detail: String,
    },
    RowsRejected {
        lines: Vec<Line>,
        /// None of the account's rows could be read: what it owes is not
        /// known at all.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        all: bool,
    },
    /// A payment or adjustment written the other way round from the rest
    /// of the export (see [`crate::model::Reversal`]).
    Reversal {
        line: Line,
        column: String,
        value: String,
    },
    /// Billed at least [`NO_SURPRISES_DISPUTE`] more than the patient's
    /// good-faith estimate.
    OverEstimate {
        billed: Cents,
        estimate: Cents,
    },
    /// A status code the mapping gives a meaning that holds the letter.
    Coded {
        meaning: CodeMeaning,
        code: String,
        column: String,
        line: Line,
    },
    /// A status code the mapping does not name: never guessed at.
    UnknownHoldCode {
        code: String,
        column: String,
        line: Line,
    },
    /// USPS reads domestic addresses in Latin letters.
    AddressNotLatin {
        text: String,
    },
    /// The last letter went out too recently.
    TooSoon {
        piece: String,
        sent: NaiveDate,
        days: i64,
        minimum: i64,
    },
    /// A final notice was sent and the balance has not grown since: the
    /// practice's next step is not another letter.
    FinalNoticeSent {
        piece: String,
        sent: NaiveDate,
    },
    /// A letter came back undeliverable and the export still has the
    /// address it went to.
    ReturnedMail {
        piece: String,
    },
    DoNotMail,
    Dispute,
    InsurancePending,
    IncompleteAddress {
        missing: String,
    },
    CreditBalance {
        balance: Cents,
    },
    ZeroBalance,
    /// Nothing is owed by the export's numbers, but only because it left
    /// the balance blank on these lines: what is owed is not known.
    BlankBalance {
        lines: Vec<Line>,
    },
    UnderMinimum {
        balance: Cents,
        minimum: Cents,
    },
    NotYetDue {
        days: i64,
        first_letter_after: i64,
    },
}

impl HoldReason {
    /// A short, stable name for spreadsheets and counts.
    pub fn code(&self) -> &'static str {
        match self {
            HoldReason::Listed { meaning, .. } => meaning.code(),
            HoldReason::RowsRejected { .. } => "rows_rejected",
            HoldReason::VendorLimit { .. } => "vendor_limit",
            HoldReason::Reversal { .. } => "reversal",
            HoldReason::OverEstimate { .. } => "over_estimate",
            HoldReason::Coded { meaning, .. } => meaning.code(),
            HoldReason::UnknownHoldCode { .. } => "unknown_hold_code",
            HoldReason::AddressNotLatin { .. } => "address_not_latin",
            HoldReason::TooSoon { .. } => "too_soon",
            HoldReason::FinalNoticeSent { .. } => "final_notice_sent",
            HoldReason::ReturnedMail { .. } => "returned_mail",
            HoldReason::DoNotMail => "do_not_mail",
            HoldReason::Dispute => "dispute",
            HoldReason::InsurancePending => "insurance_pending",
            HoldReason::IncompleteAddress { .. } => "incomplete_address",
            HoldReason::CreditBalance { .. } => "credit_balance",
            HoldReason::ZeroBalance => "zero_balance",
            HoldReason::BlankBalance { .. } => "blank_balance",
            HoldReason::UnderMinimum { .. } => "under_minimum",
            HoldReason::NotYetDue { .. } => "not_yet_due",
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldReason::Listed { meaning, line, note } => {
                write!(f, "{} (the hold list, line {line}", meaning.explain())?;
                if !note.is_empty() {
                    write!(f, ": {note}")?;
                }
                f.write_str(")")
            }
            HoldReason::VendorLimit { detail } => write!(
                f,
                "the vendor field limit: {detail}. Shorten it in the billing system (or, if the vendor takes more, \
                 set [vendor.limits] in the config)"
            ),
            HoldReason::RowsRejected { lines, all: false } => {
                write!(f, "some of its rows were rejected ({}); see rejects.csv", line_numbers(lines))
            }
            HoldReason::RowsRejected { lines, all: true } => write!(
                f,
                "none of its rows could be read ({}), so what it owes is not known; see rejects.csv",
                line_numbers(lines)
            ),
            HoldReason::Reversal { line, column, value } => write!(
                f,
                "{column} {value:?} on line {line} is written the other way round from most of the export's \
                 {column}: a reversal or refund, which adds to what is owed; check the account's balance in the \
                 billing system before it is mailed"
            ),
            HoldReason::OverEstimate { billed, estimate } => write!(
                f,
                "billed {billed}, {} more than the patient's good-faith estimate of {estimate}: under the No \
                 Surprises Act a self-pay patient may dispute a bill {NO_SURPRISES_DISPUTE} or more over the \
                 estimate; check the bill before a letter goes",
                *billed - *estimate
            ),
            HoldReason::Coded { meaning, code, column, line } => {
                write!(f, "{} (code {code:?} in column {column:?}, line {line})", meaning.explain())
            }
            HoldReason::UnknownHoldCode { code, column, line } => write!(
                f,
                "code {code:?} in column {column:?} (line {line}) is not in [input.hold_codes]; \
                 say there what it means and run again"
            ),
            HoldReason::AddressNotLatin { text } => write!(
                f,
                "the address {text:?} is not in Latin letters, which USPS needs; correct it in the billing system"
            ),
            HoldReason::TooSoon { piece, sent, days, minimum } => write!(
                f,
                "the last letter ({piece}) went out on {sent}, {days} days ago; letters are at least {minimum} days apart"
            ),
            HoldReason::FinalNoticeSent { piece, sent } => write!(
                f,
                "a final notice ({piece}) went out on {sent} and the balance has not grown since; \
                 the next step is the practice's, not another letter"
            ),
            HoldReason::ReturnedMail { piece } => write!(
                f,
                "a letter ({piece}) sent to this address came back undeliverable and the export still has \
                 the same address; correct the address"
            ),
            HoldReason::DoNotMail => f.write_str("marked do-not-mail"),
            HoldReason::Dispute => f.write_str("the patient disputes the bill"),
            HoldReason::InsurancePending => f.write_str("insurance is still pending"),
            HoldReason::IncompleteAddress { missing } => write!(f, "the mailing address has no {missing}"),
            HoldReason::CreditBalance { balance } => write!(f, "credit balance of {}", -*balance),
            HoldReason::ZeroBalance => f.write_str("nothing is owed"),
            HoldReason::BlankBalance { lines } => write!(
                f,
                "the export leaves the balance blank ({}), so what is owed is not known; check the account in the \
                 billing system",
                line_numbers(lines)
            ),
            HoldReason::UnderMinimum { balance, minimum } => {
                write!(f, "balance {balance} is under the minimum of {minimum}")
            }
            HoldReason::NotYetDue { days, first_letter_after } => write!(
                f,
                "oldest unpaid service is {days} days old; the first letter goes at {first_letter_after} days"
            ),
        }
    }
}

/// `line 4`, or `lines 4, 9` for several.
fn line_numbers(lines: &[Line]) -> String {
    let numbers: Vec<String> = lines.iter().map(u64::to_string).collect();
    match numbers.len() {
        1 => format!("line {}", numbers[0]),
        _ => format!("lines {}", numbers.join(", ")),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Letter {
        stage: Stage,
    },
    /// The first reason is the one that decided; the others also apply.
    Hold {
        reasons: Vec<HoldReason>,
    },
}

/// The decision for one account and the facts it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub balance: Cents,
    /// Service date of the oldest charge with money still owed.
    pub oldest_unpaid: Option<NaiveDate>,
    pub days_past_due: i64,
    pub decision: Decision,
    /// How what was sent before shaped the stage, for the audit file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Assessment {
    /// Whether the run's hold list held it.
    pub fn held_by_list(&self) -> bool {
        matches!(&self.decision, Decision::Hold { reasons } if matches!(reasons.first(), Some(HoldReason::Listed { .. })))
    }

    /// One sentence for the audit file.
    pub fn explain(&self, policy: &Policy) -> String {
        match &self.decision {
            Decision::Letter { stage } => {
                format!(
                    "balance {} (minimum {}); oldest unpaid service {} is {} days old; {} from {} days",
                    self.balance,
                    policy.minimum_balance,
                    self.oldest_unpaid.map_or_else(String::new, |d| d.to_string()),
                    self.days_past_due,
                    stage,
                    stage.after_days(policy),
                ) + &self.note.as_ref().map_or(String::new(), |n| format!("; {n}"))
            }
            Decision::Hold { reasons } => reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        }
    }
}

/// Service date of the oldest charge with money still owed: what an
/// account's age is counted from.
pub fn oldest_unpaid(account: &Account) -> Option<NaiveDate> {
    account.charges.iter().filter(|c| c.balance.is_positive()).map(|c| c.service_date).min()
}

/// Decides one account as of a given date, knowing what was sent before.
pub fn assess(account: &Account, as_of: NaiveDate, policy: &Policy, history: &History) -> Assessment {
    let balance = account.balance();
    let oldest_unpaid = oldest_unpaid(account);
    let days_past_due = oldest_unpaid.map_or(0, |d| (as_of - d).num_days());

    let mut reasons = Vec::new();
    // Staff held it on purpose: their reason is the one that decided.
    if let Some(listed) = &history.listed {
        let (meaning, line, note) = (listed.meaning, listed.line, listed.note.clone());
        reasons.push(HoldReason::Listed { meaning, line, note });
    }
    if !account.rejected_lines.is_empty() {
        let all = account.unread_whole();
        reasons.push(HoldReason::RowsRejected { lines: account.rejected_lines.clone(), all });
        if all {
            // Nothing else is known of it: no balance, address or age.
            return Assessment {
                balance,
                oldest_unpaid,
                days_past_due,
                decision: Decision::Hold { reasons },
                note: None,
            };
        }
    }
    reasons.extend(account.reversals.iter().map(|r| HoldReason::Reversal {
        line: r.line,
        column: r.column.clone(),
        value: r.value.clone(),
    }));
    if let Some(estimate) = account.good_faith_estimate {
        let billed: Cents = account.charges.iter().map(|c| c.charge).sum();
        if billed - estimate >= NO_SURPRISES_DISPUTE {
            reasons.push(HoldReason::OverEstimate { billed, estimate });
        }
    }
    for code in &account.codes {
        let (code_, column, line) = (code.code.clone(), code.column.clone(), code.line);
        match code.meaning {
            Some(CodeMeaning::None) => {}
            Some(meaning) => reasons.push(HoldReason::Coded { meaning, code: code_, column, line }),
            None => reasons.push(HoldReason::UnknownHoldCode { code: code_, column, line }),
        }
    }
    if let Some(text) = account.guarantor.address.not_latin() {
        reasons.push(HoldReason::AddressNotLatin { text: text.to_string() });
    }
    if account.flags.do_not_mail {
        reasons.push(HoldReason::DoNotMail);
    }
    if account.flags.dispute {
        reasons.push(HoldReason::Dispute);
    }
    if account.flags.insurance_pending {
        reasons.push(HoldReason::InsurancePending);
    }
    if let Some(missing) = account.guarantor.address.missing() {
        reasons.push(HoldReason::IncompleteAddress { missing: missing.to_string() });
    }
    if balance.0 < 0 {
        reasons.push(HoldReason::CreditBalance { balance });
    } else if balance.0 == 0 {
        let blank = account.blank_balance_lines();
        reasons.push(match blank.is_empty() {
            true => HoldReason::ZeroBalance,
            false => HoldReason::BlankBalance { lines: blank },
        });
    } else if balance < policy.minimum_balance {
        reasons.push(HoldReason::UnderMinimum { balance, minimum: policy.minimum_balance });
    }
    let by_age = Stage::ALL.into_iter().rev().find(|s| days_past_due >= s.after_days(policy));
    if by_age.is_none() && balance.is_positive() {
        reasons.push(HoldReason::NotYetDue { days: days_past_due, first_letter_after: policy.reminder_after_days });
    }
    let last = history.last_letter.as_ref().filter(|_| !history.paid_down_since);
    let mut notes = Vec::new();
    let mut stage = by_age.map(|age| match (policy.escalation, last) {
        (Escalation::ByAge, _) => age,
        (Escalation::ByLettersSent, None) => {
            if age > Stage::Reminder {
                notes.push(format!("no letter sent before ({age} by age), so the first letter, the reminder"));
            }
            Stage::Reminder
        }
        (Escalation::ByLettersSent, Some(last)) => {
            let days = (as_of - last.date).num_days();
            let paid = last.balance.is_some_and(|b| balance < b) && policy.repeat_stage_after_payment;
            let cap = if days >= policy.days_between_stages && !paid { last.stage.next() } else { last.stage };
            notes.push(format!("last letter {} ({}) on {}", last.stage, last.piece, last.date));
            if paid && age > last.stage {
                notes.push("a payment since then repeats its stage".to_string());
            }
            age.min(cap)
        }
    });
    if policy.irs_501r && stage == Some(Stage::FinalNotice) {
        let started = history.sequence_started.filter(|_| last.is_some());
        let days = started.map(|d| (as_of - d).num_days());
        if days.is_none_or(|d| d < IRS_501R_FINAL_NOTICE_DAYS) {
            stage = Some(Stage::Assistance);
            notes.push(match (started, days) {
                (Some(started), Some(days)) => format!(
                    "irs_501r: the first letter went out on {started}, {days} days ago; \
                     no final notice before {IRS_501R_FINAL_NOTICE_DAYS} days"
                ),
                _ => format!("irs_501r: no final notice before {IRS_501R_FINAL_NOTICE_DAYS} days after a first letter"),
            });
        }
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    if let Some(sent) = &history.last_letter {
        let days = (as_of - sent.date).num_days();
        if days < policy.min_days_between_letters {
            let (piece, date, minimum) = (sent.piece.clone(), sent.date, policy.min_days_between_letters);
            reasons.push(HoldReason::TooSoon { piece, sent: date, days, minimum });
        }
    }
    if let Some(last) = last
        && last.stage == Stage::FinalNotice
        && last.balance.is_none_or(|b| balance <= b)
    {
        reasons.push(HoldReason::FinalNoticeSent { piece: last.piece.clone(), sent: last.date });
    }
    let address = account.guarantor.address.key();
    if let Some((piece, _)) = history.returned.iter().find(|(_, to)| *to == address) {
        reasons.push(HoldReason::ReturnedMail { piece: piece.clone() });
    }

    let decision = match stage {
        Some(stage) if reasons.is_empty() => Decision::Letter { stage },
        _ => Decision::Hold { reasons },
    };
    Assessment { balance, oldest_unpaid, days_past_due, decision, note }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Charge, Flags, Guarantor};

    fn account(charges: &[(&str, i64)]) -> Account {
        Account {
            id: "A1".into(),
            patient: String::new(),
            guarantor: Guarantor {
                name: "Ann Lee".into(),
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
        }
    }

    #[test]
    fn an_account_none_of_whose_rows_could_be_read_is_held_for_that_alone() {
        let mut unread = Account::unread("A9".into());
        unread.rejected_lines = vec![4, 9];
        let assessed = assess(&unread, as_of(), &Policy::default(), &History::default());
        let Decision::Hold { reasons } = &assessed.decision else { panic!("{assessed:?}") };
        assert_eq!(reasons.len(), 1, "not held as owing nothing, nor for an address it never gave: {reasons:?}");
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
        assert!(matches!(stage_of(29), Decision::Hold { ref reasons } if reasons[0].code() == "not_yet_due"));
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
        let Decision::Hold { reasons } = assess(&a, as_of(), &Policy::default(), &History::default()).decision else {
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
        let listed = Listed { meaning: CodeMeaning::PaymentPosted, line: 3, until: None, note: "Paid 12/01".into() };
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
        let plain = assess(&account(&[("2026-01-01", 5000)]), as_of(), &Policy::default(), &History::default());
        assert!(!plain.held_by_list());
    }

    #[test]
    fn credit_and_zero_balances_are_held() {
        let credit = assess(&account(&[("2026-01-01", -2500)]), as_of(), &Policy::default(), &History::default());
        assert_eq!(
            credit.decision,
            Decision::Hold { reasons: vec![HoldReason::CreditBalance { balance: Cents(-2500) }] }
        );
        let zero = assess(&account(&[("2026-01-01", 0)]), as_of(), &Policy::default(), &History::default());
        assert_eq!(zero.decision, Decision::Hold { reasons: vec![HoldReason::ZeroBalance] });
    }

    #[test]
    fn a_balance_the_export_left_blank_is_not_held_as_paid() {
        let mut blank = account(&[("2026-01-01", 0), ("2026-02-01", 0)]);
        blank.charges[1].balance_blank = true;
        let held = assess(&blank, as_of(), &Policy::default(), &History::default());
        assert_eq!(held.decision, Decision::Hold { reasons: vec![HoldReason::BlankBalance { lines: vec![3] }] });
        assert_eq!(
            HoldReason::BlankBalance { lines: vec![3] }.to_string(),
            "the export leaves the balance blank (line 3), so what is owed is not known; check the account in the \
             billing system"
        );
        assert!(HoldReason::BlankBalance { lines: vec![3, 7] }.to_string().contains("blank (lines 3, 7), so"));
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
        assert_eq!(reasons, [HoldReason::OverEstimate { billed: Cents(90_000), estimate: Cents(50_000) }]);
        let text = reasons[0].to_string();
        assert!(
            text.contains("billed $900.00, $400.00 more than the patient's good-faith estimate of $500.00"),
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
        let Decision::Hold { reasons } = assess(&a, as_of(), &Policy::default(), &History::default()).decision else {
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
        let Decision::Hold { reasons } = assess(&a, as_of(), &Policy::default(), &History::default()).decision else {
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
        let decision = assess(&account(&[(&date, 5000)]), as_of(), &by_age, &History::default()).decision;
        assert_eq!(decision, letter(Stage::FinalNotice));
    }

    #[test]
    fn too_soon_final_notice_once_and_returned_mail_are_held() {
        assert_eq!(held_for(&decide(200, 5000, &sent(Stage::Reminder, 18, 5000))), ["too_soon"]);
        let Decision::Hold { reasons } = decide(200, 5000, &sent(Stage::Reminder, 18, 5000)) else { panic!() };
        assert!(reasons[0].to_string().contains("(K1) went out on 2026-11-12, 18 days ago"), "{}", reasons[0]);
        assert_eq!(held_for(&decide(200, 5000, &sent(Stage::FinalNotice, 40, 5000))), ["final_notice_sent"]);
        // New charges since the final notice: it may go again.
        assert_eq!(
            decide(200, 9000, &sent(Stage::FinalNotice, 40, 5000)),
            Decision::Letter { stage: Stage::FinalNotice }
        );
        let mut returned = sent(Stage::Reminder, 40, 5000);
        returned.returned = vec![("K0".into(), account(&[]).guarantor.address.key())];
        let Decision::Hold { reasons } = decide(200, 5000, &returned) else { panic!() };
        assert_eq!(reasons, [HoldReason::ReturnedMail { piece: "K0".into() }], "an earlier piece came back");
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
}

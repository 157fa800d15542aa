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
use crate::model::{Account, Confidential, Line};
use crate::money::Cents;

pub use crate::stage::Stage;

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
    /// It went to a confidential address the patient asked for.
    pub to_confidential: bool,
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
    /// A letter came back undeliverable and the export (or, for a
    /// confidential address, the side file on `side_file_line`) still has
    /// the address it went to.
    ReturnedMail {
        piece: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        side_file_line: Option<Line>,
    },
    /// The account's last letter went to a confidential address the
    /// patient asked for, and this run has none for it (the file was not
    /// given, or its row is gone): the export's address is the one the
    /// patient asked not to be written to.
    ConfidentialAddressMissing {
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
            HoldReason::ConfidentialAddressMissing { .. } => "confidential_address_missing",
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
                write!(
                    f,
                    "some of its rows were rejected ({}); see rejects.csv",
                    line_numbers(lines)
                )
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
            HoldReason::ReturnedMail { piece, side_file_line: None } => write!(
                f,
                "a letter ({piece}) sent to this address came back undeliverable and the export still has \
                 the same address; correct the address"
            ),
            HoldReason::ReturnedMail { piece, side_file_line: Some(line) } => write!(
                f,
                "a letter ({piece}) sent to the confidential address the patient asked for came back \
                 undeliverable, and the confidential-address file still has that address (line {line}); ask \
                 the patient for a new one and change the file"
            ),
            HoldReason::ConfidentialAddressMissing { piece } => write!(
                f,
                "its last letter ({piece}) went to a confidential address the patient asked for, and this run \
                 was given none for it, so it is not mailed at the export's address; run again with \
                 --confidential and the practice's confidential-address file (if the patient withdrew the \
                 request, keep the row with an until date)"
            ),
            HoldReason::DoNotMail => f.write_str("marked do-not-mail"),
            HoldReason::Dispute => f.write_str("the patient disputes the bill"),
            HoldReason::InsurancePending => f.write_str("insurance is still pending"),
            HoldReason::IncompleteAddress { missing } => {
                write!(f, "the mailing address has no {missing}")
            }
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
                    policy.after_days(*stage),
                ) + &self.note.as_ref().map_or(String::new(), |n| format!("; {n}"))
            }
            Decision::Hold { reasons } => {
                reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            }
        }
    }
}

/// Service date of the oldest charge with money still owed: what an
/// account's age is counted from.
pub fn oldest_unpaid(account: &Account) -> Option<NaiveDate> {
    account.charges.iter().filter(|c| c.balance.is_positive()).map(|c| c.service_date).min()
}

/// Decides one account as of a given date, knowing what was sent before:
/// what the export says against a letter, the stage due by age and letters
/// sent, then what the history says against one. Any hold reason holds it.
pub fn assess(
    account: &Account,
    as_of: NaiveDate,
    policy: &Policy,
    history: &History,
) -> Assessment {
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
            let decision = Decision::Hold { reasons };
            return Assessment { balance, oldest_unpaid, days_past_due, decision, note: None };
        }
    }
    reasons.extend(export_holds(account, balance, policy));
    let by_age = Stage::ALL.into_iter().rev().find(|s| days_past_due >= policy.after_days(*s));
    if by_age.is_none() && balance.is_positive() {
        reasons.push(HoldReason::NotYetDue {
            days: days_past_due,
            first_letter_after: policy.reminder_after_days,
        });
    }
    // The last letter counts for escalation unless the balance was paid
    // down since (a new debt starts a new sequence).
    let last = history.last_letter.as_ref().filter(|_| !history.paid_down_since);
    let (stage, notes) =
        by_age.map(|age| stage_due(age, last, (as_of, balance), policy, history)).unzip();
    reasons.extend(history_holds(account, (as_of, balance), last, policy, history));

    let decision = match stage {
        Some(stage) if reasons.is_empty() => Decision::Letter { stage },
        _ => Decision::Hold { reasons },
    };
    let note = notes.filter(|n| !n.is_empty()).map(|n| n.join("; "));
    Assessment { balance, oldest_unpaid, days_past_due, decision, note }
}

/// What the export itself says against a letter: reversals, a bill over
/// its good-faith estimate, hold codes, flags, the address, the balance.
fn export_holds(account: &Account, balance: Cents, policy: &Policy) -> Vec<HoldReason> {
    let mut reasons: Vec<HoldReason> = account
        .reversals
        .iter()
        .map(|r| HoldReason::Reversal {
            line: r.line,
            column: r.column.clone(),
            value: r.value.clone(),
        })
        .collect();
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
    reasons
}

/// The stage of the letter due, from the debt's age (`age`) and, by
/// letters sent, the last letter: with the notes that say why, for
/// audit.csv.
fn stage_due(
    age: Stage,
    last: Option<&SentLetter>,
    (as_of, balance): (NaiveDate, Cents),
    policy: &Policy,
    history: &History,
) -> (Stage, Vec<String>) {
    let mut notes = Vec::new();
    let mut stage = match (policy.escalation, last) {
        (Escalation::ByAge, _) => age,
        (Escalation::ByLettersSent, None) => {
            if age > Stage::Reminder {
                notes.push(format!(
                    "no letter sent before ({age} by age), so the first letter, the reminder"
                ));
            }
            Stage::Reminder
        }
        (Escalation::ByLettersSent, Some(last)) => {
            let days = (as_of - last.date).num_days();
            let paid =
                last.balance.is_some_and(|b| balance < b) && policy.repeat_stage_after_payment;
            let cap = if days >= policy.days_between_stages && !paid {
                last.stage.next()
            } else {
                last.stage
            };
            notes.push(format!("last letter {} ({}) on {}", last.stage, last.piece, last.date));
            if paid && age > last.stage {
                notes.push("a payment since then repeats its stage".to_string());
            }
            age.min(cap)
        }
    };
    if policy.irs_501r && stage == Stage::FinalNotice {
        let started = history.sequence_started.filter(|_| last.is_some());
        let days = started.map(|d| (as_of - d).num_days());
        if days.is_none_or(|d| d < IRS_501R_FINAL_NOTICE_DAYS) {
            stage = Stage::Assistance;
            notes.push(match (started, days) {
                (Some(started), Some(days)) => format!(
                    "irs_501r: the first letter went out on {started}, {days} days ago; \
                     no final notice before {IRS_501R_FINAL_NOTICE_DAYS} days"
                ),
                _ => format!("irs_501r: no final notice before {IRS_501R_FINAL_NOTICE_DAYS} days after a first letter"),
            });
        }
    }
    (stage, notes)
}

/// What the ledger's history says against a letter now: one too recent,
/// a final notice already sent for this debt, mail returned from this
/// address.
fn history_holds(
    account: &Account,
    (as_of, balance): (NaiveDate, Cents),
    last: Option<&SentLetter>,
    policy: &Policy,
    history: &History,
) -> Vec<HoldReason> {
    let mut reasons = Vec::new();
    if let Some(sent) = &history.last_letter {
        let days = (as_of - sent.date).num_days();
        if days < policy.min_days_between_letters {
            let (piece, date, minimum) =
                (sent.piece.clone(), sent.date, policy.min_days_between_letters);
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
    let side_file_line = match account.confidential {
        Some(Confidential::Address { line }) => Some(line),
        _ => None,
    };
    if let Some((piece, _)) = history.returned.iter().find(|(_, to)| *to == address) {
        reasons.push(HoldReason::ReturnedMail { piece: piece.clone(), side_file_line });
    }
    if let Some(last) = history.last_letter.as_ref().filter(|l| l.to_confidential)
        && account.confidential.is_none()
    {
        reasons.push(HoldReason::ConfidentialAddressMissing { piece: last.piece.clone() });
    }
    reasons
}

#[cfg(test)]
mod tests;

//! Looking back: `kindly outcomes`, what earlier letters led to, as a table
//! for a billing manager, or JSON or CSV for a spreadsheet.

use kindly::outcomes::{self, Comparison, Difference, Interval, Outcomes, Rate, TOO_FEW};

use super::ledger::existing;
use super::{say, show, show_json};
use crate::args::{OutcomesArgs, TableFormat};
use crate::failure::{Done, Failure};

pub fn outcomes(args: OutcomesArgs) -> Result<Done, Failure> {
    let ledger = existing(&args.at)?;
    let measured = outcomes::measure(&ledger, args.since, args.until)?;
    match args.format {
        TableFormat::Table => show(&table(&measured)),
        TableFormat::Json => show_json(&measured),
        TableFormat::Csv => show(&csv(&measured)),
    }
    say([format!(
        "{} letters with an outcome, from {} runs of the {}; {} letters of the latest run wait for the next",
        measured.letters,
        measured.runs,
        ledger.summary()?,
        measured.pending
    )]);
    Ok(Done::Ok)
}

fn percent(rate: &Rate) -> String {
    rate.percent().unwrap_or_else(|| "too few".to_string())
}

fn dollars(cents: Option<f64>, interval: Option<Interval>) -> String {
    match (cents, interval) {
        (Some(c), Some(i)) => {
            format!("${:.2} (${:.2}-{:.2})", c / 100.0, i.low / 100.0, i.high / 100.0)
        }
        _ => "too few".to_string(),
    }
}

/// Each group's measures, then what all letters led to.
fn table(o: &Outcomes) -> String {
    let mut rows = vec![[
        "group".to_string(),
        "letters".to_string(),
        "paid in full".to_string(),
        "any payment".to_string(),
        "paid per letter".to_string(),
        "per $ asked".to_string(),
        "runs to pay".to_string(),
    ]];
    for g in &o.groups {
        rows.push([
            g.label(),
            g.letters.to_string(),
            percent(&g.paid_in_full),
            percent(&g.any_payment),
            dollars(g.paid_per_letter_cents, g.paid_per_letter_interval),
            g.paid_per_dollar_asked.map_or("too few".into(), |r| format!("{r:.2}")),
            g.median_runs_to_payment.map_or("-".into(), |r| r.to_string()),
        ]);
    }
    let widths: Vec<usize> =
        (0..7).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut text = String::from(
        "What earlier letters led to, as the next run saw each account. Rates and dollars with their \
         95% intervals;\n",
    );
    text.push_str(&format!(
        "\"too few\" where a group has fewer than {TOO_FEW} letters. Dollars paid are the fall in the \
         balance, a floor where new charges came in.\n\n"
    ));
    for row in &rows {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    if let Some(all) = o.groups.iter().find(|g| g.dimension == outcomes::Dimension::All) {
        text.push_str("\nWhat all letters led to:\n");
        for (outcome, n) in &all.outcomes {
            text.push_str(&format!("  {outcome}: {n}\n"));
        }
    }
    if !o.trials.is_empty() {
        text.push_str("\nWording trials, each variant less the trial's baseline:\n");
        for c in &o.trials {
            text.push_str(&trial_lines(c));
        }
    }
    text
}

/// A trial's variant against its baseline: the sentence, then each
/// difference with its interval.
fn trial_lines(c: &Comparison) -> String {
    let points = |d: Option<Difference>| {
        d.map_or("too few".into(), |d| {
            let i = d.interval;
            format!(
                "{:+.1} points ({:.1} to {:.1})",
                d.difference * 100.0,
                i.low * 100.0,
                i.high * 100.0
            )
        })
    };
    let dollars = c.paid_per_letter_cents.map_or("too few".into(), |d| {
        let i = d.interval;
        format!("{:+.2} (${:.2} to {:.2})", d.difference / 100.0, i.low / 100.0, i.high / 100.0)
    });
    format!(
        "  {}\n    letters {} and {}; any payment {}; paid in full {}; paid per letter {dollars}\n",
        c.sentence,
        c.letters.0,
        c.letters.1,
        points(c.any_payment),
        points(c.paid_in_full),
    )
}

/// One row per group, every figure in a column of its own.
fn csv(o: &Outcomes) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "dimension",
        "group",
        "letters",
        "paid_in_full",
        "paid_in_full_rate",
        "paid_in_full_low",
        "paid_in_full_high",
        "any_payment",
        "any_payment_rate",
        "any_payment_low",
        "any_payment_high",
        "paid_per_letter",
        "paid_per_letter_low",
        "paid_per_letter_high",
        "paid_per_dollar_asked",
        "median_runs_to_payment",
    ];
    let number = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    let money = |v: Option<f64>| v.map_or(String::new(), |v| format!("{:.2}", v / 100.0));
    let mut rows = vec![header.map(String::from).to_vec()];
    for g in &o.groups {
        let rate = |r: &Rate| {
            [
                r.count.to_string(),
                number(r.rate),
                number(r.interval.map(|i| i.low)),
                number(r.interval.map(|i| i.high)),
            ]
        };
        // The dimension as the JSON names it (print_size, not PrintSize).
        let dimension = serde_json::to_value(g.dimension).ok();
        let dimension = dimension.as_ref().and_then(|d| d.as_str()).unwrap_or_default();
        let mut row = vec![dimension.to_string(), g.group.clone()];
        row.push(g.letters.to_string());
        row.extend(rate(&g.paid_in_full));
        row.extend(rate(&g.any_payment));
        row.push(money(g.paid_per_letter_cents));
        row.push(money(g.paid_per_letter_interval.map(|i| i.low)));
        row.push(money(g.paid_per_letter_interval.map(|i| i.high)));
        row.push(number(g.paid_per_dollar_asked));
        row.push(g.median_runs_to_payment.map_or(String::new(), |r| r.to_string()));
        rows.push(row);
    }
    for row in rows {
        // Writing to memory cannot fail.
        let _ = out.write_record(&row);
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

//! Synthetic billing exports: realistic, deterministic for a given seed, of any
//! size, for the shipped sample data, the tests and the benchmarks. No real
//! patient is in them.

use std::io::Write;

use chrono::{Datelike, Duration, Months, NaiveDate};

use crate::model::{Account, Address, Charge, Flags, Guarantor};
use crate::money::Cents;

const FIRST: &[&str] = &[
    "Zoë",
    "María José",
    "Siobhán",
    "Nguyễn",
    "Olivia",
    "James",
    "Aaliyah",
    "Chloé",
    "Darnell",
    "Renée",
    "José",
    "Mary-Kate",
    "Bartholomew",
    "Ana Lucía",
    "Kwame",
    "Ingrid",
    "Dmitri",
    "Lupe",
    "Precious",
    "Wei",
    "Fatima",
    "Björn",
    "Jean-Luc",
    "D'Andre",
    "Marisol",
    "Theodore",
    "Beatriz",
    "Li",
    "Hannah",
    "Raúl",
];
const LAST: &[&str] = &[
    "O'Brien-Núñez",
    "García",
    "Smith",
    "Johnson",
    "D'Angelo",
    "Van der Berg",
    "Müller",
    "Washington",
    "Okafor",
    "Castañeda",
    "Lee",
    "Nakamura",
    "MacDonald",
    "Rodríguez-Peña",
    "St. James",
    "Nguyen",
    "Kowalczyk",
    "O'Neill",
    "Hernández",
    "Thompson",
    "Ibáñez",
    "Brown",
    "Abernathy-Whitfield",
    "Díaz",
    "Patel",
    "López",
    "Fitzgerald",
    "Østergaard",
    "Martínez",
    "Wójcik",
];
const STREETS: &[&str] = &[
    "Willow Creek Rd",
    "Main St",
    "Oak Ave",
    "Martin Luther King Jr Blvd",
    "Calle de la Reina",
    "Riverbend Dr",
    "Old Mill Pond Ln",
    "Pine St",
    "Cesar Chavez Pkwy",
    "Lakeview Ter",
    "Elm St",
    "Saint Catherine's Ct",
];
const UNITS: &[&str] =
    &["Apt 4B", "Unit 12", "Suite 300", "Apt 1207, Building C", "Trlr 18", "PO Box 4471"];
const PLACES: &[(&str, &str, &str)] = &[
    ("Springfield", "OR", "97477"),
    ("Eugene", "OR", "97401"),
    ("Cottage Grove", "OR", "97424"),
    ("Vancouver", "WA", "98661"),
    ("Boise", "ID", "83702"),
    ("Sacramento", "CA", "95814"),
    ("Denver", "CO", "80202"),
    ("Albany", "NY", "12207"),
    ("Coeur d'Alene", "ID", "83814"),
    ("Walla Walla", "WA", "99362"),
];
const SERVICES: &[(&str, i64)] = &[
    ("Office visit", 14500),
    ("New patient visit", 22000),
    ("Annual physical", 26000),
    ("Lab work", 8750),
    ("X-ray", 19500),
    ("Flu shot", 4500),
    ("Telehealth visit", 9500),
    ("Physical therapy session", 13000),
    ("Urgent care visit", 31000),
    ("Allergy testing", 42000),
];

/// The export header kindly's default config reads.
pub const HEADER: [&str; 17] = [
    "Account",
    "Guarantor",
    "Address 1",
    "Address 2",
    "City",
    "State",
    "ZIP",
    "Service Date",
    "Description",
    "Charge",
    "Payments",
    "Adjustments",
    "Language",
    "Insurance Pending",
    "Dispute",
    "Do Not Mail",
    "Large Print",
];

/// SplitMix64: tiny, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
}

/// The layouts of export that real billing systems write, for the samples and
/// the tests of column mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One row per charge, comma-separated UTF-8: kindly's default mapping.
    Charges,
    /// One row per account with its balance and oldest unpaid service date,
    /// semicolon-separated Windows-1252 with two-digit years and CR credits
    /// (sample-data/mappings/statement.toml).
    Statement,
    /// One row per charge, tab-separated UTF-16 with a byte-order mark and
    /// CRLF line ends, as spreadsheet programs save "Unicode text"
    /// (sample-data/mappings/tab-utf16.toml).
    TabUtf16,
    /// The default shape with a `Patient` column, where about a third of the
    /// guarantors (parents) have two or three accounts, one per child, and
    /// some of them have the address written another way on each
    /// (`Street`/`St`, `Apartment`/`Apt`): the export to try householding
    /// on (sample-data/mappings/households.toml).
    Households,
}

impl Shape {
    fn header(self) -> Vec<&'static str> {
        match self {
            Shape::Charges => HEADER.to_vec(),
            Shape::Households => [&HEADER[..], &["Patient"]].concat(),
            Shape::Statement => vec![
                "Acct No",
                "Responsible Party",
                "Street",
                "Street 2",
                "City",
                "St",
                "Zip Code",
                "Oldest DOS",
                "Balance Due",
                "Lang",
                "Ins Pend",
                "Disputed",
                "No Mail",
            ],
            Shape::TabUtf16 => vec![
                " Patient Account # ",
                "GUARANTOR NAME",
                "Addr Line 1",
                "Addr Line 2",
                "city",
                "STATE",
                "Zip",
                "DOS",
                "Proc Desc",
                "Amt Billed",
                "Amt Paid",
                "Adj Amt",
                "Ins Pending",
                "Dispute Flag",
                "Do Not Send",
            ],
        }
    }
}

/// Writes records in a shape's delimiter, encoding and line ends.
struct Sink<W: Write> {
    out: W,
    shape: Shape,
    builder: csv::WriterBuilder,
}

impl<W: Write> Sink<W> {
    fn new(mut out: W, shape: Shape) -> std::io::Result<Self> {
        let mut builder = csv::WriterBuilder::new();
        // Flexible, so that a deliberately short row can be written.
        builder.flexible(true);
        match shape {
            Shape::Charges | Shape::Households => {}
            Shape::Statement => {
                builder.delimiter(b';');
            }
            Shape::TabUtf16 => {
                builder.delimiter(b'\t').terminator(csv::Terminator::CRLF);
                out.write_all(&[0xFF, 0xFE])?;
            }
        }
        Ok(Sink { out, shape, builder })
    }

    fn write<S: AsRef<str>>(&mut self, record: &[S]) -> csv::Result<()> {
        let mut one = self.builder.from_writer(Vec::new());
        one.write_record(record.iter().map(|f| f.as_ref()))?;
        let bytes =
            one.into_inner().map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
        let text = String::from_utf8_lossy(&bytes);
        match self.shape {
            Shape::Charges | Shape::Households => self.out.write_all(text.as_bytes())?,
            // Windows-1252 has no "ễ"; real exports lose such letters too.
            Shape::Statement => {
                self.out.write_all(&encoding_rs::WINDOWS_1252.encode(&text.replace('ễ', "e")).0)?
            }
            Shape::TabUtf16 => {
                let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
                self.out.write_all(&bytes)?;
            }
        }
        Ok(())
    }
}

/// Writes an export of `accounts` accounts with several charges each, dated
/// relative to `as_of` so that every stage and every hold appears. With
/// `broken`, about one row in a hundred is malformed the way real exports are.
///
/// The same seed gives the same bytes: the draws below are made in one
/// fixed order (who, standing, then each charge), which the benchmarks'
/// exports and the tests' counts depend on.
pub fn write_export(
    out: impl Write,
    shape: Shape,
    accounts: usize,
    seed: u64,
    as_of: NaiveDate,
    broken: bool,
) -> csv::Result<()> {
    let mut rng = Rng(seed);
    let mut w = Sink::new(out, shape)?;
    w.write(&shape.header())?;
    // The guarantor of the last account, for the households shape.
    let mut parent: Option<Family> = None;
    for n in 1..=accounts {
        let person = Person::draw(&mut rng, n, shape, &mut parent);
        let standing = Standing::draw(&mut rng);
        let mut owed = Cents::ZERO;
        let mut oldest_owed: Option<NaiveDate> = None;
        for c in 0..standing.charges {
            let drawn = DrawnCharge::draw(&mut rng, &standing, c, as_of);
            let mut row = person.who.clone();
            row.extend(drawn.texts.iter().cloned());
            row.push(String::new());
            row.push(person.language.to_string());
            row.extend(standing.flags.iter().map(|f| f.to_string()));
            if broken && rng.percent(1) {
                match rng.below(4) {
                    0 => row[9] = "12.3.4".into(),
                    1 => row[7] = "02/30/2026".into(),
                    2 => row[0].clear(),
                    _ => row.truncate(9),
                }
            }
            owed += drawn.charge - drawn.paid;
            if drawn.charge > drawn.paid {
                oldest_owed = Some(oldest_owed.map_or(drawn.date, |d| d.min(drawn.date)));
            }
            match shape {
                Shape::Charges => w.write(&row)?,
                Shape::Households => {
                    w.write(&[&row[..], std::slice::from_ref(&person.patient)].concat())?
                }
                Shape::Statement => {}
                Shape::TabUtf16 => w.write(&tab_utf16_row(&mut rng, &person, &standing, &drawn))?,
            }
        }
        if shape == Shape::Statement {
            let oldest = oldest_owed.unwrap_or(as_of - Duration::days(standing.oldest));
            w.write(&statement_row(&person, &standing, owed, oldest))?;
        }
    }
    Ok(())
}

/// Who an account is and where its letters go: the columns every shape
/// begins with (account, guarantor, street, unit, city, state, ZIP), the
/// language, and (households) the patient.
struct Person {
    who: Vec<String>,
    language: &'static str,
    patient: String,
}

impl Person {
    fn draw(rng: &mut Rng, n: usize, shape: Shape, parent: &mut Option<Family>) -> Person {
        let account = format!("{:07}", 1_000_000 + n * 7 + rng.below(7));
        let mut name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        let mut street = format!("{} {}", 10 + rng.below(19990), rng.pick(STREETS));
        let mut unit = if rng.percent(30) { rng.pick(UNITS).to_string() } else { String::new() };
        let mut place = *rng.pick(PLACES);
        let mut patient = String::new();
        if shape == Shape::Households {
            let mut children = 1;
            if let Some(family) = parent.take().filter(|f| f.children < 3 && rng.percent(45)) {
                (name, place, children) = (family.name, family.place, family.children + 1);
                (street, unit) = if rng.percent(40) {
                    written_otherwise(&family.street, &family.unit)
                } else {
                    (family.street, family.unit)
                };
            }
            *parent = Some(Family {
                name: name.clone(),
                street: street.clone(),
                unit: unit.clone(),
                place,
                children,
            });
            let last = name.rsplit(' ').next().unwrap_or_default();
            patient = format!("{} {last}", rng.pick(FIRST));
        }
        let (city, state, zip) = place;
        let language = if rng.percent(15) { "es" } else { "en" };
        let mut zip = zip.to_string();
        match rng.below(100) {
            0 => street.clear(),
            1 => zip.clear(),
            _ => {}
        }
        let who = vec![account, name, street, unit, city.to_string(), state.to_string(), zip];
        Person { who, language, patient }
    }
}

/// An account's standing: its flags (insurance pending, dispute, do not
/// mail, large print, as Y or N), the age of its oldest service in days,
/// what kind of payer it is, and how many charges it has.
struct Standing {
    flags: [&'static str; 4],
    oldest: i64,
    kind: usize,
    charges: usize,
}

impl Standing {
    fn draw(rng: &mut Rng) -> Standing {
        let flag = |on: bool| if on { "Y" } else { "N" };
        let flags = [
            flag(rng.percent(4)),
            flag(rng.percent(3)),
            flag(rng.percent(2)),
            flag(rng.percent(4)),
        ];
        // Oldest service 5 to 400 days ago, younger accounts more common, so
        // that every stage and the not-yet-due hold all appear.
        let oldest = match rng.below(100) {
            0..=11 => 5 + rng.below(25),
            12..=41 => 30 + rng.below(30),
            42..=63 => 60 + rng.below(30),
            64..=81 => 90 + rng.below(30),
            _ => 120 + rng.below(280),
        } as i64;
        // Most balances are owed; kinds 0-13 are paid off, in credit or small.
        let kind = rng.below(100);
        let charges = 1 + rng.below(4);
        Standing { flags, oldest, kind, charges }
    }
}

/// One charge: its service date, description, amount and what was paid,
/// and the four cells the charges shape writes (date, description,
/// charge, payment), each written as billing systems vary in writing them.
struct DrawnCharge {
    date: NaiveDate,
    description: &'static str,
    charge: Cents,
    paid: Cents,
    texts: [String; 4],
}

impl DrawnCharge {
    fn draw(rng: &mut Rng, standing: &Standing, c: usize, as_of: NaiveDate) -> DrawnCharge {
        let days = (standing.oldest - (c as i64) * (5 + rng.below(20) as i64)).max(1);
        let date = as_of - Duration::days(days);
        let (description, base) = *rng.pick(SERVICES);
        let charge = Cents(base + rng.below(40) as i64 * 25);
        let paid = match standing.kind {
            0..=4 => charge,
            5..=8 if c == 0 => charge + Cents(2_500),
            5..=8 => charge,
            9..=13 if c == 0 => charge - Cents(300 + rng.below(600) as i64),
            9..=13 => charge,
            _ if rng.percent(40) => Cents(charge.0 * (20 + rng.below(60) as i64) / 100),
            _ => Cents::ZERO,
        };
        let date_text = if rng.percent(50) {
            date.format("%Y-%m-%d").to_string()
        } else {
            date.format("%m/%d/%Y").to_string()
        };
        let charge_text =
            if rng.percent(30) { format!("${}", &charge.to_string()[1..]) } else { plain(charge) };
        // A billing system writes every payment the same way round (one
        // written the other way is a reversal); this one writes them
        // positive, some with a dollar sign.
        let paid_text = match paid.0 {
            0 => String::new(),
            _ if rng.percent(30) => format!("${}", plain(paid)),
            _ => plain(paid),
        };
        let texts = [date_text, description.to_string(), charge_text, paid_text];
        DrawnCharge { date, description, charge, paid, texts }
    }
}

/// A charge as a tab-separated UTF-16 export writes it: payments in
/// parentheses, adjustments with a trailing minus, yes/no three ways.
fn tab_utf16_row(
    rng: &mut Rng,
    person: &Person,
    standing: &Standing,
    drawn: &DrawnCharge,
) -> Vec<String> {
    let [insurance, dispute, do_not_mail, _] = standing.flags;
    let yes_no = |v: &str, yes: &str, no: &str| if v == "Y" { yes } else { no }.to_string();
    // Some systems put a line break inside a quoted description.
    let description = if rng.percent(5) {
        format!("{}\n(follow-up)", drawn.description)
    } else {
        drawn.description.to_string()
    };
    let adjustment = if rng.percent(10) && drawn.paid.0 >= 100 { Cents(100) } else { Cents::ZERO };
    let paid = drawn.paid - adjustment;
    let or_blank = |c: Cents, text: String| if c.0 == 0 { String::new() } else { text };
    let mut row = person.who.clone();
    row.extend([
        drawn.date.format("%m/%d/%Y").to_string(),
        description,
        format!("${}", &drawn.charge.to_string()[1..]),
        or_blank(paid, format!("({})", plain(paid))),
        or_blank(adjustment, format!("{}-", plain(adjustment))),
        yes_no(insurance, "TRUE", "FALSE"),
        yes_no(dispute, "1", "0"),
        yes_no(do_not_mail, "Y", "N"),
    ]);
    row
}

/// An account as a statement export writes it: one row, what is owed
/// (in credit as "CR"), its oldest unpaid service, language by name, and
/// hold codes.
fn statement_row(
    person: &Person,
    standing: &Standing,
    owed: Cents,
    oldest: NaiveDate,
) -> Vec<String> {
    let [insurance, dispute, do_not_mail, _] = standing.flags;
    let owed_text = if owed.0 < 0 { format!("{} CR", plain(-owed)) } else { plain(owed) };
    let flag = |v: &str, code: &str| if v == "Y" { code } else { "" }.to_string();
    let language = if person.language == "es" { "Spanish" } else { "English" };
    let mut row = person.who.clone();
    row.extend([
        oldest.format("%-m/%-d/%y").to_string(),
        owed_text,
        language.to_string(),
        flag(insurance, "INS"),
        flag(dispute, "DSP"),
        flag(do_not_mail, "NOMAIL"),
    ]);
    row
}

/// A guarantor of the households shape, and how many children's accounts
/// they have so far.
struct Family {
    name: String,
    street: String,
    unit: String,
    place: (&'static str, &'static str, &'static str),
    children: usize,
}

/// The same street and unit as another row of the export writes them: the
/// suffix and unit words spelt out or shortened (`St` / `Street`, `Apt` /
/// `Apartment`), as two billing clerks would type them.
fn written_otherwise(street: &str, unit: &str) -> (String, String) {
    const LONG: &[(&str, &str)] = &[
        (" St", " Street"),
        (" Rd", " Road"),
        (" Ave", " Avenue"),
        (" Dr", " Drive"),
        (" Ln", " Lane"),
    ];
    let mut street = street.to_string();
    if let Some((short, long)) = LONG.iter().find(|(short, _)| street.ends_with(short)) {
        street = format!("{}{long}", &street[..street.len() - short.len()]);
    }
    let unit = unit.replacen("Apt ", "Apartment ", 1).replacen("Unit ", "# ", 1);
    (street.to_uppercase(), unit)
}

/// The as-of date of month `month` of a practice whose first month is
/// `first` (the same day of each later month, or its last day).
pub fn month_date(first: NaiveDate, month: u32) -> NaiveDate {
    let later = first.checked_add_months(Months::new(month)).unwrap_or(first);
    // Month ends stay month ends: 2026-09-30 is followed by 2026-10-31.
    let end = |d: NaiveDate| d.succ_opt().is_some_and(|n| n.month() != d.month());
    if end(first) {
        let next = NaiveDate::from_ymd_opt(later.year(), later.month(), 1)
            .and_then(|d| d.checked_add_months(Months::new(1)));
        next.and_then(|d| d.pred_opt()).unwrap_or(later)
    } else {
        later
    }
}

/// The wording trial the sample months answer with `trial`: the reminder,
/// half in its usual wording and half in `reminder.warm.typ.j2`. A config
/// trying it has
///
/// ```toml
/// [trials.warm-reminder]
/// stage = "reminder"
/// variants = { usual = 50, warm = 50 }
/// ```
pub const SAMPLE_TRIAL: &str = "warm-reminder";

/// Of the patients who would otherwise never pay, the share (percent) who
/// pay in full after a reminder in the trial's `warm` wording, and after
/// one in its `usual` wording. Made large (45% of patients x 30 points =
/// about 13.5 points more of all first reminders followed by a payment) so
/// that a few hundred letters show it; real wording effects are a few
/// points, and take thousands.
pub const WARM_ANSWER_PERCENT: usize = 40;
pub const USUAL_ANSWER_PERCENT: usize = 10;

/// [`SAMPLE_TRIAL`]'s settings.
pub fn sample_trial() -> crate::config::Trial {
    crate::config::Trial {
        stage: crate::stage::Stage::Reminder,
        variants: [("usual".to_string(), 50), ("warm".to_string(), 50)].into(),
    }
}

/// Writes month `month` (0 is the first) of one practice's monthly exports,
/// a charge-per-row export as of [`month_date`]: the same accounts every
/// month, each with a way of paying that shows one of the ledger's rules:
/// - 45% never pay (a letter a month, one stage further each, then held
///   after the final notice);
/// - 15% pay all but $5 in month 2 (under the minimum) and come back with a
///   new visit in month 3 (they start over at the reminder, though their
///   oldest service is old);
/// - 15% pay part of the balance every month (the stage repeats);
/// - 10% have new visits in months 2 and 4 (a final notice may go again);
/// - 10% move in month 3 (a new street: the letters of months 1 and 2 are
///   the ones a test marks returned);
/// - 5% dispute the bill from month 1.
///
/// With `trial`, the patients who would never pay answer the wording of
/// the reminder they got first, in the trial [`SAMPLE_TRIAL`] (see
/// [`sample_trial`]): of those whose account is in its `warm` variant,
/// [`WARM_ANSWER_PERCENT`] pay in full by month 1; of those in `usual`,
/// [`USUAL_ANSWER_PERCENT`]. An effect the generator knows, for a test (and
/// a practice trying `kindly outcomes`) to find.
pub fn write_month(
    out: impl Write,
    accounts: usize,
    (seed, trial): (u64, bool),
    first: NaiveDate,
    month: u32,
) -> csv::Result<()> {
    let sample_trial = sample_trial();
    let as_of = month_date(first, month);
    let mut w = Sink::new(out, Shape::Charges)?;
    w.write(&HEADER)?;
    for n in 1..=accounts {
        let mut rng = Rng(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let account = format!("{:07}", 2_000_000 + n);
        let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        let number = 10 + rng.below(19990);
        let (city, state, zip) = *rng.pick(PLACES);
        let language = if rng.percent(15) { "es" } else { "en" };
        let persona = rng.below(100);
        let street = if (85..95).contains(&persona) && month >= 3 {
            format!("{} {}", number + 7, rng.pick(STREETS))
        } else {
            format!("{number} {}", rng.pick(STREETS))
        };
        let base = Cents(8_000 + rng.below(40) as i64 * 500);
        let first_visit = first - Duration::days(35 + rng.below(20) as i64);
        // A visit on the day of the month before's export (after it was
        // taken), so first in month m's, 30 or 31 days old: due.
        let visit_in = |m: u32| month_date(first, m - 1);
        let mut charges = vec![(first_visit, base, Cents::ZERO)];
        // Drawn last, so that the accounts are the same with and without
        // the trial.
        let answer = rng.below(100);
        let answers = |variant: &str| {
            let percent =
                if variant == "warm" { WARM_ANSWER_PERCENT } else { USUAL_ANSWER_PERCENT };
            answer < percent
        };
        match persona {
            0..=44
                if trial
                    && month >= 1
                    && answers(sample_trial.variant_for(SAMPLE_TRIAL, &account)) =>
            {
                charges[0].2 = base;
            }
            45..=59 => {
                if month >= 2 {
                    charges[0].2 = base - Cents(500);
                }
                if month >= 3 {
                    charges.push((visit_in(3), Cents(6_500), Cents::ZERO));
                }
            }
            60..=74 => charges[0].2 = Cents(base.0 * i64::from(month.min(5)) * 12 / 100),
            75..=84 => {
                charges.extend(
                    [2, 4]
                        .into_iter()
                        .filter(|m| month >= *m)
                        .map(|m| (visit_in(m), Cents(9_000), Cents::ZERO)),
                );
            }
            _ => {}
        }
        let dispute = if persona >= 95 && month >= 1 { "Y" } else { "N" };
        for (date, charge, paid) in charges.into_iter().filter(|(date, ..)| *date <= as_of) {
            let paid = if paid.0 == 0 { String::new() } else { plain(paid) };
            w.write(&[
                account.as_str(),
                &name,
                &street,
                "",
                city,
                state,
                zip,
                &date.format("%Y-%m-%d").to_string(),
                "Office visit",
                &plain(charge),
                &paid,
                "",
                language,
                "N",
                dispute,
                "N",
                "N",
            ])?;
        }
    }
    Ok(())
}

fn plain(c: Cents) -> String {
    format!("{}.{:02}", c.0 / 100, c.0 % 100)
}

/// A made-up account used to check that every stage's wording and the layout
/// work before a run starts. Its name and address are as long as a real one
/// gets, so a layout that only fits short names fails here, not mid-run.
pub fn sample_account() -> Account {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let charge = |line, service_date, description: &str, cents| Charge {
        line,
        service_date,
        description: description.to_string(),
        charge: Cents(cents),
        credits: Cents::ZERO,
        balance: Cents(cents),
        balance_blank: false,
        aged: None,
        patient: String::new(),
    };
    Account {
        id: "0000000".into(),
        patient: String::new(),
        guarantor: Guarantor {
            name: "María José Rodríguez-Peña".into(),
            latin_name: None,
            address: Address {
                street: vec![
                    "12345 Martin Luther King Jr Blvd".into(),
                    "Apt 1207, Building C".into(),
                ],
                city: "Coeur d'Alene".into(),
                state: "ID".into(),
                zip: "83814-1234".into(),
            },
        },
        language: "en".into(),
        flags: Flags::default(),
        charges: vec![
            charge(2, date(2025, 9, 2), "New patient visit", 22000),
            charge(3, date(2025, 9, 2), "Lab work", 8750),
        ],
        rejected_lines: vec![],
        codes: vec![],
        reversals: vec![],
        good_faith_estimate: None,
        last_payment: None,
        confidential: None,
    }
}

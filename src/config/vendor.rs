//! `[vendor]` and `[print]`: the print-and-mail vendor's envelope, its
//! production settings, the shape of the files it takes and the limits of
//! its upload, and the combined print files. Each vendor format's limits
//! and option values come from the vendor's public documentation and live
//! here as data (one profile per format), never in the code that writes or
//! checks; a practice can change any of them in its config.

use serde::{Deserialize, Serialize};

use crate::money::Cents;

/// A rectangle on the flat (unfolded) first page, in inches from its top-left.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// The files a vendor takes for upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VendorFormat {
    /// manifest.csv and manifest.json only (a local printer, or any vendor
    /// that maps columns itself).
    #[default]
    Generic,
    /// Click2Mail's batch: combined PDFs and one batch XML per PDF.
    Click2mail,
    /// Lob: one PDF per piece, a JSON line per letter request, and Lob's
    /// bulk-upload CSV.
    Lob,
    /// PostGrid: one PDF per piece and a JSON line per letter request.
    Postgrid,
}

impl VendorFormat {
    pub const ALL: [VendorFormat; 4] = [
        VendorFormat::Generic,
        VendorFormat::Click2mail,
        VendorFormat::Lob,
        VendorFormat::Postgrid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            VendorFormat::Generic => "generic",
            VendorFormat::Click2mail => "click2mail",
            VendorFormat::Lob => "lob",
            VendorFormat::Postgrid => "postgrid",
        }
    }

    /// The vendor's name, as a billing manager knows it.
    pub fn title(self) -> &'static str {
        match self {
            VendorFormat::Generic => "the print vendor",
            VendorFormat::Click2mail => "Click2Mail",
            VendorFormat::Lob => "Lob",
            VendorFormat::Postgrid => "PostGrid",
        }
    }

    /// Whether the vendor takes combined print files rather than a PDF per piece.
    pub fn needs_combined(self) -> bool {
        self == VendorFormat::Click2mail
    }

    /// What the vendor's upload accepts, from its public documentation.
    pub fn limits(self) -> FieldLimits {
        let us_zip = Some(vec!["#####".to_string(), "#####-####".to_string()]);
        match self {
            VendorFormat::Generic => FieldLimits::default(),
            // Click2Mail's batch takes any ZIP it can read and checks
            // addresses (CASS) itself; it takes only US five- or nine-digit ZIPs.
            VendorFormat::Click2mail => FieldLimits { zip: us_zip, ..FieldLimits::default() },
            // Lob's letter API: `name` and `company` at most 40 characters,
            // `address_line1`/`address_line2` at most 64, `address_city` at
            // most 200, a US ZIP as 5 or 5+4 digits.
            VendorFormat::Lob => FieldLimits {
                name: Some(40),
                address_line: Some(64),
                city: Some(200),
                zip: us_zip,
                pages: None,
            },
            // PostGrid's contacts take US ZIPs as 5 or 5+4 digits.
            VendorFormat::Postgrid => FieldLimits { zip: us_zip, ..FieldLimits::default() },
        }
    }
}

impl std::str::FromStr for VendorFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VendorFormat::ALL.into_iter().find(|f| f.name() == s.trim().to_lowercase()).ok_or_else(
            || {
                let names: Vec<_> = VendorFormat::ALL.iter().map(|f| f.name()).collect();
                format!("{s:?} is not a vendor format; use one of {}", names.join(", "))
            },
        )
    }
}

/// What a vendor's upload accepts of each piece. A piece outside them is
/// held with the rule, before it is laid out. Left out, a limit is the
/// format's own ([`VendorFormat::limits`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldLimits {
    /// Most characters in the recipient's name.
    pub name: Option<usize>,
    /// Most characters in each street line.
    pub address_line: Option<usize>,
    /// Most characters in the city.
    pub city: Option<usize>,
    /// The shapes a ZIP code may have, `#` standing for one digit, e.g.
    /// `["#####", "#####-####"]`.
    pub zip: Option<Vec<String>>,
    /// Most pages in one piece.
    pub pages: Option<usize>,
}

impl FieldLimits {
    /// These limits, each one left out taken from `defaults`.
    pub fn or(&self, defaults: FieldLimits) -> FieldLimits {
        FieldLimits {
            name: self.name.or(defaults.name),
            address_line: self.address_line.or(defaults.address_line),
            city: self.city.or(defaults.city),
            zip: self.zip.clone().or(defaults.zip),
            pages: self.pages.or(defaults.pages),
        }
    }
}

/// Click2Mail's production options, as its batch XML spells them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Click2MailOptions {
    pub document_class: String,
    pub layout: String,
    pub production_time: String,
    pub envelope: String,
    pub color: String,
    pub paper_type: String,
    pub mail_class: String,
}

impl Default for Click2MailOptions {
    fn default() -> Self {
        Click2MailOptions {
            document_class: "Letter 8.5 x 11".into(),
            // The letter prints its own addresses in the windows.
            layout: "Address on First Page".into(),
            production_time: "Next Day".into(),
            envelope: "#10 Double Window".into(),
            color: "Black and White".into(),
            paper_type: "White 24#".into(),
            mail_class: "First Class".into(),
        }
    }
}

/// Lob's letter options, as its API spells them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LobOptions {
    pub address_placement: String,
    pub mail_type: String,
    /// `operational`: a bill or statement, not marketing.
    pub use_type: String,
}

/// Lob's and PostGrid's value for "print the addresses on a page of your
/// own, added before the letter" (and bill the extra sheet).
pub const INSERT_BLANK_PAGE: &str = "insert_blank_page";

/// Their value for "print the addresses over the top of the letter's first
/// page", which would print over the address blocks kindly's letters carry.
pub const TOP_FIRST_PAGE: &str = "top_first_page";

impl Default for LobOptions {
    fn default() -> Self {
        LobOptions {
            // kindly's letters print both addresses themselves, where the
            // windows are; with `top_first_page` Lob prints its own over the
            // top of the first page and covers a white box (0.6 x 0.84 in.,
            // 3.15 x 2 in., in Lob's letter template) that holds them.
            address_placement: INSERT_BLANK_PAGE.into(),
            mail_type: "usps_first_class".into(),
            use_type: "operational".into(),
        }
    }
}

/// PostGrid's letter options, as its API spells them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostGridOptions {
    pub address_placement: String,
    pub mailing_class: String,
}

impl Default for PostGridOptions {
    fn default() -> Self {
        // As for Lob: PostGrid's `top_first_page` prints its address block
        // over the top of the first page, where kindly's letters have theirs.
        PostGridOptions {
            address_placement: INSERT_BLANK_PAGE.into(),
            mailing_class: "first_class".into(),
        }
    }
}

/// Postage rates, for the run's estimate (the vendor's invoice is the real
/// figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Postage {
    /// One envelope of up to one ounce.
    pub first_ounce: Cents,
    /// Each ounce beyond the first.
    pub additional_ounce: Cents,
    /// Sheets that go in one ounce with the envelope and the reply envelope.
    pub sheets_per_ounce: u32,
}

impl Default for Postage {
    fn default() -> Self {
        // USPS First-Class Mail letters, retail, from July 2025; 20 lb
        // paper weighs about 0.16 oz a sheet, a #10 envelope about 0.2 oz,
        // so four sheets fit in the first ounce.
        Postage { first_ounce: Cents(78), additional_ounce: Cents(29), sheets_per_ounce: 4 }
    }
}

impl Postage {
    /// The postage of one envelope holding `sheets` sheets.
    pub fn of(&self, sheets: u64) -> Cents {
        let ounces = sheets.div_ceil(u64::from(self.sheets_per_ounce.max(1))).max(1);
        Cents(self.first_ounce.0 + self.additional_ounce.0 * (ounces as i64 - 1))
    }
}

/// The print vendor's envelope and production settings. Window positions
/// differ by a few tenths of an inch between vendors, so they live here.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Vendor {
    pub name: String,
    /// The files the vendor takes: generic, click2mail, lob or postgrid.
    pub format: VendorFormat,
    pub envelope: String,
    pub mail_class: String,
    pub duplex: bool,
    /// Printed in colour (the vendor charges more).
    pub color: bool,
    pub max_sheets: u32,
    /// Clear space kept between an address block and its window's edges.
    pub clearance: f64,
    /// How far the folded insert can slide inside the envelope, in any
    /// direction; the address must stay clear of the window even then.
    pub tolerance: f64,
    pub return_window: Rect,
    pub recipient_window: Rect,
    /// Changes to the format's limits.
    pub limits: FieldLimits,
    pub click2mail: Click2MailOptions,
    pub lob: LobOptions,
    pub postgrid: PostGridOptions,
    pub postage: Postage,
}

impl Default for Vendor {
    fn default() -> Self {
        Vendor {
            name: "Generic #10 double-window".into(),
            format: VendorFormat::Generic,
            envelope: "#10 double window".into(),
            mail_class: "First-Class".into(),
            duplex: true,
            color: false,
            max_sheets: 6,
            clearance: 0.125,
            tolerance: 0.0625,
            return_window: Rect { left: 0.625, top: 0.5, width: 3.25, height: 0.875 },
            recipient_window: Rect { left: 0.625, top: 2.125, width: 4.0, height: 1.0 },
            limits: FieldLimits::default(),
            click2mail: Click2MailOptions::default(),
            lob: LobOptions::default(),
            postgrid: PostGridOptions::default(),
            postage: Postage::default(),
        }
    }
}

impl Vendor {
    /// The limits every piece is checked against: the config's, and the
    /// format's where the config leaves one out.
    pub fn field_limits(&self) -> FieldLimits {
        self.limits.or(self.format.limits())
    }

    /// The sheets of a piece of `pages` pages, with the address sheet the
    /// vendor adds in front of the letter where it does ([`Vendor::address_sheet`]).
    pub fn sheets(&self, pages: usize) -> usize {
        let letter = if self.duplex { pages.div_ceil(2) } else { pages };
        letter + usize::from(self.address_sheet())
    }

    /// Whether the vendor prints the addresses on a sheet of its own before
    /// the letter (Lob's and PostGrid's `insert_blank_page`). It is counted
    /// as a whole sheet, in sheets, the envelope's `max_sheets` and postage.
    pub fn address_sheet(&self) -> bool {
        match self.format {
            VendorFormat::Lob => self.lob.address_placement == INSERT_BLANK_PAGE,
            VendorFormat::Postgrid => self.postgrid.address_placement == INSERT_BLANK_PAGE,
            VendorFormat::Generic | VendorFormat::Click2mail => false,
        }
    }
}

/// `[print]`: the run's letters as combined PDFs in `print/`, for a vendor
/// or print shop that takes one file of many letters.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Print {
    /// Write combined files (always, for a Click2Mail batch).
    pub combined: bool,
    /// Most pages in one combined file; a piece is never split between two.
    pub max_pages: usize,
}

impl Default for Print {
    fn default() -> Self {
        // 250 pages: about 1 MB of PDF (the fonts once); the run holds two
        // files' laid-out pages, about 45 MiB (90 KB a page, measured).
        Print { combined: false, max_pages: 250 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postage_adds_an_ounce_per_four_sheets() {
        let rates = Postage::default();
        assert_eq!([1, 4, 5, 8, 9].map(|sheets| rates.of(sheets).0), [78, 78, 107, 107, 136]);
    }

    #[test]
    fn the_configs_limits_win_and_the_rest_are_the_formats() {
        let vendor = Vendor {
            format: VendorFormat::Lob,
            limits: FieldLimits { name: Some(35), ..FieldLimits::default() },
            ..Vendor::default()
        };
        let limits = vendor.field_limits();
        assert_eq!((limits.name, limits.address_line), (Some(35), Some(64)));
        assert_eq!("LOB".parse::<VendorFormat>(), Ok(VendorFormat::Lob));
        assert!("fedex".parse::<VendorFormat>().unwrap_err().contains("click2mail"));
    }
}

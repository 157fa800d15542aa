//! The commands, grouped by what a person does with them: making runs,
//! checking before and after, the ledger, handing a run to the vendor,
//! starting a practice, and sample files. Each command's function takes its
//! parsed arguments, calls the library, and says what happened; what they
//! share (loading the practice's setup, finding its ledger, talking to the
//! person) is here.

pub mod checking;
pub mod handoff;
pub mod init;
pub mod ledger;
pub mod making;
pub mod outcomes;
pub mod samples;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use kindly::config::Config;
use kindly::pipeline::{self, Setup};
use kindly::practice::{self, LedgerPlace};

use crate::args::{Common, LedgerAt, LedgerFlags};
use crate::failure::Failure;
pub use crate::talk::{say, show, show_json};

/// The wall clock, for when something was recorded (never for deciding).
pub fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Today, by the wall clock: the default date of what a person records.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

impl Common {
    pub fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(today)
    }

    /// The setup for a run: config, mapping, overrides, and the wording
    /// checked.
    pub fn setup(&self) -> Result<Setup, pipeline::Error> {
        self.load(Setup::load)
    }

    /// The same without checking the wording (what `lint` reports on).
    pub fn open(&self) -> Result<Setup, pipeline::Error> {
        self.load(Setup::open)
    }

    fn load(
        &self,
        how: fn(&Path, Option<&Path>) -> Result<Setup, pipeline::Error>,
    ) -> Result<Setup, pipeline::Error> {
        let mut setup = how(&self.config, self.layouts.as_deref())?;
        if let Some(mapping) = &self.mapping {
            setup.use_mapping(mapping)?;
        }
        if let Some(holds) = &self.holds {
            setup.use_hold_list(holds)?;
        }
        if let Some(confidential) = &self.confidential {
            setup.use_confidential(confidential)?;
        }
        let input = &mut setup.config.input;
        input.encoding = self.encoding.unwrap_or(input.encoding);
        input.delimiter = self.delimiter.unwrap_or(input.delimiter);
        Ok(setup)
    }

    /// The practice's ledger for this setup, checked: a ledger someone named
    /// that is not there stops the command unless `--new-ledger` asks for one.
    pub fn ledger(&self, setup: &Setup) -> Result<LedgerPlace, Failure> {
        ledger_of(&self.ledger, &self.config, &setup.config)
    }
}

/// [`practice::ledger`] for a command with `--ledger` and `--new-ledger`.
fn ledger_of(flags: &LedgerFlags, file: &Path, config: &Config) -> Result<LedgerPlace, Failure> {
    let place = practice::ledger(flags.ledger.as_deref(), Some((file, config)))?;
    place.check_for_writing(flags.new_ledger)?;
    Ok(place)
}

impl LedgerAt {
    /// The practice's config, if the command was given one or there is a
    /// `kindly.toml` in this folder: `None` only with `--ledger` alone.
    pub fn config(&self) -> Result<Option<(PathBuf, Config)>, Failure> {
        let file = match (&self.config, &self.ledger) {
            (Some(file), _) => file.clone(),
            (None, flag) => {
                let here = PathBuf::from("kindly.toml");
                match (here.exists(), flag) {
                    (true, _) => here,
                    (false, Some(_)) => return Ok(None),
                    (false, None) => return Err(kindly::practice::PracticeError::NoPractice.into()),
                }
            }
        };
        let (config, _) = Config::load(&file)?;
        Ok(Some((file, config)))
    }

    /// The ledger: `--ledger`, else the config's (see [`practice::ledger`]).
    pub fn place(&self) -> Result<LedgerPlace, Failure> {
        if let Some(flag) = &self.ledger {
            return Ok(practice::ledger(Some(flag), None)?);
        }
        let config = self.config()?;
        Ok(practice::ledger(None, config.as_ref().map(|(f, c)| (f.as_path(), c)))?)
    }
}

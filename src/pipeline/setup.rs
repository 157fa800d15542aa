//! What a command loads once per process before any letter: the config, the
//! layouts, the wording and the fonts; and the check that every stage's
//! letter in every language can be written, passes the wording checks and
//! lays out within the envelope's windows.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;

use super::Error;
use crate::compose::{self, ComposeError, LetterFiles, Wording};
use crate::confidential::{ConfidentialList, Unmatched};
use crate::config::{Assigned, Config, FieldLimits};
use crate::hold_list::{HoldList, NotHeld};
use crate::language_access::Notice;
use crate::layouts::Layouts;
use crate::lint::{self, Finding};
use crate::model::Account;
use crate::policy::Stage;
use crate::preflight;
use crate::render::{Renderer, TYPST_STACK};
use crate::run_folder::Fingerprint;

/// Everything loaded once per process: config, layouts, wording, fonts.
pub struct Setup {
    pub config: Config,
    pub config_file: Fingerprint,
    /// The mapping file read with `--mapping`, if any.
    pub mapping_file: Option<Fingerprint>,
    /// The hold list read with `--holds`, if any.
    pub hold_list: Option<HoldList>,
    /// The confidential-address file the config names, or `--confidential`
    /// names instead, if any (also in `config.input`, where every reading
    /// of the export finds it).
    pub confidential: Option<Arc<ConfidentialList>>,
    pub layouts: Layouts,
    pub wording: Wording,
    pub renderer: Renderer,
    /// The language-assistance notice every letter carries, if it is on.
    pub notice: Option<Notice>,
    /// What the vendor's upload takes of each piece (`[vendor]`).
    pub limits: FieldLimits,
    /// Whether letters keep their laid-out pages for combined print files.
    pub combined: bool,
}

/// What linting found in one wording template.
pub struct LintReport {
    pub template: String,
    pub readability: Option<String>,
    pub findings: Vec<Finding>,
}

impl Setup {
    /// The layouts folder and its SHA-256, as run.json records them.
    pub fn layouts_fingerprint(&self) -> crate::run_folder::Fingerprint {
        crate::run_folder::Fingerprint {
            file: self.layouts.dir.display().to_string(),
            sha256: self.layouts.sha256.clone(),
        }
    }

    /// Loads the config and its layouts, lints every stage's wording in every
    /// language and lays out a sample of each, so that a broken template,
    /// wording that fails its checks, or a layout that fails preflight stops
    /// the run before any letter is written. `layouts` replaces the folder
    /// named in the config, so a practice can try an edited copy.
    pub fn load(config_path: &Path, layouts: Option<&Path>) -> Result<Setup, Error> {
        let setup = Setup::open(config_path, layouts)?;
        let findings: Vec<Finding> = setup.lint()?.into_iter().flat_map(|r| r.findings).collect();
        if findings.is_empty() { Ok(setup) } else { Err(Error::Lint(findings)) }
    }

    /// Loads the config and layouts without checking the wording.
    pub fn open(config_path: &Path, layouts: Option<&Path>) -> Result<Setup, Error> {
        // Outside the render threads (which keep Typst's rayon work on
        // pools of their own), Typst lays pages out and writes PDFs on
        // rayon's global pool, whose workers need large stacks too: for
        // the proof, the combined print files and previews. Set up once.
        let _ = rayon::ThreadPoolBuilder::new().stack_size(TYPST_STACK).build_global();
        let (mut config, bytes) = Config::load(config_path)?;
        match layouts {
            Some(dir) => config.layouts = dir.to_path_buf(),
            None if !config.layouts.is_dir() => {
                let base = config_path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                return Err(crate::config::ConfigError::Invalid {
                    path: config_path.to_path_buf(),
                    message: format!(
                        "its setting `layouts` names the folder {}, which is not there. Paths in a config are \
                         taken from the config file's own folder ({}), so a config copied to another folder \
                         needs this path changed, or a copy of the layouts folder (letter.typ, wording/, \
                         fonts/) beside it",
                        config.layouts.display(),
                        base.display()
                    ),
                }
                .into());
            }
            None => {}
        }
        let layouts = Layouts::load(&config.layouts)?;
        let wording = Wording::new(&layouts, &config.trials)?;
        let notice = Notice::resolve(&config.language_access, &layouts)?;
        let renderer = Renderer::new(&layouts, &config.pdf, notice.as_ref())?;
        if let Some(notice) = &notice {
            let fonts = layouts.dir.join(crate::layouts::FONTS_DIR).display().to_string();
            notice.check_glyphs(|c| renderer.covers(c), &fonts)?;
        }
        let confidential = config.mailing.confidential_addresses.clone();
        let mut setup = Setup {
            limits: config.vendor.field_limits(),
            combined: config.combined_print(),
            config_file: Fingerprint {
                file: config_path.display().to_string(),
                sha256: crate::digest::sha256(&bytes),
            },
            config,
            mapping_file: None,
            hold_list: None,
            confidential: None,
            layouts,
            wording,
            renderer,
            notice,
        };
        if let Some(path) = confidential {
            setup.use_confidential(&path)?;
        }
        Ok(setup)
    }

    /// Reads the export with a mapping file instead of the config's
    /// `[input]`, and records which.
    pub fn use_mapping(&mut self, path: &Path) -> Result<(), Error> {
        let bytes = self.config.use_mapping(path)?;
        self.mapping_file = Some(Fingerprint {
            file: path.display().to_string(),
            sha256: crate::digest::sha256(&bytes),
        });
        Ok(())
    }

    /// Holds the accounts of the hold list at `path` (see [`crate::hold_list`]).
    pub fn use_hold_list(&mut self, path: &Path) -> Result<(), Error> {
        self.hold_list = Some(HoldList::read(path)?);
        Ok(())
    }

    /// Sends the letters of the accounts on the confidential-address file at
    /// `path` to the addresses it gives (see [`crate::confidential`]),
    /// instead of the file the config names, if it names one.
    pub fn use_confidential(&mut self, path: &Path) -> Result<(), Error> {
        let list = Arc::new(ConfidentialList::read(path)?);
        self.config.input.confidential = Some(list.clone());
        self.confidential = Some(list);
        Ok(())
    }

    /// The confidential-address file's rows that matched no account of a
    /// run that readdressed the accounts `found` (none without a file).
    pub fn not_readdressed(&self, found: &BTreeSet<String>) -> Vec<Unmatched> {
        self.confidential.as_ref().map(|c| c.unmatched(found)).unwrap_or_default()
    }

    /// The confidential-address file's name and SHA-256, as run.json records
    /// them.
    pub fn confidential_fingerprint(&self) -> Option<Fingerprint> {
        let list = self.confidential.as_ref()?;
        Some(Fingerprint { file: list.file.display().to_string(), sha256: list.sha256.clone() })
    }

    /// The hold list's rows that held nothing in a run in which it held the
    /// accounts `held` (none without a list).
    pub fn not_held(&self, held: &BTreeSet<String>, as_of: NaiveDate) -> Vec<NotHeld> {
        self.hold_list.as_ref().map(|h| h.not_held(held, as_of)).unwrap_or_default()
    }

    /// The hold list's file and SHA-256, as run.json records them.
    pub fn hold_list_fingerprint(&self) -> Option<Fingerprint> {
        let list = self.hold_list.as_ref()?;
        Some(Fingerprint { file: list.file.display().to_string(), sha256: list.sha256.clone() })
    }

    /// Every stage's letter in every language (each variant of a wording
    /// trial too), written for a sample account
    /// that cannot be credit-reported, and, with householding on, for a
    /// household of it and a second account at the first stage: their
    /// findings, and an error if one cannot be laid out. (Household samples
    /// only when householding is on: laying them out too cost every run
    /// about 4 MiB of peak memory.) The samples are laid out on two threads,
    /// half each: alone, this was the only work of the run's first 50 ms,
    /// with the other core idle.
    pub fn lint(&self) -> Result<Vec<LintReport>, Error> {
        let trials = &self.config.trials;
        let templates: Vec<(&str, Stage, Option<Assigned>)> = self
            .wording
            .languages()
            .flat_map(|language| {
                Stage::ALL.into_iter().flat_map(move |stage| {
                    crate::config::wordings(trials, stage)
                        .into_iter()
                        .map(move |w| (language, stage, w))
                })
            })
            .collect();
        let (first, second) = templates.split_at(templates.len() / 2);
        let sample = crate::synth::sample_account();
        let mut sibling = sample.clone();
        sibling.id = "0000001".into();
        sibling.patient = "Mateo Rodríguez".into();
        let samples = (&sample, &sibling);
        let check = |half: &[(&str, Stage, Option<Assigned>)]| -> Result<Vec<LintReport>, Error> {
            half.iter()
                .map(|(language, stage, wording)| {
                    self.lint_template((language, *stage, wording.as_ref()), samples)
                })
                .collect()
        };
        let (reports, rest) = std::thread::scope(|scope| {
            let other = std::thread::Builder::new()
                .stack_size(TYPST_STACK)
                .spawn_scoped(scope, || check(second));
            let mine = check(first);
            let theirs = match other {
                Ok(thread) => {
                    thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                }
                Err(_) => check(second),
            };
            (mine, theirs)
        });
        let mut reports = reports?;
        reports.extend(rest?);
        Ok(reports)
    }

    /// One stage's wording (or a trial's variant of it) in one language,
    /// checked and laid out for the sample account, and for its household
    /// with `sibling`.
    fn lint_template(
        &self,
        (language, stage, wording): (&str, Stage, Option<&Assigned>),
        (sample, sibling): (&Account, &Account),
    ) -> Result<LintReport, Error> {
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
        let stem = crate::config::template_stem(stage, wording);
        let template = format!("{}/{language}/{stem}.typ.j2", crate::layouts::WORDING_DIR);
        let alone = [(sample.clone(), stage)];
        let household = [(sample.clone(), stage), (sibling.clone(), Stage::Reminder)];
        let mut findings = Vec::new();
        let mut readability = None;
        let samples: &[&[(Account, Stage)]] =
            if self.config.mailing.household { &[&alone, &household] } else { &[&alone] };
        for accounts in samples {
            let letter = compose::Letter {
                wording: wording.cloned(),
                ..compose::letter(
                    accounts,
                    "CHECK",
                    self.wording.language_for(language),
                    as_of,
                    &self.config,
                )
            };
            let body = self.wording.body(&letter)?;
            for finding in lint::check_wording(&template, &letter, &body, &self.config.lint) {
                if !findings.contains(&finding) {
                    findings.push(finding);
                }
            }
            readability.get_or_insert_with(|| lint::readability(language, &body));
            let files = compose::files(&letter, body)?;
            let cannot =
                |source| Error::SampleLetter { language: language.to_string(), stage, source };
            let document = self.renderer.layout(files, as_of).map_err(cannot)?;
            let name = &letter.practice.name;
            if !preflight::letterhead_names(&document, name, &self.config.vendor) {
                findings.push(Finding {
                    template: template.clone(),
                    rule: "letterhead",
                    detail: format!(
                        "the first page does not name {name:?} above the recipient window"
                    ),
                });
            }
            preflight::check_page(&document, &self.config.vendor, &[])
                .map_err(|v| cannot(crate::render::RenderError::Preflight(v)))?;
            self.renderer.export(&document, "CHECK", as_of).map_err(cannot)?;
        }
        Ok(LintReport { readability: readability.flatten(), findings, template })
    }

    /// The stage, language, print size and wording of the letter these
    /// accounts get (one account's, or a household's), as the manifest will
    /// list it.
    pub fn kind_of(&self, accounts: &[(Account, Stage)]) -> crate::run_folder::Kind {
        let first = accounts.first().map(|(a, _)| a);
        let language =
            first.map_or(compose::FALLBACK_LANGUAGE, |a| self.wording.language_for(&a.language).0);
        let print = if compose::envelope_large_print(accounts) {
            crate::run_folder::Variant::LargePrint
        } else {
            crate::run_folder::Variant::Standard
        };
        let stage = compose::envelope_stage(accounts);
        let wording = first
            .and_then(|a| crate::config::assign(&self.config.trials, stage, &a.id))
            .map(|w| w.to_string())
            .unwrap_or_default();
        crate::run_folder::Kind { stage, language: language.to_string(), print, wording }
    }

    /// Writes one letter: its facts, wording and QR code, for the accounts
    /// of one envelope, each with its own stage.
    pub fn compose_letter(
        &self,
        accounts: &[(Account, Stage)],
        piece: &str,
        as_of: NaiveDate,
    ) -> Result<(compose::Letter, LetterFiles), ComposeError> {
        let language = self.wording.language_for(&accounts[0].0.language);
        let letter = compose::letter(accounts, piece, language, as_of, &self.config);
        let body = self.wording.body(&letter)?;
        let files = compose::files(&letter, body)?;
        Ok((letter, files))
    }
}

//! Sample files: synthetic exports for trials and benchmarks, and a first
//! mapping for another billing system's export.

use std::path::Path;

use kindly::synth::{self, Shape};

use super::{say, show};
use crate::args::{MappingCommand, SampleExportArgs};
use crate::failure::{Done, Failure};

pub fn mapping(command: MappingCommand) -> Result<Done, Failure> {
    match command {
        MappingCommand::Suggest { export, for_config } => {
            let mapping = kindly::suggest::suggest(&export)?;
            show(&if for_config { kindly::suggest::for_config(&mapping) } else { mapping });
            Ok(Done::Ok)
        }
    }
}

pub fn sample_export(args: SampleExportArgs) -> Result<Done, Failure> {
    match (args.months, &args.output) {
        (Some(months), Some(dir)) => {
            sample_months(dir, args.accounts, (args.seed, args.trial), args.as_of, months)
        }
        (_, output) => {
            let shape = Shape::from(args.shape);
            let write = |out: &mut dyn std::io::Write| {
                synth::write_export(out, shape, args.accounts, args.seed, args.as_of, args.broken)
            };
            match output {
                Some(path) => {
                    let file = std::fs::File::create(path).map_err(|e| cannot_write(path, &e))?;
                    write(&mut std::io::BufWriter::new(file))
                        .map_err(|e| cannot_write(path, &e))?;
                }
                None => {
                    write(&mut std::io::stdout().lock()).map_err(|e| Failure::new(e.to_string()))?
                }
            }
            Ok(Done::Ok)
        }
    }
}

fn sample_months(
    dir: &Path,
    accounts: usize,
    seed: (u64, bool),
    first: chrono::NaiveDate,
    months: u32,
) -> Result<Done, Failure> {
    std::fs::create_dir_all(dir).map_err(|e| cannot_write(dir, &e))?;
    for month in 0..months {
        let path = dir.join(format!("export-{}.csv", synth::month_date(first, month)));
        let file = std::fs::File::create(&path).map_err(|e| cannot_write(&path, &e))?;
        synth::write_month(std::io::BufWriter::new(file), accounts, seed, first, month)
            .map_err(|e| cannot_write(&path, &e))?;
        say([format!("month {}: {}", month + 1, path.display())]);
    }
    Ok(Done::Ok)
}

fn cannot_write(path: &Path, e: &dyn std::fmt::Display) -> Failure {
    Failure::new(format!("cannot write {}: {e}", path.display()))
}

//! The `kindly` command: parses the arguments, hands each command to its
//! function in `commands/`, and ends with the exit code `failure` decides.
//! The work itself is the library's.

mod allocator;
mod args;
mod commands;
mod failure;
mod progress;
mod talk;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use commands::{checking, handoff, init, ledger, making, outcomes, samples};

/// mimalloc rather than the system's malloc: Typst's memo cache is shared
/// by the render threads, so one thread often frees what the other
/// allocated. glibc takes the other thread's arena lock for each such free,
/// and `perf` found four fifths of the render threads' waits there; mimalloc
/// hands such frees back without a lock. See `allocator.rs`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    allocator::give_freed_memory_back_soon();
    let result = match Cli::parse().command {
        Command::Init(args) => init::init(args),
        Command::Validate(args) => checking::validate(args),
        Command::Proof(args) => checking::proof(args),
        Command::Run(args) => making::run(args),
        Command::Approve(args) => ledger::approve(args),
        Command::Handoff(args) => handoff::handoff(args),
        Command::Mailed(args) => ledger::mailed(args),
        Command::Returns(args) => ledger::returns(args),
        Command::History(args) => ledger::history(args),
        Command::Runs(args) => ledger::runs(args),
        Command::Outcomes(args) => outcomes::outcomes(args),
        Command::Reproduce(args) => making::reproduce(args),
        Command::Verify(args) => checking::verify(args),
        Command::Preview(args) => checking::preview(args),
        Command::Lint(args) => checking::lint(args),
        Command::Mapping(command) => samples::mapping(command),
        Command::Ledger(command) => ledger::ledger(command),
        Command::Merge(args) => making::merge(args),
        Command::Sources(args) => checking::sources(args),
        Command::SampleExport(args) => samples::sample_export(args),
    };
    failure::exit(result)
}

//! The progress bar `kindly run` draws on the terminal while it makes
//! letters (none with `--quiet`), fed by the pipeline's [`Progress`].

use std::fmt::Write;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use kindly::pipeline::Progress;

pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(show: bool) -> Bar {
        let bar = if show { ProgressBar::new(0) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} letters, {rate}, {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |state: &ProgressState, w: &mut dyn Write| {
                let _ = write!(w, "{:.0} letters/s", state.per_sec());
            })
            .progress_chars("=> "),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn more_to_make(&self, letters: u64) {
        self.0.inc_length(letters);
    }
    fn made_one(&self) {
        self.0.inc(1);
    }
    fn finished(&self) {
        self.0.finish_and_clear();
    }
}

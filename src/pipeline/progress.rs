//! How a run tells whoever started it how far it has got, without the
//! library knowing how that is shown: the `kindly` command draws a progress
//! bar, a test or `reproduce` shows nothing.

/// Told as letters are decided and made, from the render threads too.
pub trait Progress: Sync {
    /// `letters` more letters are to be made: the total grows as each
    /// partition of the export is decided.
    fn more_to_make(&self, letters: u64);
    /// One more envelope's letter was made.
    fn made_one(&self);
    /// Every letter was made (or the run stopped).
    fn finished(&self);
}

/// Shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn more_to_make(&self, _: u64) {}
    fn made_one(&self) {}
    fn finished(&self) {}
}

//! Where one field of the export is read from, as the config or mapping
//! names it and the export's header places it.

/// Where one field comes from in this export: a column by its position, a
/// fixed value, or several columns (see [`crate::config::Field`]).
#[derive(Debug, Clone)]
pub(super) enum Source {
    At(usize),
    /// A yes/no read from a column of amounts (see `Field::NonZero`).
    NonZero(usize),
    Fixed(String),
    Several(Vec<usize>),
    LastFirst(usize),
    Parts {
        first: usize,
        middle: Option<usize>,
        last: usize,
        suffix: Option<usize>,
    },
}

//! The four letters of the collection cycle: a word of kindly's vocabulary
//! that the config (trials name a stage), the policy and every file share.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The four letters of the collection cycle, gentlest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Reminder,
    PlanOffer,
    Assistance,
    FinalNotice,
}

impl Stage {
    pub const ALL: [Stage; 4] =
        [Stage::Reminder, Stage::PlanOffer, Stage::Assistance, Stage::FinalNotice];

    /// The name used in file names, manifests and the wording folder.
    pub fn id(self) -> &'static str {
        match self {
            Stage::Reminder => "reminder",
            Stage::PlanOffer => "plan_offer",
            Stage::Assistance => "assistance",
            Stage::FinalNotice => "final_notice",
        }
    }

    /// The stage whose [`Stage::id`] is `id`.
    pub fn from_id(id: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.id() == id)
    }

    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The stage after this one; the final notice is the last.
    pub fn next(self) -> Stage {
        match self {
            Stage::Reminder => Stage::PlanOffer,
            Stage::PlanOffer => Stage::Assistance,
            Stage::Assistance | Stage::FinalNotice => Stage::FinalNotice,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

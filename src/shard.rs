//! Shards: one run split into independent runs over shares of the export,
//! for batch engines that run many copies of one command (a Kubernetes
//! Indexed Job, an AWS Batch array job, GNU parallel).

use std::fmt;

use sha2::{Digest, Sha256};

use crate::model::Guarantor;

/// Shard `index` of `count`, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Reads `K/N`, for example `2/8`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!("{text:?} is not a shard: write K/N, for example 3/8 for the third of eight")
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) =
            (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(format!("{text:?}: the shard number must be from 1 to {}", count.max(1)));
        }
        Ok(Shard { index, count })
    }

    pub fn index(self) -> u32 {
        self.index
    }

    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether this shard makes the letters of this guarantor's accounts.
    /// The share depends only on the guarantor's name and address (read as
    /// [`crate::household::key`] reads them), by a hash that is the same on
    /// every machine and in every version, so a household never splits
    /// across shards.
    pub fn includes(self, guarantor: &Guarantor) -> bool {
        let mut hasher = Sha256::new();
        hasher.update(crate::household::key(guarantor).as_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// The shard that reports rows rejected or warned about, which belong to
    /// no guarantor.
    pub fn reports_rows(self) -> bool {
        self.index == 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::Shard;
    use crate::model::{Address, Guarantor};

    fn guarantor(name: &str, street: &str) -> Guarantor {
        let address = Address {
            street: vec![street.into()],
            city: "Eugene".into(),
            state: "OR".into(),
            zip: "97401".into(),
        };
        Guarantor { name: name.into(), latin_name: None, address }
    }

    #[test]
    fn every_guarantor_is_in_exactly_one_shard() {
        for i in 0..200 {
            let g = guarantor(&format!("Person {i}"), &format!("{i} Main St"));
            let shards =
                (1..=4).filter(|k| Shard::parse(&format!("{k}/4")).unwrap().includes(&g)).count();
            assert_eq!(shards, 1);
        }
    }

    #[test]
    fn a_household_stays_together_whatever_the_spacing_or_case() {
        let a = guarantor("Ann  Lee", "1 Main St");
        let b = guarantor("ann lee", "1  MAIN ST");
        for k in 1..=7 {
            let shard = Shard::parse(&format!("{k}/7")).unwrap();
            assert_eq!(shard.includes(&a), shard.includes(&b));
        }
    }

    #[test]
    fn bad_shards_are_explained() {
        for text in ["0/4", "5/4", "1/0", "x/4", "3"] {
            assert!(Shard::parse(text).is_err(), "{text}");
        }
        assert_eq!(Shard::parse(" 2/8").map(|s| s.to_string()), Ok("2/8".into()));
    }
}

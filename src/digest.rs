//! SHA-256 checksums as lower-case hex: how the run record, the manifest and
//! the layouts' fingerprint name exact bytes. A leaf module: it imports
//! nothing from kindly, so every stage may use it.

use sha2::{Digest, Sha256};

/// The SHA-256 of some bytes, as 64 lower-case hex digits.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

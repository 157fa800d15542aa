//! Accounts on the confidential-address file, readdressed as they are read
//! (see [`crate::confidential`]): the one place the export's address gives
//! way to the one the patient asked for, so that every command that reads
//! the export (runs, `validate`, `preview`, proofs) sees the same address.

use chrono::NaiveDate;

use crate::confidential::{ConfidentialList, Requested};
use crate::model::{Account, Address, Confidential, Guarantor};

/// Readdresses each account the file names: in force, its letters go to
/// the requested name and address, and the export's are dropped; ended,
/// it is only marked so.
pub(super) fn readdress(accounts: &mut [Account], list: &ConfidentialList, as_of: NaiveDate) {
    for account in accounts {
        if let Some(requested) = list.get(&account.id) {
            readdress_one(account, requested, as_of);
        }
    }
}

fn readdress_one(account: &mut Account, requested: &Requested, as_of: NaiveDate) {
    let line = requested.line;
    match requested.until.filter(|_| !requested.in_force(as_of)) {
        Some(until) => account.confidential = Some(Confidential::Ended { line, until }),
        None => {
            let name = [&requested.name, &account.patient, &account.guarantor.name]
                .into_iter()
                .find(|n| !n.is_empty())
                .cloned()
                .unwrap_or_default();
            let address = Address {
                street: requested.street.clone(),
                city: requested.city.clone(),
                state: requested.state.clone(),
                zip: requested.zip.clone(),
            };
            account.guarantor = Guarantor { name, address };
            account.confidential = Some(Confidential::Address { line });
        }
    }
}

//! Accounts with a confidential address, readdressed as they are read (see
//! [`crate::confidential`]): the one place the export's address gives way
//! to the one the patient asked for, so that every command that reads the
//! export (runs, `validate`, `preview`, proofs) sees the same address. The
//! address comes from the confidential-address file, or else from the
//! export's own confidential columns; the file, which staff keep by hand,
//! wins where both name an account.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::confidential::{ConfidentialList, Requested};
use crate::model::{Account, Address, Confidential, Guarantor, Line};

/// Readdresses each account the file names, or else whose rows give a
/// confidential address (`from_export`: by account, the row's line and the
/// name and address): in force, its letters go to the requested name and
/// address, and the export's are dropped; a request in the file that ended
/// only marks the account so.
pub(super) fn readdress(
    accounts: &mut [Account],
    (list, as_of): (Option<&ConfidentialList>, NaiveDate),
    from_export: &mut BTreeMap<String, (Line, Guarantor)>,
) {
    for account in accounts {
        let exported = from_export.remove(&account.id);
        match (list.and_then(|l| l.get(&account.id)), exported) {
            (Some(requested), _) => from_file(account, requested, as_of),
            (None, Some((line, requested))) => {
                to(account, requested, Confidential::Export { line });
            }
            (None, None) => {}
        }
    }
}

fn from_file(account: &mut Account, requested: &Requested, as_of: NaiveDate) {
    let line = requested.line;
    match requested.until.filter(|_| !requested.in_force(as_of)) {
        Some(until) => account.confidential = Some(Confidential::Ended { line, until }),
        None => {
            let address = Address {
                street: requested.street.clone(),
                city: requested.city.clone(),
                state: requested.state.clone(),
                zip: requested.zip.clone(),
            };
            let name = requested.name.clone();
            to(
                account,
                Guarantor { name, latin_name: None, address },
                Confidential::Address { line },
            );
        }
    }
}

/// Sends the account's letters to `requested`, addressed by its name or,
/// where it gives none, the account's patient (else its guarantor).
fn to(account: &mut Account, requested: Guarantor, how: Confidential) {
    let name = [&requested.name, &account.patient, &account.guarantor.name]
        .into_iter()
        .find(|n| !n.is_empty())
        .cloned()
        .unwrap_or_default();
    account.guarantor = Guarantor { name, latin_name: None, address: requested.address };
    account.confidential = Some(how);
}

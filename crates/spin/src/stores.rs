//! The club's stores as saved: the list of stores (`stores`) and each
//! store's record (`store:{id}`).

use crate::keys;
use crate::kv::{self, Kv};
use chrono::{DateTime, Utc};
use vafa_core::error::Result;
use vafa_core::shop::Shop;

/// Every listed store, in the order they were first saved.
pub fn all(kv: &Kv) -> Result<Vec<Shop>> {
    let ids: Vec<String> = kv.get(keys::STORES)?.unwrap_or_default();
    let found = kv.get_many(&ids.iter().map(|id| keys::store(id)).collect::<Vec<_>>())?;
    ids.iter()
        .filter_map(|id| found.get(&keys::store(id)).map(|b| kv::decode::<Shop>(&keys::store(id), b)))
        .collect()
}

/// Adds a store to the list of stores, once.
pub fn list(kv: &Kv, id: &str, now: DateTime<Utc>) -> Result<()> {
    let listed: Vec<String> = kv.get(keys::STORES)?.unwrap_or_default();
    if listed.iter().any(|i| i == id) {
        return Ok(());
    }
    kv.list_add(keys::STORES, id, now)
}

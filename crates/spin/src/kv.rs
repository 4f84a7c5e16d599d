//! The key-value store, as Vafa uses it: typed JSON records, counters and
//! claims on `wasi:keyvalue/atomics`, and batch reads. Keys come only from
//! [`crate::keys`].
//!
//! Two rules from Spin's SQLite store (crates/key-value-spin/src/store.rs,
//! Spin v4.0.2) shape this module: `increment` stores an 8-byte
//! little-endian integer and the host fails on a value of any other length,
//! so counters live in their own keys; and a compare-and-swap on a key that
//! does not exist yet is an upsert, not exclusive, so a key is always made to
//! exist (with `increment(key, 0)`) before it is claimed by CAS.

use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};
use std::collections::HashMap;
use vafa_core::error::{Error, Result};

/// The one store every component shares (spin.toml `key_value_stores`).
pub const STORE: &str = "default";

pub struct Kv {
    bucket: store::Bucket,
}

fn fault(op: &str, key: &str, e: impl std::fmt::Debug) -> Error {
    Error::internal(format!("key-value {op} {}: {e:?}", loggable(key)))
}

/// A key as it may appear in a log: some keys hold a phone number
/// (`phone:+989121234567`), and logs never show one in full.
fn loggable(key: &str) -> String {
    match key.split_once('+') {
        Some((head, number)) => {
            let digits = number.len();
            let masked: String = number.char_indices().map(|(i, c)| if (5..digits.saturating_sub(4)).contains(&i) { '*' } else { c }).collect();
            format!("{head}+{masked}")
        }
        None => key.to_string(),
    }
}

/// Outcome of claiming a key by compare-and-swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Won,
    /// Someone else holds it: the value found.
    Held(i64),
}

impl Kv {
    pub fn open() -> Result<Kv> {
        let bucket = store::open(STORE).map_err(|e| fault("open", STORE, e))?;
        Ok(Kv { bucket })
    }

    pub fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.bucket.get(key).map_err(|e| fault("get", key, e))
    }

    pub fn set_raw(&self, key: &str, value: &[u8]) -> Result<()> {
        self.bucket.set(key, value).map_err(|e| fault("set", key, e))
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        self.bucket.delete(key).map_err(|e| fault("delete", key, e))
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get_raw(key)?.map(|bytes| decode(key, &bytes)).transpose()
    }

    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| fault("encode", key, e))?;
        self.set_raw(key, &bytes)
    }

    /// Reads many keys in one call. Spin answers only the keys that exist.
    pub fn get_many(&self, keys: &[String]) -> Result<HashMap<String, Vec<u8>>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let found = batch::get_many(&self.bucket, keys).map_err(|e| fault("get-many", &keys[0], e))?;
        Ok(found.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect())
    }

    /// A number kept as text (an index slot pointing at a record).
    pub fn get_number(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.get_raw(key)?.as_deref().and_then(number_value))
    }

    pub fn set_number(&self, key: &str, n: u64) -> Result<()> {
        self.set_raw(key, n.to_string().as_bytes())
    }

    /// The numbers held by `keys`, in their order, absent ones skipped; read
    /// [`BATCH`] keys per `get-many`.
    pub fn numbers_at(&self, keys: &[String]) -> Result<Vec<u64>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH) {
            let found = self.get_many(chunk)?;
            out.extend(chunk.iter().filter_map(|k| found.get(k).and_then(|v| number_value(v))));
        }
        Ok(out)
    }

    /// Atomically adds `delta` and returns the new value (absent counts as 0).
    pub fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        atomics::increment(&self.bucket, key, delta).map_err(|e| fault("increment", key, e))
    }

    /// Reads a counter without writing it (`increment(key, 0)` would create it).
    pub fn counter(&self, key: &str) -> Result<i64> {
        Ok(self.get_raw(key)?.map(|b| counter_value(&b)).unwrap_or(0))
    }

    /// First writer wins: true for exactly one caller per key.
    pub fn claim(&self, key: &str) -> Result<bool> {
        Ok(self.increment(key, 1)? == 1)
    }

    /// Claims a counter key for `value` if it holds one of `free` (0 is
    /// always free). Exclusive on every backend: the key is made to exist
    /// first, so the swap is an `UPDATE … WHERE value = old` on SQLite and a
    /// WATCH/MULTI on Redis.
    pub fn claim_slot(&self, key: &str, free: &[i64], value: i64) -> Result<Claim> {
        self.increment(key, 0)?;
        let cas = atomics::Cas::new(&self.bucket, key).map_err(|e| fault("cas", key, e))?;
        let current = cas.current().map_err(|e| fault("cas-current", key, e))?.map(|b| counter_value(&b)).unwrap_or(0);
        if current != 0 && !free.contains(&current) {
            return Ok(Claim::Held(current));
        }
        match atomics::swap(cas, &value.to_le_bytes()) {
            Ok(()) => Ok(Claim::Won),
            Err(atomics::CasError::CasFailed(_)) => Ok(Claim::Held(self.counter(key)?)),
            Err(atomics::CasError::StoreError(e)) => Err(fault("cas-swap", key, e)),
        }
    }
}

/// Keys per `get-many`.
pub const BATCH: usize = 200;

fn number_value(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Counters are 8-byte little-endian (Spin's encoding); anything else reads 0.
pub fn counter_value(bytes: &[u8]) -> i64 {
    <[u8; 8]>::try_from(bytes).map(i64::from_le_bytes).unwrap_or(0)
}

pub fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| fault("decode", key, e))
}

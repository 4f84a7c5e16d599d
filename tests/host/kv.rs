//! The key-value store, kept exactly as Spin keeps it on SQLite:
//! the table, the statements and their quirks come from Spin's
//! `crates/key-value-spin/src/store.rs` at v4.0.2.
//!
//! One `KvStore` is one SQLite database (in memory, one per `Host`, so tests
//! are isolated), shared by every instance of every component of that host,
//! like the single connection of a Spin process. Store labels are the
//! `store` column.
//!
//! Quirks kept on purpose (never kinder than Spin):
//! - `increment` reads and writes in one transaction and stores
//!   `i64::to_le_bytes()`; a stored value that is not 8 bytes makes Spin's
//!   host panic (`expect("incorrect length")`) while it holds the connection
//!   mutex. The calling instance traps, and the mutex is poisoned: every
//!   later operation that locks the connection panics too, for the rest of
//!   the process. The host models both ([`KvFailure::HostPanic`]).
//! - Integer overflow in `increment` wraps, as in Spin's release build.
//! - Compare-and-swap on a key that was absent at `current` time upserts:
//!   two such swaps both succeed (not exclusive).
//! - A swap on a present key is `UPDATE ... WHERE value = old`; no row
//!   changed means `CasFailed`.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, Result};
use rusqlite::{Connection, named_params};

/// How a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvFailure {
    /// Spin's `Error::Other(format!("{err:?}"))` (its `log_error`).
    Other(String),
    /// Spin's host panicked: the calling instance traps.
    HostPanic(String),
}

/// Keys with their values, as `get-many` returns them.
pub type KeyValues = Vec<(String, Option<Vec<u8>>)>;

/// The result of a compare-and-swap `swap`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Swap {
    Swapped,
    /// Spin's `SwapError::CasFailed("failed to update 1 row")`.
    CasFailed,
}

pub struct KvStore {
    conn: Mutex<Connection>,
    /// Set when a modelled host panic has poisoned Spin's connection mutex.
    poisoned: Mutex<Option<String>>,
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
                           store TEXT NOT NULL,
                           key   TEXT NOT NULL,
                           value BLOB NOT NULL,

                           PRIMARY KEY (store, key)
                        )";
const SELECT_VALUE: &str = "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2";
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT(store, key) DO UPDATE SET value=$3";
const DELETE: &str = "DELETE FROM spin_key_value WHERE store=$1 AND key=$2";
const SELECT_KEYS: &str = "SELECT key FROM spin_key_value WHERE store=$1";
const SELECT_MANY: &str =
    "SELECT key, value FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)";
const DELETE_MANY: &str = "DELETE FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)";
const CAS_UPDATE: &str = "UPDATE spin_key_value SET value=:new_value WHERE store=:name and key=:key and value=:old_value";

fn other(err: impl std::fmt::Debug) -> KvFailure {
    KvFailure::Other(format!("{err:?}"))
}

impl KvStore {
    /// A fresh in-memory database with Spin's table (Spin's
    /// `create_connection`, `DatabaseLocation::InMemory`).
    pub fn open_in_memory() -> Result<Arc<KvStore>> {
        let conn = Connection::open_in_memory().context("opening the in-memory SQLite store")?;
        conn.execute(CREATE_TABLE, [])
            .context("creating the spin_key_value table")?;
        // The array module is needed for `rarray` (get-many, delete-many).
        rusqlite::vtab::array::load_module(&conn).context("loading SQLite's array module")?;
        Ok(Arc::new(KvStore {
            conn: Mutex::new(conn),
            poisoned: Mutex::new(None),
        }))
    }

    /// Spin's `self.connection.lock().unwrap()`: panics (here: fails with
    /// `HostPanic`) once the mutex is poisoned.
    fn lock(&self) -> Result<MutexGuard<'_, Connection>, KvFailure> {
        if let Some(why) = self.poisoned.lock().unwrap().as_ref() {
            return Err(KvFailure::HostPanic(format!(
                "called `Result::unwrap()` on an `Err` value: PoisonError {{ .. }} \
                 (Spin's key-value connection mutex was poisoned earlier by: {why}; \
                 every later key-value operation of this Spin process panics)"
            )));
        }
        Ok(self.conn.lock().unwrap())
    }

    fn poison(&self, why: &str) {
        *self.poisoned.lock().unwrap() = Some(why.to_string());
    }

    /// Whether a modelled host panic has broken the store.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.lock().unwrap().is_some()
    }

    pub fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvFailure> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(SELECT_VALUE).map_err(other)?;
        let mut rows = stmt
            .query_map([store, key], |row| row.get::<_, Vec<u8>>(0))
            .map_err(other)?;
        rows.next().transpose().map_err(other)
    }

    pub fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvFailure> {
        let conn = self.lock()?;
        conn.prepare_cached(UPSERT)
            .map_err(other)?
            .execute(rusqlite::params![store, key, value])
            .map_err(other)
            .map(drop)
    }

    pub fn delete(&self, store: &str, key: &str) -> Result<(), KvFailure> {
        let conn = self.lock()?;
        conn.prepare_cached(DELETE)
            .map_err(other)?
            .execute([store, key])
            .map_err(other)
            .map(drop)
    }

    /// Spin implements `exists` as `get(..).is_some()`.
    pub fn exists(&self, store: &str, key: &str) -> Result<bool, KvFailure> {
        Ok(self.get(store, key)?.is_some())
    }

    /// Every key of the store (Spin's `get_keys`). The design forbids it on
    /// request paths; it exists because the interfaces have it.
    pub fn get_keys(&self, store: &str) -> Result<Vec<String>, KvFailure> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(SELECT_KEYS).map_err(other)?;
        let rows = stmt
            .query_map([store], |row| row.get::<_, String>(0))
            .map_err(other)?;
        rows.map(|r| r.map_err(other)).collect()
    }

    pub fn get_many(&self, store: &str, keys: Vec<String>) -> Result<KeyValues, KvFailure> {
        let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
        let keys = Rc::new(keys);
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(SELECT_MANY).map_err(other)?;
        let rows = stmt
            .query_map(named_params! {":name": store, ":keys": keys}, |row| {
                <(String, Option<Vec<u8>>)>::try_from(row)
            })
            .map_err(other)?;
        rows.map(|r| r.map_err(other)).collect()
    }

    pub fn set_many(
        &self,
        store: &str,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), KvFailure> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(other)?;
        for (key, value) in key_values {
            tx.prepare_cached(UPSERT)
                .map_err(other)?
                .execute(rusqlite::params![store, key, value])
                .map_err(other)?;
        }
        tx.commit().map_err(other)
    }

    pub fn delete_many(&self, store: &str, keys: Vec<String>) -> Result<(), KvFailure> {
        let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
        let keys = Rc::new(keys);
        let conn = self.lock()?;
        conn.prepare_cached(DELETE_MANY)
            .map_err(other)?
            .execute(named_params! {":name": store, ":keys": keys})
            .map_err(other)
            .map(drop)
    }

    /// Spin's `increment`: absent means 0; the new value is stored as
    /// 8 little-endian bytes.
    pub fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvFailure> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(other)?;
        let value: Option<Vec<u8>> = tx
            .prepare_cached(SELECT_VALUE)
            .map_err(other)?
            .query_map([store, key], |row| row.get(0))
            .map_err(other)?
            .next()
            .transpose()
            .map_err(other)?;
        let numeric = match value {
            Some(v) => match <[u8; 8]>::try_from(v.as_slice()) {
                Ok(bytes) => i64::from_le_bytes(bytes),
                Err(_) => {
                    // `expect("incorrect length")` panics with the
                    // transaction open: it rolls back, the mutex is poisoned.
                    drop(tx);
                    drop(conn);
                    let why = format!(
                        "increment({key:?}) found a {}-byte value; Spin's host panics: incorrect length \
                         (crates/key-value-spin/src/store.rs, `i64::from_le_bytes(v.try_into().expect(\"incorrect length\"))`)",
                        v.len()
                    );
                    self.poison(&why);
                    return Err(KvFailure::HostPanic(why));
                }
            },
            None => 0,
        };
        // Spin ships a release build: overflow wraps.
        let new_value = numeric.wrapping_add(delta);
        tx.prepare_cached(UPSERT)
            .map_err(other)?
            .execute(rusqlite::params![store, key, new_value.to_le_bytes()])
            .map_err(other)?;
        tx.commit().map_err(other)?;
        Ok(new_value)
    }

    /// Spin's `CompareAndSwap::current`: the value now, which the caller
    /// keeps as the expected old value for `cas_swap`.
    pub fn cas_current(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvFailure> {
        self.get(store, key)
    }

    /// Spin's `CompareAndSwap::swap`. `seen` is what `current` returned
    /// (`None` also when `current` was never called).
    pub fn cas_swap(
        &self,
        store: &str,
        key: &str,
        seen: Option<&[u8]>,
        value: &[u8],
    ) -> Result<Swap, KvFailure> {
        let mut conn = self.lock()?;
        let rows_changed = match seen {
            Some(old) => conn
                .prepare_cached(CAS_UPDATE)
                .map_err(other)?
                .execute(named_params! {
                    ":name": store,
                    ":key": key,
                    ":old_value": old,
                    ":new_value": value,
                })
                .map_err(other)?,
            None => {
                // Not exclusive: an upsert, whoever else created the key.
                let tx = conn.transaction().map_err(other)?;
                let rows = tx
                    .prepare_cached(UPSERT)
                    .map_err(other)?
                    .execute(rusqlite::params![store, key, value])
                    .map_err(other)?;
                tx.commit().map_err(other)?;
                rows
            }
        };
        Ok(if rows_changed == 1 {
            Swap::Swapped
        } else {
            Swap::CasFailed
        })
    }

    /// Every key and value of one store, for tests (bypasses the poison:
    /// it is the test's view, not a guest's).
    pub fn snapshot(&self, store: &str) -> BTreeMap<String, Vec<u8>> {
        let conn = self.conn.lock().unwrap();
        let mut stmt = conn
            .prepare("SELECT key, value FROM spin_key_value WHERE store=$1")
            .expect("preparing the snapshot query");
        stmt.query_map([store], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("querying the snapshot")
            .map(|r| r.expect("reading a snapshot row"))
            .collect()
    }

    /// A test's direct read (bypasses the poison).
    pub fn peek(&self, store: &str, key: &str) -> Option<Vec<u8>> {
        let conn = self.conn.lock().unwrap();
        conn.query_row(SELECT_VALUE, [store, key], |row| row.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .expect("reading a key")
    }

    /// A test's direct write (bypasses the poison).
    pub fn poke(&self, store: &str, key: &str, value: &[u8]) {
        let conn = self.conn.lock().unwrap();
        conn.execute(UPSERT, rusqlite::params![store, key, value])
            .expect("writing a key");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_stores_eight_little_endian_bytes() {
        let kv = KvStore::open_in_memory().unwrap();
        assert_eq!(kv.increment("default", "n", 5), Ok(5));
        assert_eq!(kv.increment("default", "n", -2), Ok(3));
        assert_eq!(
            kv.get("default", "n").unwrap(),
            Some(3i64.to_le_bytes().to_vec())
        );
    }

    #[test]
    fn increment_on_a_json_value_panics_and_poisons_the_store() {
        let kv = KvStore::open_in_memory().unwrap();
        kv.set("default", "j", br#"{"a":1}"#).unwrap();
        assert!(matches!(
            kv.increment("default", "j", 1),
            Err(KvFailure::HostPanic(_))
        ));
        assert!(matches!(
            kv.get("default", "other"),
            Err(KvFailure::HostPanic(_))
        ));
        // The transaction rolled back.
        assert_eq!(kv.peek("default", "j").unwrap(), br#"{"a":1}"#.to_vec());
    }

    #[test]
    fn two_swaps_of_an_absent_key_both_succeed() {
        let kv = KvStore::open_in_memory().unwrap();
        let a = kv.cas_current("default", "k").unwrap();
        let b = kv.cas_current("default", "k").unwrap();
        assert_eq!(
            kv.cas_swap("default", "k", a.as_deref(), b"a"),
            Ok(Swap::Swapped)
        );
        assert_eq!(
            kv.cas_swap("default", "k", b.as_deref(), b"b"),
            Ok(Swap::Swapped)
        );
        assert_eq!(kv.peek("default", "k").unwrap(), b"b".to_vec());
    }

    #[test]
    fn a_swap_after_a_change_fails() {
        let kv = KvStore::open_in_memory().unwrap();
        kv.set("default", "k", b"1").unwrap();
        let seen = kv.cas_current("default", "k").unwrap();
        kv.set("default", "k", b"2").unwrap();
        assert_eq!(
            kv.cas_swap("default", "k", seen.as_deref(), b"3"),
            Ok(Swap::CasFailed)
        );
    }

    #[test]
    fn labels_are_separate_stores() {
        let kv = KvStore::open_in_memory().unwrap();
        kv.set("a", "k", b"1").unwrap();
        assert_eq!(kv.get("b", "k").unwrap(), None);
        assert_eq!(
            kv.get_many("a", vec!["k".into(), "x".into()]).unwrap(),
            vec![("k".to_string(), Some(b"1".to_vec()))]
        );
    }
}

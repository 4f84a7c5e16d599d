//! Spin's SQLite key-value store (`type = "spin"`, the default), kept as
//! Spin 4.0.2 keeps it: the table, the statements and their quirks come
//! from `crates/key-value-spin/src/store.rs`.
//!
//! `spin up` runs the HTTP trigger and the cron trigger as two processes,
//! each opening the same file (`.spin/sqlite_key_value.db`) with
//! `Connection::open` and keeping that one connection behind a mutex. One
//! [`SqliteProcess`] is one such process's connection; the host opens two
//! on one file per `Host`. Store labels are the `store` column.
//!
//! Quirks kept on purpose (never kinder than Spin):
//! - `increment` is a deferred transaction (BEGIN; SELECT; UPSERT; COMMIT).
//!   When the other process holds the write lock, upgrading the read lock
//!   fails at once (SQLite does not call the busy handler for that
//!   upgrade) with "database is locked", and nothing is applied. Other
//!   writes start without a read lock, so rusqlite's 5 s busy timeout
//!   makes them wait instead.
//! - `increment` stores `i64::to_le_bytes()`; a stored value that is not
//!   8 bytes makes Spin's host panic (`expect("incorrect length")`) while
//!   it holds the connection mutex. The calling instance traps, and the
//!   mutex is poisoned: every later operation of that process that locks
//!   the connection panics too. The other process is not affected.
//! - Integer overflow in `increment` wraps, as in Spin's release build.
//! - Compare-and-swap on a key that was absent at `current` time upserts:
//!   two such swaps both succeed (not exclusive).
//! - A swap on a present key is `UPDATE ... WHERE value = old`; no row
//!   changed means `CasFailed`.

use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, named_params};

use crate::kv::{KeyValues, KvFailure, Swap, other};

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

/// A connection opened like Spin's `create_connection`
/// (`DatabaseLocation::Path`): `Connection::open` (rollback journal,
/// rusqlite's 5 s busy timeout), Spin's table, the array module. Unless
/// `durable`, it skips fsync.
pub fn open_connection(path: &Path, durable: bool) -> Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("opening the SQLite store {}", path.display()))?;
    // Only for the tests' speed: it skips fsync (durability), and leaves
    // locking, the journal mode and the busy handling as Spin has them. A
    // durable connection keeps SQLite's default (`synchronous=FULL` with
    // the rollback journal), as Spin leaves it: each write call is then a
    // commit that waits for the disk.
    if !durable {
        conn.execute_batch("PRAGMA synchronous=OFF")
            .context("setting PRAGMA synchronous")?;
    }
    conn.execute(CREATE_TABLE, [])
        .context("creating the spin_key_value table")?;
    // The array module is needed for `rarray` (get-many, delete-many).
    rusqlite::vtab::array::load_module(&conn).context("loading SQLite's array module")?;
    Ok(conn)
}

/// One Spin process's connection to the store file.
pub struct SqliteProcess {
    conn: Mutex<Connection>,
    /// Set when a modelled host panic has poisoned this process's mutex.
    poisoned: Mutex<Option<String>>,
}

/// Spin runs every SQLite call in `task::block_in_place`: a busy wait
/// holds the thread, not the runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

impl SqliteProcess {
    pub fn open(path: &Path, durable: bool) -> Result<SqliteProcess> {
        Ok(SqliteProcess {
            conn: Mutex::new(open_connection(path, durable)?),
            poisoned: Mutex::new(None),
        })
    }

    /// Spin's `self.connection.lock().unwrap()`: panics (here: fails with
    /// `HostPanic`) once the mutex is poisoned.
    fn lock(&self) -> Result<MutexGuard<'_, Connection>, KvFailure> {
        if let Some(why) = self.poisoned.lock().unwrap().as_ref() {
            return Err(KvFailure::HostPanic(format!(
                "called `Result::unwrap()` on an `Err` value: PoisonError {{ .. }} \
                 (this Spin process's key-value connection mutex was poisoned earlier by: {why}; \
                 every later key-value operation of the process panics)"
            )));
        }
        Ok(self.conn.lock().unwrap())
    }

    pub fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvFailure> {
        blocking(|| {
            let conn = self.lock()?;
            let mut stmt = conn.prepare_cached(SELECT_VALUE).map_err(other)?;
            let mut rows = stmt
                .query_map([store, key], |row| row.get::<_, Vec<u8>>(0))
                .map_err(other)?;
            rows.next().transpose().map_err(other)
        })
    }

    pub fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvFailure> {
        blocking(|| {
            let conn = self.lock()?;
            conn.prepare_cached(UPSERT)
                .map_err(other)?
                .execute(rusqlite::params![store, key, value])
                .map_err(other)
                .map(drop)
        })
    }

    pub fn delete(&self, store: &str, key: &str) -> Result<(), KvFailure> {
        blocking(|| {
            let conn = self.lock()?;
            conn.prepare_cached(DELETE)
                .map_err(other)?
                .execute([store, key])
                .map_err(other)
                .map(drop)
        })
    }

    /// Spin implements `exists` as `get(..).is_some()`.
    pub fn exists(&self, store: &str, key: &str) -> Result<bool, KvFailure> {
        Ok(self.get(store, key)?.is_some())
    }

    pub fn get_keys(&self, store: &str) -> Result<Vec<String>, KvFailure> {
        blocking(|| {
            let conn = self.lock()?;
            let mut stmt = conn.prepare_cached(SELECT_KEYS).map_err(other)?;
            let rows = stmt
                .query_map([store], |row| row.get::<_, String>(0))
                .map_err(other)?;
            rows.map(|r| r.map_err(other)).collect()
        })
    }

    /// Only the keys present, in the order SQLite returns them.
    pub fn get_many(&self, store: &str, keys: Vec<String>) -> Result<KeyValues, KvFailure> {
        let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
        let keys = Rc::new(keys);
        blocking(|| {
            let conn = self.lock()?;
            let mut stmt = conn.prepare_cached(SELECT_MANY).map_err(other)?;
            let rows = stmt
                .query_map(named_params! {":name": store, ":keys": keys}, |row| {
                    <(String, Option<Vec<u8>>)>::try_from(row)
                })
                .map_err(other)?;
            rows.map(|r| r.map_err(other)).collect()
        })
    }

    pub fn set_many(
        &self,
        store: &str,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), KvFailure> {
        blocking(|| {
            let mut conn = self.lock()?;
            let tx = conn.transaction().map_err(other)?;
            for (key, value) in key_values {
                tx.prepare_cached(UPSERT)
                    .map_err(other)?
                    .execute(rusqlite::params![store, key, value])
                    .map_err(other)?;
            }
            tx.commit().map_err(other)
        })
    }

    pub fn delete_many(&self, store: &str, keys: Vec<String>) -> Result<(), KvFailure> {
        let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
        let keys = Rc::new(keys);
        blocking(|| {
            let conn = self.lock()?;
            conn.prepare_cached(DELETE_MANY)
                .map_err(other)?
                .execute(named_params! {":name": store, ":keys": keys})
                .map_err(other)
                .map(drop)
        })
    }

    /// Spin's `increment`: absent means 0; the new value is stored as
    /// 8 little-endian bytes. `transaction()` is rusqlite's default,
    /// a deferred transaction.
    pub fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvFailure> {
        blocking(|| {
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
                        // transaction open: it rolls back, the mutex is
                        // poisoned.
                        let why = format!(
                            "increment({key:?}) found a {}-byte value; Spin's host panics: incorrect length \
                             (crates/key-value-spin/src/store.rs, `i64::from_le_bytes(v.try_into().expect(\"incorrect length\"))`)",
                            v.len()
                        );
                        drop(tx);
                        drop(conn);
                        *self.poisoned.lock().unwrap() = Some(why.clone());
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
        })
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
        blocking(|| {
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
        })
    }
}

/// A test's own connection to the file (like `sqlite3` from outside):
/// it bypasses both processes' mutexes and poison.
pub struct TestView(Mutex<Connection>);

impl TestView {
    pub fn open(path: &Path) -> Result<TestView> {
        Ok(TestView(Mutex::new(open_connection(path, false)?)))
    }

    pub fn snapshot(&self, store: &str) -> BTreeMap<String, Vec<u8>> {
        let conn = self.0.lock().unwrap();
        let mut stmt = conn
            .prepare("SELECT key, value FROM spin_key_value WHERE store=$1")
            .expect("preparing the snapshot query");
        stmt.query_map([store], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("querying the snapshot")
            .map(|r| r.expect("reading a snapshot row"))
            .collect()
    }

    pub fn get(&self, store: &str, key: &str) -> Option<Vec<u8>> {
        let conn = self.0.lock().unwrap();
        conn.query_row(SELECT_VALUE, [store, key], |row| row.get(0))
            .optional()
            .expect("reading a key")
    }

    pub fn set(&self, store: &str, key: &str, value: &[u8]) {
        let conn = self.0.lock().unwrap();
        conn.execute(UPSERT, rusqlite::params![store, key, value])
            .expect("writing a key");
    }

    pub fn delete(&self, store: &str, key: &str) {
        let conn = self.0.lock().unwrap();
        conn.execute(DELETE, [store, key]).expect("deleting a key");
    }

    /// Spin's increment, in one transaction; panics on a value that is not
    /// 8 bytes.
    pub fn increment(&self, store: &str, key: &str, delta: i64) -> i64 {
        let mut conn = self.0.lock().unwrap();
        let tx = conn.transaction().expect("beginning a transaction");
        let old: Option<Vec<u8>> = tx
            .query_row(SELECT_VALUE, [store, key], |row| row.get(0))
            .optional()
            .expect("reading a counter");
        let old = old.map_or(0, |v| {
            i64::from_le_bytes(v.try_into().expect("a counter holds 8 bytes"))
        });
        let new_value = old.wrapping_add(delta);
        tx.execute(
            UPSERT,
            rusqlite::params![store, key, new_value.to_le_bytes()],
        )
        .expect("writing a counter");
        tx.commit().expect("committing a counter");
        new_value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::TempDir;

    fn two_processes() -> (TempDir, SqliteProcess, SqliteProcess) {
        let dir = TempDir::new().unwrap();
        let db = dir.path().join("kv.db");
        let a = SqliteProcess::open(&db, false).unwrap();
        let b = SqliteProcess::open(&db, false).unwrap();
        (dir, a, b)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn increment_stores_eight_little_endian_bytes() {
        let (_dir, kv, _) = two_processes();
        assert_eq!(kv.increment("default", "n", 5), Ok(5));
        assert_eq!(kv.increment("default", "n", -2), Ok(3));
        assert_eq!(
            kv.get("default", "n").unwrap(),
            Some(3i64.to_le_bytes().to_vec())
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn increment_on_a_json_value_poisons_only_that_process() {
        let (_dir, kv, other_process) = two_processes();
        kv.set("default", "j", br#"{"a":1}"#).unwrap();
        assert!(matches!(
            kv.increment("default", "j", 1),
            Err(KvFailure::HostPanic(_))
        ));
        assert!(matches!(
            kv.get("default", "other"),
            Err(KvFailure::HostPanic(_))
        ));
        // The transaction rolled back; the other process still works.
        assert_eq!(
            other_process.get("default", "j").unwrap(),
            Some(br#"{"a":1}"#.to_vec())
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_swaps_of_an_absent_key_both_succeed() {
        let (_dir, kv, _) = two_processes();
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
        assert_eq!(kv.get("default", "k").unwrap(), Some(b"b".to_vec()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_swap_after_a_change_by_the_other_process_fails() {
        let (_dir, kv, other_process) = two_processes();
        kv.set("default", "k", b"1").unwrap();
        let seen = kv.cas_current("default", "k").unwrap();
        other_process.set("default", "k", b"2").unwrap();
        assert_eq!(
            kv.cas_swap("default", "k", seen.as_deref(), b"3"),
            Ok(Swap::CasFailed)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn labels_are_separate_stores() {
        let (_dir, kv, _) = two_processes();
        kv.set("a", "k", b"1").unwrap();
        assert_eq!(kv.get("b", "k").unwrap(), None);
        assert_eq!(
            kv.get_many("a", vec!["k".into(), "x".into()]).unwrap(),
            vec![("k".to_string(), Some(b"1".to_vec()))]
        );
    }
}

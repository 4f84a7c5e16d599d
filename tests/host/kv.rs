//! The key-value store, on either of Spin's two backends, chosen per
//! `Host` ([`KvBackend`]; `Options::kv_backend`, else `VAFA_TEST_KV`):
//!
//! - **SQLite** (`kv_sqlite`, Spin's default `type = "spin"`): one database
//!   file per `Host`, in a fresh temporary directory, with two connections
//!   opened as Spin opens them: `spin up` runs the HTTP trigger and the
//!   cron trigger as two processes, each with its own connection to
//!   `.spin/sqlite_key_value.db`. Calls of each trigger use their
//!   process's connection, so they contend for SQLite's file lock as in
//!   Spin ("database is locked"), and a host panic breaks one process's
//!   store only.
//! - **Redis** (`kv_redis`, `type = "redis"`): a throwaway `redis-server`
//!   per `Host`, and one connection manager per process, sending Spin's
//!   commands with Spin's `redis` crate version.
//!
//! The backends differ (the quirks each module lists are kept, never
//! kinder than Spin); tests in `tests/kv_semantics.rs` pin every
//! difference. Test helpers (`kv_get`, `kv_set`, `kv_snapshot`) use a
//! connection of their own, like a command-line client would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};
use rusqlite::Connection;

use crate::kv_redis::{CasConnection, RedisProcess, RedisServer};
use crate::kv_sqlite::SqliteProcess;

/// Which of Spin's key-value backends a `Host` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvBackend {
    /// `type = "spin"`, Spin's default: SQLite.
    Sqlite,
    /// `type = "redis"`.
    Redis,
}

impl KvBackend {
    /// `VAFA_TEST_KV`: `sqlite` (also when unset or empty) or `redis`.
    pub fn from_env() -> Result<KvBackend> {
        match std::env::var("VAFA_TEST_KV") {
            Err(std::env::VarError::NotPresent) => Ok(KvBackend::Sqlite),
            Ok(v) if v.is_empty() || v == "sqlite" => Ok(KvBackend::Sqlite),
            Ok(v) if v == "redis" => Ok(KvBackend::Redis),
            Ok(v) => bail!("VAFA_TEST_KV={v:?}: expected \"sqlite\" or \"redis\""),
            Err(e) => bail!("VAFA_TEST_KV: {e}"),
        }
    }
}

/// The trigger a call serves, that is, which `spin up` process runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Http,
    Cron,
}

/// How a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvFailure {
    /// Spin's `Error::Other(format!("{err:?}"))` (its `log_error`).
    Other(String),
    /// Spin's host panicked: the calling instance traps.
    HostPanic(String),
}

pub(crate) fn other(err: impl std::fmt::Debug) -> KvFailure {
    KvFailure::Other(format!("{err:?}"))
}

/// What Spin's SQLite store answers when another process holds the write
/// lock: rusqlite's SQLITE_BUSY error, formatted as Spin's `log_error` does.
pub fn database_is_locked() -> String {
    let busy = rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some("database is locked".to_string()),
    );
    format!("{busy:?}")
}

/// Keys with their values, as `get-many` returns them.
pub type KeyValues = Vec<(String, Option<Vec<u8>>)>;

/// The result of a compare-and-swap `swap`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Swap {
    Swapped,
    CasFailed,
}

/// What a compare-and-swap handle keeps between `current` and `swap`.
pub enum CasState {
    /// SQLite: the value `current` saw (`None` also before `current`).
    Sqlite(Option<Vec<u8>>),
    /// Redis: the handle's own connection, where `current` ran WATCH.
    Redis(CasConnection),
}

/// One process's connection to the store.
pub enum ProcessKv {
    Sqlite(SqliteProcess),
    Redis(RedisProcess),
}

impl ProcessKv {
    /// Opening a store: Redis connects here the first time. Spin's error
    /// is always `Error::Other` (its `log_error`).
    pub async fn open(&self) -> Result<(), String> {
        match self {
            ProcessKv::Sqlite(_) => Ok(()),
            ProcessKv::Redis(r) => r.open().await,
        }
    }

    pub async fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.get(store, key),
            ProcessKv::Redis(r) => r.get(key).await,
        }
    }

    pub async fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.set(store, key, value),
            ProcessKv::Redis(r) => r.set(key, value).await,
        }
    }

    pub async fn delete(&self, store: &str, key: &str) -> Result<(), KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.delete(store, key),
            ProcessKv::Redis(r) => r.delete(key).await,
        }
    }

    pub async fn exists(&self, store: &str, key: &str) -> Result<bool, KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.exists(store, key),
            ProcessKv::Redis(r) => r.exists(key).await,
        }
    }

    pub async fn get_keys(&self, store: &str) -> Result<Vec<String>, KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.get_keys(store),
            ProcessKv::Redis(r) => r.get_keys().await,
        }
    }

    pub async fn get_many(&self, store: &str, keys: Vec<String>) -> Result<KeyValues, KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.get_many(store, keys),
            ProcessKv::Redis(r) => r.get_many(keys).await,
        }
    }

    pub async fn set_many(
        &self,
        store: &str,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.set_many(store, key_values),
            ProcessKv::Redis(r) => r.set_many(key_values).await,
        }
    }

    pub async fn delete_many(&self, store: &str, keys: Vec<String>) -> Result<(), KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.delete_many(store, keys),
            ProcessKv::Redis(r) => r.delete_many(keys).await,
        }
    }

    pub async fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvFailure> {
        match self {
            ProcessKv::Sqlite(s) => s.increment(store, key, delta),
            ProcessKv::Redis(r) => r.increment(key, delta).await,
        }
    }

    /// Spin's `new_compare_and_swap`.
    pub async fn cas_new(&self) -> Result<CasState, KvFailure> {
        match self {
            ProcessKv::Sqlite(_) => Ok(CasState::Sqlite(None)),
            ProcessKv::Redis(r) => Ok(CasState::Redis(r.cas_new().await?)),
        }
    }

    /// `Cas::current`.
    pub async fn cas_current(
        &self,
        store: &str,
        key: &str,
        state: &mut CasState,
    ) -> Result<Option<Vec<u8>>, KvFailure> {
        match (self, state) {
            (ProcessKv::Sqlite(s), CasState::Sqlite(seen)) => {
                let value = s.cas_current(store, key)?;
                seen.clone_from(&value);
                Ok(value)
            }
            (ProcessKv::Redis(_), CasState::Redis(conn)) => {
                RedisProcess::cas_current(conn, key).await
            }
            _ => unreachable!("a compare-and-swap handle belongs to its backend"),
        }
    }

    /// `Cas::swap`.
    pub async fn cas_swap(
        &self,
        store: &str,
        key: &str,
        state: CasState,
        value: &[u8],
    ) -> Result<Swap, KvFailure> {
        match (self, state) {
            (ProcessKv::Sqlite(s), CasState::Sqlite(seen)) => {
                s.cas_swap(store, key, seen.as_deref(), value)
            }
            (ProcessKv::Redis(_), CasState::Redis(conn)) => {
                Ok(RedisProcess::cas_swap(&conn, key, value).await)
            }
            _ => unreachable!("a compare-and-swap handle belongs to its backend"),
        }
    }
}

/// A fresh directory under the system's temporary directory, removed on
/// drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Result<TempDir> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("vafa-test-kv-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("creating {}", path.display()));
                }
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What holds the data, and the test's own way in.
enum Backing {
    Sqlite {
        view: crate::kv_sqlite::TestView,
        path: PathBuf,
        // Last: the directory goes after every connection above.
        _dir: TempDir,
    },
    Redis {
        view: crate::kv_redis::TestView,
        server: RedisServer,
    },
}

/// One `Host`'s store: the two processes' connections and the backing.
pub struct KvStore {
    http: Arc<ProcessKv>,
    cron: Arc<ProcessKv>,
    backing: Backing,
}

impl KvStore {
    /// `durable`: SQLite's connections wait for the disk at each commit,
    /// as Spin's do (the benchmarks); Redis is the same either way.
    pub fn start(backend: KvBackend, durable: bool) -> Result<KvStore> {
        match backend {
            KvBackend::Sqlite => {
                let dir = TempDir::new()?;
                let path = dir.path().join("sqlite_key_value.db");
                let process = || SqliteProcess::open(&path, durable).map(|p| Arc::new(ProcessKv::Sqlite(p)));
                Ok(KvStore {
                    http: process()?,
                    cron: process()?,
                    backing: Backing::Sqlite {
                        view: crate::kv_sqlite::TestView::open(&path)?,
                        path,
                        _dir: dir,
                    },
                })
            }
            KvBackend::Redis => {
                let server = RedisServer::start()?;
                let process = || Arc::new(ProcessKv::Redis(RedisProcess::new(&server.url)));
                Ok(KvStore {
                    http: process(),
                    cron: process(),
                    backing: Backing::Redis {
                        view: crate::kv_redis::TestView::open(&server.url)?,
                        server,
                    },
                })
            }
        }
    }

    pub fn backend(&self) -> KvBackend {
        match self.backing {
            Backing::Sqlite { .. } => KvBackend::Sqlite,
            Backing::Redis { .. } => KvBackend::Redis,
        }
    }

    /// The connection of the process serving `trigger`.
    pub fn process(&self, trigger: Trigger) -> Arc<ProcessKv> {
        match trigger {
            Trigger::Http => self.http.clone(),
            Trigger::Cron => self.cron.clone(),
        }
    }

    /// Every key and value of one store label.
    pub fn snapshot(&self, store: &str) -> BTreeMap<String, Vec<u8>> {
        match &self.backing {
            Backing::Sqlite { view, .. } => view.snapshot(store),
            Backing::Redis { view, .. } => view.snapshot(),
        }
    }

    pub fn peek(&self, store: &str, key: &str) -> Option<Vec<u8>> {
        match &self.backing {
            Backing::Sqlite { view, .. } => view.get(store, key),
            Backing::Redis { view, .. } => view.get(key),
        }
    }

    pub fn poke(&self, store: &str, key: &str, value: &[u8]) {
        match &self.backing {
            Backing::Sqlite { view, .. } => view.set(store, key, value),
            Backing::Redis { view, .. } => view.set(key, value),
        }
    }

    pub fn remove(&self, store: &str, key: &str) {
        match &self.backing {
            Backing::Sqlite { view, .. } => view.delete(store, key),
            Backing::Redis { view, .. } => view.delete(key),
        }
    }

    pub fn add(&self, store: &str, key: &str, delta: i64) -> i64 {
        match &self.backing {
            Backing::Sqlite { view, .. } => view.increment(store, key, delta),
            Backing::Redis { view, .. } => view.increment(key, delta),
        }
    }

    /// SQLite: another process in the middle of a write transaction.
    pub fn hold_write_lock(&self) -> Result<WriteLock> {
        let Backing::Sqlite { path, .. } = &self.backing else {
            bail!("hold_write_lock: only SQLite has a write lock (this host serves Redis)");
        };
        let conn = crate::kv_sqlite::open_connection(path, false)?;
        conn.execute_batch("BEGIN IMMEDIATE")
            .context("taking the write lock")?;
        Ok(WriteLock(conn))
    }

    /// Redis: kills the server.
    pub fn stop_server(&self) -> Result<()> {
        let Backing::Redis { server, .. } = &self.backing else {
            bail!("stop_kv_server: only Redis has a server (this host serves SQLite)");
        };
        server.stop();
        Ok(())
    }
}

/// A third connection that has begun `BEGIN IMMEDIATE` (it holds SQLite's
/// RESERVED lock, as a process in the middle of a write does); rolled back
/// on drop.
pub struct WriteLock(Connection);

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

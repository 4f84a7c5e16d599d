//! Spin's Redis key-value store (`type = "redis"` in the runtime config),
//! issuing the commands Spin 4.0.2 issues, through the same `redis` crate
//! version (0.32.5), as `crates/key-value-redis/src/store.rs` does. Store
//! labels are not part of the keys there: each label configured as Redis
//! is a whole Redis database.
//!
//! Like Spin, each process (the HTTP trigger, the cron trigger) makes one
//! `ConnectionManager` at the first `open` of a store, with the crate's
//! default reconnect back-off: 6 retries, after 1 s, then 60 s each, with
//! up to as much again of jitter.
//! So when Redis is down, an `open` that has to connect, and any command
//! after the first one that found the connection lost, waits 5 to 10
//! minutes before it fails (and the next command starts another round).
//!
//! Quirks kept on purpose (never kinder than Spin):
//! - `increment` is `INCRBY`: the value is ASCII decimal, and a key holding
//!   anything else fails with the server's error.
//! - `get-many` sends `KEYS k1 k2 ...` and reads the reply as key/value
//!   pairs: one absent key gives an empty list, one present key makes the
//!   crate panic (the host panics: the instance traps), two or more keys
//!   are refused by the server.
//! - Compare-and-swap gets its own connection, `current` is `WATCH key` +
//!   `GET key`, `swap` is `MULTI; SET; EXEC` then `UNWATCH key`, which the
//!   server refuses (UNWATCH takes no argument), so every swap answers
//!   `CasFailed`, whether EXEC wrote or not. On an absent key it is
//!   exclusive: WATCH sees another client create the key.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::FutureExt;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Client, Commands};
use tokio::sync::OnceCell;

use crate::kv::{KeyValues, KvFailure, Swap, other};

/// A throwaway `redis-server` on a free loopback port, killed on drop.
pub struct RedisServer {
    child: Mutex<Option<Child>>,
    pub url: String,
}

impl RedisServer {
    pub fn start() -> Result<RedisServer> {
        // The port is free when asked, but another process may take it
        // before the server binds it: then try another.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .context("finding a free loopback port")?
                .port();
            let mut child = Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting redis-server (VAFA_TEST_KV=redis needs it on PATH)")?;
            let url = format!("redis://127.0.0.1:{port}");
            if ready(&mut child, &url)? {
                return Ok(RedisServer {
                    child: Mutex::new(Some(child)),
                    url,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        bail!("redis-server did not start on any of 5 free ports")
    }

    /// Kills the server (if it still runs).
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until the server answers PING; `false` if it exited, or if the
/// server answering is not this child (another one took the port).
fn ready(child: &mut Child, url: &str) -> Result<bool> {
    let client = Client::open(url)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if child.try_wait()?.is_some() {
            return Ok(false);
        }
        if let Ok(mut conn) = client.get_connection()
            && redis::cmd("PING").query::<String>(&mut conn).is_ok()
        {
            let info: String = redis::cmd("INFO").arg("server").query(&mut conn)?;
            let ours = format!("process_id:{}", child.id());
            return Ok(info.lines().any(|l| l.trim_end() == ours));
        }
        if Instant::now() > deadline {
            bail!("redis-server at {url} did not answer PING within 10 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One Spin process's Redis store manager (Spin's `KeyValueRedis`).
pub struct RedisProcess {
    url: String,
    connection: OnceCell<ConnectionManager>,
}

/// A compare-and-swap's own connection (Spin's `new_compare_and_swap`).
pub type CasConnection = ConnectionManager;

impl RedisProcess {
    pub fn new(url: &str) -> RedisProcess {
        RedisProcess {
            url: url.to_string(),
            connection: OnceCell::new(),
        }
    }

    /// Spin's `StoreManager::get` (connects once per process) and
    /// `after_open` (a PING whose failure is ignored).
    pub async fn open(&self) -> Result<(), String> {
        let conn = self
            .connection
            .get_or_try_init(|| async {
                Client::open(self.url.as_str())?
                    .get_connection_manager()
                    .await
            })
            .await
            .map_err(|err| format!("{err:?}"))?;
        let _ = conn.clone().ping::<()>().await;
        Ok(())
    }

    fn conn(&self) -> ConnectionManager {
        self.connection
            .get()
            .expect("a guest opens a store before using it")
            .clone()
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvFailure> {
        self.conn().get(key).await.map_err(other)
    }

    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvFailure> {
        self.conn().set(key, value).await.map_err(other)
    }

    pub async fn delete(&self, key: &str) -> Result<(), KvFailure> {
        self.conn().del(key).await.map_err(other)
    }

    pub async fn exists(&self, key: &str) -> Result<bool, KvFailure> {
        self.conn().exists(key).await.map_err(other)
    }

    pub async fn get_keys(&self) -> Result<Vec<String>, KvFailure> {
        self.conn().keys("*").await.map_err(other)
    }

    /// `KEYS k1 k2 ...` read as pairs, as Spin's `get_many` does. The
    /// crate's panic on a one-element reply is Spin's host panicking.
    pub async fn get_many(&self, keys: Vec<String>) -> Result<KeyValues, KvFailure> {
        let mut conn = self.conn();
        match AssertUnwindSafe(conn.keys::<_, KeyValues>(keys))
            .catch_unwind()
            .await
        {
            Ok(r) => r.map_err(other),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(KvFailure::HostPanic(format!(
                    "{msg} (redis 0.32.5 reading the one-key reply to `KEYS` as key/value pairs; \
                     crates/key-value-redis/src/store.rs `get_many`)"
                )))
            }
        }
    }

    pub async fn set_many(&self, key_values: Vec<(String, Vec<u8>)>) -> Result<(), KvFailure> {
        self.conn().mset(&key_values).await.map_err(other)
    }

    pub async fn delete_many(&self, keys: Vec<String>) -> Result<(), KvFailure> {
        self.conn().del(keys).await.map_err(other)
    }

    /// `INCRBY key delta`.
    pub async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvFailure> {
        self.conn().incr(key, delta).await.map_err(other)
    }

    /// A new connection manager of its own: WATCH is per connection.
    pub async fn cas_new(&self) -> Result<CasConnection, KvFailure> {
        Client::open(self.url.as_str())
            .map_err(other)?
            .get_connection_manager()
            .await
            .map_err(other)
    }

    pub async fn cas_current(
        conn: &CasConnection,
        key: &str,
    ) -> Result<Option<Vec<u8>>, KvFailure> {
        redis::cmd("WATCH")
            .arg(key)
            .exec_async(&mut conn.clone())
            .await
            .map_err(other)?;
        conn.clone().get(key).await.map_err(other)
    }

    pub async fn cas_swap(conn: &CasConnection, key: &str, value: &[u8]) -> Swap {
        let exec: Result<(), redis::RedisError> = redis::pipe()
            .atomic()
            .set(key, value)
            .query_async(&mut conn.clone())
            .await;
        // Spin maps a failed UNWATCH to `CasFailed`; the server refuses
        // `UNWATCH key` ("wrong number of arguments"), so it always fails.
        if redis::cmd("UNWATCH")
            .arg(key)
            .exec_async(&mut conn.clone())
            .await
            .is_err()
        {
            return Swap::CasFailed;
        }
        match exec {
            Ok(()) => Swap::Swapped,
            Err(_) => Swap::CasFailed,
        }
    }
}

/// A test's own blocking connection (like `redis-cli`).
pub struct TestView(Mutex<redis::Connection>);

impl TestView {
    pub fn open(url: &str) -> Result<TestView> {
        let conn = Client::open(url)?
            .get_connection()
            .context("connecting to redis-server")?;
        Ok(TestView(Mutex::new(conn)))
    }

    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut conn = self.0.lock().unwrap();
        let keys: Vec<String> = conn.keys("*").expect("listing the keys");
        keys.into_iter()
            .filter_map(|k| {
                let v: Option<Vec<u8>> = conn.get(&k).expect("reading a key");
                v.map(|v| (k, v))
            })
            .collect()
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.lock().unwrap().get(key).expect("reading a key")
    }

    pub fn set(&self, key: &str, value: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .set::<_, _, ()>(key, value)
            .expect("writing a key");
    }

    pub fn delete(&self, key: &str) {
        self.0
            .lock()
            .unwrap()
            .del::<_, ()>(key)
            .expect("deleting a key");
    }

    /// `INCRBY`, as the store's own increment.
    pub fn increment(&self, key: &str, delta: i64) -> i64 {
        self.0
            .lock()
            .unwrap()
            .incr(key, delta)
            .expect("incrementing a key")
    }
}

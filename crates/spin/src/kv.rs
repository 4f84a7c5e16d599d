//! The key-value store, as Vafa uses it: typed JSON records, counters and
//! claims on `wasi:keyvalue/atomics`, and batch reads. Keys come only from
//! [`crate::keys`].
//!
//! Spin serves this store from SQLite (`spin up`'s default) or from Redis,
//! and the two differ in ways that decide what is safe (Spin v4.0.2,
//! `crates/key-value-spin/src/store.rs` and `crates/key-value-redis/src/store.rs`;
//! docs/rules.md has the measured table). What this module does about each:
//!
//! - `increment` stores 8 little-endian bytes on SQLite and ASCII decimal on
//!   Redis: counters are decoded in both encodings ([`decode_counter`]), and
//!   a value that is neither is a damaged record (a clear 500), never a 0.
//! - SQLite's compare-and-swap upserts a key that does not exist yet, so a
//!   key is made to exist with `increment(key, 0)` before it is claimed;
//!   the claim then writes its value in the encoding the store itself used
//!   for that key, so the key can be incremented again later.
//! - Redis's swap answers `CasFailed` even when it wrote (Spin ends it with an
//!   `UNWATCH key` that Redis refuses): a failed swap is confirmed by reading
//!   the key back and comparing it with the caller's own value.
//! - Redis's get-many is sent as `KEYS k1 k2 …`, which fails for two or more
//!   keys (and makes the host panic for one key that exists): one key is
//!   always read with `get`, and once a batch read fails that way the rest of
//!   the call reads key by key.
//! - SQLite fails a write with "database is locked" when the HTTP and the
//!   cron processes write at once; nothing was applied, so it is retried with
//!   a short backoff, and only a store that stays busy (or a Redis that cannot
//!   be reached) answers 503 `store_unavailable`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};
use std::cell::Cell;
use std::collections::HashMap;
use std::time::Duration;
use crate::keys;
use vafa_core::error::{Error, Result};

/// The one store every component shares (spin.toml `key_value_stores`).
pub const STORE: &str = "default";

/// Waits between tries of an operation the store refused as busy: about
/// 60 ms in all, far longer than one of Spin's SQLite writes holds the lock.
const BUSY_BACKOFF_MS: [u64; 5] = [2, 4, 8, 16, 32];

pub struct Kv {
    bucket: store::Bucket,
    /// False once the store has shown it cannot read a batch (Redis).
    batch_reads: Cell<bool>,
}

/// How a store error is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// SQLite's "database is locked": nothing applied; try again.
    Busy,
    /// The store cannot be reached: 503, the caller may retry.
    Unreachable,
    /// Anything else: a fault on our side.
    Other,
}

impl Failure {
    fn of(e: &store::Error) -> Failure {
        let store::Error::Other(msg) = e else { return Failure::Other };
        if msg.contains("database is locked") {
            Failure::Busy
        } else if UNREACHABLE.iter().any(|s| msg.contains(s)) {
            Failure::Unreachable
        } else {
            Failure::Other
        }
    }
}

/// What the redis crate says when it has no connection (its `ErrorKind`s
/// `IoError`, `ClusterDown`, `TryAgain`, `BusyLoadingError` and the OS's
/// connection errors, as Spin formats them with `{:?}`).
const UNREACHABLE: &[&str] = &[
    "Connection refused",
    "Connection reset",
    "Broken pipe",
    "broken pipe",
    "Connection aborted",
    "timed out",
    "IoError",
    "Io error",
    "connection closed",
    "Connection closed",
    "Connection dropped",
    "not connected",
    "Redis is loading",
    "LOADING",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "MASTERDOWN",
];

fn fault(op: &str, key: &str, e: &store::Error) -> Error {
    let detail = format!("key-value {op} {}: {e:?}", loggable(key));
    match Failure::of(e) {
        Failure::Busy | Failure::Unreachable => Error::Unavailable(detail),
        Failure::Other => Error::internal(detail),
    }
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

/// The kind of record a key holds (its prefix), for messages a client sees.
fn kind_of(key: &str) -> &str {
    key.split(':').next().unwrap_or(key)
}

/// Runs a store operation, again after a short wait while the store
/// answers "database is locked" (the operation applied nothing).
fn retry_busy<T>(mut f: impl FnMut() -> Result<T, store::Error>) -> Result<T, store::Error> {
    let mut waits = BUSY_BACKOFF_MS.iter();
    loop {
        match f() {
            Err(e) if Failure::of(&e) == Failure::Busy => match waits.next() {
                Some(ms) => std::thread::sleep(Duration::from_millis(*ms)),
                None => return Err(e),
            },
            done => return done,
        }
    }
}

/// [`retry_busy`], with the error mapped for `op` on `key`.
fn run<T>(op: &str, key: &str, f: impl FnMut() -> Result<T, store::Error>) -> Result<T> {
    retry_busy(f).map_err(|e| fault(op, key, &e))
}

/// Outcome of claiming a key by compare-and-swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Won,
    /// Someone else holds it: the value found.
    Held(i64),
}

/// How a store encodes a counter it incremented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Spin's SQLite store: `i64::to_le_bytes`.
    LittleEndian,
    /// Redis `INCRBY`: ASCII decimal.
    Decimal,
}

impl Encoding {
    fn encode(self, n: i64) -> Vec<u8> {
        match self {
            Encoding::LittleEndian => n.to_le_bytes().to_vec(),
            Encoding::Decimal => n.to_string().into_bytes(),
        }
    }
}

/// A counter's value and encoding. ASCII decimal is tried first: no counter
/// a club reaches has 8 little-endian bytes that are all ASCII digits
/// (that needs a value above 3.4 × 10^18).
fn parse_counter(bytes: &[u8]) -> Option<(i64, Encoding)> {
    let decimal = std::str::from_utf8(bytes).ok().filter(|s| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    match decimal {
        Some(s) => s.parse().ok().map(|n| (n, Encoding::Decimal)),
        None => <[u8; 8]>::try_from(bytes).ok().map(|b| (i64::from_le_bytes(b), Encoding::LittleEndian)),
    }
}

/// A counter read with `get` or `get-many`, in either store's encoding.
/// Anything else is a damaged record: an error naming the key's kind, never
/// a silent 0 that would, say, free a phone that is taken.
pub fn decode_counter(key: &str, bytes: &[u8]) -> Result<i64> {
    parse_counter(bytes).map(|(n, _)| n).ok_or_else(|| not_a_counter(key, bytes))
}

fn not_a_counter(key: &str, bytes: &[u8]) -> Error {
    Error::Corrupt { kind: kind_of(key).to_string(), detail: format!("{} holds {} bytes that are not a counter", loggable(key), bytes.len()) }
}

/// The counter at `key` in a batch read (absent is 0).
pub fn counter_in(found: &HashMap<String, Vec<u8>>, key: &str) -> Result<i64> {
    found.get(key).map_or(Ok(0), |b| decode_counter(key, b))
}

/// How often a claim is tried when the store changed under it (the key
/// vanished, or a racer's write aborted our swap and nobody holds it yet).
const CLAIM_TRIES: usize = 8;

impl Kv {
    pub fn open() -> Result<Kv> {
        // Spin connects to Redis when a store is first opened.
        let bucket = run("open", STORE, || store::open(STORE))?;
        Ok(Kv { bucket, batch_reads: Cell::new(true) })
    }

    pub fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>> {
        run("get", key, || self.bucket.get(key))
    }

    pub fn set_raw(&self, key: &str, value: &[u8]) -> Result<()> {
        run("set", key, || self.bucket.set(key, value))
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        run("delete", key, || self.bucket.delete(key))
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get_raw(key)?.map(|bytes| decode(key, &bytes)).transpose()
    }

    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.set_raw(key, &encode(key, value)?)
    }

    /// Reads many keys, in one call where the store can (SQLite). Answers
    /// only the keys that exist.
    pub fn get_many(&self, keys: &[String]) -> Result<HashMap<String, Vec<u8>>> {
        match keys {
            [] => return Ok(HashMap::new()),
            // Never a one-key batch: on Redis it makes Spin's host panic.
            [key] => return Ok(self.get_raw(key)?.map(|v| (key.clone(), v)).into_iter().collect()),
            _ if self.batch_reads.get() => match retry_busy(|| batch::get_many(&self.bucket, keys)) {
                Ok(found) => return Ok(found.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect()),
                // Spin's Redis store sends `KEYS k1 k2 …`, which Redis refuses.
                Err(store::Error::Other(msg)) if msg.contains("wrong number of arguments for 'keys'") => self.batch_reads.set(false),
                Err(e) => return Err(fault("get-many", &keys[0], &e)),
            },
            _ => {}
        }
        let mut found = HashMap::with_capacity(keys.len());
        for key in keys {
            if let Some(v) = self.get_raw(key)? {
                found.insert(key.clone(), v);
            }
        }
        Ok(found)
    }

    /// Writes many keys in one call (one commit on SQLite, `MSET` on Redis).
    pub fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<()> {
        match pairs.as_slice() {
            [] => Ok(()),
            [(key, value)] => self.set_raw(key, value),
            [(first, _), ..] => retry_busy(|| batch::set_many(&self.bucket, &pairs)).map_err(|e| fault("set-many", first, &e)),
        }
    }

    /// A record, encoded for [`Kv::set_many`].
    pub fn entry<T: Serialize>(key: String, value: &T) -> Result<(String, Vec<u8>)> {
        let bytes = encode(&key, value)?;
        Ok((key, bytes))
    }

    /// A number kept as text (an index slot pointing at a record).
    pub fn get_number(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.get_raw(key)?.as_deref().and_then(number_value))
    }

    pub fn set_number(&self, key: &str, n: u64) -> Result<()> {
        self.set_raw(key, n.to_string().as_bytes())
    }

    /// Appends `value` to a list kept as a counter (`len`) and one key per
    /// slot (`slot(k)`): an increment and a write. A kill between the two
    /// leaves an empty slot, which readers skip.
    pub fn append(&self, len: &str, slot: impl Fn(u64) -> String, value: &[u8]) -> Result<u64> {
        let k = self.increment(len, 1)? as u64;
        self.set_raw(&slot(k), value)?;
        Ok(k)
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
        run("increment", key, || atomics::increment(&self.bucket, key, delta))
    }

    /// Reads a counter without writing it (`increment(key, 0)` would create it).
    pub fn counter(&self, key: &str) -> Result<i64> {
        self.get_raw(key)?.map_or(Ok(0), |b| decode_counter(key, &b))
    }

    /// First writer wins: true for exactly one caller per key.
    pub fn claim(&self, key: &str) -> Result<bool> {
        Ok(self.increment(key, 1)? == 1)
    }

    /// Claims a counter key for `value` if it holds 0 or one of `free`.
    /// `value` must be unique to the caller (a fresh member number): the
    /// claim is confirmed by reading it back. Exclusive on both stores: the
    /// key is made to exist first, so the swap is an `UPDATE … WHERE value
    /// = old` on SQLite and a WATCH/MULTI on Redis.
    pub fn claim_slot(&self, key: &str, free: &[i64], value: i64) -> Result<Claim> {
        // Made to exist once per claim, not per try: on Redis an `INCRBY 0`
        // counts as a change and would abort every racer's WATCH again.
        let mut exists = false;
        for _ in 0..CLAIM_TRIES {
            if !exists {
                self.increment(key, 0)?;
                exists = true;
            }
            let cas = run("cas", key, || atomics::Cas::new(&self.bucket, key))?;
            let Some(seen) = run("cas-current", key, || cas.current())? else {
                exists = false; // deleted since: make it exist again
                continue;
            };
            let (current, encoding) = parse_counter(&seen).ok_or_else(|| not_a_counter(key, &seen))?;
            if current != 0 && current != value && !free.contains(&current) {
                return Ok(Claim::Held(current));
            }
            match self.swap(key, cas, &encoding.encode(value))? {
                Swapped::Written => return Ok(Claim::Won),
                Swapped::Busy => continue,
                Swapped::Unconfirmed => {}
            }
            match self.counter(key)? {
                n if n == value => return Ok(Claim::Won),
                n if n != 0 && !free.contains(&n) => return Ok(Claim::Held(n)),
                _ => continue, // nobody holds it yet (our swap was aborted): again
            }
        }
        Err(Error::Unavailable(format!("claim of {} kept changing under us", loggable(key))))
    }
}

impl Kv {
    /// Adds `id` to the JSON list of ids at `key`, once (through [`Kv::edit`]).
    pub fn list_add(&self, key: &str, id: &str, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.edit(key, now, |ids: Option<Vec<String>>| {
            let mut ids = ids.unwrap_or_default();
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
            Ok((ids, ()))
        })
    }

    /// Takes `id` out of the JSON list of ids at `key`.
    pub fn list_remove(&self, key: &str, id: &str, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.edit(key, now, |ids: Option<Vec<String>>| Ok((ids.unwrap_or_default().into_iter().filter(|i| i != id).collect::<Vec<_>>(), ())))
    }
}

/// What a compare-and-swap's swap came to.
enum Swapped {
    /// The store says it wrote, and it tells the truth when it says so
    /// (SQLite; Spin's Redis store never says it).
    Written,
    /// The store says it did not write. Redis says so even when it did
    /// (Spin ends the swap with an `UNWATCH key` that Redis refuses): the
    /// caller reads the key back to settle it.
    Unconfirmed,
    /// "database is locked": nothing written; try again.
    Busy,
}

impl Kv {
    fn swap(&self, key: &str, cas: atomics::Cas, value: &[u8]) -> Result<Swapped> {
        match atomics::swap(cas, value) {
            Ok(()) => Ok(Swapped::Written),
            Err(atomics::CasError::CasFailed(_)) => Ok(Swapped::Unconfirmed),
            Err(atomics::CasError::StoreError(e)) if Failure::of(&e) == Failure::Busy => Ok(Swapped::Busy),
            Err(atomics::CasError::StoreError(e)) => Err(fault("cas-swap", key, &e)),
        }
    }
}

/// [`Kv::update_raw`]'s decision: the stored bytes to what to write (`None`: nothing).
pub type RawUpdate<'a> = dyn FnMut(&[u8]) -> Result<Option<Vec<u8>>> + 'a;

/// [`Kv::edit_raw`]'s decision: the stored bytes (`None`: absent) to what to write.
pub type RawEdit<'a> = dyn FnMut(Option<&[u8]>) -> Result<Vec<u8>> + 'a;

/// How often [`Kv::update`] tries before it gives up (each failed try means
/// another writer changed the record in between, so this bounds the
/// number of racers one update outlasts).
const UPDATE_TRIES: usize = 100;

impl Kv {
    /// Replaces the JSON record at `key` by compare-and-swap: `decide` sees
    /// the record as it is and returns what to write (`None`: write
    /// nothing), and runs again when another writer got there first. The
    /// record must exist already (Spin's SQLite CAS upserts an absent key,
    /// so it would not be exclusive): an absent record is `None` from this
    /// function. A swap the store calls failed is settled by reading back
    /// (Redis answers `CasFailed` even when it wrote), so what `decide`
    /// writes must be unique to this change.
    pub fn update<T: Serialize + DeserializeOwned>(&self, key: &str, mut decide: impl FnMut(T) -> Result<Option<T>>) -> Result<Option<()>> {
        self.update_raw(key, &mut |seen| decide(decode(key, seen)?)?.map(|next| encode(key, &next)).transpose())
    }

    /// [`Kv::update`] on the stored bytes. Not generic, so every record's
    /// update shares one copy of the loop.
    pub fn update_raw(&self, key: &str, decide: &mut RawUpdate<'_>) -> Result<Option<()>> {
        for _ in 0..UPDATE_TRIES {
            let cas = run("cas", key, || atomics::Cas::new(&self.bucket, key))?;
            let Some(seen) = run("cas-current", key, || cas.current())? else { return Ok(None) };
            let Some(bytes) = decide(&seen)? else { return Ok(Some(())) };
            match self.swap(key, cas, &bytes)? {
                Swapped::Written => return Ok(Some(())),
                Swapped::Busy => continue,
                Swapped::Unconfirmed => {}
            }
            if self.get_raw(key)?.is_some_and(|now| now == bytes) {
                return Ok(Some(()));
            }
        }
        Err(Error::Unavailable(format!("update of {} kept meeting other writers", loggable(key))))
    }
}

impl Kv {
    /// Changes the record a client edits at `key` by `decide`, which sees
    /// the record as it stands (`None`: absent) and returns the next one and
    /// what to answer, or an error (a stale `If-Match` among them), which
    /// writes nothing. An existing record changes by compare-and-swap, so
    /// the check and the write see the same version. An absent one is
    /// created by the one writer that claims its creation this minute (a
    /// compare-and-swap cannot create a key exclusively on Spin's SQLite
    /// store); a second writer that minute answers 503, to retry once the
    /// record exists. A writer killed between claim and write holds
    /// creation off only until the next minute.
    pub fn edit<R: Serialize + DeserializeOwned, A>(&self, key: &str, now: chrono::DateTime<chrono::Utc>, mut decide: impl FnMut(Option<R>) -> Result<(R, A)>) -> Result<A> {
        let mut answer = None;
        self.edit_raw(key, now, &mut |seen| {
            let (next, a) = decide(seen.map(|bytes| decode(key, bytes)).transpose()?)?;
            answer = Some(a);
            encode(key, &next)
        })?;
        answer.ok_or_else(|| Error::internal("an edit decided nothing"))
    }

    /// [`Kv::edit`] on the stored bytes: `decide` returns what to write.
    /// Not generic, so every record's edit shares one copy.
    pub fn edit_raw(&self, key: &str, now: chrono::DateTime<chrono::Utc>, decide: &mut RawEdit<'_>) -> Result<()> {
        if self.update_raw(key, &mut |current| decide(Some(current)).map(Some))?.is_some() {
            return Ok(());
        }
        let next = decide(None)?;
        if !self.claim(&keys::creating(key, now.timestamp().div_euclid(60)))? {
            return Err(Error::Unavailable(format!("{} is being created by another request", loggable(key))));
        }
        // Made by an earlier minute's writer since this call looked.
        if self.get_raw(key)?.is_some() {
            return Err(Error::Unavailable(format!("{} was created while this request ran", loggable(key))));
        }
        self.set_raw(key, &next)
    }
}

/// Keys per `get-many`.
pub const BATCH: usize = 200;

fn number_value(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn encode<T: Serialize>(key: &str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::internal(format!("encoding {}: {e}", loggable(key))))
}

/// The record at `key` in a batch read, or its default when absent.
pub fn decoded_or_default<T: DeserializeOwned + Default>(found: &HashMap<String, Vec<u8>>, key: &str) -> Result<T> {
    found.get(key).map_or_else(|| Ok(T::default()), |bytes| decode(key, bytes))
}

pub fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt { kind: kind_of(key).to_string(), detail: format!("{}: {e}", loggable(key)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_decode_in_both_stores_encodings() {
        let check = |bytes: &[u8], expect: Option<(i64, Encoding)>| assert_eq!(parse_counter(bytes), expect, "{bytes:?}");
        check(b"0", Some((0, Encoding::Decimal)));
        check(b"42", Some((42, Encoding::Decimal)));
        check(b"-7", Some((-7, Encoding::Decimal)));
        check(b"12345678", Some((12_345_678, Encoding::Decimal)));
        check(&42i64.to_le_bytes(), Some((42, Encoding::LittleEndian)));
        check(&(-3i64).to_le_bytes(), Some((-3, Encoding::LittleEndian)));
        check(&0i64.to_le_bytes(), Some((0, Encoding::LittleEndian)));
        check(b"", None);
        check(b"-", None);
        check(b"{\"a\":1}", None);
        check(b"4 2", None);
        check(b"99999999999999999999", None);
    }

    #[test]
    fn a_claim_writes_in_the_encoding_the_store_used() {
        for n in [0, 7, -1, 1_000_000] {
            for enc in [Encoding::LittleEndian, Encoding::Decimal] {
                assert_eq!(parse_counter(&enc.encode(n)), Some((n, enc)));
            }
        }
    }

    #[test]
    fn a_damaged_counter_names_its_kind_and_masks_the_phone() {
        let Err(Error::Corrupt { kind, detail }) = decode_counter("phone:+989121234567", b"junk") else { panic!("not corrupt") };
        assert_eq!(kind, "phone");
        assert!(detail.contains("phone:+98912***4567"), "{detail}");
        assert!(!detail.contains("9121234567"), "{detail}");
    }

    #[test]
    fn store_errors_are_classified() {
        let check = |msg: &str, expect: Failure| assert_eq!(Failure::of(&store::Error::Other(msg.into())), expect, "{msg}");
        check(r#"SqliteFailure(Error { code: DatabaseBusy, extended_code: 5 }, Some("database is locked"))"#, Failure::Busy);
        check("Connection refused (os error 111)", Failure::Unreachable);
        check("Reconnecting failed: Connection refused (os error 111)", Failure::Unreachable);
        check("broken pipe", Failure::Unreachable);
        check("An error was signalled by the server - ResponseError: value is not an integer or out of range", Failure::Other);
        check("injected key-value fault: operation 2 (get) fails", Failure::Other);
        assert_eq!(Failure::of(&store::Error::AccessDenied), Failure::Other);
    }
}

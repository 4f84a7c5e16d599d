//! The key-value interfaces a guest imports, over its process's connection
//! to the store ([`ProcessKv`], either backend):
//! `fermyon:spin/key-value@2.0.0`, `wasi:keyvalue/store`, `atomics` and
//! `batch` (`@0.2.0-draft2`). Both families are views of the same store per
//! label, as in Spin's `crates/factor-key-value/src/host.rs` (v4.0.2), whose
//! order of checks, error mapping and resource-table limits this follows.
//!
//! What the host adds, all harsher than Spin:
//! - every function of these interfaces (`open` included; not resource
//!   drops) yields to the tokio scheduler once before it runs, so
//!   concurrent instances interleave at every key-value operation;
//! - every operation that reads or writes data is counted (`open` is not:
//!   it only resolves a label), and a test can make the Nth counted
//!   operation of a call fail with the interface's error or trap
//!   ([`Fault`]); writes are also counted apart;
//! - a key over 256 bytes or a value over 1 MiB traps the instance with a
//!   message: the design keeps inside the limits Spin's key-value guide
//!   promises on every backend, so crossing them is a bug even where
//!   SQLite would accept it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::bindings::fermyon::spin::key_value as spin_kv;
use crate::bindings::wasi::keyvalue::{atomics, batch, store as wasi_kv};
use crate::kv::{CasState, KvFailure, ProcessKv, Swap, database_is_locked};

/// Longest key the design allows (Spin's key-value guide: 256 bytes).
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value the design allows (Spin's key-value guide: 1 MB).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Spin's `DEFAULT_STORE_TABLE_CAPACITY`: open stores (both interface
/// families share one table) and compare-and-swap handles per instance.
const TABLE_CAPACITY: u32 = 256;

/// What an injected fault does to the chosen operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The operation returns its interface's error (`other("...")`).
    Error,
    /// The instance traps in the operation.
    Trap,
    /// The operation returns, applying nothing, the error Spin's SQLite
    /// store gives when another process holds the write lock:
    /// `SqliteFailure(Error { code: DatabaseBusy, extended_code: 5 },
    /// Some("database is locked"))`. On Redis it is simply that error.
    Locked,
    /// The operation returns the error Spin's Redis store gives once its
    /// client stops waiting for a server that is down: `Reconnecting
    /// failed: Connection refused (os error 111)`. Measured with redis
    /// 0.32.5 (Spin 4.0.2's), which first retries for 5 to 10 minutes, too
    /// long for a test to wait out (`Host::stop_kv_server` shows the wait).
    Unreachable,
}

/// A call's key-value operations so far, and how many of them write.
#[derive(Default)]
pub struct KvCounts {
    ops: AtomicU32,
    writes: AtomicU32,
    /// Each operation's name (`get`, `increment`, `set-many`…), in order.
    trace: std::sync::Mutex<Vec<String>>,
}

impl KvCounts {
    pub fn trace(&self) -> Vec<String> {
        self.trace.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn ops(&self) -> u32 {
        self.ops.load(Ordering::SeqCst)
    }

    pub fn writes(&self) -> u32 {
        self.writes.load(Ordering::SeqCst)
    }
}

/// `fermyon:spin/key-value.store`
pub struct SpinStore {
    label: String,
}

/// `wasi:keyvalue/store.bucket`
pub struct Bucket {
    label: String,
}

/// `wasi:keyvalue/atomics.cas`: the key and the backend's state.
pub struct Cas {
    label: String,
    key: String,
    state: CasState,
}

/// Per-call key-value state.
pub struct KvCall {
    /// The connection of the process serving this call's trigger.
    pub kv: Arc<ProcessKv>,
    /// The component's `key_value_stores`.
    pub allowed: Arc<BTreeSet<String>>,
    pub counts: Arc<KvCounts>,
    pub fault: Option<(u32, Fault)>,
    /// Yield to the scheduler before each operation (see `Options`).
    pub interleave: bool,
    live_stores: u32,
    live_cas: u32,
}

impl KvCall {
    pub fn new(
        kv: Arc<ProcessKv>,
        allowed: Arc<BTreeSet<String>>,
        fault: Option<(u32, Fault)>,
        interleave: bool,
    ) -> KvCall {
        KvCall {
            kv,
            allowed,
            counts: Arc::default(),
            fault,
            interleave,
            live_stores: 0,
            live_cas: 0,
        }
    }

    /// Opening a store reads and writes no data (Spin resolves the label to
    /// a handle; Redis connects the first time), so it yields like any call
    /// but is not counted as a key-value operation and is never the target
    /// of a fault. Spin checks the label first, then gets the store.
    async fn open(&mut self, label: &str) -> Result<(), OpenFailure> {
        if self.interleave {
            tokio::task::yield_now().await;
        }
        if !self.allowed.contains(label) {
            return Err(OpenFailure::AccessDenied);
        }
        self.kv.open().await.map_err(OpenFailure::Other)
    }

    /// Counts the operation, yields once, and applies an injected fault.
    /// `Ok(Some(msg))`: the operation must return its error with `msg`.
    async fn begin(&mut self, op: &str) -> wasmtime::Result<Option<String>> {
        let n = self.counts.ops.fetch_add(1, Ordering::SeqCst) + 1;
        self.counts.trace.lock().unwrap_or_else(|e| e.into_inner()).push(op.to_string());
        if WRITES.contains(&op) {
            self.counts.writes.fetch_add(1, Ordering::SeqCst);
        }
        if self.interleave {
            tokio::task::yield_now().await;
        }
        match self.fault {
            Some((nth, Fault::Error)) if nth == n => Ok(Some(format!(
                "injected key-value fault: operation {n} ({op}) fails"
            ))),
            Some((nth, Fault::Trap)) if nth == n => Err(wasmtime::Error::msg(format!(
                "injected key-value fault: operation {n} ({op}) traps"
            ))),
            Some((nth, Fault::Locked)) if nth == n => Ok(Some(database_is_locked())),
            Some((nth, Fault::Unreachable)) if nth == n => Ok(Some("Reconnecting failed: Connection refused (os error 111)".to_string())),
            _ => Ok(None),
        }
    }
}

/// The operations that write (counted in `kv_writes` too).
const WRITES: [&str; 6] = [
    "set",
    "delete",
    "increment",
    "swap",
    "set-many",
    "delete-many",
];

enum OpenFailure {
    AccessDenied,
    Other(String),
}

/// The view the generated host traits are implemented for.
pub struct KvView<'a> {
    pub call: &'a mut KvCall,
    pub table: &'a mut ResourceTable,
}

pub struct KvHost;

impl HasData for KvHost {
    type Data<'a> = KvView<'a>;
}

fn check_key(key: &str) -> wasmtime::Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(wasmtime::Error::msg(format!(
            "key-value limit exceeded: key of {} bytes (starting {:?}); the design allows at most {MAX_KEY_BYTES} \
             (Spin's key-value guide). The test host fails the call on purpose, stricter than Spin.",
            key.len(),
            key.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

fn check_value(key: &str, value: &[u8]) -> wasmtime::Result<()> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(wasmtime::Error::msg(format!(
            "key-value limit exceeded: value of {} bytes for key {key:?}; the design allows at most {MAX_VALUE_BYTES} \
             (Spin's key-value guide: 1 MB). The test host fails the call on purpose, stricter than Spin.",
            value.len()
        )));
    }
    Ok(())
}

fn host_panic(msg: String) -> wasmtime::Error {
    wasmtime::Error::msg(format!("Spin's key-value host panicked: {msg}"))
}

/// Maps a store result onto an interface result: `Other` is the
/// interface's error, a host panic traps.
fn map<T, E>(
    r: Result<T, KvFailure>,
    other: impl FnOnce(String) -> E,
) -> wasmtime::Result<Result<T, E>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(KvFailure::Other(m)) => Ok(Err(other(m))),
        Err(KvFailure::HostPanic(m)) => Err(host_panic(m)),
    }
}

// ---------------------------------------------------------------------------
// fermyon:spin/key-value@2.0.0
// ---------------------------------------------------------------------------

impl spin_kv::Host for KvView<'_> {}

impl spin_kv::HostStore for KvView<'_> {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<SpinStore>, spin_kv::Error>> {
        match self.call.open(&label).await {
            Ok(()) => {}
            Err(OpenFailure::AccessDenied) => return Ok(Err(spin_kv::Error::AccessDenied)),
            Err(OpenFailure::Other(m)) => return Ok(Err(spin_kv::Error::Other(m))),
        }
        if self.call.live_stores >= TABLE_CAPACITY {
            return Ok(Err(spin_kv::Error::StoreTableFull));
        }
        self.call.live_stores += 1;
        Ok(Ok(self.table.push(SpinStore { label })?))
    }

    async fn get(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, spin_kv::Error>> {
        if let Some(m) = self.call.begin("get").await? {
            return Ok(Err(spin_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = &self.table.get(&store)?.label;
        map(self.call.kv.get(label, &key).await, spin_kv::Error::Other)
    }

    async fn set(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        if let Some(m) = self.call.begin("set").await? {
            return Ok(Err(spin_kv::Error::Other(m)));
        }
        check_key(&key)?;
        check_value(&key, &value)?;
        let label = &self.table.get(&store)?.label;
        map(
            self.call.kv.set(label, &key, &value).await,
            spin_kv::Error::Other,
        )
    }

    async fn delete(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        if let Some(m) = self.call.begin("delete").await? {
            return Ok(Err(spin_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = &self.table.get(&store)?.label;
        map(
            self.call.kv.delete(label, &key).await,
            spin_kv::Error::Other,
        )
    }

    async fn exists(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, spin_kv::Error>> {
        if let Some(m) = self.call.begin("exists").await? {
            return Ok(Err(spin_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = &self.table.get(&store)?.label;
        map(
            self.call.kv.exists(label, &key).await,
            spin_kv::Error::Other,
        )
    }

    async fn get_keys(
        &mut self,
        store: Resource<SpinStore>,
    ) -> wasmtime::Result<Result<Vec<String>, spin_kv::Error>> {
        if let Some(m) = self.call.begin("get-keys").await? {
            return Ok(Err(spin_kv::Error::Other(m)));
        }
        let label = &self.table.get(&store)?.label;
        map(self.call.kv.get_keys(label).await, spin_kv::Error::Other)
    }

    async fn drop(&mut self, store: Resource<SpinStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.call.live_stores -= 1;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// wasi:keyvalue/store@0.2.0-draft2
// ---------------------------------------------------------------------------

impl wasi_kv::Host for KvView<'_> {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<Bucket>, wasi_kv::Error>> {
        match self.call.open(&identifier).await {
            Ok(()) => {}
            Err(OpenFailure::AccessDenied) => return Ok(Err(wasi_kv::Error::AccessDenied)),
            Err(OpenFailure::Other(m)) => return Ok(Err(wasi_kv::Error::Other(m))),
        }
        if self.call.live_stores >= TABLE_CAPACITY {
            return Ok(Err(wasi_kv::Error::Other("store table full".into())));
        }
        self.call.live_stores += 1;
        Ok(Ok(self.table.push(Bucket { label: identifier })?))
    }
}

impl wasi_kv::HostBucket for KvView<'_> {
    async fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_kv::Error>> {
        if let Some(m) = self.call.begin("get").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = &self.table.get(&bucket)?.label;
        map(self.call.kv.get(label, &key).await, wasi_kv::Error::Other)
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wasi_kv::Error>> {
        if let Some(m) = self.call.begin("set").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        check_key(&key)?;
        check_value(&key, &value)?;
        let label = &self.table.get(&bucket)?.label;
        map(
            self.call.kv.set(label, &key, &value).await,
            wasi_kv::Error::Other,
        )
    }

    async fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), wasi_kv::Error>> {
        if let Some(m) = self.call.begin("delete").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = &self.table.get(&bucket)?.label;
        map(
            self.call.kv.delete(label, &key).await,
            wasi_kv::Error::Other,
        )
    }

    async fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, wasi_kv::Error>> {
        if let Some(m) = self.call.begin("exists").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = &self.table.get(&bucket)?.label;
        map(
            self.call.kv.exists(label, &key).await,
            wasi_kv::Error::Other,
        )
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<wasi_kv::KeyResponse, wasi_kv::Error>> {
        if let Some(m) = self.call.begin("list-keys").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        if cursor.is_some() {
            return Ok(Err(wasi_kv::Error::Other(
                "list_keys: cursor not supported".to_owned(),
            )));
        }
        let label = &self.table.get(&bucket)?.label;
        map(
            self.call
                .kv
                .get_keys(label)
                .await
                .map(|keys| wasi_kv::KeyResponse { keys, cursor: None }),
            wasi_kv::Error::Other,
        )
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        self.call.live_stores -= 1;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// wasi:keyvalue/atomics@0.2.0-draft2
// ---------------------------------------------------------------------------

impl KvView<'_> {
    /// `cas.new` without counting: also used inside a failed `swap`, as
    /// Spin's `swap` calls its own `new` and `current`. The store makes
    /// the handle (Redis connects) before the table takes it.
    async fn new_cas(
        &mut self,
        label: String,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, wasi_kv::Error>> {
        let state = match map(self.call.kv.cas_new().await, wasi_kv::Error::Other)? {
            Ok(state) => state,
            Err(e) => return Ok(Err(e)),
        };
        if self.call.live_cas >= TABLE_CAPACITY {
            return Ok(Err(wasi_kv::Error::Other(
                "too many compare_and_swaps opened".to_string(),
            )));
        }
        self.call.live_cas += 1;
        Ok(Ok(self.table.push(Cas { label, key, state })?))
    }

    async fn cas_current(
        &mut self,
        cas: &Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_kv::Error>> {
        let entry = self.table.get_mut(cas)?;
        let r = self
            .call
            .kv
            .cas_current(&entry.label, &entry.key, &mut entry.state)
            .await;
        map(r, wasi_kv::Error::Other)
    }
}

impl atomics::HostCas for KvView<'_> {
    async fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, wasi_kv::Error>> {
        if let Some(m) = self.call.begin("cas.new").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = self.table.get(&bucket)?.label.clone();
        self.new_cas(label, key).await
    }

    async fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_kv::Error>> {
        if let Some(m) = self.call.begin("cas.current").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        self.cas_current(&cas).await
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        self.call.live_cas -= 1;
        Ok(())
    }
}

impl atomics::Host for KvView<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, wasi_kv::Error>> {
        if let Some(m) = self.call.begin("increment").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        check_key(&key)?;
        let label = &self.table.get(&bucket)?.label;
        map(
            self.call.kv.increment(label, &key, delta).await,
            wasi_kv::Error::Other,
        )
    }

    async fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        if let Some(m) = self.call.begin("swap").await? {
            return Ok(Err(atomics::CasError::StoreError(wasi_kv::Error::Other(m))));
        }
        // Spin never removes a swapped handle from its table (the guest
        // gave up ownership and no drop follows), so it keeps counting
        // against the 256 handles of the instance: `live_cas` stays.
        let entry = self.table.delete(cas)?;
        check_value(&entry.key, &value)?;
        let swapped = self
            .call
            .kv
            .cas_swap(&entry.label, &entry.key, entry.state, &value)
            .await;
        match swapped {
            Ok(Swap::Swapped) => Ok(Ok(())),
            Ok(Swap::CasFailed) => {
                // Spin hands back a fresh handle whose `current` has run.
                let fresh = match self.new_cas(entry.label, entry.key).await? {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(atomics::CasError::StoreError(e))),
                };
                if let Err(e) = self.cas_current(&fresh).await? {
                    return Ok(Err(atomics::CasError::StoreError(e)));
                }
                Ok(Err(atomics::CasError::CasFailed(fresh)))
            }
            Err(KvFailure::Other(m)) => {
                Ok(Err(atomics::CasError::StoreError(wasi_kv::Error::Other(m))))
            }
            Err(KvFailure::HostPanic(m)) => Err(host_panic(m)),
        }
    }
}

// ---------------------------------------------------------------------------
// wasi:keyvalue/batch@0.2.0-draft2
// ---------------------------------------------------------------------------

impl batch::Host for KvView<'_> {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, wasi_kv::Error>> {
        if let Some(m) = self.call.begin("get-many").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        keys.iter().try_for_each(|k| check_key(k))?;
        let label = &self.table.get(&bucket)?.label;
        if keys.is_empty() {
            return Ok(Ok(vec![]));
        }
        map(
            self.call.kv.get_many(label, keys).await,
            wasi_kv::Error::Other,
        )
    }

    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), wasi_kv::Error>> {
        if let Some(m) = self.call.begin("set-many").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        for (k, v) in &key_values {
            check_key(k)?;
            check_value(k, v)?;
        }
        let label = &self.table.get(&bucket)?.label;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        map(
            self.call.kv.set_many(label, key_values).await,
            wasi_kv::Error::Other,
        )
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), wasi_kv::Error>> {
        if let Some(m) = self.call.begin("delete-many").await? {
            return Ok(Err(wasi_kv::Error::Other(m)));
        }
        keys.iter().try_for_each(|k| check_key(k))?;
        let label = &self.table.get(&bucket)?.label;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        map(
            self.call.kv.delete_many(label, keys).await,
            wasi_kv::Error::Other,
        )
    }
}

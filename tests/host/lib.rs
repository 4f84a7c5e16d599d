//! Vafa's test host: the real `.wasm` components, run in wasmtime the way
//! Spin 4.0.2 (with the cron plugin 0.3.0) runs them, never kinder.
//!
//! Code map (each module cites the Spin source it follows):
//! - [`manifest`]: spin.toml as far as it is served; anything else refused.
//! - [`guests`]: `spin build`, the engine, the on-disk compile cache.
//! - [`instance`]: one call's store and the shared linker.
//! - [`kv`]: the key-value store on either of Spin's backends
//!   ([`KvBackend`]): `kv_sqlite` (Spin's SQLite store, one file per host
//!   with one connection per trigger process, as `spin up` has it) or
//!   `kv_redis` (a throwaway `redis-server` per host, Spin's commands).
//!   `kv_interfaces`: both key-value interface families, counting and
//!   faults.
//! - [`vars`]: variables and templates. [`outbound`]: allowed hosts, the
//!   loopback fence, `wasi:http` sending. [`routes`]: Spin's router.
//! - `trigger_http`, `trigger_cron`: the two triggers. `clock`: the wall
//!   clock tests set. [`panel`]: the fake SMS panel. [`store_platforms`]: the
//!   fake WooCommerce and Shopify shops. [`browser`]: a
//!   headless Chromium over WebDriver, for pages served by [`Host::serve`].
//!
//! **Architecture invariant:** tests reach the components only through
//! [`Host`], and the host links no component code: it loads `.wasm` files.
//!
//! Use (each test gets its own host: its own store, clock and panel):
//!
//! ```text
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn member_is_created() {
//!     let host = Host::start().await.unwrap();
//!     let r = host.admin("POST", "/api/members", Some(json!({"phone": "09121234567"}))).await;
//!     assert_eq!(r.status, 201, "{}", r.text());
//!     assert_eq!(host.panel().delivered().len(), 0);
//! }
//! ```
//!
//! `Host::start` runs each component's `spin build` command once per
//! process and loads the compiled code from `target/vafa-test-host/`.
//! Every key-value operation that reads or writes data counts in
//! `Reply::kv_ops` (opening a store does not), writes also in
//! `Reply::kv_writes`.
//!
//! The key-value backend is `Options::kv_backend`, else the environment
//! variable `VAFA_TEST_KV` (`sqlite`, the default, or `redis`, which needs
//! `redis-server` on the PATH): `VAFA_TEST_KV=redis cargo test` runs the
//! suite on Redis.

mod bindings;
mod clock;
pub mod guests;
mod instance;
pub mod kv;
mod kv_interfaces;
mod kv_redis;
mod kv_sqlite;
pub mod manifest;
pub mod outbound;
pub mod panel;
pub mod store_platforms;
pub mod browser;
pub mod routes;
mod trigger_cron;
mod trigger_http;
pub mod vars;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail, ensure};
use chrono::{DateTime, Utc};

pub use kv::{KvBackend, WriteLock};
pub use kv_interfaces::{Fault, MAX_KEY_BYTES, MAX_VALUE_BYTES};

use crate::guests::Loaded;
use crate::instance::{CallSetup, CallState, Output};
use crate::kv::{KvStore, Trigger};
use crate::kv_interfaces::{KvCall, KvCounts};
use crate::manifest::Manifest;
use crate::outbound::AllowedHostsSpec;
use crate::routes::{RouteMatch, Router};
use crate::vars::Variables;

/// The key-value label every Vafa component uses.
pub const DEFAULT_STORE: &str = "default";

/// The admin token the host provides for `admin_token`.
pub const ADMIN_TOKEN: &str = "test-admin-token";
/// The token the host provides for `callback_token`.
pub const CALLBACK_TOKEN: &str = "test-callback-token";

/// A component that is not in spin.toml (test guests), built and served
/// like the others but reached only through `request_component`/`cron`.
#[derive(Clone, Debug, Default)]
pub struct ExtraComponent {
    pub name: String,
    /// The crate's directory relative to the workspace root; it is built
    /// with `cargo build --target wasm32-wasip2 --release` there.
    pub crate_dir: String,
    pub key_value_stores: Vec<String>,
    /// `[component.X.variables]`: name -> template over app variables.
    pub variables: Vec<(String, String)>,
    pub allowed_outbound_hosts: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub extra_components: Vec<ExtraComponent>,
    /// Values for app variables (like `SPIN_VARIABLE_<NAME>`), applied over
    /// the host's defaults before the required-variable check.
    pub variables: Vec<(String, String)>,
    /// Measure like Spin: do not yield to the scheduler before each
    /// key-value operation. Tests keep the yield, so concurrent instances
    /// interleave at every operation (harsher than Spin); the benchmark
    /// turns it off so the figures are not the yield's.
    pub no_interleave: bool,
    /// The key-value backend; `None`: `VAFA_TEST_KV` decides.
    pub kv_backend: Option<KvBackend>,
    /// Open SQLite as Spin does, every commit durable (fsync), for the
    /// benchmarks; tests skip fsync for speed.
    pub durable: bool,
}

/// What an HTTP client would see, plus what the guest printed.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Key-value operations the call made.
    pub kv_ops: u32,
    /// Those of them that write (set, delete, increment, swap, set-many,
    /// delete-many).
    pub kv_writes: u32,
    pub stdout: String,
    pub stderr: String,
    /// Set when the guest trapped (the status is then Spin's 500, unless
    /// the response had already started).
    pub trap: Option<String>,
}

impl Reply {
    /// The body as JSON; panics with the status and body text if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response {} is not JSON ({e}): {:?}{}",
                self.status,
                self.text(),
                self.trap
                    .as_deref()
                    .map(|t| format!("\ntrap: {t}"))
                    .unwrap_or_default()
            )
        })
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The outcome of one cron event.
#[derive(Clone, Debug)]
pub struct Tick {
    /// The component's `result<_, error>`; a trap is `Err("cron handler
    /// trapped: ...")`, as the plugin reports it.
    pub result: Result<(), String>,
    pub kv_ops: u32,
    pub kv_writes: u32,
    /// The key-value operations' names (`get`, `increment`, `set-many`…),
    /// in order: operation `n` of a fault is `kv_trace[n - 1]`.
    pub kv_trace: Vec<String>,
    pub stdout: String,
    pub stderr: String,
    pub trap: Option<String>,
}

/// One served component.
pub(crate) struct ComponentRt {
    name: String,
    pub loaded: Arc<Loaded>,
    allowed_stores: Arc<BTreeSet<String>>,
    allowed_hosts: AllowedHostsSpec,
    environment: Vec<(String, String)>,
}

pub(crate) struct App {
    pub name: String,
    pub version: String,
    pub router: Router,
    components: HashMap<String, ComponentRt>,
}

pub(crate) struct Inner {
    pub app: App,
    kv: KvStore,
    vars: Arc<Variables>,
    clock: clock::Clock,
    fault: Mutex<Option<(u32, Fault)>>,
    panel: panel::FakePanel,
    platforms: store_platforms::FakeStores,
    interleave: bool,
}

impl Inner {
    pub fn component(&self, name: &str) -> &ComponentRt {
        self.app.components.get(name).unwrap_or_else(|| {
            panic!(
                "no component {name:?} (known: {:?})",
                self.app.components.keys().collect::<Vec<_>>()
            )
        })
    }

    /// A fresh store's data for one call of `component` from `trigger`
    /// (whose process's key-value connection it uses); takes the pending
    /// fault injection, if any.
    pub fn call_state(
        &self,
        component: &ComponentRt,
        trigger: Trigger,
    ) -> (CallState, Output, Arc<KvCounts>) {
        let fault = self.fault.lock().unwrap().take();
        let kv = KvCall::new(
            self.kv.process(trigger),
            component.allowed_stores.clone(),
            fault,
            self.interleave,
        );
        let counts = kv.counts.clone();
        let allowed_hosts = Arc::new(component.allowed_hosts.resolve(&self.vars));
        let (state, output) = CallState::new(CallSetup {
            component: component.name.clone(),
            environment: component.environment.clone(),
            wall_clock: self.clock.wall_clock(),
            allowed_hosts,
            kv,
            vars: self.vars.clone(),
        });
        (state, output, counts)
    }
}

/// `.context()` for wasmtime's own error type (it is not `std::error::Error`,
/// so anyhow's `Context` does not apply).
pub(crate) trait WasmtimeContext<T> {
    fn wcontext(self, context: &'static str) -> Result<T>;
    fn with_wcontext(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> WasmtimeContext<T> for wasmtime::Result<T> {
    fn wcontext(self, context: &'static str) -> Result<T> {
        self.map_err(anyhow::Error::from).context(context)
    }

    fn with_wcontext(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(anyhow::Error::from).with_context(context)
    }
}

/// Echoes a call's output to the test's stderr (captured by the test
/// harness, shown when a test fails). `VAFA_TEST_HOST_ECHO=0` turns it off
/// (for the benchmark, which has no harness capturing stderr).
pub(crate) fn echo(component: &str, stdout: &str, stderr: &str, trap: Option<&str>) {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *OFF.get_or_init(|| std::env::var("VAFA_TEST_HOST_ECHO").is_ok_and(|v| v == "0")) {
        return;
    }
    for line in stdout.lines() {
        eprintln!("[{component} stdout] {line}");
    }
    for line in stderr.lines() {
        eprintln!("[{component} stderr] {line}");
    }
    if let Some(t) = trap {
        eprintln!("[{component} trap] {t}");
    }
}

/// The running application. Cheap to clone; every clone serves the same
/// store, variables, clock and panel.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

impl Host {
    /// The repository's spin.toml, a fresh key-value store, a fake panel.
    pub async fn start() -> Result<Host> {
        Host::start_with(Options::default()).await
    }

    pub async fn start_with(opts: Options) -> Result<Host> {
        let backend = match opts.kv_backend {
            Some(b) => b,
            None => KvBackend::from_env()?,
        };
        let root = guests::workspace_root().to_path_buf();
        let manifest = Manifest::load(&root.join("spin.toml"))?;
        let panel = panel::FakePanel::start()
            .await
            .context("starting the fake SMS panel")?;
        let platforms = store_platforms::FakeStores::start()
            .await
            .context("starting the fake store platforms")?;

        // Spin's factor-key-value `configure_app`: without a runtime config
        // only "default" is defined, and an unknown label stops the app.
        for (name, c) in &manifest.component {
            for label in &c.key_value_stores {
                ensure!(
                    label == DEFAULT_STORE,
                    "unknown key_value_stores label {label:?} for component {name:?}"
                );
            }
        }
        for extra in &opts.extra_components {
            ensure!(
                !manifest.component.contains_key(&extra.name),
                "extra component {:?} clashes with a spin.toml component",
                extra.name
            );
            for label in &extra.key_value_stores {
                ensure!(
                    label == DEFAULT_STORE,
                    "unknown key_value_stores label {label:?} for component {:?}",
                    extra.name
                );
            }
        }

        let wasm_paths = {
            let manifest_builds: Vec<(String, Option<manifest::BuildDecl>, String)> = manifest
                .component
                .iter()
                .map(|(n, c)| (n.clone(), c.build.clone(), c.source.clone()))
                .collect();
            let extras = opts.extra_components.clone();
            let root = root.clone();
            tokio::task::spawn_blocking(move || build_and_load(&root, manifest_builds, extras))
                .await
                .context("the build task panicked")??
        };

        // Variables: the manifest's, the host's test values, the test's.
        let extra_vars: Vec<(String, BTreeMap<String, String>)> = opts
            .extra_components
            .iter()
            .map(|e| (e.name.clone(), e.variables.iter().cloned().collect()))
            .collect();
        let vars = Variables::new(
            &manifest.variables,
            manifest
                .component
                .iter()
                .map(|(n, c)| (n.as_str(), &c.variables))
                .chain(extra_vars.iter().map(|(n, v)| (n.as_str(), v))),
        )?;
        let host_values = [
            ("admin_token", ADMIN_TOKEN.to_string()),
            ("callback_token", CALLBACK_TOKEN.to_string()),
            ("sms_base_url", panel.base_url()),
            ("sms_allowed_origin", panel.origin()),
            ("sms_api_key", panel::API_KEY.to_string()),
            ("sms_sender", "10004346".to_string()),
            ("sms_timeout_ms", "500".to_string()),
            ("store_api_origin", platforms.origin()),
            ("shopify_admin_url", platforms.shopify_admin_url()),
        ];
        for (name, value) in host_values {
            if manifest.variables.contains_key(name) {
                vars.set(name, &value);
            }
        }
        for (name, value) in &opts.variables {
            ensure!(
                manifest.variables.contains_key(name),
                "Options::variables sets {name:?}, which spin.toml does not declare"
            );
            vars.set(name, value);
        }
        vars.ensure_required()?;

        let mut components = HashMap::new();
        for (name, c) in &manifest.component {
            components.insert(
                name.clone(),
                ComponentRt {
                    name: name.clone(),
                    loaded: wasm_paths[name].clone(),
                    allowed_stores: Arc::new(c.key_value_stores.iter().cloned().collect()),
                    allowed_hosts: AllowedHostsSpec::parse(&c.allowed_outbound_hosts, &vars)
                        .with_context(|| format!("component {name:?} allowed_outbound_hosts"))?,
                    environment: c
                        .environment
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                },
            );
        }
        for e in &opts.extra_components {
            components.insert(
                e.name.clone(),
                ComponentRt {
                    name: e.name.clone(),
                    loaded: wasm_paths[&e.name].clone(),
                    allowed_stores: Arc::new(e.key_value_stores.iter().cloned().collect()),
                    allowed_hosts: AllowedHostsSpec::parse(&e.allowed_outbound_hosts, &vars)
                        .with_context(|| {
                            format!("component {:?} allowed_outbound_hosts", e.name)
                        })?,
                    environment: Vec::new(),
                },
            );
        }

        let router = Router::build(
            manifest
                .trigger
                .http
                .iter()
                .map(|t| (t.component.as_str(), t.route.as_str())),
        )?;
        for t in &manifest.trigger.http {
            ensure!(
                components[&t.component].loaded.proxy.is_some(),
                "component {:?} has an HTTP route but does not export wasi:http/incoming-handler",
                t.component
            );
        }
        for c in manifest.cron_components() {
            ensure!(
                components[c].loaded.cron.is_some(),
                "component {c:?} has a cron trigger but does not export handle-cron-event"
            );
        }

        let durable = opts.durable;
        let kv = tokio::task::spawn_blocking(move || KvStore::start(backend, durable))
            .await
            .context("the key-value start task panicked")?
            .with_context(|| format!("starting the {backend:?} key-value store"))?;

        Ok(Host {
            inner: Arc::new(Inner {
                app: App {
                    name: manifest.application.name.clone(),
                    version: manifest.application.version.clone(),
                    router,
                    components,
                },
                kv,
                vars,
                clock: clock::Clock::new(),
                fault: Mutex::new(None),
                interleave: !opts.no_interleave,
                panel,
                platforms,
            }),
        })
    }

    /// Sets a variable's value (like `SPIN_VARIABLE_<NAME>`), seen from the
    /// next call on.
    pub fn set_variable(&self, name: &str, value: &str) {
        self.inner.vars.set(name, value);
    }

    pub fn set_now(&self, t: DateTime<Utc>) {
        self.inner.clock.set(t);
    }

    pub fn advance(&self, d: chrono::Duration) {
        self.inner.clock.advance(d);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// An HTTP request, routed by spin.toml's `[[trigger.http]]` routes.
    /// Runs on its own tokio task, so concurrent calls really run at once.
    pub async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        let spec = spec(method, path_and_query, headers, body.into());
        let inner = self.inner.clone();
        tokio::spawn(trigger_http::route_and_handle(inner, spec))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// An HTTP request straight to one component, bypassing routing (Spin's
    /// synthetic `/...` match).
    pub async fn request_component(
        &self,
        component: &str,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        let spec = spec(method, path_and_query, headers, body.into());
        let path = path_and_query
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        let route = RouteMatch::synthetic(component, &path);
        let inner = self.inner.clone();
        tokio::spawn(trigger_http::handle(inner, route, spec))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// Serves the app over real HTTP on `127.0.0.1:<ephemeral>`, as `spin
    /// up` listens (for a browser): every request goes through the router
    /// like [`Host::request`]. Returns the origin, `http://127.0.0.1:PORT`.
    /// It serves until the test's runtime ends.
    pub async fn serve(&self) -> Result<String> {
        use http_body_util::BodyExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let inner = self.inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inner = inner.clone();
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let inner = inner.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
                        let headers: Vec<(String, String)> =
                            parts.headers.iter().map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
                        let path_and_query = parts.uri.path_and_query().map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
                        let spec = trigger_http::RequestSpec { method: parts.method.as_str().to_string(), path_and_query, headers, body };
                        let head = parts.method == hyper::Method::HEAD;
                        let reply = tokio::spawn(trigger_http::route_and_handle(inner, spec)).await.expect("the request task");
                        let mut res = hyper::Response::builder().status(reply.status);
                        for (name, value) in &reply.headers {
                            // hyper frames the body itself (a HEAD keeps the length given).
                            if name.eq_ignore_ascii_case("transfer-encoding") || (!head && name.eq_ignore_ascii_case("content-length")) {
                                continue;
                            }
                            res = res.header(name, value);
                        }
                        Ok::<_, std::convert::Infallible>(res.body(http_body_util::Full::new(bytes::Bytes::from(reply.body))).expect("a response"))
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
                });
            }
        });
        Ok(origin)
    }

    /// A JSON admin request: `authorization: Bearer test-admin-token`.
    pub async fn admin(&self, method: &str, path: &str, json: Option<serde_json::Value>) -> Reply {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let mut headers = vec![("authorization", auth.as_str())];
        let body = match json {
            Some(v) => {
                headers.push(("content-type", "application/json"));
                serde_json::to_vec(&v).expect("serializing the request body")
            }
            None => Vec::new(),
        };
        self.request(method, path, &headers, body).await
    }

    /// A cron event at the host clock's current second.
    pub async fn cron(&self, component: &str) -> Tick {
        let ts = self.now().timestamp();
        let ts = u64::try_from(ts).expect("the host clock is after 1970");
        self.cron_at(component, ts).await
    }

    /// A cron event with an explicit timestamp (Unix seconds).
    pub async fn cron_at(&self, component: &str, unix_seconds: u64) -> Tick {
        let inner = self.inner.clone();
        let component = component.to_string();
        tokio::spawn(trigger_cron::tick(inner, component, unix_seconds))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// Makes operation `nth_op` (1-based) of the next call fail.
    pub fn inject_kv_fault(&self, nth_op: u32, fault: Fault) {
        assert!(nth_op >= 1, "operations are counted from 1");
        *self.inner.fault.lock().unwrap() = Some((nth_op, fault));
    }

    /// The key-value backend this host serves.
    pub fn kv_backend(&self) -> KvBackend {
        self.inner.kv.backend()
    }

    /// SQLite only (panics on Redis): another process (a third connection
    /// to the file) in the middle of a write, until the guard drops.
    /// Meanwhile reads work, an `increment` fails at once with "database is
    /// locked", and other writes wait out rusqlite's 5 s busy timeout, then
    /// fail the same way.
    pub fn hold_write_lock(&self) -> WriteLock {
        self.inner
            .kv
            .hold_write_lock()
            .expect("holding the write lock")
    }

    /// Redis only (panics on SQLite): kills the server, as when Redis goes
    /// down. Guests then get what Spin's would. The first command after
    /// the loss fails at once (usually `open`'s PING, which Spin ignores)
    /// and starts the redis crate's reconnect attempts: 1 s, then 60 s five
    /// times, each with up to as much again of jitter (5 to 10 minutes).
    /// Every command meanwhile waits for them and then fails with
    /// "Reconnecting failed: Connection refused (os error 111)" (`open`
    /// still succeeds); the next command starts another round. In a process
    /// that never connected, `open` waits as long, then fails with
    /// "Connection refused (os error 111)". The test helpers below panic
    /// from then on.
    pub fn stop_kv_server(&self) {
        self.inner
            .kv
            .stop_server()
            .expect("stopping the key-value server");
    }

    /// Every key and value of the `default` store.
    pub fn kv_snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        self.inner.kv.snapshot(DEFAULT_STORE)
    }

    pub fn kv_get(&self, key: &str) -> Option<Vec<u8>> {
        self.inner.kv.peek(DEFAULT_STORE, key)
    }

    pub fn kv_set(&self, key: &str, value: &[u8]) {
        self.inner.kv.poke(DEFAULT_STORE, key, value);
    }

    pub fn kv_delete(&self, key: &str) {
        self.inner.kv.remove(DEFAULT_STORE, key);
    }

    /// Increments a counter the way the backend's own `increment` does
    /// (8 little-endian bytes on SQLite, `INCRBY` on Redis); the new value.
    pub fn kv_increment(&self, key: &str, delta: i64) -> i64 {
        self.inner.kv.add(DEFAULT_STORE, key, delta)
    }

    pub fn panel(&self) -> &panel::FakePanel {
        &self.inner.panel
    }

    /// The fake WooCommerce and Shopify shops (`store_api_origin`).
    pub fn platforms(&self) -> &store_platforms::FakeStores {
        &self.inner.platforms
    }

    /// The `.wasm` file a component was loaded from.
    pub fn component_wasm(&self, component: &str) -> PathBuf {
        self.inner.component(component).loaded.wasm.clone()
    }
}

fn spec(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> trigger_http::RequestSpec {
    trigger_http::RequestSpec {
        method: method.to_string(),
        path_and_query: path_and_query.to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body,
    }
}

/// `spin build` for every component, then loading (compile cache).
fn build_and_load(
    root: &std::path::Path,
    manifest_builds: Vec<(String, Option<manifest::BuildDecl>, String)>,
    extras: Vec<ExtraComponent>,
) -> Result<HashMap<String, Arc<Loaded>>> {
    let mut out = HashMap::new();
    for (name, build, source) in manifest_builds {
        if let Some(b) = &build {
            let workdir = match &b.workdir {
                Some(w) => {
                    ensure!(
                        !std::path::Path::new(w).has_root(),
                        "The workdir specified in the application file must be relative."
                    );
                    root.join(w)
                }
                None => root.to_path_buf(),
            };
            guests::build_once(&name, &b.command, &workdir)?;
        }
        let wasm = root.join(&source);
        if !wasm.exists() {
            bail!(
                "component {name:?}: {} does not exist after building",
                wasm.display()
            );
        }
        out.insert(name, guests::load(&wasm)?);
    }
    for e in extras {
        let dir = root.join(&e.crate_dir);
        guests::build_once(
            &e.name,
            "cargo build --target wasm32-wasip2 --release",
            &dir,
        )?;
        let wasm = root
            .join("target/wasm32-wasip2/release")
            .join(guests::crate_wasm_name(&dir)?);
        out.insert(e.name.clone(), guests::load(&wasm)?);
    }
    Ok(out)
}

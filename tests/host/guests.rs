//! Building and loading the `.wasm` components, once per process.
//!
//! Building: each component's `[component.X.build] command` runs through
//! `sh -c` in its `workdir`, as `spin build` runs it (Spin's
//! `crates/build/src/lib.rs`: `Exec::shell(command).cwd(workdir)`), one
//! after the other. Cargo is a no-op when the component is fresh. The nested
//! cargo writes to the manifest's own `source` paths: cargo (1.95) releases
//! its build-directory lock before `cargo test` runs test binaries, so the
//! nested build does not block and needs no separate target directory.
//! Its environment is cleaned of what cargo sets for the test process
//! (`CARGO_*` package/target variables, `RUSTFLAGS`, ...), so the build is
//! the one `spin build` would do from a shell.
//!
//! Loading: one `Engine` and one `Linker` per process; each component is
//! compiled once per process, and the compiled code is cached on disk under
//! `target/vafa-test-host/` keyed by a hash of the wasm bytes and the
//! engine's compatibility hash (wasmtime version and settings), so a test
//! binary's start does not pay Cranelift again (seconds in a debug build).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Config, Engine};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::WasmtimeContext;
use crate::bindings::cron::SpinCronPre;
use crate::instance::CallState;

/// The workspace root (where spin.toml lives).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true);
        Engine::new(&config).expect("creating the wasmtime engine")
    })
}

fn linker() -> Result<&'static Linker<CallState>> {
    static LINKER: OnceLock<Linker<CallState>> = OnceLock::new();
    if let Some(l) = LINKER.get() {
        return Ok(l);
    }
    let l = crate::instance::linker(engine())?;
    Ok(LINKER.get_or_init(|| l))
}

// ---------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------

/// Variables cargo sets for a test process (or a user may set for the
/// host build) that would change what the nested build does.
fn must_clear(var: &str) -> bool {
    const KEEP: &[&str] = &[
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
    ];
    if var.starts_with("CARGO") {
        return !KEEP.iter().any(|k| var.starts_with(k));
    }
    matches!(
        var,
        "RUSTFLAGS" | "RUSTDOCFLAGS" | "RUSTC_WORKSPACE_WRAPPER" | "OUT_DIR"
    ) || var.starts_with("__CARGO")
}

/// Build outcomes by (command, workdir).
type Builds = HashMap<(String, PathBuf), Result<(), String>>;

/// Runs a build command once per process (per command and directory).
pub fn build_once(component: &str, command: &str, workdir: &Path) -> Result<()> {
    static BUILT: OnceLock<Mutex<Builds>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    // Holding the lock while building: parallel tests of one binary wait
    // for the first build instead of racing cargo.
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    let key = (command.to_string(), workdir.to_path_buf());
    if let Some(r) = built.get(&key) {
        return r.clone().map_err(anyhow::Error::msg);
    }
    let r = run_build(component, command, workdir).map_err(|e| format!("{e:#}"));
    built.insert(key, r.clone());
    r.map_err(anyhow::Error::msg)
}

fn run_build(component: &str, command: &str, workdir: &Path) -> Result<()> {
    let started = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(workdir);
    for (var, _) in std::env::vars_os() {
        if let Some(name) = var.to_str()
            && must_clear(name)
        {
            cmd.env_remove(&var);
        }
    }
    let out = cmd
        .output()
        .with_context(|| format!("running `{command}` in {}", workdir.display()))?;
    if !out.status.success() {
        bail!(
            "building component {component:?} with `{command}` in {} failed ({}):\n{}",
            workdir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eprintln!(
        "test host: built {component:?} (`{command}` in {}) in {:.2?}",
        workdir.display(),
        started.elapsed()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// A component compiled and pre-linked, shared by every host of a process.
pub struct Loaded {
    pub wasm: PathBuf,
    pub pre: InstancePre<CallState>,
    /// Present when the component exports `wasi:http/incoming-handler`.
    pub proxy: Option<ProxyPre<CallState>>,
    /// Present when the component exports `handle-cron-event`.
    pub cron: Option<SpinCronPre<CallState>>,
}

/// Loads a component, compiling it at most once per process and once per
/// content on disk.
pub fn load(wasm: &Path) -> Result<Arc<Loaded>> {
    static LOADED: OnceLock<Mutex<HashMap<[u8; 32], Arc<Loaded>>>> = OnceLock::new();
    let bytes = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let loaded = LOADED.get_or_init(Default::default);
    let mut loaded = loaded.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(l) = loaded.get(&digest) {
        return Ok(l.clone());
    }
    let component = compile_cached(wasm, &bytes, &digest)?;
    let pre = linker()?.instantiate_pre(&component).with_wcontext(|| {
        format!(
            "linking {} against the Spin interfaces the host provides",
            wasm.display()
        )
    })?;
    let proxy = ProxyPre::new(pre.clone()).ok();
    let cron = SpinCronPre::new(pre.clone()).ok();
    let l = Arc::new(Loaded {
        wasm: wasm.to_path_buf(),
        pre,
        proxy,
        cron,
    });
    loaded.insert(digest, l.clone());
    Ok(l)
}

fn cache_dir() -> PathBuf {
    workspace_root()
        .join("target")
        .join("vafa-test-host")
        .join("compiled")
}

fn compile_cached(wasm: &Path, bytes: &[u8], digest: &[u8; 32]) -> Result<Component> {
    let engine = engine();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let key = format!("{}-{:016x}.cwasm", hex::encode(&digest[..16]), h.finish());
    let path = cache_dir().join(key);
    if path.exists() {
        let started = Instant::now();
        // SAFETY: the file was written by `precompile_component` of an
        // engine with the same compatibility hash (it is in the name), and
        // `deserialize_file` checks the header again.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => {
                eprintln!(
                    "test host: loaded {} from the compile cache in {:.2?}",
                    wasm.display(),
                    started.elapsed()
                );
                return Ok(c);
            }
            Err(e) => eprintln!(
                "test host: ignoring unusable compile cache {}: {e:#}",
                path.display()
            ),
        }
    }
    let started = Instant::now();
    let compiled = engine
        .precompile_component(bytes)
        .with_wcontext(|| format!("compiling {}", wasm.display()))?;
    eprintln!(
        "test host: compiled {} in {:.2?} (cache miss)",
        wasm.display(),
        started.elapsed()
    );
    std::fs::create_dir_all(cache_dir())
        .with_context(|| format!("creating {}", cache_dir().display()))?;
    // Write then rename: other test processes may read the same file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &compiled).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming {}", tmp.display()))?;
    // SAFETY: just produced by `precompile_component` of this engine.
    unsafe { Component::deserialize(engine, &compiled) }
        .with_wcontext(|| format!("loading the compiled {}", wasm.display()))
}

/// The file name cargo gives a cdylib crate's wasm.
pub fn crate_wasm_name(crate_dir: &Path) -> Result<String> {
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", manifest.display()))?;
    let name = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .with_context(|| format!("{} has no [package] name", manifest.display()))?;
    Ok(format!("{}.wasm", name.replace('-', "_")))
}

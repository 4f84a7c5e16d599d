//! One call's `Store` data and the `Linker` every component links against.
//!
//! A fresh `Store` per HTTP request and per cron tick, as Spin does
//! (`crates/trigger-http/src/wasi.rs` instantiates per request; the cron
//! plugin per event). The linker carries WASI p2 from wasmtime-wasi, the
//! wasi:http interfaces from wasmtime-wasi-http's http-only linker (so
//! WASI is not linked twice), and Spin's key-value and variables
//! interfaces from this crate.

use std::sync::Arc;

use anyhow::Result;

use crate::WasmtimeContext;
use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings;
use crate::kv_interfaces::{KvCall, KvHost, KvView};
use crate::outbound::{AllowedHost, OutboundHooks};
use crate::vars::VarsCall;

/// Captured output per stream; a guest writing more traps.
const PIPE_CAPACITY: usize = 16 * 1024 * 1024;

pub struct CallState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    pub kv: KvCall,
    vars: VarsCall,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// What a call needs besides the store data: its captured output.
pub struct Output {
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl Output {
    pub fn take(&self) -> (String, String) {
        (
            String::from_utf8_lossy(&self.stdout.contents()).into_owned(),
            String::from_utf8_lossy(&self.stderr.contents()).into_owned(),
        )
    }
}

/// Everything one call's instance is given.
pub struct CallSetup {
    pub component: String,
    pub environment: Vec<(String, String)>,
    pub wall_clock: crate::clock::GuestWallClock,
    pub allowed_hosts: Arc<Result<Vec<AllowedHost>, String>>,
    pub kv: KvCall,
    pub vars: Arc<crate::vars::Variables>,
}

impl CallState {
    pub fn new(setup: CallSetup) -> (CallState, Output) {
        let stdout = MemoryOutputPipe::new(PIPE_CAPACITY);
        let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
        let mut wasi = WasiCtx::builder();
        wasi.stdout(stdout.clone())
            .stderr(stderr.clone())
            .envs(&setup.environment)
            .wall_clock(setup.wall_clock)
            // No DNS from guests: tests never leave the machine.
            .allow_ip_name_lookup(false);
        // Spin lets WASI sockets reach only what allowed_outbound_hosts
        // allows with scheme tcp/udp (crates/factor-outbound-networking);
        // the host also keeps them on loopback.
        let allowed = setup.allowed_hosts.clone();
        wasi.socket_addr_check(move |addr, addr_use| {
            let allowed = allowed.clone();
            Box::pin(async move {
                let scheme = match addr_use {
                    // Spin refuses binds; listening and accepting need one.
                    SocketAddrUse::TcpBind
                    | SocketAddrUse::TcpListen
                    | SocketAddrUse::TcpAccept => {
                        return false;
                    }
                    SocketAddrUse::TcpConnect => "tcp",
                    SocketAddrUse::UdpBind | SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => {
                        "udp"
                    }
                };
                OutboundHooks::socket_allowed(&allowed, &addr, scheme)
            })
        });
        let state = CallState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks {
                component: setup.component.clone(),
                allowed: setup.allowed_hosts,
            },
            kv: setup.kv,
            vars: VarsCall {
                component: setup.component,
                vars: setup.vars,
            },
        };
        (state, Output { stdout, stderr })
    }
}

fn kv_view(s: &mut CallState) -> KvView<'_> {
    KvView {
        call: &mut s.kv,
        table: &mut s.table,
    }
}

/// The linker shared by every component and call of the process.
pub fn linker(engine: &Engine) -> Result<Linker<CallState>> {
    let mut l = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut l).wcontext("linking WASI p2")?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut l).wcontext("linking wasi:http")?;
    bindings::fermyon::spin::key_value::add_to_linker::<_, KvHost>(&mut l, kv_view)
        .wcontext("linking fermyon:spin/key-value")?;
    bindings::wasi::keyvalue::store::add_to_linker::<_, KvHost>(&mut l, kv_view)
        .wcontext("linking wasi:keyvalue/store")?;
    bindings::wasi::keyvalue::atomics::add_to_linker::<_, KvHost>(&mut l, kv_view)
        .wcontext("linking wasi:keyvalue/atomics")?;
    bindings::wasi::keyvalue::batch::add_to_linker::<_, KvHost>(&mut l, kv_view)
        .wcontext("linking wasi:keyvalue/batch")?;
    bindings::fermyon::spin::variables::add_to_linker::<_, HasSelf<VarsCall>>(&mut l, |s| {
        &mut s.vars
    })
    .wcontext("linking fermyon:spin/variables")?;
    Ok(l)
}

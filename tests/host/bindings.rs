//! Host bindings generated with `wasmtime::component::bindgen!`.
//!
//! - Spin's own interfaces (key-value, variables, wasi:keyvalue) from the WIT
//!   copied into `tests/host/wit/` (spin-rust-sdk v5.2.0, the WIT the guests
//!   are built against).
//! - The cron plugin's export from `wit/cron.wit`, with
//!   async bindings like the plugin's own `bindgen!` (spin-trigger-cron
//!   `src/lib.rs`).

wasmtime::component::bindgen!({
    path: "tests/host/wit",
    world: "vafa:test-host/host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::kv_interfaces::SpinStore,
        "wasi:keyvalue/store.bucket": crate::kv_interfaces::Bucket,
        "wasi:keyvalue/atomics.cas": crate::kv_interfaces::Cas,
    },
});

pub mod cron {
    wasmtime::component::bindgen!({
        path: "wit/cron.wit",
        world: "spin-cron",
        exports: { default: async },
    });
}

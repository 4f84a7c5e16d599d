//! Injected key-value faults hit exactly the chosen operation of the next
//! call, and every operation that touches data is counted.

mod common;

use common::{probe, probe_host};
use vafa_test_host::Fault;

// /seq does: open (not counted), set, get, increment, exists.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_data_operation_is_counted_and_opening_is_not() {
    let host = probe_host().await;
    let reply = probe(&host, "POST", "/seq", b"").await;
    assert_eq!(reply.kv_ops, 4);
    assert_eq!(
        reply.json()["steps"],
        serde_json::json!(["ok", "ok", b"v", 1, true])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_error_fails_only_the_nth_operation() {
    let host = probe_host().await;
    host.inject_kv_fault(2, Fault::Error);
    let reply = probe(&host, "POST", "/seq", b"").await;
    let steps = reply.json()["steps"].clone();
    assert_eq!(steps[1], "ok");
    let get = steps[2].as_str().unwrap();
    assert!(
        get.starts_with("err: Error::Other(") && get.contains("operation 2 (get)"),
        "{get}"
    );
    assert_eq!(steps[3], 1);
    assert_eq!(reply.kv_ops, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_trap_ends_the_call_with_a_500() {
    let host = probe_host().await;
    host.inject_kv_fault(1, Fault::Trap);
    let reply = probe(&host, "POST", "/seq", b"").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.kv_ops, 1);
    assert!(reply.trap.unwrap().contains("operation 1 (set) traps"));
    assert_eq!(host.kv_get("seq"), None, "the trapped set wrote nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_applies_to_the_next_call_only() {
    let host = probe_host().await;
    host.inject_kv_fault(1, Fault::Error);
    let first = probe(&host, "POST", "/seq", b"").await.json();
    assert!(
        first["steps"][1].as_str().unwrap().contains("injected"),
        "{first}"
    );
    let second = probe(&host, "POST", "/seq", b"").await;
    assert_eq!(second.json()["steps"][1], "ok");
    assert_eq!(second.kv_ops, 4);
}

//! The key-value store behaves like Spin's SQLite store, through the real
//! interfaces a guest imports.

mod common;

use common::{probe, probe_host};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cas_on_an_absent_key_is_not_exclusive() {
    let host = probe_host().await;
    let seen = probe(&host, "POST", "/wasi/cas-twice?key=claim", b"")
        .await
        .json();
    assert_eq!(seen["seen"], serde_json::json!([null, null]));
    assert_eq!(seen["first"], "ok");
    assert_eq!(seen["second"], "ok", "both 'creates' succeed: {seen}");
    assert_eq!(host.kv_get("claim"), Some(b"second".to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cas_after_a_change_fails_and_hands_back_the_new_value() {
    let host = probe_host().await;
    host.kv_set("k", b"1");
    let ok = probe(&host, "POST", "/wasi/cas?key=k", b"2").await.json();
    assert_eq!(ok["current"], serde_json::json!(b"1"));
    assert_eq!(ok["swap"], "ok");
    assert_eq!(host.kv_get("k"), Some(b"2".to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increment_stores_eight_little_endian_bytes_that_get_returns() {
    let host = probe_host().await;
    let n = probe(&host, "POST", "/wasi/increment?key=n&delta=300", b"")
        .await
        .json();
    assert_eq!(n["ok"], 300);
    let n = probe(&host, "POST", "/wasi/increment?key=n&delta=-1", b"")
        .await
        .json();
    assert_eq!(n["ok"], 299);
    let expect = 299i64.to_le_bytes().to_vec();
    assert_eq!(host.kv_get("n"), Some(expect.clone()));
    let got = probe(&host, "GET", "/spin/get?key=n", b"").await.json();
    assert_eq!(got["value"], serde_json::json!(expect));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increment_on_a_json_value_traps_and_breaks_the_store_like_spin() {
    let host = probe_host().await;
    host.kv_set("member", br#"{"points":1}"#);
    let reply = probe(&host, "POST", "/wasi/increment?key=member", b"").await;
    assert_eq!(reply.status, 500);
    assert!(
        reply.trap.as_deref().unwrap().contains("incorrect length"),
        "{:?}",
        reply.trap
    );
    assert_eq!(host.kv_get("member"), Some(br#"{"points":1}"#.to_vec()));
    // Spin's connection mutex is poisoned: the next operation panics too.
    let next = probe(&host, "GET", "/spin/get?key=other", b"").await;
    assert_eq!(next.status, 500);
    assert!(
        next.trap.as_deref().unwrap().contains("poisoned"),
        "{:?}",
        next.trap
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_key_value_interfaces_see_the_same_data() {
    let host = probe_host().await;
    probe(&host, "POST", "/spin/set?key=a", b"from spin").await;
    let got = probe(&host, "GET", "/wasi/get?key=a", b"").await.json();
    assert_eq!(got["value"], serde_json::json!(b"from spin"));
    probe(&host, "POST", "/wasi/set?key=b", b"from wasi").await;
    let got = probe(&host, "GET", "/spin/get?key=b", b"").await.json();
    assert_eq!(got["value"], serde_json::json!(b"from wasi"));
    assert_eq!(host.kv_snapshot().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_increments_from_fifty_instances_give_fifty() {
    let host = probe_host().await;
    let calls = (0..50).map(|_| {
        let host = host.clone();
        async move { probe(&host, "POST", "/wasi/increment?key=hits", b"").await }
    });
    let replies = futures::future::join_all(calls).await;
    assert!(replies.iter().all(|r| r.status == 200 && r.kv_ops == 1));
    let mut seen: Vec<i64> = replies
        .iter()
        .map(|r| r.json()["ok"].as_i64().unwrap())
        .collect();
    seen.sort();
    assert_eq!(seen, (1..=50).collect::<Vec<_>>());
    assert_eq!(host.kv_get("hits"), Some(50i64.to_le_bytes().to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_outside_key_value_stores_is_access_denied() {
    let host = probe_host().await;
    let spin = probe(&host, "GET", "/spin/open?label=other", b"")
        .await
        .json();
    assert_eq!(spin["err"], "Error::AccessDenied");
    let wasi = probe(&host, "GET", "/wasi/open?label=other", b"")
        .await
        .json();
    assert_eq!(wasi["err"], "Error::AccessDenied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_over_256_bytes_and_values_over_one_mib_fail_the_call() {
    let host = probe_host().await;
    let long_key = "k".repeat(257);
    let reply = probe(&host, "POST", &format!("/spin/set?key={long_key}"), b"v").await;
    assert_eq!(reply.status, 500);
    assert!(
        reply.trap.as_deref().unwrap().contains("limit exceeded"),
        "{:?}",
        reply.trap
    );
    let ok_key = "k".repeat(256);
    assert_eq!(
        probe(&host, "POST", &format!("/spin/set?key={ok_key}"), b"v")
            .await
            .status,
        200
    );
    let big = vec![b'x'; 1024 * 1024 + 1];
    let reply = probe(&host, "POST", "/wasi/set?key=big", &big).await;
    assert!(
        reply.trap.as_deref().unwrap().contains("limit exceeded"),
        "{:?}",
        reply.trap
    );
    assert_eq!(host.kv_get("big"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_operations_share_the_store() {
    let host = probe_host().await;
    let seen = probe(&host, "POST", "/wasi/batch", b"").await.json();
    assert_eq!(
        seen["got"],
        serde_json::json!([["b1", b"1"], ["b2", b"2"]]),
        "get-many returns only present keys, as Spin's SQL does"
    );
    assert_eq!(seen["b1_after_delete"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_data_operation_counts_and_a_fault_hits_the_nth() {
    let host = probe_host().await;
    // cas.new, cas.current, swap (opening the store is not counted)
    assert_eq!(
        probe(&host, "POST", "/wasi/cas?key=c", b"x").await.kv_ops,
        3
    );
    assert_eq!(probe(&host, "GET", "/spin/get?key=c", b"").await.kv_ops, 1);
    host.inject_kv_fault(1, vafa_test_host::Fault::Error);
    let reply = probe(&host, "POST", "/wasi/increment?key=n", b"").await;
    assert_eq!(reply.kv_ops, 1);
    let err = reply.json()["err"].as_str().unwrap().to_string();
    assert!(
        err.contains("injected key-value fault: operation 1 (increment)"),
        "{err}"
    );
    assert_eq!(host.kv_get("n"), None);
}

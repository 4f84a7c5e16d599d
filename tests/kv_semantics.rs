//! The key-value store behaves like Spin's, on each of its two backends,
//! through the real interfaces a guest imports. Every test runs on both
//! backends and says what each one does (see docs/rules.md, "Key-value
//! facts" table).

mod common;

use std::time::Duration;

use common::{BACKENDS, PROBE, probe, probe_host_on};
use serde_json::{Value, json};
use vafa_test_host::{Fault, KvBackend};

/// Spin's SQLite store error when another process holds the write lock:
/// rusqlite's SQLITE_BUSY, `{:?}`-formatted.
const LOCKED: &str =
    r#"SqliteFailure(Error { code: DatabaseBusy, extended_code: 5 }, Some("database is locked"))"#;

/// How the probe shows a store error with this text.
fn other(text: &str) -> Value {
    json!(format!("Error::Other({text:?})"))
}

/// How each backend stores a counter that `increment` wrote.
fn counter(backend: KvBackend, n: i64) -> Vec<u8> {
    match backend {
        KvBackend::Sqlite => n.to_le_bytes().to_vec(),
        KvBackend::Redis => n.to_string().into_bytes(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increment_stores_eight_little_endian_bytes_on_sqlite_and_ascii_decimal_on_redis() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        let n = probe(&host, "POST", "/wasi/increment?key=n&delta=300", b"").await;
        assert_eq!(n.json()["ok"], 300, "{backend:?}");
        let n = probe(&host, "POST", "/wasi/increment?key=n&delta=-1", b"").await;
        assert_eq!(n.json()["ok"], 299, "{backend:?}");
        let stored = match backend {
            KvBackend::Sqlite => 299i64.to_le_bytes().to_vec(),
            KvBackend::Redis => b"299".to_vec(),
        };
        assert_eq!(host.kv_get("n"), Some(stored.clone()), "{backend:?}");
        let got = probe(&host, "GET", "/spin/get?key=n", b"").await.json();
        assert_eq!(got["value"], json!(stored), "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increment_on_other_bytes_traps_and_breaks_the_process_on_sqlite_and_fails_on_redis() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        host.kv_set("member", br#"{"points":1}"#);
        let reply = probe(&host, "POST", "/wasi/increment?key=member", b"").await;
        let next = probe(&host, "GET", "/spin/get?key=other", b"").await;
        match backend {
            KvBackend::Sqlite => {
                assert_eq!(reply.status, 500);
                let trap = reply.trap.unwrap();
                assert!(trap.contains("incorrect length"), "{trap}");
                // The HTTP process's connection mutex is poisoned: its next
                // operation panics too ...
                assert_eq!(next.status, 500);
                let trap = next.trap.unwrap();
                assert!(trap.contains("poisoned"), "{trap}");
                // ... while the cron process, with its own connection, works.
                let tick = host.cron_at(PROBE, 1_800_000_000).await;
                assert_eq!(tick.result, Ok(()), "{:?}", tick.trap);
            }
            KvBackend::Redis => {
                assert_eq!(reply.status, 200);
                assert_eq!(
                    reply.json()["err"],
                    other(
                        "An error was signalled by the server - ResponseError: \
                         value is not an integer or out of range"
                    )
                );
                assert_eq!(next.status, 200, "nothing is broken: {:?}", next.trap);
            }
        }
        assert_eq!(host.kv_get("member"), Some(br#"{"points":1}"#.to_vec()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cas_on_an_absent_key_lets_both_racers_write_on_sqlite_and_only_the_first_on_redis() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        let seen = probe(&host, "POST", "/wasi/cas-twice?key=claim", b"")
            .await
            .json();
        assert_eq!(seen["seen"], json!([null, null]));
        match backend {
            KvBackend::Sqlite => {
                assert_eq!(seen["first"], "ok");
                assert_eq!(seen["second"], "ok", "both 'creates' succeed: {seen}");
                assert_eq!(host.kv_get("claim"), Some(b"second".to_vec()));
            }
            KvBackend::Redis => {
                // Both answer CasFailed (see the next test); WATCH made the
                // second one's EXEC write nothing.
                assert_eq!(seen["first"], "cas_failed");
                assert_eq!(seen["second"], "cas_failed");
                assert_eq!(host.kv_get("claim"), Some(b"first".to_vec()));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_answers_truthfully_on_sqlite_and_cas_failed_on_redis_though_it_wrote() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        host.kv_set("k", b"1");
        let cas = probe(&host, "POST", "/wasi/cas?key=k", b"2").await.json();
        assert_eq!(cas["current"], json!(b"1"));
        match backend {
            KvBackend::Sqlite => assert_eq!(cas["swap"], "ok"),
            // The fresh handle Spin hands back already sees the new value.
            KvBackend::Redis => assert_eq!(cas["swap"], json!({ "cas_failed": b"2" })),
        }
        assert_eq!(host.kv_get("k"), Some(b"2".to_vec()), "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_many_works_on_sqlite_and_on_redis_only_for_no_key_or_one_absent_key() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        host.kv_set("a", b"1");
        host.kv_set("b", b"2");
        let get_many = async |keys: &str| {
            probe(&host, "GET", &format!("/wasi/get-many?keys={keys}"), b"").await
        };
        assert_eq!(get_many("").await.json()["ok"], json!([]), "{backend:?}");
        assert_eq!(get_many("x").await.json()["ok"], json!([]), "{backend:?}");
        let one = get_many("a").await;
        let several = get_many("a,b,x").await;
        match backend {
            KvBackend::Sqlite => {
                assert_eq!(one.json()["ok"], json!([["a", b"1"]]));
                // Only the keys present.
                assert_eq!(several.json()["ok"], json!([["a", b"1"], ["b", b"2"]]));
            }
            KvBackend::Redis => {
                // Spin sends `KEYS a` and reads the reply `["a"]` as pairs:
                // the redis crate panics, and the instance traps.
                assert_eq!(one.status, 500);
                let trap = one.trap.unwrap();
                assert!(trap.contains("entered unreachable code"), "{trap}");
                assert_eq!(
                    several.json()["err"],
                    other(
                        "An error was signalled by the server - ResponseError: \
                         wrong number of arguments for 'keys' command"
                    )
                );
                // The panic broke nothing.
                assert_eq!(get_many("x").await.json()["ok"], json!([]));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_many_and_delete_many_reach_the_same_store_as_single_keys() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        let seen = probe(&host, "POST", "/wasi/batch", b"").await.json();
        assert_eq!(seen["got"], json!([b"1", b"2"]), "{backend:?}");
        assert_eq!(seen["b1_after_delete"], Value::Null, "{backend:?}");
        assert_eq!(host.kv_snapshot().len(), 1, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_key_value_interfaces_see_the_same_data() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        probe(&host, "POST", "/spin/set?key=a", b"from spin").await;
        let got = probe(&host, "GET", "/wasi/get?key=a", b"").await.json();
        assert_eq!(got["value"], json!(b"from spin"), "{backend:?}");
        probe(&host, "POST", "/wasi/set?key=b", b"from wasi").await;
        let got = probe(&host, "GET", "/spin/get?key=b", b"").await.json();
        assert_eq!(got["value"], json!(b"from wasi"), "{backend:?}");
        assert_eq!(host.kv_snapshot().len(), 2, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_increments_from_fifty_instances_give_fifty() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
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
        assert_eq!(seen, (1..=50).collect::<Vec<_>>(), "{backend:?}");
        assert_eq!(host.kv_get("hits"), Some(counter(backend, 50)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_and_cron_incrementing_one_counter_at_once_end_with_the_total_of_their_successes() {
    const TIMES: u64 = 300;
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        // The probe's cron handler increments `burst` TIMES times when
        // the timestamp is TIMES.
        let path = format!("/wasi/increment-many?key=burst&times={TIMES}");
        let (http, tick) =
            tokio::join!(probe(&host, "POST", &path, b""), host.cron_at(PROBE, TIMES),);
        let http = http.json();
        let cron: Value = serde_json::from_str(tick.stdout.trim()).expect("the tick's outcome");
        let mut total = 0;
        for outcome in [&http, &cron] {
            let ok = outcome["ok"].as_u64().unwrap();
            let errors = outcome["errors"].as_array().unwrap();
            assert_eq!(ok + errors.len() as u64, TIMES);
            match backend {
                // SQLite: an increment whose read lock cannot become a
                // write lock fails at once and applies nothing.
                KvBackend::Sqlite => {
                    assert!(errors.iter().all(|e| *e == other(LOCKED)), "{errors:?}")
                }
                KvBackend::Redis => assert!(errors.is_empty(), "{errors:?}"),
            }
            total += ok;
        }
        let total = i64::try_from(total).unwrap();
        assert_eq!(
            host.kv_get("burst"),
            Some(counter(backend, total)),
            "{backend:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_another_process_holds_sqlites_write_lock_an_increment_fails_at_once() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        host.kv_set("n", &counter(backend, 5));
        match backend {
            KvBackend::Sqlite => {
                let lock = host.hold_write_lock();
                let started = std::time::Instant::now();
                let reply = probe(&host, "POST", "/wasi/increment?key=n", b"").await;
                // Not after rusqlite's 5 s busy timeout: SQLite does not
                // wait to turn a read lock into a write lock.
                assert!(started.elapsed() < Duration::from_secs(5));
                assert_eq!(reply.json()["err"], other(LOCKED));
                // Reads still work, and nothing was applied.
                let got = probe(&host, "GET", "/spin/get?key=n", b"").await;
                assert_eq!(got.json()["value"], json!(counter(backend, 5)));
                drop(lock);
            }
            // Redis has no such lock: writers never fail for each other.
            KvBackend::Redis => {}
        }
        let reply = probe(&host, "POST", "/wasi/increment?key=n", b"").await;
        assert_eq!(reply.json()["ok"], 6, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_locked_fault_gives_sqlites_busy_error_and_applies_nothing() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        host.inject_kv_fault(1, Fault::Locked);
        let reply = probe(&host, "POST", "/wasi/increment?key=n", b"").await;
        assert_eq!(reply.json()["err"], other(LOCKED), "{backend:?}");
        assert_eq!((reply.kv_ops, reply.kv_writes), (1, 1));
        assert_eq!(host.kv_get("n"), None, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_data_operation_counts_writes_count_apart_and_a_fault_hits_the_nth() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        // cas.new, cas.current, swap (opening the store is not counted);
        // on Redis the probe also reads the handle a CasFailed hands back.
        let cas = probe(&host, "POST", "/wasi/cas?key=c", b"x").await;
        let ops = match backend {
            KvBackend::Sqlite => 3,
            KvBackend::Redis => 4,
        };
        assert_eq!((cas.kv_ops, cas.kv_writes), (ops, 1), "{backend:?}");
        let get = probe(&host, "GET", "/spin/get?key=c", b"").await;
        assert_eq!((get.kv_ops, get.kv_writes), (1, 0));
        let seq = probe(&host, "POST", "/seq", b"").await;
        // set, get, increment, exists
        assert_eq!((seq.kv_ops, seq.kv_writes), (4, 2));
        host.inject_kv_fault(1, Fault::Error);
        let reply = probe(&host, "POST", "/wasi/increment?key=n", b"").await;
        assert_eq!(reply.kv_ops, 1);
        let err = reply.json()["err"].as_str().unwrap().to_string();
        assert!(
            err.contains("injected key-value fault: operation 1 (increment)"),
            "{err}"
        );
        assert_eq!(host.kv_get("n"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tests_own_increment_and_delete_write_as_the_store_does() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        assert_eq!(host.kv_increment("n", 2), 2);
        let n = probe(&host, "POST", "/wasi/increment?key=n", b"").await;
        assert_eq!(n.json()["ok"], 3, "{backend:?}");
        assert_eq!(host.kv_increment("n", 1), 4);
        assert_eq!(host.kv_get("n"), Some(counter(backend, 4)));
        host.kv_delete("n");
        assert_eq!(host.kv_get("n"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_outside_key_value_stores_is_access_denied() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        let spin = probe(&host, "GET", "/spin/open?label=other", b"").await;
        assert_eq!(spin.json()["err"], "Error::AccessDenied", "{backend:?}");
        let wasi = probe(&host, "GET", "/wasi/open?label=other", b"").await;
        assert_eq!(wasi.json()["err"], "Error::AccessDenied", "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_over_256_bytes_and_values_over_one_mib_fail_the_call() {
    for backend in BACKENDS {
        let host = probe_host_on(backend).await;
        let long_key = "k".repeat(257);
        let reply = probe(&host, "POST", &format!("/spin/set?key={long_key}"), b"v").await;
        assert_eq!(reply.status, 500);
        let trap = reply.trap.unwrap();
        assert!(trap.contains("limit exceeded"), "{trap}");
        let ok_key = "k".repeat(256);
        let reply = probe(&host, "POST", &format!("/spin/set?key={ok_key}"), b"v").await;
        assert_eq!(reply.status, 200, "{backend:?}");
        let big = vec![b'x'; 1024 * 1024 + 1];
        let reply = probe(&host, "POST", "/wasi/set?key=big", &big).await;
        let trap = reply.trap.unwrap();
        assert!(trap.contains("limit exceeded"), "{trap}");
        assert_eq!(host.kv_get("big"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_goes_down_a_guest_call_waits_out_the_clients_reconnect_back_off() {
    // SQLite has no server to lose: this is Redis only.
    let host = probe_host_on(KvBackend::Redis).await;
    host.kv_set("k", b"v");
    let up = probe(&host, "GET", "/spin/get?key=k", b"").await;
    assert_eq!(up.json()["value"], json!(b"v"));
    host.stop_kv_server();
    // `open` succeeds (its PING fails, and Spin ignores that), then `get`
    // waits for the connection manager's reconnect attempts: 1 s, then
    // 60 s five times, each with up to as much again of jitter, so at
    // least 301 s before it fails. No answer within 3 s shows it waits.
    let down = probe(&host, "GET", "/spin/get?key=k", b"");
    assert!(
        tokio::time::timeout(Duration::from_secs(3), down)
            .await
            .is_err()
    );
}

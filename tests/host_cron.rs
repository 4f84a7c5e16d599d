//! Cron events reach `handle-cron-event` with the tick's Unix seconds.

mod common;

use chrono::{TimeZone, Utc};
use common::{PROBE, probe_host};
use vafa_test_host::KvBackend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cron_passes_the_host_clock_as_the_timestamp() {
    let host = probe_host().await;
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    host.set_now(now);
    let tick = host.cron(PROBE).await;
    assert_eq!(tick.result, Ok(()));
    assert_eq!(tick.trap, None);
    assert_eq!(tick.stdout, format!("tick {}\n", now.timestamp()));
    assert_eq!(
        host.kv_get("cron:last"),
        Some(now.timestamp().to_string().into_bytes())
    );
    // increment, set (opening the store is not counted)
    assert_eq!(tick.kv_ops, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cron_at_returns_the_component_error() {
    let host = probe_host().await;
    let tick = host.cron_at(PROBE, 1_800_000_001).await;
    assert_eq!(tick.result, Err("odd timestamp 1800000001".to_string()));
    assert_eq!(tick.trap, None);
    let one = match host.kv_backend() {
        KvBackend::Sqlite => 1i64.to_le_bytes().to_vec(),
        KvBackend::Redis => b"1".to_vec(),
    };
    assert_eq!(host.kv_get("cron:ticks"), Some(one));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_in_a_cron_handler_is_reported_like_the_plugin_does() {
    let host = probe_host().await;
    host.inject_kv_fault(1, vafa_test_host::Fault::Trap);
    let tick = host.cron(PROBE).await;
    let err = tick.result.unwrap_err();
    assert!(err.starts_with("cron handler trapped"), "{err}");
    assert!(tick.trap.unwrap().contains("injected key-value fault"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_component_from_spin_toml_answers_a_tick() {
    let host = probe_host().await;
    let tick = host.cron("sender").await;
    assert_eq!(tick.trap, None, "{:?}", tick.trap);
}

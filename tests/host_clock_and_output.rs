//! The guest's wall clock is the host's, and what it prints is captured.

mod common;

use chrono::{TimeZone, Utc};
use common::{probe, probe_host};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_sees_the_host_clock_fixed_at_the_default_instant() {
    let host = probe_host().await;
    let start = Utc.with_ymd_and_hms(2026, 11, 22, 8, 30, 0).unwrap();
    assert_eq!(host.now(), start);
    let seen = probe(&host, "GET", "/clock", b"").await.json();
    assert_eq!(seen["unix"], start.timestamp());
    assert_eq!(seen["nanos"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_now_and_advance_move_the_guest_clock() {
    let host = probe_host().await;
    let t = Utc.with_ymd_and_hms(2027, 3, 20, 23, 59, 59).unwrap();
    host.set_now(t);
    assert_eq!(
        probe(&host, "GET", "/clock", b"").await.json()["unix"],
        t.timestamp()
    );
    host.advance(chrono::Duration::days(1) + chrono::Duration::milliseconds(250));
    let seen = probe(&host, "GET", "/clock", b"").await.json();
    assert_eq!(seen["unix"], t.timestamp() + 86_400);
    assert_eq!(seen["nanos"], 250_000_000);
    assert_eq!(
        host.now(),
        t + chrono::Duration::days(1) + chrono::Duration::milliseconds(250)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_stdout_and_stderr_are_captured_per_call() {
    let host = probe_host().await;
    let reply = probe(&host, "GET", "/log", b"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.stdout, "kvprobe says hello on stdout\n");
    assert_eq!(reply.stderr, "kvprobe says hello on stderr\n");
    let quiet = probe(&host, "GET", "/clock", b"").await;
    assert_eq!(quiet.stdout, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trapping_guest_answers_an_empty_500_and_the_reply_says_why() {
    let host = probe_host().await;
    let reply = probe(&host, "GET", "/trap", b"").await;
    assert_eq!(reply.status, 500);
    assert!(
        reply.body.is_empty(),
        "Spin's 500 has no body: {:?}",
        reply.text()
    );
    let trap = reply.trap.expect("the reply records the trap");
    assert!(
        trap.contains("wasm trap") || trap.contains("unreachable"),
        "{trap}"
    );
    assert!(
        reply.stderr.contains("kvprobe was asked to trap"),
        "{}",
        reply.stderr
    );
}

//! Outbound HTTP follows `allowed_outbound_hosts` (Spin's rules) and never
//! leaves loopback.

mod common;

use common::{probe, probe_host};
use vafa_test_host::panel::Behaviour;

async fn fetch(host: &vafa_test_host::Host, url: &str) -> serde_json::Value {
    probe(host, "POST", "/outbound", url.as_bytes())
        .await
        .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_to_the_allowed_panel_origin_reaches_the_panel() {
    let host = probe_host().await;
    let url = format!(
        "{}/v1/{}/sms/send.json",
        host.panel().base_url(),
        vafa_test_host::panel::API_KEY
    );
    let seen = fetch(&host, &url).await;
    assert!(seen["status"].is_u64(), "{seen}");
    let requests = host.panel().requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].header("host"),
        Some(host.panel().base_url().trim_start_matches("http://"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_port_that_is_not_allowed_is_denied() {
    let host = probe_host().await;
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/x", other.local_addr().unwrap());
    let seen = fetch(&host, &url).await;
    assert!(
        seen["err"].as_str().unwrap().contains("HttpRequestDenied"),
        "{seen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_host_off_this_machine_is_still_denied() {
    let host = probe_host().await;
    // kvprobe is allowed https://api.kavenegar.com, like the real components.
    let seen = fetch(&host, "https://api.kavenegar.com/v1/x/sms/send.json").await;
    assert!(
        seen["err"].as_str().unwrap().contains("HttpRequestDenied"),
        "{seen}"
    );
    // A loopback name is not a loopback address.
    let port = host
        .panel()
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let seen = fetch(&host, &format!("http://localhost:{port}/")).await;
    assert!(
        seen["err"].as_str().unwrap().contains("HttpRequestDenied"),
        "{seen}"
    );
    assert!(host.panel().requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_host_templates_follow_the_variables_of_the_call() {
    let host = probe_host().await;
    host.set_variable("sms_allowed_origin", "http://127.0.0.1:1");
    let seen = fetch(&host, &host.panel().base_url()).await;
    assert!(
        seen["err"].as_str().unwrap().contains("HttpRequestDenied"),
        "{seen}"
    );
    host.set_variable("sms_allowed_origin", &host.panel().origin());
    let seen = fetch(&host, &format!("{}/webhook", host.panel().base_url())).await;
    assert!(seen["status"].is_u64(), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_first_byte_timeout_is_honoured() {
    let host = probe_host().await;
    host.panel().set_behaviour(Behaviour::Hang);
    let url = format!("{}/webhook", host.panel().base_url());
    let reply = probe(&host, "POST", "/outbound?first_byte_ms=200", url.as_bytes()).await;
    let seen = reply.json();
    assert!(
        seen["err"]
            .as_str()
            .unwrap()
            .contains("ConnectionReadTimeout"),
        "{seen}"
    );
}

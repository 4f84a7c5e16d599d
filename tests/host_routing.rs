//! Requests are routed the way Spin routes spin.toml's `[[trigger.http]]`.

mod common;

use common::{PROBE, probe_host};
use vafa_test_host::manifest::Manifest;
use vafa_test_host::routes::Router;

/// spin.toml's own route table.
fn manifest_router() -> Router {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spin.toml");
    let manifest = Manifest::load(&path).unwrap();
    Router::build(
        manifest
            .trigger
            .http
            .iter()
            .map(|t| (t.component.as_str(), t.route.as_str())),
    )
    .unwrap()
}

fn check(router: &Router, path: &str, expect: Option<(&str, &str)>) {
    let got = router.route(path).map(|m| (m.raw_route, m.path_info));
    let expect = expect.map(|(r, i)| (r.to_string(), i.to_string()));
    assert_eq!(got, expect, "path {path}");
}

#[test]
fn specific_routes_win_over_the_catch_all_in_spin_toml() {
    let r = manifest_router();
    for (path, route, info) in [
        ("/api/members", "/api/members", ""),
        // routefinder ignores a trailing slash, so the exact route wins.
        ("/api/members/", "/api/members", ""),
        ("/api/members/m1", "/api/members/...", "/m1"),
        ("/api/members/m1/phone", "/api/members/...", "/m1/phone"),
        // A named segment beats the wildcard: points are purchase-scoring's.
        ("/api/members/m1/ledger", "/api/members/:id/ledger", ""),
        ("/api/members/m1/adjust", "/api/members/:id/adjust", ""),
        ("/hooks/orders/shop-1", "/hooks/orders/...", "/shop-1"),
        ("/api/settings", "/api/settings", ""),
        ("/api/settings/x", "/...", "/api/settings/x"),
        ("/api/stores/s1", "/api/stores/...", "/s1"),
        ("/hooks/sms/inbound", "/hooks/sms/...", "/inbound"),
        ("/", "/...", "/"),
        ("/nothing/here", "/...", "/nothing/here"),
    ] {
        check(&r, path, Some((route, info)));
    }
}

#[test]
fn without_a_catch_all_an_unmatched_path_has_no_route() {
    let r = Router::build([("a", "/api/members"), ("b", "/api/members/...")]).unwrap();
    check(&r, "/api/members/x", Some(("/api/members/...", "/x")));
    check(&r, "/api/member", None);
    check(&r, "/", None);
}

#[test]
fn the_longest_wildcard_prefix_wins_regardless_of_order() {
    let r = Router::build([
        ("one", "/one/..."),
        ("three", "/one/two/three/..."),
        ("two", "/one/two/..."),
    ])
    .unwrap();
    assert_eq!(r.route("/one/two/three/four").unwrap().component, "three");
    assert_eq!(r.route("/one/two/x").unwrap().component, "two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spin_answers_its_well_known_paths_itself() {
    let host = probe_host().await;
    let health = host
        .request("GET", "/.well-known/spin/health", &[], "")
        .await;
    assert_eq!((health.status, health.text().as_str()), (200, "OK"));
    let info = host.request("GET", "/.well-known/spin/info", &[], "").await;
    assert_eq!(info.json()["name"], "vafa");
    let other = host
        .request("GET", "/.well-known/spin/other", &[], "")
        .await;
    assert_eq!((other.status, other.body.len()), (404, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routed_request_runs_the_enrollment_component() {
    let host = probe_host().await;
    let reply = host.request("GET", "/api/members", &[], "").await;
    assert_eq!(reply.trap, None);
    // Not the router's own empty 404: the component answered.
    assert!(reply.status != 404 || !reply.body.is_empty(), "{reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_sees_the_client_headers_then_spins_headers() {
    let host = probe_host().await;
    let reply = host
        .request_component(PROBE, "POST", "/headers?x=1", &[("x-test", "yes")], "hi")
        .await;
    let seen = reply.json();
    let headers: Vec<(String, String)> = serde_json::from_value(seen["headers"].clone()).unwrap();
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no header {n} in {headers:?}"))
    };
    // wasmtime-wasi-http drops forbidden headers (`host` among them) from
    // incoming requests, in Spin too (wasmtime PRs 7538, 7905).
    assert!(!headers.iter().any(|(k, _)| k == "host"), "{headers:?}");
    assert_eq!(get("x-test"), "yes");
    assert_eq!(get("content-length"), "2");
    assert_eq!(get("spin-full-url"), "http://127.0.0.1:3000/headers?x=1");
    assert_eq!(get("spin-path-info"), "/headers");
    assert_eq!(get("spin-matched-route"), "/...");
    assert_eq!(get("spin-raw-component-route"), "/...");
    assert_eq!(get("spin-component-route"), "");
    assert_eq!(get("spin-base-path"), "/");
    assert_eq!(get("spin-client-addr"), "127.0.0.1:54321");
    assert_eq!(seen["body"], "hi");
}

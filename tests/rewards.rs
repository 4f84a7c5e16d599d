//! The rewards catalog, end to end through the real rewards `.wasm`.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_active_rewards_to_anyone_and_refuses_bad_ones() {
    let host = host().await;
    reward(&host, "ten", ten_percent()).await;
    reward(&host, "old", json!({"name": "قدیمی", "kind": "gift", "cost": 50, "active": false})).await;
    let list = host.request("GET", "/api/rewards", &[], "").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let ids: Vec<String> = list.json()["rewards"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["ten"]);
    assert_error(&host.request("GET", "/api/rewards/old", &[], "").await, 404, "not_found");
    let before = host.kv_snapshot();
    for (body, code) in [
        (json!({"name": "x", "kind": "percent", "value": 120, "cost": 10}), "invalid_value"),
        (json!({"name": "x", "kind": "fixed", "cost": 10}), "invalid_value"),
        (json!({"name": "x", "kind": "gift", "cost": 0}), "invalid_cost"),
        (json!({"name": "x", "kind": "gift", "cost": 10, "tier": "diamond"}), "invalid_tier"),
        (json!({"name": "x", "kind": "coupon", "cost": 10}), "invalid_kind"),
        (json!({"name": "", "kind": "gift", "cost": 10}), "invalid_name"),
    ] {
        assert_error(&admin(&host, "PUT", "/api/rewards/bad", Some(body)).await, 422, code);
    }
    assert_error(&host.request("PUT", "/api/rewards/bad", &[("content-type", "application/json")], ten_percent().to_string()).await, 401, "unauthorized");
    assert_eq!(host.kv_snapshot(), before);
}


//! The replies inbox (`inbox`): what members and others texted the club's
//! line, newest first, linked to the member, filtered by what was done.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_show_newest_first_linked_to_their_member_and_filter_by_what_was_done() {
    let host = host_with_provider("kavenegar").await;
    let m = opted_in_member(&host, "09121234567").await;
    for (from, text) in [("09121234567", "سلام"), ("09121234567", "لغو"), ("09120000000", "چه خبر"), ("09121234567", "عضویت")] {
        assert_eq!(inbound_json(&host, from, text).await.status, 200);
    }
    let r = admin(&host, "GET", "/api/replies", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let replies = r.json()["replies"].as_array().unwrap().clone();
    let seen: Vec<(&str, &str)> = replies.iter().map(|r| (r["text"].as_str().unwrap(), r["action"].as_str().unwrap())).collect();
    assert_eq!(seen, [("عضویت", "opted_in"), ("چه خبر", "unknown_sender"), ("لغو", "opted_out"), ("سلام", "recorded")]);
    assert_eq!((replies[0]["member_id"].clone(), replies[1]["member_id"].clone()), (m["id"].clone(), json!(null)));
    assert!(!r.text().contains("9121234567"), "numbers are masked: {}", r.text());

    let r = admin(&host, "GET", "/api/replies?action=opted_out", None).await.json();
    assert_eq!(r["replies"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect::<Vec<_>>(), ["لغو"]);
    let r = admin(&host, "GET", "/api/replies?limit=2", None).await.json();
    let next = r["next_before"].as_u64().unwrap();
    let rest = admin(&host, "GET", &format!("/api/replies?limit=2&before={next}"), None).await.json();
    assert_eq!(rest["replies"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect::<Vec<_>>(), ["لغو", "سلام"]);
    assert_eq!(rest["next_before"], json!(null));
    assert_error(&admin(&host, "GET", "/api/replies?action=maybe", None).await, 422, "invalid_action");
    assert_error(&host.request("GET", "/api/replies", &[], String::new()).await, 401, "unauthorized");
}

//! Calls run on their own tasks: one call waiting on the network does not
//! hold up another.

mod common;

use common::{probe, probe_host};
use vafa_test_host::panel::Behaviour;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_waiting_on_the_panel_does_not_block_another_call() {
    let host = probe_host().await;
    host.panel().set_behaviour(Behaviour::Hang);
    let url = format!("{}/webhook", host.panel().base_url());
    let waiting = tokio::spawn({
        let host = host.clone();
        async move {
            probe(
                &host,
                "POST",
                "/outbound?first_byte_ms=600000",
                url.as_bytes(),
            )
            .await
        }
    });
    // Wait until the first call's request is at the (silent) panel.
    while host.panel().requests().is_empty() {
        tokio::task::yield_now().await;
    }
    let quick = probe(&host, "GET", "/clock", b"").await;
    assert_eq!(quick.status, 200);
    assert!(
        !waiting.is_finished(),
        "the first call is still waiting for the panel"
    );
    waiting.abort();
}

#[test]
fn the_host_handle_can_be_shared_across_tasks() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<vafa_test_host::Host>();
}

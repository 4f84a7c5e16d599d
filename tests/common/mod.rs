//! Shared by the host's own tests: a host serving spin.toml plus the
//! `kvprobe` test guest (tests/guests/kvprobe).
#![allow(dead_code)]

use vafa_test_host::{ExtraComponent, Host, Options, Reply};

pub const PROBE: &str = "kvprobe";

pub fn kvprobe() -> ExtraComponent {
    ExtraComponent {
        name: PROBE.into(),
        crate_dir: "tests/guests/kvprobe".into(),
        key_value_stores: vec!["default".into()],
        variables: vec![
            ("admin_token".into(), "{{ admin_token }}".into()),
            ("panel_url".into(), "{{ sms_base_url }}".into()),
            ("greeting".into(), "hello {{ sms_sender }}!".into()),
        ],
        allowed_outbound_hosts: vec![
            "{{ sms_allowed_origin }}".into(),
            "https://api.kavenegar.com".into(),
        ],
    }
}

pub async fn probe_host() -> Host {
    Host::start_with(Options {
        extra_components: vec![kvprobe()],
        ..Options::default()
    })
    .await
    .expect("the test host starts")
}

/// A request to the probe (bypassing spin.toml's routes).
pub async fn probe(host: &Host, method: &str, path: &str, body: &[u8]) -> Reply {
    host.request_component(PROBE, method, path, &[], body.to_vec())
        .await
}

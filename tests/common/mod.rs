//! Shared by the host's own tests: a host serving spin.toml plus the
//! `kvprobe` test guest (tests/guests/kvprobe).
#![allow(dead_code)]

use vafa_test_host::{ExtraComponent, Host, KvBackend, Options, Reply};

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

/// A probe host on the backend `VAFA_TEST_KV` names.
pub async fn probe_host() -> Host {
    Host::start_with(Options {
        extra_components: vec![kvprobe()],
        ..Options::default()
    })
    .await
    .expect("the test host starts")
}

/// Both of Spin's key-value backends, for tests that pin each one.
pub const BACKENDS: [KvBackend; 2] = [KvBackend::Sqlite, KvBackend::Redis];

/// A probe host on the given backend, whatever `VAFA_TEST_KV` says.
pub async fn probe_host_on(backend: KvBackend) -> Host {
    Host::start_with(Options {
        extra_components: vec![kvprobe()],
        kv_backend: Some(backend),
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

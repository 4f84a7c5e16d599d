//! `fermyon:spin/variables` resolves like Spin: component templates over
//! app variables, values the test sets win, undeclared names are undefined.

mod common;

use common::{probe, probe_host};
use vafa_test_host::{Host, Options};

async fn var(host: &Host, name: &str) -> serde_json::Value {
    probe(host, "GET", &format!("/var?name={name}"), b"")
        .await
        .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_templates_resolve_over_app_variables_and_host_defaults() {
    let host = probe_host().await;
    assert_eq!(var(&host, "greeting").await["ok"], "hello 10004346!");
    assert_eq!(var(&host, "admin_token").await["ok"], "test-admin-token");
    assert_eq!(var(&host, "panel_url").await["ok"], host.panel().base_url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_variable_takes_effect_on_the_next_call() {
    let host = probe_host().await;
    host.set_variable("sms_sender", "3000");
    assert_eq!(var(&host, "greeting").await["ok"], "hello 3000!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_variables_override_the_host_defaults() {
    let host = Host::start_with(Options {
        extra_components: vec![common::kvprobe()],
        variables: vec![("admin_token".into(), "other".into())],
        ..Options::default()
    })
    .await
    .unwrap();
    assert_eq!(var(&host, "admin_token").await["ok"], "other");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_the_component_does_not_declare_is_undefined() {
    let host = probe_host().await;
    // An app variable, but not one of the component's.
    let err = var(&host, "sms_api_key").await["err"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains("Undefined(") && err.contains("sms_api_key"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_name_is_an_invalid_name() {
    let host = probe_host().await;
    let err = var(&host, "Greeting").await["err"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("InvalidName("), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_naming_an_undeclared_variable_stop_the_start() {
    let err = Host::start_with(Options {
        variables: vec![("no_such_variable".into(), "x".into())],
        ..Options::default()
    })
    .await
    .err()
    .expect("start fails");
    assert!(format!("{err:#}").contains("does not declare"), "{err:#}");
}

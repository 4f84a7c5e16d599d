//! The HTTP trigger, as Spin 4.0.2 serves a `wasi:http/incoming-handler`
//! component (`crates/trigger-http/src/server.rs`, `wasi.rs`,
//! `headers.rs`):
//!
//! - `/.well-known/spin/health` answers `OK`, `/.well-known/spin/info` the
//!   app's name and version; anything else under that prefix is 404.
//! - A path no route matches: 404 with an empty body.
//! - The guest sees the client's headers followed by Spin's: `spin-path-info`,
//!   `spin-full-url`, `spin-matched-route`, `spin-base-path`,
//!   `spin-raw-component-route`, `spin-component-route`, `spin-client-addr`
//!   and `spin-path-match-<name>` per named wildcard.
//! - A guest that traps (or returns, or sets an error) before setting a
//!   response: 500 with an empty body.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::Store;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

use crate::kv::Trigger;
use crate::routes::{RouteMatch, WELL_KNOWN_PREFIX};
use crate::{Inner, Reply};

/// The authority a client of `spin up` uses (its default listen address),
/// unless the test sends its own `host` header.
pub const DEFAULT_HOST: &str = "127.0.0.1:3000";
/// What `spin-client-addr` says.
pub const CLIENT_ADDR: &str = "127.0.0.1:54321";

/// A request as a test describes it.
pub struct RequestSpec {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RequestSpec {
    fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }
}

fn plain(status: u16, headers: Vec<(String, String)>, body: &[u8]) -> Reply {
    Reply {
        status,
        headers,
        body: body.to_vec(),
        kv_ops: 0,
        kv_writes: 0,
        stdout: String::new(),
        stderr: String::new(),
        trap: None,
    }
}

/// Routes a request like Spin's `HttpServer::handle`.
pub async fn route_and_handle(inner: Arc<Inner>, req: RequestSpec) -> Reply {
    assert!(
        req.path_and_query.starts_with('/'),
        "path_and_query must start with '/': {:?}",
        req.path_and_query
    );
    let path = req.path().to_string();
    if let Some(well_known) = path.strip_prefix(WELL_KNOWN_PREFIX) {
        return match well_known {
            "health" => plain(200, vec![], b"OK"),
            "info" => {
                let mut info = serde_json::json!({ "name": inner.app.name });
                if !inner.app.version.is_empty() {
                    info["version"] = inner.app.version.clone().into();
                }
                let body = serde_json::to_vec_pretty(&info).expect("serializing app info");
                plain(
                    200,
                    vec![("content-type".into(), "application/json".into())],
                    &body,
                )
            }
            _ => plain(404, vec![], b""),
        };
    }
    match inner.app.router.route(&path) {
        Some(m) => handle(inner, m, req).await,
        None => plain(404, vec![], b""),
    }
}

/// Runs one request through a component, with a fresh instance.
pub async fn handle(inner: Arc<Inner>, route: RouteMatch, req: RequestSpec) -> Reply {
    let component = inner.component(&route.component);
    let Some(proxy) = component.loaded.proxy.clone() else {
        panic!(
            "component {:?} does not export wasi:http/incoming-handler",
            route.component
        );
    };

    let request = build_request(&route, req);
    let (state, output, counts) = inner.call_state(component, Trigger::Http);
    let mut store = Store::new(crate::guests::engine(), state);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)
        .expect("creating the incoming-request resource");
    let outparam = store
        .data_mut()
        .http()
        .new_response_outparam(tx)
        .expect("creating the response-outparam resource");

    // The guest runs on its own task, as in Spin, so it can keep writing the
    // body after it has set the response.
    let guest = tokio::spawn(async move {
        let proxy = proxy.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, incoming, outparam)
            .await
    });

    let mut reply = match rx.await {
        Ok(Ok(response)) => {
            let (parts, body) = response.into_parts();
            let (body, body_error) = match body.collect().await {
                Ok(b) => (b.to_bytes().to_vec(), None),
                Err(e) => (Vec::new(), Some(format!("{e:?}"))),
            };
            let trap = match guest.await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!(
                    "guest trapped after the response started (a real client sees a cut-off response): {e:?}"
                )),
                Err(e) => Some(format!(
                    "guest task panicked after the response started: {e}"
                )),
            };
            let trap = match (trap, body_error) {
                (None, Some(be)) => Some(format!("response body failed: {be}")),
                (t, _) => t,
            };
            Reply {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body,
                kv_ops: 0,
                kv_writes: 0,
                stdout: String::new(),
                stderr: String::new(),
                trap,
            }
        }
        Ok(Err(code)) => {
            // Spin: "guest failed to produce a response" -> 500.
            let trap = match guest.await {
                Ok(Err(e)) => Some(format!("{e:?}")),
                _ => None,
            };
            let mut r = plain(500, vec![], b"");
            r.trap = trap.or(Some(format!("guest set an error response: {code:?}")));
            r
        }
        Err(_) => {
            let trap = match guest.await {
                Ok(Ok(())) => "guest failed to produce a response prior to returning".to_string(),
                Ok(Err(e)) => format!("{e:?}"),
                Err(e) => format!("guest task panicked: {e}"),
            };
            let mut r = plain(500, vec![], b"");
            r.trap = Some(trap);
            r
        }
    };
    let (stdout, stderr) = output.take();
    crate::echo(&route.component, &stdout, &stderr, reply.trap.as_deref());
    reply.kv_ops = counts.ops();
    reply.kv_writes = counts.writes();
    reply.stdout = stdout;
    reply.stderr = stderr;
    reply
}

/// The request the guest sees (Spin's `set_req_uri` and
/// `prepare_request_headers`).
fn build_request(
    route: &RouteMatch,
    req: RequestSpec,
) -> http::Request<http_body_util::combinators::UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>> {
    let host = req
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone());
    let mut headers = req.headers.clone();
    let host = match host {
        Some(h) => h,
        None => {
            headers.insert(0, ("host".to_string(), DEFAULT_HOST.to_string()));
            DEFAULT_HOST.to_string()
        }
    };
    // What an HTTP client library sends with a body.
    let has_length = headers.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    });
    let method_has_body = matches!(
        req.method.to_ascii_uppercase().as_str(),
        "POST" | "PUT" | "PATCH"
    );
    if !has_length && (!req.body.is_empty() || method_has_body) {
        headers.push(("content-length".to_string(), req.body.len().to_string()));
    }
    let full_url = format!("http://{host}{}", req.path_and_query);
    let mut spin = vec![
        ("spin-path-info".to_string(), route.path_info.clone()),
        ("spin-full-url".to_string(), full_url.clone()),
        ("spin-matched-route".to_string(), route.based_route.clone()),
        ("spin-base-path".to_string(), "/".to_string()),
        (
            "spin-raw-component-route".to_string(),
            route.raw_route.clone(),
        ),
        (
            "spin-component-route".to_string(),
            route.raw_route_or_prefix().to_string(),
        ),
        ("spin-client-addr".to_string(), CLIENT_ADDR.to_string()),
    ];
    for (name, value) in &route.named_wildcards {
        spin.push((
            format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }
    let mut builder = http::Request::builder()
        .method(req.method.as_str())
        .uri(full_url.as_str());
    for (n, v) in headers.iter().chain(spin.iter()) {
        builder = builder.header(n.as_str(), v.as_str());
    }
    builder
        .body(
            Full::new(Bytes::from(req.body))
                .map_err(|never: Infallible| match never {})
                .boxed_unsync(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "building the request {} {}: {e}",
                req.method, req.path_and_query
            )
        })
}

//! Performs a panel call (built by `vafa_core::provider`, for one message
//! or a batch) over Spin's
//! outbound HTTP, with a deadline: a panel that does not answer in time is a
//! retryable failure, never a request that hangs.

use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types};
use vafa_core::provider::{self, HttpCall, Outcome, PanelConfig};

/// Makes a call carrying `n` messages and reads the panel's answer: an
/// outcome per message, in order (a call that fails is a retry for all).
pub fn send_many(cfg: &PanelConfig, call: &HttpCall, timeout_ms: u64, n: usize) -> Vec<Outcome> {
    match perform(call, timeout_ms) {
        Ok((status, body)) => provider::parse_answers(cfg.kind, status, &body, n),
        Err(reason) => vec![Outcome::Retry(reason); n],
    }
}

/// Makes a call and reads what the panel answered with `read` (a poll:
/// replies, delivery states, credit); `Err` says why there is nothing.
pub fn ask<T>(cfg: &PanelConfig, call: &HttpCall, timeout_ms: u64, read: impl FnOnce(provider::ProviderKind, u16, &[u8]) -> Result<T, String>) -> Result<T, String> {
    let (status, body) = perform(call, timeout_ms)?;
    read(cfg.kind, status, &body)
}

fn perform(call: &HttpCall, timeout_ms: u64) -> Result<(u16, Vec<u8>), String> {
    let (scheme, authority, path) = split_url(&call.url).ok_or_else(|| "the panel URL is not http(s)".to_string())?;
    let mut headers: Vec<(String, Vec<u8>)> = call.headers.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect();
    // Without it Spin sends the body chunked, and some panel gateways
    // answer 411 Length Required.
    if call.method != "GET" {
        headers.push(("content-length".into(), call.body.len().to_string().into_bytes()));
    }
    let fields = types::Fields::from_list(&headers).map_err(|_| "bad request headers")?;
    let request = types::OutgoingRequest::new(fields);
    let method = match call.method {
        "GET" => types::Method::Get,
        _ => types::Method::Post,
    };
    request.set_method(&method).map_err(|_| "method")?;
    request.set_scheme(Some(&scheme)).map_err(|_| "scheme")?;
    request.set_authority(Some(authority)).map_err(|_| "authority")?;
    request.set_path_with_query(Some(path)).map_err(|_| "path")?;

    let body = request.body().map_err(|_| "body")?;
    let options = types::RequestOptions::new();
    let ns = timeout_ms.saturating_mul(1_000_000);
    // Each may be refused by a host that does not support it; then its own
    // default applies.
    let _ = options.set_connect_timeout(Some(ns));
    let _ = options.set_first_byte_timeout(Some(ns));
    let _ = options.set_between_bytes_timeout(Some(ns));

    // The request goes out first and its body after: a body larger than
    // the host's buffer (a bulk call) written before would wait forever.
    let future = outgoing_handler::handle(request, Some(options)).map_err(|e| format!("panel call refused: {}", describe(&e)))?;
    {
        let stream = body.write().map_err(|_| "body stream")?;
        for chunk in call.body.chunks(4096) {
            stream.blocking_write_and_flush(chunk).map_err(|_| "could not write the request")?;
        }
    }
    types::OutgoingBody::finish(body, None).map_err(|_| "could not finish the request")?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(r))) => r,
        Some(Ok(Err(e))) => return Err(describe(&e).into()),
        Some(Err(())) | None => return Err("panel call produced no response".into()),
    };
    let status = response.status();
    let incoming = response.consume().map_err(|_| "response body")?;
    let mut out = Vec::new();
    {
        let stream = incoming.stream().map_err(|_| "response stream")?;
        loop {
            match stream.blocking_read(16 * 1024) {
                Ok(chunk) => {
                    out.extend_from_slice(&chunk);
                    if out.len() > 1 << 20 {
                        return Err("the panel's answer is larger than 1 MiB".into());
                    }
                }
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(_) => return Err("could not read the answer".into()),
            }
        }
    }
    drop(types::IncomingBody::finish(incoming));
    Ok((status, out))
}

/// A short reason (the full `Debug` of `ErrorCode` would add kilobytes of
/// formatting code to every component for a log line).
fn describe(e: &types::ErrorCode) -> &'static str {
    use types::ErrorCode as E;
    match e {
        E::ConnectionTimeout | E::ConnectionReadTimeout | E::ConnectionWriteTimeout => "the panel timed out",
        E::DnsTimeout | E::DnsError(_) | E::DestinationNotFound => "the panel's host was not found",
        E::ConnectionRefused | E::DestinationUnavailable | E::DestinationIpUnroutable => "the panel refused the connection",
        E::HttpRequestDenied => "the panel's host is not in allowed_outbound_hosts",
        _ => "the panel call failed",
    }
}

fn split_url(url: &str) -> Option<(types::Scheme, &str, &str)> {
    let (scheme, rest) = if let Some(r) = url.strip_prefix("https://") {
        (types::Scheme::Https, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (types::Scheme::Http, r)
    } else {
        return None;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    (!authority.is_empty()).then_some((scheme, authority, path))
}

//! Spin's outbound HTTP, with a deadline: a peer that does not answer in
//! time is an error the caller can retry, never a request that hangs. The
//! calls themselves are built in `vafa_core` (SMS panels, store platforms).

use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types};
use vafa_core::provider::HttpCall;

/// What came back.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// `Retry-After` in seconds, when given as seconds.
    pub retry_after: Option<u64>,
    /// The headers, names lowercase.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Makes `call` and reads the whole answer (at most 1 MiB). `peer` names
/// who is called in the reasons given (`"the panel"`, `"the store"`).
pub fn perform(call: &HttpCall, timeout_ms: u64, peer: &str) -> Result<Answer, String> {
    let (scheme, authority, path) = split_url(&call.url).ok_or_else(|| format!("{peer}'s URL is not http(s)"))?;
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
        "DELETE" => types::Method::Delete,
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
    let future = outgoing_handler::handle(request, Some(options)).map_err(|e| format!("{peer}: call refused: {}", describe(&e)))?;
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
        Some(Ok(Err(e))) => return Err(format!("{peer}: {}", describe(&e))),
        Some(Err(())) | None => return Err(format!("{peer}: the call produced no response")),
    };
    let status = response.status();
    let headers: Vec<(String, String)> = response.headers().entries().into_iter().map(|(n, v)| (n.to_ascii_lowercase(), String::from_utf8_lossy(&v).into_owned())).collect();
    let retry_after = headers.iter().find(|(n, _)| n == "retry-after").and_then(|(_, v)| v.trim().parse().ok());
    let incoming = response.consume().map_err(|_| "response body")?;
    let mut out = Vec::new();
    {
        let stream = incoming.stream().map_err(|_| "response stream")?;
        loop {
            match stream.blocking_read(16 * 1024) {
                Ok(chunk) => {
                    out.extend_from_slice(&chunk);
                    if out.len() > 1 << 20 {
                        return Err(format!("{peer}: the answer is larger than 1 MiB"));
                    }
                }
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(_) => return Err("could not read the answer".into()),
            }
        }
    }
    drop(types::IncomingBody::finish(incoming));
    Ok(Answer { status, body: out, retry_after, headers })
}

/// A short reason (the full `Debug` of `ErrorCode` would add kilobytes of
/// formatting code to every component for a log line).
fn describe(e: &types::ErrorCode) -> &'static str {
    use types::ErrorCode as E;
    match e {
        E::ConnectionTimeout | E::ConnectionReadTimeout | E::ConnectionWriteTimeout => "timed out",
        E::DnsTimeout | E::DnsError(_) | E::DestinationNotFound => "its host was not found",
        E::ConnectionRefused | E::DestinationUnavailable | E::DestinationIpUnroutable => "the connection was refused",
        E::HttpRequestDenied => "its host is not in allowed_outbound_hosts",
        _ => "the call failed",
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

//! A test-only guest for the test host's own tests: each request path
//! exercises one Spin interface the way Vafa's components use it, and
//! answers JSON saying what the guest saw. It also exports the cron
//! plugin's `handle-cron-event`, like a component serving both triggers.
//!
//! Paths (query values are used as written, no percent-decoding):
//! - `/clock`: `{"unix", "nanos"}` from `SystemTime::now()`.
//! - `/log`: one line on stdout, one on stderr.
//! - `/trap`: panics.
//! - `/var?name=N`: `spin_sdk::variables::get`.
//! - `/outbound` (body: URL) `?first_byte_ms=N`: `spin_sdk::http::send`, or
//!   the wasi:http outgoing handler with a first-byte timeout.
//! - `/spin/{open,get,set,delete,exists}?label=L&key=K` (set: body is the
//!   value): `spin_sdk::key_value::Store`.
//! - `/wasi/{open,get,set,increment,cas,cas-twice,batch}?...`: the SDK's
//!   `wasi:keyvalue` bindings.
//! - `/wasi/get-many?keys=a,b`: `batch::get-many` of those keys (none when
//!   empty): `{"ok": [[key, value]...]}` or `{"err"}`.
//! - `/wasi/increment-many?key=K&times=N`: N increments of K by 1, each
//!   outcome kept: `{"ok": successes, "errors": [...]}`.
//! - `/seq`: open, set, get, increment, exists; each step's outcome.
//!
//! A cron event increments `cron:ticks`, sets `cron:last` and fails on odd
//! timestamps; one with a timestamp below 100000 instead increments
//! `burst` that many times and prints the outcome like
//! `/wasi/increment-many` does (for tests where both triggers write).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_kv};

mod cron {
    wit_bindgen::generate!({ world: "spin-cron", path: "../../../wit/cron.wit" });
}

fn query(req: &Request) -> Vec<(String, String)> {
    req.query()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

fn param(q: &[(String, String)], name: &str) -> String {
    q.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn bytes(v: Option<Vec<u8>>) -> Value {
    match v {
        Some(b) => json!(b),
        None => Value::Null,
    }
}

fn reply(v: Value) -> anyhow::Result<Response> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(v.to_string())
        .build())
}

#[http_component]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let q = query(&req);
    let label = match param(&q, "label") {
        l if l.is_empty() => "default".to_string(),
        l => l,
    };
    let key = param(&q, "key");
    let body = req.body().to_vec();
    let path = req.path().to_string();
    match path.as_str() {
        "/clock" => {
            let d = SystemTime::now().duration_since(UNIX_EPOCH)?;
            reply(json!({ "unix": d.as_secs(), "nanos": d.subsec_nanos() }))
        }
        "/log" => {
            println!("kvprobe says hello on stdout");
            eprintln!("kvprobe says hello on stderr");
            reply(json!({}))
        }
        "/trap" => panic!("kvprobe was asked to trap"),
        "/headers" => {
            let headers: Vec<(String, String)> = req
                .headers()
                .map(|(n, v)| (n.to_string(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            reply(
                json!({ "headers": headers, "method": format!("{:?}", req.method()), "body": String::from_utf8_lossy(&body) }),
            )
        }
        "/var" => match spin_sdk::variables::get(&param(&q, "name")) {
            Ok(v) => reply(json!({ "ok": v })),
            Err(e) => reply(json!({ "err": format!("{e:?}") })),
        },
        "/outbound" => outbound(String::from_utf8(body)?, &param(&q, "first_byte_ms")).await,
        "/spin/open" => match Store::open(&label) {
            Ok(_) => reply(json!({ "ok": true })),
            Err(e) => reply(json!({ "err": format!("{e:?}") })),
        },
        "/spin/get" => reply(json!({ "value": bytes(Store::open(&label)?.get(&key)?) })),
        "/spin/set" => {
            Store::open(&label)?.set(&key, &body)?;
            reply(json!({ "ok": true }))
        }
        "/spin/delete" => {
            Store::open(&label)?.delete(&key)?;
            reply(json!({ "ok": true }))
        }
        "/spin/exists" => reply(json!({ "ok": Store::open(&label)?.exists(&key)? })),
        "/wasi/open" => match wasi_kv::open(&label) {
            Ok(_) => reply(json!({ "ok": true })),
            Err(e) => reply(json!({ "err": format!("{e:?}") })),
        },
        "/wasi/get" => reply(json!({ "value": bytes(wasi_kv::open(&label)?.get(&key)?) })),
        "/wasi/set" => {
            wasi_kv::open(&label)?.set(&key, &body)?;
            reply(json!({ "ok": true }))
        }
        "/wasi/increment" => {
            let delta: i64 = param(&q, "delta").parse().unwrap_or(1);
            let bucket = wasi_kv::open(&label)?;
            match atomics::increment(&bucket, &key, delta) {
                Ok(n) => reply(json!({ "ok": n })),
                Err(e) => reply(json!({ "err": format!("{e:?}") })),
            }
        }
        "/wasi/get-many" => {
            let keys: Vec<String> = param(&q, "keys")
                .split(',')
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect();
            match batch::get_many(&wasi_kv::open(&label)?, &keys) {
                Ok(got) => {
                    let got: Vec<Value> =
                        got.into_iter().map(|(k, v)| json!([k, bytes(v)])).collect();
                    reply(json!({ "ok": got }))
                }
                Err(e) => reply(json!({ "err": format!("{e:?}") })),
            }
        }
        "/wasi/increment-many" => {
            let times: u64 = param(&q, "times").parse()?;
            reply(increment_many(&wasi_kv::open(&label)?, &key, times))
        }
        "/wasi/cas" => {
            let bucket = wasi_kv::open(&label)?;
            let cas = atomics::Cas::new(&bucket, &key)?;
            let current = cas.current()?;
            let swap = match atomics::swap(cas, &body) {
                Ok(()) => json!("ok"),
                Err(atomics::CasError::CasFailed(fresh)) => {
                    json!({ "cas_failed": bytes(fresh.current()?) })
                }
                Err(atomics::CasError::StoreError(e)) => json!({ "store_error": format!("{e:?}") }),
            };
            reply(json!({ "current": bytes(current), "swap": swap }))
        }
        "/wasi/cas-twice" => {
            // Two writers that both saw the key absent, then both swap.
            let bucket = wasi_kv::open(&label)?;
            let first = atomics::Cas::new(&bucket, &key)?;
            let second = atomics::Cas::new(&bucket, &key)?;
            let seen = (first.current()?, second.current()?);
            let outcome = |r: Result<(), atomics::CasError>| match r {
                Ok(()) => json!("ok"),
                Err(atomics::CasError::CasFailed(_)) => json!("cas_failed"),
                Err(atomics::CasError::StoreError(e)) => json!(format!("{e:?}")),
            };
            let a = outcome(atomics::swap(first, b"first"));
            let b = outcome(atomics::swap(second, b"second"));
            reply(json!({ "seen": [bytes(seen.0), bytes(seen.1)], "first": a, "second": b }))
        }
        "/wasi/batch" => {
            let bucket = wasi_kv::open(&label)?;
            batch::set_many(
                &bucket,
                &[
                    ("b1".to_string(), b"1".to_vec()),
                    ("b2".to_string(), b"2".to_vec()),
                ],
            )?;
            let got = json!([bytes(bucket.get("b1")?), bytes(bucket.get("b2")?)]);
            batch::delete_many(&bucket, &["b1".to_string()])?;
            reply(json!({ "got": got, "b1_after_delete": bytes(bucket.get("b1")?) }))
        }
        "/seq" => {
            let mut steps = Vec::new();
            let bucket = match wasi_kv::open(&label) {
                Ok(b) => {
                    steps.push(json!("ok"));
                    b
                }
                Err(e) => return reply(json!({ "steps": [format!("{e:?}")] })),
            };
            let show = |r: Result<Value, wasi_kv::Error>| match r {
                Ok(v) => v,
                Err(e) => json!(format!("err: {e:?}")),
            };
            steps.push(show(bucket.set("seq", b"v").map(|()| json!("ok"))));
            steps.push(show(bucket.get("seq").map(bytes)));
            steps.push(show(
                atomics::increment(&bucket, "seq-n", 1).map(|n| json!(n)),
            ));
            steps.push(show(bucket.exists("seq").map(|b| json!(b))));
            reply(json!({ "steps": steps }))
        }
        other => Ok(Response::builder()
            .status(404)
            .body(format!("kvprobe has no {other}"))
            .build()),
    }
}

/// `times` increments of `key` by 1; counts the successes, keeps the errors.
fn increment_many(bucket: &wasi_kv::Bucket, key: &str, times: u64) -> Value {
    let mut ok = 0u64;
    let mut errors = Vec::new();
    for _ in 0..times {
        match atomics::increment(bucket, key, 1) {
            Ok(_) => ok += 1,
            Err(e) => errors.push(format!("{e:?}")),
        }
    }
    json!({ "ok": ok, "errors": errors })
}

async fn outbound(url: String, first_byte_ms: &str) -> anyhow::Result<Response> {
    if first_byte_ms.is_empty() {
        let req = Request::get(url.trim()).build();
        return match spin_sdk::http::send::<_, Response>(req).await {
            Ok(resp) => reply(json!({
                "status": *resp.status(),
                "body": String::from_utf8_lossy(resp.body()),
            })),
            Err(e) => reply(json!({ "err": format!("{e:?}") })),
        };
    }
    // spin_sdk::http::send takes no options: go to wasi:http directly.
    use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types};
    let ms: u64 = first_byte_ms.parse()?;
    let parsed: hyperium_uri::Uri = url.trim().parse()?;
    let request = types::OutgoingRequest::new(types::Fields::new());
    request
        .set_method(&types::Method::Get)
        .map_err(|()| anyhow::anyhow!("method"))?;
    request
        .set_scheme(Some(&types::Scheme::Http))
        .map_err(|()| anyhow::anyhow!("scheme"))?;
    request
        .set_authority(parsed.authority.as_deref())
        .map_err(|()| anyhow::anyhow!("authority"))?;
    request
        .set_path_with_query(Some(&parsed.path))
        .map_err(|()| anyhow::anyhow!("path"))?;
    let options = types::RequestOptions::new();
    options
        .set_first_byte_timeout(Some(ms * 1_000_000))
        .map_err(|()| anyhow::anyhow!("timeout"))?;
    let future = match outgoing_handler::handle(request, Some(options)) {
        Ok(f) => f,
        Err(e) => return reply(json!({ "err": format!("{e:?}") })),
    };
    future.subscribe().block();
    match future.get().expect("ready").expect("first get") {
        Ok(resp) => reply(json!({ "status": resp.status() })),
        Err(e) => reply(json!({ "err": format!("{e:?}") })),
    }
}

/// A tiny `scheme://authority/path` splitter (the guest has no URL crate).
mod hyperium_uri {
    pub struct Uri {
        pub authority: Option<String>,
        pub path: String,
    }

    impl std::str::FromStr for Uri {
        type Err = anyhow::Error;

        fn from_str(s: &str) -> anyhow::Result<Uri> {
            let rest = s
                .split_once("://")
                .map(|(_, r)| r)
                .ok_or_else(|| anyhow::anyhow!("no scheme in {s}"))?;
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            Ok(Uri {
                authority: Some(authority.to_string()),
                path: path.to_string(),
            })
        }
    }
}

struct CronProbe;

impl cron::Guest for CronProbe {
    fn handle_cron_event(metadata: cron::Metadata) -> Result<(), cron::Error> {
        let ts = metadata.timestamp;
        if ts < 100_000 {
            let bucket =
                wasi_kv::open("default").map_err(|e| cron::Error::Other(format!("{e:?}")))?;
            println!("{}", increment_many(&bucket, "burst", ts));
            return Ok(());
        }
        println!("tick {ts}");
        let bucket = wasi_kv::open("default").map_err(|e| cron::Error::Other(format!("{e:?}")))?;
        atomics::increment(&bucket, "cron:ticks", 1)
            .map_err(|e| cron::Error::Other(format!("{e:?}")))?;
        bucket
            .set("cron:last", ts.to_string().as_bytes())
            .map_err(|e| cron::Error::Other(format!("{e:?}")))?;
        if ts % 2 == 1 {
            return Err(cron::Error::Other(format!("odd timestamp {ts}")));
        }
        Ok(())
    }
}

cron::export!(CronProbe with_types_in cron);

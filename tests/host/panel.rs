//! A fake SMS panel for the end-to-end tests.
//!
//! One HTTP/1.1 server on `127.0.0.1:<ephemeral>` speaks three providers and
//! checks every request the way the real panel does, answering in the real
//! panel's format:
//!
//! * **Kavenegar** (`/v1/{API-KEY}/sms/send.json`, `/v1/{API-KEY}/sms/sendarray.json`,
//!   `/v1/{API-KEY}/verify/lookup.json`; polling: `sms/receive.json`,
//!   `sms/status.json`, `account/info.json`), form-encoded or query string.
//! * **SMS.ir v1** (`POST /v1/send/bulk`, `POST /v1/send/likeToLike`,
//!   `POST /v1/send/verify`; polling: `GET /v1/send/{messageId}`,
//!   `GET /v1/receive/latest`, `GET /v1/credit`), JSON with an `x-api-key`
//!   header.
//! * **Generic webhook** (`POST /webhook`), JSON (one message, or an array
//!   of them) signed with `x-vafa-signature: sha256=<hex HMAC-SHA256(body, API_KEY)>`.
//!
//! Sources for each behaviour are cited next to the code:
//!
//! * `[KN-REST]` Kavenegar REST documentation, <https://kavenegar.com/rest.html>
//!   (general answer shape, `#result-general` error table, message status table).
//! * `[KN-SDK]` Kavenegar's official SDKs: `kavenegar/kavenegar-go` (`client.go`:
//!   a non-200 HTTP answer carries `{"return":{status,message}}`;
//!   `message_sendArray.go`: array parameters are JSON-array strings;
//!   `verify_lookup.go`: lookup `entries` is an array), `kavenegar/kavenegar-node`
//!   README (sample `sms/send` and `verify/lookup` answers).
//! * `[SMSIR-DOC]` SMS.ir v1 documentation, <https://apidocs.sms.ir> (HTTP 200
//!   success / 400 logical error / 401 authentication / 429 too many requests /
//!   500 unexpected; every answer is `{"status","message","data"}`, status 1 is
//!   success; header `X-API-KEY`) and its status-code table (codes 0–124, as
//!   copied verbatim by many client libraries).
//! * `[SMSIR-SDK]` SMS.ir's official SDKs `IPeCompany/SmsPanelV2.*`
//!   (`SendResult { Guid PackId; int?[] MessageIds; decimal Cost }`, bulk body
//!   `{lineNumber, messageText, mobiles, sendDateTime}`, verify body
//!   `{mobile, templateId, parameters:[{name,value}]}`), and a client whose
//!   comments record that the live API answers a bad key on both send routes
//!   with HTTP 401 `{"status":10,"message":"کلید وب سرویس نامعتبر است"}`.
//! * `[DESIGN]` docs/rules.md, "SMS panels: facts from their public API
//!   documentation", where the sources above say nothing more precise.
//!
//! Choices of this fake where the sources are silent (so a test relying on
//! them tests the fake, not the panel): Kavenegar `sendarray` arrays that are
//! not JSON arrays answer 411/412/413; `localmessageids` get the same
//! no-second-send treatment as `localid`; `verify/lookup` answers 424 for an
//! empty template and 431 for an empty or spaced `token`; Kavenegar bodies
//! that are not form-encoded are ignored. SMS.ir's 415 for a non-JSON body
//! and the problem-details 400 for a body that does not bind (e.g.
//! `"lineNumber": "10004346"`) are ASP.NET Core's defaults, the framework
//! api.sms.ir runs on; statuses 11–14 are answered with HTTP 401 like 10.
//! Kavenegar `sms/receive` answers at most 200 replies a call and 412 for a
//! `linenumber` that is not the line; an accepted message's state is 4 (at
//! the operator) until [`FakePanel::report`] says otherwise; replies have
//! ids of their own sequence. A webhook array is refused whole (400) when
//! one element is bad.
//!
//! The host and the tests drive it through [`FakePanel`]: inspect
//! [`FakePanel::requests`] and [`FakePanel::delivered`], and inject faults with
//! [`FakePanel::set_behaviour`] / [`FakePanel::fail_next`].

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

/// The API key every provider accepts (Kavenegar path segment, SMS.ir
/// `x-api-key`, webhook HMAC key).
pub const API_KEY: &str = "test-panel-key";
/// The configured line number: Kavenegar `sender`, SMS.ir `lineNumber`.
pub const SENDER: &str = "10004346";

/// Which provider's API a request addressed (decided from its path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Kavenegar,
    SmsIr,
    Webhook,
    Unknown,
}

/// How the panel treats requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Check the request like the real panel and answer like it.
    Normal,
    /// HTTP 5xx, nothing delivered (Kavenegar: 502 with an HTML body as from
    /// its front proxy; SMS.ir: 500 with status 0; webhook: 500).
    ServerError,
    /// Accept the connection, read the request and never answer (so the
    /// client's timeout fires). Other connections are served normally.
    Hang,
    /// Read the request, then close the connection without answering.
    Drop,
    /// Answer with the provider's own error code in the provider's format,
    /// e.g. Kavenegar 418 (no credit), SMS.ir 102 (no credit) or 20 (rate
    /// limited, HTTP 429). Nothing delivered.
    ProviderError(u16),
    /// 411 Length Required, as for a chunked body (set by the panel itself).
    LengthRequired,
}

/// A request as it arrived, accepted or not.
#[derive(Clone, Debug)]
pub struct PanelRequest {
    pub provider: Provider,
    pub method: String,
    /// The request target: path plus `?query` when there is one.
    pub path: String,
    /// Header names are lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The HTTP status answered; 0 while unanswered and for `Hang`/`Drop`.
    pub status: u16,
}

impl PanelRequest {
    /// The body as UTF-8 (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One message the panel accepted for delivery to one recipient.
///
/// `text` is the message text; for template sends (Kavenegar `verify/lookup`,
/// SMS.ir `send/verify`), which the fake cannot render, it is
/// `"[<template>] <token> <token2> …"` (Kavenegar) or
/// `"[<templateId>] <NAME>=<value>; …"` (SMS.ir).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub provider: Provider,
    /// Normalised to E.164: `+989xxxxxxxxx`.
    pub to: String,
    pub text: String,
    pub sender: String,
    /// Kavenegar `localid` / `localmessageids`, webhook `id`.
    pub local_id: Option<String>,
    /// Kavenegar `messageid`, SMS.ir `messageId`, webhook `provider_id`.
    pub provider_id: String,
}

/// The fake panel. Cheap to clone; serves until the last clone is dropped
/// (or the runtime ends).
#[derive(Clone)]
pub struct FakePanel {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// Dropping the last clone drops the sender, which stops the server.
    _stop: Arc<watch::Sender<()>>,
}

impl FakePanel {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start() -> anyhow::Result<FakePanel> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new()),
        });
        let (stop_tx, stop_rx) = watch::channel(());
        tokio::spawn(accept_loop(listener, shared.clone(), stop_rx));
        Ok(FakePanel {
            shared,
            addr,
            _stop: Arc::new(stop_tx),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Same as [`FakePanel::base_url`].
    pub fn origin(&self) -> String {
        self.base_url()
    }

    /// `base_url() + "/webhook"`
    pub fn webhook_url(&self) -> String {
        format!("{}/webhook", self.base_url())
    }

    /// Every request that arrived, in order, accepted or not.
    pub fn requests(&self) -> Vec<PanelRequest> {
        self.shared.lock().requests.clone()
    }

    /// Messages accepted for delivery (one per recipient), in order.
    pub fn delivered(&self) -> Vec<Delivered> {
        self.shared.lock().delivered.clone()
    }

    /// Accept request bodies sent chunked (refused with 411 by default).
    pub fn accept_chunked(&self, yes: bool) {
        self.shared.lock().accept_chunked = yes;
    }

    /// Applies to every later request until changed.
    pub fn set_behaviour(&self, b: Behaviour) {
        self.shared.lock().behaviour = b;
    }

    /// The next `n` requests behave like `b`, then the current behaviour
    /// applies again. A later call replaces an unfinished one.
    pub fn fail_next(&self, n: usize, b: Behaviour) {
        self.shared.lock().next = (n > 0).then_some((n, b));
    }

    /// Marks a number (any accepted form; stored as E.164) as having blocked
    /// advertising SMS (`*800#`). Kavenegar answers its entry with status 14
    /// and SMS.ir bulk with messageId 0; nothing is delivered to it. Template
    /// sends (Kavenegar `verify/lookup`, SMS.ir `send/verify`) go over the
    /// panel's service line and still reach it.
    pub fn blacklist(&self, mobile_e164: &str) {
        let m = normalise_mobile(mobile_e164).unwrap_or_else(|| mobile_e164.to_string());
        self.shared.lock().blacklist.insert(m);
    }

    /// Makes a template in the panel, as its owner does in the panel's
    /// site: a Kavenegar `verify/lookup` name, or an SMS.ir `send/verify`
    /// id. A template send names one that exists, or is refused (Kavenegar
    /// 424, SMS.ir 113).
    pub fn add_template(&self, name_or_id: &str) {
        self.shared.lock().templates.insert(name_or_id.to_string());
    }

    /// Forgets requests, deliveries, seen localids and webhook ids, the
    /// blacklist, templates, replies, reports, the credit and any behaviour (back to
    /// `Normal`). Ids keep increasing so an id is never reused.
    pub fn clear(&self) {
        let mut st = self.shared.lock();
        let (next_id, next_webhook, next_reply) = (st.next_id, st.next_webhook, st.next_reply);
        *st = State::new();
        st.next_id = next_id;
        st.next_webhook = next_webhook;
        st.next_reply = next_reply;
    }

    /// The credit both providers report (Kavenegar `remaincredit`, in
    /// rials, is `amount as i64`; SMS.ir's is the decimal).
    pub fn set_credit(&self, amount: f64) {
        self.shared.lock().credit = amount;
    }

    /// An SMS `from` (any form, or garbage, kept as given) sent to the line
    /// `SENDER`; unread until a poll fetches it. Returns its id (Kavenegar
    /// `messageid`, SMS.ir `receiveReturnId`).
    pub fn receive(&self, from: &str, text: &str) -> u64 {
        let mut st = self.shared.lock();
        let id = st.next_reply;
        st.next_reply += 1;
        st.replies.push(InboundSms { id, from: from.to_string(), text: text.to_string(), at: unix_now(), read: false });
        id
    }

    /// Marks every reply unread again, as a panel that serves one twice.
    pub fn unread_again(&self) {
        for r in &mut self.shared.lock().replies {
            r.read = false;
        }
    }

    /// How many replies no poll has fetched.
    pub fn inbound_unread(&self) -> usize {
        self.shared.lock().replies.iter().filter(|r| !r.read).count()
    }

    /// The operator's report on an accepted message: from now on its state
    /// is delivered (Kavenegar 10, SMS.ir 1) or not (11, 2).
    pub fn report(&self, provider_id: &str, delivered: bool) {
        self.shared.lock().reports.insert(provider_id.to_string(), delivered);
    }
}

// ---------------------------------------------------------------------------
// Server plumbing
// ---------------------------------------------------------------------------

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test must not poison the panel for the others.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct State {
    requests: Vec<PanelRequest>,
    delivered: Vec<Delivered>,
    behaviour: Behaviour,
    next: Option<(usize, Behaviour)>,
    blacklist: HashSet<String>,
    /// Kavenegar localid -> the entry answered when it was first seen.
    kave_localids: HashMap<String, Value>,
    /// Webhook id -> provider_id.
    webhook_ids: HashMap<String, String>,
    next_id: u64,
    next_webhook: u64,
    accept_chunked: bool,
    credit: f64,
    replies: Vec<InboundSms>,
    next_reply: u64,
    /// Provider id -> delivered, as the test reported it.
    reports: HashMap<String, bool>,
    /// Templates made in the panel: Kavenegar names, SMS.ir ids (as text).
    templates: HashSet<String>,
}

/// An SMS sent to the line, waiting to be polled.
struct InboundSms {
    id: u64,
    from: String,
    text: String,
    at: i64,
    read: bool,
}

impl State {
    fn new() -> State {
        State {
            requests: Vec::new(),
            delivered: Vec::new(),
            behaviour: Behaviour::Normal,
            next: None,
            blacklist: HashSet::new(),
            kave_localids: HashMap::new(),
            webhook_ids: HashMap::new(),
            next_id: 8_792_343, // the first messageid in Kavenegar's sample answer
            next_webhook: 1,
            accept_chunked: false,
            credit: 1_000_000.0,
            replies: Vec::new(),
            next_reply: 1_000_000_001,
            reports: HashMap::new(),
            templates: HashSet::new(),
        }
    }

    fn take_behaviour(&mut self) -> Behaviour {
        if let Some((n, b)) = self.next.take() {
            if n > 1 {
                self.next = Some((n - 1, b.clone()));
            }
            return b;
        }
        self.behaviour.clone()
    }

    fn message_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

async fn stopped(mut rx: watch::Receiver<()>) {
    // The sender never sends; `changed` fails once it is dropped.
    while rx.changed().await.is_ok() {}
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: watch::Receiver<()>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = stopped(stop.clone()) => return,
        };
        let shared = shared.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            // `Behaviour::Drop` wakes this to drop the connection unanswered.
            let abort = Arc::new(Notify::new());
            let service = {
                let (abort, stop) = (abort.clone(), stop.clone());
                service_fn(move |req| handle(shared.clone(), req, abort.clone(), stop.clone()))
            };
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = abort.notified() => {}
                _ = stopped(stop) => {}
            }
        });
    }
}

type Reply = (StatusCode, &'static str, Vec<u8>);

const JSON: &str = "application/json; charset=utf-8";

fn reply_json(status: u16, v: &Value) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, JSON, serde_json::to_vec(v).expect("json"))
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    abort: Arc<Notify>,
    stop: watch::Receiver<()>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let route = route(parts.uri.path());
    let provider = route.provider();

    let (behaviour, index) = {
        let mut st = shared.lock();
        let b = st.take_behaviour();
        st.requests.push(PanelRequest {
            provider,
            method: parts.method.as_str().to_string(),
            path: target,
            headers: headers.clone(),
            body: body.clone(),
            status: 0,
        });
        (b, st.requests.len() - 1)
    };

    // Like the panel gateways that answer 411 Length Required to a chunked
    // upload (Spin sends a body chunked unless the component sets
    // content-length).
    let chunked = parts.headers.get("transfer-encoding").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let behaviour = if chunked && !shared.lock().accept_chunked { Behaviour::LengthRequired } else { behaviour };

    let (status, content_type, out) = match behaviour {
        Behaviour::LengthRequired => (StatusCode::LENGTH_REQUIRED, "text/plain", b"Length Required".to_vec()),
        Behaviour::Hang => {
            stopped(stop).await;
            (StatusCode::SERVICE_UNAVAILABLE, JSON, Vec::new())
        }
        Behaviour::Drop => {
            abort.notify_one();
            std::future::pending::<()>().await;
            unreachable!("the connection is dropped")
        }
        Behaviour::ServerError => server_error(provider),
        Behaviour::ProviderError(code) => provider_error(provider, code),
        Behaviour::Normal => {
            let query = parts.uri.query().unwrap_or("");
            let mut st = shared.lock();
            let req = Req {
                method: &parts.method,
                query,
                headers: &headers,
                body: &body,
            };
            match route {
                Route::Kavenegar { key, scope, method } => {
                    kavenegar(&mut st, &req, &key, &scope, &method)
                }
                Route::SmsIr(method) => smsir(&mut st, &req, &method),
                Route::Webhook => webhook(&mut st, &req),
                Route::Unknown => (
                    StatusCode::NOT_FOUND,
                    JSON,
                    b"{\"error\":\"not found\"}".to_vec(),
                ),
            }
        }
    };

    shared.lock().requests[index].status = status.as_u16();
    let response = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(out)))
        .expect("response");
    Ok(response)
}

/// The parts of a request the provider handlers look at.
struct Req<'a> {
    method: &'a Method,
    query: &'a str,
    headers: &'a [(String, String)],
    body: &'a [u8],
}

impl Req<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

enum Route {
    Kavenegar {
        key: String,
        scope: String,
        method: String,
    },
    SmsIr(String),
    Webhook,
    Unknown,
}

impl Route {
    fn provider(&self) -> Provider {
        match self {
            Route::Kavenegar { .. } => Provider::Kavenegar,
            Route::SmsIr(_) => Provider::SmsIr,
            Route::Webhook => Provider::Webhook,
            Route::Unknown => Provider::Unknown,
        }
    }
}

fn route(path: &str) -> Route {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["webhook"] => Route::Webhook,
        // [SMSIR-DOC] base https://api.sms.ir/v1: sending and reports under
        // /v1/send/…, replies under /v1/receive/…, the credit at /v1/credit.
        ["v1", "send", method] => Route::SmsIr(format!("send/{method}")),
        ["v1", "receive", "latest"] => Route::SmsIr("receive/latest".into()),
        ["v1", "credit"] => Route::SmsIr("credit".into()),
        // [KN-REST] https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.{json|xml}
        ["v1", key, scope, method] => Route::Kavenegar {
            key: (*key).to_string(),
            scope: (*scope).to_string(),
            method: (*method).to_string(),
        },
        _ => Route::Unknown,
    }
}

fn server_error(provider: Provider) -> Reply {
    match provider {
        // Kavenegar has no documented 5xx body; answer as a front proxy would,
        // so a client must not need to parse a 5xx body.
        Provider::Kavenegar => (
            StatusCode::BAD_GATEWAY,
            "text/html",
            b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        ),
        // [SMSIR-DOC] HTTP 500 = unexpected error; status 0 = "request failed".
        Provider::SmsIr => reply_json(500, &smsir_body(0, Value::Null)),
        _ => reply_json(500, &json!({"error": "internal server error"})),
    }
}

fn provider_error(provider: Provider, code: u16) -> Reply {
    match provider {
        Provider::Kavenegar => kave_error(code),
        Provider::SmsIr => smsir_error(code),
        _ => reply_json(code, &json!({"error": format!("provider error {code}")})),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An Iranian mobile in the forms the panels accept — `09xxxxxxxxx`,
/// `9xxxxxxxxx`, `989xxxxxxxxx`, `+989xxxxxxxxx` — as E.164 `+989xxxxxxxxx`.
/// (Forms: [DESIGN]; the panels' samples use `09xxxxxxxxx`.)
pub fn normalise_mobile(s: &str) -> Option<String> {
    let s = s.trim();
    let (digits, plus) = match s.strip_prefix('+') {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let national = match (plus, digits.len()) {
        (true, 12) | (false, 12) if digits.starts_with("989") => &digits[2..],
        (false, 11) if digits.starts_with("09") => &digits[1..],
        (false, 10) if digits.starts_with('9') => digits,
        _ => return None,
    };
    Some(format!("+98{national}"))
}

/// SMS parts for a text: GSM-7 160/153, otherwise UCS-2 70/67 (operator
/// norm; the panels bill per part).
fn sms_parts(text: &str) -> u64 {
    let ascii = text
        .chars()
        .all(|c| c.is_ascii() && (c >= ' ' || c == '\n' || c == '\r'));
    let len = text.encode_utf16().count() as u64;
    let (single, multi) = if ascii { (160, 153) } else { (70, 67) };
    if len <= single {
        1
    } else {
        len.div_ceil(multi)
    }
}

// ---------------------------------------------------------------------------
// Kavenegar
// ---------------------------------------------------------------------------

/// [KN-REST] `#result-general`: the error table (`return.status`); the same
/// code is the HTTP status ([KN-SDK] `client.go` reads it from non-200 answers).
fn kave_message(code: u16) -> &'static str {
    match code {
        200 => "تایید شد",
        400 => "پارامترها ناقص هستند",
        401 => "حساب کاربری غیرفعال شده است",
        402 => "عملیات ناموفق بود",
        403 => "کد شناسائی API-Key معتبر نمی‌باشد",
        404 => "متد نامشخص است",
        405 => "متد Get/Post اشتباه است",
        406 => "پارامترهای اجباری خالی ارسال شده اند",
        407 => "دسترسی به اطلاعات مورد نظر برای شما امکان پذیر نیست",
        409 => "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید",
        411 => "دریافت کننده نامعتبر است",
        412 => "ارسال کننده نامعتبر است",
        413 => {
            "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد. حداکثر طول کل متن پیامک 900 کاراکتر می باشد"
        }
        414 => {
            "حجم درخواست بیشتر از حد مجاز است ،ارسال پیامک :هر فراخوانی حداکثر 200 رکورد و کنترل وضعیت :هر فراخوانی 500 رکورد"
        }
        415 => "اندیس شروع بزرگ تر از کل تعداد شماره های مورد نظر است",
        416 => "IP سرویس مبدا با تنظیمات مطابقت ندارد",
        417 => "تاریخ ارسال اشتباه است و فرمت آن صحیح نمی باشد.",
        418 => "اعتبار حساب شما کافی نیست",
        419 => "طول آرایه متن و گیرنده و فرستنده هم اندازه نیست",
        420 => "استفاده از لینک در متن پیام برای شما محدود شده است",
        422 => "داده ها به دلیل وجود کاراکتر نامناسب قابل پردازش نیست",
        424 => "الگوی مورد نظر پیدا نشد",
        426 => "استفاده از این متد نیازمند سرویس پیشرفته می‌باشد",
        427 => "استفاده از این خط نیازمند ایجاد سطح دسترسی می باشد",
        428 => "ارسال کد از طریق تماس تلفنی امکان پذیر نیست",
        429 => "IP محدود شده است",
        431 => "ساختار کد صحیح نمی‌باشد",
        432 => "پارامتر کد در متن پیام پیدا نشد",
        451 => "فراخوانی بیش از حد در بازه زمانی مشخص IP محدود شده",
        501 => "فقط امکان ارسال پیام تست به شماره صاحب حساب کاربری وجود دارد",
        _ => "خطای نامشخص",
    }
}

/// [KN-REST] an error answer: HTTP status = code,
/// `{"return":{"status":code,"message":…},"entries":null}`.
fn kave_error(code: u16) -> Reply {
    reply_json(
        code,
        &json!({"return": {"status": code, "message": kave_message(code)}, "entries": null}),
    )
}

fn kave_ok(entries: Vec<Value>) -> Reply {
    reply_json(
        200,
        &json!({"return": {"status": 200, "message": kave_message(200)}, "entries": entries}),
    )
}

/// Message status codes, [KN-REST] message status table; the `statustext`
/// for 1 and 5 is the one in the [KN-SDK] sample answers.
const KAVE_QUEUED: (u16, &str) = (1, "در صف ارسال");
const KAVE_SCHEDULED: (u16, &str) = (2, "زمان بندی شده");
const KAVE_SENT_TO_OPERATOR: (u16, &str) = (5, "ارسال به مخابرات");
const KAVE_BLOCKED: (u16, &str) = (
    14,
    "بلاک شده است، عدم تمایل گیرنده به دریافت پیامک از خطوط تبلیغاتی که هزینه آن به حساب برگشت داده میشود",
);
/// Cost per SMS part in the [KN-SDK] sample answer.
const KAVE_COST_PER_PART: u64 = 120;
/// [KN-REST] 413: at most 900 characters.
const KAVE_MAX_MESSAGE: usize = 900;
/// [KN-REST] 414: at most 200 records per call.
const KAVE_MAX_RECEPTORS: usize = 200;

/// Query-string and form parameters, names lowercased (the API is an
/// ASP.NET service whose parameter binding ignores case; the official .NET
/// clients send `localId`, `localMessageIds`).
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn kave_params(req: &Req<'_>) -> Params {
    let mut out: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
        .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
        .collect();
    // [KN-REST] parameters come by GET (query string) or POST; the SDKs post
    // `application/x-www-form-urlencoded`. Other bodies are not read.
    let form = match req.header("content-type") {
        None => true,
        Some(ct) => ct
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded"),
    };
    if *req.method == Method::POST && form {
        out.extend(
            form_urlencoded::parse(req.body).map(|(k, v)| (k.to_lowercase(), v.into_owned())),
        );
    }
    Params(out)
}

fn kavenegar(st: &mut State, req: &Req<'_>, key: &str, scope: &str, method: &str) -> Reply {
    // [KN-REST] "receives the parameters by GET or POST".
    if *req.method != Method::GET && *req.method != Method::POST {
        return kave_error(405);
    }
    let known = matches!(
        (scope, method),
        ("sms", "send.json")
            | ("sms", "sendarray.json")
            | ("verify", "lookup.json")
            | ("sms", "receive.json")
            | ("sms", "status.json")
            | ("account", "info.json")
    );
    if !known {
        return kave_error(404);
    }
    // [KN-REST] 403: the API-Key is not valid (401 is "account disabled").
    if key != API_KEY {
        return kave_error(403);
    }
    let p = kave_params(req);
    match (scope, method) {
        ("sms", "send.json") => kave_send(st, &p),
        ("sms", "sendarray.json") => kave_sendarray(st, &p),
        ("sms", "receive.json") => kave_receive(st, &p),
        ("sms", "status.json") => kave_status(st, &p),
        ("account", "info.json") => kave_info(st),
        _ => kave_lookup(st, &p),
    }
}

/// [DESIGN], [KN-SDK] `message_receive.go`: `linenumber`, `isread` →
/// entries `[{messageid, message, sender, receptor, date}]`. `isread=0`
/// answers the unread replies (at most 200, oldest first) and marks them
/// read; `isread=1` the read ones.
fn kave_receive(st: &mut State, p: &Params) -> Reply {
    if p.get("linenumber").map(str::trim) != Some(SENDER) {
        return kave_error(412);
    }
    let unread = p.get("isread").map(str::trim) != Some("1");
    let mut entries = Vec::new();
    for r in st.replies.iter_mut().filter(|r| r.read != unread).take(200) {
        r.read = true;
        // The panels write mobiles in the national form.
        let sender = normalise_mobile(&r.from).map_or_else(|| r.from.clone(), |e| format!("0{}", &e[3..]));
        entries.push(json!({"messageid": r.id, "message": r.text, "sender": sender, "receptor": SENDER, "date": r.at}));
    }
    kave_ok(entries)
}

/// [DESIGN], [KN-SDK] `message_status.go`: `messageid`, a comma list of at
/// most 500 ([KN-REST] 414) → one entry `{messageid, status, statustext}`
/// per id, in order; [KN-REST] status 100 for an id the panel never issued.
fn kave_status(st: &mut State, p: &Params) -> Reply {
    let ids: Vec<&str> = p.get("messageid").unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if ids.is_empty() {
        return kave_error(400);
    }
    if ids.len() > 500 {
        return kave_error(414);
    }
    let entries = ids
        .iter()
        .map(|id| {
            let sent = st.delivered.iter().any(|d| d.provider == Provider::Kavenegar && d.provider_id == *id);
            let (status, text) = match (sent, st.reports.get(*id)) {
                (false, _) => (100, "شناسه پیامک نامعتبر است"),
                (true, Some(true)) => (10, "رسیده به گیرنده"),
                (true, Some(false)) => (11, "نرسیده به گیرنده"),
                (true, None) => (4, "ارسال به مخابرات"),
            };
            json!({"messageid": id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n)), "status": status, "statustext": text})
        })
        .collect();
    kave_ok(entries)
}

/// [KN-SDK] `account_Info.go`: entries is an object `{remaincredit,
/// expiredate, type}`, the credit in rials.
fn kave_info(st: &State) -> Reply {
    let entries = json!({"remaincredit": st.credit as i64, "expiredate": unix_now() + 365 * 86_400, "type": "master"});
    reply_json(200, &json!({"return": {"status": 200, "message": kave_message(200)}, "entries": entries}))
}

/// `date` ([KN-REST] UnixTime; 417 when malformed); 0 or absent means now.
fn kave_date(p: &Params) -> Result<Option<i64>, Reply> {
    match p.get("date").map(str::trim) {
        None | Some("") | Some("0") => Ok(None),
        Some(d) => match d.parse::<i64>() {
            Ok(v) if v > 0 => Ok(Some(v)),
            _ => Err(kave_error(417)),
        },
    }
}

fn kave_check_message(m: &str) -> Result<(), Reply> {
    if m.is_empty() || m.chars().count() > KAVE_MAX_MESSAGE {
        return Err(kave_error(413));
    }
    Ok(())
}

/// [KN-REST] `sms/send`: `receptor` (comma list), `message`, optional
/// `sender` (default line when absent), `date`, `type`, `localid` (comma
/// list, one per receptor).
fn kave_send(st: &mut State, p: &Params) -> Reply {
    match kave_send_checked(st, p) {
        Ok(r) | Err(r) => r,
    }
}

fn kave_send_checked(st: &mut State, p: &Params) -> Result<Reply, Reply> {
    let raw = p.get("receptor").unwrap_or("").trim();
    if raw.is_empty() {
        return Err(kave_error(411));
    }
    let given: Vec<&str> = raw.split(',').map(str::trim).collect();
    if given.len() > KAVE_MAX_RECEPTORS {
        return Err(kave_error(414));
    }
    let e164: Vec<String> = given
        .iter()
        .map(|r| normalise_mobile(r).ok_or_else(|| kave_error(411)))
        .collect::<Result<_, _>>()?;
    let message = p.get("message").unwrap_or("");
    kave_check_message(message)?;
    let sender = kave_sender(p.get("sender"))?;
    let date = kave_date(p)?;
    let localids: Vec<Option<String>> = match p.get("localid").map(str::trim) {
        None | Some("") => vec![None; given.len()],
        Some(l) => {
            let ids: Vec<&str> = l.split(',').map(str::trim).collect();
            (0..given.len())
                .map(|i| ids.get(i).filter(|s| !s.is_empty()).map(|s| s.to_string()))
                .collect()
        }
    };
    let entries = given
        .iter()
        .zip(&e164)
        .zip(localids)
        .map(|((g, e), l)| kave_deliver(st, g, e, message, &sender, date, l, KAVE_QUEUED, true))
        .collect();
    Ok(kave_ok(entries))
}

/// [KN-REST] 412 for a sender that is not one of the account's lines; an
/// absent sender means the default line.
fn kave_sender(sender: Option<&str>) -> Result<String, Reply> {
    match sender.map(str::trim) {
        None | Some("") => Ok(SENDER.to_string()),
        Some(s) if s == SENDER => Ok(s.to_string()),
        Some(_) => Err(kave_error(412)),
    }
}

/// A JSON-array parameter ([KN-SDK] `message_sendArray.go` sends
/// `ToJson(receptor)` etc.). Numbers are taken as their text.
fn kave_json_array(p: &Params, name: &str) -> Option<Vec<String>> {
    let v: Value = serde_json::from_str(p.get(name)?).ok()?;
    v.as_array()?
        .iter()
        .map(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// [KN-REST] `sms/sendarray`: parallel arrays `receptor`, `sender`,
/// `message`, optional `localmessageids`; unequal lengths are 419.
fn kave_sendarray(st: &mut State, p: &Params) -> Reply {
    match kave_sendarray_checked(st, p) {
        Ok(r) | Err(r) => r,
    }
}

fn kave_sendarray_checked(st: &mut State, p: &Params) -> Result<Reply, Reply> {
    let receptors = kave_json_array(p, "receptor").ok_or_else(|| kave_error(411))?;
    let senders = kave_json_array(p, "sender").ok_or_else(|| kave_error(412))?;
    let messages = kave_json_array(p, "message").ok_or_else(|| kave_error(413))?;
    let n = receptors.len();
    if n == 0 {
        return Err(kave_error(411));
    }
    if senders.len() != n || messages.len() != n {
        return Err(kave_error(419));
    }
    let localids: Vec<Option<String>> = match p.get("localmessageids").map(str::trim) {
        None | Some("") => vec![None; n],
        Some(raw) => {
            let ids = kave_json_array(p, "localmessageids")
                .unwrap_or_else(|| raw.split(',').map(|s| s.trim().to_string()).collect());
            if ids.len() != n {
                return Err(kave_error(419));
            }
            ids.into_iter()
                .map(|s| (!s.is_empty()).then_some(s))
                .collect()
        }
    };
    if n > KAVE_MAX_RECEPTORS {
        return Err(kave_error(414));
    }
    let e164: Vec<String> = receptors
        .iter()
        .map(|r| normalise_mobile(r).ok_or_else(|| kave_error(411)))
        .collect::<Result<_, _>>()?;
    for s in &senders {
        kave_sender(Some(s))?;
    }
    for m in &messages {
        kave_check_message(m)?;
    }
    let date = kave_date(p)?;
    let mut entries = Vec::with_capacity(n);
    for (i, l) in localids.into_iter().enumerate() {
        let sender = kave_sender(Some(&senders[i]))?;
        entries.push(kave_deliver(
            st,
            &receptors[i],
            &e164[i],
            &messages[i],
            &sender,
            date,
            l,
            KAVE_QUEUED,
            true,
        ));
    }
    Ok(kave_ok(entries))
}

/// [KN-REST] `verify/lookup`: one `receptor`, `template`, `token` (plus
/// optional `token2`, `token3`, `token10`, `token20`); answered with the
/// entries array ([KN-SDK] `verify_lookup.go`) whose status is 5 in the
/// [KN-SDK] sample. An unknown/empty template is 424; `token`, `token2`,
/// `token3` may not be empty or hold spaces (431, "code structure").
fn kave_lookup(st: &mut State, p: &Params) -> Reply {
    let receptor = p.get("receptor").unwrap_or("").trim();
    let Some(e164) = normalise_mobile(receptor) else {
        return kave_error(411);
    };
    let template = p.get("template").unwrap_or("").trim();
    if !st.templates.contains(template) {
        return kave_error(424);
    }
    let token = p.get("token").unwrap_or("");
    if token.is_empty() || token.chars().any(char::is_whitespace) {
        return kave_error(431);
    }
    let mut text = format!("[{template}] {token}");
    for name in ["token2", "token3", "token10", "token20"] {
        if let Some(t) = p.get(name).filter(|t| !t.is_empty()) {
            if (name == "token2" || name == "token3") && t.chars().any(char::is_whitespace) {
                return kave_error(431);
            }
            text.push(' ');
            text.push_str(t);
        }
    }
    let entry = kave_deliver(
        st,
        receptor,
        &e164,
        &text,
        SENDER,
        None,
        None,
        KAVE_SENT_TO_OPERATOR,
        false,
    );
    kave_ok(vec![entry])
}

/// One entry of a Kavenegar answer ([KN-SDK] sample: `messageid`, `message`,
/// `status`, `statustext`, `sender`, `receptor`, `date`, `cost`).
///
/// `localid`: a localid the panel has already seen is not sent again; the
/// entry answered the first time is returned instead ([DESIGN]; Kavenegar's
/// SDKs describe `localid` as the guard against duplicate sends).
/// `advertising`: the number's `*800#` block filters it (status 14); a
/// template send goes over the service line and is not filtered.
#[allow(clippy::too_many_arguments)]
fn kave_deliver(
    st: &mut State,
    receptor_given: &str,
    e164: &str,
    text: &str,
    sender: &str,
    date: Option<i64>,
    local_id: Option<String>,
    status: (u16, &str),
    advertising: bool,
) -> Value {
    if let Some(prev) = local_id.as_ref().and_then(|l| st.kave_localids.get(l)) {
        return prev.clone();
    }
    let now = unix_now();
    let id = st.message_id();
    let blocked = advertising && st.blacklist.contains(e164);
    let cost = sms_parts(text) * KAVE_COST_PER_PART;
    let ((code, statustext), cost) = if blocked {
        (KAVE_BLOCKED, 0)
    } else if date.is_some_and(|d| d > now) {
        (KAVE_SCHEDULED, cost)
    } else {
        (status, cost)
    };
    let entry = json!({
        "messageid": id,
        "message": text,
        "status": code,
        "statustext": statustext,
        "sender": sender,
        "receptor": receptor_given,
        "date": date.unwrap_or(now),
        "cost": cost,
    });
    if !blocked {
        st.delivered.push(Delivered {
            provider: Provider::Kavenegar,
            to: e164.to_string(),
            text: text.to_string(),
            sender: sender.to_string(),
            local_id: local_id.clone(),
            provider_id: id.to_string(),
        });
    }
    if let Some(l) = local_id {
        st.kave_localids.insert(l, entry.clone());
    }
    entry
}

// ---------------------------------------------------------------------------
// SMS.ir v1
// ---------------------------------------------------------------------------

/// [SMSIR-DOC] the status-code table.
fn smsir_message(code: u16) -> &'static str {
    match code {
        0 => "درخواست شما با خطا مواجه شده‌است",
        1 => "موفق",
        10 => "کلید وب سرویس نامعتبر است",
        11 => "کلید وب سرویس غیرفعال است",
        12 => "کلید وب سرویس محدود به آی‌پی‌های تعریف شده می‌باشد",
        13 => "حساب کاربری غیرفعال است",
        14 => "حساب کاربری در حالت تعلیق قرار دارد",
        15 => "به منظور استفاده از وب سرویس پلن خود را ارتقا دهید",
        16 => "مقدار ارسالی پارامتر نادرست می‌باشد",
        20 => "تعداد درخواست بیشتر از حد مجاز است",
        101 => "شماره خط نامعتبر می‌باشد",
        102 => "اعتبار کافی نمی‌باشد",
        103 => "درخواست شما دارای متن (های) خالی است",
        104 => "درخواست شما دارای موبایل (های) نادرست است",
        105 => "تعداد موبایل ها بیشتر از حد مجاز (100 عدد) میباشد",
        106 => "تعداد متن ها بیشتر از حد مجاز (100 عدد) میباشد",
        107 => "لیست موبایل ها خالی میباشد",
        108 => "لیست متن ها خالی میباشد",
        109 => "زمان ارسال نامعتبر میباشد",
        110 => "تعداد شماره موبایل ها و تعداد متن ها برابر نیستند",
        111 => "با این شناسه ارسالی ثبت نشده است",
        112 => "رکوردی برای حذف یافت نشد",
        113 => "قالب یافت نشد",
        114 => "طول رشته مقدار پارامتر، بیش از حد مجاز (25 کاراکتر) میباشد",
        115 => "شماره موبایل(ها) در لیست سیاه سامانه می‌باشند",
        116 => "نام یک یا چند پارامتر مقداردهی نشده‌است",
        117 => "متن ارسال شده مورد تایید نمی‌باشد",
        118 => "تعداد پیام ها بیشتر از حد مجاز می‌باشد",
        119 => "به منظور استفاده از قالب‌ شخصی سازی شده پلن خود را ارتقا دهید",
        123 => "خط ارسال‌کننده نیاز به فعال‌سازی دارد",
        124 => "درحال حاضر فقط امکان ارسال پیامک OTP وجود دارد",
        _ => "خطای نامشخص",
    }
}

fn smsir_body(code: u16, data: Value) -> Value {
    json!({"status": code, "message": smsir_message(code), "data": data})
}

/// [SMSIR-DOC] HTTP status by class: 401 authentication (key/account codes
/// 10–14; [SMSIR-SDK] a bad key is 401 with status 10), 429 too many
/// requests (status 20), 500 unexpected (status 0), 400 every other logical
/// error.
fn smsir_error(code: u16) -> Reply {
    let http = match code {
        0 => 500,
        10..=14 => 401,
        20 => 429,
        _ => 400,
    };
    reply_json(http, &smsir_body(code, Value::Null))
}

/// The answer of an ASP.NET Core `[ApiController]` whose body failed model
/// binding (malformed JSON, a string where a number is expected, …).
fn smsir_bad_body(field: &str, problem: &str) -> Reply {
    reply_json(
        400,
        &json!({
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": { field: [problem] },
        }),
    )
}

/// Property lookup ignoring case (ASP.NET Core's JSON binding does).
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn smsir(st: &mut State, req: &Req<'_>, path: &str) -> Reply {
    let report = path.strip_prefix("send/").filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
    let get = matches!(path, "credit" | "receive/latest") || report.is_some();
    if !get && !matches!(path, "send/bulk" | "send/verify" | "send/likeToLike") {
        return (StatusCode::NOT_FOUND, JSON, Vec::new());
    }
    if *req.method != if get { Method::GET } else { Method::POST } {
        return (StatusCode::METHOD_NOT_ALLOWED, JSON, Vec::new());
    }
    // [SMSIR-DOC] authentication by the X-API-KEY header; [SMSIR-SDK] a bad
    // key is HTTP 401, status 10 (a missing key is treated the same).
    if req.header("x-api-key") != Some(API_KEY) {
        return smsir_error(10);
    }
    match (path, report) {
        ("credit", _) => return reply_json(200, &smsir_body(1, json!(st.credit))),
        ("receive/latest", _) => return smsir_latest(st, req.query),
        (_, Some(id)) => return smsir_report(st, id),
        _ => {}
    }
    let json_body = req
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
    if !json_body {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, JSON, Vec::new());
    }
    let obj = match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(o)) => o,
        _ => {
            return smsir_bad_body(
                "$",
                "The JSON value could not be converted to the request model.",
            );
        }
    };
    let r = match path {
        "send/bulk" => smsir_bulk(st, &obj),
        "send/likeToLike" => smsir_like_to_like(st, &obj),
        _ => smsir_verify(st, &obj),
    };
    match r {
        Ok(r) | Err(r) => r,
    }
}

/// [SMSIR-DOC] `GET /v1/receive/latest?count=` (default and at most 100):
/// the replies not served before, each once → data `[{receiveReturnId,
/// messageText, number, mobile, receivedDateTime}]`, mobiles and the line
/// as JSON numbers (`989121234567`).
fn smsir_latest(st: &mut State, query: &str) -> Reply {
    let count = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("count"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(100)
        .min(100);
    let line: u64 = SENDER.parse().expect("the line is digits");
    let mut data = Vec::new();
    for r in st.replies.iter_mut().filter(|r| !r.read).take(count) {
        r.read = true;
        let mobile = normalise_mobile(&r.from).map_or_else(|| json!(r.from), |e| json!(e[1..].parse::<u64>().unwrap_or(0)));
        data.push(json!({"receiveReturnId": r.id, "messageText": r.text, "number": line, "mobile": mobile, "receivedDateTime": r.at}));
    }
    reply_json(200, &smsir_body(1, Value::Array(data)))
}

/// [SMSIR-DOC] `GET /v1/send/{messageId}` → data `{messageId, mobile,
/// messageText, sendDateTime, lineNumber, cost, deliveryState,
/// deliveryDateTime}`; deliveryState 3 (at the operator) until reported,
/// then 1 or 2; an unknown id is 111.
fn smsir_report(st: &State, id: &str) -> Reply {
    let Some(d) = st.delivered.iter().find(|d| d.provider == Provider::SmsIr && d.provider_id == id) else {
        return smsir_error(111);
    };
    let (state, at) = match st.reports.get(id) {
        Some(true) => (1, json!(unix_now())),
        Some(false) => (2, Value::Null),
        None => (3, Value::Null),
    };
    let data = json!({
        "messageId": id.parse::<u64>().unwrap_or(0),
        "mobile": d.to[3..].parse::<u64>().unwrap_or(0),
        "messageText": d.text,
        "sendDateTime": unix_now(),
        "lineNumber": d.sender.parse::<u64>().unwrap_or(0),
        "cost": sms_parts(&d.text) as f64,
        "deliveryState": state,
        "deliveryDateTime": at,
    });
    reply_json(200, &smsir_body(1, data))
}

fn smsir_line(obj: &Map<String, Value>) -> Result<u64, Reply> {
    let bad = || smsir_bad_body("$.lineNumber", "The JSON value could not be converted to System.Int64.");
    match field(obj, "lineNumber") {
        None => Ok(0),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(bad),
        // [SMSIR-DOC] the likeToLike sample sends the line as a string.
        Some(Value::String(s)) => s.parse().map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn smsir_strings(obj: &Map<String, Value>, name: &str) -> Result<Vec<String>, Reply> {
    let bad = || smsir_bad_body(&format!("$.{name}"), "The JSON value could not be converted to System.String[].");
    match field(obj, name) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(|m| m.as_str().map(str::to_string)).collect::<Option<_>>().ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// [SMSIR-DOC] `POST /v1/send/likeToLike {lineNumber, messageTexts[],
/// mobiles[], sendDateTime?}`: each mobile its own text; at most 100 of
/// each (105, 106), as many texts as mobiles (110) → the same `data` as
/// bulk.
fn smsir_like_to_like(st: &mut State, obj: &Map<String, Value>) -> Result<Reply, Reply> {
    let line = smsir_line(obj)?;
    let texts = smsir_strings(obj, "messageTexts")?;
    let mobiles = smsir_strings(obj, "mobiles")?;
    if line.to_string() != SENDER {
        return Err(smsir_error(101));
    }
    if mobiles.is_empty() {
        return Err(smsir_error(107));
    }
    if texts.is_empty() {
        return Err(smsir_error(108));
    }
    if mobiles.len() > 100 {
        return Err(smsir_error(105));
    }
    if texts.len() > 100 {
        return Err(smsir_error(106));
    }
    if texts.len() != mobiles.len() {
        return Err(smsir_error(110));
    }
    if texts.iter().any(|t| t.trim().is_empty()) {
        return Err(smsir_error(103));
    }
    let e164: Vec<String> = mobiles.iter().map(|m| normalise_mobile(m).ok_or_else(|| smsir_error(104))).collect::<Result<_, _>>()?;
    let (mut ids, mut cost) = (Vec::with_capacity(e164.len()), 0u64);
    for (to, text) in e164.into_iter().zip(texts) {
        if st.blacklist.contains(&to) {
            ids.push(0);
            continue;
        }
        let id = st.message_id();
        ids.push(id);
        cost += sms_parts(&text);
        st.delivered.push(Delivered { provider: Provider::SmsIr, to, text, sender: line.to_string(), local_id: None, provider_id: id.to_string() });
    }
    let data = json!({"packId": pack_id(st.next_id), "messageIds": ids, "cost": cost as f64});
    Ok(reply_json(200, &smsir_body(1, data)))
}

/// [SMSIR-SDK] `POST /v1/send/bulk {lineNumber: long, messageText,
/// mobiles: string[], sendDateTime?: unix}` →
/// `data: {packId: Guid, messageIds: [...], cost}`; [SMSIR-DOC] at most 100
/// mobiles (105); [DESIGN] messageId 0 for a blacklisted number.
fn smsir_bulk(st: &mut State, obj: &Map<String, Value>) -> Result<Reply, Reply> {
    let line = match field(obj, "lineNumber") {
        None => 0,
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
            smsir_bad_body(
                "$.lineNumber",
                "The JSON value could not be converted to System.Int64.",
            )
        })?,
        Some(_) => {
            return Err(smsir_bad_body(
                "$.lineNumber",
                "The JSON value could not be converted to System.Int64.",
            ));
        }
    };
    let text = match field(obj, "messageText") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(smsir_bad_body(
                "$.messageText",
                "The JSON value could not be converted to System.String.",
            ));
        }
    };
    let mobiles: Vec<String> = match field(obj, "mobiles") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|m| m.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                smsir_bad_body(
                    "$.mobiles",
                    "The JSON value could not be converted to System.String.",
                )
            })?,
        Some(_) => {
            return Err(smsir_bad_body(
                "$.mobiles",
                "The JSON value could not be converted to System.String[].",
            ));
        }
    };
    let send_at = match field(obj, "sendDateTime") {
        None => None,
        Some(Value::Number(n)) => Some(n.as_i64().ok_or_else(|| smsir_error(109))?),
        Some(_) => {
            return Err(smsir_bad_body(
                "$.sendDateTime",
                "The JSON value could not be converted to System.Nullable`1[System.Int64].",
            ));
        }
    };
    if line.to_string() != SENDER {
        return Err(smsir_error(101));
    }
    if text.trim().is_empty() {
        return Err(smsir_error(103));
    }
    if mobiles.is_empty() {
        return Err(smsir_error(107));
    }
    if mobiles.len() > 100 {
        return Err(smsir_error(105));
    }
    let e164: Vec<String> = mobiles
        .iter()
        .map(|m| normalise_mobile(m).ok_or_else(|| smsir_error(104)))
        .collect::<Result<_, _>>()?;
    // [SMSIR-DOC] times are UnixTime (UTC); a time in the past is 109.
    if send_at.is_some_and(|t| t < unix_now()) {
        return Err(smsir_error(109));
    }
    let parts = sms_parts(&text);
    let mut ids = Vec::with_capacity(e164.len());
    let mut sent = 0u64;
    for to in e164 {
        if st.blacklist.contains(&to) {
            ids.push(0);
            continue;
        }
        let id = st.message_id();
        ids.push(id);
        sent += 1;
        st.delivered.push(Delivered {
            provider: Provider::SmsIr,
            to,
            text: text.clone(),
            sender: line.to_string(),
            local_id: None,
            provider_id: id.to_string(),
        });
    }
    let pack_id = pack_id(st.next_id);
    let data = json!({"packId": pack_id, "messageIds": ids, "cost": (sent * parts) as f64});
    Ok(reply_json(200, &smsir_body(1, data)))
}

/// [SMSIR-SDK] `POST /v1/send/verify {mobile, templateId: int,
/// parameters: [{name, value}]}` → `data: {messageId, cost}`; [SMSIR-DOC]
/// 113 template not found (an id not made with [`FakePanel::add_template`]),
/// 114 value over 25 characters, 116 a parameter without a name. A verify
/// send goes over the service line: a `*800#` block does not stop it.
fn smsir_verify(st: &mut State, obj: &Map<String, Value>) -> Result<Reply, Reply> {
    let mobile = match field(obj, "mobile") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(smsir_bad_body(
                "$.mobile",
                "The JSON value could not be converted to System.String.",
            ));
        }
    };
    let template = match field(obj, "templateId") {
        None => 0,
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
            smsir_bad_body(
                "$.templateId",
                "The JSON value could not be converted to System.Int32.",
            )
        })?,
        Some(_) => {
            return Err(smsir_bad_body(
                "$.templateId",
                "The JSON value could not be converted to System.Int32.",
            ));
        }
    };
    let mut params: Vec<(String, String)> = Vec::new();
    match field(obj, "parameters") {
        None => {}
        Some(Value::Array(a)) => {
            for item in a {
                let Value::Object(o) = item else {
                    return Err(smsir_bad_body(
                        "$.parameters",
                        "The JSON value could not be converted.",
                    ));
                };
                let name = match field(o, "name") {
                    None => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(_) => {
                        return Err(smsir_bad_body("$.parameters.name", "Expected a string."));
                    }
                };
                let value = match field(o, "value") {
                    None => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(_) => {
                        return Err(smsir_bad_body("$.parameters.value", "Expected a string."));
                    }
                };
                params.push((name, value));
            }
        }
        Some(_) => return Err(smsir_bad_body("$.parameters", "Expected an array.")),
    }
    let Some(to) = normalise_mobile(&mobile) else {
        return Err(smsir_error(104));
    };
    if !st.templates.contains(&template.to_string()) {
        return Err(smsir_error(113));
    }
    if params.iter().any(|(n, _)| n.trim().is_empty()) {
        return Err(smsir_error(116));
    }
    if params.iter().any(|(_, v)| v.chars().count() > 25) {
        return Err(smsir_error(114));
    }
    let rendered: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let text = format!("[{template}] {}", rendered.join("; "));
    let id = st.message_id();
    st.delivered.push(Delivered {
        provider: Provider::SmsIr,
        to,
        text,
        sender: SENDER.to_string(),
        local_id: None,
        provider_id: id.to_string(),
    });
    Ok(reply_json(
        200,
        &smsir_body(1, json!({"messageId": id, "cost": 1.0})),
    ))
}

/// A GUID-shaped pack id ([SMSIR-SDK] `Guid PackId`), unique per panel.
fn pack_id(seed: u64) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        (nanos >> 16) as u32,
        (nanos & 0xffff) as u16,
        (seed >> 12) & 0xfff,
        seed & 0xfff,
        seed & 0xffff_ffff_ffff
    )
}

// ---------------------------------------------------------------------------
// Generic webhook (Vafa's own contract for any other panel)
// ---------------------------------------------------------------------------

/// `POST /webhook {"id","to","text","sender"}` signed with
/// `x-vafa-signature: sha256=<lowercase hex HMAC-SHA256(raw body, API_KEY)>`.
/// Bad or missing signature → 401; bad JSON → 400; bad `to` or empty `text`
/// → 422; success → 200 `{"provider_id":"wh-<n>"}`, and a repeated `id` gets
/// the same provider_id without a second delivery.
/// An array of such objects is answered with an array of `{"id",
/// "provider_id"}` in order; one bad element refuses the whole call.
fn webhook(st: &mut State, req: &Req<'_>) -> Reply {
    if *req.method != Method::POST {
        return reply_json(405, &json!({"error": "method not allowed"}));
    }
    if !signature_ok(req.header("x-vafa-signature"), req.body) {
        return reply_json(401, &json!({"error": "bad signature"}));
    }
    let (items, many) = match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Array(a)) if !a.is_empty() => (a, true),
        Ok(obj @ Value::Object(_)) => (vec![obj], false),
        _ => return reply_json(400, &json!({"error": "malformed json"})),
    };
    let mut checked = Vec::with_capacity(items.len());
    for item in &items {
        match webhook_message(item) {
            Ok(m) => checked.push(m),
            Err(reply) => return reply,
        }
    }
    let mut answers = Vec::with_capacity(checked.len());
    for (id, e164, text, sender) in checked {
        let provider_id = match st.webhook_ids.get(&id) {
            Some(known) => known.clone(),
            None => {
                let provider_id = format!("wh-{}", st.next_webhook);
                st.next_webhook += 1;
                st.webhook_ids.insert(id.clone(), provider_id.clone());
                st.delivered.push(Delivered { provider: Provider::Webhook, to: e164, text, sender, local_id: Some(id.clone()), provider_id: provider_id.clone() });
                provider_id
            }
        };
        answers.push(json!({"id": id, "provider_id": provider_id}));
    }
    match many {
        true => reply_json(200, &Value::Array(answers)),
        false => reply_json(200, &json!({"provider_id": answers[0]["provider_id"]})),
    }
}

/// One message of a webhook call: `(id, to as E.164, text, sender)`.
fn webhook_message(v: &Value) -> Result<(String, String, String, String), Reply> {
    let text_of = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    let (Some(id), Some(to), Some(text), Some(sender)) = (text_of("id"), text_of("to"), text_of("text"), text_of("sender")) else {
        return Err(reply_json(400, &json!({"error": "id, to, text and sender are required strings"})));
    };
    let Some(e164) = normalise_mobile(&to) else {
        return Err(reply_json(422, &json!({"error": "invalid recipient"})));
    };
    if text.is_empty() || id.is_empty() {
        return Err(reply_json(422, &json!({"error": "empty id or text"})));
    }
    Ok((id, e164, text, sender))
}

/// The signature of `body` as the header value the webhook expects.
pub fn webhook_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(API_KEY.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn signature_ok(header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    // Lowercase hex only, as the contract says.
    if hex_sig.bytes().any(|b| b.is_ascii_uppercase()) {
        return false;
    }
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(API_KEY.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

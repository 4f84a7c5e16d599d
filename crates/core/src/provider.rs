//! SMS panels, as data: for each provider, the HTTP request that sends one
//! message and the reading of its answer. The adapter performs the call; no
//! I/O happens here, so every format is unit-tested.
//!
//! Formats follow the panels' public API documentation:
//! - Kavenegar REST (`https://kavenegar.com/rest.html`, "sms/send"):
//!   `POST {base}/v1/{API-KEY}/sms/send.json`, form fields `receptor`,
//!   `sender`, `message`, `localid`; every answer is
//!   `{"return": {"status", "message"}, "entries": [...]}` and the HTTP status
//!   equals `return.status`.
//!   Many messages go in one `sms/sendarray.json` (JSON arrays `receptor`,
//!   `sender`, `message`, `localmessageids`).
//! - SMS.ir v1 (`https://app.sms.ir/developer/help/bulk`): `POST {base}/v1/send/bulk`,
//!   header `x-api-key`, JSON `lineNumber`, `messageText`, `mobiles`; answer
//!   `{"status", "message", "data": {"packId", "messageIds", "cost"}}`,
//!   `status` 1 = success, message id 0 = a blacklisted number. Different
//!   texts go together in `send/likeToLike` (`messageTexts`, `mobiles`).
//! - `webhook`: Vafa's own contract for any other panel: `POST {sms_base_url}`
//!   JSON `{"id", "to", "text", "sender"}` (a JSON array of them for many),
//!   header `x-vafa-signature: sha256=<hex HMAC-SHA256(body, sms_api_key)>`;
//!   any 2xx is accepted, an optional `{"provider_id"}` in the answer (an
//!   array of them, in order, for many) is kept.
//!
//! Polling the panels (replies, delivery states, credit) is in [`poll`].

use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::secret;
use serde::Deserialize;

pub mod poll;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Records messages as sent and sends nothing: the default, so a new
    /// install can never spend credit or text a real person by accident.
    Sandbox,
    Kavenegar,
    SmsIr,
    Webhook,
}

impl ProviderKind {
    pub fn parse(name: &str) -> Result<ProviderKind> {
        match name.trim() {
            "" | "sandbox" => Ok(ProviderKind::Sandbox),
            "kavenegar" => Ok(ProviderKind::Kavenegar),
            "smsir" => Ok(ProviderKind::SmsIr),
            "webhook" => Ok(ProviderKind::Webhook),
            other => Err(Error::internal(format!("sms_provider {other:?}: expected sandbox, kavenegar, smsir or webhook"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Sandbox => "sandbox",
            ProviderKind::Kavenegar => "kavenegar",
            ProviderKind::SmsIr => "smsir",
            ProviderKind::Webhook => "webhook",
        }
    }
}

/// The provider settings, from Spin variables.
#[derive(Debug, Clone)]
pub struct PanelConfig {
    pub kind: ProviderKind,
    pub api_key: String,
    pub sender: String,
    /// Empty means the provider's public endpoint.
    pub base_url: String,
    /// The panel's templates for one-time codes (`sms_templates`).
    pub templates: Templates,
}

/// The templates codes go through when the owner has made them in the
/// panel: Kavenegar's `verify/lookup` template names, or SMS.ir's
/// `send/verify` template ids (the template's one parameter is `CODE`).
/// Operators let subscribers block advertising SMS (`*800#`); a template
/// send goes over the panel's service line and still reaches them.
/// `sms_templates` names them: `join=…,signin=…,reward=…,erasure=…`, any left out
/// going as a plain send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    pub join: Option<String>,
    pub sign_in: Option<String>,
    pub reward: Option<String>,
    pub erasure: Option<String>,
}

/// SMS.ir's name for the code in a `send/verify` template (`#CODE#`).
pub const SMSIR_CODE_PARAMETER: &str = "CODE";

impl Templates {
    pub fn parse(kind: ProviderKind, raw: &str) -> Result<Templates> {
        let mut t = Templates::default();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || Error::internal(format!("sms_templates {entry:?}: expected join=, signin=, reward= or erasure= and a template"));
            let (name, template) = entry.split_once('=').ok_or_else(bad)?;
            let template = template.trim();
            if template.is_empty() || template.chars().any(char::is_whitespace) {
                return Err(bad());
            }
            if kind == ProviderKind::SmsIr && template.parse::<u32>().is_err() {
                return Err(Error::internal(format!("sms_templates {entry:?}: an SMS.ir template is its id, digits only")));
            }
            let slot = match name.trim() {
                "join" => &mut t.join,
                "signin" => &mut t.sign_in,
                "reward" => &mut t.reward,
                "erasure" => &mut t.erasure,
                _ => return Err(bad()),
            };
            *slot = Some(template.to_string());
        }
        Ok(t)
    }
}

impl PanelConfig {
    fn base(&self) -> &str {
        let default = match self.kind {
            ProviderKind::Kavenegar => "https://api.kavenegar.com",
            ProviderKind::SmsIr => "https://api.sms.ir",
            ProviderKind::Sandbox | ProviderKind::Webhook => "",
        };
        let base = if self.base_url.is_empty() { default } else { &self.base_url };
        base.trim_end_matches('/')
    }
}

/// One HTTP call to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What became of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted { provider_id: String },
    /// Worth another try later (server errors, timeouts, rate limits).
    Retry(String),
    /// Final: trying again would fail the same way (bad number, no credit,
    /// content held by the panel's filter, wrong key).
    Fail(String),
    /// The number refuses advertising SMS (`*800#`): mark it, never retry.
    Blacklisted(String),
}

/// A message's id (`s_<number>`): the number is the panel's local id, so
/// the id is what a panel is told and reports back.
pub fn id_of(number: u64) -> String {
    format!("s_{number}")
}

pub fn number_of(id: &str) -> Option<u64> {
    id.strip_prefix("s_")?.parse().ok()
}

/// One message of a call.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub number: u64,
    pub to: &'a Phone,
    pub text: &'a str,
}

impl ProviderKind {
    /// The most messages one call carries: Kavenegar's `sms/sendarray` 200
    /// receptors (its documented batch size), SMS.ir's `send/bulk` and
    /// `send/likeToLike` 100 mobiles, the webhook contract 100.
    pub fn batch_limit(self) -> usize {
        match self {
            ProviderKind::Kavenegar | ProviderKind::Sandbox => 200,
            ProviderKind::SmsIr | ProviderKind::Webhook => 100,
        }
    }
}

/// Splits messages into the calls that carry them, in order, up to the
/// provider's limit: as ranges of `msgs`.
pub fn batches(kind: ProviderKind, msgs: &[Outgoing<'_>]) -> Vec<std::ops::Range<usize>> {
    let limit = kind.batch_limit();
    (0..msgs.len()).step_by(limit).map(|start| start..msgs.len().min(start + limit)).collect()
}

/// The call that sends `msgs` (one batch of [`batches`]), each with our
/// message number as the panel's local id. `None` for the sandbox.
pub fn request_many(cfg: &PanelConfig, msgs: &[Outgoing<'_>]) -> Result<Option<HttpCall>> {
    match (cfg.kind, msgs) {
        (_, [m]) => request(cfg, m.number, m.to, m.text),
        (ProviderKind::Sandbox, _) => Ok(None),
        (ProviderKind::Kavenegar, _) => {
            let array = |f: &dyn Fn(&Outgoing<'_>) -> String| serde_json::to_string(&msgs.iter().map(f).collect::<Vec<String>>()).map_err(Error::internal);
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("receptor", &array(&|m| national(m.to))?)
                .append_pair("sender", &array(&|_| cfg.sender.clone())?)
                .append_pair("message", &array(&|m| m.text.to_string())?)
                .append_pair("localmessageids", &array(&|m| m.number.to_string())?)
                .finish();
            Ok(Some(kavenegar_call(cfg, "sms/sendarray", body)?))
        }
        (ProviderKind::SmsIr, [first, ..]) => {
            let mobiles: Vec<String> = msgs.iter().map(|m| national(m.to)).collect();
            if msgs.iter().all(|m| m.text == first.text) {
                return Ok(Some(smsir_bulk(cfg, first.text, &mobiles)?));
            }
            let texts: Vec<&str> = msgs.iter().map(|m| m.text).collect();
            let body = serde_json::json!({"lineNumber": smsir_line(cfg)?, "messageTexts": texts, "mobiles": mobiles, "sendDateTime": null});
            Ok(Some(smsir_call(cfg, "likeToLike", &body)?))
        }
        (ProviderKind::Webhook, _) => {
            let body: Vec<serde_json::Value> = msgs.iter().map(|m| webhook_message(cfg, m.number, m.to, m.text)).collect();
            Ok(Some(webhook_call(cfg, serde_json::to_vec(&body).map_err(Error::internal)?)?))
        }
        (_, []) => Err(Error::internal("a call carries at least one message")),
    }
}

/// The call that sends `text` to `to`, with our message number as the
/// panel's local id. `None` for the sandbox.
pub fn request(cfg: &PanelConfig, number: u64, to: &Phone, text: &str) -> Result<Option<HttpCall>> {
    Ok(Some(match cfg.kind {
        ProviderKind::Sandbox => return Ok(None),
        ProviderKind::Kavenegar => {
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("receptor", &national(to))
                .append_pair("sender", &cfg.sender)
                .append_pair("message", text)
                .append_pair("localid", &number.to_string())
                .finish();
            kavenegar_call(cfg, "sms/send", body)?
        }
        ProviderKind::SmsIr => smsir_bulk(cfg, text, &[national(to)])?,
        ProviderKind::Webhook => webhook_call(cfg, serde_json::to_vec(&webhook_message(cfg, number, to, text)).map_err(Error::internal)?)?,
    }))
}

fn webhook_message(cfg: &PanelConfig, number: u64, to: &Phone, text: &str) -> serde_json::Value {
    serde_json::json!({"id": id_of(number), "to": to.as_str(), "text": text, "sender": cfg.sender})
}

/// The webhook contract's signed POST of `body`.
fn webhook_call(cfg: &PanelConfig, body: Vec<u8>) -> Result<HttpCall> {
    if cfg.base().is_empty() {
        return Err(Error::internal("webhook provider: sms_base_url must be the webhook URL"));
    }
    Ok(HttpCall {
        method: "POST",
        url: cfg.base().to_string(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-vafa-signature".into(), format!("sha256={}", secret::hmac_hex(cfg.api_key.as_bytes(), &body))),
        ],
        body,
    })
}

/// Kavenegar's form-encoded `POST {base}/v1/{API-KEY}/{method}.json`.
fn kavenegar_call(cfg: &PanelConfig, method: &str, form: String) -> Result<HttpCall> {
    if cfg.api_key.is_empty() {
        return Err(Error::internal("kavenegar provider: sms_api_key is empty"));
    }
    Ok(HttpCall {
        method: "POST",
        url: format!("{}/v1/{}/{method}.json", cfg.base(), cfg.api_key),
        headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())],
        body: form.into_bytes(),
    })
}

fn smsir_line(cfg: &PanelConfig) -> Result<u64> {
    cfg.sender.parse().map_err(|_| Error::internal("smsir provider: sms_sender must be the line number, digits only"))
}

/// SMS.ir's `send/bulk`: one text to `mobiles`.
fn smsir_bulk(cfg: &PanelConfig, text: &str, mobiles: &[String]) -> Result<HttpCall> {
    let body = serde_json::json!({"lineNumber": smsir_line(cfg)?, "messageText": text, "mobiles": mobiles, "sendDateTime": null});
    smsir_call(cfg, "bulk", &body)
}

fn smsir_call(cfg: &PanelConfig, method: &str, body: &serde_json::Value) -> Result<HttpCall> {
    Ok(HttpCall {
        method: "POST",
        url: format!("{}/v1/send/{method}", cfg.base()),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json".into()),
            ("x-api-key".into(), cfg.api_key.clone()),
        ],
        body: serde_json::to_vec(body).map_err(Error::internal)?,
    })
}

/// The call that sends `token` (a one-time code) to `to` through the
/// panel's `template`: Kavenegar `verify/lookup`, SMS.ir `send/verify`.
/// Neither takes a local id, so a try whose answer was lost may send the
/// code twice. `None` where the provider has no templates (the sandbox, the
/// webhook contract): the message then goes as a plain send.
pub fn template_request(cfg: &PanelConfig, to: &Phone, template: &str, token: &str) -> Result<Option<HttpCall>> {
    Ok(Some(match cfg.kind {
        ProviderKind::Sandbox | ProviderKind::Webhook => return Ok(None),
        ProviderKind::Kavenegar => {
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("receptor", &national(to))
                .append_pair("template", template)
                .append_pair("token", token)
                .finish();
            kavenegar_call(cfg, "verify/lookup", body)?
        }
        ProviderKind::SmsIr => {
            let id: u32 = template.parse().map_err(|_| Error::internal("smsir provider: a template is its id, digits only"))?;
            let body = serde_json::json!({"mobile": national(to), "templateId": id, "parameters": [{"name": SMSIR_CODE_PARAMETER, "value": token}]});
            smsir_call(cfg, "verify", &body)?
        }
    }))
}

impl ProviderKind {
    /// Whether the provider sends through templates of its own.
    pub fn has_templates(self) -> bool {
        matches!(self, ProviderKind::Kavenegar | ProviderKind::SmsIr)
    }
}

/// Iranian panels take the national form `09121234567`; other numbers go in
/// the international `00` form they also accept.
fn national(to: &Phone) -> String {
    match to.as_str().strip_prefix("+98") {
        Some(rest) => format!("0{rest}"),
        None => format!("00{}", to.as_str().trim_start_matches('+')),
    }
}

/// Reads a panel's answer to a call carrying `n` messages: an outcome per
/// message, in their order. An answer that is not one per message (an
/// error, or a count that does not match) is the same outcome for all.
pub fn parse_answers(kind: ProviderKind, status: u16, body: &[u8], n: usize) -> Vec<Outcome> {
    match kind {
        ProviderKind::Sandbox => vec![Outcome::Accepted { provider_id: String::new() }; n],
        ProviderKind::Kavenegar => kavenegar_answers(status, body, n),
        ProviderKind::SmsIr => smsir_answers(status, body, n),
        ProviderKind::Webhook => webhook_answers(status, body, n),
    }
}

#[derive(Deserialize)]
struct KavenegarAnswer {
    #[serde(rename = "return")]
    ret: KavenegarReturn,
    entries: Option<Vec<KavenegarEntry>>,
}

#[derive(Deserialize)]
struct KavenegarReturn {
    status: u16,
    message: String,
}

#[derive(Deserialize)]
struct KavenegarEntry {
    messageid: u64,
    #[serde(default)]
    status: u16,
}

fn kavenegar_answers(http: u16, body: &[u8], n: usize) -> Vec<Outcome> {
    let Ok(answer) = serde_json::from_slice::<KavenegarAnswer>(body) else {
        return vec![unreadable("kavenegar", http, body); n];
    };
    let code = answer.ret.status;
    if code == 200 {
        return match answer.entries.as_deref() {
            // One entry per receptor, in their order.
            Some(entries) if entries.len() == n => entries
                .iter()
                .map(|e| match e.status {
                    // Status 14 ("filtered"): the recipient blocks advertising (*800#).
                    14 => Outcome::Blacklisted(format!("kavenegar: message {} filtered: the number blocks advertising", e.messageid)),
                    _ => Outcome::Accepted { provider_id: e.messageid.to_string() },
                })
                .collect(),
            // Retried with the same local ids, which the panel does not send twice.
            got => vec![Outcome::Retry(format!("kavenegar: status 200 with {} entries for {n} messages", got.map_or(0, <[_]>::len))); n],
        };
    }
    let reason = format!("kavenegar {code}: {}", answer.ret.message);
    // Kavenegar's error table: 5xx are server faults and 451 is "too many
    // calls"; every other code (401 key, 407 IP, 411 receptor, 412 sender,
    // 413 text, 414 receptors, 418 credit, 419 arrays, ...) fails the same
    // way on a retry.
    vec![if code >= 500 || code == 451 { Outcome::Retry(reason) } else { Outcome::Fail(reason) }; n]
}

#[derive(Deserialize)]
struct SmsIrAnswer {
    status: i64,
    message: Option<String>,
    data: Option<SmsIrData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SmsIrData {
    message_ids: Option<Vec<i64>>,
    /// `send/verify`'s answer: one message.
    message_id: Option<i64>,
}

fn smsir_answers(http: u16, body: &[u8], n: usize) -> Vec<Outcome> {
    let Ok(answer) = serde_json::from_slice::<SmsIrAnswer>(body) else {
        return vec![unreadable("smsir", http, body); n];
    };
    let reason = format!("smsir {}: {}", answer.status, answer.message.unwrap_or_default());
    let all = |o: Outcome| vec![o; n];
    match answer.status {
        // One id per mobile, in their order; 0 for a blacklisted number.
        1 => match answer.data.and_then(|d| d.message_ids.or_else(|| d.message_id.map(|id| vec![id]))) {
            Some(ids) if ids.len() == n => ids
                .into_iter()
                .map(|id| match id {
                    0 => Outcome::Blacklisted("smsir: the number is blacklisted (*800#)".into()),
                    id => Outcome::Accepted { provider_id: id.to_string() },
                })
                .collect(),
            _ => all(Outcome::Retry(format!("smsir: success without a message id for each of {n}"))),
        },
        // 20: rate limited, "try again later".
        20 => all(Outcome::Retry(reason)),
        115 => all(Outcome::Blacklisted(reason)),
        _ if http >= 500 => all(Outcome::Retry(reason)),
        _ => all(Outcome::Fail(reason)),
    }
}

/// Any 2xx accepts every message of the call; the panel's ids are kept
/// when the answer gives them (`{"provider_id"}`, or an array of them in
/// the messages' order).
fn webhook_answers(http: u16, body: &[u8], n: usize) -> Vec<Outcome> {
    #[derive(Deserialize)]
    struct Answer {
        provider_id: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Answers {
        One(Answer),
        Many(Vec<Answer>),
    }
    match http {
        200..=299 => {
            let ids: Vec<Option<String>> = match serde_json::from_slice::<Answers>(body) {
                Ok(Answers::One(a)) if n == 1 => vec![a.provider_id],
                Ok(Answers::Many(all)) if all.len() == n => all.into_iter().map(|a| a.provider_id).collect(),
                _ => vec![None; n],
            };
            ids.into_iter().map(|id| Outcome::Accepted { provider_id: id.unwrap_or_default() }).collect()
        }
        408 | 429 | 500..=599 => vec![Outcome::Retry(format!("webhook answered {http}")); n],
        _ => vec![Outcome::Fail(format!("webhook answered {http}")); n],
    }
}

fn unreadable(provider: &str, http: u16, body: &[u8]) -> Outcome {
    let snippet: String = String::from_utf8_lossy(body).chars().take(120).collect();
    let reason = format!("{provider}: unreadable answer (HTTP {http}): {snippet}");
    if http >= 500 || http == 429 { Outcome::Retry(reason) } else { Outcome::Fail(reason) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        assert_eq!(number_of(&id_of(42)), Some(42));
        assert_eq!(number_of("m_42"), None);
    }

    fn cfg(kind: ProviderKind) -> PanelConfig {
        PanelConfig { kind, api_key: "key".into(), sender: "10004346".into(), base_url: "http://127.0.0.1:9".into(), templates: Templates::default() }
    }

    fn to() -> Phone {
        crate::phone::normalize("09121234567", "IR").unwrap()
    }

    #[test]
    fn templates_are_named_per_code_and_checked_for_the_provider() {
        let t = Templates::parse(ProviderKind::Kavenegar, " join=vafa-join, reward=vafa-code ").unwrap();
        assert_eq!((t.join.as_deref(), t.sign_in.as_deref(), t.reward.as_deref()), (Some("vafa-join"), None, Some("vafa-code")));
        assert_eq!(Templates::parse(ProviderKind::Kavenegar, "").unwrap(), Templates::default());
        assert!(Templates::parse(ProviderKind::SmsIr, "join=vafa-join").is_err(), "SMS.ir templates are ids");
        assert_eq!(Templates::parse(ProviderKind::SmsIr, "signin=123456").unwrap().sign_in.as_deref(), Some("123456"));
        assert_eq!(Templates::parse(ProviderKind::SmsIr, "erasure=123457").unwrap().erasure.as_deref(), Some("123457"));
        for bad in ["join", "login=x", "join=", "join=a b"] {
            assert!(Templates::parse(ProviderKind::Kavenegar, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_template_send_carries_the_code_as_its_token() {
        let call = template_request(&cfg(ProviderKind::Kavenegar), &to(), "vafa-join", "123456").unwrap().unwrap();
        assert_eq!(call.url, "http://127.0.0.1:9/v1/key/verify/lookup.json");
        assert_eq!(String::from_utf8(call.body).unwrap(), "receptor=09121234567&template=vafa-join&token=123456");
        let call = template_request(&cfg(ProviderKind::SmsIr), &to(), "123456", "654321").unwrap().unwrap();
        assert_eq!(call.url, "http://127.0.0.1:9/v1/send/verify");
        let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(body, serde_json::json!({"mobile": "09121234567", "templateId": 123456, "parameters": [{"name": "CODE", "value": "654321"}]}));
        assert_eq!(template_request(&cfg(ProviderKind::Webhook), &to(), "x", "1").unwrap(), None);
        // SMS.ir's verify answer names one message.
        let ok = br#"{"status":1,"message":"ok","data":{"messageId":88,"cost":1.0}}"#;
        assert_eq!(parse_answers(ProviderKind::SmsIr, 200, ok, 1), vec![Outcome::Accepted { provider_id: "88".into() }]);
        let unknown = r#"{"status":113,"message":"قالب یافت نشد","data":null}"#;
        assert!(matches!(&parse_answers(ProviderKind::SmsIr, 400, unknown.as_bytes(), 1)[0], Outcome::Fail(r) if r.contains("113")));
    }

    #[test]
    fn kavenegar_request_is_form_encoded_with_our_local_id() {
        let call = request(&cfg(ProviderKind::Kavenegar), 42, &to(), "سلام").unwrap().unwrap();
        assert_eq!(call.url, "http://127.0.0.1:9/v1/key/sms/send.json");
        let fields: Vec<(String, String)> = form_urlencoded::parse(&call.body).into_owned().collect();
        assert_eq!(
            fields,
            [("receptor", "09121234567"), ("sender", "10004346"), ("message", "سلام"), ("localid", "42")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn many_messages_share_calls_up_to_the_panels_limits() {
        let phone = to();
        let texts = ["a", "b", "a"];
        let msgs: Vec<Outgoing<'_>> = (0..450).map(|i| Outgoing { number: i as u64 + 1, to: &phone, text: texts[i % 3] }).collect();
        let sizes = |kind| batches(kind, &msgs).iter().map(|b| b.len()).collect::<Vec<_>>();
        assert_eq!(sizes(ProviderKind::Kavenegar), [200, 200, 50]);
        assert_eq!(sizes(ProviderKind::SmsIr), [100, 100, 100, 100, 50]);
        assert_eq!(sizes(ProviderKind::Webhook), [100, 100, 100, 100, 50]);
        assert!(batches(ProviderKind::Kavenegar, &[]).is_empty());

        let call = request_many(&cfg(ProviderKind::Kavenegar), &msgs[..3]).unwrap().unwrap();
        assert_eq!(call.url, "http://127.0.0.1:9/v1/key/sms/sendarray.json");
        let fields: std::collections::HashMap<String, String> = form_urlencoded::parse(&call.body).into_owned().collect();
        assert_eq!(fields["receptor"], r#"["09121234567","09121234567","09121234567"]"#);
        assert_eq!(fields["localmessageids"], r#"["1","2","3"]"#);
        assert_eq!(fields["message"], r#"["a","b","a"]"#);
        let same: Vec<Outgoing<'_>> = vec![msgs[0], msgs[2]];
        let body: serde_json::Value = serde_json::from_slice(&request_many(&cfg(ProviderKind::SmsIr), &same).unwrap().unwrap().body).unwrap();
        assert_eq!(body["mobiles"].as_array().unwrap().len(), 2);
        let mixed = request_many(&cfg(ProviderKind::SmsIr), &msgs[..2]).unwrap().unwrap();
        assert_eq!(mixed.url, "http://127.0.0.1:9/v1/send/likeToLike", "two texts go like to like");
        let body: serde_json::Value = serde_json::from_slice(&mixed.body).unwrap();
        assert_eq!(body["messageTexts"], serde_json::json!(["a", "b"]));
        assert_eq!(body["mobiles"], serde_json::json!(["09121234567", "09121234567"]));
        let hook = request_many(&cfg(ProviderKind::Webhook), &msgs[..2]).unwrap().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
        assert_eq!((body[0]["id"].as_str(), body[1]["id"].as_str()), (Some("s_1"), Some("s_2")));
        assert!(hook.headers.contains(&("x-vafa-signature".into(), format!("sha256={}", secret::hmac_hex(b"key", &hook.body)))));
    }

    #[test]
    fn a_bulk_answer_is_an_outcome_per_message() {
        let ok = br#"{"return":{"status":200,"message":"ok"},"entries":[{"messageid":7,"status":1},{"messageid":8,"status":14}]}"#;
        let got = parse_answers(ProviderKind::Kavenegar, 200, ok, 2);
        assert_eq!(got[0], Outcome::Accepted { provider_id: "7".into() });
        assert!(matches!(got[1], Outcome::Blacklisted(_)));
        assert!(parse_answers(ProviderKind::Kavenegar, 200, ok, 3).iter().all(|o| matches!(o, Outcome::Retry(_))), "entries that do not match");
        let no_credit = br#"{"return":{"status":418,"message":"credit"},"entries":null}"#;
        assert!(parse_answers(ProviderKind::Kavenegar, 418, no_credit, 2).iter().all(|o| matches!(o, Outcome::Fail(_))));
        for garbage in [&b"<html>502</html>"[..], b"", b"{\"return\": 5}"] {
            assert!(parse_answers(ProviderKind::Kavenegar, 502, garbage, 2).iter().all(|o| matches!(o, Outcome::Retry(_))), "{garbage:?}");
        }
        let hook = parse_answers(ProviderKind::Webhook, 200, br#"[{"provider_id":"a"},{"provider_id":"b"}]"#, 2);
        assert_eq!(hook, [Outcome::Accepted { provider_id: "a".into() }, Outcome::Accepted { provider_id: "b".into() }]);
        assert!(parse_answers(ProviderKind::Webhook, 204, b"", 2).iter().all(|o| *o == Outcome::Accepted { provider_id: String::new() }));
        let smsir = br#"{"status":1,"message":"ok","data":{"packId":"x","messageIds":[11,0],"cost":2}}"#;
        let got = parse_answers(ProviderKind::SmsIr, 200, smsir, 2);
        assert_eq!(got[0], Outcome::Accepted { provider_id: "11".into() });
        assert!(matches!(got[1], Outcome::Blacklisted(_)));
    }

    #[test]
    fn smsir_request_is_json_with_the_key_in_a_header() {
        let call = request(&cfg(ProviderKind::SmsIr), 42, &to(), "hi").unwrap().unwrap();
        assert_eq!(call.url, "http://127.0.0.1:9/v1/send/bulk");
        assert!(call.headers.contains(&("x-api-key".into(), "key".into())));
        let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(body["lineNumber"], 10004346u64);
        assert_eq!(body["mobiles"][0], "09121234567");
    }

    #[test]
    fn webhook_request_is_signed() {
        let call = request(&cfg(ProviderKind::Webhook), 42, &to(), "hi").unwrap().unwrap();
        let sig = format!("sha256={}", secret::hmac_hex(b"key", &call.body));
        assert!(call.headers.contains(&("x-vafa-signature".into(), sig)));
        let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(body["id"], "s_42");
        assert_eq!(body["to"], "+989121234567");
    }

    #[test]
    fn answers_map_to_retry_or_final() {
        use Outcome::*;
        let k = ProviderKind::Kavenegar;
        let s = ProviderKind::SmsIr;
        let w = ProviderKind::Webhook;
        type Case = (ProviderKind, u16, &'static str, fn(&Outcome) -> bool);
        let cases: Vec<Case> = vec![
            (k, 200, r#"{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"status":1}]}"#, |o| *o == Accepted { provider_id: "8792343".into() }),
            (k, 200, r#"{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792344,"status":14}]}"#, |o| matches!(o, Blacklisted(_))),
            (k, 418, r#"{"return":{"status":418,"message":"اعتبار حساب شما کافی نیست"},"entries":null}"#, |o| matches!(o, Fail(_))),
            (k, 411, r#"{"return":{"status":411,"message":"receptor"},"entries":null}"#, |o| matches!(o, Fail(_))),
            (k, 502, "<html>bad gateway</html>", |o| matches!(o, Retry(_))),
            (k, 500, r#"{"return":{"status":500,"message":"x"},"entries":null}"#, |o| matches!(o, Retry(_))),
            (s, 200, r#"{"status":1,"message":"موفق","data":{"packId":"p","messageIds":[977],"cost":1}}"#, |o| *o == Accepted { provider_id: "977".into() }),
            (s, 200, r#"{"status":1,"message":"موفق","data":{"packId":"p","messageIds":[0],"cost":0}}"#, |o| matches!(o, Blacklisted(_))),
            (s, 429, r#"{"status":20,"message":"rate","data":null}"#, |o| matches!(o, Retry(_))),
            (s, 400, r#"{"status":102,"message":"credit","data":null}"#, |o| matches!(o, Fail(_))),
            (w, 202, r#"{"provider_id":"wh-1"}"#, |o| *o == Accepted { provider_id: "wh-1".into() }),
            (w, 503, "", |o| matches!(o, Retry(_))),
            (w, 400, "", |o| matches!(o, Fail(_))),
        ];
        for (kind, http, body, ok) in cases {
            let got = parse_answers(kind, http, body.as_bytes(), 1).swap_remove(0);
            assert!(ok(&got), "{kind:?} {http} {body}: got {got:?}");
        }
    }
}

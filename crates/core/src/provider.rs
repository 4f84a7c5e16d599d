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
//! - SMS.ir v1 (`https://app.sms.ir/developer/help/bulk`): `POST {base}/v1/send/bulk`,
//!   header `x-api-key`, JSON `lineNumber`, `messageText`, `mobiles`; answer
//!   `{"status", "message", "data": {"packId", "messageIds", "cost"}}`,
//!   `status` 1 = success, message id 0 = a blacklisted number.
//! - `webhook`: Vafa's own contract for any other panel: `POST {sms_base_url}`
//!   JSON `{"id", "to", "text", "sender"}`, header
//!   `x-vafa-signature: sha256=<hex HMAC-SHA256(body, sms_api_key)>`; any 2xx
//!   is accepted, an optional `{"provider_id"}` in the answer is kept.

use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::secret;
use serde::Deserialize;

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

/// The call that sends `text` to `to`, with our message number as the
/// panel's local id. `None` for the sandbox.
/// A message's id (`s_<number>`): the number is the panel's local id, so
/// the id is what a panel is told and reports back.
pub fn id_of(number: u64) -> String {
    format!("s_{number}")
}

pub fn number_of(id: &str) -> Option<u64> {
    id.strip_prefix("s_")?.parse().ok()
}

pub fn request(cfg: &PanelConfig, number: u64, to: &Phone, text: &str) -> Result<Option<HttpCall>> {
    let config_error = |what: &str| Error::internal(format!("{} provider: {what}", cfg.kind.name()));
    Ok(Some(match cfg.kind {
        ProviderKind::Sandbox => return Ok(None),
        ProviderKind::Kavenegar => {
            if cfg.api_key.is_empty() {
                return Err(config_error("sms_api_key is empty"));
            }
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("receptor", &national(to))
                .append_pair("sender", &cfg.sender)
                .append_pair("message", text)
                .append_pair("localid", &number.to_string())
                .finish();
            HttpCall {
                method: "POST",
                url: format!("{}/v1/{}/sms/send.json", cfg.base(), cfg.api_key),
                headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())],
                body: body.into_bytes(),
            }
        }
        ProviderKind::SmsIr => {
            let line: u64 = cfg.sender.parse().map_err(|_| config_error("sms_sender must be the line number, digits only"))?;
            let body = serde_json::json!({
                "lineNumber": line,
                "messageText": text,
                "mobiles": [national(to)],
                "sendDateTime": null,
            });
            HttpCall {
                method: "POST",
                url: format!("{}/v1/send/bulk", cfg.base()),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("accept".into(), "application/json".into()),
                    ("x-api-key".into(), cfg.api_key.clone()),
                ],
                body: serde_json::to_vec(&body).map_err(Error::internal)?,
            }
        }
        ProviderKind::Webhook => {
            if cfg.base().is_empty() {
                return Err(config_error("sms_base_url must be the webhook URL"));
            }
            let body = serde_json::to_vec(&serde_json::json!({
                "id": id_of(number),
                "to": to.as_str(),
                "text": text,
                "sender": cfg.sender,
            }))
            .map_err(Error::internal)?;
            HttpCall {
                method: "POST",
                url: cfg.base().to_string(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-vafa-signature".into(), format!("sha256={}", secret::hmac_hex(cfg.api_key.as_bytes(), &body))),
                ],
                body,
            }
        }
    }))
}

/// Iranian panels take the national form `09121234567`; other numbers go in
/// the international `00` form they also accept.
fn national(to: &Phone) -> String {
    match to.as_str().strip_prefix("+98") {
        Some(rest) => format!("0{rest}"),
        None => format!("00{}", to.as_str().trim_start_matches('+')),
    }
}

/// Reads a panel's answer to a send.
pub fn parse_answer(kind: ProviderKind, status: u16, body: &[u8]) -> Outcome {
    match kind {
        ProviderKind::Sandbox => Outcome::Accepted { provider_id: String::new() },
        ProviderKind::Kavenegar => kavenegar_answer(status, body),
        ProviderKind::SmsIr => smsir_answer(status, body),
        ProviderKind::Webhook => webhook_answer(status, body),
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

fn kavenegar_answer(http: u16, body: &[u8]) -> Outcome {
    let Ok(answer) = serde_json::from_slice::<KavenegarAnswer>(body) else {
        return unreadable("kavenegar", http, body);
    };
    let code = answer.ret.status;
    if code == 200 {
        return match answer.entries.as_deref().and_then(|e| e.first()) {
            // Status 14 ("filtered"): the recipient blocks advertising (*800#).
            Some(e) if e.status == 14 => Outcome::Blacklisted(format!("kavenegar: message {} filtered: the number blocks advertising", e.messageid)),
            Some(e) => Outcome::Accepted { provider_id: e.messageid.to_string() },
            None => Outcome::Retry("kavenegar: status 200 without an entry".into()),
        };
    }
    let reason = format!("kavenegar {code}: {}", answer.ret.message);
    // Kavenegar's error table: 5xx are server faults and 451 is "too many
    // calls"; every other code (401 key, 407 IP, 411 receptor, 412 sender,
    // 413 text, 414 receptors, 418 credit, 419 arrays, ...) fails the same
    // way on a retry.
    if code >= 500 || code == 451 { Outcome::Retry(reason) } else { Outcome::Fail(reason) }
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
}

fn smsir_answer(http: u16, body: &[u8]) -> Outcome {
    let Ok(answer) = serde_json::from_slice::<SmsIrAnswer>(body) else {
        return unreadable("smsir", http, body);
    };
    let reason = format!("smsir {}: {}", answer.status, answer.message.unwrap_or_default());
    match answer.status {
        1 => match answer.data.and_then(|d| d.message_ids).as_deref() {
            Some([0, ..]) => Outcome::Blacklisted("smsir: the number is blacklisted (*800#)".into()),
            Some([id, ..]) => Outcome::Accepted { provider_id: id.to_string() },
            _ => Outcome::Retry("smsir: success without a message id".into()),
        },
        // 20: rate limited, "try again later".
        20 => Outcome::Retry(reason),
        115 => Outcome::Blacklisted(reason),
        _ if http >= 500 => Outcome::Retry(reason),
        _ => Outcome::Fail(reason),
    }
}

fn webhook_answer(http: u16, body: &[u8]) -> Outcome {
    #[derive(Deserialize)]
    struct Answer {
        provider_id: Option<String>,
    }
    match http {
        200..=299 => {
            let id = serde_json::from_slice::<Answer>(body).ok().and_then(|a| a.provider_id).unwrap_or_default();
            Outcome::Accepted { provider_id: id }
        }
        408 | 429 | 500..=599 => Outcome::Retry(format!("webhook answered {http}")),
        _ => Outcome::Fail(format!("webhook answered {http}")),
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
        PanelConfig { kind, api_key: "key".into(), sender: "10004346".into(), base_url: "http://127.0.0.1:9".into() }
    }

    fn to() -> Phone {
        crate::phone::normalize("09121234567", "IR").unwrap()
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
            let got = parse_answer(kind, http, body.as_bytes());
            assert!(ok(&got), "{kind:?} {http} {body}: got {got:?}");
        }
    }
}

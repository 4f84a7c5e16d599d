//! What a panel is asked besides sending, as data: the replies members
//! sent to the club's line, the delivery state of messages sent, and the
//! account's remaining credit. For panels that cannot call the app back
//! (or a club that cannot be reached from outside), the poller asks these
//! on its tick. The webhook contract and the sandbox offer none of them.
//!
//! - Kavenegar (`https://kavenegar.com/rest.html`): `sms/receive.json`
//!   (`linenumber`, `isread=0`: the unread replies, marked read by the
//!   call) → entries `[{messageid, message, sender, receptor, date}]`;
//!   `sms/status.json` (`messageid`, a comma list of up to 500) → entries
//!   `[{messageid, status, statustext}]` in the order asked;
//!   `account/info.json` → entries `{remaincredit, expiredate, type}`, the
//!   credit in rials.
//! - SMS.ir v1 (`https://app.sms.ir/developer/help`): `GET receive/latest?count=100`
//!   (each reply served once) → data `[{receiveReturnId, messageText,
//!   number, mobile, receivedDateTime}]`; `GET send/{messageId}` → data
//!   `{deliveryState, …}`; `GET credit` → data, the credit (SMS parts).

use super::{HttpCall, PanelConfig, ProviderKind};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A reply a member sent to the club's line, as the panel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The panel's id of the reply: what makes a reply polled twice the same.
    pub id: String,
    pub from: String,
    pub to: Option<String>,
    pub text: String,
}

impl ProviderKind {
    /// Whether the panel can be asked for replies, delivery states and credit.
    pub fn polls(self) -> bool {
        matches!(self, ProviderKind::Kavenegar | ProviderKind::SmsIr)
    }

    /// The most messages one delivery-state call asks about.
    pub fn status_batch_limit(self) -> usize {
        match self {
            ProviderKind::Kavenegar => 500,
            _ => 1,
        }
    }
}

fn get(cfg: &PanelConfig, url: String) -> HttpCall {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if cfg.kind == ProviderKind::SmsIr {
        headers.push(("x-api-key".into(), cfg.api_key.clone()));
    }
    HttpCall { method: "GET", url, headers, body: Vec::new() }
}

fn kavenegar_url(cfg: &PanelConfig, method: &str, query: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
    let sep = if query.is_empty() { "" } else { "?" };
    format!("{}/v1/{}/{method}.json{sep}{query}", cfg.base(), cfg.api_key)
}

/// The call that fetches the replies not fetched before.
pub fn replies_request(cfg: &PanelConfig) -> Option<HttpCall> {
    match cfg.kind {
        ProviderKind::Kavenegar => Some(get(cfg, kavenegar_url(cfg, "sms/receive", &[("linenumber", &cfg.sender), ("isread", "0")]))),
        ProviderKind::SmsIr => Some(get(cfg, format!("{}/v1/receive/latest?count=100", cfg.base()))),
        ProviderKind::Sandbox | ProviderKind::Webhook => None,
    }
}

/// The call that asks the delivery state of `ids` (the panel's message
/// ids, at most [`ProviderKind::status_batch_limit`]).
pub fn status_request(cfg: &PanelConfig, ids: &[&str]) -> Option<HttpCall> {
    match (cfg.kind, ids) {
        (ProviderKind::Kavenegar, [_, ..]) => Some(get(cfg, kavenegar_url(cfg, "sms/status", &[("messageid", &ids.join(","))]))),
        (ProviderKind::SmsIr, [id]) => Some(get(cfg, format!("{}/v1/send/{id}", cfg.base()))),
        _ => None,
    }
}

/// The call that reads the account's remaining credit.
pub fn credit_request(cfg: &PanelConfig) -> Option<HttpCall> {
    match cfg.kind {
        ProviderKind::Kavenegar => Some(get(cfg, kavenegar_url(cfg, "account/info", &[]))),
        ProviderKind::SmsIr => Some(get(cfg, format!("{}/v1/credit", cfg.base()))),
        ProviderKind::Sandbox | ProviderKind::Webhook => None,
    }
}

/// A number in JSON as the panels write it: a number or a string of digits.
#[derive(Deserialize)]
#[serde(untagged)]
enum Num {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Num {
    fn text(&self) -> String {
        match self {
            Num::Int(n) => n.to_string(),
            Num::Float(f) => f.to_string(),
            Num::Text(s) => s.clone(),
        }
    }

    fn float(&self) -> Option<f64> {
        match self {
            Num::Int(n) => Some(*n as f64),
            Num::Float(f) => Some(*f),
            Num::Text(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct Kave<T> {
    #[serde(rename = "return")]
    ret: KaveReturn,
    entries: Option<T>,
}

#[derive(Deserialize)]
struct KaveReturn {
    status: u16,
    message: String,
}

#[derive(Deserialize)]
struct SmsIr<T> {
    status: i64,
    message: Option<String>,
    data: Option<T>,
}

/// The answer's payload, or why there is none (an error status, an
/// unreadable body: the reason is for the log).
fn payload<T: DeserializeOwned>(kind: ProviderKind, http: u16, body: &[u8]) -> Result<T, String> {
    let unreadable = || {
        let snippet: String = String::from_utf8_lossy(body).chars().take(120).collect();
        format!("{}: unreadable answer (HTTP {http}): {snippet}", kind.name())
    };
    match kind {
        ProviderKind::Kavenegar => {
            let a: Kave<T> = serde_json::from_slice(body).map_err(|_| unreadable())?;
            match (a.ret.status, a.entries) {
                (200, Some(e)) => Ok(e),
                (code, _) => Err(format!("kavenegar {code}: {}", a.ret.message)),
            }
        }
        ProviderKind::SmsIr => {
            let a: SmsIr<T> = serde_json::from_slice(body).map_err(|_| unreadable())?;
            match (a.status, a.data) {
                (1, Some(d)) => Ok(d),
                (code, _) => Err(format!("smsir {code}: {}", a.message.unwrap_or_default())),
            }
        }
        ProviderKind::Sandbox | ProviderKind::Webhook => Err(format!("{} cannot be polled", kind.name())),
    }
}

/// Reads the replies in an answer to [`replies_request`].
pub fn parse_replies(kind: ProviderKind, http: u16, body: &[u8]) -> Result<Vec<Reply>, String> {
    #[derive(Deserialize)]
    struct KaveReply {
        messageid: Num,
        message: String,
        sender: Num,
        receptor: Option<Num>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct SmsIrReply {
        receive_return_id: Num,
        message_text: String,
        number: Option<Num>,
        mobile: Num,
    }
    match kind {
        ProviderKind::Kavenegar => Ok(payload::<Vec<KaveReply>>(kind, http, body)?
            .into_iter()
            .map(|r| Reply { id: r.messageid.text(), from: r.sender.text(), to: r.receptor.map(|n| n.text()), text: r.message })
            .collect()),
        ProviderKind::SmsIr => Ok(payload::<Vec<SmsIrReply>>(kind, http, body)?
            .into_iter()
            // The mobile is a number (989121234567): the leading 0 or + is gone.
            .map(|r| Reply { id: r.receive_return_id.text(), from: plus_if_international(r.mobile.text()), to: r.number.map(|n| n.text()), text: r.message_text })
            .collect()),
        ProviderKind::Sandbox | ProviderKind::Webhook => Err(format!("{} cannot be polled", kind.name())),
    }
}

/// `989121234567` (SMS.ir writes mobiles as numbers) is international
/// without its `+`; `9121234567` is national without its `0`. Both are
/// read by the phone parser once the sign is back.
fn plus_if_international(digits: String) -> String {
    if digits.len() > 10 && !digits.starts_with('0') { format!("+{digits}") } else { digits }
}

/// What a panel says of a message's delivery: `Some(true)` delivered,
/// `Some(false)` failed for good, `None` still on its way (or unknown).
///
/// Kavenegar (REST docs, "sms/status"): 10 delivered; 11 undelivered, 13
/// cancelled, 14 filtered; 1, 2, 4, 5, 6 on the way; 100 an unknown id.
pub fn kavenegar_delivered(code: i64) -> Option<bool> {
    match code {
        10 => Some(true),
        11 | 13 | 14 => Some(false),
        _ => None,
    }
}

/// SMS.ir `deliveryState`: 1 delivered; 2 not delivered to the phone, 4 not
/// delivered to the operator, 6 failed, 7 blacklisted; 3 and 5 on the way,
/// 8 unknown.
pub fn smsir_delivered(state: i64) -> Option<bool> {
    match state {
        1 => Some(true),
        2 | 4 | 6 | 7 => Some(false),
        _ => None,
    }
}

/// Reads an answer to [`status_request`] for `ids`: a state per id, in
/// their order.
pub fn parse_status(kind: ProviderKind, http: u16, body: &[u8], ids: &[&str]) -> Result<Vec<Option<bool>>, String> {
    #[derive(Deserialize)]
    struct KaveStatus {
        messageid: Num,
        status: i64,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct SmsIrReport {
        delivery_state: Option<i64>,
    }
    match kind {
        ProviderKind::Kavenegar => {
            let entries = payload::<Vec<KaveStatus>>(kind, http, body)?;
            let state = |id: &&str| entries.iter().find(|e| e.messageid.text() == *id).and_then(|e| kavenegar_delivered(e.status));
            Ok(ids.iter().map(state).collect())
        }
        ProviderKind::SmsIr => {
            let report = payload::<SmsIrReport>(kind, http, body)?;
            Ok(vec![report.delivery_state.and_then(smsir_delivered); ids.len()])
        }
        ProviderKind::Sandbox | ProviderKind::Webhook => Err(format!("{} cannot be polled", kind.name())),
    }
}

/// Reads an answer to [`credit_request`]: the credit in the panel's unit
/// (Kavenegar rials, SMS.ir SMS parts).
pub fn parse_credit(kind: ProviderKind, http: u16, body: &[u8]) -> Result<f64, String> {
    #[derive(Deserialize)]
    struct KaveInfo {
        remaincredit: Num,
    }
    let credit = match kind {
        ProviderKind::Kavenegar => payload::<KaveInfo>(kind, http, body)?.remaincredit.float(),
        _ => payload::<Num>(kind, http, body)?.float(),
    };
    credit.ok_or_else(|| format!("{}: the credit is not a number", kind.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(kind: ProviderKind) -> PanelConfig {
        PanelConfig { kind, api_key: "key".into(), sender: "10004346".into(), base_url: "http://127.0.0.1:9".into(), templates: Default::default() }
    }

    #[test]
    fn requests_are_gets_of_the_documented_urls() {
        let k = cfg(ProviderKind::Kavenegar);
        let s = cfg(ProviderKind::SmsIr);
        assert_eq!(replies_request(&k).unwrap().url, "http://127.0.0.1:9/v1/key/sms/receive.json?linenumber=10004346&isread=0");
        assert_eq!(replies_request(&s).unwrap().url, "http://127.0.0.1:9/v1/receive/latest?count=100");
        assert_eq!(status_request(&k, &["7", "8"]).unwrap().url, "http://127.0.0.1:9/v1/key/sms/status.json?messageid=7%2C8");
        let report = status_request(&s, &["977"]).unwrap();
        assert_eq!((report.method, report.url.as_str()), ("GET", "http://127.0.0.1:9/v1/send/977"));
        assert!(report.headers.contains(&("x-api-key".into(), "key".into())));
        assert!(status_request(&s, &["1", "2"]).is_none(), "SMS.ir reports one message a call");
        assert_eq!(credit_request(&k).unwrap().url, "http://127.0.0.1:9/v1/key/account/info.json");
        assert_eq!(credit_request(&s).unwrap().url, "http://127.0.0.1:9/v1/credit");
        for kind in [ProviderKind::Sandbox, ProviderKind::Webhook] {
            assert!(replies_request(&cfg(kind)).is_none() && credit_request(&cfg(kind)).is_none() && !kind.polls());
        }
    }

    #[test]
    fn replies_are_read_from_either_panel() {
        let kave = r#"{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":35851,"message":"11","sender":"09121234567","receptor":"10004346","date":1356619709}]}"#;
        let got = parse_replies(ProviderKind::Kavenegar, 200, kave.as_bytes()).unwrap();
        assert_eq!(got, [Reply { id: "35851".into(), from: "09121234567".into(), to: Some("10004346".into()), text: "11".into() }]);
        let smsir = r#"{"status":1,"message":"موفق","data":[{"receiveReturnId":123456789,"messageText":"لغو","number":30004505000017,"mobile":989121234567,"receivedDateTime":1628683625}]}"#;
        let got = parse_replies(ProviderKind::SmsIr, 200, smsir.as_bytes()).unwrap();
        assert_eq!((got[0].id.as_str(), got[0].from.as_str(), got[0].text.as_str()), ("123456789", "+989121234567", "لغو"));
        assert_eq!(plus_if_international("9121234567".into()), "9121234567");
        let none = r#"{"return":{"status":200,"message":"ok"},"entries":[]}"#;
        assert!(parse_replies(ProviderKind::Kavenegar, 200, none.as_bytes()).unwrap().is_empty());
        for (http, garbage) in [(502, "<html>bad gateway</html>"), (200, ""), (401, r#"{"return":{"status":401,"message":"key"},"entries":null}"#)] {
            assert!(parse_replies(ProviderKind::Kavenegar, http, garbage.as_bytes()).is_err(), "{garbage}");
        }
        assert!(parse_replies(ProviderKind::SmsIr, 401, br#"{"status":10,"message":"key","data":null}"#).is_err());
    }

    #[test]
    fn delivery_states_map_to_delivered_failed_or_on_the_way() {
        let kave = r#"{"return":{"status":200,"message":"ok"},"entries":[{"messageid":8,"status":11,"statustext":"نرسیده"},{"messageid":7,"status":10,"statustext":"رسیده"},{"messageid":9,"status":4,"statustext":"ارسال به مخابرات"}]}"#;
        let got = parse_status(ProviderKind::Kavenegar, 200, kave.as_bytes(), &["7", "8", "9", "10"]).unwrap();
        assert_eq!(got, [Some(true), Some(false), None, None], "in the order asked; a missing id is unknown");
        let report = |state: &str| format!(r#"{{"status":1,"message":"موفق","data":{{"messageId":977,"mobile":9121234567,"deliveryState":{state},"deliveryDateTime":null}}}}"#);
        let state = |s: &str| parse_status(ProviderKind::SmsIr, 200, report(s).as_bytes(), &["977"]).unwrap()[0];
        assert_eq!([state("1"), state("2"), state("3"), state("7"), state("null")], [Some(true), Some(false), None, Some(false), None]);
        assert!(parse_status(ProviderKind::SmsIr, 400, br#"{"status":111,"message":"not found","data":null}"#, &["1"]).is_err());
    }

    #[test]
    fn credit_is_read_in_the_panels_unit() {
        let kave = r#"{"return":{"status":200,"message":"ok"},"entries":{"remaincredit":54000,"expiredate":1893456000,"type":"master"}}"#;
        assert_eq!(parse_credit(ProviderKind::Kavenegar, 200, kave.as_bytes()), Ok(54000.0));
        assert_eq!(parse_credit(ProviderKind::SmsIr, 200, br#"{"status":1,"message":"ok","data":165.3}"#), Ok(165.3));
        assert!(parse_credit(ProviderKind::SmsIr, 200, b"<html></html>").is_err());
    }
}

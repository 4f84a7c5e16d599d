//! The fake SMS panel checks requests and answers like Kavenegar, SMS.ir and
//! the generic webhook do. A hand-written HTTP/1.1 client keeps these tests
//! independent of any client library.

use std::io::{Error, ErrorKind};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpStream;
use vafa_test_host::panel::{
    API_KEY, Behaviour, Delivered, FakePanel, Provider, SENDER, webhook_signature,
};

struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One request on a fresh connection (`connection: close`); the answer is
/// read to EOF. An `Err` means the connection ended without an answer.
async fn call(
    panel: &FakePanel,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    send(panel, method, target, headers, body, false).await
}

/// Like [`call`], with the body sent chunked (`transfer-encoding: chunked`,
/// one chunk) instead of with its length.
async fn send(
    panel: &FakePanel,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    chunked: bool,
) -> std::io::Result<Answer> {
    let addr = panel.base_url().trim_start_matches("http://").to_string();
    let stream = TcpStream::connect(addr).await?;
    let framing = match chunked {
        true => "transfer-encoding: chunked".to_string(),
        false => format!("content-length: {}", body.len()),
    };
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: panel\r\nconnection: close\r\n{framing}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    write_all(&stream, head.as_bytes()).await?;
    if chunked {
        let mut framed = format!("{:x}\r\n", body.len()).into_bytes();
        framed.extend_from_slice(body);
        framed.extend_from_slice(b"\r\n0\r\n\r\n");
        write_all(&stream, &framed).await?;
    } else {
        write_all(&stream, body).await?;
    }
    let raw = read_to_end(&stream).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| Error::new(ErrorKind::UnexpectedEof, "no answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "the client reads content-length bodies only"
    );
    Ok(Answer {
        status,
        body: raw[split + 4..].to_vec(),
    })
}

// tokio's `io-util` feature is not among this package's features, so the
// client uses the readiness API directly.
async fn write_all(stream: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        stream.writable().await?;
        match stream.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn read_to_end(stream: &TcpStream) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        stream.readable().await?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

async fn kavenegar(panel: &FakePanel, key: &str, method: &str, pairs: &[(&str, &str)]) -> Answer {
    call(
        panel,
        "POST",
        &format!("/v1/{key}/{method}.json"),
        &[("content-type", "application/x-www-form-urlencoded")],
        &form(pairs),
    )
    .await
    .expect("answer")
}

async fn smsir(panel: &FakePanel, method: &str, key: Option<&str>, body: &Value) -> Answer {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(k) = key {
        headers.push(("x-api-key", k));
    }
    call(
        panel,
        "POST",
        &format!("/v1/send/{method}"),
        &headers,
        body.to_string().as_bytes(),
    )
    .await
    .expect("answer")
}

async fn webhook(panel: &FakePanel, body: &Value, signature: Option<&str>) -> Answer {
    let raw = body.to_string();
    let good = webhook_signature(raw.as_bytes());
    let mut headers = vec![("content-type", "application/json")];
    match signature {
        Some(s) => headers.push(("x-vafa-signature", s)),
        None => headers.push(("x-vafa-signature", good.as_str())),
    }
    call(panel, "POST", "/webhook", &headers, raw.as_bytes())
        .await
        .expect("answer")
}

fn kave_status(a: &Answer) -> i64 {
    a.json()["return"]["status"]
        .as_i64()
        .expect("return.status")
}

// --- Kavenegar ------------------------------------------------------------

#[tokio::test]
async fn a_chunked_upload_is_refused_with_411_unless_the_test_allows_it() {
    let panel = FakePanel::start().await.unwrap();
    let body = form(&[("receptor", "09121234567"), ("sender", SENDER), ("message", "سلام")]);
    let target = format!("/v1/{API_KEY}/sms/send.json");
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let refused = send(&panel, "POST", &target, &headers, &body, true).await.unwrap();
    assert_eq!(refused.status, 411);
    assert!(panel.delivered().is_empty());
    panel.accept_chunked(true);
    let accepted = send(&panel, "POST", &target, &headers, &body, true).await.unwrap();
    assert_eq!(accepted.status, 200, "{}", String::from_utf8_lossy(&accepted.body));
    assert_eq!(panel.delivered().len(), 1);
}

#[tokio::test]
async fn kavenegar_sends_to_every_receptor_and_answers_like_its_docs() {
    let panel = FakePanel::start().await.unwrap();
    let a = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[
            ("receptor", "09123456789,09367891011"),
            ("sender", SENDER),
            ("message", "سلام"),
        ],
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["return"], json!({"status": 200, "message": "تایید شد"}));
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for (e, r) in entries.iter().zip(["09123456789", "09367891011"]) {
        assert_eq!(e["receptor"], r);
        assert_eq!(e["sender"], SENDER);
        assert_eq!(e["message"], "سلام");
        assert_eq!(e["status"], 1);
        assert_eq!(e["statustext"], "در صف ارسال");
        assert!(e["messageid"].is_u64() && e["date"].is_i64() && e["cost"].is_u64());
    }
    assert!(entries[1]["messageid"].as_u64() > entries[0]["messageid"].as_u64());
    let d = panel.delivered();
    assert_eq!(
        d.iter().map(|d| d.to.as_str()).collect::<Vec<_>>(),
        ["+989123456789", "+989367891011"]
    );
    assert!(
        d.iter()
            .all(|d| d.provider == Provider::Kavenegar && d.text == "سلام")
    );
    assert_eq!(d[0].provider_id, entries[0]["messageid"].to_string());
}

#[tokio::test]
async fn kavenegar_accepts_get_with_a_query_string_and_a_default_sender() {
    let panel = FakePanel::start().await.unwrap();
    let q = String::from_utf8(form(&[("receptor", "9123456789"), ("message", "hi")])).unwrap();
    let a = call(
        &panel,
        "GET",
        &format!("/v1/{API_KEY}/sms/send.json?{q}"),
        &[],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(a.status, 200);
    assert_eq!(panel.delivered()[0].sender, SENDER);
    assert_eq!(panel.delivered()[0].to, "+989123456789");
}

#[tokio::test]
async fn kavenegar_rejects_a_wrong_api_key_with_403_as_documented() {
    let panel = FakePanel::start().await.unwrap();
    let a = kavenegar(
        &panel,
        "wrong-key",
        "sms/send",
        &[("receptor", "09123456789"), ("message", "x")],
    )
    .await;
    assert_eq!(a.status, 403);
    let v = a.json();
    assert_eq!(v["return"]["status"], 403);
    assert_eq!(v["return"]["message"], "کد شناسائی API-Key معتبر نمی‌باشد");
    assert!(v["entries"].is_null());
    assert!(panel.delivered().is_empty());
    assert_eq!(panel.requests()[0].status, 403);
}

#[tokio::test]
async fn kavenegar_rejects_a_bad_receptor_with_411_and_sends_nothing() {
    let panel = FakePanel::start().await.unwrap();
    for bad in [
        "",
        "0912345678",
        "09123456789,021234567",
        "+4915112345678",
        "۰۹۱۲۳۴۵۶۷۸۹",
    ] {
        let a = kavenegar(
            &panel,
            API_KEY,
            "sms/send",
            &[("receptor", bad), ("message", "x")],
        )
        .await;
        assert_eq!((a.status, kave_status(&a)), (411, 411), "receptor {bad:?}");
    }
    assert!(panel.delivered().is_empty());
}

#[tokio::test]
async fn kavenegar_accepts_the_four_mobile_forms_and_normalises_them() {
    let panel = FakePanel::start().await.unwrap();
    let forms = "09121111111,9122222222,989123333333,+989124444444";
    let a = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[("receptor", forms), ("message", "x")],
    )
    .await;
    assert_eq!(a.status, 200);
    let to: Vec<String> = panel.delivered().into_iter().map(|d| d.to).collect();
    assert_eq!(
        to,
        [
            "+989121111111",
            "+989122222222",
            "+989123333333",
            "+989124444444"
        ]
    );
}

#[tokio::test]
async fn kavenegar_rejects_an_empty_or_too_long_message_with_413() {
    let panel = FakePanel::start().await.unwrap();
    let long = "ب".repeat(901);
    for m in ["", long.as_str()] {
        let a = kavenegar(
            &panel,
            API_KEY,
            "sms/send",
            &[("receptor", "09123456789"), ("message", m)],
        )
        .await;
        assert_eq!((a.status, kave_status(&a)), (413, 413));
    }
    let ok = "ب".repeat(900);
    let a = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[("receptor", "09123456789"), ("message", &ok)],
    )
    .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn kavenegar_rejects_more_than_200_receptors_with_414() {
    let panel = FakePanel::start().await.unwrap();
    let many = |n: usize| {
        (0..n)
            .map(|i| format!("0912{i:07}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let a = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[("receptor", &many(201)), ("message", "x")],
    )
    .await;
    assert_eq!((a.status, kave_status(&a)), (414, 414));
    assert!(panel.delivered().is_empty());
    let a = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[("receptor", &many(200)), ("message", "x")],
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(panel.delivered().len(), 200);
}

#[tokio::test]
async fn kavenegar_rejects_a_sender_that_is_not_the_line_with_412() {
    let panel = FakePanel::start().await.unwrap();
    let a = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[
            ("receptor", "09123456789"),
            ("message", "x"),
            ("sender", "30001234"),
        ],
    )
    .await;
    assert_eq!((a.status, kave_status(&a)), (412, 412));
    assert!(panel.delivered().is_empty());
}

#[tokio::test]
async fn kavenegar_does_not_send_a_localid_twice() {
    let panel = FakePanel::start().await.unwrap();
    let pairs = [
        ("receptor", "09121111111,09122222222"),
        ("message", "x"),
        ("sender", SENDER),
        ("localid", "c1-m1,c1-m2"),
    ];
    let first = kavenegar(&panel, API_KEY, "sms/send", &pairs).await.json();
    let again = kavenegar(&panel, API_KEY, "sms/send", &pairs).await.json();
    assert_eq!(
        first["entries"], again["entries"],
        "the earlier entries come back"
    );
    let d = panel.delivered();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].local_id.as_deref(), Some("c1-m1"));
    assert_eq!(d[1].local_id.as_deref(), Some("c1-m2"));
    // A new localid is a new message.
    let third = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[
            ("receptor", "09121111111"),
            ("message", "x"),
            ("localid", "c1-m3"),
        ],
    )
    .await;
    assert_eq!(third.status, 200);
    assert_eq!(panel.delivered().len(), 3);
}

#[tokio::test]
async fn kavenegar_sendarray_takes_json_arrays_and_answers_419_for_unequal_lengths() {
    let panel = FakePanel::start().await.unwrap();
    let ok = kavenegar(
        &panel,
        API_KEY,
        "sms/sendarray",
        &[
            ("receptor", r#"["09121111111","09122222222"]"#),
            ("sender", &format!(r#"["{SENDER}","{SENDER}"]"#)),
            ("message", r#"["one","two"]"#),
            ("localmessageids", r#"["a1","a2"]"#),
        ],
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["entries"].as_array().unwrap().len(), 2);
    let d = panel.delivered();
    assert_eq!((d[0].text.as_str(), d[1].text.as_str()), ("one", "two"));
    assert_eq!(d[1].local_id.as_deref(), Some("a2"));

    let bad = kavenegar(
        &panel,
        API_KEY,
        "sms/sendarray",
        &[
            ("receptor", r#"["09121111111","09122222222"]"#),
            ("sender", &format!(r#"["{SENDER}"]"#)),
            ("message", r#"["one","two"]"#),
        ],
    )
    .await;
    assert_eq!((bad.status, kave_status(&bad)), (419, 419));
    assert_eq!(panel.delivered().len(), 2);
}

#[tokio::test]
async fn kavenegar_verify_lookup_sends_the_token_of_a_known_template_even_past_an_advertising_block() {
    let panel = FakePanel::start().await.unwrap();
    panel.add_template("registerverify");
    panel.blacklist("09361234567");
    let a = kavenegar(
        &panel,
        API_KEY,
        "verify/lookup",
        &[
            ("receptor", "09361234567"),
            ("token", "852596"),
            ("template", "registerverify"),
        ],
    )
    .await;
    assert_eq!(a.status, 200);
    let e = &a.json()["entries"][0];
    assert_eq!(e["status"], 5);
    assert_eq!(e["receptor"], "09361234567");
    let d = &panel.delivered()[0];
    assert_eq!(d.to, "+989361234567");
    assert_eq!(d.text, "[registerverify] 852596");
    let spaced = kavenegar(
        &panel,
        API_KEY,
        "verify/lookup",
        &[
            ("receptor", "09361234567"),
            ("token", "85 25"),
            ("template", "registerverify"),
        ],
    )
    .await;
    assert_eq!(spaced.status, 431);
    let no_template = kavenegar(
        &panel,
        API_KEY,
        "verify/lookup",
        &[("receptor", "09361234567"), ("token", "1")],
    )
    .await;
    assert_eq!(no_template.status, 424);
    let unknown = kavenegar(
        &panel,
        API_KEY,
        "verify/lookup",
        &[("receptor", "09361234567"), ("token", "1"), ("template", "other")],
    )
    .await;
    assert_eq!(unknown.status, 424);
    assert_eq!(panel.delivered().len(), 1);
}

#[tokio::test]
async fn kavenegar_answers_a_blacklisted_receptor_with_status_14_and_does_not_deliver() {
    let panel = FakePanel::start().await.unwrap();
    panel.blacklist("+989122222222");
    let a = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[("receptor", "09121111111,09122222222"), ("message", "x")],
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["entries"][0]["status"], 1);
    assert_eq!(v["entries"][1]["status"], 14);
    assert_eq!(v["entries"][1]["cost"], 0);
    let d = panel.delivered();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].to, "+989121111111");
}

#[tokio::test]
async fn kavenegar_answers_404_for_an_unknown_method() {
    let panel = FakePanel::start().await.unwrap();
    let a = kavenegar(&panel, API_KEY, "sms/nosuch", &[]).await;
    assert_eq!((a.status, kave_status(&a)), (404, 404));
}

// --- SMS.ir ---------------------------------------------------------------

fn bulk(mobiles: &[&str], text: &str) -> Value {
    json!({"lineNumber": SENDER.parse::<u64>().unwrap(), "messageText": text, "mobiles": mobiles, "sendDateTime": null})
}

fn smsir_status(a: &Answer) -> i64 {
    a.json()["status"].as_i64().expect("status")
}

#[tokio::test]
async fn smsir_sends_bulk_and_answers_with_a_pack() {
    let panel = FakePanel::start().await.unwrap();
    let a = smsir(
        &panel,
        "bulk",
        Some(API_KEY),
        &bulk(&["09121111111", "+989122222222"], "سلام"),
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["status"], 1);
    assert_eq!(v["message"], "موفق");
    let pack = v["data"]["packId"].as_str().unwrap();
    assert_eq!(pack.len(), 36);
    assert_eq!(pack.matches('-').count(), 4);
    let ids = v["data"]["messageIds"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    assert!(v["data"]["cost"].is_f64());
    let d = panel.delivered();
    assert_eq!(d.len(), 2);
    assert_eq!(
        d[1],
        Delivered {
            provider: Provider::SmsIr,
            to: "+989122222222".into(),
            text: "سلام".into(),
            sender: SENDER.into(),
            local_id: None,
            provider_id: ids[1].to_string(),
        }
    );
}

#[tokio::test]
async fn smsir_rejects_a_wrong_or_missing_api_key_with_401_status_10() {
    let panel = FakePanel::start().await.unwrap();
    for key in [Some("wrong"), None] {
        let a = smsir(&panel, "bulk", key, &bulk(&["09121111111"], "x")).await;
        assert_eq!(a.status, 401);
        let v = a.json();
        assert_eq!(v["status"], 10);
        assert_eq!(v["message"], "کلید وب سرویس نامعتبر است");
        assert!(v["data"].is_null());
    }
    assert!(panel.delivered().is_empty());
}

#[tokio::test]
async fn smsir_answers_105_over_100_mobiles() {
    let panel = FakePanel::start().await.unwrap();
    let many: Vec<String> = (0..101).map(|i| format!("0912{i:07}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let a = smsir(&panel, "bulk", Some(API_KEY), &bulk(&refs, "x")).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 105));
    assert!(panel.delivered().is_empty());
    let a = smsir(&panel, "bulk", Some(API_KEY), &bulk(&refs[..100], "x")).await;
    assert_eq!(a.status, 200);
    assert_eq!(panel.delivered().len(), 100);
}

#[tokio::test]
async fn smsir_answers_its_codes_for_empty_text_bad_mobile_wrong_line_and_no_mobiles() {
    let panel = FakePanel::start().await.unwrap();
    let a = smsir(&panel, "bulk", Some(API_KEY), &bulk(&["09121111111"], "")).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 103));
    let a = smsir(&panel, "bulk", Some(API_KEY), &bulk(&["0912111"], "x")).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 104));
    let a = smsir(&panel, "bulk", Some(API_KEY), &bulk(&[], "x")).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 107));
    let wrong_line =
        json!({"lineNumber": 30001234, "messageText": "x", "mobiles": ["09121111111"]});
    let a = smsir(&panel, "bulk", Some(API_KEY), &wrong_line).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 101));
    let past = json!({"lineNumber": 10004346, "messageText": "x", "mobiles": ["09121111111"], "sendDateTime": 1000});
    let a = smsir(&panel, "bulk", Some(API_KEY), &past).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 109));
    assert!(panel.delivered().is_empty());
}

#[tokio::test]
async fn smsir_refuses_a_line_number_sent_as_a_string() {
    let panel = FakePanel::start().await.unwrap();
    let body = json!({"lineNumber": SENDER, "messageText": "x", "mobiles": ["09121111111"]});
    let a = smsir(&panel, "bulk", Some(API_KEY), &body).await;
    assert_eq!(a.status, 400);
    assert!(a.json()["errors"]["$.lineNumber"].is_array());
    assert!(panel.delivered().is_empty());
}

#[tokio::test]
async fn smsir_gives_a_blacklisted_mobile_message_id_0() {
    let panel = FakePanel::start().await.unwrap();
    panel.blacklist("+989122222222");
    let a = smsir(
        &panel,
        "bulk",
        Some(API_KEY),
        &bulk(&["09121111111", "09122222222"], "x"),
    )
    .await;
    assert_eq!(a.status, 200);
    let ids = a.json()["data"]["messageIds"].clone();
    assert!(ids[0].as_u64().unwrap() > 0);
    assert_eq!(ids[1], 0);
    assert_eq!(panel.delivered().len(), 1);
}

#[tokio::test]
async fn smsir_verify_sends_a_known_template_with_values_of_at_most_25_characters() {
    let panel = FakePanel::start().await.unwrap();
    panel.add_template("123456");
    let ok = json!({"mobile": "09121111111", "templateId": 123456, "parameters": [{"name": "CODE", "value": "4821"}]});
    let a = smsir(&panel, "verify", Some(API_KEY), &ok).await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["status"], 1);
    assert!(v["data"]["messageId"].as_u64().unwrap() > 0);
    assert_eq!(panel.delivered()[0].text, "[123456] CODE=4821");
    let long = json!({"mobile": "09121111111", "templateId": 123456, "parameters": [{"name": "X", "value": "a".repeat(26)}]});
    let a = smsir(&panel, "verify", Some(API_KEY), &long).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 114));
    let unknown = json!({"mobile": "09121111111", "templateId": 654321, "parameters": [{"name": "CODE", "value": "4821"}]});
    let a = smsir(&panel, "verify", Some(API_KEY), &unknown).await;
    assert_eq!((a.status, smsir_status(&a)), (400, 113));
    // The service line reaches a number that blocks advertising.
    panel.blacklist("09121111111");
    let a = smsir(&panel, "verify", Some(API_KEY), &ok).await;
    assert_eq!(a.status, 200);
    assert_eq!(panel.delivered().len(), 2);
}

// --- Webhook --------------------------------------------------------------

fn hook(id: &str) -> Value {
    json!({"id": id, "to": "09121111111", "text": "سلام", "sender": SENDER})
}

#[tokio::test]
async fn webhook_delivers_a_signed_message() {
    let panel = FakePanel::start().await.unwrap();
    assert_eq!(panel.webhook_url(), format!("{}/webhook", panel.origin()));
    let a = webhook(&panel, &hook("m-1"), None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json(), json!({"provider_id": "wh-1"}));
    assert_eq!(
        panel.delivered(),
        vec![Delivered {
            provider: Provider::Webhook,
            to: "+989121111111".into(),
            text: "سلام".into(),
            sender: SENDER.into(),
            local_id: Some("m-1".into()),
            provider_id: "wh-1".into(),
        }]
    );
}

#[tokio::test]
async fn webhook_rejects_a_bad_signature() {
    let panel = FakePanel::start().await.unwrap();
    let body = hook("m-1");
    let upper = webhook_signature(body.to_string().as_bytes())
        .to_uppercase()
        .replace("SHA256=", "sha256=");
    let other = webhook_signature(b"another body");
    for sig in ["", "sha256=00", upper.as_str(), other.as_str()] {
        let a = webhook(&panel, &body, Some(sig)).await;
        assert_eq!(a.status, 401, "signature {sig:?}");
    }
    let a = call(&panel, "POST", "/webhook", &[], body.to_string().as_bytes())
        .await
        .unwrap();
    assert_eq!(a.status, 401, "missing signature");
    assert!(panel.delivered().is_empty());
}

#[tokio::test]
async fn webhook_does_not_deliver_a_repeated_id_twice() {
    let panel = FakePanel::start().await.unwrap();
    let first = webhook(&panel, &hook("m-1"), None).await.json();
    let again = webhook(&panel, &hook("m-1"), None).await.json();
    let other = webhook(&panel, &hook("m-2"), None).await.json();
    assert_eq!(first, again);
    assert_eq!(other["provider_id"], "wh-2");
    assert_eq!(panel.delivered().len(), 2);
}

// --- Behaviours -----------------------------------------------------------

#[tokio::test]
async fn server_error_answers_5xx_and_delivers_nothing() {
    let panel = FakePanel::start().await.unwrap();
    panel.set_behaviour(Behaviour::ServerError);
    let k = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[("receptor", "09121111111"), ("message", "x")],
    )
    .await;
    let s = smsir(&panel, "bulk", Some(API_KEY), &bulk(&["09121111111"], "x")).await;
    let w = webhook(&panel, &hook("m-1"), None).await;
    for a in [&k, &s, &w] {
        assert!((500..600).contains(&a.status));
    }
    assert!(panel.delivered().is_empty());
    panel.set_behaviour(Behaviour::Normal);
    let w = webhook(&panel, &hook("m-1"), None).await;
    assert_eq!(w.status, 200);
}

#[tokio::test]
async fn provider_error_answers_in_each_providers_format() {
    let panel = FakePanel::start().await.unwrap();
    panel.set_behaviour(Behaviour::ProviderError(418));
    let k = kavenegar(
        &panel,
        API_KEY,
        "sms/send",
        &[("receptor", "09121111111"), ("message", "x")],
    )
    .await;
    assert_eq!(k.status, 418);
    assert_eq!(k.json()["return"]["status"], 418);
    assert!(k.json()["entries"].is_null());

    panel.set_behaviour(Behaviour::ProviderError(102));
    let s = smsir(&panel, "bulk", Some(API_KEY), &bulk(&["09121111111"], "x")).await;
    assert_eq!((s.status, smsir_status(&s)), (400, 102));
    panel.set_behaviour(Behaviour::ProviderError(20));
    let s = smsir(&panel, "bulk", Some(API_KEY), &bulk(&["09121111111"], "x")).await;
    assert_eq!((s.status, smsir_status(&s)), (429, 20));
    assert!(panel.delivered().is_empty());
}

#[tokio::test]
async fn fail_next_applies_to_the_next_n_requests_then_the_behaviour_returns() {
    let panel = FakePanel::start().await.unwrap();
    panel.fail_next(2, Behaviour::ServerError);
    let mut statuses = Vec::new();
    for i in 0..3 {
        statuses.push(webhook(&panel, &hook(&format!("m-{i}")), None).await.status);
    }
    assert_eq!(statuses, [500, 500, 200]);
    assert_eq!(panel.delivered().len(), 1);
}

#[tokio::test]
async fn hang_makes_the_client_time_out_without_blocking_others() {
    let panel = FakePanel::start().await.unwrap();
    panel.fail_next(1, Behaviour::Hang);
    let hung = {
        let panel = panel.clone();
        tokio::spawn(async move {
            tokio::time::timeout(
                Duration::from_millis(100),
                webhook(&panel, &hook("m-1"), None),
            )
            .await
        })
    };
    // Let the hanging request take the `fail_next` slot first.
    while panel.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let other = webhook(&panel, &hook("m-2"), None).await;
    assert_eq!(other.status, 200);
    assert!(hung.await.unwrap().is_err(), "the client timed out");
    assert_eq!(panel.requests()[0].status, 0);
    assert_eq!(panel.delivered().len(), 1);
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let panel = FakePanel::start().await.unwrap();
    panel.fail_next(1, Behaviour::Drop);
    let dropped = tokio::time::timeout(
        Duration::from_secs(5),
        call(
            &panel,
            "POST",
            "/webhook",
            &[],
            hook("m-1").to_string().as_bytes(),
        ),
    )
    .await
    .expect("closed promptly");
    assert!(dropped.is_err(), "no answer");
    assert!(panel.delivered().is_empty());
    assert_eq!(webhook(&panel, &hook("m-1"), None).await.status, 200);
}

#[tokio::test]
async fn requests_are_recorded_in_order_and_clear_forgets_them() {
    let panel = FakePanel::start().await.unwrap();
    kavenegar(&panel, "bad", "sms/send", &[]).await;
    smsir(&panel, "bulk", Some(API_KEY), &bulk(&["09121111111"], "x")).await;
    let unknown = call(&panel, "GET", "/nowhere", &[], b"").await.unwrap();
    assert_eq!(unknown.status, 404);
    let r = panel.requests();
    assert_eq!(
        r.iter().map(|r| (r.provider, r.status)).collect::<Vec<_>>(),
        [
            (Provider::Kavenegar, 403),
            (Provider::SmsIr, 200),
            (Provider::Unknown, 404)
        ]
    );
    assert_eq!(r[0].method, "POST");
    assert_eq!(r[0].path, "/v1/bad/sms/send.json");
    assert_eq!(r[1].header("X-Api-Key"), Some(API_KEY));
    assert!(r[1].body_text().contains("messageText"));
    panel.clear();
    assert!(panel.requests().is_empty() && panel.delivered().is_empty());
}

// --- Polling: replies, delivery states, credit ------------------------------

async fn smsir_get(panel: &FakePanel, target: &str) -> Answer {
    call(panel, "GET", target, &[("x-api-key", API_KEY)], b"").await.expect("answer")
}

#[tokio::test]
async fn kavenegar_serves_each_unread_reply_once_and_its_credit() {
    let panel = FakePanel::start().await.unwrap();
    let first = panel.receive("+989121234567", "لغو");
    panel.receive("09350000000", "۱۰");
    let a = kavenegar(&panel, API_KEY, "sms/receive", &[("linenumber", SENDER), ("isread", "0")]).await;
    let entries = a.json()["entries"].as_array().cloned().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0], json!({"messageid": first, "message": "لغو", "sender": "09121234567", "receptor": SENDER, "date": entries[0]["date"]}));
    assert_eq!(panel.inbound_unread(), 0);
    let again = kavenegar(&panel, API_KEY, "sms/receive", &[("linenumber", SENDER), ("isread", "0")]).await;
    assert_eq!(again.json()["entries"], json!([]), "served once");
    panel.unread_again();
    assert_eq!(kavenegar(&panel, API_KEY, "sms/receive", &[("linenumber", SENDER), ("isread", "0")]).await.json()["entries"].as_array().unwrap().len(), 2);
    assert_eq!(kave_status(&kavenegar(&panel, API_KEY, "sms/receive", &[("linenumber", "3000"), ("isread", "0")]).await), 412);
    panel.set_credit(54_321.0);
    let info = kavenegar(&panel, API_KEY, "account/info", &[]).await;
    assert_eq!((info.status, info.json()["entries"]["remaincredit"].clone()), (200, json!(54_321)));
    assert_eq!(kavenegar(&panel, "wrong-key", "account/info", &[]).await.status, 403);
}

#[tokio::test]
async fn kavenegar_reports_each_message_state_in_the_order_asked() {
    let panel = FakePanel::start().await.unwrap();
    let sent = kavenegar(&panel, API_KEY, "sms/send", &[("receptor", "09121234567,09121234568"), ("message", "سلام")]).await;
    let ids: Vec<String> = sent.json()["entries"].as_array().unwrap().iter().map(|e| e["messageid"].to_string()).collect();
    let states = |a: Answer| a.json()["entries"].as_array().unwrap().iter().map(|e| e["status"].as_i64().unwrap()).collect::<Vec<_>>();
    let asked = format!("{},{},42", ids[1], ids[0]);
    assert_eq!(states(kavenegar(&panel, API_KEY, "sms/status", &[("messageid", &asked)]).await), [4, 4, 100]);
    panel.report(&ids[0], true);
    panel.report(&ids[1], false);
    assert_eq!(states(kavenegar(&panel, API_KEY, "sms/status", &[("messageid", &asked)]).await), [11, 10, 100]);
    let many: Vec<String> = (1..=501).map(|n| n.to_string()).collect();
    assert_eq!(kave_status(&kavenegar(&panel, API_KEY, "sms/status", &[("messageid", &many.join(","))]).await), 414);
}

#[tokio::test]
async fn smsir_serves_replies_once_reports_states_and_its_credit() {
    let panel = FakePanel::start().await.unwrap();
    for i in 0..3 {
        panel.receive(&format!("0912123456{i}"), "11");
    }
    let a = smsir_get(&panel, "/v1/receive/latest?count=2").await;
    let data = a.json()["data"].as_array().cloned().unwrap();
    assert_eq!(data.len(), 2, "count honoured");
    assert_eq!((data[0]["mobile"].clone(), data[0]["number"].clone(), data[0]["messageText"].clone()), (json!(989121234560u64), json!(10004346), json!("11")));
    assert_eq!(smsir_get(&panel, "/v1/receive/latest").await.json()["data"].as_array().unwrap().len(), 1, "each served once");
    assert_eq!(smsir_get(&panel, "/v1/receive/latest").await.json()["data"], json!([]));

    let sent = smsir(&panel, "bulk", Some(API_KEY), &bulk(&["09121234567"], "سلام")).await;
    let id = sent.json()["data"]["messageIds"][0].to_string();
    let state = |a: Answer| a.json()["data"]["deliveryState"].clone();
    assert_eq!(state(smsir_get(&panel, &format!("/v1/send/{id}")).await), json!(3), "at the operator");
    panel.report(&id, true);
    assert_eq!(state(smsir_get(&panel, &format!("/v1/send/{id}")).await), json!(1));
    let unknown = smsir_get(&panel, "/v1/send/42").await;
    assert_eq!((unknown.status, smsir_status(&unknown)), (400, 111));

    panel.set_credit(165.3);
    assert_eq!(smsir_get(&panel, "/v1/credit").await.json()["data"], json!(165.3));
    let no_key = call(&panel, "GET", "/v1/credit", &[], b"").await.unwrap();
    assert_eq!((no_key.status, smsir_status(&no_key)), (401, 10));
}

#[tokio::test]
async fn smsir_like_to_like_sends_each_mobile_its_own_text() {
    let panel = FakePanel::start().await.unwrap();
    panel.blacklist("09121234569");
    let body = json!({"lineNumber": 10004346, "messageTexts": ["سلام سارا", "سلام علی", "سلام"], "mobiles": ["09121234567", "09121234568", "09121234569"], "sendDateTime": null});
    let a = smsir(&panel, "likeToLike", Some(API_KEY), &body).await;
    assert_eq!((a.status, smsir_status(&a)), (200, 1), "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["data"]["messageIds"][2], 0, "blacklisted");
    let got: Vec<(String, String)> = panel.delivered().into_iter().map(|d| (d.to, d.text)).collect();
    assert_eq!(got, [("+989121234567".to_string(), "سلام سارا".to_string()), ("+989121234568".into(), "سلام علی".into())]);
    let unequal = json!({"lineNumber": 10004346, "messageTexts": ["a"], "mobiles": ["09121234567", "09121234568"]});
    assert_eq!(smsir_status(&smsir(&panel, "likeToLike", Some(API_KEY), &unequal).await), 110);
}

#[tokio::test]
async fn the_webhook_takes_an_array_and_answers_in_its_order() {
    let panel = FakePanel::start().await.unwrap();
    let msg = |id: &str, to: &str| json!({"id": id, "to": to, "text": "سلام", "sender": SENDER});
    let a = webhook(&panel, &json!([msg("s_1", "+989121234567"), msg("s_2", "+989121234568")]), None).await;
    assert_eq!(a.status, 200);
    let ids: Vec<String> = a.json().as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["s_1", "s_2"]);
    let again = webhook(&panel, &json!([msg("s_2", "+989121234568"), msg("s_3", "+989121234569")]), None).await;
    assert_eq!(again.json()[0]["provider_id"], a.json()[1]["provider_id"], "a repeated id keeps its provider id");
    assert_eq!(panel.delivered().len(), 3, "and is not delivered twice");
    assert_eq!(webhook(&panel, &json!([msg("s_4", "+989121234560")]), Some("sha256=00")).await.status, 401);
    assert_eq!(webhook(&panel, &json!([msg("s_5", "+989121234560"), json!({"id": "s_6"})]), None).await.status, 400);
    assert_eq!(panel.delivered().len(), 3, "a bad element refuses the whole call");
}

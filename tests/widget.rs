//! The widget on a store's own pages (`docs/widget.md`): `widget.js`, the
//! frame at `/embed`, framed only by the store's origins, the cookie that
//! works in it, and, in a real Chromium that blocks third-party cookies, a
//! member signing in inside the frame on a page from another loopback
//! origin.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::Host;

/// A store whose pages are at `origins`.
async fn store_at(host: &Host, id: &str, origins: Value) {
    make_store(host, id).await;
    let r = admin(
        host,
        "PUT",
        &format!("/api/stores/{id}"),
        Some(json!({"origins": origins})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["origins"], origins);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frame_is_framed_only_by_the_stores_origins_and_its_session_cookie_is_partitioned() {
    let host = host_with_provider("kavenegar").await;
    store_at(
        &host,
        "shop-1",
        json!(["https://shop.example", "http://localhost:8080"]),
    )
    .await;
    make_store(&host, "shop-2").await;

    let page = host
        .request(
            "GET",
            "/embed?store=shop-1&origin=https%3A%2F%2Fshop.example",
            &[],
            "",
        )
        .await;
    assert_eq!(
        (page.status, page.header("content-type")),
        (200, Some("text/html; charset=utf-8"))
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.ends_with("frame-ancestors https://shop.example http://localhost:8080"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(page.text().contains("data-embed") && page.text().contains("/assets/me.js"));
    let join = host
        .request("GET", "/embed/join?store=shop-1", &[], "")
        .await;
    assert!(join.text().contains("/assets/join.js"), "{}", join.text());
    let unframed = host.request("GET", "/embed?store=shop-2", &[], "").await;
    assert!(
        unframed
            .header("content-security-policy")
            .unwrap()
            .ends_with("frame-ancestors 'none'"),
        "a store naming no origin is framed by none"
    );
    assert_error(
        &host.request("GET", "/embed?store=nope", &[], "").await,
        404,
        "not_found",
    );
    assert_error(
        &host.request("GET", "/embed", &[], "").await,
        422,
        "invalid_store",
    );
    assert_error(
        &host.request("POST", "/embed?store=shop-1", &[], "").await,
        405,
        "method_not_allowed",
    );
    let bad = admin(
        &host,
        "PUT",
        "/api/stores/shop-1",
        Some(json!({"origins": ["https://shop.example/page"]})),
    )
    .await;
    assert_error(&bad, 422, "invalid_origins");
    assert_eq!(bad.json()["error"]["field"], "origins");

    // In the frame, the session cookie is one a browser keeps there.
    create_member(&host, json!({"phone": "09121234567", "name": "سارا"})).await;
    let embedded = [
        ("host", LOOPBACK),
        ("content-type", "application/json"),
        ("vafa-embed", "1"),
    ];
    let r = host
        .request(
            "POST",
            "/api/me/code",
            &embedded,
            json!({"phone": "09121234567"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let code = code_from(&last_sms_to(&host, PHONE).await);
    let r = host
        .request(
            "POST",
            "/api/me/session",
            &embedded,
            json!({"phone": "09121234567", "code": code}).to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(
        r.header("set-cookie")
            .unwrap()
            .ends_with("; HttpOnly; SameSite=None; Secure; Partitioned"),
        "{:?}",
        r.header("set-cookie")
    );
    let own = browser(
        &host,
        LOOPBACK,
        "POST",
        "/api/me/session",
        None,
        Some(json!({"phone": "09121234567", "code": "000000"})),
    )
    .await;
    assert_eq!(
        own.header("set-cookie"),
        None,
        "a wrong code sets no cookie"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_and_all_its_frame_loads_fit_in_30_kib_gzipped() {
    let host = host().await;
    make_store(&host, "shop-1").await;
    let gz = [("accept-encoding", "gzip")];
    let mut total = 0;
    for path in [
        "/widget.js",
        "/embed?store=shop-1",
        "/assets/app.css",
        "/assets/embed.js",
        "/assets/me.js",
        "/assets/i18n.js",
        "/assets/join.js",
    ] {
        let r = host.request("GET", path, &gz, "").await;
        assert_eq!(r.status, 200, "{path}");
        total += r.body.len();
    }
    assert_eq!(
        host.request("GET", "/widget.js", &[], "")
            .await
            .header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    eprintln!("widget.js and its frame: {total} bytes gzipped");
    assert!(total <= 30 * 1024, "{total} bytes");
}

/// Serves `html` at `/` as `localhost`: a store's page, on another loopback
/// origin (and another site) than the club's 127.0.0.1.
async fn shop_page(html: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let html = html.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    html.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(html.as_bytes()).await;
            });
        }
    });
    origin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_and_sees_their_points_in_the_widget_on_a_stores_page_from_another_origin()
 {
    let host = host_with_provider("kavenegar").await;
    let club = host.serve().await.unwrap();
    let id = create_member(&host, json!({"phone": "09121234567", "name": "سارا"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        adjust(&host, &id, json!({"points": 50, "reason": "خوش‌آمد"}))
            .await
            .status,
        200
    );
    let shop = shop_page(format!(
        "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\"><title>فروشگاه</title></head>\
         <body><h1>فروشگاه نمونه</h1><script src=\"{club}/widget.js\" data-store=\"shop-1\" async></script></body></html>"
    ))
    .await;
    store_at(&host, "shop-1", json!([shop.clone()])).await;
    let h = host.clone();
    with_browser("widget", 390, move |b| {
        b.goto(&format!("{shop}/")).unwrap();
        b.click("#vafa-club").unwrap();
        b.wait("document.querySelector('#vafa-club-panel iframe')?.src.includes('/embed?store=shop-1')").unwrap();
        b.enter_frame("#vafa-club-panel iframe").unwrap();
        b.wait("document.querySelector('#me-phone')").unwrap();
        assert_eq!(b.eval("return document.documentElement.dir;", json!([])).unwrap(), json!("rtl"));
        b.type_into("#phone", "09121234567").unwrap();
        b.click("#me-phone button[type=submit]").unwrap();
        b.wait("document.querySelector('#me-code')").unwrap();
        let text = &h.panel().delivered().iter().rev().find(|d| d.to == "+989121234567").expect("a sign-in code").text.clone();
        b.type_into("#code", &code_from(text)).unwrap();
        b.click("#me-code button[type=submit]").unwrap();
        b.wait("document.querySelector('#me')").unwrap();
        assert_eq!(b.text("#points strong").unwrap(), "۵۰");
        // The session holds in the frame, third-party cookies blocked: a reload is still signed in.
        b.eval("location.reload(); return null;", json!([])).unwrap();
        b.wait("document.querySelector('#me')").unwrap();
        let fonts = b.eval("return performance.getEntriesByType('resource').filter(e => e.name.endsWith('.woff2')).length;", json!([])).unwrap();
        assert_eq!(fonts, json!(0), "the frame uses the system's font");
        b.leave_frame().unwrap();
        // The frame follows its content's height, within the window.
        b.wait("document.querySelector('#vafa-club-panel iframe').style.height !== '420px'").unwrap();
        let height = b.eval("return parseInt(document.querySelector('#vafa-club-panel iframe').style.height);", json!([])).unwrap();
        assert!(height.as_i64().unwrap() <= 800 - 100, "{height}");
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true));
    })
    .await;
}

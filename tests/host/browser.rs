//! A headless Chromium driven over WebDriver (the W3C protocol, spoken to
//! Debian's `chromedriver` on loopback with a small blocking client), for
//! the dashboard's browser tests. Blocking on purpose: a test runs its
//! browser steps on a blocking thread (`spawn_blocking`) while the
//! runtime's workers serve the pages ([`crate::Host::serve`]).
//!
//! A browser that drops while its thread panics first saves a screenshot
//! under `target/browser-screenshots/<name>.png`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine;
use serde_json::{Value, json};

/// Where Debian's packages put them (`chromium`, `chromium-driver`).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    name: String,
}

/// Whether the browser and its driver are installed (`.ci/run` installs
/// them; a test without them says so and skips).
pub fn available() -> bool {
    std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists()
}

impl Browser {
    /// A fresh browser profile with a window of `width` × `height` CSS
    /// pixels; `name` names its screenshot.
    pub fn start(name: &str, width: u32, height: u32) -> Result<Browser> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            // The browser's own zone is UTC, never the club's (Asia/Tehran):
            // a page must place the club's times in the club's zone itself.
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let mut browser = Browser { driver, port, session: String::new(), name: name.to_string() };
        // The driver is a process starting up: wait until it listens.
        let start = Instant::now();
        while browser.call("GET", "/status", None).is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                bail!("chromedriver did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                // Third-party cookies blocked, as browsers are going: a
                // page in a frame on another site keeps only a partitioned cookie.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-extensions", "--test-third-party-cookie-phaseout",
                         format!("--window-size={width},{height}")],
            },
        }}});
        let created = browser.call("POST", "/session", Some(caps))?;
        browser.session = created["sessionId"].as_str().context("no session id")?.to_string();
        // Headless windows include no browser frame: the viewport is the size.
        browser.cmd("POST", "/window/rect", json!({"width": width, "height": height}))?;
        Ok(browser)
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.cmd("POST", "/url", json!({"url": url})).map(drop)
    }

    /// Runs `script` (a function body; `arguments` as given) in the page.
    pub fn eval(&self, script: &str, args: Value) -> Result<Value> {
        self.cmd("POST", "/execute/sync", json!({"script": script, "args": args}))
    }

    /// Waits (up to 10 s) until `condition` (an expression) is true in the
    /// page: pages render after their scripts' calls come back.
    pub fn wait(&self, condition: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            if self.eval(&format!("return Boolean({condition});"), json!([]))? == json!(true) {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(10) {
                bail!("waited 10 s for `{condition}`");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The element `css` (waited for).
    pub fn find(&self, css: &str) -> Result<String> {
        self.wait(&format!("document.querySelector({})", json!(css)))?;
        let v = self.cmd("POST", "/element", json!({"using": "css selector", "value": css}))?;
        v.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).map(str::to_string).context("no element id")
    }

    pub fn click(&self, css: &str) -> Result<()> {
        let id = self.find(css)?;
        self.cmd("POST", &format!("/element/{id}/click"), json!({})).map(drop)
    }

    /// Types `text` into the field `css` (after clearing it).
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let id = self.find(css)?;
        self.cmd("POST", &format!("/element/{id}/clear"), json!({}))?;
        self.cmd("POST", &format!("/element/{id}/value"), json!({"text": text})).map(drop)
    }

    /// The rendered text of `css` (waited for).
    pub fn text(&self, css: &str) -> Result<String> {
        let id = self.find(css)?;
        Ok(self.cmd("GET", &format!("/element/{id}/text"), Value::Null)?.as_str().unwrap_or_default().to_string())
    }

    /// Goes into the frame `css` of the current page: what follows runs in
    /// the framed document, until [`Browser::leave_frame`].
    pub fn enter_frame(&self, css: &str) -> Result<()> {
        let id = self.find(css)?;
        self.cmd("POST", "/frame", json!({"id": {"element-6066-11e4-a52e-4f735466cecf": id}})).map(drop)
    }

    /// Back to the top-level document.
    pub fn leave_frame(&self) -> Result<()> {
        self.cmd("POST", "/frame", json!({"id": null})).map(drop)
    }

    /// An open `alert()`'s text, if one is open.
    pub fn alert(&self) -> Option<String> {
        self.cmd("GET", "/alert/text", Value::Null).ok().and_then(|v| v.as_str().map(str::to_string))
    }

    pub fn screenshot(&self, path: &std::path::Path) -> Result<()> {
        let b64 = self.cmd("GET", "/screenshot", Value::Null)?;
        let png = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or_default())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Result<Value> {
        let body = (!body.is_null()).then_some(body);
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    /// One WebDriver call; its `value`, or the driver's error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.port,
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let (status, json_body) = read_answer(&mut stream)?;
        let v: Value = serde_json::from_str(&json_body).with_context(|| format!("{method} {path}: {json_body}"))?;
        if status >= 400 {
            bail!("{method} {path}: {status} {}", v["value"]);
        }
        Ok(v["value"].clone())
    }
}

/// An HTTP/1.1 answer: its status and body (by `content-length`, or
/// chunked), without waiting for the connection to close.
fn read_answer(stream: &mut TcpStream) -> Result<(u16, String)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            bail!("the driver closed the connection");
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).context("no status")?;
    let header = |name: &str| head.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()));
    let mut body = raw[head_end..].to_vec();
    if let Some(len) = header("content-length:").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < len {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
        body.truncate(len);
    } else if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        while !body.windows(5).any(|w| w == b"0\r\n\r\n") {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
        body = dechunk(&body);
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..i]).trim(), 16).unwrap_or(0);
        let tail = &rest[i + 2..];
        if n == 0 || tail.len() < n {
            break;
        }
        out.extend_from_slice(&tail[..n]);
        rest = tail[n..].strip_prefix(b"\r\n").unwrap_or(&tail[n..]);
    }
    out
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.session.is_empty() {
            let path = crate::guests::workspace_root().join("target/browser-screenshots").join(format!("{}.png", self.name));
            match self.screenshot(&path) {
                Ok(()) => eprintln!("screenshot of the failure: {}", path.display()),
                Err(e) => eprintln!("no screenshot: {e}"),
            }
        }
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

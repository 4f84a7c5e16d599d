//! Vafa's benchmarks: the real release components in the test host, each
//! call a fresh instance as in Spin, compared with an empty handler built in
//! the same run, on both of Spin's key-value stores (SQLite, and Redis
//! through a throwaway `redis-server`). Prints numbers; asserts nothing.
//!
//! Key-value operations are counted per call, commits apart: the calls that
//! reach the store as a write (`set`, `set-many`, `delete`, `delete-many`,
//! `increment`, a compare-and-swap's swap). The SQLite store is opened as
//! Spin opens it, each commit durable (the tests skip fsync), so on SQLite
//! a route's time is mostly its commits. Times are the host's, not Spin's:
//! compare them as ratios to the empty handler.
//!
//!     cargo run --profile bench-host -p vafa-bench -- foundation
//!     cargo run --profile bench-host -p vafa-bench -- enrollment
//!     cargo run --profile bench-host -p vafa-bench -- purchase
//!     cargo run --profile bench-host -p vafa-bench -- redeem
//!     cargo run --profile bench-host -p vafa-bench -- campaigns
//!     cargo run --profile bench-host -p vafa-bench -- sending
//!     cargo run --profile bench-host -p vafa-bench -- dashboard

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use vafa_test_host::panel::Behaviour;
use vafa_test_host::{ADMIN_TOKEN, CALLBACK_TOKEN, ExtraComponent, Host, KvBackend, Options, Reply};

const ITERATIONS: usize = 1_000;

struct Sample {
    name: String,
    times: Vec<Duration>,
    /// (operations, of which commits) per call.
    kv_ops: Vec<(u32, u32)>,
}

impl Sample {
    fn new(name: &str) -> Sample {
        Sample { name: name.into(), times: Vec::new(), kv_ops: Vec::new() }
    }

    fn add(&mut self, took: Duration, kv_ops: u32, kv_writes: u32) {
        self.times.push(took);
        self.kv_ops.push((kv_ops, kv_writes));
    }

    fn p50(&self) -> f64 {
        self.percentile(0.5)
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut t: Vec<f64> = self.times.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        t.sort_by(|a, b| a.total_cmp(b));
        let i = ((t.len() as f64 - 1.0) * p).round() as usize;
        t[i]
    }

    /// "ops/commits", as a range when calls differ.
    fn kv(&self) -> String {
        let range = |f: fn(&(u32, u32)) -> u32| {
            let min = self.kv_ops.iter().map(f).min().unwrap_or(0);
            let max = self.kv_ops.iter().map(f).max().unwrap_or(0);
            if min == max { format!("{min}") } else { format!("{min}-{max}") }
        };
        format!("{}/{}", range(|o| o.0), range(|o| o.1))
    }
}

/// One table, a row per call, SQLite's and Redis's figures side by side.
/// Each run's first sample is its baseline.
fn report(sqlite: &[Sample], redis: &[Sample]) {
    println!(
        "{:<44} {:>6} | {:>9} {:>9} {:>6} {:>9} | {:>9} {:>9} {:>6} {:>9}",
        "call", "n", "SQLite p50", "p99 µs", "×base", "ops/commit", "Redis p50", "p99 µs", "×base", "ops/commit"
    );
    let (sb, rb) = (sqlite[0].p50(), redis[0].p50());
    for (s, r) in sqlite.iter().zip(redis) {
        println!(
            "{:<44} {:>6} | {:>9.1} {:>9.1} {:>6.2} {:>9} | {:>9.1} {:>9.1} {:>6.2} {:>9}",
            s.name,
            s.times.len(),
            s.p50(),
            s.percentile(0.99),
            s.p50() / sb,
            s.kv(),
            r.p50(),
            r.percentile(0.99),
            r.p50() / rb,
            r.kv()
        );
    }
}

async fn timed(sample: &mut Sample, call: impl std::future::Future<Output = Reply>, expect: u16) -> Result<Reply> {
    let started = Instant::now();
    let reply = call.await;
    sample.add(started.elapsed(), reply.kv_ops, reply.kv_writes);
    if reply.status != expect {
        bail!("{}: expected {expect}, got {}: {}", sample.name, reply.status, reply.text());
    }
    Ok(reply)
}

async fn start(backend: KvBackend) -> Result<Host> {
    let baseline = ExtraComponent {
        name: "baseline".into(),
        crate_dir: "bench/baseline".into(),
        key_value_stores: vec!["default".into()],
        ..Default::default()
    };
    Host::start_with(Options { extra_components: vec![baseline], no_interleave: true, kv_backend: Some(backend), durable: true, ..Options::default() })
        .await
        .context("starting the host")
}

async fn baseline(host: &Host, n: usize) -> Result<Sample> {
    let mut s = Sample::new("warm-up");
    for _ in 0..n {
        timed(&mut s, host.request_component("baseline", "GET", "/", &[], Vec::new()), 200).await?;
    }
    Ok(s)
}

fn admin_headers() -> [(&'static str, String); 2] {
    [("authorization", format!("Bearer {ADMIN_TOKEN}")), ("content-type", "application/json".into())]
}

async fn admin(host: &Host, method: &str, path: &str, body: Option<&Value>) -> Reply {
    let h = admin_headers();
    let headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    host.request(method, path, &headers, body.map(|b| b.to_string()).unwrap_or_default()).await
}

fn sizes(host: &Host, names: &[&str]) -> Result<()> {
    println!("{:<44} {:>10}", "component", "size KiB");
    for name in names {
        let bytes = std::fs::metadata(host.component_wasm(name))?.len();
        println!("{:<44} {:>10.1}", name, bytes as f64 / 1024.0);
    }
    println!();
    Ok(())
}

async fn foundation(backend: KvBackend) -> Result<Vec<Sample>> {
    let host = start(backend).await?;
    admin(&host, "PUT", "/api/settings", Some(&json!({"sender_signature": "فروشگاه نمونه"}))).await;
    baseline(&host, 100).await?; // warm-up
    // Round-robin, so a drift in the machine's speed touches every row alike.
    let mut base = Sample::new("empty handler (baseline)");
    // The enrollment component answering without any I/O: what its size
    // alone costs over the baseline.
    let mut unknown = Sample::new("enrollment, unknown route (no I/O)");
    let mut settings = Sample::new("GET /api/settings");
    let mut create = Sample::new("PUT /api/stores/{id} (new store)");
    let mut update = Sample::new("PUT /api/stores/{id} (update)");
    let body = json!({"name": "فروشگاه نمونه", "platform": "woocommerce", "webhook_secret": "0123456789abcdef0123"});
    let patch = json!({"auto_enroll": true});
    for i in 0..ITERATIONS {
        timed(&mut base, host.request_component("baseline", "GET", "/", &[], Vec::new()), 200).await?;
        timed(&mut unknown, host.request("GET", "/nope", &[], Vec::new()), 404).await?;
        timed(&mut settings, admin(&host, "GET", "/api/settings", None), 200).await?;
        timed(&mut create, admin(&host, "PUT", &format!("/api/stores/shop-{i}"), Some(&body)), 200).await?;
        timed(&mut update, admin(&host, "PUT", &format!("/api/stores/shop-{i}"), Some(&patch)), 200).await?;
    }
    Ok(vec![base, unknown, settings, create, update])
}

fn phone(i: usize) -> String {
    format!("+98912{:07}", i)
}

async fn enrollment(backend: KvBackend) -> Result<Vec<Sample>> {
    let host = start(backend).await?;
    baseline(&host, 100).await?;
    let json_headers = [("content-type", "application/json")];
    let inbound = format!("/hooks/sms/inbound?token={CALLBACK_TOKEN}");
    let mut base = Sample::new("empty handler (baseline)");
    let mut join = Sample::new("POST /api/join");
    let mut verify = Sample::new("POST /api/join/verify");
    let mut create = Sample::new("POST /api/members");
    let mut by_phone = Sample::new("GET /api/members?phone=");
    let mut optout = Sample::new("POST /hooks/sms/inbound (opt-out)");
    for i in 0..ITERATIONS {
        if i % 50 == 0 {
            host.advance(chrono::Duration::minutes(1)); // the club-wide 60 codes a minute
        }
        timed(&mut base, host.request_component("baseline", "GET", "/", &[], Vec::new()), 200).await?;
        // Join + verify: the code comes back through the fake Kavenegar panel.
        host.set_variable("sms_provider", "kavenegar");
        let p = phone(i);
        timed(&mut join, host.request("POST", "/api/join", &json_headers, json!({"phone": p}).to_string()), 202).await?;
        let text = host.panel().delivered().last().context("no code SMS")?.text.clone();
        let code: String = text.chars().filter(char::is_ascii_digit).collect();
        timed(&mut verify, host.request("POST", "/api/join/verify", &json_headers, json!({"phone": p, "code": code}).to_string()), 201).await?;
        host.set_variable("sms_provider", "sandbox");
        let other = phone(100_000 + i);
        let body = json!({"phone": other, "name": "سارا", "consent": {"marketing": true, "source": "checkout"}});
        timed(&mut create, admin(&host, "POST", "/api/members", Some(&body)), 201).await?;
        timed(&mut by_phone, admin(&host, "GET", &format!("/api/members?phone=0912{:07}", 100_000 + i), None), 200).await?;
        let body = json!({"from": other, "text": "لغو ۱۱"});
        timed(&mut optout, host.request("POST", &inbound, &json_headers, body.to_string()), 200).await?;
    }

    // Cron ticks with nothing due, between baseline calls.
    host.advance(chrono::Duration::minutes(1));
    host.cron("sender").await.result.map_err(anyhow::Error::msg)?;
    let mut idle = Sample::new("cron tick, nothing due");
    for _ in 0..ITERATIONS {
        timed(&mut base, host.request_component("baseline", "GET", "/", &[], Vec::new()), 200).await?;
        host.advance(chrono::Duration::minutes(1));
        let started = Instant::now();
        let t = host.cron("sender").await;
        idle.add(started.elapsed(), t.kv_ops, t.kv_writes);
        t.result.map_err(anyhow::Error::msg)?;
    }

    let small = due_ticks(&host, "cron tick, 1,000 due", 200_000).await?;
    let stored_before = count_messages(&host);
    pad_messages(&host, 100_000)?;
    let big = due_ticks(&host, "cron tick, 1,000 due among 100,000 stored", 300_000).await?;
    println!("{backend:?}: messages stored: {stored_before} before padding, {} after", count_messages(&host));
    Ok(vec![base, join, verify, create, by_phone, optout, idle, small, big])
}

fn count_messages(host: &Host) -> usize {
    host.kv_snapshot().keys().filter(|k| k.starts_with("msg:")).count()
}

/// 1,000 confirmations queued while the panel fails, then one tick sends
/// them all (through the sandbox, so the figure is Vafa's own cost).
async fn due_ticks(host: &Host, name: &str, first_phone: usize) -> Result<Sample> {
    const DUE: usize = 1_000;
    const ROUNDS: usize = 5;
    let mut s = Sample::new(name);
    let inbound = format!("/hooks/sms/inbound?token={CALLBACK_TOKEN}");
    let json_headers = [("content-type", "application/json")];
    for round in 0..ROUNDS {
        host.set_variable("sms_provider", "kavenegar");
        host.panel().set_behaviour(Behaviour::ServerError);
        for i in 0..DUE {
            let p = phone(first_phone + round * DUE + i);
            let r = admin(host, "POST", "/api/members", Some(&json!({"phone": p, "consent": {"marketing": true}}))).await;
            if r.status != 201 {
                bail!("seeding: {}", r.text());
            }
            host.request("POST", &inbound, &json_headers, json!({"from": p, "text": "لغو"}).to_string()).await;
        }
        host.panel().set_behaviour(Behaviour::Normal);
        host.set_variable("sms_provider", "sandbox");
        host.advance(chrono::Duration::minutes(1));
        let started = Instant::now();
        let t = host.cron("sender").await;
        s.add(started.elapsed(), t.kv_ops, t.kv_writes);
        t.result.map_err(anyhow::Error::msg)?;
        if !t.stderr.contains("1000 sent") {
            bail!("{name}: the tick did not send all 1,000: {}", t.stderr);
        }
    }
    Ok(s)
}

/// Copies of a stored message under new numbers: messages that exist but
/// are not due (already sent), as a busy club's store holds them.
fn pad_messages(host: &Host, n: usize) -> Result<()> {
    let snapshot = host.kv_snapshot();
    let (key, template) = snapshot.iter().find(|(k, _)| k.starts_with("msg:")).context("no message to copy")?;
    let number: &str = key.trim_start_matches("msg:");
    let text = String::from_utf8(template.clone())?;
    let top = snapshot.keys().filter_map(|k| k.strip_prefix("msg:")?.parse::<u64>().ok()).max().unwrap_or(0);
    for i in 1..=n as u64 {
        let m = top + i;
        let copy = text.replace(&format!("\"id\":\"s_{number}\""), &format!("\"id\":\"s_{m}\"")).replace(&format!("\"number\":{number},"), &format!("\"number\":{m},"));
        host.kv_set(&format!("msg:{m}"), copy.as_bytes());
    }
    Ok(())
}

fn hmac_hex(key: &[u8], body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Order webhooks (the generic route): a paid order of an existing member,
/// its duplicate, a refund, 20 concurrent duplicates, and a paid order of a
/// member with 1,000 past orders.
async fn purchase(backend: KvBackend) -> Result<Vec<Sample>> {
    const SECRET: &str = "0123456789abcdef0123";
    let host = start(backend).await?;
    let r = admin(&host, "PUT", "/api/stores/shop-1", Some(&json!({"name": "فروشگاه نمونه", "platform": "woocommerce", "webhook_secret": SECRET}))).await;
    if r.status != 200 {
        bail!("store: {}", r.text());
    }
    let hook = |host: Host, body: Value| async move {
        let raw = body.to_string();
        let sig = format!("sha256={}", hmac_hex(SECRET.as_bytes(), raw.as_bytes()));
        host.request("POST", "/hooks/orders/shop-1", &[("content-type", "application/json"), ("x-vafa-signature", sig.as_str())], raw).await
    };
    let paid = |order: String, phone: &str| json!({"event": "order.paid", "order_id": order, "phone": phone, "total": 2_500_000, "currency": "IRR"});
    baseline(&host, 100).await?;
    let mut base = Sample::new("empty handler (baseline)");
    let mut first = Sample::new("order.paid, existing member");
    let mut dup = Sample::new("order.paid again (duplicate)");
    let mut refund = Sample::new("order.refunded (a fifth)");
    for i in 0..ITERATIONS {
        timed(&mut base, host.request_component("baseline", "GET", "/", &[], Vec::new()), 200).await?;
        let p = phone(500_000 + i);
        let r = admin(&host, "POST", "/api/members", Some(&json!({"phone": p}))).await;
        if r.status != 201 {
            bail!("member: {}", r.text());
        }
        let order = format!("o{i}");
        timed(&mut first, hook(host.clone(), paid(order.clone(), &p)), 200).await?;
        timed(&mut dup, hook(host.clone(), paid(order.clone(), &p)), 200).await?;
        let body = json!({"event": "order.refunded", "order_id": order, "phone": p, "currency": "IRR", "refund_amount": 500_000, "refund_id": "r1"});
        timed(&mut refund, hook(host.clone(), body), 200).await?;
    }
    // Twenty deliveries of one order at once, timed as a batch.
    let mut burst = Sample::new("20 concurrent deliveries of one order (batch)");
    for i in 0..50 {
        let p = phone(600_000 + i);
        admin(&host, "POST", "/api/members", Some(&json!({"phone": p}))).await;
        let body = paid(format!("burst{i}"), &p);
        let started = Instant::now();
        let replies = futures::future::join_all((0..20).map(|_| hook(host.clone(), body.clone()))).await;
        let (ops, writes) = replies.iter().fold((0, 0), |(o, w), r| (o + r.kv_ops, w + r.kv_writes));
        burst.add(started.elapsed(), ops, writes);
        if let Some(bad) = replies.iter().find(|r| r.status != 200) {
            bail!("burst: {}", bad.text());
        }
    }
    // A member's 1,000th order costs what their second did.
    let mut at_1 = Sample::new("order.paid, member with 1 past order");
    for i in 0..100 {
        let p = phone(800_000 + i);
        admin(&host, "POST", "/api/members", Some(&json!({"phone": p}))).await;
        hook(host.clone(), paid(format!("second{i}-a"), &p)).await;
        timed(&mut at_1, hook(host.clone(), paid(format!("second{i}-b"), &p)), 200).await?;
    }
    let loyal = phone(700_000);
    admin(&host, "POST", "/api/members", Some(&json!({"phone": loyal}))).await;
    let mut at_1000 = Sample::new("order.paid, member with 1,000+ past orders");
    for i in 0..1_100 {
        let call = hook(host.clone(), paid(format!("loyal{i}"), &loyal));
        if i >= 1_000 {
            timed(&mut at_1000, call, 200).await?;
        } else {
            call.await;
        }
    }
    // The points tick: a day with nothing due, among the thousands of
    // members above, and a day with 100 members' pending points due.
    let mut idle = Sample::new("points tick, nothing due");
    let mut due = Sample::new("points tick, 100 pending orders due (10 runs)");
    let settings = json!({"pending_days": 1});
    if admin(&host, "PUT", "/api/settings", Some(&settings)).await.status != 200 {
        bail!("settings");
    }
    host.set_now("2026-11-20T08:00:00Z".parse()?);
    host.cron("points-tick").await;
    for run in 0..10 {
        for i in 0..100 {
            let p = phone(950_000 + run * 100 + i);
            admin(&host, "POST", "/api/members", Some(&json!({"phone": p}))).await;
            hook(host.clone(), paid(format!("pending{run}-{i}"), &p)).await;
        }
        for _ in 0..100 {
            host.advance(chrono::Duration::seconds(1));
            let started = Instant::now();
            let t = host.cron("points-tick").await;
            idle.add(started.elapsed(), t.kv_ops, t.kv_writes);
        }
        host.advance(chrono::Duration::days(1));
        let started = Instant::now();
        let t = host.cron("points-tick").await;
        due.add(started.elapsed(), t.kv_ops, t.kv_writes);
        if t.result.is_err() || !t.stderr.contains("100 orders' points credited") {
            bail!("points tick: {:?} {}", t.result, t.stderr);
        }
    }
    Ok(vec![base, first, dup, refund, burst, at_1, at_1000, idle, due])
}

/// Rewards at checkout, as a store calls them with its key: a redemption,
/// validate, validate holding the code for a cart, consume, and fifty
/// redemptions at once against a balance that covers ten.
async fn redeem(backend: KvBackend) -> Result<Vec<Sample>> {
    let host = start(backend).await?;
    let r = admin(&host, "PUT", "/api/stores/shop-1", Some(&json!({"name": "فروشگاه نمونه", "platform": "woocommerce", "webhook_secret": "0123456789abcdef0123"}))).await;
    let key = r.json()["api_key"].as_str().context("the store's key")?.to_string();
    let auth = format!("Bearer {key}");
    let store = |host: Host, path: String, body: Value| {
        let auth = auth.clone();
        async move { host.request("POST", &path, &[("authorization", auth.as_str()), ("content-type", "application/json")], body.to_string()).await }
    };
    admin(&host, "PUT", "/api/rewards/ten", Some(&json!({"name": "ده درصد", "kind": "percent", "value": 10, "cost": 100}))).await;
    let member = |host: Host, i: usize, points: i64| async move {
        let m = admin(&host, "POST", "/api/members", Some(&json!({"phone": phone(i)}))).await.json();
        let id = m["id"].as_str().unwrap_or_default().to_string();
        admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(&json!({"points": points, "reason": "bench"}))).await;
        id
    };
    let rich = member(host.clone(), 900_000, 1_000_000).await;
    baseline(&host, 100).await?;
    let mut base = Sample::new("empty handler (baseline)");
    let mut redemption = Sample::new("POST /api/redemptions");
    let mut validate = Sample::new("POST /api/codes/{code}/validate");
    let mut locked = Sample::new("validate with a cart (holds the code)");
    let mut consume = Sample::new("POST /api/codes/{code}/consume");
    for i in 0..ITERATIONS {
        timed(&mut base, host.request_component("baseline", "GET", "/", &[], Vec::new()), 200).await?;
        let r = timed(&mut redemption, store(host.clone(), "/api/redemptions".into(), json!({"member_id": rich, "reward_id": "ten"})), 201).await?;
        let code = r.json()["code"].as_str().context("a code")?.to_string();
        timed(&mut validate, store(host.clone(), format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})), 200).await?;
        timed(&mut locked, store(host.clone(), format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000, "cart_id": format!("cart-{i}")})), 200).await?;
        timed(&mut consume, store(host.clone(), format!("/api/codes/{code}/consume"), json!({"order_id": format!("o{i}"), "cart_id": format!("cart-{i}")})), 200).await?;
    }
    let mut burst = Sample::new("50 concurrent redemptions, 10 covered (batch)");
    for i in 0..20 {
        let id = member(host.clone(), 910_000 + i, 1_000).await;
        let started = Instant::now();
        let replies = futures::future::join_all((0..50).map(|_| store(host.clone(), "/api/redemptions".into(), json!({"member_id": id, "reward_id": "ten"})))).await;
        let (ops, writes) = replies.iter().fold((0, 0), |(o, w), r| (o + r.kv_ops, w + r.kv_writes));
        burst.add(started.elapsed(), ops, writes);
        let won = replies.iter().filter(|r| r.status == 201).count();
        if won != 10 {
            bail!("50 at once: {won} redemptions, not 10");
        }
    }
    Ok(vec![base, redemption, validate, locked, consume, burst])
}

/// One campaigns tick, added to `sample`; its report line.
async fn campaigns_tick(host: &Host, sample: &mut Sample) -> Result<String> {
    let started = Instant::now();
    let t = host.cron("campaigns-tick").await;
    sample.add(started.elapsed(), t.kv_ops, t.kv_writes);
    if t.result.is_err() {
        bail!("campaigns tick: {:?} {}", t.result, t.stderr);
    }
    Ok(t.stderr)
}

/// Ticks until the campaigns tick reports it has caught up.
async fn campaigns_until_caught_up(host: &Host, sample: &mut Sample) -> Result<usize> {
    for n in 1..=1_000 {
        if !campaigns_tick(host, sample).await?.contains("caught up: false") {
            return Ok(n);
        }
        host.advance(chrono::Duration::minutes(1));
    }
    bail!("the campaigns tick never caught up")
}

/// Copies of stored member `m_1` up to member `to`: members the club holds
/// but no index names for today (the campaigns tick must not look at them).
fn pad_members(host: &Host, to: u64) -> Result<()> {
    let template = String::from_utf8(host.kv_get("member:1").context("no member 1")?)?;
    let from = host.kv_increment("seq:member", 0) as u64;
    for n in from + 1..=to {
        host.kv_set(&format!("member:{n}"), template.replace("\"id\":\"m_1\"", &format!("\"id\":\"m_{n}\"")).as_bytes());
    }
    host.kv_increment("seq:member", (to - from) as i64);
    Ok(())
}

/// The campaigns tick: with nothing due at 10,000 and at 100,000 members
/// (every automation on), the day of 300 birthdays, and a broadcast to
/// 10,000 opted-in members queued tick by tick.
async fn campaigns(backend: KvBackend) -> Result<Vec<Sample>> {
    let host = start(backend).await?;
    host.set_now("2026-11-23T06:00:00Z".parse()?); // 2 Azar 1405
    admin(&host, "PUT", "/api/settings", Some(&json!({"sender_signature": "فروشگاه نمونه"}))).await;
    for (kind, extra) in [
        ("welcome", json!({})),
        ("thank_you", json!({"offset_days": 1})),
        ("feedback", json!({"offset_days": 3})),
        ("replenishment", json!({"cycles": {"coffee": 30}})),
        ("birthday", json!({})),
        ("anniversary", json!({})),
        ("tier_upgrade", json!({})),
        ("expiry_reminder", json!({})),
        ("winback", json!({})),
    ] {
        let mut body = json!({"enabled": true, "template": "{name|دوست عزیز}، سلام از باشگاه!"});
        body.as_object_mut().context("an object")?.extend(extra.as_object().cloned().unwrap_or_default());
        let r = admin(&host, "PUT", &format!("/api/automations/{kind}"), Some(&body)).await;
        if r.status != 200 {
            bail!("automation {kind}: {}", r.text());
        }
    }
    let consent = json!({"marketing": true, "source": "checkout"});
    for i in 0..10_000 {
        let r = admin(&host, "POST", "/api/members", Some(&json!({"phone": phone(i), "consent": consent}))).await;
        if r.status != 201 {
            bail!("member {i}: {}", r.text());
        }
    }
    // Today's 10,000 welcomes are queued; tomorrow nothing is due.
    campaigns_until_caught_up(&host, &mut Sample::new("welcomes")).await?;
    host.set_now("2026-11-24T06:00:00Z".parse()?);
    let mut idle_10k = Sample::new("campaigns tick, nothing due, 10,000 members");
    for _ in 0..100 {
        campaigns_tick(&host, &mut idle_10k).await?;
        host.advance(chrono::Duration::seconds(1));
    }

    // A broadcast to all 10,000, ticks until queued.
    let mut broadcast = Sample::new("broadcast to 10,000, per tick");
    let r = admin(&host, "POST", "/api/campaigns", Some(&json!({"name": "یلدا", "template": "{name|مشتری عزیز}، یلدا مبارک!"}))).await;
    let id = r.json()["id"].as_str().context("a campaign")?.to_string();
    let ticks = campaigns_until_caught_up(&host, &mut broadcast).await?;
    let got = admin(&host, "GET", &format!("/api/campaigns/{id}"), None).await.json();
    if got["stats"]["queued"] != 10_000 {
        bail!("the broadcast queued {} in {ticks} ticks", got["stats"]["queued"]);
    }
    println!("broadcast to 10,000 queued in {ticks} ticks");

    // 300 birthdays on 10 Azar, greeted in that day's ticks.
    for i in 0..300 {
        let r = admin(&host, "POST", "/api/members", Some(&json!({"phone": phone(20_000 + i), "birthday": "1370-09-10", "consent": consent}))).await;
        if r.status != 201 {
            bail!("member with a birthday {i}: {}", r.text());
        }
    }
    campaigns_until_caught_up(&host, &mut Sample::new("welcomes")).await?;
    host.set_now("2026-11-30T06:00:00Z".parse()?);
    campaigns_until_caught_up(&host, &mut Sample::new("days between")).await?;
    host.set_now("2026-12-01T06:00:00Z".parse()?); // 10 Azar 1405
    let mut birthdays = Sample::new("campaigns tick, 300 birthdays (per tick)");
    let ticks = campaigns_until_caught_up(&host, &mut birthdays).await?;
    println!("300 birthdays queued in {ticks} ticks");

    // The same quiet day at 100,000 members.
    pad_members(&host, 100_000)?;
    host.set_now("2026-12-02T06:00:00Z".parse()?);
    campaigns_until_caught_up(&host, &mut Sample::new("next day")).await?;
    let mut idle_100k = Sample::new("campaigns tick, nothing due, 100,000 members");
    for _ in 0..100 {
        campaigns_tick(&host, &mut idle_100k).await?;
        host.advance(chrono::Duration::seconds(1));
    }
    println!("{backend:?}: nothing-due tick at 100,000 / at 10,000 members (p50): {:.2}", idle_100k.p50() / idle_10k.p50());
    let mut base = baseline(&host, 100).await?;
    base.name = "empty handler (baseline)".into();
    Ok(vec![base, idle_10k, idle_100k, birthdays, broadcast])
}

/// A broadcast to 10,000 members end to end through the fake Kavenegar
/// panel: queued by the campaigns tick, sent by the sender in bulk calls;
/// then the campaign's report.
async fn sending(backend: KvBackend) -> Result<Vec<Sample>> {
    let host = start(backend).await?;
    host.set_variable("sms_provider", "kavenegar");
    host.set_now("2026-11-24T06:00:00Z".parse()?);
    let consent = json!({"marketing": true, "source": "checkout"});
    for i in 0..10_000 {
        let r = admin(&host, "POST", "/api/members", Some(&json!({"phone": phone(i), "consent": consent}))).await;
        if r.status != 201 {
            bail!("member {i}: {}", r.text());
        }
    }
    let r = admin(&host, "POST", "/api/campaigns", Some(&json!({"name": "یلدا", "template": "یلدا مبارک! تا ۳۰ درصد تخفیف در فروشگاه."}))).await;
    let id = r.json()["id"].as_str().context("a campaign")?.to_string();
    campaigns_until_caught_up(&host, &mut Sample::new("queueing")).await?;
    host.panel().clear();
    let mut ticks = Sample::new("sender tick, bulk (2,000 messages a tick)");
    let started = Instant::now();
    let mut sent = 0;
    while sent < 10_000 {
        host.advance(chrono::Duration::minutes(1));
        let t0 = Instant::now();
        let t = host.cron("sender").await;
        ticks.add(t0.elapsed(), t.kv_ops, t.kv_writes);
        if t.result.is_err() || ticks.times.len() > 50 {
            bail!("sender: {:?} {}", t.result, t.stderr);
        }
        sent = host.panel().delivered().len();
    }
    let took = started.elapsed();
    let calls = host.panel().requests().len();
    let ops: u32 = ticks.kv_ops.iter().map(|o| o.0).sum();
    println!(
        "{backend:?}: 10,000 messages in {} ticks, {calls} panel calls, {:.0} messages/s of host time, {:.2} KV operations a message",
        ticks.times.len(),
        10_000.0 / took.as_secs_f64(),
        f64::from(ops) / 10_000.0
    );
    let mut report = Sample::new("GET /api/reports/campaigns/{id} (10,000 sent)");
    for _ in 0..100 {
        timed(&mut report, admin(&host, "GET", &format!("/api/reports/campaigns/{id}"), None), 200).await?;
    }
    let mut base = baseline(&host, 100).await?;
    base.name = "empty handler (baseline)".into();
    Ok(vec![base, ticks, report])
}

/// The files a first visit to `/admin/` loads (the page, its styles and
/// scripts, the two font weights), gzipped where the browser accepts it.
const FIRST_LOAD: [&str; 9] = [
    "/admin/",
    "/assets/vendor/uplot/uPlot.min.css",
    "/assets/app.css",
    "/assets/vendor/uplot/uPlot.iife.min.js",
    "/assets/admin.js",
    "/assets/marketing.js",
    "/assets/i18n.js",
    "/assets/vendor/vazirmatn/Vazirmatn-Regular.woff2",
    "/assets/vendor/vazirmatn/Vazirmatn-Bold.woff2",
];

/// The dashboard's reports at 10,000 members: the overview and a 90-day
/// daily series (counters, so the number of members does not matter: 200
/// of them joined and ordered through the API, the rest are padding), and
/// the bytes of a first visit.
async fn dashboard(backend: KvBackend) -> Result<Vec<Sample>> {
    let host = start(backend).await?;
    let key = admin(&host, "PUT", "/api/stores/shop", Some(&json!({"name": "shop", "platform": "woocommerce", "webhook_secret": "s3cret-s3cret-s3cret"}))).await;
    if key.status != 200 {
        bail!("store: {}", key.text());
    }
    for i in 0..200 {
        let body = json!({"phone": phone(i), "consent": {"marketing": true, "source": "import"}});
        let r = admin(&host, "POST", "/api/members", Some(&body)).await;
        if r.status != 201 {
            bail!("member: {}", r.text());
        }
        let order = json!({"event": "order.paid", "order_id": format!("o{i}"), "phone": phone(i), "total": 1_000_000, "currency": "IRR"}).to_string();
        let sig = format!("sha256={}", hmac_hex(b"s3cret-s3cret-s3cret", order.as_bytes()));
        let r = host.request("POST", "/hooks/orders/shop", &[("content-type", "application/json"), ("x-vafa-signature", &sig)], order).await;
        if r.status != 200 {
            bail!("order: {}", r.text());
        }
    }
    pad_members(&host, 10_000)?;
    let mut overview = Sample::new("GET /api/reports/overview");
    let mut daily = Sample::new("GET /api/reports/daily (90 days)");
    for _ in 0..100 {
        timed(&mut overview, admin(&host, "GET", "/api/reports/overview", None), 200).await?;
        timed(&mut daily, admin(&host, "GET", "/api/reports/daily", None), 200).await?;
    }
    if backend == KvBackend::Sqlite {
        let mut bytes = 0;
        for path in FIRST_LOAD {
            let r = host.request("GET", path, &[("accept-encoding", "gzip")], Vec::new()).await;
            if r.status != 200 {
                bail!("{path}: {}", r.status);
            }
            bytes += r.body.len();
        }
        println!("dashboard first load: {} files, {bytes} bytes ({:.1} KiB) as sent", FIRST_LOAD.len(), bytes as f64 / 1024.0);
    }
    // The owner saves a setting the way the dashboard does: the current
    // tag, then a merge patch with If-Match.
    let mut patch = Sample::new("PATCH /api/settings (If-Match)");
    for i in 0..50 {
        let tag = admin(&host, "GET", "/api/settings", None).await.header("etag").context("an etag")?.to_string();
        let h = admin_headers();
        let mut headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        headers.push(("if-match", &tag));
        let body = json!({"sender_signature": format!("باشگاه {i}")}).to_string();
        timed(&mut patch, host.request("PATCH", "/api/settings", &headers, body), 200).await?;
    }
    // The audit log those saves made: its newest page.
    let mut audit = Sample::new("GET /api/audit (50 entries)");
    for _ in 0..50 {
        timed(&mut audit, admin(&host, "GET", "/api/audit?limit=50", None), 200).await?;
    }
    // A member redeems on their own page: asked, then confirmed.
    let r = admin(&host, "PUT", "/api/rewards/one", Some(&json!({"name": "یک", "kind": "percent", "value": 5, "cost": 1}))).await;
    if r.status != 200 {
        bail!("reward: {}", r.text());
    }
    let m = admin(&host, "GET", &format!("/api/members?phone={}", phone(0)), None).await.json();
    let id = m["id"].as_str().context("a member")?.to_string();
    admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(&json!({"points": 1000, "reason": "bench"}))).await;
    let json_headers = [("content-type", "application/json")];
    host.request("POST", "/api/me/code", &json_headers, json!({"phone": phone(0)}).to_string()).await;
    let sent = admin(&host, "GET", "/api/messages?limit=1", None).await.json();
    let code: String = sent["messages"][0]["text"].as_str().context("the sign-in code")?.chars().filter(char::is_ascii_digit).take(6).collect();
    let r = host.request("POST", "/api/me/session", &json_headers, json!({"phone": phone(0), "code": code}).to_string()).await;
    let cookie = r.header("set-cookie").context("a session")?.split(';').next().unwrap_or_default().to_string();
    let me_headers = [("content-type", "application/json"), ("cookie", cookie.as_str())];
    let mut ask = Sample::new("POST /api/me/redemptions (the confirmation step)");
    let mut redeem = Sample::new("POST /api/me/redemptions (confirmed)");
    for i in 0..50 {
        timed(&mut ask, host.request("POST", "/api/me/redemptions", &me_headers, json!({"reward_id": "one"}).to_string()), 200).await?;
        let body = json!({"reward_id": "one", "confirm": true, "idempotency_key": format!("bench-{i}")}).to_string();
        timed(&mut redeem, host.request("POST", "/api/me/redemptions", &me_headers, body), 201).await?;
    }
    let mut base = baseline(&host, 100).await?;
    base.name = "empty handler (baseline)".into();
    Ok(vec![base, overview, daily, patch, audit, ask, redeem])
}

/// A store's existing customers coming in: 10,000 CSV rows uploaded, then
/// applied by the imports tick (new members, then the same file again), and
/// a redeemed code made a coupon on the fake WooCommerce shop.
async fn store(backend: KvBackend) -> Result<Vec<Sample>> {
    let host = start(backend).await?;
    let mut file = String::from("phone,name,birthday,marketing_consent,consent_at,points\n");
    for i in 0..10_000 {
        file.push_str(&format!("0912{:07},عضو {i},1370-06-{:02},{},1404-01-01,{}\n", i, i % 28 + 1, if i % 2 == 0 { "yes" } else { "no" }, i % 3 * 10));
    }
    let mut upload = Sample::new("POST /api/imports (10,000 rows)");
    let mut ticks = Sample::new("imports tick, new members (200 a tick)");
    let mut again = Sample::new("imports tick, the same file again");
    for (round, sample) in [(0, &mut ticks), (1, &mut again)] {
        let h = admin_headers();
        let mut headers: Vec<(&str, &str)> = h.iter().filter(|(k, _)| *k != "content-type").map(|(k, v)| (*k, v.as_str())).collect();
        headers.push(("content-type", "text/csv"));
        let t0 = Instant::now();
        let r = host.request("POST", "/api/imports", &headers, file.clone()).await;
        if r.status != 202 {
            bail!("import: {}", r.text());
        }
        if round == 0 {
            upload.add(t0.elapsed(), r.kv_ops, r.kv_writes);
        }
        let id = r.json()["id"].as_str().context("an import")?.to_string();
        loop {
            host.advance(chrono::Duration::seconds(15));
            let t0 = Instant::now();
            let t = host.cron("imports-tick").await;
            if t.result.is_err() || sample.times.len() > 100 {
                bail!("imports tick: {:?} {}", t.result, t.stderr);
            }
            sample.add(t0.elapsed(), t.kv_ops, t.kv_writes);
            if admin(&host, "GET", &format!("/api/imports/{id}"), None).await.json()["state"] == "done" {
                break;
            }
        }
        let ops: u32 = sample.kv_ops.iter().map(|o| o.0).sum::<u32>() + if round == 0 { upload.kv_ops[0].0 } else { 0 };
        println!("{backend:?}: 10,000 rows{} in {} ticks, {:.2} KV operations a row", if round == 0 { "" } else { " again" }, sample.times.len(), f64::from(ops) / 10_000.0);
    }
    let platforms = host.platforms().clone();
    let body = json!({"name": "shop", "platform": "woocommerce", "webhook_secret": "s3cret-s3cret-s3cret", "api": platforms.woo_api()});
    let r = admin(&host, "PUT", "/api/stores/shop-1", Some(&body)).await;
    if r.status != 200 {
        bail!("store: {}", r.text());
    }
    let key = format!("Bearer {}", r.json()["api_key"].as_str().context("a store key")?);
    admin(&host, "PUT", "/api/rewards/ten", Some(&json!({"name": "ده درصد", "kind": "percent", "value": 10, "cost": 10, "valid_days": 30}))).await;
    let mut coupon = Sample::new("coupons tick, one coupon made");
    for i in 0..20 {
        let member = admin(&host, "GET", &format!("/api/members?phone=0912{:07}", i * 3 + 1), None).await.json()["id"].as_str().context("a member")?.to_string();
        // Through the store's key: the code is that store's, so it makes a coupon there.
        let body = json!({"member_id": member, "reward_id": "ten"}).to_string();
        let r = host.request("POST", "/api/redemptions", &[("authorization", &key), ("content-type", "application/json")], body).await;
        if r.status != 201 {
            bail!("redeem: {}", r.text());
        }
        host.advance(chrono::Duration::seconds(61));
        let t0 = Instant::now();
        let t = host.cron("coupons-tick").await;
        coupon.add(t0.elapsed(), t.kv_ops, t.kv_writes);
    }
    if platforms.woo_coupons().len() != 20 {
        bail!("coupons made: {}", platforms.woo_coupons().len());
    }
    // Past orders: 2,000 WooCommerce orders of 500 customers, 50 a page.
    let fixture: Value = serde_json::from_slice(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/woocommerce/order-processing.json"))?)?;
    for i in 0..2_000u64 {
        let mut o = fixture.clone();
        o["id"] = json!(50_000 + i);
        o["date_created_gmt"] = json!("2026-10-01T10:00:00");
        o["billing"]["phone"] = json!(format!("0935{:07}", i % 500));
        platforms.add_woo_order(o);
    }
    let r = admin(&host, "POST", "/api/stores/shop-1/backfill", Some(&json!({"since": "2026-09-01"}))).await;
    if r.status != 202 {
        bail!("backfill: {}", r.text());
    }
    let mut backfill = Sample::new("backfill tick, a page of 50 orders");
    loop {
        host.advance(chrono::Duration::seconds(15));
        let t0 = Instant::now();
        let t = host.cron("backfill-tick").await;
        backfill.add(t0.elapsed(), t.kv_ops, t.kv_writes);
        if t.result.is_err() || backfill.times.len() > 100 {
            bail!("backfill tick: {:?} {}", t.result, t.stderr);
        }
        if admin(&host, "GET", "/api/stores/shop-1/backfill", None).await.json()["state"] != "running" {
            break;
        }
    }
    let ops: u32 = backfill.kv_ops.iter().map(|o| o.0).sum();
    println!("{backend:?}: 2,000 backfilled orders in {} ticks, {:.2} KV operations an order", backfill.times.len(), f64::from(ops) / 2_000.0);
    Ok(vec![upload, ticks, again, coupon, backfill])
}

async fn suite(which: &str, backend: KvBackend) -> Result<Vec<Sample>> {
    match which {
        "foundation" => foundation(backend).await,
        "enrollment" => enrollment(backend).await,
        "purchase" => purchase(backend).await,
        "redeem" => redeem(backend).await,
        "campaigns" => campaigns(backend).await,
        "sending" => sending(backend).await,
        "dashboard" => dashboard(backend).await,
        "store" => store(backend).await,
        _ => bail!("usage: vafa-bench foundation|enrollment|purchase|redeem|campaigns|sending|dashboard|store"),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let which = std::env::args().nth(1).unwrap_or_default();
    let sqlite = suite(&which, KvBackend::Sqlite).await?;
    let redis = suite(&which, KvBackend::Redis).await?;
    sizes(&start(KvBackend::Sqlite).await?, &["baseline", "enrollment", "sms-hooks", "purchase-scoring", "redemption", "admin", "campaigns", "reports", "dashboard", "sender", "poller", "points-tick", "campaigns-tick", "me", "me-redemptions", "stores", "settings", "shopify-hooks", "coupons-tick", "imports", "imports-tick", "exports", "backfill-tick", "members", "rewards", "codes", "team", "inbox"])?;
    report(&sqlite, &redis);
    Ok(())
}

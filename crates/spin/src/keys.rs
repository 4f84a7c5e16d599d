//! The key layout of Vafa's one key-value store. This module is the only
//! place a key is formatted; every component reads and writes through it.
//!
//! Spin's store has no transactions and no prefix scans (docs/rules.md, "Key-value facts"), so every
//! list a request or a tick must read is an index written when the fact
//! became known: a counter `…-len` and one key per slot, read with one
//! `get-many`.
//!
//! | key                                | value                        | written by            | read by                   |
//! |------------------------------------|------------------------------|-----------------------|---------------------------|
//! | `settings`                         | JSON `Settings`              | PUT /api/settings     | every component           |
//! | `store:{id}`                       | JSON `Shop`                  | PUT /api/stores       | stores, webhooks          |
//! | `bonus-rules`                      | JSON `bonus::Rules`          | /api/bonus-rules (CAS)| order webhooks            |
//! | `stores`                           | JSON list of store ids       | PUT /api/stores (CAS) | GET /api/stores, settings (currency) |
//! | `creating:{key}:{minute}`          | claim counter: who creates an edited record (settings, rewards, automations, bonus rules, a store, `stores`) | `Kv::edit` | `Kv::edit` |
//! | `store-key:{sha256(api key)}`      | store id                     | PUT, rotate-key       | store auth                |
//! | `credentials`                      | JSON list of `staff::Credential` | POST, DELETE /api/credentials (CAS) | GET /api/credentials |
//! | `credential-key:{sha256(token)}`   | JSON `staff::Actor`          | POST /api/credentials (deleted at revoke) | admin auth   |
//! | `rate:auth:{client tag}:{minute}`  | counter of wrong tokens      | admin and store auth  | admin and store auth      |
//! | `audit`                            | text `audit::Head`: its chunk number, then the newest entries, one JSON `audit::Entry` a line | every admin write (CAS) | GET /api/audit |
//! | `audit:{n}`                        | text: full chunk n, one JSON `audit::Entry` a line, never changed | the write that fills the head | GET /api/audit |
//! | `seq:member`                       | counter (last member number) | member create         | —                         |
//! | `member:{n}`                       | JSON `Member`                | members, join, inbound| everyone                  |
//! | `phone:{e164}`                     | counter: member number, 0 free| create, phone change (CAS) | lookups           |
//! | `referral:{CODE}`                  | member number (text)         | member create         | join with a referral      |
//! | `wallet:{n}`                       | JSON `wallet::Wallet`        | member create; every points change (CAS) | member views, ledger |
//! | `order:{store}/{order}`           | JSON `order_record::Record`  | order webhooks        | order webhooks            |
//! | `wallet-opening:{n}`               | claim counter                | first change of a pre-wallet member | —          |
//! | `points:{n}`, `ledger-len:{n}`     | counters (before wallets)    | — (read once to open the wallet) | legacy reads    |
//! | `ledger:{n}:{k}`                   | JSON `ledger::Entry`         | points changes        | GET …/ledger              |
//! | `adjust:{n}:{key}`                 | ledger slot (text)           | adjust                | adjust                    |
//! | `review-len:{day}`, `review:{day}:{k}` | counter; member number | points changes | points tick (pending credits, expiry and its reminder, tier, segment) |
//! | `events-len:{day}`, `event:{day}:{k}` | counter; JSON `event::Event` | points changes, points tick | campaigns |
//! | `points:cursor`                    | JSON `days::Cursor`          | points tick           | points tick               |
//! | `rewards`                          | JSON `reward::Catalog`       | PUT /api/rewards (CAS) | rewards, redemptions     |
//! | `reward-taken:{id}`                | counter: units of stock issued | redeem, cancel      | redeem                    |
//! | `redemption:{id}`                  | JSON `redemption::Redemption` as first written (pending) | redeem, gift codes | retries, cancel, GET |
//! | `code:{CODE}`                      | JSON `redemption::Redemption`| redeem, validate (lock), consume, cancel (CAS) | validate, consume |
//! | `code-order:{CODE}`                | order id (text)              | order webhooks (coupon lines) | validate, consume, cancel |
//! | `coupon:{CODE}`                    | JSON `coupon::Coupon`: the code's coupon on its store's platform | redeem, gift codes, cancel, coupons tick (CAS) | coupons tick, GET /api/redemptions/{id} |
//! | `coupon-due-len:{minute}`, `coupon-due:{minute}:{k}` | counter; a code whose coupon has work then (made, retried, removed at expiry) | redeem, gift codes, cancel, coupons tick | coupons tick |
//! | `coupon-try:{CODE}:{n}`            | claim counter: attempt n at a coupon | coupons tick | coupons tick |
//! | `coupon:cursor`                    | JSON: last minute swept      | coupons tick          | coupons tick              |
//! | `product:{store}:{id}`             | JSON `catalog::Product`: a product's categories on its store's platform, when read | categories tick | order webhooks, backfill tick, categories tick |
//! | `categories:{store}/{order}`       | JSON `catalog::Job`: an order to count again once its products' categories are read | order webhooks, backfill tick, categories tick | categories tick |
//! | `categories-due-len:{minute}`, `categories-due:{minute}:{k}` | counter; an order whose categories job is due then | order webhooks, backfill tick, categories tick | categories tick |
//! | `categories:cursor`                | JSON: last minute swept      | categories tick       | categories tick           |
//! | `stock-return:{id}`                | claim counter                | cancel                | cancel                    |
//! | `backfill:{store}`, `backfills:active` | JSON `backfill::Backfill`; JSON list of store ids running one | POST /api/stores/{id}/backfill, backfill tick (CAS) | backfill tick, GET …/backfill |
//! | `imports`, `imports:active`        | JSON lists of import ids (all; with rows left) | POST /api/imports, imports tick (CAS) | GET /api/imports, imports tick |
//! | `import:{id}`                      | JSON `import::Import`: progress and refused rows | POST /api/imports, imports tick (CAS) | GET /api/imports/{id} |
//! | `import-chunk:{id}:{n}`            | JSON list of `import::ImportRow` (200 a chunk) | POST /api/imports | imports tick |
//! | `import-plan:{id}:{n}`             | JSON list of (line, member number) drawn for a chunk's new phones | imports tick | imports tick |
//! | `rate:codes:{caller}:{minute}`     | counter of unknown codes     | validate, consume     | validate, consume         |
//! | `seq:campaign`, `campaign:{id}`    | counter; JSON `broadcast::Campaign` | POST /api/campaigns, campaigns tick (CAS) | campaigns |
//! | `campaigns:active`                 | JSON list of campaign ids    | create, campaigns tick (CAS) | campaigns tick     |
//! | `camp-count:{id}:{name}`           | counter (`broadcast::COUNTERS`): guards' verdicts, sent, delivered, failed, parts, clicks, conversions, revenue, opt-outs | sender, delivery hook, GET /l, order webhooks, inbound | GET /api/campaigns/{id}, reports |
//! | `camp:{id}:{m}`                    | claim counter                | campaigns tick        | campaigns tick            |
//! | `link:{slug}`                      | JSON `tracking::Link`: campaign, member, target | campaigns tick | GET /l/{slug}       |
//! | `click:{campaign}:{m}`             | claim counter                | GET /l/{slug}         | GET /l/{slug}             |
//! | `last-mkt:{m}`                     | JSON `tracking::Touch`: the last campaign sent and when | sender | order webhooks, inbound opt-out |
//! | `conv:{campaign}:{m}`              | claim counter                | order webhooks        | order webhooks            |
//! | `birthdays-len:{j|g}:{MM}-{DD}`, `birthdays:{j|g}:{MM}-{DD}:{k}` | counter; member number | member create, birthday change | campaigns tick |
//! | `birthdays:cursor`                 | JSON: the day and its lists' slots done | campaigns tick | campaigns tick |
//! | `bday:{year}:{m}`                  | claim counter                | campaigns tick        | campaigns tick            |
//! | `joined-len:{MM}-{DD}`, `joined:{MM}-{DD}:{k}` | counter; member number (Jalali day of joining) | member create | campaigns tick (anniversary) |
//! | `anniversaries:cursor`             | JSON: the day and its lists' slots done | campaigns tick | campaigns tick |
//! | `anniv:{year}:{m}`                 | claim counter                | campaigns tick        | campaigns tick            |
//! | `auto-cursor:{kind}:{days}`        | JSON `daily::Cursor`: purchases `days` ago swept | campaigns tick | campaigns tick |
//! | `feedback:{m}`                     | JSON `feedback::Request`     | sender (request sent), inbound hook (score) | inbound hook |
//! | `automations`                      | JSON `automation::Automations` | PUT /api/automations (CAS) | campaigns tick    |
//! | `campaigns:cursor`                 | JSON `daily::Cursor`         | campaigns tick        | campaigns tick            |
//! | `auto:{event id}`, `auto:{kind}:{days}:{event id}` | claim counter | campaigns tick  | campaigns tick            |
//! | `mkt-sent:{m}:{day}`               | counter of marketing SMS sent| sender                | sender (frequency cap)    |
//! | `otp:{e164}`, `otp-signin:{e164}`, `otp-erasure:{e164}` | JSON `otp::Pending` | join, /api/me/code, /api/me/forget/code | verify, /api/me/session, /api/me/forget |
//! | `otp-fail:{phone tag}:{issued}`    | counter of wrong codes       | verify, sign-in       | verify, sign-in           |
//! | `rate:join:{phone tag}:{hour}`     | counter (join and sign-in codes) | join, /api/me/code | join, /api/me/code     |
//! | `rate:join:{minute}`               | counter (all phones)         | join, /api/me/code    | join, /api/me/code        |
//! | `session:{id}`                     | JSON `session::Session`      | /api/me/session (sign-in; deleted at sign-out) | /api/me |
//! | `member-codes-len:{m}`, `member-codes:{m}:{k}` | counter; a code issued to the member (text) | redeem, gift codes | /api/me |
//! | `seq:message`                      | counter (last message number)| outbox                | GET /api/messages         |
//! | `msg:{n}`                          | JSON `Message`               | outbox, sender, hooks | messages, sender          |
//! | `msg-provider:{provider}:{id}`     | message number (text)        | outbox, sender        | delivery reports          |
//! | `member-msgs-len:{m}`, `member-msgs:{m}:{k}` | counter; message number | outbox       | GET /api/messages?member_id |
//! | `due-len:{minute}`, `due:{minute}:{k}` | counter; message number  | outbox, sender        | sender                    |
//! | `sender:cursor`                    | counter: last minute swept   | sender                | sender                    |
//! | `attempt:{n}:{try}`                | claim counter                | outbox, sender        | outbox, sender            |
//! | `stat:{day}:{name}`                | counter: a club day's number (`stats::DAILY`: joins, opt-ins, orders, revenue, points, messages…) | wallet swaps, members, outbox | GET /api/reports/daily |
//! | `stat:total:{name}`                | counter: a club-wide total (`stats::TOTALS`) | wallet swaps, members | GET /api/reports/overview |
//! | `stat:last-buy:{day}`              | counter: members whose last purchase was that day | wallet swaps | GET /api/reports/overview (active in 90 days) |
//! | `seq:inbound`, `inbound:{n}`       | counter; JSON inbound SMS    | inbound hook, poller  | (reports)                 |
//! | `inbound-seen:{provider}:{id}`     | claim counter: a reply the panel gave an id | inbound hook, poller | inbound hook, poller |
//! | `inbound-count:{action}`           | counter of replies by what was done (`unknown_sender`, `opted_out`, …) | inbound hook, poller | (reports) |
//! | `status-len:{minute}`, `status:{minute}:{k}` | counter; JSON `status_checks::Check`: messages whose delivery state to ask then | sender (when delivery is polled), poller | poller |
//! | `status:cursor`                    | JSON `daily::Cursor`: the minute in progress and its slots done | poller | poller |
//!
//! A "phone tag" is a truncated SHA-256 of the E.164 number: keys that are
//! never deleted must not keep a number an erasure removed.
//!
//! Counters are written only by `increment`, so each holds its store's own
//! encoding (8 little-endian bytes on SQLite, ASCII decimal on Redis), and
//! are read in either (`kv::decode_counter`). The one key also written by
//! compare-and-swap, `phone:{e164}`, is written in the encoding the store
//! used for it, so `increment(key, 0)` still works on it afterwards.

pub const SETTINGS: &str = "settings";
pub const BONUS_RULES: &str = "bonus-rules";
pub const STORES: &str = "stores";
pub const SEQ_MEMBER: &str = "seq:member";
pub const SEQ_MESSAGE: &str = "seq:message";
pub const SEQ_INBOUND: &str = "seq:inbound";
pub const SENDER_CURSOR: &str = "sender:cursor";
pub const POINTS_CURSOR: &str = "points:cursor";
pub const REWARDS: &str = "rewards";
pub const AUTOMATIONS: &str = "automations";
pub const CAMPAIGNS_CURSOR: &str = "campaigns:cursor";
pub const CAMPAIGNS_ACTIVE: &str = "campaigns:active";
pub const SEQ_CAMPAIGN: &str = "seq:campaign";
pub const BIRTHDAYS_CURSOR: &str = "birthdays:cursor";
pub const ANNIVERSARIES_CURSOR: &str = "anniversaries:cursor";
pub const STATUS_CURSOR: &str = "status:cursor";
pub const IMPORTS: &str = "imports";
pub const BACKFILLS_ACTIVE: &str = "backfills:active";
pub const IMPORTS_ACTIVE: &str = "imports:active";
pub const CREDENTIALS: &str = "credentials";
pub const AUDIT: &str = "audit";

pub fn store(id: &str) -> String {
    format!("store:{id}")
}
/// Creation of an edited record (`Kv::edit`), claimed per minute.
pub fn creating(key: &str, minute: i64) -> String {
    format!("creating:{key}:{minute}")
}
pub fn credential_key(hash: &str) -> String {
    format!("credential-key:{hash}")
}
/// Wrong tokens from one client (a truncated SHA-256 of its address: the
/// address itself is not kept).
pub fn rate_auth(client: &str, minute: i64) -> String {
    format!("rate:auth:{}:{minute}", &vafa_core::secret::hash(client)[..24])
}
pub fn audit_chunk(n: u64) -> String {
    format!("audit:{n}")
}
pub fn store_key(hash: &str) -> String {
    format!("store-key:{hash}")
}
pub fn member(n: u64) -> String {
    format!("member:{n}")
}
pub fn phone(e164: &str) -> String {
    format!("phone:{e164}")
}
pub fn referral(code: &str) -> String {
    format!("referral:{code}")
}
pub fn order(key: &str) -> String {
    format!("order:{key}")
}
pub fn wallet(n: u64) -> String {
    format!("wallet:{n}")
}
pub fn wallet_opening(n: u64) -> String {
    format!("wallet-opening:{n}")
}
pub fn points(n: u64) -> String {
    format!("points:{n}")
}
pub fn ledger_len(n: u64) -> String {
    format!("ledger-len:{n}")
}
pub fn ledger(n: u64, k: u64) -> String {
    format!("ledger:{n}:{k}")
}
pub fn adjust(n: u64, key: &str) -> String {
    format!("adjust:{n}:{key}")
}
fn calendar_letter(c: vafa_core::settings::Calendar) -> char {
    match c {
        vafa_core::settings::Calendar::Jalali => 'j',
        vafa_core::settings::Calendar::Gregorian => 'g',
    }
}
pub fn birthdays_len(c: vafa_core::settings::Calendar, month: u32, day: u32) -> String {
    format!("birthdays-len:{}:{month:02}-{day:02}", calendar_letter(c))
}
pub fn birthday(c: vafa_core::settings::Calendar, month: u32, day: u32, k: u64) -> String {
    format!("birthdays:{}:{month:02}-{day:02}:{k}", calendar_letter(c))
}
pub fn birthday_sent(year: i32, member: u64) -> String {
    format!("bday:{year}:{member}")
}
pub fn joined_len(month: u32, day: u32) -> String {
    format!("joined-len:{month:02}-{day:02}")
}
pub fn joined(month: u32, day: u32, k: u64) -> String {
    format!("joined:{month:02}-{day:02}:{k}")
}
pub fn anniversary_sent(year: i32, member: u64) -> String {
    format!("anniv:{year}:{member}")
}
pub fn automation_cursor(kind: &str, days: u32) -> String {
    format!("auto-cursor:{kind}:{days}")
}
pub fn feedback(member: u64) -> String {
    format!("feedback:{member}")
}
pub fn link(slug: &str) -> String {
    format!("link:{slug}")
}
pub fn click(campaign: &str, member: u64) -> String {
    format!("click:{campaign}:{member}")
}
pub fn last_marketing(member: u64) -> String {
    format!("last-mkt:{member}")
}
pub fn conversion(campaign: &str, member: u64) -> String {
    format!("conv:{campaign}:{member}")
}
pub fn campaign(id: &str) -> String {
    format!("campaign:{id}")
}
pub fn campaign_count(id: &str, reason: &str) -> String {
    format!("camp-count:{id}:{reason}")
}
pub fn campaign_member(id: &str, member: u64) -> String {
    format!("camp:{id}:{member}")
}
pub fn automation_sent(event_id: &str) -> String {
    format!("auto:{event_id}")
}
pub fn marketing_sent(member: u64, day: i32) -> String {
    format!("mkt-sent:{member}:{day}")
}
pub fn reward_taken(id: &str) -> String {
    format!("reward-taken:{id}")
}
pub fn redemption(id: &str) -> String {
    format!("redemption:{id}")
}
pub fn code(code: &str) -> String {
    format!("code:{code}")
}
pub fn code_order(code: &str) -> String {
    format!("code-order:{code}")
}
pub fn coupon(code: &str) -> String {
    format!("coupon:{code}")
}

/// Queue `queue`'s ids due in `minute` (`crate::due`): how many, each,
/// and the last minute swept. The queues: `coupon`, `categories` (the SMS
/// outbox keeps its own: `due-len`, `due`).
pub fn queue_due_len(queue: &str, minute: i64) -> String {
    format!("{queue}-due-len:{minute}")
}

pub fn queue_due(queue: &str, minute: i64, k: u64) -> String {
    format!("{queue}-due:{minute}:{k}")
}

pub fn queue_cursor(queue: &str) -> String {
    format!("{queue}:cursor")
}

pub fn coupon_try(code: &str, attempt: u32) -> String {
    format!("coupon-try:{code}:{attempt}")
}

/// A product's categories as its store's platform named them.
pub fn product(store: &str, id: &str) -> String {
    format!("product:{store}:{id}")
}

/// An order (`{store}/{order id}`) to count again once its products'
/// categories are read.
pub fn category_job(order: &str) -> String {
    format!("categories:{order}")
}

pub fn backfill(store: &str) -> String {
    format!("backfill:{store}")
}

pub fn import(id: &str) -> String {
    format!("import:{id}")
}

pub fn import_chunk(id: &str, n: u32) -> String {
    format!("import-chunk:{id}:{n}")
}

pub fn import_plan(id: &str, n: u32) -> String {
    format!("import-plan:{id}:{n}")
}

pub fn stock_return(id: &str) -> String {
    format!("stock-return:{id}")
}
pub fn rate_codes(caller: &str, minute: i64) -> String {
    format!("rate:codes:{caller}:{minute}")
}
/// `day`: a club day ([`vafa_core::zone::Day`]).
pub fn review_len(day: i32) -> String {
    format!("review-len:{day}")
}
pub fn review(day: i32, k: u64) -> String {
    format!("review:{day}:{k}")
}
pub fn events_len(day: i32) -> String {
    format!("events-len:{day}")
}
pub fn event(day: i32, k: u64) -> String {
    format!("event:{day}:{k}")
}
pub fn otp(code_for: vafa_core::otp::CodeFor, e164: &str) -> String {
    match code_for {
        vafa_core::otp::CodeFor::Join => format!("otp:{e164}"),
        vafa_core::otp::CodeFor::SignIn => format!("otp-signin:{e164}"),
        vafa_core::otp::CodeFor::Erasure => format!("otp-erasure:{e164}"),
    }
}
pub fn session(id: &str) -> String {
    format!("session:{id}")
}
pub fn member_codes_len(member: u64) -> String {
    format!("member-codes-len:{member}")
}
pub fn member_code(member: u64, k: u64) -> String {
    format!("member-codes:{member}:{k}")
}
pub fn otp_fail(e164: &str, issued: i64) -> String {
    format!("otp-fail:{}:{issued}", phone_tag(e164))
}
pub fn rate_join_phone(e164: &str, hour: i64) -> String {
    format!("rate:join:{}:{hour}", phone_tag(e164))
}

/// Keys that outlive an erasure (counters nobody deletes) name the phone
/// by a hash, never in clear.
fn phone_tag(e164: &str) -> String {
    vafa_core::secret::hash(e164)[..24].to_string()
}
pub fn rate_join_all(minute: i64) -> String {
    format!("rate:join:{minute}")
}
pub fn message(n: u64) -> String {
    format!("msg:{n}")
}
pub fn message_by_provider(provider: &str, id: &str) -> String {
    format!("msg-provider:{provider}:{id}")
}
pub fn member_messages_len(member: u64) -> String {
    format!("member-msgs-len:{member}")
}
pub fn member_messages(member: u64, k: u64) -> String {
    format!("member-msgs:{member}:{k}")
}
pub fn due_len(minute: i64) -> String {
    format!("due-len:{minute}")
}
pub fn due(minute: i64, k: u64) -> String {
    format!("due:{minute}:{k}")
}
pub fn attempt(n: u64, attempt: u32) -> String {
    format!("attempt:{n}:{attempt}")
}
pub fn inbound(n: u64) -> String {
    format!("inbound:{n}")
}
pub fn stat_day(day: vafa_core::zone::Day, name: &str) -> String {
    format!("stat:{day}:{name}")
}
pub fn stat_total(name: &str) -> String {
    format!("stat:total:{name}")
}
pub fn stat_last_buy(day: vafa_core::zone::Day) -> String {
    format!("stat:last-buy:{day}")
}
pub fn inbound_seen(provider: &str, id: &str) -> String {
    format!("inbound-seen:{provider}:{id}")
}
pub fn inbound_count(action: &str) -> String {
    format!("inbound-count:{action}")
}
/// `minute` is a `Day`-typed number of minutes since the epoch, so the
/// status checks are swept like a day list (`daily::sweep_days`).
pub fn status_len(minute: vafa_core::zone::Day) -> String {
    format!("status-len:{minute}")
}
pub fn status(minute: vafa_core::zone::Day, k: u64) -> String {
    format!("status:{minute}:{k}")
}

/// Member ids on the wire are `m_<number>`.
pub fn member_id(n: u64) -> String {
    format!("m_{n}")
}
pub fn member_number(id: &str) -> Option<u64> {
    id.strip_prefix("m_")?.parse().ok().filter(|n| *n > 0)
}

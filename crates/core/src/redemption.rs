//! A redemption: points spent on a reward, and the single-use code it
//! issued. The code's life at a store's checkout — validated (and held for
//! one cart a while), consumed by one order, or cancelled with its points
//! returned — is decided here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reward::Reward;

/// Code symbols: no 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 12 symbols: about 59 bits, far beyond guessing at any rate a store key
/// is allowed to miss.
pub const CODE_LEN: usize = 12;

/// A code from random bytes, without modulo bias: bytes of 248 or more are
/// skipped. `None` if the bytes ran out first (draw more).
pub fn code_from(random: &[u8]) -> Option<String> {
    let code: String = random.iter().filter(|b| **b < 248).take(CODE_LEN).map(|b| CODE_ALPHABET[(*b % 31) as usize] as char).collect();
    (code.len() == CODE_LEN).then_some(code)
}

/// A code as a person types it: any case, Persian or Arabic digits, spaces
/// and dashes. `None` when it cannot be a code (it is then `unknown`).
pub fn normalize_code(typed: &str) -> Option<String> {
    let code: String = crate::text::ascii_digits(typed).chars().filter(|c| !matches!(c, ' ' | '-' | '\u{200c}')).collect::<String>().to_ascii_uppercase();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Written before the points were spent; becomes `issued` once they are
    /// (a request killed between the two is finished by its retry).
    Pending,
    Issued,
    Used,
    Cancelled,
    /// The points could not be spent: never a valid code.
    Failed,
}

/// A cart's hold on a code at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub cart: String,
    #[serde(with = "crate::time::rfc3339")]
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub id: String,
    pub code: String,
    pub member_id: String,
    pub reward: Reward,
    pub state: State,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// The month the spent points would have expired at the end of: a
    /// cancellation returns them there.
    pub lot: i32,
    /// Whether it took a unit of the reward's stock.
    pub stock: bool,
    #[serde(default)]
    pub lock: Option<Lock>,
    #[serde(default)]
    pub order_id: Option<String>,
    /// The member's balance once it was issued (a retry answers it again).
    #[serde(default)]
    pub balance: Option<i64>,
}

/// Why a code does not apply (`{"valid": false, "reason"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Expired,
    Used,
    MinOrder,
    Unknown,
    Cancelled,
    Locked,
}

/// What consuming a code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// Consumed now: the record to write.
    Now(Box<Redemption>),
    /// This order consumed it before.
    Already,
}

impl Redemption {
    /// Whether the code applies to an order of `total` for `cart` at `now`,
    /// and the discount if so.
    pub fn check(&self, total: i64, cart: Option<&str>, now: DateTime<Utc>) -> std::result::Result<i64, Reason> {
        match self.state {
            State::Pending | State::Failed => return Err(Reason::Unknown),
            State::Used => return Err(Reason::Used),
            State::Cancelled => return Err(Reason::Cancelled),
            State::Issued => {}
        }
        if now >= self.expires_at {
            return Err(Reason::Expired);
        }
        if self.locked_against(cart, now) {
            return Err(Reason::Locked);
        }
        if total < 0 || (total as u64) < self.reward.min_order {
            return Err(Reason::MinOrder);
        }
        Ok(self.reward.discount(total))
    }

    fn locked_against(&self, cart: Option<&str>, now: DateTime<Utc>) -> bool {
        self.lock.as_ref().is_some_and(|l| now < l.until && Some(l.cart.as_str()) != cart)
    }

    /// The record holding the code for `cart` until `minutes` from now.
    pub fn locked_for(&self, cart: &str, now: DateTime<Utc>, minutes: u32) -> Redemption {
        let until = now + Duration::minutes(minutes.into());
        Redemption { lock: Some(Lock { cart: cart.to_string(), until }), ..self.clone() }
    }

    /// Consumes the code for `order_id` (and `cart`, if a cart holds it).
    pub fn consume(&self, order_id: &str, cart: Option<&str>, now: DateTime<Utc>) -> Result<Consumed> {
        match self.state {
            State::Used if self.order_id.as_deref() == Some(order_id) => return Ok(Consumed::Already),
            State::Used => return Err(Error::Conflict { code: "code_used", message: "this code was used by another order".into(), member_id: None }),
            State::Cancelled => return Err(Error::Conflict { code: "code_cancelled", message: "this code was cancelled".into(), member_id: None }),
            State::Pending | State::Failed => return Err(Error::NotFound("code".into())),
            State::Issued => {}
        }
        if now >= self.expires_at {
            return Err(Error::Gone { code: "code_expired", message: "this code has expired".into() });
        }
        if self.locked_against(cart, now) {
            return Err(Error::Conflict { code: "code_locked", message: "another cart holds this code; give its cart_id or wait".into(), member_id: None });
        }
        Ok(Consumed::Now(Box::new(Redemption { state: State::Used, order_id: Some(order_id.to_string()), lock: None, ..self.clone() })))
    }

    /// The code as it stands once the store's order webhook reported an
    /// order paid with it (`order`): used by that order, whatever cart held
    /// it. The order is the store's proof; an expired or cancelled code
    /// stays as it was.
    pub fn with_order(self, order: Option<String>, now: DateTime<Utc>) -> Redemption {
        match order {
            Some(order_id) if self.state == State::Issued && now < self.expires_at => Redemption { state: State::Used, order_id: Some(order_id), lock: None, ..self },
            _ => self,
        }
    }

    /// Cancels an unused code (`None`: cancelled before).
    pub fn cancel(&self) -> Result<Option<Redemption>> {
        match self.state {
            State::Cancelled => Ok(None),
            State::Used => Err(Error::Conflict { code: "code_used", message: "a used code cannot be cancelled".into(), member_id: None }),
            State::Pending | State::Failed => Err(Error::Conflict { code: "redemption_incomplete", message: "this redemption never completed; retry it with its idempotency key".into(), member_id: None }),
            State::Issued => Ok(Some(Redemption { state: State::Cancelled, lock: None, ..self.clone() })),
        }
    }

    /// The SMS that brings the member their code.
    pub fn sms_text(&self, settings: &crate::settings::Settings) -> String {
        let until = crate::jalali::JalaliDate::from_gregorian(settings.timezone.local_date(self.expires_at)).format_persian();
        let text = format!("کد جایزه «{}» برای شما: {}\nتا {} معتبر است.", self.reward.name, self.code, until);
        crate::consent::signed(&text, &settings.sender_signature)
    }

    /// The API's shape.
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "code": self.code,
            "member_id": self.member_id,
            "reward_id": self.reward.id,
            "state": self.state,
            "created_at": crate::time::format(&self.created_at),
            "expires_at": crate::time::format(&self.expires_at),
            "order_id": self.order_id,
            "balance": self.balance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reward::{Kind, RewardInput};
    use crate::settings::Settings;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn issued() -> Redemption {
        let reward = RewardInput { name: "ده درصد".into(), kind: Kind::Percent, value: 10, cost: 100, valid_days: 30, min_order: 1_000_000, stock: None, tier: None, active: true }
            .validate("ten", &Settings::default())
            .unwrap();
        Redemption { id: "rd_1".into(), code: "ABCDEFGHJKMN".into(), member_id: "m_1".into(), reward, state: State::Issued, created_at: at("2026-11-01T00:00:00Z"), expires_at: at("2026-12-01T00:00:00Z"), lot: 0, stock: false, lock: None, order_id: None, balance: None }
    }

    #[test]
    fn codes_use_only_unmistakable_symbols_and_read_back_however_typed() {
        let all: Vec<u8> = (0..=255).cycle().take(600).collect();
        let code = code_from(&all).unwrap();
        assert_eq!(code.len(), CODE_LEN);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(code_from(&[255; 40]), None, "biased bytes are skipped");
        assert_eq!(normalize_code("abcd-efgh ۲۳۴۵").as_deref(), Some("ABCDEFGH2345"));
        assert_eq!(normalize_code("ABCDEFGH234"), None);
        assert_eq!(normalize_code("ABCDEFGH2340"), None, "0 is never in a code");
    }

    #[test]
    fn a_code_applies_with_its_discount_until_it_expires() {
        let r = issued();
        let now = at("2026-11-10T00:00:00Z");
        assert_eq!(r.check(3_000_000, None, now), Ok(300_000));
        assert_eq!(r.check(999_999, None, now), Err(Reason::MinOrder));
        assert_eq!(r.check(3_000_000, None, at("2026-12-01T00:00:00Z")), Err(Reason::Expired));
        assert_eq!(Redemption { state: State::Pending, ..r.clone() }.check(3_000_000, None, now), Err(Reason::Unknown));
    }

    #[test]
    fn a_cart_holds_the_code_until_its_lock_lapses() {
        let now = at("2026-11-10T00:00:00Z");
        let held = issued().locked_for("cart-a", now, 15);
        assert_eq!(held.check(3_000_000, Some("cart-a"), now), Ok(300_000));
        assert_eq!(held.check(3_000_000, Some("cart-b"), now), Err(Reason::Locked));
        assert_eq!(held.check(3_000_000, None, now), Err(Reason::Locked));
        assert_eq!(held.check(3_000_000, Some("cart-b"), now + Duration::minutes(15)), Ok(300_000));
        assert!(matches!(held.consume("o-2", Some("cart-b"), now), Err(Error::Conflict { code: "code_locked", .. })));
    }

    #[test]
    fn a_code_is_consumed_once_and_the_same_order_again_is_fine() {
        let now = at("2026-11-10T00:00:00Z");
        let Ok(Consumed::Now(used)) = issued().consume("o-1", None, now) else { panic!() };
        assert_eq!(used.consume("o-1", None, now), Ok(Consumed::Already));
        assert!(matches!(used.consume("o-2", None, now), Err(Error::Conflict { code: "code_used", .. })));
        assert!(matches!(used.cancel(), Err(Error::Conflict { code: "code_used", .. })));
        assert!(matches!(issued().consume("o-1", None, at("2026-12-02T00:00:00Z")), Err(Error::Gone { code: "code_expired", .. })));
    }

    #[test]
    fn an_order_webhook_with_the_code_uses_it() {
        let now = at("2026-11-10T00:00:00Z");
        let used = issued().locked_for("cart-a", now, 15).with_order(Some("W-1".into()), now);
        assert_eq!((used.state, used.order_id.as_deref()), (State::Used, Some("W-1")));
        assert_eq!(used.consume("W-1", None, now), Ok(Consumed::Already));
        assert_eq!(issued().with_order(None, now), issued());
        assert_eq!(issued().with_order(Some("W-1".into()), at("2026-12-02T00:00:00Z")).state, State::Issued, "an expired code stays expired");
    }

    #[test]
    fn cancelling_is_once_and_kills_the_code() {
        let cancelled = issued().cancel().unwrap().unwrap();
        assert_eq!(cancelled.cancel().unwrap(), None);
        assert_eq!(cancelled.check(3_000_000, None, at("2026-11-10T00:00:00Z")), Err(Reason::Cancelled));
    }
}

//! Feedback requests: the feedback automation asks a member for a 0-10
//! score some days after a purchase. From the moment the request is sent,
//! for `feedback_reply_days`, a bare number from the member is their score.
//! The first score closes the request: the same number again (a panel's
//! redelivery, a second tap) is the same answer, and any other `1` opts out
//! as always.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::settings::Settings;
use crate::template::persian_digits;

/// The member's last feedback request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The campaign it went under (`auto:feedback`).
    pub campaign: String,
    #[serde(with = "crate::time::rfc3339")]
    pub sent_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    #[serde(default, with = "crate::time::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub scored_at: Option<DateTime<Utc>>,
}

impl Request {
    pub fn sent(campaign: &str, at: DateTime<Utc>) -> Request {
        Request { campaign: campaign.to_string(), sent_at: at, score: None, scored_at: None }
    }

    /// Whether `score` now answers this request: within the reply window,
    /// not answered yet or answered with this same score.
    pub fn takes(&self, score: u8, now: DateTime<Utc>, settings: &Settings) -> bool {
        let window = now >= self.sent_at && now < self.sent_at + Duration::days(settings.feedback_reply_days.into());
        window && self.score.is_none_or(|s| s == score)
    }

    pub fn scored(&self, score: u8, now: DateTime<Utc>) -> Request {
        Request { score: Some(score), scored_at: Some(now), ..self.clone() }
    }
}

/// The reply to a score: thanks, the score as recorded, and how to opt
/// out now that a bare number meant a score.
pub fn receipt(score: u8, settings: &Settings) -> String {
    let text = format!("امتیاز {} شما ثبت شد. از نظرتان سپاسگزاریم!\nبرای لغو پیامک‌ها «لغو11» را بفرستید.", persian_digits(&score.to_string()));
    crate::consent::signed(&text, &settings.sender_signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_open_for_the_reply_days_until_it_is_answered() {
        let settings = Settings::default();
        let sent = DateTime::from_timestamp(1_763_900_000, 0).unwrap();
        let r = Request::sent("auto:feedback", sent);
        assert!(r.takes(1, sent, &settings) && r.takes(1, sent + Duration::days(3) - Duration::seconds(1), &settings));
        assert!(!r.takes(1, sent + Duration::days(3), &settings), "the window has closed");
        assert!(!r.scored(9, sent).takes(1, sent, &settings), "answered: 1 is an opt-out again");
        assert!(r.scored(9, sent).takes(9, sent, &settings), "the same answer again");
        assert!(receipt(9, &settings).contains('۹') && receipt(9, &settings).contains("لغو11"));
    }
}

//! The one error type of the domain. Every rejection a client can see is a
//! variant here; the adapter maps each variant to a status code and the JSON
//! error shape in exactly one place (`vafa_spin::http::error_response`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// 400 `malformed_json`: the body is not JSON, or not the JSON shape asked for.
    MalformedJson(String),
    /// 401 `unauthorized`: credentials missing or wrong.
    Unauthorized,
    /// 403 `forbidden`: right credentials, wrong scope.
    Forbidden,
    /// 403 with a specific code: the caller may not have this (a reward
    /// for a higher tier).
    Denied { code: &'static str, message: String },
    /// 404 `not_found`.
    NotFound(String),
    /// 405 `method_not_allowed`, with the methods the route accepts.
    MethodNotAllowed(&'static [&'static str]),
    /// 409 with a specific code; `member_id` names the member a conflict is about.
    Conflict { code: &'static str, message: String, member_id: Option<String> },
    /// 409 `insufficient_credit`: the SMS panel's credit cannot pay for
    /// what was asked (both in the panel's unit).
    InsufficientCredit { needed: u64, available: u64 },
    /// 410 with a specific code (an expired or used-up code).
    Gone { code: &'static str, message: String },
    /// 412 `precondition_failed`: the request's `If-Match` names a version
    /// that is no longer current. Carries the current view as JSON text and
    /// its tag (`None`: the record does not exist).
    PreconditionFailed { etag: Option<String>, current: Option<String> },
    /// 413 `body_too_large`.
    BodyTooLarge { limit: usize },
    /// 422 `invalid_<field>`: one field is wrong; the message says what is accepted.
    InvalidField { field: String, message: String },
    /// 422 with a specific code not tied to one field (e.g. `invalid_code`).
    Unprocessable { code: &'static str, message: String },
    /// 429 `rate_limited`.
    RateLimited(String),
    /// 500: a fault on our side; the detail is logged, never shown.
    Internal(String),
    /// 500 `store_corrupt`: a stored value is not what its key holds (a
    /// counter that is not a number). `kind` names the record, never a
    /// phone; the key, masked, goes to the log. Nothing was changed.
    Corrupt { kind: String, detail: String },
    /// 503 `store_unavailable`: the key-value store could not be reached or
    /// stayed busy; nothing was applied and the request can be retried.
    Unavailable(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidField { field: field.into(), message: message.into() }
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        Error::Internal(detail.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MalformedJson(m) => write!(f, "malformed JSON: {m}"),
            Error::Unauthorized => f.write_str("unauthorized"),
            Error::Forbidden => f.write_str("forbidden"),
            Error::NotFound(what) => write!(f, "{what} not found"),
            Error::MethodNotAllowed(allow) => write!(f, "method not allowed; allowed: {}", allow.join(", ")),
            Error::Conflict { message, .. } | Error::Gone { message, .. } | Error::Denied { message, .. } => f.write_str(message),
            Error::InsufficientCredit { needed, available } => {
                write!(f, "the SMS panel's credit is {available}; this needs {needed}. Top up the panel's account first")
            }
            Error::PreconditionFailed { .. } => f.write_str("someone else changed this since it was read (If-Match names an older version); nothing was written. `current` is what is saved now"),
            Error::BodyTooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            Error::InvalidField { field, message } => write!(f, "{field}: {message}"),
            Error::Unprocessable { message, .. } => f.write_str(message),
            Error::RateLimited(m) => f.write_str(m),
            Error::Internal(m) => write!(f, "internal error: {m}"),
            Error::Corrupt { kind, .. } => write!(f, "a stored {kind} record is damaged; nothing was changed"),
            Error::Unavailable(_) => f.write_str("the data store is unavailable; nothing was changed and the request can be retried"),
        }
    }
}

impl std::error::Error for Error {}

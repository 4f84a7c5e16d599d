//! Performs a panel call (built by `vafa_core::provider`, for one message
//! or a batch) over Spin's outbound HTTP ([`crate::outbound`]), with a
//! deadline: a panel that does not answer in time is a retryable failure,
//! never a request that hangs.

use crate::outbound::perform;
use vafa_core::provider::{self, HttpCall, Outcome, PanelConfig};

/// Makes a call carrying `n` messages and reads the panel's answer: an
/// outcome per message, in order (a call that fails is a retry for all).
pub fn send_many(cfg: &PanelConfig, call: &HttpCall, timeout_ms: u64, n: usize) -> Vec<Outcome> {
    match perform(call, timeout_ms, "the panel") {
        Ok(answer) => provider::parse_answers(cfg.kind, answer.status, &answer.body, n),
        Err(reason) => vec![Outcome::Retry(reason); n],
    }
}

/// Makes a call and reads what the panel answered with `read` (a poll:
/// replies, delivery states, credit); `Err` says why there is nothing.
pub fn ask<T>(cfg: &PanelConfig, call: &HttpCall, timeout_ms: u64, read: impl FnOnce(provider::ProviderKind, u16, &[u8]) -> Result<T, String>) -> Result<T, String> {
    let answer = perform(call, timeout_ms, "the panel")?;
    read(cfg.kind, answer.status, &answer.body)
}

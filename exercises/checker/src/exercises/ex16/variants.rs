//! The retry the learner's tests run against: the correct one, and the
//! broken ones (mutants) the tests must catch. Written once over plain
//! types (`check_ex16!` adapts the exercise's `Policy` and `Failure`).

use std::time::Duration;
use tokio::time::Instant;

/// Which retry runs under the learner's tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// What the brief describes (and `Backoff` in the exercise does).
    Correct,
    /// Tries again at once: no wait at all.
    NeverWaits,
    /// Waits `first_delay` before every retry, never longer.
    FixedDelay,
    /// Waits `first_delay`, 2x, 3x...: grows by a step, does not double.
    Linear,
    /// One attempt more than `attempts`.
    OneTooMany,
    /// One attempt fewer than `attempts` (but at least one).
    OneTooFew,
    /// No deadline: waits and retries until the attempts run out.
    PastDeadline,
    /// Retries a permanent failure as if it were transient.
    RetriesPermanent,
    /// Waits once more after the last failed attempt, then returns.
    WaitsAfterLast,
    /// `std::thread::sleep` instead of `tokio::time::sleep`.
    BlockingSleep,
}

/// How long the blocking mutant really sleeps at most per wait: it must
/// show what a blocking sleep does to the clock without making the
/// check wait the learner's (virtual) hours.
const BLOCKING_CAP: Duration = Duration::from_millis(5);

/// `retry` as `variant` does it. `permanent` says which errors must not
/// be retried. `attempts` of 0 counts as 1.
pub async fn retry<T, E>(
    variant: Variant,
    attempts: u32,
    first_delay: Duration,
    deadline: Duration,
    permanent: impl Fn(&E) -> bool,
    mut attempt: impl AsyncFnMut() -> Result<T, E>,
) -> Result<T, E> {
    use Variant::*;
    let start = Instant::now();
    let end = start.checked_add(deadline);
    let attempts = match variant {
        OneTooMany => attempts.max(1).saturating_add(1),
        OneTooFew => attempts.saturating_sub(1).max(1),
        _ => attempts.max(1),
    };
    let mut made = 0_u32;
    loop {
        made += 1;
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let wait = wait_before(variant, made, first_delay);
        if permanent(&error) && variant != RetriesPermanent {
            return Err(error);
        }
        if made >= attempts {
            if variant == WaitsAfterLast {
                tokio::time::sleep(wait).await;
            }
            return Err(error);
        }
        let past = match (Instant::now().checked_add(wait), end) {
            (Some(after), Some(end)) => after > end,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if past && variant != PastDeadline {
            return Err(error);
        }
        if variant == BlockingSleep {
            std::thread::sleep(wait.min(BLOCKING_CAP));
        } else if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The wait after attempt number `made` (counted from 1).
fn wait_before(variant: Variant, made: u32, first: Duration) -> Duration {
    match variant {
        Variant::NeverWaits => Duration::ZERO,
        Variant::FixedDelay => first,
        Variant::Linear => first.saturating_mul(made),
        // first, 2x, 4x...: doubled (made - 1) times.
        _ => first.saturating_mul(2_u32.saturating_pow(made - 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_grow_or_stay() {
        let s = Duration::from_secs;
        let waits = |v| (1..=4).map(|n| wait_before(v, n, s(1))).collect::<Vec<_>>();
        assert_eq!(waits(Variant::Correct), [s(1), s(2), s(4), s(8)]);
        assert_eq!(waits(Variant::Linear), [s(1), s(2), s(3), s(4)]);
        assert_eq!(waits(Variant::FixedDelay), [s(1); 4]);
        assert_eq!(waits(Variant::NeverWaits), [Duration::ZERO; 4]);
        // Very many attempts saturate instead of overflowing.
        assert_eq!(wait_before(Variant::Correct, 200, s(1)), s(u32::MAX.into()));
    }
}

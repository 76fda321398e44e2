//! The correct ways to test the retry: each suite passes all ten checks.
//! The exercise's five tests, written four ways.

/// Auto-advance, exact times from `kit::record` (the solution's way).
pub mod exact {
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{SECOND, policy, record, tight};
    use std::time::Duration;

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        let mut calls = 0;
        let result = retry
            .retry(policy(3), async || {
                calls += 1;
                if calls < 3 {
                    Err(Failure::Transient)
                } else {
                    Ok(calls)
                }
            })
            .await;
        assert_eq!(result, Ok(3));
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(times, [0, 1, 3, 7, 15].map(Duration::from_secs));
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, result, at) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(
            (times.len(), result, at),
            (3, Err(Failure::Transient), 3 * SECOND)
        );
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (times, _, at) = record(retry, tight(), Failure::Transient).await;
        assert_eq!((times.len(), at), (4, 7 * SECOND));
    }

    pub async fn returns_a_permanent_failure_at_once(retry: &impl Retry) {
        let (times, result, at) = record(retry, policy(5), Failure::Permanent).await;
        assert_eq!(
            (times.len(), result, at),
            (1, Err(Failure::Permanent), Duration::ZERO)
        );
    }
}

/// The clock moved by hand: the retry runs beside a probe (`join!`) that
/// advances the clock and counts the calls so far.
pub mod by_hand {
    pub use crate::ex16::correct::exact::{
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{policy, tight};
    use std::cell::Cell;
    use std::time::Duration;
    use tokio::time::advance;

    /// Runs every-call-fails under `policy` beside a probe that advances
    /// the clock by each of `steps` (ms) and notes the calls made so far
    /// and whether `retry` has returned.
    async fn probe(retry: &impl Retry, policy: Policy, steps: &[u64]) -> Vec<(u32, bool)> {
        let calls = Cell::new(0);
        let done = Cell::new(false);
        let run = async {
            let _ = retry
                .retry(policy, async || {
                    calls.set(calls.get() + 1);
                    Err::<(), _>(Failure::Transient)
                })
                .await;
            done.set(true);
        };
        let look = async {
            let mut seen = Vec::new();
            for &ms in steps {
                // Let the retry run before the clock moves, then once more
                // after: `advance` moves the clock, not the tasks.
                tokio::task::yield_now().await;
                advance(Duration::from_millis(ms)).await;
                tokio::task::yield_now().await;
                seen.push((calls.get(), done.get()));
            }
            seen
        };
        tokio::join!(look, run).0
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        // Just before and just after each due call: 1 s, 3 s, 7 s, 15 s.
        let steps = [999, 1, 1999, 1, 3999, 1, 7999, 1];
        let seen = probe(retry, policy(5), &steps).await;
        let calls: Vec<u32> = seen.iter().map(|&(calls, _)| calls).collect();
        assert_eq!(calls, [1, 2, 2, 3, 3, 4, 4, 5]);
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        // Returned at 3 s, with no wait after the last call.
        let seen = probe(retry, policy(3), &[1000, 2000]).await;
        assert_eq!(seen, [(2, false), (3, true)]);
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        // Gave up at 7 s, after the fourth call.
        let seen = probe(retry, tight(), &[1000, 2000, 4000]).await;
        assert_eq!(seen, [(2, false), (3, false), (4, true)]);
    }
}

/// Auto-advance with loose comparisons of `tokio::time::Instant`s.
pub mod loose {
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{SECOND, policy, record, tight};
    use std::time::Duration;

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        let mut calls = 0;
        let result = retry
            .retry(policy(4), async || {
                calls += 1;
                if calls == 4 {
                    Ok("done")
                } else {
                    Err(Failure::Transient)
                }
            })
            .await;
        assert!(result.is_ok(), "{result:?}");
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(4), Failure::Transient).await;
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps[0] >= SECOND && gaps[0] < 2 * SECOND, "{gaps:?}");
        for w in gaps.windows(2) {
            assert!(w[1] >= w[0] * 2 && w[1] < w[0] * 3, "{gaps:?}");
        }
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, result, at) = record(retry, policy(2), Failure::Transient).await;
        assert!(result.is_err());
        assert_eq!(times.len(), 2);
        assert!(at < 2 * SECOND, "returned at {at:?}");
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (_, _, at) = record(retry, tight(), Failure::Transient).await;
        assert!(at <= 10 * SECOND, "gave up at {at:?}");
    }

    pub async fn returns_a_permanent_failure_at_once(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Permanent).await;
        assert!(times.len() == 1, "{times:?}");
    }
}

/// Counting calls, and only the time of return: the total of the waits
/// tells a doubling wait from the others too.
pub mod totals {
    pub use crate::ex16::correct::exact::{
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{SECOND, policy, record, tight};

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        // 1 + 2 + 4 + 8: a fixed wait gives 4 s, a growing one 10 s.
        let (_, _, at) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(at, 15 * SECOND);
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, _, at) = record(retry, policy(4), Failure::Transient).await;
        assert_eq!(times.len(), 4);
        assert_eq!(at, 7 * SECOND);
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (times, _, _) = record(retry, tight(), Failure::Transient).await;
        assert_eq!(times.len(), 4);
    }
}

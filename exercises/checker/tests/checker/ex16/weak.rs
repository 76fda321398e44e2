//! Weak test suites: each passes on the correct retry and lets a broken
//! one through, or fails on the correct retry itself, or waits for real,
//! or never ends.

/// Not started: every body is `todo!()`.
pub mod todo {
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    pub async fn succeeds_after_transient_failures(_: &impl Retry) {
        todo!()
    }
    pub async fn waits_twice_as_long_each_time(_: &impl Retry) {
        todo!()
    }
    pub async fn gives_up_after_the_last_attempt(_: &impl Retry) {
        todo!()
    }
    pub async fn gives_up_at_the_deadline(_: &impl Retry) {
        todo!()
    }
    pub async fn returns_a_permanent_failure_at_once(_: &impl Retry) {
        todo!()
    }
}

/// Tests that check nothing: they always pass.
pub mod empty {
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    pub async fn succeeds_after_transient_failures(_: &impl Retry) {}
    pub async fn waits_twice_as_long_each_time(_: &impl Retry) {}
    pub async fn gives_up_after_the_last_attempt(_: &impl Retry) {}
    pub async fn gives_up_at_the_deadline(_: &impl Retry) {}
    pub async fn returns_a_permanent_failure_at_once(_: &impl Retry) {}
}

/// Calls and results, nothing about time.
pub mod untimed {
    pub use crate::ex16::correct::exact::{
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{policy, record, tight};

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(times.len(), 5);
    }
    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, result, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!((times.len(), result), (3, Err(Failure::Transient)));
    }
    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (_, result, _) = record(retry, tight(), Failure::Transient).await;
        assert!(result.is_err());
    }
}

/// Two waits looked at: 1 s and 2 s fit doubling and a growing step alike.
pub mod two_gaps {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, returns_a_permanent_failure_at_once,
        succeeds_after_transient_failures,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{SECOND, policy, record};
    use std::time::Duration;

    /// A deadline of 2 s: one wait of 1 s, then the next (2 s) would end
    /// past it. Both ways of growing agree that far.
    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let short = Policy {
            deadline: 2 * SECOND,
            ..policy(10)
        };
        let (times, _, at) = record(retry, short, Failure::Transient).await;
        assert_eq!((times.len(), at), (2, SECOND));
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times, [0, 1, 3].map(Duration::from_secs));
    }
}

/// A deadline so far away that it never matters, and no permanent
/// failure: two mutants go free.
pub mod lax {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, succeeds_after_transient_failures,
        waits_twice_as_long_each_time,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{policy, record};

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times.len(), 3);
    }
    pub async fn returns_a_permanent_failure_at_once(retry: &impl Retry) {
        let (_, result, _) = record(retry, policy(1), Failure::Permanent).await;
        assert_eq!(result, Err(Failure::Permanent));
    }
}

/// Counts calls only when every one fails, never the time of return.
pub mod no_return_time {
    pub use crate::ex16::correct::exact::{
        gives_up_at_the_deadline, returns_a_permanent_failure_at_once,
        succeeds_after_transient_failures,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{policy, record};
    use std::time::Duration;

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(times, [0, 1, 3, 7, 15].map(Duration::from_secs));
    }
    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times.len(), 3);
    }
}

/// "attempts" read as retries: three retries means four calls.
pub mod off_by_one {
    pub use crate::ex16::correct::exact::{
        gives_up_at_the_deadline, returns_a_permanent_failure_at_once,
        succeeds_after_transient_failures, waits_twice_as_long_each_time,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{policy, record};

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times.len(), 4, "three retries after the first call");
    }
}

/// The gaps measured with `std::time::Instant`, which the paused clock
/// does not move: 0 s where 1 s was expected, on the correct retry too.
pub mod std_clock {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use crate::ex16::kit::{SECOND, policy};

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let mut times = Vec::new();
        let _ = retry
            .retry(policy(2), async || {
                times.push(std::time::Instant::now());
                Err::<(), _>(Failure::Transient)
            })
            .await;
        assert!(times[1] - times[0] >= SECOND, "the first wait");
    }
}

/// A real sleep to "let the retry settle": real time on every run.
pub mod real_sleep {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        crate::ex16::correct::exact::succeeds_after_transient_failures(retry).await;
        std::thread::sleep(std::time::Duration::from_millis(700));
    }
}

/// The clock resumed, so that the waits are "real": short ones, but real.
pub mod resumed {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};
    use std::time::Duration;

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        tokio::time::resume();
        let policy = Policy {
            attempts: 3,
            first_delay: Duration::from_millis(200),
            deadline: Duration::from_secs(10),
        };
        let (times, _, _) = crate::ex16::kit::record(retry, policy, Failure::Transient).await;
        assert!(times[2] - times[1] >= Duration::from_millis(400));
    }
}

/// `pause()` in a test, on a clock that is paused already.
pub mod pauses {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        tokio::time::pause();
        crate::ex16::correct::exact::succeeds_after_transient_failures(retry).await;
    }
}

/// Waits for a signal nobody sends.
pub mod hangs {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        crate::ex16::correct::exact::succeeds_after_transient_failures(retry).await;
        let _ = rx.await;
    }
}

/// Blocks its thread for longer than the time limit.
pub mod blocks {
    pub use crate::ex16::correct::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use crate::ex16::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        // (A loop until tokio's `Instant` has moved would spin for ever on
        // the paused clock, and go on burning a core after the check.)
        std::thread::sleep(std::time::Duration::from_secs(2));
        crate::ex16::correct::exact::succeeds_after_transient_failures(retry).await;
    }
}

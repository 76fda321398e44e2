//! One module per exercise, each with its checks (`CHECKS`) and the
//! functions that run them; and [`EXERCISES`], the course's order of them,
//! which `cargo progress` follows. An exercise's module uses the shared
//! floor below it ([`crate::shared`]) and never another exercise's.

use crate::shared::NOT_STARTED;

pub mod ex01;
pub mod ex02;
pub mod ex03;
pub mod ex04;
pub mod ex05;
pub mod ex06;
pub mod ex07;
pub mod ex08;
pub mod ex09_bounded;
pub mod ex09_timeout;
pub mod ex10;
pub mod ex11;
pub mod ex12;
pub mod ex13;
pub mod ex14;
pub mod ex15;
pub mod ex16;
pub mod ex17;

/// One exercise as the progress view and `--verify` know it.
#[derive(Debug, Clone, Copy)]
pub struct Exercise {
    /// Folder under `exercises/` and `solutions/`, e.g. `06-concurrent`.
    pub dir: &'static str,
    /// What it is about, as the title of its brief says.
    pub title: &'static str,
    /// Package name of the starter, e.g. `ex06-concurrent`; the solution's
    /// is the same plus `-solution`.
    pub package: &'static str,
    /// The checks in teaching order (the test names of its `check_exNN!`).
    pub checks: &'static [&'static str],
    /// Words the untouched starter's failure must contain (`--verify`).
    pub starter_fails_with: &'static str,
}

impl Exercise {
    /// The package name of the solution.
    pub fn solution_package(&self) -> String {
        format!("{}-solution", self.package)
    }
}

/// Every exercise, in the order of the course.
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        dir: "01-runtime",
        title: "start a runtime and block on a future",
        package: "ex01-runtime",
        checks: ex01::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "02-lazy",
        title: "a future does nothing until it is polled",
        package: "ex02-lazy",
        checks: ex02::CHECKS,
        starter_fails_with: "never polled",
    },
    Exercise {
        dir: "03-spawn",
        title: "spawn tasks and wait for them",
        package: "ex03-spawn",
        checks: ex03::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "04-spawn-blocking",
        title: "CPU-heavy work on the blocking pool",
        package: "ex04-spawn-blocking",
        checks: ex04::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "05-sequential",
        title: "requests one after the other",
        package: "ex05-sequential",
        checks: ex05::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "06-concurrent",
        title: "concurrent requests",
        package: "ex06-concurrent",
        checks: ex06::CHECKS,
        starter_fails_with: "never overlapped",
    },
    Exercise {
        dir: "07-join-all",
        title: "fetch, analyse, and gather with `join_all`",
        package: "ex07-join-all",
        checks: ex07::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "08-dont-block",
        title: "do not block the executor",
        package: "ex08-dont-block",
        checks: ex08::CHECKS,
        starter_fails_with: "blocked the executor thread",
    },
    Exercise {
        dir: "09-bounded",
        title: "many requests, a few at a time",
        package: "ex09-bounded",
        checks: ex09_bounded::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "09-timeout",
        title: "give up on a slow request",
        package: "ex09-timeout",
        checks: ex09_timeout::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "10-shared-state",
        title: "tasks that share a map",
        package: "ex10-shared-state",
        checks: ex10::CHECKS,
        starter_fails_with: "the lock was held across the request",
    },
    Exercise {
        dir: "11-actor",
        title: "an actor that owns a cache",
        package: "ex11-actor",
        checks: ex11::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "12-select-loop",
        title: "a select! loop that loses nothing",
        package: "ex12-select-loop",
        checks: ex12::CHECKS,
        starter_fails_with: "select! dropped",
    },
    Exercise {
        dir: "13-shutdown",
        title: "shut down gracefully",
        package: "ex13-shutdown",
        checks: ex13::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "14-future",
        title: "a future by hand",
        package: "ex14-future",
        checks: ex14::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "15-block-on",
        title: "an executor in one page",
        package: "ex15-block-on",
        checks: ex15::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "16-testing",
        title: "test a retry: your tests against broken ones",
        package: "ex16-testing",
        checks: ex16::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "17-tracing",
        title: "spans that tell interleaved requests apart",
        package: "ex17-tracing",
        checks: ex17::CHECKS,
        starter_fails_with: "carry no span",
    },
];

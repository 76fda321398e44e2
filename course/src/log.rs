//! The article's log format: seconds since start, level, message.
//!
//! ```text
//! 1.004 [INFO] - Got response 1
//! ```

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static START: OnceLock<Instant> = OnceLock::new();

/// When the program started, as far as the logs are concerned: the first
/// call to [`init_logging`] or [`elapsed`].
pub fn start() -> Instant {
    *START.get_or_init(Instant::now)
}

/// Time since [`start`].
pub fn elapsed() -> Duration {
    start().elapsed()
}

/// Sets up `log` + `env_logger` with the course's format.
///
/// Plain `env_logger::init()` prints nothing unless `RUST_LOG` is set,
/// which looks broken to a learner; here the default is `info` for the
/// chapter and `warn` for the libraries underneath. `RUST_LOG` still wins.
/// Calling it twice is harmless.
// ANCHOR: init_logging
pub fn init_logging() {
    start();
    // `info` for the program, `warn` for the libraries underneath.
    const DEFAULT: &str = concat!(
        "info,",
        "hyper=warn,hyper_util=warn,reqwest=warn,wiremock=warn",
    );
    let env = env_logger::Env::default().default_filter_or(DEFAULT);
    let _ = env_logger::Builder::from_env(env)
        // Stdout, like the summary and the timeline, so that the lines keep
        // their order when the output goes to a pipe or a file.
        .target(env_logger::Target::Stdout)
        .format(|buf, record| {
            writeln!(
                buf,
                "{:.3} [{}] - {}",
                elapsed().as_secs_f64(),
                record.level(),
                record.args()
            )
        })
        .try_init();
}
// ANCHOR_END: init_logging

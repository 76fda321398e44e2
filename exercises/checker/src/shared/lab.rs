//! The bench a check runs on: a delay server of its own and URLs with
//! fresh bodies; and a way to run the learner's code with a ticker beside
//! it, a time limit and a net for panics ([`run`]).

mod run;

pub(crate) use run::{Meta, Ran};

use crate::shared::Diagnosis;
use mock_server::{DelayServer, RequestRecord};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A check's delay server and its random-ish names.
pub(crate) struct Lab {
    server: Option<DelayServer>,
    /// Servers that answer one error status each, started on demand.
    status_servers: std::cell::RefCell<Vec<course::testing::StatusServer>>,
    runtime: Option<tokio::runtime::Runtime>,
    run: String,
    rng: Cell<u64>,
}

/// One URL on the lab's server, and what it answers.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub url: String,
    pub path: String,
    pub bytes: usize,
    pub delay: Duration,
}

impl Target {
    /// The body the server sends for this URL, computed independently.
    pub fn body(&self) -> String {
        mock_server::body_for(&self.path, self.bytes)
    }
}

pub(crate) fn urls(targets: &[Target]) -> Vec<String> {
    targets.iter().map(|t| t.url.clone()).collect()
}

impl Lab {
    /// Starts a delay server on a runtime of its own, so that whatever the
    /// learner's code does to its runtime, the server keeps answering.
    pub fn start() -> Result<Lab, Diagnosis> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("delay-server")
            .enable_all()
            .build()
            .map_err(|e| Diagnosis::new(format!("the checker could not start a runtime: {e}")))?;
        let server = runtime
            .block_on(DelayServer::builder().start())
            .map_err(|e| {
                Diagnosis::new(format!("the checker could not start its delay server: {e}"))
            })?;
        let seed = seed();
        Ok(Lab {
            server: Some(server),
            status_servers: std::cell::RefCell::new(Vec::new()),
            runtime: Some(runtime),
            run: format!("run-{:012x}", seed & 0xffff_ffff_ffff),
            rng: Cell::new(seed | 1),
        })
    }

    fn server(&self) -> &DelayServer {
        self.server
            .as_ref()
            .expect("the server lives as long as the lab")
    }

    /// A random-ish number (xorshift), different in every run.
    pub fn random(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        x
    }

    /// A URL that answers after `ms` with a body unique to this run.
    ///
    /// Every body starts and ends with whitespace (a space or a newline), so
    /// code that trims what it fetched never returns the server's body: the
    /// path is chosen among a few candidates for its first character, and
    /// the size so that the body ends just after a space or a newline
    /// (a shorter body is a prefix of a longer one, see `body_for`).
    pub fn target(&self, ms: u64, label: impl std::fmt::Display) -> Target {
        let at_least = 512 + (self.random() % 3584) as usize;
        let white = |b: u8| b == b' ' || b == b'\n';
        let mut attempt = 0_u32;
        let (path, bytes) = loop {
            let path = match attempt {
                0 => format!("/delay/{ms}/url/{}/{label}", self.run),
                n => format!("/delay/{ms}/url/{}/{label}-{n}", self.run),
            };
            attempt += 1;
            let body = mock_server::body_for(&path, at_least + 512);
            let bytes = body.as_bytes();
            if !white(bytes[0]) {
                continue;
            }
            if let Some(end) = bytes[at_least..].iter().position(|&b| white(b)) {
                break (path, at_least + end + 1);
            }
        };
        Target {
            url: format!("{}{path}?bytes={bytes}", self.server().base_url()),
            path,
            bytes,
            delay: Duration::from_millis(ms),
        }
    }

    /// `count` URLs of `ms` each.
    pub fn targets(&self, count: usize, ms: u64) -> Vec<Target> {
        (0..count).map(|i| self.target(ms, i)).collect()
    }

    /// A URL the server answers with `404 Not Found`, at once (with a page
    /// of text that lists the routes it does serve).
    pub fn missing_url(&self) -> String {
        format!("{}/missing/{}", self.server().base_url(), self.run)
    }

    /// A URL that answers `status` (a 500, a 403), at once, with an empty
    /// body, from a server of its own.
    pub fn status_url(&self, status: u16) -> String {
        let server = course::testing::StatusServer::start(status);
        let url = format!("{}/status/{status}/{}", server.url(), self.run);
        self.status_servers.borrow_mut().push(server);
        url
    }

    /// What the server saw so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.server().requests()
    }

    /// The peak number of requests the server had in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.server().peak_in_flight()
    }

    /// "The delay server saw 3 requests meanwhile."
    pub fn server_saw(&self) -> String {
        match self.server().total_requests() {
            0 => String::from("The delay server saw no request."),
            1 => String::from("The delay server saw 1 request."),
            n => format!("The delay server saw {n} requests."),
        }
    }

    /// A client for the learner's code: plain HTTP, no proxy, and a timeout
    /// far beyond the checks' delays (hangs are the time limit's business).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client builds")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // The server first (it stops on a plain thread), then its runtime,
        // without waiting for anything left on it.
        drop(self.server.take());
        self.status_servers.borrow_mut().clear();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A different number in every run: the clock, the process and a counter.
fn seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mixed = nanos
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // One round of splitmix64 so that close seeds give unrelated numbers.
    let mut z = mixed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

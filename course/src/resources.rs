//! What a run costs the operating system: open file descriptors and memory.
//!
//! Every TCP connection is a file descriptor, and a process may only hold so
//! many (`ulimit -n`, the soft limit). With the delay server inside the same
//! process, each request in flight holds two: the client's socket and the
//! server's. These helpers read the limit and the current figures from
//! Linux's `/proc`; elsewhere they answer `None`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Raises this process's soft limit on open files as far as the hard limit
/// allows, and returns the new soft limit. Many systems start programs
/// with a soft limit of 1,024 (macOS: 256), far below what the hard limit
/// allows; a program that holds thousands of connections may raise it
/// itself. `None` if the system does not say or refuses.
#[cfg(feature = "requests")]
pub fn raise_open_files_limit() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

/// The soft limit on open file descriptors of this process (what
/// `ulimit -n` prints), from getrlimit or `/proc/self/limits`.
pub fn open_files_limit() -> Option<u64> {
    // getrlimit needs no descriptor; reading /proc does, and the limit is
    // wanted most when none is left.
    #[cfg(feature = "requests")]
    if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        return Some(soft);
    }
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_limit(&limits)
}

fn parse_open_files_limit(limits: &str) -> Option<u64> {
    // "Max open files            20000                20000                files"
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// How many file descriptors this process has open now: the entries of
/// `/proc/self/fd` (less the one used to list them).
pub fn open_files() -> Option<usize> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(entries.count().saturating_sub(1))
}

/// How many requests this process can have in flight at once before it
/// runs out of file descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The soft limit on open files (`ulimit -n`).
    pub limit: u64,
    /// The descriptors open when it was measured.
    pub open: usize,
    /// The descriptors each request in flight holds.
    pub per_request: usize,
    /// The requests that fit: what the limit leaves, less [`Budget::SPARE`]
    /// descriptors for everything else, divided by `per_request`.
    pub capacity: usize,
}

impl Budget {
    /// Descriptors kept in hand for what is not a request (the runtime's
    /// own, a log file, a resolver, the server's listening socket...).
    pub const SPARE: usize = 32;

    /// The budget from a limit and the descriptors open now.
    pub fn new(limit: u64, open: usize, per_request: usize) -> Budget {
        let room = usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .saturating_sub(open + Budget::SPARE);
        Budget {
            limit,
            open,
            per_request,
            capacity: room / per_request.max(1),
        }
    }

    /// Reads the limit and the open descriptors from `/proc`, on tokio's
    /// blocking pool: reading a file blocks the thread that does it, if
    /// only briefly, and async code keeps such calls off the runtime's
    /// workers (chapter 8's rule). `None` where `/proc` cannot tell.
    pub async fn measure(per_request: usize) -> Option<Budget> {
        let read = || Some((open_files_limit()?, open_files()?));
        let (limit, open) = tokio::task::spawn_blocking(read).await.ok()??;
        Some(Budget::new(limit, open, per_request))
    }

    /// Waits (at most `within`) until the open descriptors are back to
    /// about what they were when the budget was measured: the connections
    /// of a client just dropped close a moment later, as their tasks end
    /// and the server sees them go. A batch started before that shares the
    /// budget with the one before it. Returns whether they closed in time.
    pub async fn settle(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let open = tokio::task::spawn_blocking(open_files).await.ok().flatten();
            if open.is_none_or(|n| n <= self.open + Budget::SPARE / 2) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// For a batch that failed with `at_once` requests in flight at once:
    /// "ran out of file descriptors: 150 requests at once need about 321,
    /// and 200 may be open", if they did not fit. The sampler can miss a
    /// burst that runs out in a few milliseconds; this cannot.
    pub fn overrun(&self, at_once: usize) -> Option<String> {
        (at_once > self.capacity).then(|| {
            let need = self.open + at_once * self.per_request;
            format!(
                "ran out of file descriptors: {at_once} requests at once \
                 need about {need}, and {} may be open",
                self.limit
            )
        })
    }

    /// The requests a limit may safely allow: two thirds of the capacity.
    /// A batch holds more connections than requests in flight: a request
    /// that starts before the connection of the one just done is back in
    /// the client's pool opens one more, and a closing connection holds
    /// its descriptors for a moment (measured: up to 1.34 connections per
    /// request in flight, with `buffer_unordered(500)`).
    pub fn usable(&self) -> usize {
        self.capacity * 2 / 3
    }

    /// `wanted`, or [`Budget::usable`] if `wanted` is more (at least 1).
    pub fn fit(&self, wanted: usize) -> usize {
        wanted.min(self.usable()).max(1)
    }
}

/// The resident memory of this process now, in bytes (`VmRSS`).
pub fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kib_field(&status, "VmRSS:").map(|kib| kib * 1024)
}

fn parse_kib_field(status: &str, field: &str) -> Option<u64> {
    // "VmRSS:	   12345 kB"
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// The highest figures a [`Sampler`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peaks {
    /// The most file descriptors open at once.
    pub open_files: Option<usize>,
    /// The most resident memory, in bytes.
    pub memory: Option<u64>,
}

impl Peaks {
    /// "at most 2021 files open, 69 MB of memory".
    pub fn describe(&self) -> String {
        match (self.open_files, self.memory) {
            (Some(files), Some(memory)) => {
                format!(
                    "at most {files} files open, {} MB of memory",
                    memory / 1_000_000
                )
            }
            _ => String::from("(open files and memory not measured on this system)"),
        }
    }

    /// "ran out of file descriptors: 19999 of 20000 open", if the peak of
    /// open files came close to the soft limit: for a batch that failed,
    /// the cause behind connections reset or timed out by the hundred.
    pub fn ran_out(&self) -> Option<String> {
        let (files, limit) = (self.open_files?, open_files_limit()?);
        // The sampler looks every few milliseconds and misses the very top
        // when the descriptors run out in a burst: within 5 % (at least
        // 16) of the limit counts as reaching it.
        let margin = (limit / 20).max(16);
        (files as u64 + margin >= limit)
            .then(|| format!("ran out of file descriptors: {files} of {limit} open"))
    }

    /// Why a batch of requests may have failed, for the error's context.
    /// When requests fail by the hundred it is usually for want of file
    /// descriptors. They run out on the server's side first (each accepted
    /// connection needs a new one), so the client sees connections reset,
    /// not "Too many open files": this says what the process saw.
    /// `restarts`: how often the embedded delay server was restarted.
    pub fn why_a_batch_failed(&self, restarts: u64) -> String {
        let mut why = Vec::new();
        if let (Some(files), Some(limit)) = (self.open_files, open_files_limit()) {
            why.push(format!(
                "open files peaked at {files} of the limit of {limit}"
            ));
        }
        if restarts > 0 {
            why.push(format!(
                "the embedded server stopped accepting connections and was restarted {restarts} time(s)"
            ));
        }
        if why.is_empty() {
            String::from("the batch failed")
        } else {
            format!("the batch failed ({})", why.join("; "))
        }
    }
}

/// Samples [`open_files`] and [`resident_memory`] on a plain thread (not a
/// task: reading `/proc` is a blocking call) until stopped, and keeps the
/// peaks. A short-lived peak between two samples can be missed.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Peaks>,
}

impl Sampler {
    /// Starts sampling every `period`.
    pub fn start(period: Duration) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut peaks = Peaks::default();
            loop {
                peaks.open_files = peaks.open_files.max(open_files());
                peaks.memory = peaks.memory.max(resident_memory());
                if stopped.load(Ordering::Relaxed) {
                    return peaks;
                }
                std::thread::sleep(period);
            }
        });
        Sampler { stop, thread }
    }

    /// Stops sampling (after one last sample) and returns the peaks.
    pub fn stop(self) -> Peaks {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_say_what_was_measured_and_why_a_batch_failed() {
        let seen = Peaks {
            open_files: Some(2021),
            memory: Some(69_000_000),
        };
        assert_eq!(seen.describe(), "at most 2021 files open, 69 MB of memory");
        let unknown = Peaks {
            open_files: None,
            memory: None,
        };
        assert!(unknown.describe().contains("not measured"));
        assert_eq!(unknown.why_a_batch_failed(0), "the batch failed");
        let why = unknown.why_a_batch_failed(2);
        assert!(why.contains("restarted 2 time(s)"), "{why}");
        assert_eq!(unknown.ran_out(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_peak_at_the_limit_is_named_as_running_out() {
        let limit = open_files_limit().unwrap() as usize;
        let at_limit = Peaks {
            open_files: Some(limit - 1),
            memory: None,
        };
        let said = at_limit.ran_out().expect("a peak at the limit ran out");
        assert_eq!(
            said,
            format!("ran out of file descriptors: {} of {limit} open", limit - 1)
        );
        let half = Peaks {
            open_files: Some(limit / 2),
            memory: None,
        };
        assert_eq!(half.ran_out(), None, "half the limit is not running out");
    }

    #[test]
    fn the_budget_keeps_spare_descriptors_and_fits_limits() {
        // 1,024 files, 17 open, 2 per request: (1024 - 17 - 32) / 2.
        let budget = Budget::new(1024, 17, 2);
        assert_eq!(budget.capacity, 487);
        assert_eq!(budget.fit(100), 100);
        // Two thirds of it, for the connections that outlive their request.
        assert_eq!(budget.fit(500), 324);
        // A limit smaller than what is open: nothing fits, but a limit is
        // never 0 (a semaphore of 0 would wait for ever).
        let none = Budget::new(16, 17, 2);
        assert_eq!((none.capacity, none.fit(100)), (0, 1));
        // 150 at once against that budget of 487: fits, no overrun.
        assert_eq!(budget.overrun(150), None);
        assert_eq!(
            Budget::new(200, 21, 2).overrun(150).as_deref(),
            Some(
                "ran out of file descriptors: 150 requests at once need \
                 about 321, and 200 may be open"
            )
        );
    }

    #[test]
    fn parses_the_proc_formats() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max cpu time              unlimited            unlimited            seconds\n\
                      Max open files            20000                40000                files\n";
        assert_eq!(parse_open_files_limit(limits), Some(20_000));
        assert_eq!(parse_open_files_limit("Max open files  unlimited  x"), None);
        assert_eq!(parse_open_files_limit(""), None);
        let status = "Name:\tx\nVmHWM:\t  900 kB\nVmRSS:\t   1234 kB\n";
        assert_eq!(parse_kib_field(status, "VmRSS:"), Some(1234));
        assert_eq!(parse_kib_field(status, "VmSwap:"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sees_this_process_open_files() {
        assert!(open_files_limit().is_some_and(|n| n > 0));
        assert!(resident_memory().is_some_and(|n| n > 0));
        let sampler = Sampler::start(Duration::from_millis(1));
        let before = open_files().unwrap();
        let files: Vec<_> = (0..20)
            .map(|_| std::fs::File::open("/proc/self/status").unwrap())
            .collect();
        // Other tests in this process open and close files too: compare
        // with a margin, not exactly.
        let during = open_files().unwrap();
        assert!(during >= before + 15, "{before} then {during}");
        std::thread::sleep(Duration::from_millis(20));
        let peaks = sampler.stop();
        drop(files);
        assert!(
            peaks.open_files.unwrap() >= before + 15,
            "{peaks:?}, before {before}"
        );
        assert!(peaks.memory.unwrap() > 0);
    }
}

//! CPU time of the calling thread: how much of a core a piece of code
//! really used, as opposed to how long it took.
//!
//! A thread that waits (parked, asleep, blocked on a lock) uses no CPU
//! time; one that spins uses all the time it is given. The futures and
//! executor chapters measure this to tell the two apart.
//!
//! On Linux it reads `/proc/thread-self/schedstat` (nanoseconds on a
//! CPU, kept by the scheduler), falling back to `/proc/thread-self/stat`
//! (clock ticks, usually 10 ms each). Elsewhere [`thread_cpu_time`] gives
//! `None`: std has no portable clock for it, and the workspace forbids the
//! `unsafe` a direct system call would need.

use std::time::Duration;

/// The CPU time the calling thread has used since it started, if this
/// platform lets us read it.
pub fn thread_cpu_time() -> Option<Duration> {
    if let Ok(text) = std::fs::read_to_string("/proc/thread-self/schedstat") {
        // "<ns on a CPU> <ns waiting for a CPU> <time slices>"
        let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
        return Some(Duration::from_nanos(ns));
    }
    let text = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its ')'.
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, so 12 and 13
    // after the name; in clock ticks of 1/100 s on every Linux we know.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Measures the CPU time the calling thread uses from now on.
#[derive(Debug, Clone, Copy)]
pub struct CpuClock {
    start: Option<Duration>,
}

impl CpuClock {
    /// Starts measuring.
    pub fn start() -> CpuClock {
        CpuClock {
            start: thread_cpu_time(),
        }
    }

    /// The CPU time used on this thread since [`CpuClock::start`]; `None`
    /// where it cannot be measured. Call it on the thread that started it.
    pub fn used(&self) -> Option<Duration> {
        Some(thread_cpu_time()?.saturating_sub(self.start?))
    }
}

/// "12.3 ms of CPU" or "CPU time not measurable here", for messages.
pub fn describe(used: Option<Duration>) -> String {
    match used {
        Some(d) => format!("{:.1} ms of CPU", d.as_secs_f64() * 1000.0),
        None => String::from("CPU time not measurable on this platform"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn spinning_uses_cpu_and_sleeping_does_not() {
        let Some(_) = thread_cpu_time() else {
            return; // not Linux: nothing to measure
        };
        let clock = CpuClock::start();
        std::thread::sleep(Duration::from_millis(100));
        let slept = clock.used().unwrap();
        let clock = CpuClock::start();
        let end = Instant::now() + Duration::from_millis(100);
        while Instant::now() < end {
            std::hint::spin_loop();
        }
        let spun = clock.used().unwrap();
        // A loaded machine gives the spinning thread less than the whole
        // 100 ms, but it always gets more than a sleeping one uses.
        assert!(slept < Duration::from_millis(20), "sleeping used {slept:?}");
        assert!(spun > slept, "spinning used {spun:?}, sleeping {slept:?}");
    }
}

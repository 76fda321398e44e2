//! What the kernel tells about a process and the TCP stack (Linux /proc).
//! Elsewhere these read as `None` and the table says "n/a".

use std::collections::HashMap;

/// A field of `/proc/<pid>/status` in KiB, e.g. `VmHWM` (peak resident
/// memory) or `VmRSS` (resident memory now).
pub fn status_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    parse_status_kib(&text, field)
}

fn parse_status_kib(text: &str, field: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// CPU time a process has used so far: (user, system). /proc counts in
/// USER_HZ ticks, 100 per second on Linux: a 10 ms resolution. On
/// loopback, much of the TCP work of both ends runs as system time of the
/// process that sends.
pub fn cpu_time(pid: Option<u32>) -> Option<(std::time::Duration, std::time::Duration)> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    parse_stat_cpu(&std::fs::read_to_string(path).ok()?)
}

fn parse_stat_cpu(text: &str) -> Option<(std::time::Duration, std::time::Duration)> {
    // The command name (field 2) may hold spaces: count after its `)`.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    let tick = |i: usize| -> Option<std::time::Duration> {
        Some(std::time::Duration::from_millis(
            fields.get(i)?.parse::<u64>().ok()? * 10,
        ))
    };
    Some((tick(11)?, tick(12)?))
}

/// CPU time used so far by the threads of this process whose name starts
/// with `prefix` (the embedded delay server's workers are named
/// `delay-server-N`): its share of a process it shares with the client.
pub fn threads_cpu(prefix: &str) -> Option<std::time::Duration> {
    let mut total = std::time::Duration::ZERO;
    let mut found = false;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let name = stat
            .split_once('(')
            .and_then(|(_, rest)| rest.rsplit_once(')'))
            .map(|(name, _)| name);
        if name.is_some_and(|n| n.starts_with(prefix))
            && let Some((user, system)) = parse_stat_cpu(&stat)
        {
            total += user + system;
            found = true;
        }
    }
    found.then_some(total)
}

/// How many file descriptors this process has open.
pub fn open_fds() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count())
}

/// The soft and hard limit on open files.
pub fn fd_limits() -> Option<(String, String)> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let mut words = line["Max open files".len()..].split_whitespace();
    Some((words.next()?.to_string(), words.next()?.to_string()))
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The kernel's TCP counters that explain slow connection set-up:
/// `ListenOverflows` (a connection was refused because an accept queue was
/// full: the client retries its SYN after a second), `ListenDrops`, and
/// `TCPSynRetrans` (SYNs sent again). System-wide: other programs count too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpCounters {
    pub listen_overflows: u64,
    pub listen_drops: u64,
    pub syn_retrans: u64,
}

impl TcpCounters {
    pub fn read() -> Option<TcpCounters> {
        parse_netstat(&std::fs::read_to_string("/proc/net/netstat").ok()?)
    }

    /// What happened since `before`.
    pub fn since(self, before: TcpCounters) -> TcpCounters {
        TcpCounters {
            listen_overflows: self
                .listen_overflows
                .saturating_sub(before.listen_overflows),
            listen_drops: self.listen_drops.saturating_sub(before.listen_drops),
            syn_retrans: self.syn_retrans.saturating_sub(before.syn_retrans),
        }
    }

    pub fn describe(self) -> String {
        format!(
            "kernel: {} accept-queue overflows, {} SYN retransmits",
            self.listen_overflows, self.syn_retrans
        )
    }
}

/// `/proc/net/netstat` holds pairs of lines: `TcpExt: Name1 Name2 ...` then
/// `TcpExt: 1 2 ...`.
fn parse_netstat(text: &str) -> Option<TcpCounters> {
    let lines: Vec<&str> = text.lines().collect();
    let mut values: HashMap<&str, u64> = HashMap::new();
    for pair in lines.chunks(2) {
        let [names, nums] = pair else { continue };
        if !names.starts_with("TcpExt:") || !nums.starts_with("TcpExt:") {
            continue;
        }
        for (name, num) in names
            .split_whitespace()
            .zip(nums.split_whitespace())
            .skip(1)
        {
            if let Ok(n) = num.parse() {
                values.insert(name, n);
            }
        }
    }
    Some(TcpCounters {
        listen_overflows: *values.get("ListenOverflows")?,
        listen_drops: *values.get("ListenDrops")?,
        syn_retrans: values.get("TCPSynRetrans").copied().unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_kib() {
        let text = "Name:\tbench\nVmPeak:\t  100 kB\nVmHWM:\t   5120 kB\nVmRSS:\t    4096 kB\n";
        assert_eq!(parse_status_kib(text, "VmHWM"), Some(5120));
        assert_eq!(parse_status_kib(text, "VmRSS"), Some(4096));
        assert_eq!(parse_status_kib(text, "VmSwap"), None);
    }

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let text = "42 (my (odd) name) S 1 42 42 0 -1 4194304 100 0 0 0 150 25 0 0 20 0 3 0";
        let ms = std::time::Duration::from_millis;
        assert_eq!(parse_stat_cpu(text), Some((ms(1500), ms(250))));
        assert_eq!(parse_stat_cpu("garbage"), None);
    }

    #[test]
    fn netstat_counters_are_found_by_name() {
        let text = "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans\n\
                    TcpExt: 1 7 9 12\n\
                    IpExt: InNoRoutes\nIpExt: 0\n";
        let c = parse_netstat(text).unwrap();
        assert_eq!(
            (c.listen_overflows, c.listen_drops, c.syn_retrans),
            (7, 9, 12)
        );
        let later = TcpCounters {
            listen_overflows: 10,
            listen_drops: 9,
            syn_retrans: 20,
        };
        assert_eq!(later.since(c).listen_overflows, 3);
        assert_eq!(c.since(c), TcpCounters::default());
    }
}

//! What the server saw: one record per request, and the peak overlap.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// When the request arrived (its headers were read).
    pub arrived: Instant,
    /// The delay the request asked for (zero for refused requests).
    pub delay: Duration,
    /// The path, as sent (`/delay/1000/url/http://www.google.co.uk`).
    pub path: String,
    /// The status the server answered with.
    pub status: u16,
}

impl RequestRecord {
    /// When the server answers: arrival plus delay.
    pub fn due(&self) -> Instant {
        self.arrived + self.delay
    }
}

/// The largest number of requests whose `[arrival, arrival + delay]`
/// intervals overlap.
///
/// Sequential requests give 1: the second one cannot arrive before the
/// first answer was sent. Ten spawned requests give 10. Intervals that only
/// touch do not count as overlapping.
pub fn peak_in_flight<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for r in records {
        events.push((r.arrived, 1));
        events.push((r.due(), -1));
    }
    // At equal instants the end (-1) sorts before the start (+1).
    events.sort();
    let (mut now, mut peak) = (0_i32, 0_i32);
    for (_, step) in events {
        now += step;
        peak = peak.max(now);
    }
    peak as usize
}

/// The records kept in memory. Bounded: the oldest go first, so a server
/// that runs all day keeps its memory flat.
#[derive(Debug)]
pub(crate) struct Recorder {
    records: VecDeque<RequestRecord>,
    limit: usize,
    total: u64,
}

impl Recorder {
    pub(crate) fn new(limit: usize) -> Self {
        Recorder {
            records: VecDeque::new(),
            limit,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, record: RequestRecord) {
        self.total += 1;
        if self.limit == 0 {
            return;
        }
        if self.records.len() == self.limit {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.records.iter().cloned().collect()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t0: Instant, at_ms: u64, delay_ms: u64) -> RequestRecord {
        RequestRecord {
            arrived: t0 + Duration::from_millis(at_ms),
            delay: Duration::from_millis(delay_ms),
            path: String::new(),
            status: 200,
        }
    }

    #[test]
    fn peak_counts_overlap() {
        let t0 = Instant::now();
        assert_eq!(peak_in_flight(&[]), 0);
        let seq = [rec(t0, 0, 100), rec(t0, 100, 100), rec(t0, 201, 100)];
        assert_eq!(peak_in_flight(&seq), 1, "touching intervals do not overlap");
        let par: Vec<_> = (0..10).map(|i| rec(t0, i, 100)).collect();
        assert_eq!(peak_in_flight(&par), 10);
        let mixed = [rec(t0, 0, 100), rec(t0, 50, 100), rec(t0, 120, 100)];
        assert_eq!(peak_in_flight(&mixed), 2);
    }

    #[test]
    fn recorder_is_bounded() {
        let t0 = Instant::now();
        let mut r = Recorder::new(3);
        for i in 0..10 {
            r.push(rec(t0, i, 0));
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.total(), 10);
        assert_eq!(r.snapshot()[0].arrived, t0 + Duration::from_millis(7));
        let mut none = Recorder::new(0);
        none.push(rec(t0, 0, 0));
        assert_eq!((none.len(), none.total()), (0, 1));
    }
}

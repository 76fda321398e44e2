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
    /// Over how long the body was to be dripped (`?drip={ms}`; zero when
    /// the body goes out at once).
    pub drip: Duration,
    /// The path, as sent (`/delay/1000/url/http://www.google.co.uk`).
    pub path: String,
    /// The status the server answered with.
    pub status: u16,
    /// When the write that handed the response's last byte to the kernel
    /// began: never after the client could read that byte, so a request
    /// the client sends once it has the answer always arrives after it.
    /// `None` while the response is still being sent, and for good when
    /// the client went away first.
    pub ended: Option<Instant>,
    /// When the server found that the client had gone away before the
    /// whole response was written (see [`RequestRecord::aborted`]).
    pub abandoned: Option<Instant>,
}

impl RequestRecord {
    /// When the server planned to send the headers: arrival plus delay.
    pub fn due(&self) -> Instant {
        self.arrived + self.delay
    }

    /// Whether the client went away before the whole response was written
    /// (it closed the connection during the delay or mid-body).
    pub fn aborted(&self) -> bool {
        self.abandoned.is_some()
    }

    /// The end of the response: when its last byte was written, or when the
    /// client went away, if known; otherwise the planned end, `due()` plus
    /// the drip.
    pub fn end(&self) -> Instant {
        self.ended
            .or(self.abandoned)
            .unwrap_or_else(|| self.due() + self.drip)
    }

    /// Whether the response is over: written in full, or abandoned.
    pub fn is_over(&self) -> bool {
        self.ended.is_some() || self.abandoned.is_some()
    }
}

/// The largest number of requests in flight at once: each counts from its
/// arrival to its real end ([`RequestRecord::end`]), so a body still being
/// sent to a client that reads it slowly (or not at all) keeps its place.
/// A response not over yet counts until now at least.
///
/// Sequential requests give 1: the second one cannot arrive before the
/// first answer was sent. Ten spawned requests give 10. Intervals that only
/// touch do not count as overlapping.
pub fn peak_in_flight<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> usize {
    let now = Instant::now();
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for r in records {
        let end = if r.is_over() {
            r.end()
        } else {
            r.end().max(now)
        };
        events.push((r.arrived, 1));
        events.push((end, -1));
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

/// How a response ended, for [`Recorder::finish`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    /// Its last byte was written at this instant.
    Ended(Instant),
    /// The client went away first; the server noticed at this instant.
    Abandoned(Instant),
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

    /// Keeps `record` and returns its number, for [`Recorder::finish`].
    pub(crate) fn push(&mut self, record: RequestRecord) -> u64 {
        let number = self.total;
        self.total += 1;
        if self.limit == 0 {
            return number;
        }
        if self.records.len() == self.limit {
            self.records.pop_front();
        }
        self.records.push_back(record);
        number
    }

    /// Notes how request `number` ended, if its record is still kept.
    pub(crate) fn finish(&mut self, number: u64, outcome: Outcome) {
        // Record `total - 1` is the newest, at index `len - 1`.
        let first_kept = self.total - self.records.len() as u64;
        let Some(index) = number.checked_sub(first_kept) else {
            return;
        };
        let Some(record) = self.records.get_mut(index as usize) else {
            return;
        };
        if record.is_over() {
            return;
        }
        match outcome {
            Outcome::Ended(at) => record.ended = Some(at),
            Outcome::Abandoned(at) => record.abandoned = Some(at),
        }
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

    /// Forgets the kept records. Responses still being sent then finish
    /// nowhere: their numbers are below the first kept one.
    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t0: Instant, at_ms: u64, delay_ms: u64) -> RequestRecord {
        let arrived = t0 + Duration::from_millis(at_ms);
        RequestRecord {
            arrived,
            delay: Duration::from_millis(delay_ms),
            drip: Duration::ZERO,
            path: String::new(),
            status: 200,
            ended: Some(arrived + Duration::from_millis(delay_ms)),
            abandoned: None,
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
    fn peak_uses_the_real_end_of_each_response() {
        let t0 = Instant::now() - Duration::from_secs(10);
        // Planned to end at 100 ms, but its body was written until 300 ms
        // (a slow reader): the request at 200 ms overlaps it.
        let mut slow = rec(t0, 0, 100);
        slow.ended = Some(t0 + Duration::from_millis(300));
        let late = rec(t0, 200, 100);
        assert_eq!(peak_in_flight(&[slow.clone(), late.clone()]), 2);
        // Without a known end, the planned one counts (delay plus drip).
        let mut planned = rec(t0, 0, 100);
        planned.ended = None;
        planned.abandoned = Some(t0 + Duration::from_millis(150));
        assert!(planned.aborted());
        assert_eq!(planned.end(), t0 + Duration::from_millis(150));
        assert_eq!(peak_in_flight(&[planned, late.clone()]), 1);
        // A response still being sent counts until now.
        let mut open = rec(t0, 0, 100);
        open.ended = None;
        assert_eq!(peak_in_flight(&[open, rec(t0, 9_000, 10)]), 2);
    }

    #[test]
    fn recorder_is_bounded_and_finishes_kept_records() {
        let t0 = Instant::now();
        let mut r = Recorder::new(3);
        let mut numbers = Vec::new();
        for i in 0..10 {
            let mut record = rec(t0, i, 0);
            record.ended = None;
            numbers.push(r.push(record));
        }
        assert_eq!(numbers, (0..10).collect::<Vec<u64>>());
        assert_eq!(r.len(), 3);
        assert_eq!(r.total(), 10);
        assert_eq!(r.snapshot()[0].arrived, t0 + Duration::from_millis(7));
        // Number 2 is gone: finishing it changes nothing.
        r.finish(2, Outcome::Ended(t0));
        r.finish(8, Outcome::Ended(t0));
        r.finish(9, Outcome::Abandoned(t0));
        r.finish(9, Outcome::Ended(t0));
        let kept = r.snapshot();
        assert_eq!(kept[0].ended, None);
        assert_eq!(kept[1].ended, Some(t0));
        assert!(
            kept[2].aborted() && kept[2].ended.is_none(),
            "first outcome wins"
        );
        let mut none = Recorder::new(0);
        none.push(rec(t0, 0, 0));
        none.finish(0, Outcome::Ended(t0));
        assert_eq!((none.len(), none.total()), (0, 1));
    }
}

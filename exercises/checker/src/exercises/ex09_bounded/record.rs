//! What the delay server's record says about a bounded run: how many
//! requests were in flight at once, and how long slots stood empty.

use mock_server::RequestRecord;
use std::time::{Duration, Instant};

/// How long two requests must overlap to count as in flight together.
///
/// The server stamps a response's end just after it wrote the last byte;
/// a client that reads that byte and sends its next request at once can
/// arrive a moment before the stamp, if the server's thread was paused in
/// between. A correct run never overlaps for longer than that; a permit
/// given back before the body overlaps for the whole body (100 ms here).
const OVERLAP: Duration = Duration::from_millis(10);

/// The most requests in flight at once, each from its arrival to `end`,
/// minus [`OVERLAP`].
pub(super) fn peak(records: &[RequestRecord], end: impl Fn(&RequestRecord) -> Instant) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for r in records {
        events.push((r.arrived, 1));
        events.push((
            end(r)
                .checked_sub(OVERLAP)
                .unwrap_or(r.arrived)
                .max(r.arrived),
            -1,
        ));
    }
    // At equal instants the end (-1) sorts before the start (+1).
    events.sort();
    let (mut now, mut most) = (0_i32, 0_i32);
    for (_, step) in events {
        now += step;
        most = most.max(now);
    }
    most as usize
}

/// How long slots stood empty while requests waited to be sent.
#[derive(Debug, PartialEq)]
pub(super) struct Window {
    /// The longest single wait from the end of one response to the start
    /// of the request that took its slot.
    pub(super) longest: Duration,
    /// Which response's end (1 = the first to end) began that wait.
    pub(super) after: usize,
    /// All such waits together: how long, in slot-milliseconds, the
    /// window stood below the limit while requests waited.
    pub(super) total: Duration,
    /// The requests went out in groups of `limit`, each group only after
    /// every request of the group before it had ended.
    pub(super) batches: bool,
}

/// The `k`-th response to end frees a slot; the `limit + k`-th request to
/// arrive takes it. The time between the two is how long that slot stood
/// empty (zero if the request came first: the run was above the limit).
pub(super) fn window(records: &[RequestRecord], limit: usize) -> Window {
    let mut arrivals: Vec<Instant> = records.iter().map(|r| r.arrived).collect();
    let mut ends: Vec<Instant> = records.iter().map(RequestRecord::end).collect();
    arrivals.sort();
    ends.sort();
    let mut out = Window {
        longest: Duration::ZERO,
        after: 0,
        total: Duration::ZERO,
        batches: false,
    };
    for (k, end) in ends.iter().enumerate() {
        let Some(next) = arrivals.get(limit + k) else {
            break;
        };
        let empty = next.saturating_duration_since(*end);
        out.total += empty;
        if empty > out.longest {
            out.longest = empty;
            out.after = k + 1;
        }
    }
    let mut by_arrival: Vec<&RequestRecord> = records.iter().collect();
    by_arrival.sort_by_key(|r| r.arrived);
    let groups: Vec<_> = by_arrival.chunks(limit.max(1)).collect();
    out.batches = groups.len() > 1
        && groups.windows(2).all(|pair| {
            let last_end = pair[0].iter().map(|r| r.end()).max();
            let first_arrival = pair[1].iter().map(|r| r.arrived).min();
            first_arrival >= last_end
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::ex09_bounded::{EMPTY_SLOTS, ENDS, LIMIT};

    fn record(t0: Instant, at: u64, delay: u64) -> RequestRecord {
        RequestRecord {
            arrived: t0 + Duration::from_millis(at),
            delay: Duration::from_millis(delay),
            drip: Duration::ZERO,
            path: String::new(),
            status: 200,
            ended: Some(t0 + Duration::from_millis(at + delay)),
            abandoned: None,
        }
    }

    fn delays() -> Vec<u64> {
        (0..ENDS.len())
            .map(|i| ENDS[i] - if i >= LIMIT { ENDS[i - LIMIT] } else { 0 })
            .collect()
    }

    /// A full window over `delays`: each request starts `late` ms after a
    /// slot frees.
    fn full_window(t0: Instant, delays: &[u64], late: u64) -> Vec<RequestRecord> {
        let mut free = [0_u64; LIMIT];
        delays
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                free.sort();
                let at = if i < LIMIT { 0 } else { free[0] + late };
                free[0] = at + d;
                record(t0, at, d)
            })
            .collect()
    }

    #[test]
    fn a_full_window_leaves_no_slot_empty_and_ends_in_url_order() {
        let t0 = Instant::now();
        let records = full_window(t0, &delays(), 0);
        let seen = window(&records, LIMIT);
        assert_eq!(seen.longest, Duration::ZERO, "{seen:?}");
        assert!(!seen.batches);
        let ends: Vec<u64> = records
            .iter()
            .map(|r| r.due().duration_since(t0).as_millis() as u64)
            .collect();
        assert_eq!(ends, ENDS, "the delays give the planned ends");
    }

    #[test]
    fn a_slow_machine_is_not_a_batch() {
        // Every hand-over 80 ms late: slow, but a window all the same.
        let seen = window(&full_window(Instant::now(), &delays(), 80), LIMIT);
        assert!(!seen.batches, "{seen:?}");
        assert_eq!(seen.total, Duration::from_millis(6 * 80), "{seen:?}");
        assert!(seen.total <= EMPTY_SLOTS, "{seen:?}");
    }

    #[test]
    fn the_peak_ignores_a_moment_of_overlap_but_not_a_body() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // Each next request arrives 2 ms before the last one's stamped end.
        let touching: Vec<_> = (0..4).map(|i| record(t0, i * 98, 100)).collect();
        assert_eq!(peak(&touching, RequestRecord::end), 1);
        // Permits given back at the headers (50 ms), bodies of 100 ms more.
        let early: Vec<_> = (0..6)
            .map(|i| {
                let mut r = record(t0, (i / 3) * 50, 50);
                r.drip = ms(100);
                r.ended = Some(r.due() + ms(100));
                r
            })
            .collect();
        assert_eq!(peak(&early, RequestRecord::due), 3);
        assert_eq!(peak(&early, RequestRecord::end), 6);
    }

    #[test]
    fn fixed_batches_leave_slots_empty() {
        let t0 = Instant::now();
        let mut at = 0;
        let mut records = Vec::new();
        for batch in delays().chunks(LIMIT) {
            records.extend(batch.iter().map(|&d| record(t0, at, d)));
            at += batch.iter().max().unwrap();
        }
        let seen = window(&records, LIMIT);
        assert!(seen.batches, "{seen:?}");
        assert_eq!(seen.longest, Duration::from_millis(390), "{seen:?}");
        assert_eq!(seen.total, Duration::from_millis(840), "{seen:?}");
        assert!(seen.total > EMPTY_SLOTS, "{seen:?}");
    }
}

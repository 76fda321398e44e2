//! Verdicts that several exercises share: the right bodies in the right
//! order, requests that overlapped, a runtime that kept running.

use crate::shared::Diagnosis;
use crate::shared::lab::{Lab, Meta, Target};
use crate::shared::panics::PanicRecord;
use std::time::Duration;

/// " Meanwhile a task panicked at ...: ..." or nothing.
pub(crate) fn panic_note(panics: &[PanicRecord]) -> String {
    match panics.first() {
        Some(first) => format!(
            " Meanwhile your task panicked {}: whatever it was doing is lost.",
            first.describe()
        ),
        None => String::new(),
    }
}

/// "\"abc def...\"" : the start of a body, for messages.
fn preview(body: &str) -> String {
    let start: String = body.chars().take(16).collect();
    format!("{:?}...", start)
}

/// "the 1st", "the 2nd", ... for the URL at `index` (counted from zero):
/// messages count URLs from one, as people do.
pub(crate) fn nth(index: usize) -> String {
    let n = index + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("the {n}{suffix}")
}

/// The function returned before the tasks it spawned had sent their
/// requests: some of `targets` reached the server only after the return
/// (the check keeps the runtime running a moment longer to see it). The
/// mechanism behind missing results and requests the server "never saw".
pub(crate) fn returned_early(lab: &Lab, meta: &Meta, targets: &[Target]) -> Result<(), Diagnosis> {
    let late = late_arrivals(lab, meta, targets).or_else(|| {
        // Only failing checks get here: give a loaded server a moment more
        // to note requests that left the client just after the return.
        std::thread::sleep(Duration::from_millis(100));
        late_arrivals(lab, meta, targets)
    });
    let Some((late, before)) = late else {
        return Ok(());
    };
    Err(Diagnosis::new(format!(
        "`{}` returned before the tasks it spawned had run: {late} of the {} requests reached \
         the server only after it had returned ({before} before). A spawned task runs on its \
         own, and returning does not wait for it (on this single-threaded runtime it does not \
         even start until the function yields). Keep every JoinHandle and `.await` it \
         (`join_all(handles).await`, or a JoinSet drained with `join_next`) before you \
         return.{}",
        meta.call,
        targets.len(),
        panic_note(&meta.panics)
    )))
}

/// How many of `targets` reached the server only after the function had
/// returned, and how many before; `None` if none came late.
fn late_arrivals(lab: &Lab, meta: &Meta, targets: &[Target]) -> Option<(usize, usize)> {
    let returned = meta.returned();
    let records = lab.requests();
    // For each target, when its requests arrived.
    let arrivals: Vec<Vec<std::time::Instant>> = targets
        .iter()
        .map(|t| {
            records
                .iter()
                .filter(|r| r.path == t.path)
                .map(|r| r.arrived)
                .collect()
        })
        .collect();
    let late = arrivals
        .iter()
        .filter(|a| !a.is_empty() && a.iter().all(|&at| at > returned))
        .count();
    if late == 0 {
        return None;
    }
    let before = arrivals
        .iter()
        .filter(|a| a.iter().any(|&at| at <= returned))
        .count();
    Some((late, before))
}

/// [`bodies_in_order`], and when bodies are missing, first whether the
/// function returned before its tasks had sent the requests.
pub(crate) fn bodies_returned(
    lab: &Lab,
    meta: &Meta,
    got: &[String],
    targets: &[Target],
) -> Result<(), Diagnosis> {
    if got.len() < targets.len() {
        returned_early(lab, meta, targets)?;
    }
    bodies_in_order(meta, got, targets)
}

/// `got` holds, in order, the bodies the server sent for `targets`.
pub(crate) fn bodies_in_order(
    meta: &Meta,
    got: &[String],
    targets: &[Target],
) -> Result<(), Diagnosis> {
    let call = &meta.call;
    let n = targets.len();
    if got.len() != n {
        let advice = if got.len() < n {
            "some results never came back. If you spawned tasks, `.await` every JoinHandle \
             before collecting (a task nobody waits for may not have finished yet, and its \
             result is lost)."
        } else {
            "return exactly one body per URL."
        };
        return Err(Diagnosis::new(format!(
            "`{call}` returned {} bodies for {n} URLs: {advice}{}",
            got.len(),
            panic_note(&meta.panics)
        )));
    }
    let expected: Vec<String> = targets.iter().map(Target::body).collect();
    for (i, body) in got.iter().enumerate() {
        if *body == expected[i] {
            continue;
        }
        if let Some(j) = expected.iter().position(|e| e == body) {
            return Err(Diagnosis::new(format!(
                "`{call}` returned the body of {} URL in {} place: return the bodies in the \
                 order of `urls`. `join_all`, `try_join_all` and `buffered` keep that order; \
                 `FuturesUnordered`, `JoinSet` and `buffer_unordered` yield results as they \
                 complete, so keep each index with its result and sort by it.",
                nth(j),
                nth(i)
            )));
        }
        let trimmed = body.as_str() == expected[i].trim();
        let how = if trimmed {
            "it is the server's body trimmed: the server's bodies start and end with \
             whitespace, and the text must come back as sent, so do not `trim()` it"
        } else {
            "return each response's text unchanged. The server invents new bodies in every \
             run, so only a real fetch gives the right answer"
        };
        return Err(Diagnosis::new(format!(
            "the body returned for {} URL ({} bytes, {}) is not what the server sent for it \
             ({} bytes, {}): {how}.",
            nth(i),
            body.len(),
            preview(body),
            expected[i].len(),
            preview(&expected[i])
        )));
    }
    Ok(())
}

/// How many of `targets` reached the server.
pub(crate) fn seen(lab: &Lab, targets: &[Target]) -> usize {
    let records = lab.requests();
    targets
        .iter()
        .filter(|t| records.iter().any(|r| r.path == t.path))
        .count()
}

/// The requests for `targets` were all in flight together, and the whole
/// call took about as long as the slowest of them.
///
/// "All at once" is a count, from the server's record of arrivals: the peak
/// in flight equals the number of requests. Requests sent in rounds
/// (`buffered(6)` over 10 URLs, batches of `chunks`) peak lower. The time is
/// checked with a generous margin (twice the slowest, plus half a second)
/// for a loaded machine: it catches a call that sent everything at
/// once and then held itself up.
pub(crate) fn overlapped(lab: &Lab, meta: &Meta, targets: &[Target]) -> Result<(), Diagnosis> {
    let n = targets.len();
    let arrived = seen(lab, targets);
    if arrived < n {
        returned_early(lab, meta, targets)?;
        return Err(Diagnosis::new(format!(
            "the delay server saw only {arrived} of the {n} requests while `{}` ran: send one \
             request per URL.{}",
            meta.call,
            panic_note(&meta.panics)
        )));
    }
    let peak = lab.peak_in_flight();
    let slowest = targets.iter().map(|t| t.delay).max().unwrap_or_default();
    let ms = slowest.as_millis();
    let took = meta.took.as_secs_f64();
    if peak >= n {
        let bound = slowest * 2 + std::time::Duration::from_millis(500);
        if meta.took <= bound {
            return Ok(());
        }
        let mut text = format!(
            "all {n} requests were in flight at once, but `{}` took {took:.1} s where the \
             slowest request takes {ms} ms: something held it up after the requests went out.",
            meta.call
        );
        if meta.stall >= slowest / 2 {
            text.push_str(&format!(
                " {}.",
                crate::shared::explain::stalled(&meta.call, meta.stall)
            ));
        }
        return Err(Diagnosis::new(text));
    }
    let text = if peak <= 1 {
        format!(
            "{n} requests of {ms} ms took {took:.1} s and never overlapped: they ran one after \
             another. Did you `.await` each request inside the loop? Start them all first \
             (`tokio::spawn` each one, or collect the futures and `join_all` them), then wait \
             for the results."
        )
    } else {
        format!(
            "{n} requests of {ms} ms took {took:.1} s and at most {peak} were in flight at once: \
             they ran in rounds of at most {peak} at a time (`buffered({peak})`? batches of \
             `chunks`?). All at once means all {n} in flight together: start every request \
             before you await any."
        )
    };
    let shape = "All at once, the bars would lie one above the other, starting together.";
    let picture = crate::shared::picture::of_run(lab, meta, targets, shape);
    Err(Diagnosis::new(format!("{text}{picture}")))
}

/// The ticker beside the learner's code never waited `threshold` or more.
/// `why` follows the general sentence when it did.
pub(crate) fn kept_running(meta: &Meta, threshold: Duration, why: &str) -> Result<(), Diagnosis> {
    if meta.stall < threshold {
        return Ok(());
    }
    Err(Diagnosis::new(format!(
        "{}. {why}",
        crate::shared::explain::stalled(&meta.call, meta.stall)
    )))
}

/// A URL the check made fail, for the messages.
pub(crate) struct Failed<'a> {
    pub url: &'a str,
    /// "404 Not Found"
    pub status: &'a str,
    /// Its place in the list of URLs, if there was a list.
    pub index: Option<usize>,
}

impl Failed<'_> {
    fn which(&self) -> String {
        match self.index {
            Some(i) => format!("{} URL ({})", nth(i), self.url),
            None => self.url.to_string(),
        }
    }
}

/// What a function that returned `Ok` made of the failed URL.
pub(crate) enum Swallowed {
    /// The error page's text came back as if it were a body: the status was
    /// never looked at.
    AsBody,
    /// An empty body (or nothing counted) in its place: the error was seen
    /// and replaced by a default (`unwrap_or_default`, `unwrap_or(0)`).
    AsDefault,
    /// Left out of the results: the error was seen and thrown away
    /// (`if let Ok`, `filter_map(Result::ok)`, `.ok()`).
    LeftOut,
    /// None of the above.
    Unknown,
}

/// The learner's function reported an `Err` for a set of URLs with one
/// that answers an error status; `swallowed` tells, when it returned `Ok`,
/// what it did with the failure.
pub(crate) fn reported_failure<X>(
    call: &str,
    result: Result<X, Diagnosis>,
    failed: &Failed<'_>,
    swallowed: impl FnOnce(&X) -> Swallowed,
) -> Result<(), Diagnosis> {
    let value = match result {
        Err(d)
            if d.message()
                .starts_with(&format!("`{call}` returned an error")) =>
        {
            return Ok(());
        }
        Err(d) => return Err(d),
        Ok(value) => value,
    };
    let (status, which) = (failed.status, failed.which());
    let pass_on = "pass the error on instead: `?` (or `try_join_all` for many) makes the \
                   whole call fail with it";
    Err(Diagnosis::new(match swallowed(&value) {
        Swallowed::AsBody => format!(
            "`{call}` returned Ok although the server answered {status} for {which}: the error \
             page's text came back as if it were a body. To reqwest an error status is still a \
             response: call `.error_for_status()?` on each response, and pass the error on \
             (`?`, or `try_join_all` for many)."
        ),
        Swallowed::AsDefault => format!(
            "`{call}` returned Ok although the server answered {status} for {which}: the error \
             was noticed, then replaced by an empty default (`unwrap_or_default()`? \
             `unwrap_or(...)`?) where a body should be. {pass_on}."
        ),
        Swallowed::LeftOut => format!(
            "`{call}` returned Ok although the server answered {status} for {which}: the error \
             was noticed, then thrown away and the URL left out of the result (`if let Ok`? \
             `filter_map(Result::ok)`? `.ok()`?). {pass_on}."
        ),
        Swallowed::Unknown => format!(
            "`{call}` returned Ok although the server answered {status} for {which}: to \
             reqwest an error status is still a response. Call `.error_for_status()?` on each \
             response and pass the error on (`?`, or `try_join_all` for many)."
        ),
    }))
}

/// What a list of bodies made of the failed URL at `failed` among `urls`.
pub(crate) fn swallowed_in_list(bodies: &[String], urls: usize, failed: usize) -> Swallowed {
    if bodies.len() < urls {
        Swallowed::LeftOut
    } else if bodies.len() > urls || failed >= bodies.len() {
        Swallowed::Unknown
    } else if bodies[failed].is_empty() {
        Swallowed::AsDefault
    } else {
        Swallowed::AsBody
    }
}

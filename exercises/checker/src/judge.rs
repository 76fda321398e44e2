//! Verdicts that several exercises share: the right bodies in the right
//! order, requests that overlapped, a runtime that kept running.

use crate::Diagnosis;
use crate::lab::{Lab, Meta, Target};
use crate::panics::PanicRecord;
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
                "`{call}` returned the body of URL {j} at index {i}: return the bodies in the \
                 order of `urls`. `join_all`, `try_join_all` and `buffered` keep that order; \
                 `FuturesUnordered`, `JoinSet` and `buffer_unordered` yield results as they \
                 complete, so keep each index with its result and sort by it."
            )));
        }
        return Err(Diagnosis::new(format!(
            "the body at index {i} ({} bytes, {}) is not what the server sent for URL {i} \
             ({} bytes, {}): return each response's text unchanged. The server invents new \
             bodies in every run, so only a real fetch gives the right answer.",
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

/// The requests for `targets` were in flight together: more than half of
/// them at once (all of them, in practice; the margin keeps the check calm
/// on a loaded machine).
pub(crate) fn overlapped(lab: &Lab, meta: &Meta, targets: &[Target]) -> Result<(), Diagnosis> {
    let n = targets.len();
    let arrived = seen(lab, targets);
    if arrived < n {
        return Err(Diagnosis::new(format!(
            "the delay server saw only {arrived} of the {n} requests while `{}` ran: send one \
             request per URL.{}",
            meta.call,
            panic_note(&meta.panics)
        )));
    }
    let peak = lab.peak_in_flight();
    if peak * 2 > n {
        return Ok(());
    }
    let ms = targets[0].delay.as_millis();
    let took = meta.took.as_secs_f64();
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
             start all of them before you await any."
        )
    };
    let shape = "All at once, the bars would lie one above the other, starting together.";
    let picture = crate::picture::of_run(lab, meta, targets, shape);
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
        crate::explain::stalled(&meta.call, meta.stall)
    )))
}

/// The learner's function reported an `Err` for a set of URLs with one
/// that answers `404`.
pub(crate) fn reported_failure<X>(
    call: &str,
    result: Result<X, Diagnosis>,
    missing: &str,
) -> Result<(), Diagnosis> {
    match result {
        Err(d)
            if d.message()
                .starts_with(&format!("`{call}` returned an error")) =>
        {
            Ok(())
        }
        Err(d) => Err(d),
        Ok(_) => Err(Diagnosis::new(format!(
            "`{call}` returned Ok although the server answered 404 Not Found for {missing}: to \
             reqwest an error status is still a response. Call `.error_for_status()?` on each \
             response and pass the error on (`?`, or `try_join_all` for many)."
        ))),
    }
}

//! The verdicts the checks of exercise 11 share: every caller got its own
//! answer, and one actor task did the work.

use super::probe::{Outcome, Probe, owner_of};
use crate::shared::lab::Meta;
use crate::shared::{Diagnosis, Verdict, judge};
use std::collections::HashSet;

/// [`judge::panic_note`], without the backtrace that an unwrapped
/// `anyhow::Error` prints in its message when `RUST_BACKTRACE` is set.
pub(super) fn panic_note(meta: &Meta) -> String {
    let note = judge::panic_note(&meta.panics);
    match note.split_once("\nStack backtrace:") {
        Some((head, _)) => format!("{}\": whatever it was doing is lost.", head.trim_end()),
        None => note,
    }
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Every caller got the origin's answer for its own key; `skip` is a key
/// whose outcome the check judges itself.
pub(super) fn answers_are_right(
    probe: &Probe,
    keys: &[String],
    outcomes: &[Outcome],
    meta: &Meta,
    skip: Option<&str>,
) -> Verdict {
    let n = outcomes.len();
    let note = panic_note(meta);
    let failed_sends: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::SendFailed(e) => Some(e),
            _ => None,
        })
        .collect();
    if let Some(first) = failed_sends.first() {
        let k = failed_sends.len();
        if first.contains("no available capacity") {
            return Err(Diagnosis::new(format!(
                "`send` returned an error for {k} of {n} requests (\"{first}\") instead of \
                 waiting: `try_send` fails at once when the queue is full. Wait for room with \
                 `sender.send(request).await`: that wait is the backpressure that keeps the \
                 queue bounded.{note}"
            )));
        }
        let answered = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Answer(_)))
            .count();
        return Err(Diagnosis::new(format!(
            "`send` failed for {k} of {n} requests (\"{first}\"): the actor's receiver was \
             gone, so its task had ended, after answering {}. An actor serves until every \
             handle is dropped: `while let Some(request) = receiver.recv().await {{ ... }}`, \
             not an `if let` or a single `recv()`, and no `?`, `return` or `break` in the loop \
             that ends it early.{note}",
            plural(answered, "request", "requests")
        )));
    }
    let lost: Vec<(&String, &Outcome)> = keys
        .iter()
        .zip(outcomes)
        .filter(|(k, _)| Some(k.as_str()) != skip)
        .filter(|(_, o)| matches!(o, Outcome::AnswerFailed(_) | Outcome::NoAnswer))
        .collect();
    let never_taken: Vec<&(&String, &Outcome)> = lost
        .iter()
        .filter(|(k, _)| probe.calls_of(k) == 0)
        .collect();
    if let Some((key, outcome)) = never_taken.first() {
        let how = match outcome {
            Outcome::AnswerFailed(e) => format!("its answer failed: \"{e}\""),
            _ => String::from("no answer came within 2 s"),
        };
        return Err(Diagnosis::new(format!(
            "{} of the {n} requests never reached the actor: the origin was never asked for \
             {key}, and {how}. The request was dropped before the actor took it: `try_send` \
             drops it when the queue is full (it hands it back inside its error), and a \
             `send` whose error is ignored drops it when the actor has stopped. Wait for \
             room with `sender.send(request).await`, and pass its error on.{note}",
            never_taken.len()
        )));
    }
    if let Some((key, outcome)) = lost.first() {
        let text = match outcome {
            Outcome::AnswerFailed(e) => format!(
                "the actor asked the origin for {key}, but its caller got no answer: \
                 \"{e}\". The reply's oneshot Sender was dropped without a `send` (a match arm \
                 that forgets it, the answer sent somewhere else). Send the answer to the \
                 request's own Sender: `let _ = reply.send(answer);`."
            ),
            _ => format!(
                "the actor asked the origin for {key}, but its caller waited 2 s for an \
                 answer that never came: the reply's oneshot Sender is kept somewhere but \
                 never used. Send the answer as soon as it is known: \
                 `let _ = reply.send(answer);`."
            ),
        };
        return Err(Diagnosis::new(format!(
            "{} of {n} callers lost their answer: {text}{note}",
            lost.len()
        )));
    }
    for (key, outcome) in keys.iter().zip(outcomes) {
        let Outcome::Answer(body) = outcome else {
            continue;
        };
        if Some(key.as_str()) == skip || *body == probe.body(key) {
            continue;
        }
        if let Some(other) = owner_of(probe, keys, body) {
            return Err(Diagnosis::new(format!(
                "the caller who asked for {key} got the answer for {other}: replies went to \
                 the wrong caller. A reply channel shared by all callers hands each reply to \
                 whoever waits first, not to the one who asked. Give each request its own way \
                 back: a `oneshot::channel()` per request, its Sender in the message to the \
                 actor, its Receiver in the Ticket.{note}"
            )));
        }
        return Err(Diagnosis::new(format!(
            "the caller who asked for {key} got {body:?}, which is not what the origin \
             answered for it ({:?}): return the origin's answer unchanged.",
            probe.body(key)
        )));
    }
    Ok(())
}

/// Every call of the origin came from one task: the actor.
pub(super) fn one_actor(probe: &Probe) -> Verdict {
    let calls = probe.calls();
    if let Some(call) = calls.iter().find(|c| c.task.is_none()) {
        return Err(Diagnosis::new(format!(
            "the origin was asked for {} by the caller's own code, not by a task: `send` (or \
             `answer`) did the work itself, so there is no actor. A cache that the callers \
             lock in turn (a Mutex) is shared state (chapter 10). Here one task (`tokio::spawn`) \
             owns the origin and the cache and takes requests from an `mpsc` channel; the \
             handle only sends them.",
            call.key
        )));
    }
    let tasks: HashSet<_> = calls.iter().filter_map(|c| c.task).collect();
    if tasks.len() > 1 {
        return Err(Diagnosis::new(format!(
            "the origin was called from {} different tasks for {}: a task per request (or an \
             actor that spawns one for each) is not one actor owning its cache. The actor \
             handles one request at a time, in its own task: while it waits for the origin, \
             the next requests wait in its queue, and that is what bounds the work.",
            tasks.len(),
            plural(calls.len(), "call", "calls")
        )));
    }
    Ok(())
}

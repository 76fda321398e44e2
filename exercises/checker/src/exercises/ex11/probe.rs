//! The origin the check hands to the learner's cache, and the callers it
//! runs against it: what was asked, from which task, how many at once, and
//! what each caller got back.

use super::Origin;
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a caller waits for its answer before the check calls it lost.
/// Every answer of a correct cache comes within a few tens of ms on a
/// quiet machine; the margin is for a loaded one.
const ANSWER_WAIT: Duration = Duration::from_secs(2);

/// One call of the origin.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub key: String,
    /// The task that called it; `None`: no task, the caller's own future.
    pub task: Option<tokio::task::Id>,
}

/// What the origin saw, shared with the learner's actor task.
pub(super) struct Probe {
    /// In every body: only a real call of the origin gives it.
    run: String,
    calls: Mutex<Vec<Call>>,
    running: AtomicUsize,
    peak: AtomicUsize,
    /// When set, each call waits for one permit: the check decides when
    /// the actor's work is done.
    gate: Option<Arc<Semaphore>>,
    /// How long a call takes when there is no gate, by key.
    delay: fn(&str) -> Duration,
    /// The key the origin fails for.
    fails: Option<String>,
}

impl Probe {
    pub fn new(run: String, delay: fn(&str) -> Duration) -> Probe {
        Probe {
            run,
            calls: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            gate: None,
            delay,
            fails: None,
        }
    }

    pub fn gated(mut self, gate: Arc<Semaphore>) -> Probe {
        self.gate = Some(gate);
        self
    }

    pub fn failing(mut self, key: &str) -> Probe {
        self.fails = Some(key.to_string());
        self
    }

    /// The origin's answer for `key`.
    pub fn body(&self, key: &str) -> String {
        format!("the origin's answer for {key} in {}", self.run)
    }

    /// The origin's error for the failing key.
    pub fn error(&self, key: &str) -> String {
        format!("the origin has nothing for {key} ({})", self.run)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn call_count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    /// How many calls of `key`.
    pub fn calls_of(&self, key: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.key == key)
            .count()
    }

    /// The most calls in progress at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Ends a call's count when its future ends or is dropped.
struct Running(Arc<Probe>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The origin for the learner's cache: it records each call when it is
/// made (in the task that makes it), then answers after its delay, or
/// when the gate lets it.
pub(super) fn origin(probe: &Arc<Probe>) -> Origin {
    let probe = Arc::clone(probe);
    Box::new(move |key: String| {
        probe.calls.lock().unwrap().push(Call {
            key: key.clone(),
            task: tokio::task::try_id(),
        });
        let probe = Arc::clone(&probe);
        Box::pin(async move {
            let now = probe.running.fetch_add(1, Ordering::SeqCst) + 1;
            probe.peak.fetch_max(now, Ordering::SeqCst);
            let _running = Running(Arc::clone(&probe));
            match &probe.gate {
                Some(gate) => {
                    if let Ok(permit) = gate.acquire().await {
                        permit.forget();
                    }
                }
                None => tokio::time::sleep((probe.delay)(&key)).await,
            }
            if probe.fails.as_deref() == Some(key.as_str()) {
                anyhow::bail!(probe.error(&key));
            }
            Ok(probe.body(&key))
        })
    })
}

/// What one caller got.
#[derive(Debug, Clone)]
pub(super) enum Outcome {
    Answer(String),
    /// `send` returned this error.
    SendFailed(String),
    /// The ticket's `answer` returned this error.
    AnswerFailed(String),
    /// No answer within [`ANSWER_WAIT`].
    NoAnswer,
}

/// Counts of the callers' sends, for the bound: after each completed
/// send, how far the sends ran ahead of the origin's calls.
#[derive(Default)]
pub(super) struct Sends {
    pub completed: Cell<usize>,
    pub most_ahead: Cell<usize>,
    pub finished: Cell<usize>,
}

/// One caller: sends its key, waits `pause`, then awaits its answer.
pub(super) async fn caller<C, T>(
    send: &impl AsyncFn(&C, String) -> anyhow::Result<T>,
    answer: &impl AsyncFn(T) -> anyhow::Result<String>,
    cache: &C,
    key: String,
    pause: Duration,
    probe: &Probe,
    sends: &Rc<Sends>,
) -> Outcome {
    let outcome = match send(cache, key).await {
        Err(e) => Outcome::SendFailed(course::one_line(&e)),
        Ok(ticket) => {
            let done = sends.completed.get() + 1;
            sends.completed.set(done);
            let ahead = done.saturating_sub(probe.call_count());
            sends.most_ahead.set(sends.most_ahead.get().max(ahead));
            tokio::time::sleep(pause).await;
            match tokio::time::timeout(ANSWER_WAIT, answer(ticket)).await {
                Ok(Ok(body)) => Outcome::Answer(body),
                Ok(Err(e)) => Outcome::AnswerFailed(course::one_line(&e)),
                Err(_) => Outcome::NoAnswer,
            }
        }
    };
    sends.finished.set(sends.finished.get() + 1);
    outcome
}

/// The keys' bodies, by key: which key's answer a body is.
pub(super) fn owner_of(probe: &Probe, keys: &[String], body: &str) -> Option<String> {
    let bodies: HashMap<String, &String> = keys.iter().map(|k| (probe.body(k), k)).collect();
    bodies.get(body).map(|k| (*k).clone())
}

//! Exercise 15, `block_on(future)`: an executor. Each wrong `block_on`
//! below is one a learner may write; each right one passes every check.

use crate::{LIMIT, REPORTS_WITHIN, fails_with, passes, within};
use checker::ex15::{self, Job};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

/// Every check of exercise 15 on one `block_on`.
fn all_pass(block_on: fn(Job) -> u64) {
    passes(ex15::returns_the_futures_output(block_on));
    passes(ex15::parks_while_waiting(block_on));
    passes(ex15::polls_again_after_each_wake(block_on));
    passes(ex15::keeps_a_wake_up_that_comes_during_poll(block_on));
}

/// A waker that unparks the thread that made it.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn unparker() -> Waker {
    Waker::from(Arc::new(Unparker(thread::current())))
}

// ---- mistakes --------------------------------------------------------------

/// Polls in a loop, with a waker that does nothing.
fn busy<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// The same, giving the core away between polls.
fn yields<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::yield_now();
    }
}

/// Polls every millisecond: little CPU, but hundreds of polls for one
/// wake-up (and up to a millisecond late).
fn naps<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn polling_in_a_loop_is_named_with_its_numbers() {
    for block_on in [busy::<Job>, yields::<Job>] {
        let message = fails_with(
            ex15::parks_while_waiting(block_on),
            &[
                "`block_on` polled the future",
                "times in",
                "park the thread",
            ],
        );
        if course::cpu::thread_cpu_time().is_some() {
            assert!(message.contains("ms of CPU"), "{message}");
        }
    }
    fails_with(
        ex15::parks_while_waiting(naps::<Job>),
        &["polled the future", "sleeping a little between polls"],
    );
}

/// Parks with a waker that does nothing: nobody unparks it.
fn noop_waker<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

#[test]
fn a_waker_that_does_nothing_never_wakes_block_on() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex15::parks_while_waiting(noop_waker::<Job>)
    });
    fails_with(
        verdict,
        &[
            "`block_on` never woke up",
            "woke its waker once",
            "Waker::noop()",
        ],
    );
    // A future that is ready at once needs no waker: that part passes.
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex15::returns_the_futures_output(noop_waker::<Job>)
    });
    fails_with(verdict, &["never woke up"]);
}

/// Polls, parks once, and takes the second poll for the last.
fn parks_once<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = unparker();
    let mut cx = Context::from_waker(&waker);
    if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
        return output;
    }
    thread::park();
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future should be ready after its wake-up"),
    }
}

/// Parks twice after each poll, as if one wake-up were not enough.
fn parks_twice<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = unparker();
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
        thread::park();
    }
}

#[test]
fn one_wake_up_is_not_the_end() {
    passes(ex15::parks_while_waiting(parks_once::<Job>));
    fails_with(
        ex15::polls_again_after_each_wake(parks_once::<Job>),
        &[
            "`block_on` panicked",
            "the future should be ready",
            "it needed three wake-ups",
            "Keep polling, in a loop",
        ],
    );
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex15::parks_while_waiting(parks_twice::<Job>)
    });
    fails_with(verdict, &["never woke up", "polled only once"]);
}

/// A Condvar with no flag: a notification before the wait is lost.
fn condvar_without_flag<F: Future>(future: F) -> F::Output {
    struct Notify(Arc<(Mutex<()>, Condvar)>);
    impl Wake for Notify {
        fn wake(self: Arc<Self>) {
            let _guard = self.0.0.lock().unwrap();
            self.0.1.notify_one();
        }
    }
    let pair = Arc::new((Mutex::new(()), Condvar::new()));
    let waker = Waker::from(Arc::new(Notify(Arc::clone(&pair))));
    let mut future = pin!(future);
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let guard = pair.0.lock().unwrap();
        drop(pair.1.wait(guard).unwrap());
    }
}

#[test]
fn a_wake_up_before_the_wait_must_not_be_lost() {
    // Waiting when the timer thread wakes it, it works ...
    passes(ex15::parks_while_waiting(condvar_without_flag::<Job>));
    // ... but a wake-up given during `poll` finds nobody waiting yet.
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex15::keeps_a_wake_up_that_comes_during_poll(condvar_without_flag::<Job>)
    });
    fails_with(
        verdict,
        &[
            "while `block_on` was still inside `poll`",
            "lost",
            "a flag under the Mutex",
        ],
    );
}

/// Waits for a flag the waker sets, by spinning on it.
fn spins_on_a_flag<F: Future>(future: F) -> F::Output {
    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(Arc::clone(&flag));
    let mut future = pin!(future);
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        while !flag.0.swap(false, Ordering::SeqCst) {
            std::hint::spin_loop();
        }
    }
}

#[test]
fn spinning_on_a_flag_burns_the_cpu() {
    if course::cpu::thread_cpu_time().is_none() {
        return; // nothing to measure it with on this platform
    }
    fails_with(
        ex15::parks_while_waiting(spins_on_a_flag::<Job>),
        &[
            "polled the future only twice",
            "ms of CPU",
            "waits by spinning",
        ],
    );
    passes(ex15::keeps_a_wake_up_that_comes_during_poll(
        spins_on_a_flag::<Job>,
    ));
}

#[test]
fn todo_is_not_started() {
    fn todo<F: Future>(_future: F) -> F::Output {
        todo!()
    }
    fails_with(
        ex15::returns_the_futures_output(todo::<Job>),
        &["`block_on` is still `todo!()`"],
    );
}

// ---- correct approaches ----------------------------------------------------

/// The solution: unpark and park.
fn park<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = unparker();
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

#[test]
fn park_and_unpark_pass() {
    all_pass(park::<Job>);
}

/// A flag under a Mutex and a Condvar: the waker sets the flag.
fn condvar<F: Future>(future: F) -> F::Output {
    struct Signal {
        woken: Mutex<bool>,
        cond: Condvar,
    }
    impl Wake for Signal {
        fn wake(self: Arc<Self>) {
            *self.woken.lock().unwrap() = true;
            self.cond.notify_one();
        }
    }
    let signal = Arc::new(Signal {
        woken: Mutex::new(false),
        cond: Condvar::new(),
    });
    let waker = Waker::from(Arc::clone(&signal));
    let mut future = pin!(future);
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let woken = signal.woken.lock().unwrap();
        let mut woken = signal.cond.wait_while(woken, |w| !*w).unwrap();
        *woken = false;
    }
}

#[test]
fn a_condvar_with_a_flag_passes() {
    all_pass(condvar::<Job>);
}

/// A channel: the waker sends, `block_on` receives.
fn channel<F: Future>(future: F) -> F::Output {
    struct Send(Mutex<mpsc::Sender<()>>);
    impl Wake for Send {
        fn wake(self: Arc<Self>) {
            let _ = self.0.lock().unwrap().send(());
        }
    }
    let (tx, rx) = mpsc::channel();
    let waker = Waker::from(Arc::new(Send(Mutex::new(tx))));
    let mut future = pin!(future);
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let _ = rx.recv();
        // Several wake-ups since the last poll need one more poll only.
        while rx.try_recv().is_ok() {}
    }
}

#[test]
fn a_channel_passes() {
    all_pass(channel::<Job>);
}

/// A flag and `park`: park until the flag is set (a spurious return
/// parks again).
fn flag_and_park<F: Future>(future: F) -> F::Output {
    struct Woken(AtomicBool, Thread);
    impl Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
            self.1.unpark();
        }
    }
    let woken = Arc::new(Woken(AtomicBool::new(false), thread::current()));
    let waker = Waker::from(Arc::clone(&woken));
    let mut future = pin!(future);
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        while !woken.0.swap(false, Ordering::SeqCst) {
            thread::park();
        }
    }
}

#[test]
fn a_flag_and_park_pass() {
    all_pass(flag_and_park::<Job>);
}

fn futures_block_on<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

fn tokio_block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime builds")
        .block_on(future)
}

#[test]
fn the_libraries_block_ons_pass() {
    all_pass(futures_block_on::<Job>);
    all_pass(tokio_block_on::<Job>);
}

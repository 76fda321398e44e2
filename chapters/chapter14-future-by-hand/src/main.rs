//! Chapter 14: a future by hand.
//!
//! `Delay` implements `Future` with a timer thread and a waker; two
//! broken versions show what each part is for: one never wakes its task
//! (it hangs), one wakes it on every poll (it burns a core). Every future
//! runs inside `Counted`, which counts polls and wake-ups.
//!
//! ```text
//! cargo run -p chapter14
//! cargo run -p chapter14 -- --delay-ms 1000
//! ```

// ANCHOR: all
mod args;

use chapter14::{
    BusyDelay, Counted, Delay, ForgetfulDelay, Stats, TwoDelays, two_delays,
};
use course::cpu::CpuClock;
use log::info;
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// One thread polls everything, so the CPU time of this thread is the CPU
// time the futures cost.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: args::Args = course::args::chapter_args(
        "chapter14",
        "A future by hand: a delay that wakes its task, one that never \
         does, one that always does",
    );
    course::init_logging();
    course::finish(app(args.delay(), args.give_up()).await)
}

/// What one future did: its name, how long it took, its counts.
struct Row {
    name: &'static str,
    took: Duration,
    polls: u64,
    wakes: u64,
    cpu: Option<Duration>,
    outcome: &'static str,
}

async fn app(delay: Duration, give_up: Duration) -> course::Result<()> {
    let ms = delay.as_millis();
    let mut rows = Vec::new();

    // ANCHOR: run_delay
    info!("awaiting Delay::new({ms} ms)");
    let row = measure("Delay", || Delay::new(delay)).await;
    report(&row);
    rows.push(row);
    // ANCHOR_END: run_delay

    // ANCHOR: run_forgetful
    // It would hang this program for good if we awaited it. Spawned as a
    // task of its own, it gets polled once; we look at it `give_up` after
    // its deadline, whatever the delay, so "still pending" is a finding.
    info!(
        "spawning ForgetfulDelay::new({ms} ms), to look {} ms past due",
        give_up.as_millis()
    );
    let started = Instant::now();
    let forgetful = Counted::new(ForgetfulDelay::new(delay));
    let stats = forgetful.stats();
    let task = tokio::spawn(forgetful);
    tokio::time::sleep(delay + give_up).await;
    let (polls, wakes) = (stats.polls(), stats.wakes());
    let finished = task.is_finished();
    // Its deadline has passed, but nothing will ever poll it again.
    task.abort();
    let past = started.elapsed().saturating_sub(delay).as_millis();
    let verdict = if finished { "ready" } else { "still pending" };
    info!(
        "ForgetfulDelay, {past} ms past due: {verdict}, \
         polls {polls}, wakes {wakes}"
    );
    rows.push(Row {
        name: "ForgetfulDelay",
        took: started.elapsed(),
        polls,
        wakes,
        cpu: None,
        outcome: verdict,
    });
    // ANCHOR_END: run_forgetful

    // ANCHOR: run_busy
    info!("awaiting BusyDelay::new({ms} ms)");
    let row = measure("BusyDelay", || BusyDelay::new(delay)).await;
    report(&row);
    rows.push(row);
    // ANCHOR_END: run_busy

    // ANCHOR: run_state_machine
    let half = delay / 2;
    info!(
        "awaiting two_delays({} ms, {} ms), an async fn",
        half.as_millis(),
        half.as_millis()
    );
    let row = measure("two_delays", || two_delays(half, half)).await;
    report(&row);
    rows.push(row);
    info!("awaiting TwoDelays, the same written out by hand");
    let by_hand = TwoDelays::Start {
        first: half,
        second: half,
    };
    let row = measure("TwoDelays", || by_hand).await;
    report(&row);
    rows.push(row);
    // ANCHOR_END: run_state_machine

    summary(&rows);
    Ok(())
}

// ANCHOR: measure
/// Makes the future with `make` and awaits it inside `Counted`, timing it
/// from its making (a delay counts from when it is made) and measuring the
/// CPU time of this thread meanwhile.
async fn measure<F: Future>(
    name: &'static str,
    make: impl FnOnce() -> F,
) -> Row {
    let (started, cpu) = (Instant::now(), CpuClock::start());
    let counted = Counted::new(make());
    let stats: std::sync::Arc<Stats> = counted.stats();
    counted.await;
    Row {
        name,
        took: started.elapsed(),
        polls: stats.polls(),
        wakes: stats.wakes(),
        cpu: cpu.used(),
        outcome: "ready",
    }
}
// ANCHOR_END: measure

fn report(row: &Row) {
    info!(
        "{} ready: {} ms, polls {}, wakes {}, CPU {}",
        row.name,
        row.took.as_millis(),
        row.polls,
        row.wakes,
        cpu_ms(row.cpu)
    );
}

/// "3.4 ms", or "-" where CPU time cannot be measured.
fn cpu_ms(cpu: Option<Duration>) -> String {
    match cpu {
        Some(cpu) => format!("{:.1} ms", cpu.as_secs_f64() * 1000.0),
        None => String::from("-"),
    }
}

/// The table at the end, within 80 columns.
fn summary(rows: &[Row]) {
    println!();
    println!("Summary (one thread polled everything):");
    println!(
        "  {:<15} {:>11} {:>9} {:>9} {:>9}  outcome",
        "future", "wall ms", "polls", "wakes", "CPU ms"
    );
    for row in rows {
        println!(
            "  {:<15} {:>11} {:>9} {:>9} {:>9}  {}",
            row.name,
            row.took.as_millis(),
            row.polls,
            row.wakes,
            cpu_ms(row.cpu).trim_end_matches(" ms"),
            row.outcome
        );
    }
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
}
// ANCHOR_END: all

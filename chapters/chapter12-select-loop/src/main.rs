//! Chapter 12: `select!` in a loop, and cancellation safety.
//!
//! Chapter 9 raced one request against a deadline with `select!`, once. A
//! long-running task does it in a loop: on every turn it waits for
//! whichever comes first of a message on a channel, a timer and a request.
//! Every turn, `select!` drops the futures of the branches that lost. This
//! chapter measures what that does to a request made anew on every turn
//! (the server sees it restart), to one pinned once and resumed (one
//! request), and to a branch that is not cancel safe (items lost), then
//! fixes it.
//!
//! ```text
//! cargo run -p chapter12                        # the tour
//! cargo run -p chapter12 -- --mode restarted --delay-ms 500
//! cargo run -p chapter12 -- --mode lossy --items 1000
//! ```

// ANCHOR: all
use anyhow::Context as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval, sleep};

mod args;
mod drive;
mod preconditions;

use args::{Chapter12Args, Mode};
use drive::{Framed, Looped, Relayed};

/// The relay's ticker: often, so that it cancels the other branch often.
const TICK: Duration = Duration::from_millis(5);

/// How many frames the frame readers read.
const FRAMES: u64 = 20;

/// The slow channel of the merges: this many items, one every
/// `MERGE_EVERY`.
const MERGE_ITEMS: u64 = 10;
const MERGE_EVERY: Duration = Duration::from_millis(20);

#[tokio::main]
async fn main() -> ExitCode {
    let args: Chapter12Args = course::args::chapter_args(
        "chapter12",
        "select! in a loop: a request restarted or resumed, and a branch \
         that loses data when cancelled",
    );
    course::init_logging();
    course::finish(app(args).await)
}

async fn app(args: Chapter12Args) -> course::Result<()> {
    let server = course::Server::start().await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client")?;
    let delay = args.delay();
    let mut looped = Vec::new();
    let mut relayed = Vec::new();
    if matches!(args.mode, Mode::Tour | Mode::Restarted) {
        let run = drive::request_loop(&server, &client, delay, "restarted");
        looped.push(run.go(restarted).await?);
    }
    if matches!(args.mode, Mode::Tour | Mode::Pinned) {
        let run = drive::request_loop(&server, &client, delay, "pinned");
        looped.push(run.go(pinned).await?);
    }
    if matches!(args.mode, Mode::Tour | Mode::Lossy) {
        relayed.push(drive::relay("lossy", args.items(), lossy_relay).await?);
    }
    if matches!(args.mode, Mode::Tour | Mode::Fixed) {
        relayed.push(drive::relay("fixed", args.items(), relay).await?);
    }
    let mut framed = Vec::new();
    if matches!(args.mode, Mode::Tour | Mode::Frames) {
        framed.push(drive::frames("read_exact", FRAMES, frames_exact).await?);
        framed.push(drive::frames("read", FRAMES, frames_buffered).await?);
    }
    let mut merged = Vec::new();
    if matches!(args.mode, Mode::Tour | Mode::Preconditions) {
        merged = preconditions::both(MERGE_ITEMS, MERGE_EVERY).await;
    }
    summary(&looped, &relayed, &framed, &merged);
    Ok(())
}

/// What one turn of the request loop can see.
#[derive(Debug, Default)]
pub struct Seen {
    /// Messages received on the channel.
    pub messages: u32,
    /// When the answer came, if it did.
    pub answered: Option<Duration>,
}

// ANCHOR: restarted
/// Wrong: the request is made inside `select!`, so every turn of the loop
/// makes a new one. When a message wins the turn, `select!` drops the
/// request's future, which cancels it (reqwest closes its connection), and
/// the next turn starts another from scratch. With a message every
/// quarter of the delay, no request ever lives long enough to be answered.
async fn restarted(
    client: &reqwest::Client,
    url: &str,
    mut messages: mpsc::Receiver<u32>,
    patience: Duration,
) -> course::Result<Seen> {
    let started = Instant::now();
    let mut seen = Seen::default();
    // The deadline is made once, outside the loop, and pinned: polling it
    // through `&mut` on every turn resumes the same timer. A
    // `sleep(patience)` written inside `select!` would start again on
    // every turn too, and never fire while messages keep coming.
    let deadline = sleep(patience);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            answer = drive::fetch(client, url) => {
                answer?;
                seen.answered = Some(started.elapsed());
                return Ok(seen);
            }
            // `Some(_)`: once the channel is closed, `recv()` gives `None`,
            // the pattern does not match, and `select!` disables this
            // branch for the turn instead of running it.
            Some(_) = messages.recv() => seen.messages += 1,
            () = &mut deadline => return Ok(seen),
        }
    }
}
// ANCHOR_END: restarted

// ANCHOR: pinned
/// Right: the request is made once, before the loop, and pinned. Each
/// turn polls it through `&mut request`: when a message wins the turn,
/// `select!` drops only the reference, and the request goes on where it
/// was. One request, answered after one delay.
async fn pinned(
    client: &reqwest::Client,
    url: &str,
    mut messages: mpsc::Receiver<u32>,
    patience: Duration,
) -> course::Result<Seen> {
    let started = Instant::now();
    let mut seen = Seen::default();
    let deadline = sleep(patience);
    // `&mut fut` is a future only if `fut` is `Unpin`, and an `async fn`'s
    // future is not: `pin!` fixes it in place, in a local variable of
    // this function, so that polling it through a reference is safe. Same
    // for the `Sleep`. (`std::pin::pin!` does the same.)
    let request = drive::fetch(client, url);
    tokio::pin!(deadline, request);
    loop {
        tokio::select! {
            answer = &mut request => {
                answer?;
                seen.answered = Some(started.elapsed());
                // Done: the loop must not poll a finished future again
                // (it would panic), so it ends here.
                return Ok(seen);
            }
            Some(_) = messages.recv() => seen.messages += 1,
            () = &mut deadline => return Ok(seen),
        }
    }
}
// ANCHOR_END: pinned

// ANCHOR: forward_one
/// Takes one item from `input` and sends it on to `output`; `None` once
/// `input` is closed. It is not cancel safe: after the first `.await` the
/// item lives only inside this future, and if the future is dropped while
/// it waits at the second `.await` (the output is full), the item goes
/// with it.
async fn forward_one(
    input: &mut mpsc::Receiver<u64>,
    output: &mpsc::Sender<u64>,
) -> Option<()> {
    let item = input.recv().await?;
    output.send(item).await.ok()
}
// ANCHOR_END: forward_one

// ANCHOR: lossy_relay
/// Wrong: forwards items and counts ticks, with `forward_one` as a branch.
/// Every tick that comes while `forward_one` waits for room in `output`
/// drops it, and the item it had taken from `input` with it.
async fn lossy_relay(
    mut input: mpsc::Receiver<u64>,
    output: mpsc::Sender<u64>,
) -> u64 {
    let mut ticker = interval(TICK);
    // After a busy moment, one tick, not a burst of the missed ones.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut ticks = 0;
    loop {
        tokio::select! {
            forwarded = forward_one(&mut input, &output) => {
                if forwarded.is_none() {
                    return ticks;
                }
            }
            _ = ticker.tick() => ticks += 1,
        }
    }
}
// ANCHOR_END: lossy_relay

// ANCHOR: relay
/// Right: the branch is `input.recv()`, which is cancel safe ("if `recv`
/// is used as a branch in `tokio::select!` and another branch completes
/// first, it is guaranteed that no messages were received on this
/// channel", say its docs). Sending happens in the handler, and
/// `select!` never cancels a handler: once a branch has won, its code runs
/// to the end before the loop turns again.
async fn relay(
    mut input: mpsc::Receiver<u64>,
    output: mpsc::Sender<u64>,
) -> u64 {
    let mut ticker = interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut ticks = 0;
    loop {
        tokio::select! {
            item = input.recv() => match item {
                Some(item) => {
                    if output.send(item).await.is_err() {
                        return ticks; // nobody reads the output any more
                    }
                }
                // Closed and empty: everything has been forwarded.
                None => return ticks,
            },
            _ = ticker.tick() => ticks += 1,
        }
    }
}
// ANCHOR_END: relay

// ANCHOR: read_frame
/// The largest frame this protocol allows: a length above it means that
/// the reader is out of step with the stream.
const MAX_FRAME: usize = 1024;

/// Reads one frame: a 4-byte length, then that many bytes. Not cancel
/// safe, in either step: of `read_exact` tokio's docs say "some data may
/// already have been read into `buf`", and of `read_u32` (a future of its
/// own, `ReadU32`, that keeps the bytes it has read inside it) "some data
/// may be lost". Dropped half-way, either takes bytes off the stream that
/// no later read will see.
async fn read_frame(
    reader: &mut (impl AsyncRead + Unpin),
) -> std::io::Result<Vec<u8>> {
    let len = reader.read_u32().await? as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other(format!(
            "length {len}: out of step"
        )));
    }
    let mut frame = vec![0; len];
    reader.read_exact(&mut frame).await?;
    Ok(frame)
}

/// Wrong: `read_frame` as a branch. A tick that comes after the length
/// was read and before the body arrives drops the future, and the length
/// with it: the next turn reads the body's first bytes as a length.
async fn frames_exact(
    mut reader: impl AsyncRead + Unpin,
    frames: &mut u64,
) -> std::io::Result<()> {
    let mut ticker = interval(TICK);
    loop {
        tokio::select! {
            frame = read_frame(&mut reader) => match frame {
                Ok(_) => *frames += 1,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(()); // the writer is done
                }
                Err(e) => return Err(e),
            },
            _ = ticker.tick() => {}
        }
    }
}
// ANCHOR_END: read_frame

// ANCHOR: frames_buffered
/// Right: the branch is `read`, which is cancel safe ("if you use it as a
/// branch in `tokio::select!` and another branch completes first, then it
/// is guaranteed that no data was read"). What it reads goes into a buffer
/// that belongs to the loop, so it survives every turn; whole frames are
/// taken out of the buffer in the handler.
async fn frames_buffered(
    mut reader: impl AsyncRead + Unpin,
    frames: &mut u64,
) -> std::io::Result<()> {
    let mut ticker = interval(TICK);
    let (mut buffer, mut chunk) = (Vec::new(), [0; 256]);
    loop {
        tokio::select! {
            read = reader.read(&mut chunk) => {
                let n = read?;
                if n == 0 {
                    return Ok(()); // the writer is done
                }
                buffer.extend_from_slice(&chunk[..n]);
                while drive::take_frame(&mut buffer, MAX_FRAME)?.is_some() {
                    *frames += 1;
                }
            }
            _ = ticker.tick() => {}
        }
    }
}
// ANCHOR_END: frames_buffered

/// The numbers of the run, one line each.
fn summary(
    looped: &[Looped],
    relayed: &[Relayed],
    framed: &[Framed],
    merged: &[preconditions::Merged],
) {
    println!();
    println!("Summary:");
    for run in looped {
        println!("  {}", run.line());
    }
    for run in relayed {
        println!("  {}", run.line());
    }
    for run in framed {
        println!("  {}", run.line());
    }
    for run in merged {
        println!("  {}", run.line());
    }
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
}
// ANCHOR_END: all

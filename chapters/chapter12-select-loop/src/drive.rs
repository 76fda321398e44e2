//! What the lessons run in: the request loop's server, URL and messages,
//! the relay's producer and slow consumer, and the numbers each run
//! prints. The loops themselves are in `main.rs`.

use crate::Seen;
use anyhow::Context as _;
use log::info;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};

/// How many request futures have been polled so far: each one is a
/// request made (the server may not see one that is dropped before it
/// has even connected).
static MADE: AtomicUsize = AtomicUsize::new(0);

/// One GET, its body read to the end; an error status is an error.
pub async fn fetch(client: &reqwest::Client, url: &str) -> course::Result<()> {
    MADE.fetch_add(1, Ordering::Relaxed);
    course::fetch(client, url).await?;
    Ok(())
}

/// A request loop about to run: its URL (one path per loop, so that the
/// server's record tells the loops apart) and its timings.
pub struct RequestLoop<'a> {
    server: &'a course::Server,
    client: &'a reqwest::Client,
    name: &'static str,
    url: String,
    delay: Duration,
}

/// The request loop's setting: the server answers after `delay`; a message
/// comes every quarter of it; the loop gives up after four times it.
pub fn request_loop<'a>(
    server: &'a course::Server,
    client: &'a reqwest::Client,
    delay: Duration,
    name: &'static str,
) -> RequestLoop<'a> {
    let url = server.delay_url_to(delay.as_millis() as u64, name);
    RequestLoop {
        server,
        client,
        name,
        url,
        delay,
    }
}

/// How a request loop went.
#[derive(Debug)]
pub struct Looped {
    name: &'static str,
    seen: Seen,
    patience: Duration,
    /// Request futures the loop made and polled.
    made: usize,
    /// Requests the server saw for the loop's URL (`None`: a standalone
    /// server, which keeps no record this program can read).
    sent: Option<usize>,
}

impl RequestLoop<'_> {
    /// Runs `the_loop` with a channel that gets a message every quarter of
    /// the delay, and reports what the server saw.
    pub async fn go(
        self,
        the_loop: impl AsyncFn(
            &reqwest::Client,
            &str,
            mpsc::Receiver<u32>,
            Duration,
        ) -> course::Result<Seen>,
    ) -> course::Result<Looped> {
        let (name, delay) = (self.name, self.delay);
        let (every, patience) = (delay / 4, delay * 4);
        info!(
            "{name}: {} ms request, message every {} ms, deadline {} ms",
            delay.as_millis(),
            every.as_millis(),
            patience.as_millis()
        );
        let (tx, messages) = mpsc::channel(16);
        let messenger = tokio::spawn(async move {
            let mut ticker = interval(every);
            ticker.tick().await; // the first tick is at once
            for n in 0..100_000 {
                ticker.tick().await;
                // The loop has returned and dropped its receiver: stop.
                if tx.send(n).await.is_err() {
                    break;
                }
            }
        });
        let before = MADE.load(Ordering::Relaxed);
        let seen = the_loop(self.client, &self.url, messages, patience).await;
        let made = MADE.load(Ordering::Relaxed) - before;
        messenger.abort();
        let seen = seen?;
        let path = self.url.trim_start_matches(self.server.base_url());
        let sent = self
            .server
            .requests()
            .map(|records| records.iter().filter(|r| r.path == path).count());
        let looped = Looped {
            name,
            seen,
            patience,
            made,
            sent,
        };
        info!("{name}: {}", looped.outcome());
        match sent {
            Some(sent) => {
                info!("{name}: {} made, the server saw {sent}", requests(made))
            }
            None => info!("{name}: {} made", requests(made)),
        }
        Ok(looped)
    }
}

/// What each run is, for the summary.
fn label(name: &str) -> &str {
    match name {
        "restarted" => "request made anew every turn",
        "pinned" => "request pinned once, resumed",
        "lossy" => "relay, forward_one as a branch",
        "fixed" => "relay, recv() as a branch",
        other => other,
    }
}

/// "1 request", "17 requests".
fn requests(n: usize) -> String {
    match n {
        1 => String::from("1 request"),
        n => format!("{n} requests"),
    }
}

impl Looped {
    fn outcome(&self) -> String {
        let messages = self.seen.messages;
        match self.seen.answered {
            Some(took) => format!(
                "answered after {:.3} s, {messages} messages meanwhile",
                took.as_secs_f64()
            ),
            None => format!(
                "no answer within {:.3} s, {messages} messages meanwhile",
                self.patience.as_secs_f64()
            ),
        }
    }

    /// The summary's line.
    pub fn line(&self) -> String {
        let sent = self.sent.map_or(String::new(), |n| format!(" ({n} seen)"));
        let answer = match self.seen.answered {
            Some(took) => format!("answered after {:.3} s", took.as_secs_f64()),
            None => String::from("never answered"),
        };
        let made = requests(self.made);
        format!("{}: {made}{sent}, {answer}", label(self.name))
    }
}

/// How a relay went.
#[derive(Debug)]
pub struct Relayed {
    name: &'static str,
    sent: u64,
    received: usize,
    lost: Vec<u64>,
}

impl Relayed {
    /// The summary's line.
    pub fn line(&self) -> String {
        format!(
            "{}: {} sent, {} received, {} lost",
            label(self.name),
            self.sent,
            self.received,
            self.lost.len()
        )
    }
}

/// Runs `relay` between a producer that sends `items` numbers as fast as
/// the input channel takes them and a slow consumer, which reads one item
/// per millisecond or so: the relay often waits for room in the output,
/// and its ticker often fires meanwhile.
pub async fn relay<Fut>(
    name: &'static str,
    items: u64,
    relay: impl FnOnce(mpsc::Receiver<u64>, mpsc::Sender<u64>) -> Fut,
) -> course::Result<Relayed>
where
    Fut: Future<Output = u64>,
{
    info!(
        "{name}: relaying {items} items to a slow reader, a tick every {} ms",
        crate::TICK.as_millis()
    );
    let (to_relay, input) = mpsc::channel(8);
    let (output, mut from_relay) = mpsc::channel(1);
    let producer = tokio::spawn(async move {
        for item in 0..items {
            if to_relay.send(item).await.is_err() {
                break;
            }
        }
    });
    let consumer = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut pause = interval(Duration::from_millis(1));
        pause.set_missed_tick_behavior(MissedTickBehavior::Delay);
        while let Some(item) = from_relay.recv().await {
            got.push(item);
            pause.tick().await;
        }
        got
    });
    let started = Instant::now();
    let ticks = relay(input, output).await;
    let took = started.elapsed();
    let got = consumer.await.context("the consumer task failed")?;
    producer.await.context("the producer task failed")?;
    let received: std::collections::HashSet<u64> =
        got.iter().copied().collect();
    let lost: Vec<u64> =
        (0..items).filter(|item| !received.contains(item)).collect();
    info!(
        "{name}: {items} sent, {} received, {} lost, {ticks} ticks in {} ms",
        got.len(),
        lost.len(),
        took.as_millis()
    );
    if !lost.is_empty() {
        let shown: Vec<String> =
            lost.iter().take(5).map(u64::to_string).collect();
        info!("{name}: lost items {}, ...", shown.join(", "));
    }
    Ok(Relayed {
        name,
        sent: items,
        received: got.len(),
        lost,
    })
}

/// Takes one whole frame (a 4-byte big-endian length, then the bytes) off
/// the front of `buffer`, if it holds one; an error if the length is above
/// `max`.
pub fn take_frame(
    buffer: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let Some(head) = buffer.first_chunk::<4>() else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(*head) as usize;
    if len > max {
        return Err(std::io::Error::other(format!(
            "length {len}: out of step"
        )));
    }
    if buffer.len() < 4 + len {
        return Ok(None);
    }
    let frame = buffer[4..4 + len].to_vec();
    buffer.drain(..4 + len);
    Ok(Some(frame))
}

/// How a frame reader went.
#[derive(Debug)]
pub struct Framed {
    name: &'static str,
    sent: u64,
    /// Frames read before the end, or before the reader fell out of step.
    read: u64,
    /// The error that stopped the reader, if one did.
    error: Option<String>,
}

impl Framed {
    /// The summary's line.
    pub fn line(&self) -> String {
        let how = match &self.error {
            None => String::from("all of them"),
            Some(_) => String::from("then out of step"),
        };
        format!(
            "frames with {}: {} sent, {} read, {how}",
            self.name, self.sent, self.read
        )
    }
}

/// Runs `reader` on one end of an in-memory pipe (`tokio::io::duplex`)
/// while a task writes `count` frames into the other: each frame's length,
/// then a pause of about a millisecond, then its bytes, as a network
/// delivers a frame in pieces. A reader that is cancelled in the pause has
/// read the length and not the bytes.
pub async fn frames(
    name: &'static str,
    count: u64,
    reader: impl AsyncFnOnce(
        tokio::io::DuplexStream,
        &mut u64,
    ) -> std::io::Result<()>,
) -> course::Result<Framed> {
    use tokio::io::AsyncWriteExt as _;
    info!("{name}: reading {count} frames, a tick every 5 ms");
    let (mut writer, read_end) = tokio::io::duplex(256);
    let task = tokio::spawn(async move {
        for n in 0..count {
            let frame = format!("frame {n}");
            let len = (frame.len() as u32).to_be_bytes();
            // The reader has gone (out of step): stop.
            if writer.write_all(&len).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
            if writer.write_all(frame.as_bytes()).await.is_err() {
                break;
            }
        }
        // Dropping the writer ends the stream: the reader sees its end.
    });
    let mut read = 0;
    let outcome = reader(read_end, &mut read).await;
    task.await.context("the writer task failed")?;
    let error = outcome.err().map(|e| e.to_string());
    match &error {
        None => info!("{name}: {read} of {count} frames read"),
        Some(e) => info!("{name}: {read} of {count} read, then {e}"),
    }
    Ok(Framed {
        name,
        sent: count,
        read,
        error,
    })
}

//! What the lessons run in: the request loop's server, URL and messages,
//! the relay's producer and slow consumer, and the numbers each run
//! prints. The loops themselves are in `main.rs`.

use crate::Seen;
use anyhow::Context as _;
use log::info;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};

/// One GET, its body read to the end; an error status is an error.
pub async fn fetch(client: &reqwest::Client, url: &str) -> course::Result<()> {
    let get = async {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await
    };
    get.await.with_context(|| format!("GET {url}"))?;
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
        let seen = the_loop(self.client, &self.url, messages, patience).await;
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
            sent,
        };
        info!("{name}: {}", looped.outcome());
        if let Some(sent) = sent {
            info!("{name}: the server saw {}", requests(sent));
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
        let sent = self
            .sent
            .map_or(String::from("requests not counted"), requests);
        let answer = match self.seen.answered {
            Some(took) => format!("answered after {:.3} s", took.as_secs_f64()),
            None => String::from("never answered"),
        };
        format!("{}: the server saw {sent}, {answer}", label(self.name))
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

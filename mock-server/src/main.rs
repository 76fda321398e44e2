//! The delay server on its own: `cargo run -p mock-server`.
//!
//! Serves on 127.0.0.1:3000 until Ctrl-C and logs one line per request
//! (at most 20 a second; the rest are counted).
//! Point the chapters at it with `DELAY_SERVER_URL=http://127.0.0.1:3000`.

use clap::Parser;
use mock_server::DelayServer;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// A local delay server, compatible with the late Slowwly:
/// GET /delay/{ms} and GET /delay/{ms}/url/{anything} answer 200 after {ms} ms.
#[derive(Parser, Debug)]
#[command(name = "mock-server", version, max_term_width = 80)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Address to listen on. Anything but loopback needs --allow-remote.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Allow a non-loopback --bind address: other machines can then reach
    /// the server.
    #[arg(long)]
    allow_remote: bool,
    /// Threads accepting and serving connections (each with its own accept
    /// loop and runtime).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    workers: u16,
    /// Do not log one line per request (by default the first 20 of each
    /// second are logged, and the rest counted).
    #[arg(long, short)]
    quiet: bool,
    /// Close a connection whose request head has not fully arrived this
    /// long after its first byte, in ms (0: no limit). Stops slow clients
    /// from holding connections for ever.
    #[arg(long, value_name = "MS", default_value_t = ms(mock_server::DEFAULT_HEADER_TIMEOUT))]
    header_timeout_ms: u64,
    /// Close a connection idle for this long (no request being answered,
    /// none begun), in ms (0: no limit).
    #[arg(long, value_name = "MS", default_value_t = ms(mock_server::DEFAULT_IDLE_TIMEOUT))]
    idle_timeout_ms: u64,
    /// How many body bytes may be promised to clients at once; a request
    /// past it gets 503 at once (unless nothing else is in flight).
    #[arg(long, value_name = "BYTES", default_value_t = mock_server::DEFAULT_MAX_BYTES_IN_FLIGHT)]
    max_bytes_in_flight: usize,
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// `Some(ms)`, or `None` for 0 (no limit).
fn limit(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| writeln!(buf, "[{}] {}", record.level(), record.args()))
        .init();

    if !args.bind.is_loopback() {
        if !args.allow_remote {
            eprintln!(
                "error: --bind {} is not a loopback address: other machines could reach the server. \
                 Add --allow-remote if you mean it.",
                args.bind
            );
            return ExitCode::from(2);
        }
        log::warn!(
            "listening on {}: any machine that can reach this address can use the server",
            args.bind
        );
    }

    // Each connection is a file descriptor: with a soft limit of 1,024 (a
    // common default) a burst of 2,000 requests cannot be accepted. Raise
    // it to the hard limit, as chapter 9 does.
    let soft_before = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .ok()
        .map(|(soft, _)| soft);
    let soft_now = rlimit::increase_nofile_limit(u64::MAX).ok();

    let addr = SocketAddr::new(args.bind, args.port);
    let server = match DelayServer::builder()
        .addr(addr)
        .workers(usize::from(args.workers))
        // A server that runs all day keeps no records: memory stays flat.
        .record_limit(0)
        .log_requests(!args.quiet)
        .header_timeout(limit(args.header_timeout_ms))
        .idle_timeout(limit(args.idle_timeout_ms))
        .max_bytes_in_flight(args.max_bytes_in_flight)
        .start()
        .await
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };

    // Install the Ctrl-C handler before announcing the address: a script
    // that reads the address and at once sends SIGINT must not kill the
    // process with the default action. The first poll installs it.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let early = tokio::select! {
        biased;
        result = &mut ctrl_c => Some(result),
        () = std::future::ready(()) => None,
    };

    if let (Some(before), Some(now)) = (soft_before, soft_now)
        && now > before
    {
        log::info!("open files: soft limit raised from {before} to {now} (the hard limit)");
    }

    let base = server.base_url();
    println!("Delay server listening on {base}");
    println!("Try:");
    println!(
        "  curl -s -o /dev/null -w '%{{http_code}} %{{time_total}}\\n' {base}/delay/300/url/http://www.google.co.uk"
    );
    println!("  curl -s '{base}/delay/1000?bytes=64'");
    println!("Use it from the chapters: DELAY_SERVER_URL={base} cargo run -p chapter5");
    println!("Press Ctrl-C to stop.");

    let signalled = match early {
        Some(result) => result,
        None => ctrl_c.await,
    };
    if let Err(e) = signalled {
        eprintln!("error: cannot listen for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    log::info!(
        "Ctrl-C: shutting down after {} requests",
        server.total_requests()
    );
    server.shutdown();
    ExitCode::SUCCESS
}

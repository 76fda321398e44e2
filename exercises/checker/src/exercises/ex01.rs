//! Exercise 1: start a runtime from plain code and block on a future.
//!
//! `fn fetch_blocking(url: &str) -> anyhow::Result<String>`: a plain
//! function (not async) that fetches `url` by starting a tokio runtime and
//! blocking on an async request.

use crate::shared::lab::Lab;
use crate::shared::{Diagnosis, Verdict};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &["returns_the_body", "returns_an_error_for_a_dead_server"];

/// `fetch_blocking(url)` returns the body the server sent, called from a
/// plain thread with no runtime around it.
pub fn returns_the_body(
    fetch_blocking: impl Fn(&str) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let target = lab.target(50, "only");
    let url = target.url.clone();
    let (body, meta) = lab
        .run_sync("fetch_blocking", move || fetch_blocking(&url))?
        .ok()?;
    crate::shared::judge::bodies_returned(&lab, &meta, &[body], &[target])
}

/// A server that is not there gives `Err`, not a panic: `block_on` hands
/// back the future's `Result`, to pass on.
pub fn returns_an_error_for_a_dead_server(
    fetch_blocking: impl Fn(&str) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    // A port nobody listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Diagnosis::new(format!("the checker could not find a free port: {e}")))?;
    let url = format!("http://127.0.0.1:{port}/delay/10");
    let shown = url.clone();
    let ran = lab.run_sync("fetch_blocking", move || fetch_blocking(&url));
    match ran {
        Ok(ran) => match ran.value {
            Err(_) => Ok(()),
            Ok(body) => Err(Diagnosis::new(format!(
                "`fetch_blocking` returned Ok ({} bytes) for {shown}, where nothing listens: \
                 return the request's error (`block_on` gives you the future's `Result`).",
                body.len()
            ))),
        },
        // A panic about the runtime itself says all there is to say.
        Err(d) if d.is_not_started() || crate::shared::explain::is_runtime_misuse(&d) => Err(d),
        // Any other panic here is the request's error, unwrapped.
        Err(d) => Err(d.push(
            "For a server that is not there, return the error instead: `block_on` gives you \
             the future's `Result`, and `?` passes it on.",
        )),
    }
}

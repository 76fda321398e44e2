//! Exercise 7: fetch and analyse, then gather with `join_all`.
//!
//! `async fn ones_and_zeros(client: &reqwest::Client, urls: &[String]) ->
//! anyhow::Result<(u64, u64)>` fetches every URL concurrently, counts the
//! one bits and zero bits of each body (on the blocking pool) and returns
//! the totals.

use crate::lab::{Lab, Target, urls};
use crate::{Diagnosis, Verdict, judge};
use reqwest::Client;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "counts_the_bits_of_every_body",
    "requests_run_concurrently",
    "reports_a_failed_request",
];

/// The totals, counted here over the bodies the server sent.
fn expected(targets: &[Target]) -> (u64, u64) {
    targets.iter().fold((0, 0), |(ones, zeros), t| {
        let o: u64 = t.body().bytes().map(|b| u64::from(b.count_ones())).sum();
        (ones + o, zeros + 8 * t.bytes as u64 - o)
    })
}

fn judge_totals(got: (u64, u64), targets: &[Target], meta: &crate::lab::Meta) -> Verdict {
    let want = expected(targets);
    if got == want {
        return Ok(());
    }
    let (bits, want_bits) = (got.0 + got.1, want.0 + want.1);
    let bytes: u64 = targets.iter().map(|t| t.bytes as u64).sum();
    let text = if got == (want.1, want.0) {
        String::from("ones and zeros are swapped: return (ones, zeros).")
    } else if bits == bytes {
        format!(
            "ones + zeros = {bits}, the number of bytes, not bits: count the bits of each byte \
             (`count_bits` does)."
        )
    } else if bits < want_bits {
        format!(
            "the totals cover {bits} bits, but the {} bodies hold {want_bits}: some bodies were \
             not counted. Did you `.await` every JoinHandle (and add up every result) before \
             returning?",
            targets.len()
        )
    } else if bits > want_bits {
        format!(
            "the totals cover {bits} bits, but the {} bodies hold only {want_bits}: some bodies \
             were counted twice.",
            targets.len()
        )
    } else {
        format!(
            "the totals ({}, {}) have the right number of bits but not the server's \
             ({}, {}): count the bodies exactly as they came (a hard-coded answer cannot pass: \
             the server invents new bodies in every run).",
            got.0, got.1, want.0, want.1
        )
    };
    Err(Diagnosis::new(format!(
        "{text}{}",
        judge::panic_note(&meta.panics)
    )))
}

/// The totals equal the bits of the bodies the server sent.
pub fn counts_the_bits_of_every_body(
    ones_and_zeros: impl AsyncFn(&Client, &[String]) -> anyhow::Result<(u64, u64)> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(6, 50);
    let (client, list) = (lab.client(), urls(&targets));
    let (got, meta) = lab
        .run_async("ones_and_zeros", move || async move {
            ones_and_zeros(&client, &list).await
        })?
        .ok()?;
    judge_totals(got, &targets, &meta)
}

/// The requests overlap at the server.
pub fn requests_run_concurrently(
    ones_and_zeros: impl AsyncFn(&Client, &[String]) -> anyhow::Result<(u64, u64)> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(10, 100);
    let (client, list) = (lab.client(), urls(&targets));
    let (got, meta) = lab
        .run_async("ones_and_zeros", move || async move {
            ones_and_zeros(&client, &list).await
        })?
        .ok()?;
    judge::overlapped(&lab, &meta, &targets)?;
    judge_totals(got, &targets, &meta)
}

/// A URL that answers `404` makes `ones_and_zeros` return `Err`.
pub fn reports_a_failed_request(
    ones_and_zeros: impl AsyncFn(&Client, &[String]) -> anyhow::Result<(u64, u64)> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let missing = lab.missing_url();
    let mut list = urls(&lab.targets(3, 50));
    list.insert(2, missing.clone());
    let client = lab.client();
    let ran = lab.run_async("ones_and_zeros", move || async move {
        ones_and_zeros(&client, &list).await
    })?;
    judge::reported_failure("ones_and_zeros", ran.ok(), &missing)
}

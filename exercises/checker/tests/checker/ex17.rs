//! Exercise 17, `fetch_all(client, urls)`: spans that tell interleaved
//! requests apart. Every learner below keeps `fetch`'s three events (here
//! `logged`, the starter's `fetch`) and adds spans, rightly or wrongly.

use crate::{fails_with, passes};
use anyhow::Context;
use checker::ex17;
use futures::future::{join_all, try_join_all};
use reqwest::Client;
use tracing::{Instrument, Span, debug_span, info, info_span};
use tracing_attributes::instrument;

/// The starter's `fetch`: three events, no span.
async fn logged(client: &Client, url: &str) -> anyhow::Result<String> {
    info!("sending");
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    info!(status = response.status().as_u16(), "got headers");
    let body = response.text().await?;
    info!(bytes = body.len(), "got body");
    Ok(body)
}

/// Spawns `logged` for each URL, each task's future made by `wrap`, and
/// awaits the handles in order.
async fn spawn_each<F>(
    client: &Client,
    urls: &[String],
    wrap: impl Fn(usize, Client, String) -> F,
) -> anyhow::Result<Vec<String>>
where
    F: Future<Output = anyhow::Result<String>> + Send + 'static,
{
    let handles: Vec<_> = (0..)
        .zip(urls)
        .map(|(i, u)| tokio::spawn(wrap(i, client.clone(), u.clone())))
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}

// ---- mistakes --------------------------------------------------------------

#[test]
fn no_spans_leave_the_lines_anonymous() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            try_join_all(urls.iter().map(|u| logged(c, u))).await
        }),
        &[
            "24 of the 24 events of your 8 requests carry no span",
            "cannot be told apart",
            "`#[instrument]` on `fetch`",
        ],
    );
}

#[instrument(skip(client))]
async fn batch_instrumented(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    try_join_all(urls.iter().map(|u| logged(client, u))).await
}

#[test]
fn one_span_around_the_batch_names_no_request() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            batch_instrumented(c, urls).await
        }),
        &[
            "all 8 requests' events carry one span, `batch_instrumented{urls=",
            "it covers the whole batch",
        ],
    );
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let batch = info_span!("batch", count = urls.len());
            try_join_all(urls.iter().map(|u| logged(c, u)))
                .instrument(batch)
                .await
        }),
        &["all 8 requests' events carry one span, `batch{count=8}`"],
    );
}

/// `span.enter()` held across the `.await`s of the request.
async fn entered_across_await(client: &Client, url: &str) -> anyhow::Result<String> {
    let span = info_span!("request", %url);
    let _entered = span.enter();
    logged(client, url).await
}

#[test]
fn a_span_entered_across_await_labels_other_requests() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            try_join_all(urls.iter().map(|u| entered_across_await(c, u))).await
        }),
        &[
            "URL carries the span `request{url=",
            "which names another request",
            "Did you hold `span.enter()` across an `.await`?",
        ],
    );
    // `entered()` (the guard owns the span) is the same mistake.
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let each = urls.iter().enumerate().map(|(id, u)| async move {
                let _span = info_span!("request", id).entered();
                logged(c, u).await
            });
            try_join_all(each).await
        }),
        &["which names another request", "`span.enter()`"],
    );
    // Spawned: it compiles (the `Entered` guard is `Send`) and goes just
    // as wrong, the tasks taking turns on the check's one thread.
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            spawn_each(c, urls, |_, c, u| async move {
                let span = info_span!("request", url = %u);
                let _entered = span.enter();
                logged(&c, &u).await
            })
            .await
        }),
        &["which names another request", "`span.enter()`"],
    );
}

#[test]
fn a_span_created_and_never_entered_covers_nothing() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let each = urls.iter().map(|u| {
                let _span = info_span!("request", url = %u);
                logged(c, u)
            });
            try_join_all(each).await
        }),
        &[
            "you created 8 spans but never entered one",
            "A span applies only while it is entered",
        ],
    );
}

#[test]
fn a_span_around_creating_the_future_misses_its_polls() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let each = urls
                .iter()
                .map(|u| info_span!("request", url = %u).in_scope(|| logged(c, u)));
            try_join_all(each).await
        }),
        &[
            "24 of the 24 events carry no span, although your 8 spans were entered 8 times",
            "only creates the future inside the span",
        ],
    );
}

#[test]
fn a_span_around_the_send_alone_leaves_the_lines_outside() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let each = urls.iter().map(|u| async move {
                info!("sending");
                let span = info_span!("request", url = %u);
                let response = c.get(u).send().instrument(span).await?;
                info!(status = response.status().as_u16(), "got headers");
                let body = response.text().await?;
                info!(bytes = body.len(), "got body");
                anyhow::Ok(body)
            });
            try_join_all(each).await
        }),
        &[
            "24 of the 24 events carry no span, although your 8 spans were entered",
            "instrumenting one `.await` inside `fetch` leaves the lines around it outside",
        ],
    );
}

#[test]
fn spans_per_request_left_unentered_under_a_batch_span_name_no_request() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let each = urls.iter().map(|u| {
                let _unused = info_span!("request", url = %u);
                logged(c, u)
            });
            try_join_all(each)
                .instrument(info_span!("batch", count = urls.len()))
                .await
        }),
        &["all 8 requests' events carry one span, `batch{count=8}`"],
    );
}

#[test]
fn a_span_without_a_field_names_no_request() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let each = urls
                .iter()
                .map(|u| logged(c, u).instrument(info_span!("request")));
            try_join_all(each).await
        }),
        &[
            "carries the span `request{}`, which does not say which of the 8 requests",
            "no field holds the request's URL or its number",
        ],
    );
}

#[test]
fn spans_with_the_same_fields_tell_nothing_apart() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let each = urls
                .iter()
                .map(|u| logged(c, u).instrument(info_span!("request", count = urls.len())));
            try_join_all(each).await
        }),
        &["two requests' spans carry the same fields, `request{count=8}`"],
    );
}

#[test]
fn instrumenting_the_join_handle_leaves_the_task_outside() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let handles = urls.iter().map(|u| {
                let (c, u) = (c.clone(), u.clone());
                let span = info_span!("request", url = %u);
                tokio::spawn(async move { logged(&c, &u).await }).instrument(span)
            });
            join_all(handles).await.into_iter().map(|r| r?).collect()
        }),
        &[
            "they ran in spawned tasks, outside the spans you created",
            "instrumenting the JoinHandle",
            "`tokio::spawn(fut.instrument(span))`",
        ],
    );
    // Spawning while a span is entered: the task does not inherit it.
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            spawn_each(c, urls, |i, c, u| {
                let _in = info_span!("request", i).entered();
                async move { logged(&c, &u).await }
            })
            .await
        }),
        &["they ran in spawned tasks", "does not inherit the span"],
    );
}

#[test]
fn spans_on_requests_one_at_a_time_are_not_interleaved() {
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            let mut out = Vec::new();
            for u in urls {
                out.push(logged(c, u).instrument(info_span!("request", %u)).await?);
            }
            Ok(out)
        }),
        &["your 8 requests ran one at a time", "nothing interleaved"],
    );
}

#[test]
fn the_starter_fails_with_its_diagnosis_and_keeps_its_bodies() {
    // Removing the events is no way out either.
    fails_with(
        ex17::each_event_names_its_request(async |c: &Client, urls: &[String]| {
            try_join_all(urls.iter().map(|u| crate::fetch(c, u))).await
        }),
        &[
            "saw none of the events `fetch` logs",
            "keep its `info!` lines",
        ],
    );
}

// ---- correct approaches ----------------------------------------------------

#[instrument(skip(client))]
async fn instrumented(client: &Client, url: &str) -> anyhow::Result<String> {
    logged(client, url).await
}

/// Every argument recorded, the client's `Debug` form too.
#[instrument]
async fn instrumented_all(client: &Client, url: &str) -> anyhow::Result<String> {
    logged(client, url).await
}

/// The request's number only, counted from 1.
#[instrument(name = "request", skip(client, url), fields(n = i + 1))]
async fn numbered(client: &Client, i: usize, url: &str) -> anyhow::Result<String> {
    logged(client, url).await
}

/// A field declared empty and recorded in the body.
#[instrument(skip_all, fields(url = tracing::field::Empty))]
async fn recorded_later(client: &Client, url: &str) -> anyhow::Result<String> {
    Span::current().record("url", url);
    logged(client, url).await
}

#[instrument(level = "debug", skip(client, urls))]
async fn batch_of_spans(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    try_join_all(urls.iter().map(|u| instrumented(client, u))).await
}

macro_rules! ex17_accepts {
    ($($name:ident: $f:expr),+ $(,)?) => {$(
        #[test]
        fn $name() {
            crate::together!(
                passes(ex17::returns_the_bodies_in_order($f)),
                passes(ex17::each_event_names_its_request($f)),
            );
        }
    )+};
}

ex17_accepts! {
    ex17_accepts_instrument_on_fetch: async |c: &Client, urls: &[String]| {
        try_join_all(urls.iter().map(|u| instrumented(c, u))).await
    },
    ex17_accepts_instrument_with_every_argument: async |c: &Client, urls: &[String]| {
        try_join_all(urls.iter().map(|u| instrumented_all(c, u))).await
    },
    ex17_accepts_a_numbered_span: async |c: &Client, urls: &[String]| {
        try_join_all(urls.iter().enumerate().map(|(i, u)| numbered(c, i, u))).await
    },
    ex17_accepts_a_field_recorded_later: async |c: &Client, urls: &[String]| {
        try_join_all(urls.iter().map(|u| recorded_later(c, u))).await
    },
    ex17_accepts_instrument_on_each_future: async |c: &Client, urls: &[String]| {
        let each = urls
            .iter()
            .map(|u| logged(c, u).instrument(info_span!("request", url = %u)));
        try_join_all(each).await
    },
    ex17_accepts_an_id_from_zero_at_debug_level: async |c: &Client, urls: &[String]| {
        let each = (0..)
            .zip(urls)
            .map(|(id, u): (u32, _)| logged(c, u).instrument(debug_span!("request", id)));
        join_all(each).await.into_iter().collect()
    },
    ex17_accepts_spans_inside_a_batch_span: async |c: &Client, urls: &[String]| {
        batch_of_spans(c, urls).await
    },
    ex17_accepts_spawned_tasks_instrumented_inside: async |c: &Client, urls: &[String]| {
        spawn_each(c, urls, |i, c, u| {
            let span = info_span!("request", i, url = %u);
            async move { logged(&c, &u).await }.instrument(span)
        })
        .await
    },
    ex17_accepts_in_current_span_while_entered: async |c: &Client, urls: &[String]| {
        spawn_each(c, urls, |_, c, u| {
            // Entered only while the task is created, not across an await.
            let span = info_span!("request", url = %u);
            let _in = span.enter();
            async move { logged(&c, &u).await }.in_current_span()
        })
        .await
    },
    ex17_accepts_a_joinset_of_instrumented_tasks: async |c: &Client, urls: &[String]| {
        let mut set = tokio::task::JoinSet::new();
        for (i, u) in urls.iter().enumerate() {
            let (c, u) = (c.clone(), u.clone());
            set.spawn(async move { (i, instrumented(&c, &u).await) }.in_current_span());
        }
        let mut out = vec![String::new(); urls.len()];
        while let Some(done) = set.join_next().await {
            let (i, body) = done?;
            out[i] = body?;
        }
        Ok(out)
    },
}

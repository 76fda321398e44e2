//! Exercise 2, `notify_all(client, urls)`: a future does nothing until it
//! is polled.

use crate::{LIMIT, REPORTS_WITHIN, fails_with, passes, within};
use checker::ex02;
use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};
use reqwest::Client;

// ---- mistakes --------------------------------------------------------------

#[test]
fn futures_never_polled_send_nothing() {
    fails_with(
        ex02::sends_every_request(async |c: &Client, urls: &[String]| {
            for url in urls {
                let _request = c.get(url).send();
            }
            Ok(())
        }),
        &[
            "had seen 0 of the 5 requests",
            "created but never polled",
            "`.await` it",
        ],
    );
}

#[test]
fn futures_collected_but_never_awaited_send_nothing() {
    fails_with(
        ex02::sends_every_request(async |c: &Client, urls: &[String]| {
            let _pending: Vec<_> = urls.iter().map(|u| c.get(u).send()).collect();
            Ok(())
        }),
        &["had seen 0 of the 5 requests", "never polled"],
    );
}

#[test]
fn awaiting_only_the_last_future_sends_one() {
    fails_with(
        ex02::sends_every_request(async |c: &Client, urls: &[String]| {
            let mut last = None;
            for url in urls {
                last = Some(c.get(url).send());
            }
            if let Some(request) = last {
                request.await?;
            }
            Ok(())
        }),
        &[
            "had seen 1 of the 5 requests",
            "some request futures were never polled",
        ],
    );
}

#[test]
fn spawned_requests_not_awaited_are_left_behind() {
    fails_with(
        ex02::sends_every_request(async |c: &Client, urls: &[String]| {
            for url in urls {
                let (c, u) = (c.clone(), url.clone());
                tokio::spawn(async move { c.get(&u).send().await });
            }
            Ok(())
        }),
        &[
            "`notify_all` returned before the tasks it spawned had run: 5 of the 5 requests reached the server only after it had returned",
            "returning does not wait for it",
        ],
    );
}

#[test]
fn select_all_drops_the_other_requests_in_flight() {
    fails_with(
        ex02::sends_every_request(async |c: &Client, urls: &[String]| {
            let sends = urls.iter().map(|u| Box::pin(c.get(u).send()));
            let (first, _, _rest) = futures::future::select_all(sends).await;
            first?;
            Ok(())
        }),
        &[
            "`notify_all` returned before 4 of the 5 answers had come",
            "`select_all` keep only the first",
        ],
    );
}

#[test]
fn another_executor_inside_async_code_blocks_for_good() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex02::sends_every_request(async |c: &Client, urls: &[String]| {
            for url in urls {
                // Parks the runtime's only thread, which should drive the
                // request's I/O: nothing can ever wake it.
                futures::executor::block_on(c.get(url).send())?;
            }
            Ok(())
        })
    });
    fails_with(
        verdict,
        &["stayed blocked", "`futures::executor::block_on`"],
    );
}

// ---- correct approaches (the solution awaits each in turn) ----------------

#[test]
fn every_way_to_await_the_requests_passes() {
    crate::together!(
        passes(ex02::sends_every_request(
            async |c: &Client, urls: &[String]| {
                for r in futures::future::join_all(urls.iter().map(|u| c.get(u).send())).await {
                    r?.error_for_status()?;
                }
                Ok(())
            },
        )),
        passes(ex02::sends_every_request(
            async |c: &Client, urls: &[String]| {
                futures::future::try_join_all(urls.iter().map(|u| c.get(u).send())).await?;
                Ok(())
            },
        )),
        passes(ex02::sends_every_request(
            async |c: &Client, urls: &[String]| {
                let mut pending: FuturesUnordered<_> =
                    urls.iter().map(|u| c.get(u).send()).collect();
                while let Some(r) = pending.next().await {
                    r?;
                }
                Ok(())
            },
        )),
        passes(ex02::sends_every_request(
            async |c: &Client, urls: &[String]| {
                stream::iter(urls)
                    .map(|u| c.get(u).send())
                    .buffer_unordered(2)
                    .try_for_each(async |_| Ok(()))
                    .await?;
                Ok(())
            },
        )),
        passes(ex02::sends_every_request(
            async |c: &Client, urls: &[String]| {
                let handles: Vec<_> = urls
                    .iter()
                    .map(|u| {
                        let (c, u) = (c.clone(), u.clone());
                        tokio::spawn(async move { c.get(&u).send().await })
                    })
                    .collect();
                for h in handles {
                    h.await??;
                }
                Ok(())
            },
        )),
    );
}

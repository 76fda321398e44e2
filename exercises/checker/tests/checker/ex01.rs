//! Exercise 1, `fetch_blocking(url)`: start a runtime from plain code.

use crate::{fails_with, fails_without, fetch, passes};
use checker::ex01;
use reqwest::Client;

/// The hint for a dead server, which only an unwrapped request error earns.
const DEAD_SERVER_HINT: &str = "return the error instead";

// ---- mistakes --------------------------------------------------------------

#[test]
fn a_runtime_without_drivers_is_explained() {
    let no_drivers = |url: &str| {
        tokio::runtime::Builder::new_current_thread()
            .build()?
            .block_on(fetch(&Client::new(), url))
    };
    fails_with(
        ex01::returns_the_body(no_drivers),
        &[
            "`fetch_blocking` panicked",
            "without its drivers",
            ".enable_all()",
        ],
    );
    // The panic is about the runtime, not about the dead server.
    fails_without(
        ex01::returns_an_error_for_a_dead_server(no_drivers),
        &["without its drivers"],
        &[DEAD_SERVER_HINT],
    );
}

#[test]
fn unwrapping_the_request_error_panics() {
    fails_with(
        ex01::returns_an_error_for_a_dead_server(|url: &str| {
            let body = tokio::runtime::Runtime::new()?
                .block_on(fetch(&Client::new(), url))
                .unwrap();
            Ok(body)
        }),
        &["`fetch_blocking` panicked", DEAD_SERVER_HINT],
    );
}

#[test]
fn another_executor_is_not_a_tokio_runtime() {
    // reqwest needs tokio's reactor; `futures`' executor has none. The panic
    // goes off inside the dependencies: the place shown is the learner's.
    let message = fails_without(
        ex01::returns_an_error_for_a_dead_server(|url: &str| {
            futures::executor::block_on(fetch(&Client::new(), url))
        }),
        &["`fetch_blocking` panicked at", "needs a tokio runtime"],
        &[DEAD_SERVER_HINT, ".cargo/registry", "/rustc/"],
    );
    assert!(
        message.contains("tests/checker/"),
        "the place is the learner's own code: {message}"
    );
}

#[test]
fn a_runtime_handle_outside_a_runtime_is_explained() {
    fails_without(
        ex01::returns_the_body(|url: &str| {
            tokio::runtime::Handle::current().block_on(fetch(&Client::new(), url))
        }),
        &["ex01.rs:", "needs a tokio runtime but ran outside one"],
        &[DEAD_SERVER_HINT],
    );
}

#[test]
fn an_error_turned_into_an_empty_body_is_not_an_error() {
    fails_with(
        ex01::returns_an_error_for_a_dead_server(|url: &str| {
            let runtime = tokio::runtime::Runtime::new()?;
            Ok(runtime
                .block_on(fetch(&Client::new(), url))
                .unwrap_or_default())
        }),
        &["returned Ok (0 bytes)", "where nothing listens"],
    );
}

#[test]
fn a_trimmed_body_is_not_the_body() {
    fails_with(
        ex01::returns_the_body(|url: &str| {
            let body = tokio::runtime::Runtime::new()?.block_on(fetch(&Client::new(), url))?;
            Ok(body.trim().to_string())
        }),
        &["the server's body trimmed", "do not `trim()` it"],
    );
}

#[test]
fn a_request_spawned_and_left_is_not_a_body() {
    fails_with(
        ex01::returns_the_body(|url: &str| {
            let runtime = tokio::runtime::Runtime::new()?;
            let url = url.to_string();
            // Spawned on the runtime, never awaited: the runtime is dropped
            // (and the task with it) before any answer.
            runtime.spawn(async move { fetch(&Client::new(), &url).await });
            Ok(String::new())
        }),
        &["is not what the server sent"],
    );
}

// ---- correct approaches (the solution uses `Runtime::new()`) ---------------

#[tokio::main(flavor = "current_thread")]
async fn with_the_macro(url: &str) -> anyhow::Result<String> {
    fetch(&Client::new(), url).await
}

fn with_a_current_thread_builder(url: &str) -> anyhow::Result<String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(fetch(&Client::new(), url))
}

fn with_a_small_multi_thread_runtime(url: &str) -> anyhow::Result<String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(fetch(&Client::new(), url))
}

fn spawned_and_joined(url: &str) -> anyhow::Result<String> {
    let runtime = tokio::runtime::Runtime::new()?;
    let url = url.to_string();
    let handle = runtime.spawn(async move { fetch(&Client::new(), &url).await });
    runtime.block_on(handle)?
}

fn with_reqwest_get(url: &str) -> anyhow::Result<String> {
    tokio::runtime::Runtime::new()?
        .block_on(async { Ok(reqwest::get(url).await?.error_for_status()?.text().await?) })
}

#[test]
fn every_way_to_start_a_runtime_passes() {
    let ways: [fn(&str) -> anyhow::Result<String>; 5] = [
        with_the_macro,
        with_a_current_thread_builder,
        with_a_small_multi_thread_runtime,
        spawned_and_joined,
        with_reqwest_get,
    ];
    for way in ways {
        passes(ex01::returns_the_body(way));
        passes(ex01::returns_an_error_for_a_dead_server(way));
    }
}

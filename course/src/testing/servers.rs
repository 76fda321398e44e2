//! Servers for the chapters' tests, usable from plain `#[test]` functions.
//!
//! Both run their connections on threads of their own (wiremock serves on
//! a thread per server), so a test can block on a chapter binary while the
//! server answers it. Each owns a small runtime to start it and drops the
//! server outside any tokio task: wiremock's `Drop` waits on a tokio lock,
//! which never finishes inside a task whose cooperative budget is spent.

use mock_server::{DelayServer, RequestRecord};

/// A delay server for a test, with its runtime.
#[derive(Debug)]
pub struct TestServer {
    server: Option<DelayServer>,
    // Dropped after the server (fields drop in order; see `Drop`).
    runtime: tokio::runtime::Runtime,
}

impl TestServer {
    /// Starts a delay server on a free loopback port, default settings.
    pub fn start() -> TestServer {
        TestServer::with(DelayServer::builder())
    }

    /// Starts a delay server with the given settings.
    pub fn with(builder: mock_server::Builder) -> TestServer {
        let runtime = small_runtime();
        let server = runtime
            .block_on(builder.start())
            .unwrap_or_else(|e| panic!("cannot start the test's delay server: {e}"));
        TestServer {
            server: Some(server),
            runtime,
        }
    }

    /// The server itself: `requests()`, `peak_in_flight()`, ...
    pub fn server(&self) -> &DelayServer {
        self.server.as_ref().expect("present until dropped")
    }

    /// `http://127.0.0.1:PORT`: the value for `DELAY_SERVER_URL`.
    pub fn url(&self) -> &str {
        self.server().base_url()
    }

    /// The requests the server saw, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.server().requests()
    }

    /// The peak number of requests in flight the server saw.
    pub fn peak_in_flight(&self) -> usize {
        self.server().peak_in_flight()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Inside the runtime's context (not in a task) so that the
        // watchdog's abort finds its runtime; the server waits until its
        // port is closed.
        let _guard = self.runtime.enter();
        drop(self.server.take());
    }
}

/// A server that answers every request with one HTTP status (a 500, say),
/// to test how a chapter reports server errors.
#[derive(Debug)]
pub struct StatusServer {
    server: Option<wiremock::MockServer>,
    _runtime: tokio::runtime::Runtime,
}

impl StatusServer {
    /// Starts a server on a free loopback port answering `status` to
    /// every request.
    pub fn start(status: u16) -> StatusServer {
        let runtime = small_runtime();
        let server = runtime.block_on(async {
            // `builder()`, not `MockServer::start()`, which hands out pooled
            // servers that keep running after the test.
            let server = wiremock::MockServer::builder().start().await;
            wiremock::Mock::given(wiremock::matchers::any())
                .respond_with(wiremock::ResponseTemplate::new(status))
                .mount(&server)
                .await;
            server
        });
        StatusServer {
            server: Some(server),
            _runtime: runtime,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.as_ref().expect("present until dropped").uri()
    }
}

impl Drop for StatusServer {
    fn drop(&mut self) {
        // On the test's own thread, outside any task (see the module docs).
        drop(self.server.take());
    }
}

fn small_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a tokio runtime for the test: {e}"))
}

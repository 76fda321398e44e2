//! The delay server a chapter talks to.
//!
//! If `DELAY_SERVER_URL` is set (e.g. `http://127.0.0.1:3000`, a server
//! started with `cargo run -p mock-server`), the chapter uses it. Otherwise
//! it starts one inside its own process, on a free loopback port, so that a
//! chapter needs no network and no second terminal.

use anyhow::{Context, anyhow, bail};
use mock_server::{DelayServer, RequestRecord, SERVER_URL_ENV};
use std::time::Duration;

/// An embedded delay server, or the address of a standalone one.
#[derive(Debug)]
pub enum Server {
    /// Started in this process; it records what it saw.
    Embedded(DelayServer),
    /// Named by `DELAY_SERVER_URL`; it reports nothing back.
    External { base_url: String },
}

impl Server {
    /// Uses `DELAY_SERVER_URL` if set, else starts an embedded server.
    /// Needs a tokio runtime with the `net` and `time` drivers.
    pub async fn start() -> crate::Result<Server> {
        match std::env::var(SERVER_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => Server::external(url.trim()).await,
            _ => Server::embedded(mock_server::DelayServer::builder()).await,
        }
    }

    /// Starts an embedded server with the given settings.
    pub async fn embedded(builder: mock_server::Builder) -> crate::Result<Server> {
        let server = builder
            .start()
            .await
            .context("cannot start the embedded delay server")?;
        ::log::debug!("embedded delay server on {}", server.base_url());
        Ok(Server::Embedded(server))
    }

    /// Checks that a server answers at `url` and uses it.
    pub async fn external(url: &str) -> crate::Result<Server> {
        let help = format!(
            "start one with `cargo run -p mock-server`, or unset {SERVER_URL_ENV} to use an embedded server"
        );
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            anyhow!("{SERVER_URL_ENV}={url} is not a URL ({e}): use e.g. http://127.0.0.1:3000")
        })?;
        if parsed.scheme() != "http" {
            bail!(
                "{SERVER_URL_ENV}={url}: only http:// is supported (this build of reqwest has no TLS)"
            );
        }
        let addrs = parsed.socket_addrs(|| Some(80)).map_err(|e| {
            anyhow!("{SERVER_URL_ENV}={url}: cannot resolve the host ({e}); {help}")
        })?;
        let Some(addr) = addrs.first().copied() else {
            bail!("{SERVER_URL_ENV}={url}: the host has no address; {help}");
        };
        match tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect(addr))
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => bail!("no delay server answers at {url} ({e}); {help}"),
            Err(_) => bail!("no delay server answers at {url} (timed out after 3 s); {help}"),
        }
        Ok(Server::External {
            base_url: url.trim_end_matches('/').to_string(),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Server::Embedded(server) => server.base_url(),
            Server::External { base_url } => base_url,
        }
    }

    /// `{base}/delay/{ms}`.
    pub fn delay_url(&self, ms: u64) -> String {
        mock_server::delay_url(self.base_url(), ms)
    }

    /// The Slowwly form, `{base}/delay/{ms}/url/{target}`.
    pub fn delay_url_to(&self, ms: u64, target: &str) -> String {
        format!("{}/url/{target}", self.delay_url(ms))
    }

    /// The embedded server, if this is one.
    pub fn embedded_server(&self) -> Option<&DelayServer> {
        match self {
            Server::Embedded(server) => Some(server),
            Server::External { .. } => None,
        }
    }

    /// What the embedded server saw; `None` for a standalone server.
    pub fn requests(&self) -> Option<Vec<RequestRecord>> {
        self.embedded_server().map(DelayServer::requests)
    }

    /// Peak requests in flight as the embedded server saw them.
    pub fn peak_in_flight(&self) -> Option<usize> {
        self.embedded_server().map(DelayServer::peak_in_flight)
    }
}

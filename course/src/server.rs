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
        Server::start_with(mock_server::DelayServer::builder()).await
    }

    /// Like [`Server::start`], with settings for the embedded server (more
    /// workers for a chapter that sends thousands of requests, say). The
    /// settings do not apply to a server named by `DELAY_SERVER_URL`.
    pub async fn start_with(builder: mock_server::Builder) -> crate::Result<Server> {
        Server::start_from(std::env::var(SERVER_URL_ENV).ok().as_deref(), builder).await
    }

    /// [`Server::start_with`], given the value of `DELAY_SERVER_URL`.
    async fn start_from(url: Option<&str>, builder: mock_server::Builder) -> crate::Result<Server> {
        match url {
            Some(url) if !url.trim().is_empty() => Server::external(url.trim()).await,
            _ => Server::embedded(builder).await,
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
        // Resolving a name can block (a DNS query): `lookup_host` runs the
        // resolver on tokio's blocking pool, so this runtime's threads stay
        // free. (`Url::socket_addrs` would block the calling worker.)
        // An IPv6 host comes as `[::1]`; the resolver wants it bare.
        let host = parsed.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = parsed.port_or_known_default().unwrap_or(80);
        let mut addrs = tokio::net::lookup_host((host, port)).await.map_err(|e| {
            anyhow!("{SERVER_URL_ENV}={url}: cannot resolve the host ({e}); {help}")
        })?;
        let Some(addr) = addrs.next() else {
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str) {
        let response = reqwest::get(url).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.bytes().await.unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn embedded_servers_take_the_given_settings() {
        // record_limit(1) is visible from outside: only the last request is
        // kept, though all are counted.
        let builder = mock_server::DelayServer::builder()
            .workers(2)
            .record_limit(1);
        let server = Server::start_from(None, builder.clone()).await.unwrap();
        let embedded = server.embedded_server().expect("no URL: embedded");
        for _ in 0..3 {
            get(&server.delay_url(0)).await;
        }
        assert_eq!(embedded.total_requests(), 3);
        assert_eq!(server.requests().map(|r| r.len()), Some(1));
        // An empty variable counts as unset.
        let blank = Server::start_from(Some("  "), builder).await.unwrap();
        assert!(blank.embedded_server().is_some());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_url_names_an_external_server() {
        let real = mock_server::DelayServer::start().await.unwrap();
        let url = format!("{}/", real.base_url());
        let builder = mock_server::DelayServer::builder();
        let server = Server::start_from(Some(&url), builder.clone())
            .await
            .unwrap();
        assert!(server.embedded_server().is_none());
        assert_eq!(server.base_url(), real.base_url(), "trailing slash dropped");
        assert_eq!(server.peak_in_flight(), None);
        get(&server.delay_url_to(0, "http://www.google.co.uk")).await;
        assert_eq!(
            real.requests()[0].path,
            "/delay/0/url/http://www.google.co.uk"
        );

        // A closed port: one line naming the URL and what to do.
        let closed = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", probe.local_addr().unwrap())
        };
        let e = Server::start_from(Some(&closed), builder)
            .await
            .unwrap_err();
        let line = crate::one_line(&e);
        assert!(
            line.contains(&closed) && line.contains("cargo run -p mock-server"),
            "{line}"
        );
    }
}

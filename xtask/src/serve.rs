//! `cargo xtask book`: serves `book/build` on 127.0.0.1 and rebuilds it
//! when a file it is made from changes.
//!
//! mdBook's own `serve` would cost a third more of its install (axum,
//! tower-http, tokio and a file watcher compiled in release mode), and the
//! book is static files: a loopback server for them is a page of std code.
//! There is no live reload: reload the page after a rebuild.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Serves `site` on 127.0.0.1:`port` until the process is stopped, calling
/// `rebuild` when a source of the book changes.
pub fn serve(
    root: &Path,
    site: &Path,
    port: u16,
    rebuild: impl Fn() + Send + 'static,
) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        format!("cannot listen on 127.0.0.1:{port}: {e}; pick another port with `cargo xtask book --port N`")
    })?;
    println!(
        "Serving the book at http://127.0.0.1:{port}/ (Ctrl-C stops it). It rebuilds when a \
         page or an included file changes: reload the page then."
    );
    let watched = root.to_path_buf();
    std::thread::spawn(move || {
        let mut last = fingerprint(&watched);
        loop {
            std::thread::sleep(Duration::from_millis(700));
            if fingerprint(&watched) != last {
                rebuild();
                // After the build: what it wrote is not a change to act on.
                last = fingerprint(&watched);
            }
        }
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let site = site.to_path_buf();
        std::thread::spawn(move || {
            let _ = answer(stream, &site);
        });
    }
    Ok(())
}

/// Folders whose files the book is made of: its pages, and the crates it
/// includes code from. Build output and dependencies are left out.
fn is_source_dir(name: &str) -> bool {
    !matches!(name, "target" | "build" | "node_modules" | ".git")
}

/// The newest modification time and the number of files under `root`.
fn fingerprint(root: &Path) -> (Option<SystemTime>, usize) {
    let mut newest = None;
    let mut count = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if is_source_dir(&entry.file_name().to_string_lossy()) {
                    stack.push(entry.path());
                }
            } else {
                count += 1;
                newest = newest.max(meta.modified().ok());
            }
        }
    }
    (newest, count)
}

/// The file under `site` for a request path, if it is one.
pub fn file_for(site: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode(path)?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    // Only plain names: no `..`, no absolute paths.
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = site.join(relative);
    if file.is_dir() {
        file = file.join("index.html");
    }
    file.is_file().then_some(file)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" | "md" | "rs" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn answer(stream: TcpStream, site: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // The headers: read and ignored, up to the blank line (at most 100).
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
    }
    let mut words = request.split_whitespace();
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or("/"),
    );
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
            true,
        );
    }
    let head_only = method == "HEAD";
    match file_for(site, target) {
        Some(file) => {
            let body = std::fs::read(&file)?;
            respond(
                &mut stream,
                "200 OK",
                content_type(&file),
                &body,
                !head_only,
            )
        }
        None => {
            let body =
                std::fs::read(site.join("404.html")).unwrap_or_else(|_| b"not found\n".to_vec());
            respond(
                &mut stream,
                "404 Not Found",
                "text/html; charset=utf-8",
                &body,
                !head_only,
            )
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    kind: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_files_of_the_site_and_never_outside_it() {
        let site = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        std::fs::create_dir_all(site.join("sub dir")).unwrap();
        std::fs::write(site.join("index.html"), "home").unwrap();
        std::fs::write(site.join("sub dir/page.html"), "page").unwrap();
        assert_eq!(file_for(&site, "/"), Some(site.join("index.html")));
        assert_eq!(
            file_for(&site, "/index.html?x=1#top"),
            Some(site.join("index.html"))
        );
        assert_eq!(
            file_for(&site, "/sub%20dir/page.html"),
            Some(site.join("sub dir/page.html"))
        );
        assert_eq!(file_for(&site, "/missing.html"), None);
        assert_eq!(file_for(&site, "/../Cargo.toml"), None);
        assert_eq!(file_for(&site, "/%2e%2e/Cargo.toml"), None);
        assert_eq!(file_for(&site, "/%zz"), None);
        std::fs::remove_dir_all(&site).unwrap();
    }

    #[test]
    fn a_request_gets_the_file_or_a_404_over_loopback() {
        let site = std::env::temp_dir().join(format!("xtask-serve-http-{}", std::process::id()));
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(site.join("index.html"), "<p>home</p>").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = site.clone();
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                let (stream, _) = listener.accept().unwrap();
                answer(stream, &served).unwrap();
            }
        });
        let get = |path: &str| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stream, &mut text).unwrap();
            text
        };
        let home = get("/");
        assert!(home.starts_with("HTTP/1.1 200 OK"), "{home}");
        assert!(
            home.contains("text/html") && home.ends_with("<p>home</p>"),
            "{home}"
        );
        let missing = get("/nope.html");
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        server.join().unwrap();
        std::fs::remove_dir_all(&site).unwrap();
    }
}

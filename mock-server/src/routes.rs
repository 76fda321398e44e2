//! The routes of the delay server and the bodies it invents.
//!
//! Everything here is plain, synchronous code: it decides what to answer
//! and invents the text. Waiting out the delay and sending the body are
//! left to the server (`serve.rs`, `body.rs`).

use std::time::Duration;

/// The longest delay the server accepts. Longer ones get `400`.
pub const MAX_DELAY_MS: u64 = 60_000;
/// The body size when the request does not ask for one with `?bytes=N`.
pub const DEFAULT_BODY_BYTES: usize = 4 * 1024;
/// The largest body the server invents. Larger requests get `400`.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The text of every `404`: what the server does answer.
pub const ROUTES_HELP: &str = "not found. This delay server answers:\n\
    GET /delay/{ms}                 200 after {ms} milliseconds (0 to 60000)\n\
    GET /delay/{ms}/url/{anything}  the same; {anything} is never fetched\n\
    add ?bytes=N to choose the body size (default 4096, at most 16777216)\n\
    add ?drip=MS to send the body in pieces spread over MS milliseconds\n";

/// What the server decided to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Answer `200` with `bytes` bytes of text after `delay`, the body sent
    /// in pieces spread evenly over `drip` (all at once when it is zero).
    Delay {
        delay: Duration,
        bytes: usize,
        drip: Duration,
    },
    /// Answer `400` with this one-line reason.
    BadRequest(String),
    /// Answer `404` with [`ROUTES_HELP`].
    NotFound,
    /// Answer `405`: only `GET` is served.
    MethodNotAllowed,
}

/// Decides the answer for a request from its method, path and query.
///
/// `path` is the path as the client sent it (`/delay/1000/url/http://x`),
/// `query` the part after `?`, if any.
pub fn route(method: &str, path: &str, query: Option<&str>) -> Route {
    let Some(rest) = path
        .strip_prefix("/delay/")
        .or_else(|| (path == "/delay").then_some(""))
    else {
        return Route::NotFound;
    };
    if method != "GET" {
        return Route::MethodNotAllowed;
    }
    let (ms, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    // Only nothing or `/url/...` may follow the delay, as on Slowwly.
    if !(tail.is_empty() || tail.starts_with("/url/")) {
        return Route::NotFound;
    }
    let delay = match parse_delay(ms) {
        Ok(delay) => delay,
        Err(reason) => return Route::BadRequest(reason),
    };
    let bytes = match parse_bytes(query) {
        Ok(bytes) => bytes,
        Err(reason) => return Route::BadRequest(reason),
    };
    let drip = match parse_drip(query) {
        Ok(drip) => drip,
        Err(reason) => return Route::BadRequest(reason),
    };
    Route::Delay { delay, bytes, drip }
}

/// `drip={ms}`: the same bounds and error style as the delay.
fn parse_drip(query: Option<&str>) -> Result<Duration, String> {
    let mut drip = Duration::ZERO;
    for pair in query.unwrap_or("").split('&') {
        let Some(value) = pair.strip_prefix("drip=") else {
            continue;
        };
        let digits = value.strip_prefix('-').unwrap_or(value);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "drip={value:?} is not a whole number of milliseconds (use e.g. drip=500)"
            ));
        }
        if value.starts_with('-') {
            return Err(format!(
                "drip={value} ms is negative: use 0 to {MAX_DELAY_MS}"
            ));
        }
        drip = match digits.parse::<u64>() {
            Ok(n) if n <= MAX_DELAY_MS => Duration::from_millis(n),
            _ => {
                return Err(format!(
                    "drip={value} ms is over the cap of {MAX_DELAY_MS} ms: use 0 to {MAX_DELAY_MS}"
                ));
            }
        };
    }
    Ok(drip)
}

fn parse_delay(ms: &str) -> Result<Duration, String> {
    if ms.is_empty() {
        return Err("missing delay: use /delay/{ms}, e.g. /delay/1000".into());
    }
    let digits = ms.strip_prefix('-').unwrap_or(ms);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "delay {ms:?} is not a whole number of milliseconds (use e.g. /delay/1000)"
        ));
    }
    if ms.starts_with('-') {
        return Err(format!(
            "delay {ms} ms is negative: use 0 to {MAX_DELAY_MS}"
        ));
    }
    match digits.parse::<u64>() {
        Ok(n) if n <= MAX_DELAY_MS => Ok(Duration::from_millis(n)),
        _ => Err(format!(
            "delay {ms} ms is over the cap of {MAX_DELAY_MS} ms: use 0 to {MAX_DELAY_MS}"
        )),
    }
}

fn parse_bytes(query: Option<&str>) -> Result<usize, String> {
    let mut bytes = DEFAULT_BODY_BYTES;
    for pair in query.unwrap_or("").split('&') {
        let Some(value) = pair.strip_prefix("bytes=") else {
            continue;
        };
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "bytes={value:?} is not a whole number: use 0 to {MAX_BODY_BYTES}"
            ));
        }
        bytes = match value.parse::<usize>() {
            Ok(n) if n <= MAX_BODY_BYTES => n,
            _ => {
                return Err(format!(
                    "bytes={value} is over the cap of {MAX_BODY_BYTES}: use 0 to {MAX_BODY_BYTES}"
                ));
            }
        };
    }
    Ok(bytes)
}

/// The body the server sends for `path`: `len` bytes of lower-case text
/// (letters, spaces and newlines).
///
/// The same path always gives the same bytes, and a shorter body is a prefix
/// of a longer one, so a test can compute what a client must have received
/// without asking the server. Different paths give different text, which is
/// how exercise checks make hard-coded answers fail.
pub fn body_for(path: &str, len: usize) -> String {
    let mut out = Vec::with_capacity(len);
    TextGen::new(path).fill(&mut out, len);
    String::from_utf8(out).expect("the alphabet is ASCII")
}

/// The text of [`body_for`], produced piece by piece: the server sends a
/// large body in chunks as it goes, instead of holding all of it at once.
#[derive(Debug, Clone)]
pub(crate) struct TextGen {
    state: u64,
    /// Characters of the current 64-bit draw not handed out yet.
    left: [u8; 8],
    used: usize,
}

impl TextGen {
    pub(crate) fn new(path: &str) -> TextGen {
        // FNV-1a of the path seeds a xorshift generator: tiny, fast, and
        // stable across platforms and Rust versions (unlike `std`'s hashers).
        let mut state = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        if state == 0 {
            state = 1;
        }
        TextGen {
            state,
            left: [0; 8],
            used: 8,
        }
    }

    /// Appends the next `n` characters to `out`.
    pub(crate) fn fill(&mut self, out: &mut Vec<u8>, n: usize) {
        let target = out.len() + n;
        // The rest of the current draw first.
        let take = (8 - self.used).min(n);
        out.extend_from_slice(&self.left[self.used..self.used + take]);
        self.used += take;
        // Then whole draws, a block at a time, the bulk of a large body.
        // Plain loops and one copy per block: the course's debug builds do
        // not optimise this crate, and a call per byte or per draw made a
        // 256 KiB body cost milliseconds.
        let mut block = [0_u8; 4096];
        while target - out.len() >= 8 {
            let words = ((target - out.len()) / 8).min(block.len() / 8);
            let mut i = 0;
            while i < words * 8 {
                self.step();
                let bits = self.state;
                block[i] = ALPHABET[(bits & 31) as usize];
                block[i + 1] = ALPHABET[((bits >> 8) & 31) as usize];
                block[i + 2] = ALPHABET[((bits >> 16) & 31) as usize];
                block[i + 3] = ALPHABET[((bits >> 24) & 31) as usize];
                block[i + 4] = ALPHABET[((bits >> 32) & 31) as usize];
                block[i + 5] = ALPHABET[((bits >> 40) & 31) as usize];
                block[i + 6] = ALPHABET[((bits >> 48) & 31) as usize];
                block[i + 7] = ALPHABET[((bits >> 56) & 31) as usize];
                i += 8;
            }
            out.extend_from_slice(&block[..words * 8]);
        }
        if out.len() < target {
            self.left = self.draw();
            self.used = target - out.len();
            out.extend_from_slice(&self.left[..self.used]);
        }
    }

    /// Eight characters from the next 64 random bits (the low five bits of
    /// each byte pick one).
    fn draw(&mut self) -> [u8; 8] {
        self.step();
        let s = self.state;
        let at = |shift: u32| ALPHABET[((s >> shift) & 31) as usize];
        [at(0), at(8), at(16), at(24), at(32), at(40), at(48), at(56)]
    }

    /// The xorshift step.
    fn step(&mut self) {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
    }
}

/// 26 letters, 5 spaces and a newline: byte `b` of a draw is
/// `ALPHABET[b % 32]`.
const ALPHABET: [u8; 32] = *b"abcdefghijklmnopqrstuvwxyz     \n";

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Route {
        Route::Delay {
            delay: Duration::from_millis(n),
            bytes: DEFAULT_BODY_BYTES,
            drip: Duration::ZERO,
        }
    }

    #[test]
    fn slowwly_paths_are_accepted() {
        assert_eq!(route("GET", "/delay/1000", None), ms(1000));
        assert_eq!(route("GET", "/delay/0", None), ms(0));
        assert_eq!(
            route("GET", "/delay/300/url/http://www.google.co.uk", None),
            ms(300)
        );
        assert_eq!(route("GET", "/delay/5/url/a/b/c?x=1", None), ms(5));
    }

    #[test]
    fn bad_delays_get_a_reason() {
        for bad in [
            "abc",
            "-1",
            "1e3",
            "99999999999999999999",
            "60001",
            "",
            "-",
            "1.5",
        ] {
            let path = format!("/delay/{bad}");
            match route("GET", &path, None) {
                Route::BadRequest(reason) => {
                    assert!(!reason.contains('\n'), "reason is one line: {reason}");
                    assert!(reason.len() < 120, "reason is short: {reason}");
                }
                other => panic!("{path} should be a bad request, got {other:?}"),
            }
        }
        assert_eq!(route("GET", "/delay/60000", None), ms(60_000));
    }

    #[test]
    fn bytes_parameter_is_checked() {
        assert_eq!(
            route("GET", "/delay/1", Some("bytes=10")),
            Route::Delay {
                delay: Duration::from_millis(1),
                bytes: 10,
                drip: Duration::ZERO,
            }
        );
        assert_eq!(
            route("GET", "/delay/1", Some("drip=250&bytes=10")),
            Route::Delay {
                delay: Duration::from_millis(1),
                bytes: 10,
                drip: Duration::from_millis(250),
            }
        );
        for bad in ["drip=", "drip=x", "drip=-3", "drip=60001", "drip=1.5"] {
            match route("GET", "/delay/1", Some(bad)) {
                Route::BadRequest(reason) => {
                    assert!(reason.starts_with("drip="), "{bad}: {reason}");
                    assert!(!reason.contains('\n'), "one line: {reason}");
                }
                other => panic!("{bad} should be refused, got {other:?}"),
            }
        }
        for bad in [
            "bytes=",
            "bytes=x",
            "bytes=-3",
            "bytes=16777217",
            "bytes=1e9",
        ] {
            assert!(
                matches!(route("GET", "/delay/1", Some(bad)), Route::BadRequest(_)),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn other_paths_and_methods() {
        assert_eq!(route("GET", "/", None), Route::NotFound);
        assert_eq!(route("GET", "/nope", None), Route::NotFound);
        assert_eq!(route("GET", "/delayed/1", None), Route::NotFound);
        assert_eq!(route("GET", "/delay/1/other", None), Route::NotFound);
        assert_eq!(route("POST", "/delay/1", None), Route::MethodNotAllowed);
    }

    #[test]
    fn bodies_are_deterministic_text_of_the_asked_size() {
        let a = body_for("/delay/1/url/a", 10_000);
        assert_eq!(a, body_for("/delay/1/url/a", 10_000));
        assert_eq!(a.len(), 10_000);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b' ' || b == b'\n')
        );
        assert_eq!(&a[..100], body_for("/delay/1/url/a", 100));
        assert_ne!(a, body_for("/delay/1/url/b", 10_000));
        assert_eq!(body_for("/x", 0), "");
    }

    #[test]
    fn bodies_keep_the_bytes_they_always_had() {
        // Computed with the first version of the generator: learners'
        // saved outputs and other tools rely on the same path giving the
        // same text for good.
        assert_eq!(
            body_for("/delay/1/url/a", 60),
            "kowse kywyjsnfwcghawc pfjg \n\nc ceyqk \naxvzjrsk \nhguilzw k\nrb"
        );
    }

    #[test]
    #[ignore = "a timing probe: cargo test -p mock-server --lib -- --ignored --nocapture"]
    fn time_a_large_body() {
        let start = std::time::Instant::now();
        let body = body_for("/delay/0/url/large", 16 * 1024 * 1024);
        eprintln!("16 MiB in {:?} ({} bytes)", start.elapsed(), body.len());
    }

    #[test]
    fn text_made_in_pieces_is_the_same_text() {
        let whole = body_for("/delay/0/url/pieces", 1000);
        let mut text = TextGen::new("/delay/0/url/pieces");
        let mut out = Vec::new();
        for n in [1, 7, 8, 3, 100, 0, 881] {
            text.fill(&mut out, n);
        }
        assert_eq!(String::from_utf8(out).unwrap(), whole);
    }
}

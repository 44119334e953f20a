//! A small HTTP/1.1 server side: one request per connection, every answer `Connection: close`
//! (libmicrohttpd as configured by MaxScale does the same).

use std::io::{Read, Write};

use crate::time;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The value of the first header called `name` in `headers`; header names are case-insensitive.
/// Shared by the server's [`Request`] and the test client's [`crate::client::Reply`].
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A parsed request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// Decoded path segments, empty ones dropped (`/v1//maxscale/` → `["v1", "maxscale"]`).
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Path without the query string, as sent.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed (or timed out) before sending a request: nothing to answer.
    Closed,
    /// Unparseable request: answer 400.
    Bad,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decoding (`+` stays a `+` in paths, becomes a space in query strings).
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some((p, p + 4));
    }
    buf.windows(2)
        .position(|w| w == b"\n\n")
        .map(|p| (p, p + 2))
}

fn parse_target(target: &str) -> (Vec<String>, Vec<(String, String)>) {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    // An absolute-form target (http://host/path) is reduced to its path.
    let path = match path
        .strip_prefix("http://")
        .or_else(|| path.strip_prefix("https://"))
    {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    };
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (percent_decode(k, true), percent_decode(v, true)),
            None => (percent_decode(kv, true), String::new()),
        })
        .collect();
    (segments, query)
}

fn read_more<S: Read>(s: &mut S, buf: &mut Vec<u8>) -> Result<usize, ReadError> {
    let mut chunk = [0u8; 8192];
    match s.read(&mut chunk) {
        Ok(0) => Ok(0),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(n)
        }
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(1),
        Err(_) => Err(ReadError::Closed),
    }
}

fn read_chunked<S: Read>(s: &mut S, mut buf: Vec<u8>) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(p) = buf.windows(2).position(|w| w == b"\r\n") {
                break p;
            }
            if buf.len() > MAX_HEAD || read_more(s, &mut buf)? == 0 {
                return Err(ReadError::Bad);
            }
        };
        let line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size_txt = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_txt, 16).map_err(|_| ReadError::Bad)?;
        buf.drain(..line_end + 2);
        if size == 0 {
            // Trailers are not used by any client we care about; stop here.
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(ReadError::Bad);
        }
        while buf.len() < size + 2 {
            if read_more(s, &mut buf)? == 0 {
                return Err(ReadError::Bad);
            }
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
    }
}

/// Read one request. `Expect: 100-continue` is honoured before reading the body.
pub fn read_request<S: Read + Write>(s: &mut S) -> Result<Request, ReadError> {
    let mut buf = Vec::new();
    let (head_len, body_start) = loop {
        if let Some(pos) = find_head_end(&buf) {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::Bad);
        }
        if read_more(s, &mut buf)? == 0 {
            return Err(if buf.iter().all(|b| b.is_ascii_whitespace()) {
                ReadError::Closed
            } else {
                ReadError::Bad
            });
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let mut lines = head.lines().skip_while(|l| l.trim().is_empty());
    let request_line = lines.next().ok_or(ReadError::Bad)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().ok_or(ReadError::Bad)?.to_string();
    let target = parts.next().ok_or(ReadError::Bad)?.to_string();
    let version = parts.next().unwrap_or("HTTP/1.0");
    if !version.starts_with("HTTP/1.") || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ReadError::Bad);
    }
    let mut headers = Vec::new();
    for l in lines {
        let (k, v) = l.split_once(':').ok_or(ReadError::Bad)?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let (segments, query) = parse_target(&target);
    let mut req = Request {
        method,
        target,
        segments,
        query,
        headers,
        body: Vec::new(),
    };

    let rest = buf[body_start..].to_vec();
    let chunked = req
        .header("Transfer-Encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = match req.header("Content-Length") {
        Some(v) => Some(v.trim().parse::<usize>().map_err(|_| ReadError::Bad)?),
        None => None,
    };
    if length.is_some_and(|n| n > MAX_BODY) {
        return Err(ReadError::Bad);
    }
    let wants_body = chunked || length.is_some_and(|n| n > 0);
    if wants_body
        && rest.is_empty()
        && req
            .header("Expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        let _ = s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    if chunked {
        req.body = read_chunked(s, rest)?;
    } else if let Some(n) = length {
        let mut body = rest;
        while body.len() < n {
            if read_more(s, &mut body)? == 0 {
                return Err(ReadError::Bad);
            }
        }
        body.truncate(n);
        req.body = body;
    }
    Ok(req)
}

/// Which component would have produced the reply in MaxScale, which decides the `Date` format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Replies built by MaxScale's REST API code: `Date` with a 2-digit year (observed).
    MaxScale,
    /// Replies queued directly on libmicrohttpd (401, 503, malformed JSON): RFC 7231 `Date`.
    Mhd,
}

/// A response to write.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub origin: Origin,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            origin: Origin::MaxScale,
        }
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>, content_type: Option<&str>) -> Response {
        self.body = body.into();
        if let Some(ct) = content_type {
            self.headers.push(("Content-Type".into(), ct.into()));
        }
        self
    }

    pub fn header(mut self, k: &str, v: impl Into<String>) -> Response {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn mhd(mut self) -> Response {
        self.origin = Origin::Mhd;
        self
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Serialise a response (no body for HEAD requests).
pub fn encode(resp: &Response, head_only: bool) -> Vec<u8> {
    let mut bytes = encode_head(resp, Some(resp.body.len() as u64));
    if !head_only {
        bytes.extend_from_slice(&resp.body);
    }
    bytes
}

/// The status line and headers only, with this Content-Length (None: no such header; the body
/// then ends when the connection closes).
pub fn encode_head(resp: &Response, length: Option<u64>) -> Vec<u8> {
    let now = time::now();
    let date = match resp.origin {
        Origin::MaxScale => time::http_date_short_year(now),
        Origin::Mhd => time::http_date(now),
    };
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    out.push_str("Connection: close\r\n");
    if let Some(n) = length {
        out.push_str(&format!("Content-Length: {n}\r\n"));
    }
    for (k, v) in &resp.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Date: {date}\r\n\r\n"));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Duplex {
        input: std::io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Duplex {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            self.input.read(b)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.output.write(b)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn req(raw: &str) -> Result<Request, ReadError> {
        let mut d = Duplex {
            input: std::io::Cursor::new(raw.as_bytes().to_vec()),
            output: vec![],
        };
        read_request(&mut d)
    }

    #[test]
    fn parses() {
        let r = req(
            "PATCH /v1/maxscale?fields%5Bmaxscale%5D=parameters/passive HTTP/1.1\r\n\
                     Host: x\r\nContent-Length: 4\r\n\r\nabcd",
        )
        .unwrap();
        assert_eq!(r.method, "PATCH");
        assert_eq!(r.segments, vec!["v1", "maxscale"]);
        assert_eq!(
            r.query_value("fields[maxscale]"),
            Some("parameters/passive")
        );
        assert_eq!(r.body, b"abcd");
        let r = req(
            "PUT /sim/fault HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhang\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"hang");
        assert!(matches!(req(""), Err(ReadError::Closed)));
        assert!(matches!(req("garbage\r\n\r\n"), Err(ReadError::Bad)));
        assert!(matches!(
            req("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Err(ReadError::Bad)
        ));
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b+c", false), "a b+c");
        assert_eq!(percent_decode("a+b", true), "a b");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%4", false), "%4");
    }
}

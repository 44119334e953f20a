//! The switch's wire protocol: one request line, one reply line, over a unix stream socket.
//!
//! Request: `VERB [NODE] [key=value ...]`, e.g. `reboot n2 by=n1 via=fence_lab`.
//! Reply: `ok [TEXT]` or `err TEXT`. A status reply is `ok on` or `ok off`.
//! Every word is plain ASCII without spaces (node names are checked, values too), so
//! splitting on whitespace is the whole parser.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Longest request or reply line accepted (bounded memory on both sides).
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub verb: String,
    pub args: Vec<String>,
    pub opts: Vec<(String, String)>,
}

impl Request {
    pub fn parse(line: &str) -> Result<Request, String> {
        let mut words = line.split_whitespace();
        let verb = words.next().ok_or("empty request")?.to_string();
        if !verb.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
            return Err(format!("bad verb {verb:?}"));
        }
        let mut args = Vec::new();
        let mut opts = Vec::new();
        for w in words {
            if !w.bytes().all(|b| b.is_ascii_graphic()) {
                return Err("non-printable characters in the request".into());
            }
            match w.split_once('=') {
                Some((k, v)) => opts.push((k.to_string(), v.to_string())),
                None => args.push(w.to_string()),
            }
        }
        Ok(Request { verb, args, opts })
    }

    /// The last value given for `key`.
    pub fn opt(&self, key: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ok(String),
    Err(String),
}

impl Reply {
    pub fn parse(line: &str) -> Reply {
        let line = line.trim_end();
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        match head {
            "ok" => Reply::Ok(rest.to_string()),
            "err" => Reply::Err(rest.to_string()),
            _ => Reply::Err(format!("unexpected reply from the switch: {:.80}", line)),
        }
    }

    pub fn to_line(&self) -> String {
        let (head, text) = match self {
            Reply::Ok(t) => ("ok", t),
            Reply::Err(t) => ("err", t),
        };
        // one line, whatever the text holds
        let text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_LINE - 8)
            .collect();
        if text.is_empty() {
            format!("{head}\n")
        } else {
            format!("{head} {text}\n")
        }
    }
}

/// Sends one request and reads the reply, both within `timeout`. The error text says
/// "timed out" for a timeout (Pacemaker's fencer reads that as a timeout).
pub fn call(socket: &Path, request: &str, timeout: Duration) -> Result<Reply, String> {
    let mut s = UnixStream::connect(socket)
        .map_err(|e| format!("cannot reach the lab switch at {}: {e}", socket.display()))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.write_all(format!("{}\n", request.trim_end()).as_bytes())
        .map_err(|e| format!("sending to the lab switch: {e}"))?;
    let mut line = String::new();
    let mut r = BufReader::new(s).take(MAX_LINE as u64);
    match r.read_line(&mut line) {
        Ok(0) => Err("the lab switch closed the connection without an answer".into()),
        Ok(_) => Ok(Reply::parse(&line)),
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::TimedOut =>
        {
            Err(format!(
                "the lab switch timed out (no answer within {} s)",
                timeout.as_secs()
            ))
        }
        Err(e) => Err(format!("reading the lab switch's answer: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let r = Request::parse("reboot n2 by=n1 via=fence_lab by=n3\n").unwrap();
        assert_eq!(r.verb, "reboot");
        assert_eq!(r.args, vec!["n2"]);
        assert_eq!(r.opt("by"), Some("n3"), "the last value wins");
        assert_eq!(r.opt("via"), Some("fence_lab"));
        assert_eq!(r.opt("why"), None);
        assert!(Request::parse("").is_err());
        assert!(Request::parse("   ").is_err());
        assert!(Request::parse("Off n1").is_err());
        assert!(Request::parse("off n1\u{1b}[0m").is_err());
    }

    #[test]
    fn replies() {
        assert_eq!(Reply::parse("ok on\n"), Reply::Ok("on".into()));
        assert_eq!(Reply::parse("ok\n"), Reply::Ok(String::new()));
        assert_eq!(
            Reply::parse("err no such node\n"),
            Reply::Err("no such node".into())
        );
        assert!(matches!(Reply::parse("hello"), Reply::Err(_)));
        assert_eq!(Reply::Ok("a\nb".into()).to_line(), "ok a b\n");
        assert_eq!(Reply::Err(String::new()).to_line(), "err\n");
        let long = Reply::Ok("x".repeat(10 * MAX_LINE)).to_line();
        assert!(long.len() <= MAX_LINE);
    }

    #[test]
    fn unreachable_and_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s.sock");
        let e = call(&sock, "monitor", Duration::from_secs(1)).unwrap_err();
        assert!(e.contains("cannot reach"), "{e}");
        // a listener that never answers
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let e = call(&sock, "monitor", Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("timed out"), "{e}");
    }
}

//! The client against a tiny local HTTP(S) server that answers like MaxScale (or misbehaves).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use maxscale_rest::{Client, Config, ErrorKind, Secret, Tls};

/// What the fake server does with one request.
enum Reply {
    Send(u16, &'static str, String),
    /// Accept, read the request, never answer (a hung MaxScale).
    Hang,
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn read_request(stream: &mut dyn Read) -> Option<Seen> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let (mut len, mut authorization, mut content_type) = (0usize, None, None);
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        match k.to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().ok()?,
            "authorization" => authorization = Some(v.trim().to_string()),
            "content-type" => content_type = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        authorization,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn respond(stream: &mut dyn Write, status: u16, ctype: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        401 => "Unauthorized",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Whatever",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !ctype.is_empty() {
        head.push_str(&format!("Content-Type: {ctype}\r\n"));
    }
    if status == 401 {
        head.push_str("WWW-Authenticate: Basic realm=\"maxscale\"\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

fn serve_one(stream: &mut (impl Read + Write), handler: &Handler, seen: &Arc<Mutex<Vec<Seen>>>) {
    let Some(req) = read_request(stream) else {
        return;
    };
    seen.lock().unwrap().push(req.clone());
    match handler(&req) {
        Reply::Send(status, ctype, body) => respond(stream, status, ctype, &body),
        Reply::Hang => thread::sleep(Duration::from_secs(30)),
    }
}

fn start(handler: Handler, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (handler, seen, tls) = (handler.clone(), s2.clone(), tls.clone());
            thread::spawn(move || match tls {
                None => {
                    let mut stream = stream;
                    serve_one(&mut stream, &handler, &seen);
                }
                Some(cfg) => {
                    let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    serve_one(&mut tls, &handler, &seen);
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                }
            });
        }
    });
    Server { port, seen }
}

fn client(port: u16) -> Client {
    Client::new(&Config {
        port,
        ..Config::default()
    })
    .unwrap()
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

const MAXSCALE: &str = include_str!("fixtures/maxscale-24.02.json");
const SERVERS: &str = include_str!("fixtures/servers-24.02.json");

#[test]
fn reads_documents_with_basic_auth() {
    let s = start(
        Arc::new(|r: &Seen| match r.path.as_str() {
            "/v1/maxscale" => Reply::Send(200, "application/json", MAXSCALE.into()),
            "/v1/servers" => Reply::Send(200, "application/json", SERVERS.into()),
            _ => Reply::Send(404, "", String::new()),
        }),
        None,
    );
    let c = client(s.port);
    let m = c.maxscale(soon()).unwrap();
    assert_eq!(m.version_text.as_deref(), Some("24.02.3"));
    assert_eq!(m.passive, Some(false));
    let servers = c.servers(soon()).unwrap();
    assert_eq!(servers.len(), 3);
    let seen = s.seen.lock().unwrap();
    // admin:mariadb
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Basic YWRtaW46bWFyaWFkYg==")
    );
    assert_eq!(seen[0].method, "GET");
    drop(seen);
    let e = c.listeners(soon()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound(None));
    assert!(e.to_string().starts_with(&format!(
        "GET http://127.0.0.1:{}/v1/listeners: 404",
        s.port
    )));
}

#[test]
fn patch_passive_sends_a_boolean_and_verifies() {
    let passive = Arc::new(Mutex::new(false));
    let p2 = passive.clone();
    let s = start(
        Arc::new(move |r: &Seen| match (r.method.as_str(), r.path.as_str()) {
            ("PATCH", "/v1/maxscale") | ("PATCH", "/v1/maxscale?sync=false") => {
                let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                match v.pointer("/data/attributes/parameters/passive") {
                    Some(serde_json::Value::Bool(b)) => {
                        *p2.lock().unwrap() = *b;
                        Reply::Send(204, "", String::new())
                    }
                    _ => Reply::Send(
                        400,
                        "application/json",
                        r#"{"errors":[{"detail":"passive: Expected a json boolean, but got a json string."}]}"#.into(),
                    ),
                }
            }
            ("GET", "/v1/maxscale") => Reply::Send(
                200,
                "application/json",
                format!(
                    r#"{{"data":{{"attributes":{{"version":"24.02.3","parameters":{{"passive":{}}}}}}}}}"#,
                    p2.lock().unwrap()
                ),
            ),
            _ => Reply::Send(404, "", String::new()),
        }),
        None,
    );
    let c = client(s.port);
    let info = c.set_passive(true, false, soon()).unwrap();
    assert_eq!(info.passive, Some(true));
    assert!(*passive.lock().unwrap());
    c.set_passive(false, true, soon()).unwrap();
    let seen = s.seen.lock().unwrap();
    let patch = seen.iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(
        patch.body,
        r#"{"data":{"attributes":{"parameters":{"passive":true}}}}"#
    );
    assert_eq!(patch.content_type.as_deref(), Some("application/json"));
    assert!(seen.iter().any(|r| r.path == "/v1/maxscale?sync=false"));
}

#[test]
fn a_patch_that_does_not_stick_is_reported() {
    let s = start(
        Arc::new(|r: &Seen| match r.method.as_str() {
            "PATCH" => Reply::Send(204, "", String::new()),
            _ => Reply::Send(
                200,
                "application/json",
                r#"{"data":{"attributes":{"parameters":{"passive":false}}}}"#.into(),
            ),
        }),
        None,
    );
    let e = client(s.port).set_passive(true, false, soon()).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::NotApplied {
            wanted: true,
            got: Some(false)
        }
    );
}

#[test]
fn error_statuses_keep_maxscale_details() {
    let s = start(
        Arc::new(|r: &Seen| match r.path.as_str() {
            "/v1/maxscale" if r.method == "GET" => Reply::Send(
                401,
                "",
                r#"{ "errors": [ { "detail": "Access denied" } ] }"#.into(),
            ),
            "/v1/servers" => Reply::Send(
                503,
                "application/json",
                r#"{"errors":[{"detail":"MaxScale is shutting down"}]}"#.into(),
            ),
            "/v1/monitors" => Reply::Send(200, "application/json", "<html>garbage</html>".into()),
            "/v1/services" => Reply::Send(200, "application/json", r#"{"links":{}}"#.into()),
            _ => Reply::Send(
                500,
                "application/json",
                r#"{"errors":[{"detail":"boom"}]}"#.into(),
            ),
        }),
        None,
    );
    let c = client(s.port);
    assert_eq!(
        c.maxscale(soon()).unwrap_err().kind,
        ErrorKind::Unauthorized(Some("Access denied".into()))
    );
    assert_eq!(
        c.servers(soon()).unwrap_err().kind,
        ErrorKind::ShuttingDown(Some("MaxScale is shutting down".into()))
    );
    assert!(matches!(
        c.monitors(soon()).unwrap_err().kind,
        ErrorKind::BadJson(_)
    ));
    assert!(matches!(
        c.services(soon()).unwrap_err().kind,
        ErrorKind::UnexpectedJson(_)
    ));
    assert_eq!(
        c.listeners(soon()).unwrap_err().kind,
        ErrorKind::Status(500, Some("boom".into()))
    );
    let e = c.patch_passive(true, false, soon()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Status(500, Some("boom".into())));
}

#[test]
fn a_hung_server_costs_only_the_budget() {
    let s = start(Arc::new(|_: &Seen| Reply::Hang), None);
    let c = client(s.port);
    let t = Instant::now();
    let e = c
        .maxscale(Instant::now() + Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Timeout(_)), "{e}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    // An exhausted budget fails at once, and says so (not "no answer within 0.0ns").
    let e = c.maxscale(Instant::now()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoTimeLeft);
    assert!(
        e.to_string()
            .ends_with("not sent: the time for it was used up"),
        "{e}"
    );
}

#[test]
fn a_closed_port_is_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = client(port).maxscale(soon()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Refused, "{e}");
}

#[test]
fn the_environment_proxy_is_ignored() {
    // A proxy in the environment must not be used for the local admin API: if it were, this
    // request would go to a closed port and be refused.
    let s = start(
        Arc::new(|_: &Seen| Reply::Send(200, "application/json", MAXSCALE.into())),
        None,
    );
    // SAFETY: set before any other thread of this test reads the environment; the variables
    // only matter to code that would honour proxies, which is what this test guards against.
    unsafe {
        std::env::set_var("http_proxy", "http://127.0.0.1:9");
        std::env::set_var("HTTP_PROXY", "http://127.0.0.1:9");
    }
    let r = client(s.port).maxscale(soon());
    unsafe {
        std::env::remove_var("http_proxy");
        std::env::remove_var("HTTP_PROXY");
    }
    r.unwrap();
}

// ---- HTTPS -----------------------------------------------------------------------------

struct Pki {
    _dir: tempfile::TempDir,
    ca: std::path::PathBuf,
    other_ca: std::path::PathBuf,
    server: Arc<rustls::ServerConfig>,
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA.
/// A self-signed CA certificate and key: NAME.pem and NAME.key in DIR.
fn self_signed_ca(dir: &std::path::Path, name: &str, cn: &str) -> bool {
    let (key, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("/CN={cn}"),
    );
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &pem,
            "-days", "2", "-subj", &subj,
        ],
    )
}

/// A CA, a second unrelated CA and a server certificate for 127.0.0.1, made with the openssl
/// command (tests/setup/install-deps.sh installs it): the HTTPS tests fail without it.
fn pki() -> Pki {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = self_signed_ca(d, "ca", "test-ca")
        && self_signed_ca(d, "other", "other-ca")
        && openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "srv.key",
                "-out",
                "srv.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        )
        && std::fs::write(d.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").is_ok()
        && openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "srv.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "srv.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
    assert!(ok, "openssl could not make the test certificates");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(d.join("srv.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(d.join("srv.key")).unwrap();
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    Pki {
        ca: d.join("ca.pem"),
        other_ca: d.join("other.pem"),
        _dir: dir,
        server: Arc::new(server),
    }
}

#[test]
fn https_verified_against_the_ca_file() {
    let pki = pki();
    let s = start(
        Arc::new(|_: &Seen| Reply::Send(200, "application/json", MAXSCALE.into())),
        Some(pki.server.clone()),
    );
    let https = |ca: &std::path::Path| {
        Client::new(&Config {
            port: s.port,
            password: Secret::new("x"),
            tls: Some(Tls {
                ca_file: Some(ca.to_path_buf()),
            }),
            ..Config::default()
        })
        .unwrap()
    };
    let c = https(&pki.ca);
    assert!(c.base_url().starts_with("https://"));
    assert_eq!(c.maxscale(soon()).unwrap().passive, Some(false));
    let e = https(&pki.other_ca).maxscale(soon()).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Tls(_)), "{e}");
    // The system trust store does not know our test CA either.
    let system = Client::new(&Config {
        port: s.port,
        tls: Some(Tls { ca_file: None }),
        ..Config::default()
    })
    .unwrap();
    let e = system.maxscale(soon()).unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Tls(_) | ErrorKind::Other(_)),
        "{e}"
    );
}

#[test]
fn http_to_an_https_port_fails_cleanly() {
    let pki = pki();
    let s = start(
        Arc::new(|_: &Seen| Reply::Send(200, "", String::new())),
        Some(pki.server.clone()),
    );
    let e = client(s.port).maxscale(soon()).unwrap_err();
    assert!(!matches!(e.kind, ErrorKind::Timeout(_)), "{e}");
    let _ = TcpStream::connect(("127.0.0.1", s.port));
}

#[test]
fn tls_to_a_plain_http_port_says_so() {
    // A plain-HTTP server that waits for a request line (as MaxScale's does when it gets a TLS
    // ClientHello): the handshake gets no answer.
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            thread::spawn(move || {
                let _held = stream;
                thread::sleep(Duration::from_secs(30));
            });
        }
    });
    let c = Client::new(&Config {
        port,
        tls: Some(Tls {
            ca_file: Some(pki.ca.clone()),
        }),
        connect_timeout: Duration::from_millis(500),
        ..Config::default()
    })
    .unwrap();
    let t = Instant::now();
    let e = c
        .maxscale(Instant::now() + Duration::from_secs(3))
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(
        matches!(e.kind, ErrorKind::ConnectTimeout { tls: true, .. }),
        "{e:?}"
    );
    let text = e.kind.to_string();
    assert!(text.starts_with("no TLS handshake within 5"), "{text}");
    assert!(text.contains("check admin_tls"), "{text}");
}

// ---- hostile peers ----------------------------------------------------------------------

/// A server that reads the request head and then runs `talk` on the connection.
fn raw_server(talk: fn(&mut TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let mut r = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                talk(&mut stream);
            });
        }
    });
    port
}

fn endless(stream: &mut TcpStream, head: &str) {
    let _ = stream.write_all(head.as_bytes());
    let chunk = vec![b' '; 64 * 1024];
    while stream.write_all(&chunk).is_ok() {}
}

#[test]
fn an_endless_body_ends_at_the_cap() {
    for talk in [
        // No length: read until the connection closes (which it never does).
        (|s: &mut TcpStream| {
            endless(s, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n{\"data\":")
        }) as fn(&mut TcpStream),
        // Chunked, but no chunk sizes: a decoding error, bounded too.
        |s| endless(s, "HTTP/1.1 500 Boom\r\nTransfer-Encoding: chunked\r\n\r\n"),
        // A huge announced length: refused before reading.
        |s| endless(s, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"),
    ] {
        let port = raw_server(talk);
        let t = Instant::now();
        let e = client(port)
            .maxscale(Instant::now() + Duration::from_secs(20))
            .unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert!(
            matches!(
                e.kind,
                ErrorKind::TooLarge(_) | ErrorKind::Other(_) | ErrorKind::BadJson(_)
            ),
            "{e}"
        );
        assert!(e.to_string().len() < 600, "{e}");
    }
}

#[test]
fn an_endless_valid_chunked_body_ends_at_the_cap() {
    let port = raw_server(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let data = vec![b' '; 0x10000];
        loop {
            if s.write_all(b"10000\r\n").is_err()
                || s.write_all(&data).is_err()
                || s.write_all(b"\r\n").is_err()
            {
                return;
            }
        }
    });
    let t = Instant::now();
    let e = client(port)
        .maxscale(Instant::now() + Duration::from_secs(20))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge(maxscale_rest::MAX_BODY), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(
        e.to_string().ends_with("the answer is larger than 4 MiB"),
        "{e}"
    );
}

#[test]
fn a_trickling_body_ends_at_the_deadline() {
    let port = raw_server(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{");
        while s.write_all(b" ").is_ok() {
            thread::sleep(Duration::from_millis(20));
        }
    });
    let t = Instant::now();
    let e = client(port)
        .maxscale(Instant::now() + Duration::from_millis(800))
        .unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Timeout(_)), "{e}");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(1500),
        "{took:?}"
    );
}

#[test]
fn a_huge_hostile_detail_is_kept_short() {
    let port = raw_server(|s| {
        let detail = format!(
            "\u{1b}[2J\u{0}ocf-exit-reason:all fine{}",
            "x".repeat(1 << 20)
        );
        let body = serde_json::json!({"errors": [{"detail": detail}]}).to_string();
        let _ = write!(
            s,
            "HTTP/1.1 500 Boom\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let e = client(port).maxscale(soon()).unwrap_err();
    let detail = e.kind.detail().unwrap();
    assert!(
        detail.len() <= maxscale_rest::model::DETAIL_MAX,
        "{}",
        detail.len()
    );
    assert_eq!(e.kind.summary(), "HTTP 500");
}

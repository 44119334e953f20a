//! A small client for MaxScale's REST API: the reads an HA agent needs, and `passive`.
//!
//! - Blocking (reqwest's blocking client), every request bounded by the caller's deadline: the
//!   timeout of a request is the time left until that deadline, so a hung or SIGSTOPped
//!   MaxScale costs at most the caller's budget.
//! - No proxy from the environment (an agent's environment may carry `http_proxy`; the admin
//!   API is local), HTTP Basic auth, optional HTTPS verified against a CA file (or the system
//!   store), rustls with the `ring` provider installed explicitly.
//! - Views are typed and version-tolerant (2.2 … 24.x), see [`model`]; errors are typed, each
//!   with MaxScale's own `errors[].detail` text when it sent one, see [`ErrorKind`].

pub mod model;
pub mod version;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client as Http, Response};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

pub use model::{Listener, MaxScaleInfo, Monitor, Server, ServerState, Service};
pub use secret::Secret;
pub use version::Version;

use model::{
    decode, error_detail, DecodeError, Document, ListenerAttributes, MaxScaleAttributes,
    MonitorAttributes, Resource, ServerAttributes, ServiceAttributes, Shape,
};

/// MaxScale's defaults: `admin` / `mariadb` (maxctrl's defaults too).
pub const DEFAULT_USER: &str = "admin";
pub const DEFAULT_PASSWORD: &str = "mariadb";
pub const DEFAULT_PORT: u16 = 8989;

/// Where and how to reach the admin API.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    /// HTTPS when set.
    pub tls: Option<Tls>,
    /// Upper bound for establishing a connection (each request is also bounded by its deadline).
    pub connect_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            user: DEFAULT_USER.into(),
            password: Secret::new(DEFAULT_PASSWORD),
            tls: None,
            connect_timeout: Duration::from_secs(2),
        }
    }
}

/// HTTPS settings. Certificates are always verified (chain and host name).
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// PEM file with the CA(s) that signed MaxScale's `admin_ssl_cert`; only these are trusted.
    /// `None`: the system's trust store.
    pub ca_file: Option<PathBuf>,
}

/// What went wrong, as an agent needs to tell it apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// Nothing listens on the port (MaxScale not running, or its REST API not up yet).
    #[error("connection refused")]
    Refused,
    /// No (complete) answer within the budget: MaxScale hung, stopped or overloaded.
    #[error("no answer within {0:.1?}")]
    Timeout(Duration),
    /// 401: wrong user or password (also a read-only user writing, before 2.5).
    #[error("401 Unauthorized{}", detail_suffix(.0))]
    Unauthorized(Option<String>),
    /// 403: the user may not do this (read-only user writing, 2.5+; failed PATCH ≤ 21.06).
    #[error("403 Forbidden{}", detail_suffix(.0))]
    Forbidden(Option<String>),
    /// 404: no such resource (the body is empty for unknown paths).
    #[error("404 Not Found{}", detail_suffix(.0))]
    NotFound(Option<String>),
    /// 503: "MaxScale is shutting down", or the main worker could not run the request.
    #[error("503 Service Unavailable{}", detail_suffix(.0))]
    ShuttingDown(Option<String>),
    /// The body is not JSON.
    #[error("the answer is not JSON: {0}")]
    BadJson(String),
    /// JSON, but not the document expected.
    #[error("unexpected JSON: {0}")]
    UnexpectedJson(String),
    /// Any other status.
    #[error("HTTP {}{}", .0, detail_suffix(.1))]
    Status(u16, Option<String>),
    /// TLS handshake or certificate verification failed, or the CA file is unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// `passive` did not take the value just set.
    #[error("passive is {got:?} after setting it to {wanted}")]
    NotApplied { wanted: bool, got: Option<bool> },
    #[error("{0}")]
    Other(String),
}

fn detail_suffix(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl ErrorKind {
    /// MaxScale's own `errors[].detail`, when it sent one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ErrorKind::Unauthorized(d)
            | ErrorKind::Forbidden(d)
            | ErrorKind::NotFound(d)
            | ErrorKind::ShuttingDown(d)
            | ErrorKind::Status(_, d) => d.as_deref(),
            _ => None,
        }
    }
}

/// A failed request: which one, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{request}: {kind}")]
pub struct Error {
    /// `GET http://127.0.0.1:8989/v1/maxscale`
    pub request: String,
    pub kind: ErrorKind,
}

impl Error {
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

/// A connection to one MaxScale's admin API.
pub struct Client {
    http: Http,
    base: String,
    user: String,
    password: Secret,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("user", &self.user)
            .field("password", &self.password)
            .finish_non_exhaustive()
    }
}

/// Installs rustls' `ring` provider once per process (reqwest is built without a provider).
fn install_crypto_provider() {
    // Err only means a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    pub fn new(config: &Config) -> Result<Client, Error> {
        install_crypto_provider();
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let host = if config.host.contains(':') && !config.host.starts_with('[') {
            format!("[{}]", config.host) // an IPv6 literal
        } else {
            config.host.clone()
        };
        let base = format!("{scheme}://{host}:{}", config.port);
        let fail = |kind| Error {
            request: format!("connect to {base}"),
            kind,
        };
        let mut builder = Http::builder()
            .no_proxy()
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(1)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ocf-mariadb-maxscale/", env!("CARGO_PKG_VERSION")));
        builder = match &config.tls {
            // Plain HTTP: an empty trust store, so the platform verifier (which loads the
            // system's certificates) is never built.
            None => builder.tls_certs_only(Vec::new()),
            Some(Tls {
                ca_file: Some(path),
            }) => {
                let pem = std::fs::read(path).map_err(|e| {
                    fail(ErrorKind::Tls(format!(
                        "cannot read CA file {}: {e}",
                        path.display()
                    )))
                })?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                    fail(ErrorKind::Tls(format!(
                        "no usable certificate in CA file {}: {e}",
                        path.display()
                    )))
                })?;
                if certs.is_empty() {
                    return Err(fail(ErrorKind::Tls(format!(
                        "no certificate in CA file {}",
                        path.display()
                    ))));
                }
                builder.tls_certs_only(certs)
            }
            Some(Tls { ca_file: None }) => builder,
        };
        let http = builder
            .build()
            .map_err(|e| fail(classify(&e, Duration::ZERO)))?;
        Ok(Client {
            http,
            base,
            user: config.user.clone(),
            password: config.password.clone(),
        })
    }

    /// `http://host:port`
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/maxscale`: version, uptime, passive, config sync.
    pub fn maxscale(&self, deadline: Instant) -> Result<MaxScaleInfo, Error> {
        let doc: Document<Resource<MaxScaleAttributes>> =
            self.get("/v1/maxscale", Shape::Single, deadline)?;
        Ok(doc.data.into())
    }

    /// `GET /v1/servers`.
    pub fn servers(&self, deadline: Instant) -> Result<Vec<Server>, Error> {
        self.list::<ServerAttributes, Server>("/v1/servers", deadline)
    }

    /// `GET /v1/monitors`.
    pub fn monitors(&self, deadline: Instant) -> Result<Vec<Monitor>, Error> {
        self.list::<MonitorAttributes, Monitor>("/v1/monitors", deadline)
    }

    /// `GET /v1/services`.
    pub fn services(&self, deadline: Instant) -> Result<Vec<Service>, Error> {
        self.list::<ServiceAttributes, Service>("/v1/services", deadline)
    }

    /// `GET /v1/listeners` (MaxScale 2.5+; older versions answer 404).
    pub fn listeners(&self, deadline: Instant) -> Result<Vec<Listener>, Error> {
        self.list::<ListenerAttributes, Listener>("/v1/listeners", deadline)
    }

    /// `PATCH /v1/maxscale` with `{"data":{"attributes":{"parameters":{"passive":<bool>}}}}`
    /// (a JSON boolean: 2.5+ rejects a string), expecting 204. With `skip_sync`, `?sync=false`
    /// keeps the change out of configuration synchronisation (6.0+; only send it when sync is
    /// on). The change is persisted by MaxScale (it survives a restart).
    pub fn patch_passive(
        &self,
        passive: bool,
        skip_sync: bool,
        deadline: Instant,
    ) -> Result<(), Error> {
        let path = if skip_sync {
            "/v1/maxscale?sync=false"
        } else {
            "/v1/maxscale"
        };
        let body =
            format!(r#"{{"data":{{"attributes":{{"parameters":{{"passive":{passive}}}}}}}}}"#);
        let url = format!("{}{path}", self.base);
        let request = format!("PATCH {url}");
        let resp = self.send(
            self.http
                .patch(&url)
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body),
            &request,
            deadline,
        )?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = read_body(resp, &request, deadline)?;
        Err(Error {
            request,
            kind: status_error(status, &body),
        })
    }

    /// Sets `passive` and verifies it with a fresh `GET /v1/maxscale`; returns that document.
    pub fn set_passive(
        &self,
        passive: bool,
        skip_sync: bool,
        deadline: Instant,
    ) -> Result<MaxScaleInfo, Error> {
        self.patch_passive(passive, skip_sync, deadline)?;
        let info = self.maxscale(deadline)?;
        if info.passive == Some(passive) {
            Ok(info)
        } else {
            Err(Error {
                request: format!("GET {}/v1/maxscale", self.base),
                kind: ErrorKind::NotApplied {
                    wanted: passive,
                    got: info.passive,
                },
            })
        }
    }

    fn list<A, T>(&self, path: &str, deadline: Instant) -> Result<Vec<T>, Error>
    where
        A: DeserializeOwned + Default,
        T: From<Resource<A>>,
    {
        let doc: Document<Vec<Resource<A>>> = self.get(path, Shape::Collection, deadline)?;
        Ok(doc.data.into_iter().map(T::from).collect())
    }

    fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        shape: Shape,
        deadline: Instant,
    ) -> Result<T, Error> {
        let url = format!("{}{path}", self.base);
        let request = format!("GET {url}");
        let resp = self.send(self.http.get(&url), &request, deadline)?;
        let status = resp.status();
        let body = read_body(resp, &request, deadline)?;
        if status != StatusCode::OK {
            return Err(Error {
                request,
                kind: status_error(status, &body),
            });
        }
        decode::<T>(&body, shape).map_err(|e| Error {
            request,
            kind: match e {
                DecodeError::NotJson(m) => ErrorKind::BadJson(m),
                DecodeError::Shape(m) => ErrorKind::UnexpectedJson(m),
            },
        })
    }

    fn send(
        &self,
        rb: reqwest::blocking::RequestBuilder,
        request: &str,
        deadline: Instant,
    ) -> Result<Response, Error> {
        let budget = deadline.saturating_duration_since(Instant::now());
        if budget.is_zero() {
            return Err(Error {
                request: request.to_string(),
                kind: ErrorKind::Timeout(Duration::ZERO),
            });
        }
        rb.basic_auth(&self.user, Some(self.password.expose()))
            .timeout(budget)
            .send()
            .map_err(|e| Error {
                request: request.to_string(),
                kind: classify(&e, budget),
            })
    }
}

fn read_body(resp: Response, request: &str, deadline: Instant) -> Result<Vec<u8>, Error> {
    let budget = deadline.saturating_duration_since(Instant::now());
    resp.bytes().map(|b| b.to_vec()).map_err(|e| Error {
        request: request.to_string(),
        kind: classify(&e, budget),
    })
}

fn status_error(status: StatusCode, body: &[u8]) -> ErrorKind {
    let detail = error_detail(body);
    match status.as_u16() {
        401 => ErrorKind::Unauthorized(detail),
        403 => ErrorKind::Forbidden(detail),
        404 => ErrorKind::NotFound(detail),
        503 => ErrorKind::ShuttingDown(detail),
        code => ErrorKind::Status(code, detail),
    }
}

/// Sorts a transport error into refused / timeout / TLS / other by walking its causes.
fn classify(e: &reqwest::Error, budget: Duration) -> ErrorKind {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut tls = None;
    let mut refused = false;
    let mut timed_out = e.is_timeout();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => refused = true,
                std::io::ErrorKind::TimedOut => timed_out = true,
                _ => {}
            }
            // An io::Error wrapping another error hides it from `source()`; hyper nests them.
            let mut inner: Option<&(dyn std::error::Error + 'static)> = io
                .get_ref()
                .map(|i| i as &(dyn std::error::Error + 'static));
            while let Some(i) = inner {
                if let Some(r) = i.downcast_ref::<rustls::Error>() {
                    tls = Some(r.to_string());
                }
                if let Some(io) = i.downcast_ref::<std::io::Error>() {
                    if io.kind() == std::io::ErrorKind::ConnectionRefused {
                        refused = true;
                    }
                    inner = io
                        .get_ref()
                        .map(|i| i as &(dyn std::error::Error + 'static));
                } else {
                    inner = i.source();
                }
            }
        }
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            tls = Some(r.to_string());
        }
        source = s.source();
    }
    if let Some(t) = tls {
        ErrorKind::Tls(t)
    } else if refused {
        ErrorKind::Refused
    } else if timed_out {
        ErrorKind::Timeout(budget)
    } else {
        ErrorKind::Other(chain(e))
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_leak_through_debug() {
        let c = Config {
            password: Secret::new("s3cr3t"),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let client = Client::new(&c).unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
        assert_eq!(client.base_url(), "http://127.0.0.1:8989");
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        let c = Config {
            host: "::1".into(),
            port: 1,
            ..Config::default()
        };
        assert_eq!(Client::new(&c).unwrap().base_url(), "http://[::1]:1");
    }

    #[test]
    fn error_texts_carry_maxscale_details() {
        let e = Error {
            request: "GET http://127.0.0.1:8989/v1/maxscale".into(),
            kind: status_error(
                StatusCode::UNAUTHORIZED,
                br#"{ "errors": [ { "detail": "Access denied" } ] }"#,
            ),
        };
        assert_eq!(
            e.to_string(),
            "GET http://127.0.0.1:8989/v1/maxscale: 401 Unauthorized: Access denied"
        );
        assert_eq!(e.kind().detail(), Some("Access denied"));
        assert_eq!(
            status_error(StatusCode::NOT_FOUND, b""),
            ErrorKind::NotFound(None)
        );
        assert_eq!(
            status_error(
                StatusCode::SERVICE_UNAVAILABLE,
                br#"{"errors":[{"detail":"MaxScale is shutting down"}]}"#
            )
            .to_string(),
            "503 Service Unavailable: MaxScale is shutting down"
        );
        assert_eq!(
            status_error(StatusCode::BAD_REQUEST, br#"{"errors":[{"detail":"x"}]}"#),
            ErrorKind::Status(400, Some("x".into()))
        );
    }

    #[test]
    fn an_unreadable_ca_file_is_a_tls_error() {
        let c = Config {
            tls: Some(Tls {
                ca_file: Some("/nonexistent/ca.pem".into()),
            }),
            ..Config::default()
        };
        let e = Client::new(&c).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::Tls(ref m) if m.contains("cannot read CA file")),
            "{e}"
        );
    }
}

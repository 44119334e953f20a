//! Throw-away Galera clusters of real mariadbd (MariaDB 10.11 + galera-4 from Debian) on
//! 127.0.0.1, datadirs in a temporary directory, ports only from 35000-35999 (each node:
//! SQL, gmcast, IST, SST distinct: nodes on one address collide otherwise), a cluster name unique per cluster.
//! Everything a cluster started is killed when it is dropped (also when a test panics).

#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use galera_lifecycle::{
    datadir_users, find_server, stop_server, ClusterUuid, GraState, Position, ServerConfig,
    StopReport,
};
use galera_status::{Client, ClusterStatus, LocalState, Target, WsrepStatus};

pub const PORT_FIRST: u16 = 35000;
pub const PORT_LAST: u16 = 35999;
/// Ports per cluster: 4 per node, up to 3 nodes, rounded.
const BLOCK: u16 = 20;
/// Generous bounds: the tests share 2 cores with builds.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(90);

/// `None` (and a printed reason) when the tests cannot run here.
pub fn skip_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root (mariadbd must start as root with --user=mysql)".into());
    }
    if !Path::new(galera_lifecycle::DEFAULT_BINARY).exists()
        || !Path::new("/usr/lib/galera/libgalera_smm.so").exists()
    {
        return Some("mariadbd or galera-4 not installed (tests/setup/install-deps.sh)".into());
    }
    None
}

#[macro_export]
macro_rules! need_galera {
    () => {
        if let Some(why) = common::skip_reason() {
            // Straight to the file descriptor: the test harness captures eprintln!.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {}: {why}", module_path!());
            return;
        }
    };
}

fn port_free(p: u16) -> bool {
    TcpListener::bind(("127.0.0.1", p)).is_ok()
}

/// A block of free ports, distinct for every cluster of this process.
fn port_block() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Start at a pid-dependent block so two test processes rarely collide; skip used ports.
    let blocks = u32::from((PORT_LAST - PORT_FIRST + 1) / BLOCK);
    let offset = std::process::id() % blocks;
    for _ in 0..blocks {
        let k = (NEXT.fetch_add(1, Ordering::SeqCst) + offset) % blocks;
        let base = PORT_FIRST + u16::try_from(k).unwrap() * BLOCK;
        if (base..base + BLOCK).all(port_free) {
            return base;
        }
    }
    panic!("no free block of {BLOCK} ports in {PORT_FIRST}-{PORT_LAST}");
}

pub fn template_path() -> &'static Path {
    template()
}

/// An initialised datadir (mariadb-install-db), made once per test process and copied. A
/// static is never dropped, so the directory is removed at process exit.
fn template() -> &'static Path {
    static T: OnceLock<PathBuf> = OnceLock::new();
    extern "C" fn remove_template() {
        if let Some(p) = T.get() {
            let _ = std::fs::remove_dir_all(p.parent().unwrap_or(p));
        }
    }
    T.get_or_init(|| {
        let dir = tempdir("glc-template").keep();
        // SAFETY: registers a plain function without arguments; it only removes a directory.
        unsafe { libc::atexit(remove_template) };
        let data = dir.join("data");
        std::fs::create_dir(&data).unwrap();
        chown_mysql(&dir);
        chown_mysql(&data);
        let out = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=mysql",
                "--skip-test-db",
                "--auth-root-authentication-method=socket",
            ])
            .arg(format!("--datadir={}", data.display()))
            .output()
            .expect("mariadb-install-db");
        assert!(
            out.status.success(),
            "mariadb-install-db: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        data
    })
}

/// Stops `server` through the crate: SIGKILL `escalate` from now, given up `deadline` from now.
pub fn stop_within(
    server: &daemon_process::Process,
    escalate: Duration,
    deadline: Duration,
) -> StopReport {
    let now = Instant::now();
    stop_server(server, now + escalate, now + deadline).unwrap()
}

pub fn tempdir(prefix: &str) -> tempfile::TempDir {
    let d = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

pub fn chown_mysql(p: &Path) {
    let u = nix::unistd::User::from_name("mysql")
        .unwrap()
        .expect("user mysql");
    std::os::unix::fs::chown(p, Some(u.uid.as_raw()), Some(u.gid.as_raw())).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success(), "cp -a {} {}", from.display(), to.display());
}

pub struct Node {
    pub name: String,
    pub dir: PathBuf,
    pub sql_port: u16,
    pub gmcast: u16,
    pub ist: u16,
    pub sst: u16,
}

impl Node {
    pub fn datadir(&self) -> PathBuf {
        self.dir.join("data")
    }
    pub fn socket(&self) -> PathBuf {
        self.dir.join("mysqld.sock")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("mysqld.err")
    }
    pub fn cnf(&self) -> PathBuf {
        self.dir.join("my.cnf")
    }

    /// The provider options, with a given `pc.wait_prim_timeout`.
    pub fn provider_options(&self, wait_prim: &str) -> String {
        format!(
            "gmcast.listen_addr=tcp://127.0.0.1:{};ist.recv_addr=127.0.0.1:{};gcache.size=16M;pc.wait_prim_timeout={wait_prim}",
            self.gmcast, self.ist
        )
    }

    /// How the crate is told to run this node.
    pub fn cfg(&self) -> ServerConfig {
        let mut c = ServerConfig::new(self.datadir(), self.socket(), self.dir.join("mysqld.pid"));
        c.defaults_file = Some(self.cnf());
        c.log_error = Some(self.log());
        c
    }

    pub fn grastate(&self) -> GraState {
        GraState::read(&self.datadir())
            .unwrap()
            .expect("grastate.dat")
    }

    pub fn client(&self) -> Client {
        Client::new(Target::Socket(self.socket()), "root", None)
    }

    pub fn status(&self) -> Option<WsrepStatus> {
        self.client()
            .fetch(Instant::now() + Duration::from_secs(5))
            .ok()
    }

    pub fn is_synced(&self) -> bool {
        self.status().is_some_and(|s| {
            s.local_state == Some(LocalState::Synced)
                && s.cluster_status == Some(ClusterStatus::Primary)
        })
    }

    /// Waits until Synced and Primary; panics with the log's last errors otherwise.
    pub fn wait_synced(&self) {
        let until = Instant::now() + SYNC_TIMEOUT;
        // Right after exec the server has not yet moved into its datadir: "not found" counts
        // only when it lasts.
        let mut missing_since: Option<Instant> = None;
        while Instant::now() < until {
            if self.is_synced() {
                return;
            }
            if find_server(&self.cfg()).unwrap().is_none() {
                let since = *missing_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(3) {
                    let raw = std::fs::read_to_string(self.dir.join("raw.out")).unwrap_or_default();
                    panic!(
                        "{}: mariadbd exited: {}\n{raw}",
                        self.name,
                        self.log_errors()
                    );
                }
            } else {
                missing_since = None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{}: not Synced after {SYNC_TIMEOUT:?}: {}",
            self.name,
            self.log_errors()
        );
    }

    pub fn log_errors(&self) -> String {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains("[ERROR]"))
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A SQL connection as root over the socket.
    pub fn sql(&self) -> mysql::Conn {
        let opts = mysql::OptsBuilder::new()
            .socket(Some(self.socket().to_string_lossy().into_owned()))
            .user(Some("root"))
            .prefer_socket(false)
            .read_timeout(Some(Duration::from_secs(20)))
            .write_timeout(Some(Duration::from_secs(20)));
        mysql::Conn::new(opts).unwrap_or_else(|e| panic!("{}: connect: {e}", self.name))
    }

    /// Starts mariadbd directly (cluster creation only; the tests' subject is the crate's
    /// start plans). Detached, like the crate does it.
    pub fn raw_start(&self, extra: &[&str]) {
        let mut cmd = Command::new(galera_lifecycle::DEFAULT_BINARY);
        cmd.arg(format!("--defaults-file={}", self.cnf().display()))
            .args(extra);
        let out = std::fs::File::create(self.dir.join("raw.out")).unwrap();
        cmd.stdout(out.try_clone().unwrap())
            .stderr(out)
            .stdin(std::process::Stdio::null());
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        let mut child = cmd.spawn().unwrap();
        // Reaped by a thread so that no zombie stays behind.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
    }

    /// kill -9 of the node's mariadbd (and whatever else runs in its datadir).
    pub fn kill9(&self) {
        for u in datadir_users(&self.datadir(), &[]).unwrap() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(u.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        self.wait_gone();
    }

    pub fn wait_gone(&self) {
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if datadir_users(&self.datadir(), &[]).unwrap().is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{}: processes still use the datadir", self.name);
    }

    /// A graceful stop through the crate (SIGTERM; SIGKILL only after 60 s).
    pub fn stop(&self) {
        let p = find_server(&self.cfg()).unwrap().expect("running");
        let r = stop_within(&p, Duration::from_secs(60), Duration::from_secs(70));
        assert!(
            matches!(r.outcome, daemon_process::StopOutcome::Terminated { .. }),
            "{}: {r:?}",
            self.name
        );
        self.wait_gone();
    }

    pub fn position(&self) -> Position {
        galera_lifecycle::position_of(&self.status().expect("status")).expect("position")
    }
}

pub struct Cluster {
    dir: Option<tempfile::TempDir>,
    pub nodes: Vec<Node>,
    pub name: String,
    /// For the time a test took, logged when the cluster is dropped.
    created: Instant,
}

impl Cluster {
    /// `n` nodes with the template's data, not started.
    pub fn new(n: usize) -> Cluster {
        let dir = tempdir("glc-cluster");
        let base = port_block();
        let name = format!("glc-{}-{base}", std::process::id());
        let nodes: Vec<Node> = (0..n)
            .map(|i| {
                let p = base + 4 * u16::try_from(i).unwrap();
                let nd = dir.path().join(format!("n{}", i + 1));
                std::fs::create_dir(&nd).unwrap();
                chown_mysql(&nd);
                Node {
                    name: format!("n{}", i + 1),
                    dir: nd,
                    sql_port: p,
                    gmcast: p + 1,
                    ist: p + 2,
                    sst: p + 3,
                }
            })
            .collect();
        let addr = format!(
            "gcomm://{}",
            nodes
                .iter()
                .map(|n| format!("127.0.0.1:{}", n.gmcast))
                .collect::<Vec<_>>()
                .join(",")
        );
        for node in &nodes {
            std::fs::write(node.cnf(), cnf(node, &name, &addr)).unwrap();
        }
        Cluster {
            dir: Some(dir),
            nodes,
            name,
            created: Instant::now(),
        }
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i - 1]
    }

    /// Creates the cluster: n1 bootstraps on the template, gets table `t.a`, stops; every
    /// node gets that datadir (same history, seqno, data) and all start: n1 bootstraps, the
    /// others join (by IST: they are at n1's position). Logs how long that took.
    pub fn up(n: usize) -> Cluster {
        let t = Instant::now();
        let c = Cluster::new(n);
        let n1 = c.node(1);
        copy_dir(template(), &n1.datadir());
        n1.raw_start(&["--wsrep-new-cluster"]);
        n1.wait_synced();
        let mut conn = n1.sql();
        use mysql::prelude::Queryable;
        conn.query_drop("CREATE DATABASE t").unwrap();
        conn.query_drop("CREATE TABLE t.a (id INT AUTO_INCREMENT PRIMARY KEY, writer INT NOT NULL, v INT NOT NULL) ENGINE=InnoDB").unwrap();
        drop(conn);
        n1.stop();
        for node in &c.nodes[1..] {
            copy_dir(&n1.datadir(), &node.datadir());
        }
        n1.raw_start(&["--wsrep-new-cluster"]);
        n1.wait_synced();
        for node in &c.nodes[1..] {
            node.raw_start(&[]);
        }
        for node in &c.nodes[1..] {
            node.wait_synced();
        }
        eprintln!("cluster up in {:?}", t.elapsed());
        c
    }

    /// Kills everything still running in the cluster's datadirs.
    pub fn kill_all(&self) {
        for n in &self.nodes {
            for u in datadir_users(&n.datadir(), &[]).unwrap_or_default() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(u.pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        for n in &self.nodes {
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until
                && !datadir_users(&n.datadir(), &[])
                    .unwrap_or_default()
                    .is_empty()
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for Cluster {
    // The harness may read the environment (the rule is for the agents and libraries).
    #[allow(clippy::disallowed_methods)]
    fn drop(&mut self) {
        eprintln!("cluster used for {:?}", self.created.elapsed());
        self.kill_all();
        // GLC_KEEP=1 keeps the datadirs and logs for a post-mortem.
        if std::env::var_os("GLC_KEEP").is_some() {
            if let Some(d) = self.dir.take() {
                eprintln!("kept {}", d.keep().display());
            }
        }
    }
}

fn cnf(node: &Node, cluster: &str, addr: &str) -> String {
    let d = &node.dir;
    format!(
        "# galera-lifecycle test node {name}
[mysqld]
user = mysql
datadir = {data}
socket = {sock}
pid-file = {d}/mysqld.pid
log-error = {d}/mysqld.err
port = {port}
bind-address = 127.0.0.1
skip-name-resolve
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
# The log is written (not synced) at every commit: a kill -9 of the process loses nothing.
innodb_flush_log_at_trx_commit = 2
performance_schema = OFF
max_connections = 30
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
wsrep_on = ON
wsrep_provider = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name = {cluster}
wsrep_cluster_address = {addr}
wsrep_node_name = {name}
wsrep_node_address = 127.0.0.1:{gm}
# Joins on a loaded machine may take a while to see the Primary (default 30 s).
wsrep_provider_options = \"{opts}\"
wsrep_sst_receive_address = 127.0.0.1:{sst}
wsrep_sst_method = rsync
",
        name = node.name,
        data = node.datadir().display(),
        sock = node.socket().display(),
        d = d.display(),
        port = node.sql_port,
        gm = node.gmcast,
        sst = node.sst,
        opts = node.provider_options("PT60S"),
    )
}

/// A client that commits rows in a loop on one node and records every acknowledged id.
pub struct Writer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    acked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    handle: Option<std::thread::JoinHandle<Vec<u64>>>,
}

impl Writer {
    pub fn start(node: &Node, writer: u32) -> Writer {
        let mut conn = node.sql();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let acked_count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = acked_count.clone();
        let handle = std::thread::spawn(move || {
            use mysql::prelude::Queryable;
            let mut acked = Vec::new();
            let mut v = 0u32;
            while !s.load(Ordering::SeqCst) {
                v += 1;
                match conn.exec_drop("INSERT INTO t.a (writer, v) VALUES (?, ?)", (writer, v)) {
                    // Acknowledged: the server answered OK to the autocommit INSERT.
                    Ok(()) => {
                        acked.push(conn.last_insert_id());
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            }
            acked
        });
        Writer {
            stop,
            acked: acked_count,
            handle: Some(handle),
        }
    }

    /// Waits (bounded) until at least `n` commits were acknowledged.
    pub fn wait_acked(&self, n: usize) {
        let until = Instant::now() + Duration::from_secs(60);
        while self.acked.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < until, "fewer than {n} commits in 60 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The acknowledged ids (the writer ends on its first error, e.g. the node was killed).
    pub fn finish(mut self) -> Vec<u64> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.take().unwrap().join().unwrap()
    }
}

/// Every id in `t.a` on `node`.
pub fn ids(node: &Node) -> std::collections::BTreeSet<u64> {
    use mysql::prelude::Queryable;
    node.sql()
        .query::<u64, _>("SELECT id FROM t.a")
        .unwrap()
        .into_iter()
        .collect()
}

pub fn insert_rows(node: &Node, n: u32) {
    use mysql::prelude::Queryable;
    let mut c = node.sql();
    for i in 0..n {
        c.exec_drop("INSERT INTO t.a (writer, v) VALUES (0, ?)", (i,))
            .unwrap();
    }
}

pub fn uuid(p: &Position) -> ClusterUuid {
    p.uuid()
}

impl Node {
    /// Waits until the server answers SQL (for a server without wsrep).
    pub fn wait_sql(&self) {
        let until = Instant::now() + SYNC_TIMEOUT;
        while Instant::now() < until {
            let opts = mysql::OptsBuilder::new()
                .socket(Some(self.socket().to_string_lossy().into_owned()))
                .user(Some("root"))
                .prefer_socket(false);
            if mysql::Conn::new(opts).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{}: no SQL after {SYNC_TIMEOUT:?}: {}",
            self.name,
            self.log_errors()
        );
    }

    /// The pid of the node's mariadbd.
    pub fn pid(&self) -> i32 {
        find_server(&self.cfg()).unwrap().expect("running").pid
    }
}

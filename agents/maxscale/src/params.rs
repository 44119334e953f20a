//! The parameter table: names users and tests rely on (issue 3 §2), each with the exit codes
//! its failures give.

use std::path::PathBuf;

use ocf::{ParamInfo, ParamSpec, Port};

pub const BINARY: ParamSpec<PathBuf> = ParamSpec::path("binary")
    .default("/usr/bin/maxscale")
    .short("MaxScale executable")
    .long(
        "The MaxScale executable. start runs it (it daemonizes; its parent's exit code is the \
         start-up verdict) and the process is recognised by its name (/proc/PID/comm, the \
         basename of this path). Missing or not executable: start and validate-all return 5 \
         (not installed on this node); monitor and stop do not need it.",
    );

pub const CONFIG: ParamSpec<PathBuf> = ParamSpec::path("config")
    .default("/etc/maxscale.cnf")
    .short("MaxScale configuration file")
    .long(
        "Passed as --config. Missing or unreadable on this node: start and validate-all return \
         5. When MaxScale itself rejects it (its exit code 1), start returns 2 (invalid on \
         this node: the file may differ between nodes) with MaxScale's own message as the \
         exit reason.",
    );

pub const USER: ParamSpec<String> = ParamSpec::string("user")
    .default("maxscale")
    .short("System user MaxScale runs as")
    .long(
        "Passed as --user; piddir is created for this user. A user that does not exist on \
         this node: start and validate-all return 5.",
    );

pub const PIDDIR: ParamSpec<PathBuf> = ParamSpec::path("piddir")
    .default("/run/maxscale")
    .short("Directory of maxscale.pid")
    .long(
        "Passed as --piddir. The pid file is PIDDIR/maxscale.pid. start creates the directory \
         (it is on tmpfs and empty after a boot) owned by user. A pid file is trusted only when \
         /proc/PID is a live (not zombie) process named after binary that did not start after \
         the file was written; otherwise it is stale, and start removes it.",
    );

pub const LOGDIR: ParamSpec<PathBuf> = ParamSpec::path("logdir")
    .short("Log directory (--logdir)")
    .long(
        "Passed as --logdir when set. When start fails, the reason is taken from MaxScale's \
         output or, failing that, from what it appended to LOGDIR/maxscale.log \
         (default /var/log/maxscale).",
    );

pub const DATADIR: ParamSpec<PathBuf> = ParamSpec::path("datadir")
    .short("Data directory (--datadir)")
    .long("Passed as --datadir when set.");

pub const CACHEDIR: ParamSpec<PathBuf> = ParamSpec::path("cachedir")
    .short("Cache directory (--cachedir)")
    .long("Passed as --cachedir when set.");

pub const PERSISTDIR: ParamSpec<PathBuf> = ParamSpec::path("persistdir")
    .short("Persisted configuration directory (--persistdir)")
    .long(
        "Passed as --persistdir when set. MaxScale stores runtime changes here, passive \
         included: a MaxScale restarted after a passive=true change comes back passive.",
    );

pub const EXTRA_OPTIONS: ParamSpec<String> = ParamSpec::string("extra_options")
    .short("More MaxScale options")
    .long(
        "Further command-line options, split on whitespace (no shell quoting). Options that \
         would keep MaxScale from daemonizing or starting (-d, --nodaemon, -c, --config-check, \
         -e, --export-config, -v, -V, --version, --help) are a configuration error (6).",
    );

pub const MANAGE_PROCESS: ParamSpec<bool> = ParamSpec::boolean("manage_process")
    .default(true)
    .short("Start and stop MaxScale")
    .long(
        "true: the agent starts and stops the MaxScale process. false: MaxScale is kept running \
         by something else (systemd); start waits until its REST API answers, stop leaves it \
         running (in a promotable clone both set passive=true), monitor judges it through the \
         REST API only (depth 0 is treated as 10) and answers 7 when the API refuses \
         connections.",
    );

pub const ADMIN_HOST: ParamSpec<String> = ParamSpec::string("admin_host")
    .default("127.0.0.1")
    .short("REST API address")
    .long("Address of MaxScale's REST API (its admin_host).");

pub const ADMIN_PORT: ParamSpec<Port> = ParamSpec::new("admin_port")
    .default(Port(maxscale_rest::DEFAULT_PORT))
    .short("REST API port")
    .long("Port of MaxScale's REST API (its admin_port). Not a port number: 6.");

pub const ADMIN_USER: ParamSpec<String> = ParamSpec::string("admin_user")
    .default("admin")
    .short("REST API user")
    .long(
        "REST API account. Promotion needs an admin (read-write) account; a read-only one \
         gets 403 when setting passive. Rejected credentials (401, or 403 'Administrative \
         access required') make every action that talks to MaxScale return 2 (invalid on this \
         node: the password file is per node; never 6, which would ban the resource on every \
         node, and not 1, since restarting MaxScale cannot fix a password).",
    );

pub const ADMIN_PASSWORD_FILE: ParamSpec<PathBuf> = ParamSpec::path("admin_password_file")
    .short("File holding the REST API password")
    .long(
        "A file whose content (one trailing newline removed) is the REST API password; the \
         password itself is never a parameter, never on a command line and never logged. \
         Not set: MaxScale's default password (mariadb). Set but unreadable: 2. Keep it \
         readable by root only (a warning is logged otherwise).",
    );

pub const ADMIN_TLS: ParamSpec<bool> = ParamSpec::boolean("admin_tls")
    .default(false)
    .short("Use HTTPS for the REST API")
    .long(
        "true when MaxScale's admin_ssl_cert/admin_ssl_key are set. The certificate is always \
         verified (against admin_ca_file, or the system's trust store), and must name \
         admin_host. A certificate that does not verify: 2.",
    );

pub const ADMIN_CA_FILE: ParamSpec<PathBuf> = ParamSpec::path("admin_ca_file")
    .short("CA certificate(s) for the REST API")
    .long(
        "PEM file with the CA that signed MaxScale's admin certificate; with it, only this CA \
         is trusted. Unreadable or without a certificate: 2.",
    );

pub const SERVERS: ParamSpec<String> = ParamSpec::string("servers")
    .short("Servers that must be Running (depth 20)")
    .long(
        "Space- or comma-separated MaxScale server names. At OCF_CHECK_LEVEL 20 each must be \
         listed by /v1/servers and Running. When empty, at least one server must be Running (as \
         the Keepalived script of the seeds checked). A failed depth-20 check makes a primitive's \
         monitor return 1; in a promotable clone it only lowers the promotion score.",
    );

pub const REQUIRE_MASTER: ParamSpec<bool> = ParamSpec::boolean("require_master")
    .default(false)
    .short("Depth 20 also needs a Master")
    .long("At OCF_CHECK_LEVEL 20, also require one server with the Master flag.");

pub const ALL: &[&dyn ParamInfo] = &[
    &BINARY,
    &CONFIG,
    &USER,
    &PIDDIR,
    &LOGDIR,
    &DATADIR,
    &CACHEDIR,
    &PERSISTDIR,
    &EXTRA_OPTIONS,
    &MANAGE_PROCESS,
    &ADMIN_HOST,
    &ADMIN_PORT,
    &ADMIN_USER,
    &ADMIN_PASSWORD_FILE,
    &ADMIN_TLS,
    &ADMIN_CA_FILE,
    &SERVERS,
    &REQUIRE_MASTER,
];

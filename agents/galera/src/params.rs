//! The parameter table. Names follow ocf:heartbeat:galera where the meaning is the same, so a
//! migration is a change of the agent name (README: migration notes).

use std::path::PathBuf;

use ocf::{ParamInfo, ParamSpec, TimeSpan};

pub const WSREP_CLUSTER_ADDRESS: ParamSpec<String> = ParamSpec::string("wsrep_cluster_address")
    .required()
    .short("Galera cluster address (gcomm://host1,host2,...)")
    .long(
        "Passed to mariadbd as --wsrep-cluster-address. Its hosts are the configured nodes of \
         the election: each one is a Pacemaker node name, or is mapped to one by \
         cluster_host_map. An empty list (gcomm://) is refused (6): such a node bootstraps a new \
         cluster on every start.",
    );

pub const CLUSTER_HOST_MAP: ParamSpec<String> = ParamSpec::string("cluster_host_map")
    .short("Pacemaker node name to Galera host map")
    .long(
        "'node1:host1;node2:host2': the Pacemaker node name of each host of \
         wsrep_cluster_address (split at the first colon, so a host may carry a port). Hosts not \
         listed are Pacemaker node names themselves.",
    );

pub const CONFIG: ParamSpec<PathBuf> = ParamSpec::path("config")
    .default("/etc/mysql/my.cnf")
    .short("MariaDB option file (--defaults-file)")
    .long("The node's option file, passed first as --defaults-file to every mariadbd run.");

pub const DATADIR: ParamSpec<PathBuf> = ParamSpec::path("datadir")
    .default("/var/lib/mysql")
    .short("Data directory")
    .long("Passed as --datadir; grastate.dat and gvwstate.dat are read from here.");

pub const SOCKET: ParamSpec<PathBuf> = ParamSpec::path("socket")
    .default("/run/mysqld/mysqld.sock")
    .short("SQL unix socket")
    .long("Passed as --socket; monitor reads the wsrep status through it.");

pub const PID: ParamSpec<PathBuf> = ParamSpec::path("pid")
    .default("/run/mysqld/mysqld.pid")
    .short("Pid file")
    .long(
        "Passed as --pid-file. mariadbd writes it only after a state transfer, so the server \
         is also found by its working directory (the datadir).",
    );

pub const USER: ParamSpec<String> = ParamSpec::string("user")
    .default("mysql")
    .short("System user mariadbd runs as (--user)")
    .long("Passed as --user. start creates the socket and pid directories owned by it.");

pub const GROUP: ParamSpec<String> = ParamSpec::string("group")
    .default("mysql")
    .short("System group of the socket and pid directories")
    .long("The group of the socket and pid directories start creates when missing.");

pub const LOG: ParamSpec<PathBuf> = ParamSpec::path("log")
    .short("Error log (--log-error)")
    .long(
        "Passed as --log-error when set. A failed start quotes its last errors in the exit \
         reason.",
    );

pub const BINARY: ParamSpec<PathBuf> = ParamSpec::path("binary")
    .default(galera_lifecycle::DEFAULT_BINARY)
    .short("mariadbd executable")
    .long(
        "mariadbd itself, not mysqld_safe: the wrapper runs its own --wsrep-recover and \
         overrides the error log. Missing: start, promote and validate-all return 5.",
    );

pub const ADDITIONAL_PARAMETERS: ParamSpec<String> = ParamSpec::string("additional_parameters")
    .short("More mariadbd options")
    .long(
        "Further mariadbd options, split on whitespace (no shell quoting). Options the agent \
         decides (--wsrep-new-cluster, --wsrep-start-position, --wsrep-recover, \
         --defaults-file, --datadir, --wsrep-cluster-address, ...) are refused (6).",
    );

pub const CHECK_USER: ParamSpec<String> = ParamSpec::string("check_user")
    .default("root")
    .short("MariaDB user of the status queries")
    .long(
        "The account monitor and promote read the wsrep status with, over the socket. No \
         option file is read (~/.my.cnf cannot change it).",
    );

pub const CHECK_PASSWD_FILE: ParamSpec<PathBuf> = ParamSpec::path("check_passwd_file")
    .short("File with check_user's password")
    .long(
        "The password of check_user, read from this file (first line) with the suite's bounded \
         reader; never on a command line. Unset: no password (root by unix_socket). Missing or \
         unreadable: 2. ocf:heartbeat:galera's check_passwd (a password in the CIB) is not \
         supported on purpose.",
    );

pub const TWO_NODE_MODE: ParamSpec<bool> = ParamSpec::boolean("two_node_mode")
    .default(false)
    .short("Two-node cluster: the survivor may bootstrap once the peer is fenced")
    .long(
        "With two configured nodes, the survivor may bootstrap alone when its peer has not \
         reported and is fenced now: the fencer's newest completed action against it is a \
         successful off or reboot (stonith_admin --history), none is pending, it is not a \
         cluster member (crm_node -l), the fence came after this node last ran Primary, and \
         this node did not leave the Primary component cleanly; and the partition is quorate. \
         Needs stonith-enabled=true and corosync two_node: 1 (with wait_for_all). Otherwise \
         the wait attribute says why it waits.",
    );

pub const MIN_REPORTS: ParamSpec<u32> = ParamSpec::new("min_reports")
    .default(0)
    .short("Reports needed after report_timeout (0: every node)")
    .long(
        "0 (the default): no bootstrap until every configured node has published its position \
         (a missing node may hold the last commits). N > 0: after report_timeout, N reports \
         suffice. Choose a majority at least.",
    );

pub const REPORT_TIMEOUT: ParamSpec<TimeSpan> = ParamSpec::new("report_timeout")
    .default(TimeSpan::millis(300_000))
    .short("Wait this long for every report before min_reports suffice")
    .long("Counted from this instance's start. Only used with min_reports > 0.");

pub const FORCE_BOOTSTRAP_NODE: ParamSpec<String> = ParamSpec::string("force_bootstrap_node")
    .short("Operator override: bootstrap this node without waiting")
    .long(
        "The Pacemaker node name to bootstrap from when no Primary component exists, without \
         waiting for the other reports. Logged as an override. Refused when that node has no \
         trusted position or is behind a reported node. Remove it once the cluster is up: the \
         agent warns while it is set.",
    );

pub const PREPARED_TRANSACTIONS: ParamSpec<String> = ParamSpec::string("prepared_transactions")
    .default("rollback")
    .short("What recovery does with prepared transactions: rollback or refuse")
    .long(
        "rollback: --tc-heuristic-recover=rollback (no client saw them acknowledged), then the \
         position; the report says rolled-back. refuse: report no position; an operator decides.",
    );

pub const HEALTH_ATTRIBUTE: ParamSpec<String> = ParamSpec::string("health_attribute")
    .default("galera-sync")
    .short("Node attribute with galera-sync's meaning")
    .long(
        "Set by monitor to 1 while the node is healthy for clients (Synced, Primary, ready, not \
         read_only, connections free) and 0 otherwise, exactly as ocf:mariadb:galera-sync does, \
         so a VIP rule 'not_defined galera-sync or galera-sync number:lte 0' works with either.",
    );

pub const DONOR_OK: ParamSpec<bool> = ParamSpec::boolean("donor_ok")
    .default(false)
    .short("A Donor/Desynced node counts as healthy (health attribute)")
    .long("As galera-sync's donor_ok.");

pub const NON_PRIMARY_GRACE: ParamSpec<TimeSpan> = ParamSpec::new("non_primary_grace")
    .default(TimeSpan::millis(120_000))
    .short("How long a running node may be outside the Primary component")
    .long(
        "A moment outside the Primary component (IST, a view change) is not a failure. Longer \
         than this, monitor answers 9 (failed promoted) and Pacemaker recovers the instance. \
         A state transfer in progress never counts.",
    );

pub const ALL: &[&dyn ParamInfo] = &[
    &WSREP_CLUSTER_ADDRESS,
    &CLUSTER_HOST_MAP,
    &CONFIG,
    &DATADIR,
    &SOCKET,
    &PID,
    &USER,
    &GROUP,
    &LOG,
    &BINARY,
    &ADDITIONAL_PARAMETERS,
    &CHECK_USER,
    &CHECK_PASSWD_FILE,
    &TWO_NODE_MODE,
    &MIN_REPORTS,
    &REPORT_TIMEOUT,
    &FORCE_BOOTSTRAP_NODE,
    &PREPARED_TRANSACTIONS,
    &HEALTH_ATTRIBUTE,
    &DONOR_OK,
    &NON_PRIMARY_GRACE,
];

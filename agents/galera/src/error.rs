//! The agent's one error enum; each variant knows its OCF code (README: exit codes).

use std::io;
use std::path::PathBuf;

use galera_lifecycle::{ConfigError, DiskError, RecoverError, StartError};
use ocf::{OcfRc, ParamError, SecretError, Unimplemented};

#[derive(Debug, thiserror::Error)]
pub enum GaleraError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Unimplemented(#[from] Unimplemented),
    /// Wrong on every node.
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    ServerConfig(#[from] ConfigError),
    /// This node is not one of the configured ones (its own configuration, 2).
    #[error("node {node} is not in wsrep_cluster_address/cluster_host_map ({nodes})")]
    UnknownNode { node: String, nodes: String },
    #[error("cannot tell the local node name (no CRM_meta_on_node, crm_node -n failed)")]
    NoNodeName,
    #[error("check_passwd_file {0}")]
    PasswordFile(SecretError),
    #[error("{what} {path} missing on this node")]
    NotInstalled { what: &'static str, path: PathBuf },
    #[error("state file {path}: {source}")]
    StateFile { path: PathBuf, source: io::Error },
    #[error("position: {0}")]
    Recover(#[from] RecoverError),
    #[error("{0}")]
    Disk(#[from] DiskError),
    #[error("{0}")]
    Start(StartError),
    #[error("mariadbd already runs on this datadir outside the agent (pid {pid}); stop it first")]
    AlreadyRunning { pid: i32 },
    #[error("stop: mariadbd pid {pid} still alive after SIGKILL")]
    StopFailed { pid: i32 },
    #[error("mariadbd exited while promoted: {0}")]
    ServerGone(String),
    #[error("outside the Primary component for {secs} s: {what}")]
    NotPrimary { secs: u64, what: String },
    #[error("bootstrap did not reach Primary: {0}")]
    BootstrapNotPrimary(String),
    /// promote ran out of time before the election allowed this node to start.
    #[error("{0}")]
    Waiting(String),
    /// No automatic decision is safe: an operator must act.
    #[error("{0}")]
    Blocked(String),
    #[error("{0}")]
    Cluster(String),
}

impl From<StartError> for GaleraError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Config(c) => GaleraError::ServerConfig(c),
            e => GaleraError::Start(e),
        }
    }
}

impl ocf::Failure for GaleraError {
    fn rc(&self) -> OcfRc {
        match self {
            GaleraError::Param(e) => e.rc(),
            GaleraError::Unimplemented(_) => OcfRc::ErrUnimplemented,
            GaleraError::Config(_) | GaleraError::ServerConfig(_) => OcfRc::ErrConfigured,
            GaleraError::UnknownNode { .. } | GaleraError::PasswordFile(_) => OcfRc::ErrArgs,
            GaleraError::NotInstalled { .. } => OcfRc::ErrInstalled,
            GaleraError::StateFile { source, .. }
                if source.kind() == io::ErrorKind::PermissionDenied =>
            {
                OcfRc::ErrPerm
            }
            GaleraError::Recover(RecoverError::Config(_)) => OcfRc::ErrConfigured,
            GaleraError::NotPrimary { .. } => OcfRc::FailedPromoted,
            GaleraError::NoNodeName
            | GaleraError::StateFile { .. }
            | GaleraError::Recover(_)
            | GaleraError::Disk(_)
            | GaleraError::Start(_)
            | GaleraError::AlreadyRunning { .. }
            | GaleraError::StopFailed { .. }
            | GaleraError::ServerGone(_)
            | GaleraError::BootstrapNotPrimary(_)
            | GaleraError::Waiting(_)
            | GaleraError::Blocked(_)
            | GaleraError::Cluster(_) => OcfRc::ErrGeneric,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::Failure;

    #[test]
    fn codes() {
        assert_eq!(GaleraError::Config("x".into()).rc(), OcfRc::ErrConfigured);
        let e = GaleraError::from(StartError::Config(ConfigError::NoUser));
        assert_eq!(e.rc(), OcfRc::ErrConfigured);
        assert_eq!(
            GaleraError::NotPrimary {
                secs: 5,
                what: "non-Primary".into()
            }
            .rc(),
            OcfRc::FailedPromoted
        );
        let denied = GaleraError::StateFile {
            path: "/x".into(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        assert_eq!(denied.rc(), OcfRc::ErrPerm);
        assert_eq!(
            GaleraError::UnknownNode {
                node: "a".into(),
                nodes: "b".into()
            }
            .rc(),
            OcfRc::ErrArgs
        );
        assert_eq!(GaleraError::Waiting("w".into()).rc(), OcfRc::ErrGeneric);
    }
}

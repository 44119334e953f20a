//! The files generated from the agents' declarations: each agent's meta-data
//! (`metadata/<agent>.xml`, exactly what `<agent> meta-data` prints) and man page
//! (`packaging/man/ocf_mariadb_<agent>.7`, what `<agent> --man` prints). `gen-docs` writes them,
//! `tests/generated.rs` fails when a checked-in copy drifts, and the packages ship them.

use std::path::{Path, PathBuf};

use ocf::{Agent, AgentInfo};

/// The command that regenerates every file below (printed by the drift test).
pub const REGENERATE: &str = "cargo run -q -p resource-agents-mariadb --bin gen-docs";

/// The four agents, in the order they are installed.
pub fn agents() -> [&'static AgentInfo; 4] {
    [
        Agent::info(&vip::VipAgent),
        Agent::info(&maxscale::MaxScaleAgent),
        Agent::info(&galera_sync::GaleraSyncAgent),
        Agent::info(&galera::GaleraAgent),
    ]
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// What one generated file is and holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Relative to the workspace root, with `/` separators.
    pub path: String,
    pub content: String,
}

/// `metadata/<agent>.xml` for one agent.
pub fn metadata_file(info: &AgentInfo) -> Generated {
    Generated {
        path: format!("metadata/{}.xml", info.name),
        content: ocf::metadata::render(info),
    }
}

/// `packaging/man/ocf_mariadb_<agent>.7` for one agent.
pub fn man_file(info: &AgentInfo) -> Generated {
    Generated {
        path: format!(
            "packaging/man/ocf_{}_{}.7",
            ocf::manpage::PROVIDER,
            info.name
        ),
        content: ocf::manpage::render(info),
    }
}

/// Every generated file: the meta-data and the man page of each agent.
pub fn all() -> Vec<Generated> {
    agents()
        .into_iter()
        .flat_map(|info| [metadata_file(info), man_file(info)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_installed_names() {
        let paths: Vec<String> = all().into_iter().map(|g| g.path).collect();
        assert_eq!(
            paths,
            [
                "metadata/vip.xml",
                "packaging/man/ocf_mariadb_vip.7",
                "metadata/maxscale.xml",
                "packaging/man/ocf_mariadb_maxscale.7",
                "metadata/galera-sync.xml",
                "packaging/man/ocf_mariadb_galera-sync.7",
                "metadata/galera.xml",
                "packaging/man/ocf_mariadb_galera.7",
            ]
        );
    }
}

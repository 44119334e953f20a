//! ocf:mariadb:galera-sync rows of the fault matrix (see src/lib.rs).

use fault_matrix::{become_agent_if_asked, common_rows, run_all, Agent, OddPaths, Row};

#[test]
fn agent_process() {
    become_agent_if_asked();
}

#[test]
fn galera_sync_rows() {
    let paths = OddPaths::new();
    let mut rows = common_rows(Agent::GaleraSync);
    let gs = |what: &str, args: &[&str]| Row::new(Agent::GaleraSync, what, args);
    for (kind, path) in [
        ("/dev/zero", "/dev/zero".to_string()),
        ("a FIFO", paths.fifo()),
        ("a directory", paths.dir()),
        ("missing", paths.missing()),
    ] {
        rows.push(
            gs(
                &format!("validate, password_file {kind}"),
                &["validate-all"],
            )
            .env("HA_RSCTMP", paths.dir())
            .param("password_file", path)
            .expect(&[2])
            .reason("password_file"),
        );
    }
    rows.push(
        gs("probe, not started", &["monitor"])
            .env("HA_RSCTMP", paths.dir())
            .probe()
            .expect(&[7]),
    );
    run_all(&rows);
}

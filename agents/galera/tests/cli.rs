//! The built binary as Pacemaker and ocf-tester run it, its output captured (an in-process
//! run wrote its meta-data and exit reasons into the test log), without Galera or a cluster:
//! meta-data is the declaration, and the actions that need no server answer as OCF says.

use std::process::Command;

use ocf_test_support::{assert_meta_data_is_the_declaration, Run};

const BIN: &str = env!("CARGO_BIN_EXE_galera");

fn run(action: &str, rsctmp: &std::path::Path) -> Run {
    Run::of(
        Command::new(BIN)
            .arg(action)
            .env_clear()
            .env("HA_RSCTMP", rsctmp)
            .env("OCF_RESOURCE_INSTANCE", "g"),
    )
}

#[test]
fn meta_data_is_the_declaration() {
    assert_meta_data_is_the_declaration(BIN, &galera::INFO);
}

#[test]
fn unconfigured_actions() {
    let dir = tempfile::tempdir().unwrap();
    run("validate-all", dir.path())
        .assert_rc(6, "validate-all without wsrep_cluster_address")
        .assert_reason("wsrep_cluster_address");
    run("stop", dir.path()).assert_rc(0, "stop of what never ran");
    run("reload", dir.path()).assert_rc(3, "reload (legacy, not implemented)");
}

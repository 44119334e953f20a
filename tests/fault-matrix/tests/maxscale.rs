//! ocf:mariadb:maxscale rows of the fault matrix (see src/lib.rs).

use fault_matrix::{become_agent_if_asked, common_rows, run_all, Agent, OddPaths, Row};

#[test]
fn agent_process() {
    become_agent_if_asked();
}

#[test]
fn maxscale_rows() {
    let paths = OddPaths::new();
    let mut rows = common_rows(Agent::MaxScale);
    let mxs = |what: &str, args: &[&str]| Row::new(Agent::MaxScale, what, args);
    for (kind, path) in [
        ("/dev/zero", "/dev/zero".to_string()),
        ("a FIFO", paths.fifo()),
        ("a directory", paths.dir()),
        ("missing", paths.missing()),
        ("through a file", paths.under_file()),
        ("too long", paths.too_long()),
    ] {
        rows.push(
            mxs(
                &format!("validate, admin_password_file {kind}"),
                &["validate-all"],
            )
            .param("manage_process", "false")
            .param("admin_password_file", path)
            .expect(&[2])
            .reason("admin_password_file"),
        );
    }
    rows.push(
        mxs("stop, nothing configured, nothing running", &["stop"])
            .param("piddir", paths.dir())
            .expect(&[0]),
    );
    run_all(&rows);
}

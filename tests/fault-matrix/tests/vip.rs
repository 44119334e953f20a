//! ocf:mariadb:vip rows of the fault matrix (see src/lib.rs).

use fault_matrix::{become_agent_if_asked, common_rows, run_all, Agent, Row};

#[test]
fn agent_process() {
    become_agent_if_asked();
}

#[test]
fn vip_rows() {
    let mut rows = common_rows(Agent::Vip);
    let vip = |what: &str, args: &[&str]| Row::new(Agent::Vip, what, args);
    rows.extend([
        vip("probe, ip missing", &["monitor"]).probe().expect(&[7]),
        vip("monitor, ip missing", &["monitor"])
            .env("OCF_RESKEY_CRM_meta_interval", "10000")
            .expect(&[6])
            .reason("'ip'"),
        vip("stop, ip malformed", &["stop"])
            .param("ip", "300.1.1.1")
            .expect(&[0]),
        vip("stop, nic missing", &["stop"])
            .param("ip", "192.0.2.77")
            .param("nic", "nosuchnic0")
            .expect(&[0]),
        vip("validate, ip with a hostile text", &["validate-all"])
            .param(
                "ip",
                format!("\u{1b}[2Jocf-exit-reason:fake{}", "x".repeat(5000)),
            )
            .expect(&[6])
            .reason("parameter 'ip'"),
    ]);
    run_all(&rows);
}

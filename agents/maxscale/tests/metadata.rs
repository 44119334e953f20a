//! meta-data: the binary prints the agent's declaration, and it declares every parameter of
//! the issue. That the checked-in `metadata/maxscale.xml` is current and valid for ocf-tester
//! (`xmllint --valid` against ra-api-1.dtd) is tested for every agent in
//! packaging/tests/generated.rs.

use ocf::Agent;
use ocf_test_support::{assert_meta_data_is_the_declaration, meta_data};

const AGENT: &str = env!("CARGO_BIN_EXE_maxscale");

#[test]
fn meta_data_prints_the_declaration() {
    assert_meta_data_is_the_declaration(AGENT, maxscale::MaxScaleAgent.info());
}

#[test]
fn every_parameter_of_the_issue_is_declared() {
    let xml = meta_data(AGENT);
    for name in [
        "binary",
        "config",
        "user",
        "piddir",
        "logdir",
        "datadir",
        "cachedir",
        "persistdir",
        "extra_options",
        "manage_process",
        "admin_host",
        "admin_port",
        "admin_user",
        "admin_password_file",
        "admin_tls",
        "admin_ca_file",
        "servers",
        "require_master",
    ] {
        assert!(
            xml.contains(&format!("<parameter name=\"{name}\"")),
            "{name}"
        );
    }
    assert_eq!(xml.matches("<parameter ").count(), 18);
    assert!(xml.contains("role=\"Promoted\"") && xml.contains("role=\"Unpromoted\""));
}

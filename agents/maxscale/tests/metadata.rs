//! meta-data: the checked-in copy is current, and it validates against ra-api-1.dtd the way
//! ocf-tester checks it (`xmllint --noout --valid -` in the DTD's directory).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const AGENT: &str = env!("CARGO_BIN_EXE_maxscale");
const CHECKED_IN: &str = include_str!("../../../metadata/maxscale.xml");
const DTD_DIR: &str = "/usr/share/resource-agents";

fn meta_data() -> String {
    let out = Command::new(AGENT)
        .arg("meta-data")
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "meta-data prints only XML");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn checked_in_metadata_is_current() {
    assert!(
        meta_data() == CHECKED_IN,
        "metadata/maxscale.xml is stale: cargo run -q -p maxscale -- meta-data > metadata/maxscale.xml"
    );
}

#[test]
fn metadata_is_valid_for_ocf_tester() {
    if !Path::new(DTD_DIR).join("ra-api-1.dtd").exists() {
        eprintln!("{DTD_DIR}/ra-api-1.dtd missing (resource-agents not installed): skipped");
        return;
    }
    let child = Command::new("xmllint")
        .args(["--noout", "--valid", "-"])
        .current_dir(DTD_DIR)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("xmllint missing: skipped");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(meta_data().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_parameter_of_the_issue_is_declared() {
    let xml = meta_data();
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

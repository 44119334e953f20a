//! The checked-in meta-data (`metadata/vip.xml`) is what the agent prints, and it is valid for
//! ocf-tester's validator (`xmllint --valid` against resource-agents' ra-api-1.dtd).
//! Regenerate with `cargo run -q -p vip -- meta-data > metadata/vip.xml`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const CHECKED_IN: &str = include_str!("../../../metadata/vip.xml");
const DTD_DIR: &str = "/usr/share/resource-agents";

fn meta_data() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vip"))
        .arg("meta-data")
        .env_clear()
        .output()
        .expect("run vip meta-data");
    assert!(out.status.success(), "meta-data exit {:?}", out.status);
    assert!(out.stderr.is_empty(), "meta-data wrote to stderr");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn meta_data_matches_the_checked_in_file() {
    let now = meta_data();
    assert!(
        now == CHECKED_IN,
        "metadata/vip.xml is out of date: regenerate it with \
         `cargo run -q -p vip -- meta-data > metadata/vip.xml`"
    );
}

#[test]
fn meta_data_is_valid_against_ra_api_dtd() {
    let dtd = Path::new(DTD_DIR).join("ra-api-1.dtd");
    let xmllint = Command::new("xmllint").arg("--version").output();
    if xmllint.is_err() || !dtd.exists() {
        eprintln!(
            "\n\n*** SKIPPED meta_data_is_valid_against_ra_api_dtd: needs xmllint \
             (libxml2-utils) and {} (resource-agents) ***\n\n",
            dtd.display()
        );
        return;
    }
    // As ocf-tester does it: cwd in the DTD's directory, the XML on stdin.
    let mut child = Command::new("xmllint")
        .args(["--noout", "--valid", "-"])
        .current_dir(DTD_DIR)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xmllint");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(meta_data().as_bytes())
        .expect("write meta-data");
    let out = child.wait_with_output().expect("xmllint");
    assert!(
        out.status.success(),
        "xmllint --valid rejects the meta-data:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

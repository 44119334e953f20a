//! The checked-in generated files are what the renderers produce now, the meta-data is valid
//! for ocf-tester, and the man pages render without a warning. Regenerate with
//! `cargo run -q -p resource-agents-mariadb --bin gen-docs`.
//!
//! The meta-data validation needs `xmllint` (Debian package libxml2-utils) and ra-api-1.dtd
//! (resource-agents); the rendering tests need `man` (man-db) and `groff` (groff-base, which
//! man-db depends on). They fail, never skip, when those are missing.

use std::path::PathBuf;
use std::process::Command;

use ocf_test_support::xmllint_valid;
use resource_agents_mariadb::{agents, man_file, metadata_file, workspace_root, Generated};

fn agent(name: &str) -> &'static ocf::AgentInfo {
    agents()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no agent named {name}"))
}

fn assert_current(file: Generated) {
    let path = workspace_root().join(&file.path);
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == file.content,
        "{} is out of date (or missing): regenerate it with `{}` and commit the result",
        file.path,
        resource_agents_mariadb::REGENERATE
    );
}

macro_rules! drift_tests {
    ($($test:ident: $kind:ident($agent:literal);)*) => {
        $(
            #[test]
            fn $test() {
                assert_current($kind(agent($agent)));
            }
        )*
    };
}

drift_tests! {
    metadata_vip_xml_is_current: metadata_file("vip");
    metadata_maxscale_xml_is_current: metadata_file("maxscale");
    metadata_galera_sync_xml_is_current: metadata_file("galera-sync");
    metadata_galera_xml_is_current: metadata_file("galera");
    man_ocf_mariadb_vip_7_is_current: man_file("vip");
    man_ocf_mariadb_maxscale_7_is_current: man_file("maxscale");
    man_ocf_mariadb_galera_sync_7_is_current: man_file("galera-sync");
    man_ocf_mariadb_galera_7_is_current: man_file("galera");
}

/// What ocf-tester checks first: `xmllint --noout --valid` against ra-api-1.dtd, run in the
/// DTD's directory. The drift tests above make this the checked-in file as well.
fn assert_valid_metadata(name: &str) {
    let file = metadata_file(agent(name));
    if let Err(e) = xmllint_valid(&file.content) {
        panic!("{} is not valid for ocf-tester: {e}", file.path);
    }
}

#[test]
fn metadata_vip_xml_is_valid_against_ra_api_1_dtd() {
    assert_valid_metadata("vip");
}

#[test]
fn metadata_maxscale_xml_is_valid_against_ra_api_1_dtd() {
    assert_valid_metadata("maxscale");
}

#[test]
fn metadata_galera_sync_xml_is_valid_against_ra_api_1_dtd() {
    assert_valid_metadata("galera-sync");
}

#[test]
fn metadata_galera_xml_is_valid_against_ra_api_1_dtd() {
    assert_valid_metadata("galera");
}

fn page(name: &str) -> PathBuf {
    workspace_root().join(man_file(agent(name)).path)
}

fn run(program: &str, args: &[&str], package: &str) -> (String, String) {
    let out = Command::new(program)
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .env("MANWIDTH", "80")
        .env_remove("MANPAGER")
        .env_remove("PAGER")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{program}` ({e}): the man page checks need it; install the Debian \
                 package {package} (tests/setup/install-deps.sh)"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "`{program} {}` failed with {}:\n{stderr}",
        args.join(" "),
        out.status
    );
    (stdout, stderr)
}

/// What a user sees: `man -l` (man-db runs preconv, tbl and groff) with every groff warning on
/// (`--warnings=w`), and groff itself with `-ww`.
fn assert_renders(name: &str) {
    let path = page(name);
    let path = path.to_str().expect("UTF-8 path");
    let (text, warnings) = run("man", &["--warnings=w", "-l", path], "man-db");
    assert!(
        warnings.trim().is_empty(),
        "man -l {path} warns:\n{warnings}"
    );
    let title = format!("ocf_mariadb_{name}");
    assert!(
        text.contains("NAME") && text.contains(&title) && text.contains("SUPPORTED PARAMETERS"),
        "man -l {path} rendered something unexpected:\n{text}"
    );
    let (_, warnings) = run(
        "groff",
        &["-k", "-man", "-Tutf8", "-ww", "-z", path],
        "groff-base",
    );
    assert!(
        warnings.trim().is_empty(),
        "groff -ww warns about {path}:\n{warnings}"
    );
}

#[test]
fn man_ocf_mariadb_vip_7_renders_without_warnings() {
    assert_renders("vip");
}

#[test]
fn man_ocf_mariadb_maxscale_7_renders_without_warnings() {
    assert_renders("maxscale");
}

#[test]
fn man_ocf_mariadb_galera_sync_7_renders_without_warnings() {
    assert_renders("galera-sync");
}

#[test]
fn man_ocf_mariadb_galera_7_renders_without_warnings() {
    assert_renders("galera");
}

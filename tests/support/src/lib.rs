//! Helpers shared by the integration tests of the agents (and of the packaging): the result of
//! one run of an agent binary, the exit reason it gave Pacemaker, what its `meta-data` prints,
//! and the validation of meta-data the way ocf-tester does it; throw-away network namespaces
//! ([`netns`]). Test-only, never packaged.

pub mod netns;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Where resource-agents installs `ra-api-1.dtd`, the DTD that meta-data names by a relative
/// path (`<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">`).
pub const DTD_DIR: &str = "/usr/share/resource-agents";

/// The result of one agent run.
#[derive(Debug)]
pub struct Run {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Runs `cmd` to its end (stdin from /dev/null, output captured) and times it.
    pub fn of(cmd: &mut Command) -> Run {
        let started = Instant::now();
        let out = cmd.output().expect("run the agent");
        Run::from((out, started.elapsed()))
    }

    /// The exit reason Pacemaker would show (the last `ocf-exit-reason:` line), or "".
    pub fn reason(&self) -> String {
        self.stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("ocf-exit-reason:"))
            .unwrap_or("")
            .to_string()
    }

    /// Asserts the exit code, showing stderr when it differs.
    #[track_caller]
    pub fn assert_rc(&self, rc: i32, what: &str) -> &Run {
        assert_eq!(
            self.rc, rc,
            "{what}: expected rc {rc}, got {}\nstderr:\n{}",
            self.rc, self.stderr
        );
        self
    }

    /// Asserts that the run ended within `limit`.
    #[track_caller]
    pub fn assert_within(&self, limit: Duration, what: &str) -> &Run {
        assert!(
            self.elapsed < limit,
            "{what}: took {:?}, more than {limit:?}",
            self.elapsed
        );
        self
    }

    /// Asserts that the exit reason contains `needle`.
    #[track_caller]
    pub fn assert_reason(&self, needle: &str) -> &Run {
        let r = self.reason();
        assert!(
            r.contains(needle),
            "exit reason '{r}' does not contain '{needle}'\nstderr:\n{}",
            self.stderr
        );
        self
    }
}

impl From<(Output, Duration)> for Run {
    fn from((o, elapsed): (Output, Duration)) -> Run {
        Run {
            rc: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            elapsed,
        }
    }
}

/// `<agent> meta-data` as ocf-tester and Pacemaker run it (no environment at all): asserts
/// exit 0 and nothing on stderr (meta-data prints only XML), returns the XML.
#[track_caller]
pub fn meta_data(agent: &str) -> String {
    let run = Run::of(Command::new(agent).arg("meta-data").env_clear());
    run.assert_rc(0, "meta-data");
    assert!(
        run.stderr.is_empty(),
        "meta-data prints only XML, but wrote to stderr:\n{}",
        run.stderr
    );
    run.stdout
}

/// Asserts that `<agent> meta-data` (see [`meta_data`]) prints exactly the agent's declaration
/// as `ocf::metadata::render` renders it: the text packaging/tests/generated.rs compares with the
/// checked-in `metadata/<agent>.xml` and validates against the DTD.
#[track_caller]
pub fn assert_meta_data_is_the_declaration(agent: &str, info: &ocf::AgentInfo) {
    assert!(
        meta_data(agent) == ocf::metadata::render(info),
        "`{agent} meta-data` differs from the rendered declaration of {}",
        info.name
    );
}

/// Validates meta-data as ocf-tester does: `xmllint --noout --valid -` with the XML on stdin
/// and the working directory in [`DTD_DIR`], so that the DOCTYPE's relative `ra-api-1.dtd`
/// resolves. `Err` holds xmllint's complaints. Panics, never skips, when xmllint (Debian
/// package libxml2-utils) or the DTD (resource-agents) is missing.
pub fn xmllint_valid(xml: &str) -> Result<(), String> {
    let dtd = Path::new(DTD_DIR).join("ra-api-1.dtd");
    assert!(
        dtd.is_file(),
        "{} is missing: install resource-agents (tests/setup/install-deps.sh)",
        dtd.display()
    );
    let mut child = Command::new("xmllint")
        .args(["--noout", "--valid", "-"])
        .current_dir(DTD_DIR)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run xmllint ({e}): install libxml2-utils (tests/setup/install-deps.sh)")
        });
    child
        .stdin
        .take()
        .expect("xmllint's stdin")
        .write_all(xml.as_bytes())
        .expect("write the XML to xmllint");
    let out = child.wait_with_output().expect("wait for xmllint");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "xmllint --valid exited with {}:\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_is_the_last_exit_reason_line() {
        let run = Run {
            rc: 6,
            stdout: String::new(),
            stderr: "ocf-exit-reason:first\nnoise\nocf-exit-reason:second\ntrailer\n".into(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(run.reason(), "second");
        run.assert_rc(6, "rc").assert_reason("sec");
        let quiet = Run {
            stderr: "no reason here\n".into(),
            ..run
        };
        assert_eq!(quiet.reason(), "");
    }

    #[test]
    fn xmllint_rejects_what_the_dtd_does_not_allow() {
        let head = "<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n";
        let minimal = "<resource-agent name=\"t\">\n<version>1.0</version>\n\
             <longdesc lang=\"en\">t</longdesc>\n<shortdesc lang=\"en\">t</shortdesc>\n\
             <parameters/>\n<actions><action name=\"start\" timeout=\"20s\"/></actions>\n</resource-agent>\n";
        assert_eq!(xmllint_valid(&format!("{head}{minimal}")), Ok(()));
        let unknown = minimal.replace("<parameters/>", "<parameters/><bogus/>");
        let err = xmllint_valid(&format!("{head}{unknown}")).unwrap_err();
        assert!(err.contains("bogus"), "{err}");
    }
}

//! Node attributes and promotion scores, through Pacemaker's own tools.
//!
//! Transient node attributes go through `attrd_updater` (the `ocf:pacemaker:ping` pattern);
//! promotion scores through `crm_attribute --promotion`, which keeps them transient
//! (`--lifetime reboot`), unlike the deprecated `crm_master`.

use std::process::Command;
use std::time::Duration;

use crate::command::{run_ok, run_until, CommandError, Output};
use crate::deadline::Deadline;

/// Where Pacemaker installs its command-line tools on every distribution. Used when a tool is
/// not on `PATH` — e.g. for `wsrep_notify_cmd`, which inherits mysqld's environment.
pub const PACEMAKER_SBIN: &str = "/usr/sbin";

/// Calls `run(program)` with the bare tool name (found on `PATH`, so tests can substitute a
/// fake) and, when that is not found, with the tool under [`PACEMAKER_SBIN`].
fn run_tool<T>(
    tool: &str,
    mut run: impl FnMut(&str) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    match run(tool) {
        Err(CommandError::NotFound { .. }) => run(&format!("{PACEMAKER_SBIN}/{tool}")),
        other => other,
    }
}

/// A transient node attribute, like `pingd`: the value a location rule reads.
#[derive(Debug, Clone)]
pub struct NodeAttribute {
    pub name: String,
    /// `-N`: the node Pacemaker runs us for; `None` means the local node.
    pub node: Option<String>,
    /// attrd's dampening: wait this long for further changes before writing to the CIB.
    pub dampen: Option<Duration>,
}

impl NodeAttribute {
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.arg("-n").arg(&self.name);
        if let Some(node) = &self.node {
            cmd.arg("-N").arg(node);
        }
        cmd
    }

    /// Sets the value (and the dampening, `-B … -d`, so a changed `dampen` takes effect).
    pub fn update(&self, value: &str, deadline: &Deadline) -> Result<(), CommandError> {
        run_tool("attrd_updater", |program| {
            let mut cmd = self.command(program);
            match self.dampen {
                Some(d) => cmd
                    .arg("-B")
                    .arg(value)
                    .arg("-d")
                    .arg(format!("{}ms", d.as_millis())),
                None => cmd.arg("-U").arg(value),
            };
            run_ok(&mut cmd, deadline.at()).map(drop)
        })
    }

    /// Removes the value (attrd can only blank it; rules see it as not defined).
    pub fn delete(&self, deadline: &Deadline) -> Result<(), CommandError> {
        run_tool("attrd_updater", |program| {
            run_ok(self.command(program).arg("-D"), deadline.at()).map(drop)
        })
    }

    /// The value attrd holds, `None` when the attribute is unknown or empty.
    pub fn query(&self, deadline: &Deadline) -> Result<Option<String>, CommandError> {
        let out: Output = run_tool("attrd_updater", |program| {
            run_until(self.command(program).arg("-Q"), deadline.at())
        })?;
        if !out.status.success() {
            return Ok(None);
        }
        Ok(parse_query(&out.stdout))
    }
}

/// `attrd_updater -Q` prints `name="x" host="node" value="v"`.
fn parse_query(text: &str) -> Option<String> {
    let start = text.find("value=\"")? + "value=\"".len();
    let rest = &text[start..];
    let value = &rest[..rest.find('"')?];
    (!value.is_empty()).then(|| value.to_string())
}

/// The promotion score of this clone instance (`master-<resource>`).
#[derive(Debug, Clone)]
pub struct PromotionScore {
    /// The resource id (`OCF_RESOURCE_INSTANCE`); crm_attribute reads it from the environment
    /// when absent, but we pass it explicitly.
    pub resource: String,
    pub node: Option<String>,
}

impl PromotionScore {
    fn command(&self) -> Command {
        let mut cmd = Command::new("crm_attribute");
        cmd.arg("--promotion")
            .arg(&self.resource)
            .args(["--lifetime", "reboot"]);
        if let Some(node) = &self.node {
            cmd.arg("--node").arg(node);
        }
        cmd
    }

    pub fn set(&self, score: i64, deadline: &Deadline) -> Result<(), CommandError> {
        run_ok(
            self.command().arg("--update").arg(score.to_string()),
            deadline.at(),
        )
        .map(drop)
    }

    pub fn clear(&self, deadline: &Deadline) -> Result<(), CommandError> {
        run_ok(self.command().arg("--delete"), deadline.at()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_fall_back_to_sbin_when_not_on_path() {
        let mut tried = Vec::new();
        let r: Result<(), CommandError> = run_tool("attrd_updater", |p| {
            tried.push(p.to_string());
            Err(CommandError::NotFound { program: p.into() })
        });
        assert!(r.is_err());
        assert_eq!(tried, ["attrd_updater", "/usr/sbin/attrd_updater"]);
        let mut tried = Vec::new();
        let r = run_tool("crm_attribute", |p| {
            tried.push(p.to_string());
            Ok(7)
        });
        assert_eq!(r.unwrap(), 7);
        assert_eq!(tried, ["crm_attribute"], "found on PATH: no second try");
    }

    #[test]
    fn parses_attrd_query_output() {
        assert_eq!(
            parse_query("name=\"galera-sync\" host=\"n1\" value=\"1\"\n"),
            Some("1".into())
        );
        assert_eq!(
            parse_query("name=\"galera-sync\" host=\"n1\" value=\"\"\n"),
            None
        );
        assert_eq!(parse_query(""), None);
    }
}

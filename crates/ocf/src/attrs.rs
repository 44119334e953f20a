//! Node attributes and promotion scores, through Pacemaker's own tools.
//!
//! Transient node attributes go through `attrd_updater` (the `ocf:pacemaker:ping` pattern);
//! promotion scores through `crm_attribute --promotion`, which keeps them transient
//! (`--lifetime reboot`), unlike the deprecated `crm_master`.

use std::process::Command;
use std::time::Duration;

use crate::command::{run_ok, run_until, CommandError};
use crate::deadline::Deadline;

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
    fn command(&self) -> Command {
        let mut cmd = Command::new("attrd_updater");
        cmd.arg("-n").arg(&self.name);
        if let Some(node) = &self.node {
            cmd.arg("-N").arg(node);
        }
        cmd
    }

    /// Sets the value (and the dampening, `-B … -d`, so a changed `dampen` takes effect).
    pub fn update(&self, value: &str, deadline: &Deadline) -> Result<(), CommandError> {
        let mut cmd = self.command();
        match self.dampen {
            Some(d) => cmd
                .arg("-B")
                .arg(value)
                .arg("-d")
                .arg(format!("{}ms", d.as_millis())),
            None => cmd.arg("-U").arg(value),
        };
        run_ok(&mut cmd, deadline.at()).map(drop)
    }

    /// Removes the value (attrd can only blank it; rules see it as not defined).
    pub fn delete(&self, deadline: &Deadline) -> Result<(), CommandError> {
        run_ok(self.command().arg("-D"), deadline.at()).map(drop)
    }

    /// The value attrd holds, `None` when the attribute is unknown or empty.
    pub fn query(&self, deadline: &Deadline) -> Result<Option<String>, CommandError> {
        let out = run_until(self.command().arg("-Q"), deadline.at())?;
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

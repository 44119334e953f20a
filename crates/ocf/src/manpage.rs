//! The `ocf_mariadb_<agent>(7)` man page, rendered from the same declaration as the meta-data,
//! in the shape of resource-agents' `ocf_heartbeat_*(7)` pages.

use std::fmt::Write as _;

use crate::agent::AgentInfo;

/// The provider directory name, `ocf:<provider>:<agent>`.
pub const PROVIDER: &str = "mariadb";

pub fn render(info: &AgentInfo) -> String {
    let mut m = String::new();
    let title = format!("OCF_{}_{}", PROVIDER, info.name)
        .to_uppercase()
        .replace('-', "_");
    let _ = writeln!(
        m,
        ".TH {title} 7 \"\" \"ocf:{PROVIDER} {}\" \"OCF resource agents\"",
        info.version
    );
    let _ = writeln!(
        m,
        ".SH NAME\nocf_{PROVIDER}_{} \\- {}",
        esc(info.name),
        esc(info.shortdesc)
    );
    m.push_str(".SH SYNOPSIS\n");
    let actions: Vec<&str> = info
        .answered_actions()
        .into_iter()
        .filter(|a| !matches!(*a, "methods" | "usage"))
        .collect();
    let _ = writeln!(
        m,
        "\\fB{}\\fR [{}]",
        esc(info.name),
        esc(&actions.join(" | "))
    );
    for (synopsis, _) in info.commands {
        let _ = writeln!(m, ".br\n\\fB{}\\fR {}", esc(info.name), esc(synopsis));
    }
    m.push_str(".SH DESCRIPTION\n");
    paragraphs(&mut m, info.longdesc);

    m.push_str(".SH SUPPORTED PARAMETERS\n");
    for p in info.params {
        let _ = writeln!(m, ".TP\n\\fB{}\\fR", esc(p.name()));
        let _ = writeln!(m, "{}", esc(p.shortdesc()));
        m.push_str(".IP\n");
        paragraphs(&mut m, p.longdesc());
        let mut facts = vec![p.kind().as_str().to_string()];
        if p.is_required() {
            facts.push("required".into());
        }
        if p.is_unique() {
            facts.push("unique".into());
        }
        if p.is_reloadable() {
            facts.push("reloadable".into());
        }
        if let Some(d) = p.default_text() {
            facts.push(format!("default \"{d}\""));
        }
        let _ = writeln!(m, ".IP\n({})", esc(&facts.join(", ")));
    }

    m.push_str(".SH SUPPORTED ACTIONS\n");
    for a in info.actions {
        let mut attrs = vec![format!("timeout={}s", a.timeout)];
        if let Some(i) = a.interval {
            attrs.push(format!("interval={i}s"));
        }
        if let Some(d) = a.depth {
            attrs.push(format!("depth={d}"));
        }
        if let Some(r) = a.role {
            attrs.push(format!("role={}", r.as_str()));
        }
        let _ = writeln!(
            m,
            ".TP\n\\fB{}\\fR\n{}",
            esc(a.action.as_str()),
            esc(&attrs.join(" "))
        );
    }
    if !info.commands.is_empty() {
        m.push_str(".SH OTHER COMMANDS\n");
        for (synopsis, what) in info.commands {
            let _ = writeln!(m, ".TP\n\\fB{} {}\\fR", esc(info.name), esc(synopsis));
            paragraphs(&mut m, what);
        }
    }

    let required: Vec<String> = info
        .params
        .iter()
        .filter(|p| p.is_required())
        .map(|p| {
            let value = p.default_text().unwrap_or_else(|| "...".into());
            format!("{}=\"{value}\"", p.name())
        })
        .collect();
    let monitor = info
        .actions
        .iter()
        .find(|a| a.action == crate::action::Action::Monitor);
    let op = monitor
        .and_then(|a| {
            a.interval
                .map(|i| format!("op monitor interval={i}s timeout={}s", a.timeout))
        })
        .unwrap_or_default();
    m.push_str(".SH EXAMPLE CRM SHELL\n.nf\n");
    let _ = writeln!(
        m,
        "primitive p_{} ocf:{PROVIDER}:{} \\e",
        esc(&info.name.replace('-', "_")),
        esc(info.name)
    );
    if !required.is_empty() {
        let _ = writeln!(m, "  params {} \\e", esc(&required.join(" ")));
    }
    let _ = writeln!(m, "  {}\n.fi", esc(&op));
    m.push_str(".SH EXAMPLE PCS\n.nf\n");
    let _ = writeln!(
        m,
        "pcs resource create p_{} ocf:{PROVIDER}:{} {} {}\n.fi",
        esc(&info.name.replace('-', "_")),
        esc(info.name),
        esc(&required.join(" ")),
        esc(&op)
    );
    m.push_str(".SH SEE ALSO\n\\fBcrm\\fR(8), \\fBpcs\\fR(8), \\fBocf_heartbeat_IPaddr2\\fR(7), \\fBcrm_resource\\fR(8)\n");
    m
}

/// Blank lines in descriptions separate paragraphs.
fn paragraphs(m: &mut String, text: &str) {
    let mut first = true;
    for para in text.trim().split("\n\n") {
        if !first {
            m.push_str(".PP\n");
        }
        first = false;
        let joined: Vec<&str> = para
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let _ = writeln!(m, "{}", esc(&joined.join(" ")));
    }
}

/// roff escaping: backslashes, hyphens, non-ASCII (as `\\[uXXXX]`, which plain groff accepts
/// without `-k`), and a leading control character.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("\\[u{:04X}]", u32::from(c))),
        }
    }
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::INFO;

    #[test]
    fn renders_sections_and_escapes() {
        let m = render(&INFO);
        assert_eq!(m, include_str!("../testdata/demo-agent.7"));
        assert_eq!(esc("a — b"), "a \\[u2014] b");
        // No line may start with an unescaped control character from the text.
        for line in m.lines().filter(|l| !l.starts_with('.')) {
            assert!(!line.starts_with('\''), "{line}");
        }
    }
}

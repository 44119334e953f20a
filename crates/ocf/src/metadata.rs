//! The meta-data XML, written from the agent's declaration.
//!
//! Two validators judge it and they disagree (docs/meta-data.md): ocf-tester checks it
//! with `xmllint --valid` against resource-agents' 1.0-era ra-api-1.dtd (DOCTYPE required; only
//! `name`/`required`/`unique` on parameters; content types string/integer/boolean; a fixed list
//! of action names), and pcs checks it against its OCF 1.1 RelaxNG schema chosen by
//! `<version>`. What we write is the intersection of the two, plus the two OCF 1.1 additions
//! an agent may use — `reloadable="1"` on parameters and the `reload-agent` action — which the
//! document then declares itself in an internal DTD subset, extending ra-api-1.dtd in the
//! standard way (the first declaration of an attribute binds), so xmllint --valid accepts it and
//! Pacemaker >= 2.1 (which reads `<version>` 1.1) calls reload-agent.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::action::Action;
use crate::agent::AgentInfo;

/// The OCF standard version the agents implement (not the agents' own version).
pub const OCF_VERSION: &str = "1.1";

/// ra-api-1.dtd's action names plus `reload-agent`, and its parameter attributes plus
/// `reloadable`.
const DOCTYPE_WITH_OCF_1_1: &str = r#"resource-agent SYSTEM "ra-api-1.dtd" [
<!ATTLIST parameter reloadable (1|0) "0">
<!ATTLIST action name (start|stop|recover|monitor|restart|migrate_to|migrate_from|promote|demote|notify|status|reload|reload-agent|meta-data|usage|methods|validate-all) #REQUIRED>
]"#;

fn uses_ocf_1_1_additions(info: &AgentInfo) -> bool {
    info.has_reloadable() || info.advertises(Action::ReloadAgent)
}

pub fn render(info: &AgentInfo) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail; an error here would be a bug in quick-xml.
    write(info, &mut buf).unwrap_or_else(|e| unreachable!("writing XML to memory failed: {e}"));
    String::from_utf8(buf).unwrap_or_else(|e| unreachable!("quick-xml wrote invalid UTF-8: {e}"))
}

fn write(info: &AgentInfo, out: &mut Vec<u8>) -> io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", None, None)))?;
    let doctype = if uses_ocf_1_1_additions(info) {
        DOCTYPE_WITH_OCF_1_1
    } else {
        r#"resource-agent SYSTEM "ra-api-1.dtd""#
    };
    w.write_event(Event::DocType(BytesText::from_escaped(doctype)))?;
    w.create_element("resource-agent")
        .with_attribute(("name", info.name))
        .with_attribute(("version", info.version))
        .write_inner_content(|w| {
            w.create_element("version")
                .write_text_content(BytesText::new(OCF_VERSION))?;
            desc(w, "longdesc", info.longdesc)?;
            desc(w, "shortdesc", info.shortdesc)?;
            w.create_element("parameters").write_inner_content(|w| {
                for p in info.params {
                    let mut el = w
                        .create_element("parameter")
                        .with_attribute(("name", p.name()));
                    if p.is_unique() {
                        el = el.with_attribute(("unique", "1"));
                    }
                    if p.is_required() {
                        el = el.with_attribute(("required", "1"));
                    }
                    if p.is_reloadable() {
                        el = el.with_attribute(("reloadable", "1"));
                    }
                    el.write_inner_content(|w| {
                        desc(w, "longdesc", p.longdesc())?;
                        desc(w, "shortdesc", p.shortdesc())?;
                        let mut content = w
                            .create_element("content")
                            .with_attribute(("type", p.kind().as_str()));
                        let default = p.default_text();
                        if let Some(d) = &default {
                            content = content.with_attribute(("default", d.as_str()));
                        }
                        content.write_empty()?;
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
            w.create_element("actions").write_inner_content(|w| {
                for a in info.actions {
                    let timeout = format!("{}s", a.timeout);
                    let mut el = w
                        .create_element("action")
                        .with_attribute(("name", a.action.as_str()))
                        .with_attribute(("timeout", timeout.as_str()));
                    let interval = a.interval.map(|i| format!("{i}s"));
                    if let Some(i) = &interval {
                        el = el.with_attribute(("interval", i.as_str()));
                    }
                    let depth = a.depth.map(|d| d.to_string());
                    if let Some(d) = &depth {
                        el = el.with_attribute(("depth", d.as_str()));
                    }
                    if let Some(r) = a.role {
                        el = el.with_attribute(("role", r.as_str()));
                    }
                    el.write_empty()?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    w.get_mut().push(b'\n');
    Ok(())
}

fn desc<W: io::Write>(w: &mut Writer<W>, tag: &str, text: &str) -> io::Result<()> {
    w.create_element(tag)
        .with_attribute(("lang", "en"))
        .write_text_content(BytesText::new(text.trim()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ActionSpec;
    use crate::demo::{INFO, IP};
    use crate::params::ParamSpec;

    const LEVEL: ParamSpec<u32> = ParamSpec::new("level").reloadable();

    #[test]
    fn writes_doctype_versions_and_escapes() {
        let xml = render(&INFO);
        // longdesc before shortdesc, in the agent and in each parameter (DTD and 1.1 RNG
        // order); the 1.0 DTD only, as nothing needs more.
        assert_eq!(xml, include_str!("../testdata/demo-agent.xml"));
    }

    /// The demo agent with a reloadable parameter and the action that reloads it.
    static RELOADING: AgentInfo = AgentInfo {
        params: &[&IP, &LEVEL],
        actions: &[
            ActionSpec::new(Action::Start, 20),
            ActionSpec::new(Action::ReloadAgent, 10),
        ],
        ..INFO
    };

    #[test]
    fn reloadable_parameters_declare_their_dtd_extension() {
        let xml = render(&RELOADING);
        assert!(
            xml.contains("<!ATTLIST parameter reloadable (1|0) \"0\">"),
            "{xml}"
        );
        assert!(xml.contains("|reload-agent|"), "{xml}");
        assert!(
            xml.contains("<parameter name=\"level\" reloadable=\"1\">"),
            "{xml}"
        );
        assert!(xml.contains("<action name=\"reload-agent\" timeout=\"10s\"/>"));
        // The same document passes ocf-tester's check where resource-agents is installed.
        let dtd_dir = std::path::Path::new("/usr/share/resource-agents");
        if dtd_dir.join("ra-api-1.dtd").exists() {
            use std::io::Write as _;
            let mut child = std::process::Command::new("xmllint")
                .args(["--noout", "--valid", "-"])
                .current_dir(dtd_dir)
                .stdin(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("xmllint (libxml2-utils) is installed with resource-agents' tests");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(xml.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

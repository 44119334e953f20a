//! The meta-data XML, written from the agent's declaration.
//!
//! Two validators judge it and they disagree (notes: ocf-facts.md §A6): ocf-tester checks it
//! with `xmllint --valid` against resource-agents' 1.0-era ra-api-1.dtd (DOCTYPE required; only
//! `name`/`required`/`unique` on parameters; content types string/integer/boolean; a fixed list
//! of action names), and pcs checks it against its OCF 1.1 RelaxNG schema chosen by
//! `<version>`. What we write is the intersection of the two.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::agent::AgentInfo;

/// The OCF standard version the agents implement (not the agents' own version).
pub const OCF_VERSION: &str = "1.1";

pub fn render(info: &AgentInfo) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail; an error here would be a bug in quick-xml.
    write(info, &mut buf).unwrap_or_else(|e| unreachable!("writing XML to memory failed: {e}"));
    String::from_utf8(buf).unwrap_or_else(|e| unreachable!("quick-xml wrote invalid UTF-8: {e}"))
}

fn write(info: &AgentInfo, out: &mut Vec<u8>) -> io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", None, None)))?;
    w.write_event(Event::DocType(BytesText::from_escaped(
        r#"resource-agent SYSTEM "ra-api-1.dtd""#,
    )))?;
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
                        .with_attribute(("name", p.name));
                    if p.unique {
                        el = el.with_attribute(("unique", "1"));
                    }
                    if p.required {
                        el = el.with_attribute(("required", "1"));
                    }
                    el.write_inner_content(|w| {
                        desc(w, "longdesc", p.longdesc)?;
                        desc(w, "shortdesc", p.shortdesc)?;
                        let mut content = w
                            .create_element("content")
                            .with_attribute(("type", p.kind.as_str()));
                        if let Some(d) = p.default {
                            content = content.with_attribute(("default", d));
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
    use crate::action::Action;
    use crate::agent::{ActionSpec, Role};
    use crate::params::ParamSpec;

    static INFO: AgentInfo = AgentInfo {
        name: "demo",
        version: "9.9.9",
        shortdesc: "Demo <agent>",
        longdesc: "Long & descriptive.",
        params: &[
            ParamSpec::string("ip")
                .required()
                .unique()
                .short("The IP")
                .long("An address."),
            ParamSpec::integer("count")
                .default("5")
                .short("n")
                .long("How many."),
        ],
        actions: &[
            ActionSpec::new(Action::Start, 20),
            ActionSpec::new(Action::Monitor, 20)
                .interval(10)
                .depth(0)
                .role(Role::Unpromoted),
        ],
        commands: &[],
    };

    #[test]
    fn writes_doctype_versions_and_escapes() {
        let xml = render(&INFO);
        assert!(
            xml.starts_with(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
            ),
            "{xml}"
        );
        assert!(xml.contains("<resource-agent name=\"demo\" version=\"9.9.9\">"));
        assert!(xml.contains("<version>1.1</version>"));
        assert!(xml.contains("<shortdesc lang=\"en\">Demo &lt;agent&gt;</shortdesc>"));
        assert!(xml.contains("Long &amp; descriptive."));
        assert!(xml.contains("<parameter name=\"ip\" unique=\"1\" required=\"1\">"));
        assert!(xml.contains("<content type=\"integer\" default=\"5\"/>"));
        assert!(xml.contains(
            "<action name=\"monitor\" timeout=\"20s\" interval=\"10s\" depth=\"0\" role=\"Unpromoted\"/>"
        ));
        // longdesc before shortdesc, in the agent and in each parameter (DTD and 1.1 RNG order).
        assert!(xml.find("<longdesc").unwrap() < xml.find("<shortdesc").unwrap());
    }
}

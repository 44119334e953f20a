//! The one demonstration agent the core's tests render and run (meta-data, man page, `run`):
//! a parameter of each kind the renderers treat differently, a promotable monitor, an extra
//! command, and text that needs escaping in XML and troff. Its documents, as they must come out,
//! are `testdata/demo-agent.xml` and `testdata/demo-agent.7`.

use std::path::PathBuf;

use crate::action::Action;
use crate::agent::{ActionSpec, AgentInfo, Role};
use crate::params::ParamSpec;

pub(crate) const IP: ParamSpec<String> = ParamSpec::string("ip")
    .required()
    .unique()
    .short("The IP")
    .long("An address.");
pub(crate) const COUNT: ParamSpec<u32> = ParamSpec::new("count")
    .default(5)
    .short("n")
    .long("How many.");
pub(crate) const SOCKET: ParamSpec<PathBuf> = ParamSpec::path("socket")
    .default("/run/mysqld/mysqld.sock")
    .required()
    .short("socket")
    .long(".starts with a dot");

pub(crate) static INFO: AgentInfo = AgentInfo {
    name: "demo-agent",
    version: "1.2.3",
    shortdesc: "Demo <agent>",
    longdesc: "First paragraph\nstill first.\n\nSecond & last.",
    params: &[&IP, &COUNT, &SOCKET],
    actions: &[
        ActionSpec::new(Action::Start, 20),
        ActionSpec::new(Action::Monitor, 20)
            .interval(10)
            .depth(0)
            .role(Role::Unpromoted),
    ],
    commands: &[("hello", "says hello")],
};

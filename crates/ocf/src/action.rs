//! The actions Pacemaker (and ocf-tester) call an agent with, parsed from argv[1].

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Start,
    Stop,
    Monitor,
    MetaData,
    ValidateAll,
    Promote,
    Demote,
    Notify,
    Reload,
    ReloadAgent,
    MigrateTo,
    MigrateFrom,
    Recover,
    Methods,
    Usage,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
            Action::MetaData => "meta-data",
            Action::ValidateAll => "validate-all",
            Action::Promote => "promote",
            Action::Demote => "demote",
            Action::Notify => "notify",
            Action::Reload => "reload",
            Action::ReloadAgent => "reload-agent",
            Action::MigrateTo => "migrate_to",
            Action::MigrateFrom => "migrate_from",
            Action::Recover => "recover",
            Action::Methods => "methods",
            Action::Usage => "usage",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action '{0}'")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "start" => Action::Start,
            "stop" => Action::Stop,
            // `status` is the legacy (OCF 1.0 / heartbeat) spelling of monitor.
            "monitor" | "status" => Action::Monitor,
            "meta-data" | "meta_data" => Action::MetaData,
            "validate-all" | "validate_all" => Action::ValidateAll,
            "promote" => Action::Promote,
            "demote" => Action::Demote,
            "notify" => Action::Notify,
            "reload" => Action::Reload,
            "reload-agent" => Action::ReloadAgent,
            "migrate_to" => Action::MigrateTo,
            "migrate_from" => Action::MigrateFrom,
            "recover" => Action::Recover,
            "methods" => Action::Methods,
            "usage" | "help" | "--help" | "-h" => Action::Usage,
            other => return Err(UnknownAction(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips() {
        for a in [
            Action::Start,
            Action::Stop,
            Action::Monitor,
            Action::MetaData,
            Action::ValidateAll,
            Action::Promote,
            Action::Demote,
            Action::Notify,
            Action::Reload,
            Action::ReloadAgent,
            Action::MigrateTo,
            Action::MigrateFrom,
            Action::Recover,
            Action::Methods,
            Action::Usage,
        ] {
            assert_eq!(a.as_str().parse::<Action>(), Ok(a));
        }
    }

    #[test]
    fn aliases_and_unknown() {
        assert_eq!("status".parse::<Action>(), Ok(Action::Monitor));
        assert_eq!("help".parse::<Action>(), Ok(Action::Usage));
        assert_eq!(
            "bogus".parse::<Action>(),
            Err(UnknownAction("bogus".into()))
        );
        assert!("START".parse::<Action>().is_err());
    }
}

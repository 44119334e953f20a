//! Parameter declarations: one table per agent drives parsing, validation, the meta-data XML
//! and the man page, so the three can never disagree.

use std::path::PathBuf;

use crate::env::{parse_bool, Env};
use crate::error::OcfError;

/// The content types ra-api-1.dtd allows (and pcs understands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Boolean,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Boolean => "boolean",
        }
    }
}

/// One instance parameter, declared once as a `const` and referred to by that constant
/// everywhere (never by a string), so a typo is a compile error.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Option<&'static str>,
    pub required: bool,
    pub unique: bool,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
}

impl ParamSpec {
    const fn new(name: &'static str, kind: Kind) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            default: None,
            required: false,
            unique: false,
            shortdesc: "",
            longdesc: "",
        }
    }
    pub const fn string(name: &'static str) -> ParamSpec {
        ParamSpec::new(name, Kind::String)
    }
    pub const fn integer(name: &'static str) -> ParamSpec {
        ParamSpec::new(name, Kind::Integer)
    }
    pub const fn boolean(name: &'static str) -> ParamSpec {
        ParamSpec::new(name, Kind::Boolean)
    }
    pub const fn default(mut self, value: &'static str) -> ParamSpec {
        self.default = Some(value);
        self
    }
    pub const fn required(mut self) -> ParamSpec {
        self.required = true;
        self
    }
    pub const fn unique(mut self) -> ParamSpec {
        self.unique = true;
        self
    }
    pub const fn short(mut self, text: &'static str) -> ParamSpec {
        self.shortdesc = text;
        self
    }
    pub const fn long(mut self, text: &'static str) -> ParamSpec {
        self.longdesc = text;
        self
    }
}

/// A value that can be read from a parameter's text.
pub trait FromParam: Sized {
    /// `Err` holds what was expected, e.g. "an integer".
    fn from_param(text: &str) -> Result<Self, String>;
}

impl FromParam for String {
    fn from_param(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
}

impl FromParam for PathBuf {
    fn from_param(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
}

impl FromParam for bool {
    fn from_param(text: &str) -> Result<Self, String> {
        parse_bool(text).ok_or_else(|| "a boolean (true/false, yes/no, 1/0, on/off)".to_string())
    }
}

macro_rules! from_param_int {
    ($($t:ty),*) => {$(
        impl FromParam for $t {
            fn from_param(text: &str) -> Result<Self, String> {
                text.trim().parse::<$t>().map_err(|_| {
                    format!("an integer from {} to {}", <$t>::MIN, <$t>::MAX)
                })
            }
        }
    )*};
}
from_param_int!(u8, u16, u32, u64, i32, i64);

/// The parameters of one invocation: the environment's values, with the declared defaults.
#[derive(Debug, Clone)]
pub struct Params {
    specs: &'static [ParamSpec],
    values: Vec<Option<String>>,
}

impl Params {
    pub fn from_env(specs: &'static [ParamSpec], env: &Env) -> Params {
        let values = specs
            .iter()
            .map(|s| env.reskey(s.name).map(str::to_string))
            .collect();
        Params { specs, values }
    }

    fn index(&self, spec: &ParamSpec) -> usize {
        // Declarations are consts of the same table; a miss is a programming error caught by
        // the agent's own tests, and we answer "unset" rather than panic at 3 a.m.
        self.specs
            .iter()
            .position(|s| s.name == spec.name)
            .unwrap_or(usize::MAX)
    }

    /// The configured text, if the user set it.
    pub fn configured(&self, spec: &ParamSpec) -> Option<&str> {
        self.values.get(self.index(spec)).and_then(|v| v.as_deref())
    }

    /// The configured text, or the declared default.
    pub fn text(&self, spec: &ParamSpec) -> Option<&str> {
        self.configured(spec).or(spec.default)
    }

    /// The typed value (configured or default); `Ok(None)` when neither exists. A value that
    /// does not parse is a configuration error (6): it is wrong on every node.
    pub fn get<T: FromParam>(&self, spec: &ParamSpec) -> Result<Option<T>, OcfError> {
        match self.text(spec) {
            None => Ok(None),
            Some(text) => T::from_param(text).map(Some).map_err(|expected| {
                OcfError::not_configured(format!(
                    "parameter '{}' must be {expected}, not '{text}'",
                    spec.name
                ))
            }),
        }
    }

    /// Like [`Params::get`], but a missing value is a configuration error.
    pub fn require<T: FromParam>(&self, spec: &ParamSpec) -> Result<T, OcfError> {
        self.get(spec)?.ok_or_else(|| {
            OcfError::not_configured(format!("required parameter '{}' is not set", spec.name))
        })
    }

    /// Checks every declared parameter: required ones present, integers and booleans well formed.
    pub fn check_declared(&self) -> Result<(), OcfError> {
        for spec in self.specs {
            match spec.kind {
                Kind::String => {
                    if spec.required {
                        self.require::<String>(spec)?;
                    }
                }
                Kind::Integer => {
                    if spec.required {
                        self.require::<i64>(spec)?;
                    } else {
                        self.get::<i64>(spec)?;
                    }
                }
                Kind::Boolean => {
                    if spec.required {
                        self.require::<bool>(spec)?;
                    } else {
                        self.get::<bool>(spec)?;
                    }
                }
            }
        }
        Ok(())
    }

    pub fn specs(&self) -> &'static [ParamSpec] {
        self.specs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rc::OcfRc;

    const IP: ParamSpec = ParamSpec::string("ip").required().unique().short("ip");
    const COUNT: ParamSpec = ParamSpec::integer("count").default("5");
    const FLAG: ParamSpec = ParamSpec::boolean("flag").default("false");
    const SPECS: &[ParamSpec] = &[IP, COUNT, FLAG];

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_env(SPECS, &Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_apply_when_unset() {
        let p = params(&[("OCF_RESKEY_ip", "10.0.0.1")]);
        assert_eq!(p.get::<u32>(&COUNT).unwrap(), Some(5));
        assert_eq!(p.get::<bool>(&FLAG).unwrap(), Some(false));
        assert_eq!(p.configured(&COUNT), None);
        assert_eq!(p.require::<String>(&IP).unwrap(), "10.0.0.1");
        assert!(p.check_declared().is_ok());
    }

    #[test]
    fn bad_values_are_configuration_errors() {
        let p = params(&[("OCF_RESKEY_count", "five"), ("OCF_RESKEY_flag", "maybe")]);
        let e = p.get::<u32>(&COUNT).unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrConfigured);
        assert!(e.reason().contains("'count'"), "{e}");
        let e = p.check_declared().unwrap_err();
        assert!(e.reason().contains("required parameter 'ip'"), "{e}");
        let p = params(&[("OCF_RESKEY_ip", "x"), ("OCF_RESKEY_count", "-1")]);
        assert!(p.get::<u32>(&COUNT).is_err());
        assert_eq!(p.get::<i64>(&COUNT).unwrap(), Some(-1));
    }
}

//! Parameter declarations. One typed `const` per parameter owns everything about it: its name,
//! its type (which gives the meta-data content type and how its text is parsed), its typed
//! default (written into the meta-data and used by the code: never a second literal), whether
//! it is required, unique or reloadable, and its descriptions (meta-data and man page). Code
//! reads a value only through its declaration: `ctx.params.get(&PROBE_DUPLICATE)? -> bool`.

use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::Duration;

use crate::env::{parse_bool, Env};
use crate::rc::OcfRc;
use crate::reason;

/// The content types both meta-data validators accept (ra-api-1.dtd and pcs's OCF 1.1 schema).
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

/// A type a parameter can have: how its text parses, and how its default is written.
pub trait ParamType: Sized {
    /// The meta-data content type.
    const KIND: Kind;
    /// What a `const` declaration holds as the default (`&'static str` for text); the value
    /// is made from it by `Into`.
    type Default: Copy + Send + Sync + 'static + Into<Self>;
    /// The value, or what was expected ("an integer from 0 to 10").
    fn parse(text: &str) -> Result<Self, String>;
    /// The default as the meta-data and the man page show it.
    fn default_text(default: Self::Default) -> String;
}

impl ParamType for String {
    const KIND: Kind = Kind::String;
    type Default = &'static str;
    fn parse(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
    fn default_text(default: &'static str) -> String {
        default.to_string()
    }
}

impl ParamType for PathBuf {
    const KIND: Kind = Kind::String;
    type Default = &'static str;
    fn parse(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
    fn default_text(default: &'static str) -> String {
        default.to_string()
    }
}

impl ParamType for bool {
    const KIND: Kind = Kind::Boolean;
    type Default = bool;
    fn parse(text: &str) -> Result<Self, String> {
        parse_bool(text).ok_or_else(|| "a boolean (true/false, yes/no, 1/0, on/off)".to_string())
    }
    fn default_text(default: bool) -> String {
        default.to_string()
    }
}

macro_rules! integer_param {
    ($($t:ty),*) => {$(
        impl ParamType for $t {
            const KIND: Kind = Kind::Integer;
            type Default = $t;
            fn parse(text: &str) -> Result<Self, String> {
                text.trim().parse::<$t>().map_err(|_| {
                    if <$t>::MIN == 0 {
                        format!("0 or more (an integer up to {})", <$t>::MAX)
                    } else {
                        format!("an integer from {} to {}", <$t>::MIN, <$t>::MAX)
                    }
                })
            }
            fn default_text(default: $t) -> String {
                default.to_string()
            }
        }
    )*};
}
integer_param!(u8, u16, u32, u64, i32, i64);

/// A length of time written as a number with an optional unit (`ms`, `s`, `m`, `h`; seconds
/// when none), the one syntax of every time parameter and `--timeout` option of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan(pub Duration);

impl TimeSpan {
    pub const fn millis(ms: u64) -> TimeSpan {
        TimeSpan(Duration::from_millis(ms))
    }

    /// Parses `2`, `2s`, `500ms`, `1.5s`, `3m`, `1h`.
    pub fn parse_text(text: &str) -> Option<Duration> {
        let t = text.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let number: f64 = number.parse().ok()?;
        let scale = match unit.trim() {
            "" | "s" | "sec" => 1.0,
            "ms" | "msec" => 0.001,
            "m" | "min" => 60.0,
            "h" | "hr" => 3600.0,
            _ => return None,
        };
        let seconds = number * scale;
        (seconds.is_finite() && (0.0..=86_400.0 * 365.0).contains(&seconds))
            .then(|| Duration::from_secs_f64(seconds))
    }
}

impl ParamType for TimeSpan {
    const KIND: Kind = Kind::String;
    type Default = TimeSpan;
    fn parse(text: &str) -> Result<Self, String> {
        TimeSpan::parse_text(text)
            .map(TimeSpan)
            .ok_or_else(|| "a time such as 5s, 500ms or 2m (seconds without a unit)".to_string())
    }
    fn default_text(default: TimeSpan) -> String {
        let ms = default.0.as_millis();
        if ms % 1000 == 0 {
            format!("{}s", ms / 1000)
        } else {
            format!("{ms}ms")
        }
    }
}

/// A TCP port number (1-65535).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(pub u16);

impl ParamType for Port {
    const KIND: Kind = Kind::Integer;
    type Default = Port;
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().parse::<u16>() {
            Ok(p) if p > 0 => Ok(Port(p)),
            _ => Err("a port number (1-65535)".to_string()),
        }
    }
    fn default_text(default: Port) -> String {
        default.0.to_string()
    }
}

/// One instance parameter, declared once as a `const` and referred to by that constant
/// everywhere (never by a string), so a typo is a compile error and a type mismatch too.
#[derive(Debug)]
pub struct ParamSpec<T: ParamType> {
    pub name: &'static str,
    default: Option<T::Default>,
    required: bool,
    unique: bool,
    reloadable: bool,
    shortdesc: &'static str,
    longdesc: &'static str,
    _type: PhantomData<fn() -> T>,
}

impl<T: ParamType> Clone for ParamSpec<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ParamType> Copy for ParamSpec<T> {}

impl<T: ParamType> ParamSpec<T> {
    pub const fn new(name: &'static str) -> ParamSpec<T> {
        ParamSpec {
            name,
            default: None,
            required: false,
            unique: false,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
            _type: PhantomData,
        }
    }
    pub const fn default(mut self, value: T::Default) -> ParamSpec<T> {
        self.default = Some(value);
        self
    }
    pub const fn required(mut self) -> ParamSpec<T> {
        self.required = true;
        self
    }
    pub const fn unique(mut self) -> ParamSpec<T> {
        self.unique = true;
        self
    }
    /// A change of this parameter alone is applied by `reload-agent` (OCF 1.1) instead of a
    /// restart: for parameters that only future monitors (or starts) read.
    pub const fn reloadable(mut self) -> ParamSpec<T> {
        self.reloadable = true;
        self
    }
    pub const fn short(mut self, text: &'static str) -> ParamSpec<T> {
        self.shortdesc = text;
        self
    }
    pub const fn long(mut self, text: &'static str) -> ParamSpec<T> {
        self.longdesc = text;
        self
    }

    /// The typed default, when the declaration has one.
    pub fn default_value(&self) -> Option<T> {
        self.default.map(Into::into)
    }
}

impl ParamSpec<String> {
    pub const fn string(name: &'static str) -> ParamSpec<String> {
        ParamSpec::new(name)
    }
}
impl ParamSpec<PathBuf> {
    pub const fn path(name: &'static str) -> ParamSpec<PathBuf> {
        ParamSpec::new(name)
    }
}
impl ParamSpec<bool> {
    pub const fn boolean(name: &'static str) -> ParamSpec<bool> {
        ParamSpec::new(name)
    }
}

/// What the meta-data, the man page and `check_all` need of a declaration, whatever its type:
/// an agent's table is a `&[&dyn ParamInfo]`.
pub trait ParamInfo: Sync {
    fn name(&self) -> &'static str;
    fn kind(&self) -> Kind;
    fn default_text(&self) -> Option<String>;
    fn is_required(&self) -> bool;
    fn is_unique(&self) -> bool;
    fn is_reloadable(&self) -> bool;
    fn shortdesc(&self) -> &'static str;
    fn longdesc(&self) -> &'static str;
    /// Whether the configured text (if any) parses, and a required value is present.
    fn check(&self, params: &Params) -> Result<(), ParamError>;
}

impl std::fmt::Debug for dyn ParamInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParamInfo({})", self.name())
    }
}

impl<T: ParamType> ParamInfo for ParamSpec<T> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn kind(&self) -> Kind {
        T::KIND
    }
    fn default_text(&self) -> Option<String> {
        self.default.map(T::default_text)
    }
    fn is_required(&self) -> bool {
        self.required
    }
    fn is_unique(&self) -> bool {
        self.unique
    }
    fn is_reloadable(&self) -> bool {
        self.reloadable
    }
    fn shortdesc(&self) -> &'static str {
        self.shortdesc
    }
    fn longdesc(&self) -> &'static str {
        self.longdesc
    }
    fn check(&self, params: &Params) -> Result<(), ParamError> {
        if self.required {
            params.get(self).map(drop)
        } else {
            params.get_opt(self).map(drop)
        }
    }
}

/// A parameter whose value is missing or does not parse: wrong in the configuration, so wrong
/// on every node (6; probes answer 7, see `run`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("required parameter '{name}' is not set")]
    Missing { name: &'static str },
    #[error("parameter '{name}' must be {expected}, not '{text}'")]
    Invalid {
        name: &'static str,
        expected: String,
        /// The configured text, shortened and stripped of control characters.
        text: String,
    },
}

impl ParamError {
    pub fn name(&self) -> &'static str {
        match self {
            ParamError::Missing { name } | ParamError::Invalid { name, .. } => name,
        }
    }
    pub fn rc(&self) -> OcfRc {
        OcfRc::ErrConfigured
    }
    /// A value that parses but is out of range or inconsistent: `expected` says what is allowed.
    pub fn invalid<T: ParamType>(
        spec: &ParamSpec<T>,
        text: &str,
        expected: impl Into<String>,
    ) -> ParamError {
        ParamError::Invalid {
            name: spec.name,
            expected: expected.into(),
            text: reason::excerpt(text, 40),
        }
    }
}

/// The parameters of one invocation: `OCF_RESKEY_<name>` as configured (an empty value counts
/// as unset, like the shell agents' `${OCF_RESKEY_x:-default}`), read through declarations.
#[derive(Debug, Clone)]
pub struct Params {
    env: Env,
}

impl Params {
    pub fn from_env(env: &Env) -> Params {
        Params { env: env.clone() }
    }

    /// Instance parameters by name (each becomes `OCF_RESKEY_<name>`), nothing else set: what
    /// the agents' unit tests configure.
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Params {
        Params {
            env: Env::from_pairs(
                pairs
                    .into_iter()
                    .map(|(k, v)| (format!("OCF_RESKEY_{}", k.as_ref()), v)),
            ),
        }
    }

    /// [`Params::from_pairs`] of a literal list: `Params::of(&[("ip", "10.0.0.1")])`.
    pub fn of(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().copied())
    }

    /// The configured text, when the user set one.
    pub fn text<T: ParamType>(&self, spec: &ParamSpec<T>) -> Option<&str> {
        self.env.reskey(spec.name)
    }

    /// The configured value, or the declared default; a required parameter without either is
    /// an error, and so is an optional one without a default (use [`Params::get_opt`]).
    pub fn get<T: ParamType>(&self, spec: &ParamSpec<T>) -> Result<T, ParamError> {
        self.get_opt(spec)?
            .ok_or(ParamError::Missing { name: spec.name })
    }

    /// The configured value, or the default, or `None`.
    pub fn get_opt<T: ParamType>(&self, spec: &ParamSpec<T>) -> Result<Option<T>, ParamError> {
        match self.text(spec) {
            None => Ok(spec.default_value()),
            Some(text) => T::parse(text)
                .map(Some)
                .map_err(|expected| ParamError::invalid(spec, text, expected)),
        }
    }

    /// For stop, which must succeed whenever nothing can run: a value that does not parse is
    /// replaced by the default (or `None`), with a warning.
    pub fn get_lenient<T: ParamType>(&self, spec: &ParamSpec<T>) -> Option<T> {
        self.get_opt(spec).unwrap_or_else(|e| {
            tracing::warn!("{e}; using the default");
            spec.default_value()
        })
    }

    /// Checks every declared parameter: required ones present, every configured value parses.
    pub fn check_all(&self, table: &[&dyn ParamInfo]) -> Result<(), ParamError> {
        table.iter().try_for_each(|p| p.check(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: ParamSpec<String> = ParamSpec::string("ip").required().unique().short("ip");
    const COUNT: ParamSpec<u32> = ParamSpec::new("count").default(5);
    const FLAG: ParamSpec<bool> = ParamSpec::boolean("flag").default(false).reloadable();
    const WAIT: ParamSpec<TimeSpan> = ParamSpec::new("wait").default(TimeSpan::millis(1500));
    const NOTE: ParamSpec<String> = ParamSpec::string("note");
    const TABLE: &[&dyn ParamInfo] = &[&IP, &COUNT, &FLAG, &WAIT, &NOTE];

    #[test]
    fn typed_defaults_apply_when_unset() {
        let p = Params::of(&[("ip", "10.0.0.1"), ("note", "")]);
        assert_eq!(p.get(&COUNT).unwrap(), 5);
        assert!(!p.get(&FLAG).unwrap());
        assert_eq!(p.get(&WAIT).unwrap().0, Duration::from_millis(1500));
        assert_eq!(p.text(&COUNT), None);
        assert_eq!(p.get(&IP).unwrap(), "10.0.0.1");
        assert_eq!(p.get_opt(&NOTE).unwrap(), None, "empty is unset");
        assert_eq!(
            p.get(&NOTE).unwrap_err(),
            ParamError::Missing { name: "note" }
        );
        p.check_all(TABLE).unwrap();
    }

    #[test]
    fn the_declaration_describes_itself() {
        let infos: Vec<(&str, &str, Option<String>, bool)> = TABLE
            .iter()
            .map(|p| {
                (
                    p.name(),
                    p.kind().as_str(),
                    p.default_text(),
                    p.is_reloadable(),
                )
            })
            .collect();
        assert_eq!(
            infos,
            [
                ("ip", "string", None, false),
                ("count", "integer", Some("5".into()), false),
                ("flag", "boolean", Some("false".into()), true),
                ("wait", "string", Some("1500ms".into()), false),
                ("note", "string", None, false),
            ]
        );
        assert!(IP.is_required() && IP.is_unique());
    }

    #[test]
    fn bad_values_are_configuration_errors() {
        let p = Params::of(&[("count", "five"), ("flag", "maybe\u{1b}[31m")]);
        let e = p.get(&COUNT).unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrConfigured);
        assert_eq!(
            e.to_string(),
            "parameter 'count' must be 0 or more (an integer up to 4294967295), not 'five'"
        );
        let e = p.get(&FLAG).unwrap_err();
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
        assert_eq!(p.get_lenient(&COUNT), Some(5));
        let e = p.check_all(TABLE).unwrap_err();
        assert_eq!(e, ParamError::Missing { name: "ip" });
        let p = Params::of(&[("ip", "x"), ("count", &"9".repeat(500))]);
        let e = p.check_all(TABLE).unwrap_err();
        assert!(e.to_string().len() < 150, "{e}");
    }

    #[test]
    fn time_spans() {
        for (text, ms) in [
            ("2", 2000),
            ("2s", 2000),
            (" 500ms ", 500),
            ("1.5s", 1500),
            ("3m", 180_000),
            ("1h", 3_600_000),
            ("0", 0),
        ] {
            assert_eq!(
                TimeSpan::parse_text(text),
                Some(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["", "s", "-1", "5 parsecs", "1e3", "nan", "1..2s"] {
            assert_eq!(TimeSpan::parse_text(bad), None, "{bad}");
        }
        assert_eq!(TimeSpan::default_text(TimeSpan::millis(0)), "0s");
        assert_eq!(TimeSpan::default_text(TimeSpan::millis(2000)), "2s");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            // Whatever a user or a peer puts into a parameter: no panic, and an error is a
            // configuration error whose text is one clean, short line.
            #[test]
            fn any_text_parses_or_is_a_clean_configuration_error(text in any::<String>()) {
                let p = Params::of(&[("ip", "x"), ("count", &text), ("flag", &text), ("wait", &text)]);
                for e in [
                    p.get(&COUNT).err(),
                    p.get(&FLAG).err(),
                    p.get(&WAIT).err(),
                    p.check_all(TABLE).err(),
                ]
                .into_iter()
                .flatten()
                {
                    let m = e.to_string();
                    prop_assert_eq!(e.rc(), OcfRc::ErrConfigured);
                    prop_assert!(!m.chars().any(char::is_control), "{:?}", m);
                    prop_assert!(m.len() < 200, "{}", m.len());
                    prop_assert!(!m.contains("ocf-exit-reason:"));
                }
                prop_assert!(p.get_lenient(&COUNT).is_some());
            }

            #[test]
            fn time_spans_round_trip(ms in 0u64..86_400_000) {
                let text = TimeSpan::default_text(TimeSpan::millis(ms));
                prop_assert_eq!(TimeSpan::parse_text(&text), Some(Duration::from_millis(ms)));
            }
        }
    }
}

//! How MaxScale is launched on this node: which version the binary is (`<binary> --version`)
//! and what that version gets wrong on its command line, and where its log is.
//!
//! MXS-5009 (every 6.4.x; 21.06 before .16, 22.08 before .13, 23.02 before .10; see
//! agents/maxscale/README.md): each directory option on MaxScale's command line gets the ones
//! before it glued in front (`--logdir=D/log --datadir=D/data` makes the datadir `D/log/D/data`),
//! so nothing is where the agent looks. One directory option alone is right, and the same
//! values in the `[maxscale]` section of the configuration work. On such a version the agent
//! passes only `--config --user --piddir` and requires `logdir`, `datadir`, `cachedir` and
//! `persistdir`, when set, to be what `[maxscale]` says (else 2: this node's MaxScale; another
//! node may run a fixed one), and no directory option in extra_options.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ocf::Context;

use crate::config::{self, Config, Dirs};
use crate::error::MaxScaleError;

/// MaxScale's own log directory when neither `--logdir` nor `[maxscale] logdir` says otherwise.
const MAXSCALE_LOGDIR: &str = "/var/log/maxscale";
/// The most `<binary> --version` may take.
const VERSION_CAP: Duration = Duration::from_secs(3);
/// The most of the configuration file read for `[maxscale]` (large configurations are a few
/// hundred KiB).
const CONFIG_MAX: u64 = 8 << 20;

/// A MaxScale version as `maxscale --version` prints it (`MaxScale 6.4.15`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl std::fmt::Display for Version {
    /// As MaxScale writes it: `6.4.15`, `24.02.3`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.major < 10 {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        } else {
            write!(f, "{}.{:02}.{}", self.major, self.minor, self.patch)
        }
    }
}

impl Version {
    /// The first `MaxScale X.Y.Z` in the output.
    pub fn parse(output: &str) -> Option<Version> {
        let rest = output.split("MaxScale ").nth(1)?;
        let word = rest.split_whitespace().next()?;
        let mut parts = word.split('.').map(|p| p.parse::<u32>().ok());
        let v = Version {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next().flatten().unwrap_or(0),
        };
        Some(v)
    }

    /// Whether this version glues its command line's directory options (MXS-5009). 6.4 was
    /// renamed 21.06 and never got the fix (upstream commit 32a41e3581, "Clear output in
    /// handle_path_arg()", in 21.06.16, 22.08.13 and 23.02.10).
    pub fn has_mxs5009(&self) -> bool {
        match (self.major, self.minor) {
            (6, 4) => true,
            (21, 6) => self.patch < 16,
            (22, 8) => self.patch < 13,
            (23, 2) => self.patch < 10,
            _ => false,
        }
    }
}

/// What start needs to know about this node's MaxScale beyond the parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Whether `--logdir` and the other directories go on the command line.
    pub dirs_on_command_line: bool,
    /// `maxscale.log`, where MaxScale explains a failed start when it printed nothing.
    pub log_file: PathBuf,
}

/// The version (bounded by the operation's deadline), the checks MXS-5009 asks for, and the log
/// file. Called by validate-all and start, after the node's files were checked.
pub fn plan(ctx: &Context, c: &Config) -> Result<Launch, MaxScaleError> {
    let section = read_section(&c.config);
    let version = if c.manage_process {
        detect(ctx, &c.binary)
    } else {
        None
    };
    let glued = version.as_ref().is_some_and(Version::has_mxs5009);
    if let (true, Some(v)) = (glued, &version) {
        check_mxs5009(c, &section, v)?;
    }
    let logdir = c
        .dirs
        .logdir
        .clone()
        .or_else(|| section.logdir.clone())
        .unwrap_or_else(|| PathBuf::from(MAXSCALE_LOGDIR));
    Ok(Launch {
        dirs_on_command_line: !glued,
        log_file: logdir.join("maxscale.log"),
    })
}

/// `<binary> --version`, within the deadline (at most [`VERSION_CAP`]); None (with a warning)
/// when it does not tell: the agent then passes the directories as for a fixed version.
pub fn detect(ctx: &Context, binary: &Path) -> Option<Version> {
    let deadline = ctx.deadline.capped(VERSION_CAP).at();
    let mut cmd = Command::new(binary);
    cmd.arg("--version")
        .current_dir("/")
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    match ocf::command::run_until(&mut cmd, deadline) {
        Ok(out) => {
            let v = Version::parse(&out.stdout).or_else(|| Version::parse(&out.stderr));
            if v.is_none() {
                tracing::warn!(
                    "{} --version printed no MaxScale version: directories go on the command \
                     line (wrong on a MaxScale with MXS-5009)",
                    binary.display()
                );
            }
            v
        }
        Err(e) => {
            tracing::warn!("cannot tell the MaxScale version: {e}");
            None
        }
    }
}

fn check_mxs5009(c: &Config, section: &Dirs, v: &Version) -> Result<(), MaxScaleError> {
    if let Some(opt) = c.extra_options.iter().find(|o| config::directory_option(o)) {
        return Err(MaxScaleError::Mxs5009Option {
            version: v.to_string(),
            option: opt.clone(),
        });
    }
    for ((name, param), (_, file)) in c.dirs.by_name().into_iter().zip(section.by_name()) {
        let Some(want) = param else { continue };
        if file.as_deref().map(normal) != Some(normal(want)) {
            return Err(MaxScaleError::Mxs5009Dir {
                version: v.to_string(),
                name,
                value: want.clone(),
            });
        }
    }
    Ok(())
}

/// A path without trailing slashes (`/var/log/maxscale/` is `/var/log/maxscale`).
fn normal(p: &Path) -> PathBuf {
    p.components().collect()
}

/// The `[maxscale]` directories of MaxScale's configuration file (bounded, non-blocking; an
/// unreadable file gives none: validate reports that on its own).
pub fn read_section(path: &Path) -> Dirs {
    let Ok(f) = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    else {
        return Dirs::default();
    };
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Dirs::default();
    }
    let mut buf = Vec::new();
    if f.take(CONFIG_MAX).read_to_end(&mut buf).is_err() {
        return Dirs::default();
    }
    parse_section(&String::from_utf8_lossy(&buf))
}

/// MaxScale's INI: `[name]` headers, `key=value` lines, `#` and `;` comments.
pub fn parse_section(text: &str) -> Dirs {
    let mut dirs = Dirs::default();
    let mut in_maxscale = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_maxscale = name.trim() == "maxscale";
            continue;
        }
        if !in_maxscale {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if let Some(dir) = dirs.named_mut(key.trim()) {
            *dir = Some(PathBuf::from(value.trim()));
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_and_mxs5009() {
        assert_eq!(
            v("MaxScale 6.4.15\n"),
            Version {
                major: 6,
                minor: 4,
                patch: 15
            }
        );
        assert_eq!(v("MaxScale 24.02.3 - d77a737db3").to_string(), "24.02.3");
        assert_eq!(v("MaxScale 6.4.15").to_string(), "6.4.15");
        assert!(Version::parse("maxscale: unknown option").is_none());
        assert!(Version::parse("MaxScale x.y").is_none());
        for affected in [
            "MaxScale 6.4.0",
            "MaxScale 6.4.15",
            "MaxScale 21.06.15",
            "MaxScale 22.08.12",
            "MaxScale 23.02.9",
        ] {
            assert!(v(affected).has_mxs5009(), "{affected}");
        }
        for fixed in [
            "MaxScale 2.5.29",
            "MaxScale 6.3.1",
            "MaxScale 21.06.16",
            "MaxScale 22.08.13",
            "MaxScale 23.02.10",
            "MaxScale 23.08.6",
            "MaxScale 24.02.3",
            "MaxScale 24.08.0",
        ] {
            assert!(!v(fixed).has_mxs5009(), "{fixed}");
        }
    }

    #[test]
    fn the_maxscale_section() {
        let d = parse_section(
            "# comment\n[maxscale]\nthreads=1\nlogdir = /l/ \n; datadir=/no\n\
             cachedir=/c\n[server1]\ndatadir=/not-this\n[maxscale]\npersistdir=/p\n",
        );
        assert_eq!(d.logdir.as_deref(), Some(Path::new("/l/")));
        assert_eq!(d.datadir, None);
        assert_eq!(d.cachedir.as_deref(), Some(Path::new("/c")));
        assert_eq!(d.persistdir.as_deref(), Some(Path::new("/p")));
        assert_eq!(normal(Path::new("/l/")), normal(Path::new("/l")));
    }
}

//! maxscale.log look-alike.
//!
//! Lines look like MaxScale's: `2026-11-23 13:41:25   notice : MaxScale started with 2 worker threads.`
//! Before the log file is opened (option and config-file errors) messages go to stderr, like
//! MaxScale's start-up log.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::time;

/// Message priority, printed padded like MaxScale does (`alert  `, `warning`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Alert,
    Error,
    Warning,
    Notice,
}

impl Level {
    fn tag(self) -> &'static str {
        match self {
            Level::Alert => "alert  ",
            Level::Error => "error  ",
            Level::Warning => "warning",
            Level::Notice => "notice ",
        }
    }
}

enum Target {
    Stderr,
    Stdout,
    File { path: PathBuf, file: File },
}

static TARGET: Mutex<Target> = Mutex::new(Target::Stderr);
/// True once stdout/stderr were pointed at the log file (daemon mode), so that echoing an
/// alert to stderr would only duplicate the line.
static STDERR_IS_LOG: AtomicBool = AtomicBool::new(false);

fn line(level: Level, msg: &str) -> String {
    format!(
        "{}   {}: {}\n",
        time::log_stamp(time::now()),
        level.tag(),
        msg
    )
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn lock() -> std::sync::MutexGuard<'static, Target> {
    TARGET.lock().unwrap_or_else(|e| e.into_inner())
}

/// Write one message to the current target. Errors writing the log are ignored, as MaxScale does.
pub fn log(level: Level, msg: &str) {
    let text = line(level, msg);
    let mut target = lock();
    match &mut *target {
        Target::Stderr => {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
        Target::Stdout => {
            let mut out = std::io::stdout();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        Target::File { file, .. } => {
            let _ = file.write_all(text.as_bytes());
        }
    }
}

pub fn notice(msg: &str) {
    log(Level::Notice, msg);
}

pub fn warning(msg: &str) {
    log(Level::Warning, msg);
}

pub fn error(msg: &str) {
    log(Level::Error, msg);
}

/// An alert goes to the log and, unless the log already is stderr, also to stderr as
/// `alert  : <msg>` (MaxScale's `print_alert`).
pub fn alert(msg: &str) {
    log(Level::Alert, msg);
    let to_stderr = matches!(&*lock(), Target::File { .. } | Target::Stdout)
        && !STDERR_IS_LOG.load(Ordering::Relaxed);
    if to_stderr {
        let _ = writeln!(std::io::stderr(), "alert  : {msg}");
    }
}

/// Log to `<logdir>/maxscale.log` from now on. Writes MaxScale's banner first.
pub fn init_file(logdir: &Path) -> std::io::Result<PathBuf> {
    let path = logdir.join("maxscale.log");
    let mut file = open_append(&path)?;
    let title = format!(
        "MariaDB MaxScale  {}  {}",
        path.display(),
        time::ctime(time::now())
    );
    let rule = "-".repeat(title.len());
    let _ = write!(file, "\n\n{title}\n{rule}\n");
    *lock() = Target::File {
        path: path.clone(),
        file,
    };
    Ok(path)
}

/// Log to stdout from now on (`-l stdout`, `--config-check`).
pub fn init_stdout() {
    *lock() = Target::Stdout;
}

/// The log file, if logging to a file.
pub fn file_path() -> Option<PathBuf> {
    match &*lock() {
        Target::File { path, .. } => Some(path.clone()),
        _ => None,
    }
}

/// SIGUSR1: reopen the log file (log rotation).
pub fn reopen() {
    let mut target = lock();
    if let Target::File { path, file } = &mut *target {
        if let Ok(f) = open_append(path) {
            *file = f;
        }
    }
}

/// Remember that fds 1 and 2 now point at the log file.
pub fn set_stderr_is_log() {
    STDERR_IS_LOG.store(true, Ordering::Relaxed);
}

/// Append a line to a log file that is not (yet) the active target. Used for config errors
/// found before the log is opened so that they also end up in maxscale.log.
pub fn append_to(logdir: &Path, level: Level, msg: &str) {
    if let Ok(mut f) = open_append(&logdir.join("maxscale.log")) {
        let _ = f.write_all(line(level, msg).as_bytes());
    }
}

//! The passive journal (`sim_passive_journal=PATH`): every change of the `passive` value the
//! simulator serves, with a CLOCK_REALTIME timestamp in nanoseconds, so that a test can tell
//! exactly when each node served passive=false (all lab nodes share one kernel clock). A sampler
//! that asks the REST API a few times a second misses windows shorter than its period; this
//! cannot.
//!
//! One line per event, appended with one `write` (O_APPEND, far below PIPE_BUF, so lines of
//! several processes never mix):
//!
//! ```text
//! <ns> <node> <pid> ready passive=<bool>         the REST API is bound: answers can carry it
//! <ns> <node> <pid> first-answer passive=<bool>  the first REST answer was sent
//! <ns> <node> <pid> change passive=<bool>        a PATCH changed it (logged under the state lock)
//! <ns> <node> <pid> shutdown passive=<bool>      SIGTERM: the REST API answers 503 from now on
//! <ns> <node> <pid> exit rc=<n>                  the process returns from main
//! <ns> <node> <pid> gone                         the process no longer exists (any cause)
//! ```
//!
//! `gone` is written by a small watcher process (comm `mxs-sim-journal`) that the simulator forks
//! when the journal opens: it waits for EOF on a pipe whose write end only the simulator holds,
//! which the kernel closes when the process dies, SIGKILL included. Its timestamp is therefore
//! never earlier than the death. A process cannot log its own SIGKILL; without the watcher a
//! killed instance would have no end.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

struct Journal {
    file: File,
    node: String,
    pid: u32,
    /// The write end of the watcher's pipe; held (never written) until the process ends.
    _alive: Option<OwnedFd>,
}

static JOURNAL: Mutex<Option<Journal>> = Mutex::new(None);

/// Nanoseconds since the epoch on CLOCK_REALTIME (what `SystemTime` reads on Linux).
pub fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn line(node: &str, pid: u32, event: &str) -> String {
    format!("{} {node} {pid} {event}\n", now_ns())
}

/// Open the journal and start its watcher. Call before any thread is started (it forks).
pub fn open(path: &Path, node: &str) -> std::io::Result<()> {
    let file = OpenOptions::new().append(true).create(true).open(path)?;
    let pid = std::process::id();
    let alive = match spawn_watcher(&file, node, pid) {
        Ok(fd) => Some(fd),
        Err(e) => {
            crate::log::warning(&format!(
                "[sim] passive journal: no watcher ({e}); a SIGKILL will not be recorded"
            ));
            None
        }
    };
    *JOURNAL.lock().unwrap_or_else(|e| e.into_inner()) = Some(Journal {
        file,
        node: node.to_string(),
        pid,
        _alive: alive,
    });
    Ok(())
}

/// Append `<event> passive=<value>`. A no-op without a journal.
pub fn record(event: &str, passive: bool) {
    record_text(&format!("{event} passive={passive}"));
}

/// Append an event line as it is.
pub fn record_text(event: &str) {
    let mut g = JOURNAL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(j) = g.as_mut() {
        let text = line(&j.node, j.pid, event);
        let _ = j.file.write_all(text.as_bytes());
    }
}

/// Fork the watcher. Returns the pipe's write end, which the caller keeps open.
fn spawn_watcher(file: &File, node: &str, pid: u32) -> std::io::Result<OwnedFd> {
    let (rd, wr) = nix::unistd::pipe()?;
    // The text is prepared before the fork: the child only reads, writes and exits.
    let node = node.to_string();
    // SAFETY: the simulator calls this before it starts any thread, so the child is a faithful
    // copy of a single-threaded process.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { .. } => {
            drop(rd);
            Ok(wr)
        }
        nix::unistd::ForkResult::Child => {
            drop(wr);
            watch(rd, file, &node, pid)
        }
    }
}

/// The watcher: keep nothing of the simulator's open (pid file lock, sockets, the caller's
/// pipes), wait until the simulator is gone, record it, exit.
fn watch(rd: OwnedFd, file: &File, node: &str, pid: u32) -> ! {
    let keep = [rd.as_raw_fd(), file.as_raw_fd()];
    // SAFETY: prctl(PR_SET_NAME) with a NUL-terminated name of at most 16 bytes.
    unsafe {
        libc::prctl(libc::PR_SET_NAME, c"mxs-sim-journal".as_ptr(), 0, 0, 0);
    }
    let _ = nix::sys::signal::SigSet::all().thread_unblock();
    let _ = nix::unistd::setsid();
    let _ = nix::unistd::chdir("/");
    if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&null);
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
    let open: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    for fd in open {
        if fd > 2 && !keep.contains(&fd) {
            // SAFETY: closing descriptors this process will never use again.
            unsafe {
                libc::close(fd);
            }
        }
    }
    let mut pipe = File::from(rd);
    let mut buf = [0u8; 64];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let mut out: &File = file;
    let _ = out.write_all(line(node, pid, "gone").as_bytes());
    // SAFETY: _exit skips the atexit handlers and destructors of the simulator's state that
    // this copy inherited (they belong to the simulator).
    unsafe { libc::_exit(0) }
}

//! `/proc/<pid>/stat`: the state (to tell a zombie from a live process), the command name and
//! the start time (to tell a reused pid from the process that wrote a pid file).

use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Error;

/// The kernel keeps `comm` in a 16-byte buffer including the terminating NUL.
const COMM_MAX: usize = 15;

/// A process's scheduling state (`/proc/<pid>/stat` field 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    Running,
    Sleeping,
    DiskSleep,
    /// Stopped by a signal (SIGSTOP, SIGTSTP): alive but not answering anything.
    Stopped,
    TracingStop,
    /// Exited, not yet reaped by its parent: for every practical purpose gone.
    Zombie,
    /// The main thread exited but other threads still run: a threaded process on its way out
    /// (its sockets may still be open). `/proc/<pid>/stat` says `Z` for it; [`ProcStat::read`]
    /// tells the two apart, so that nothing takes it for gone too early.
    Exiting,
    Dead,
    Idle,
    Other(char),
}

impl ProcessState {
    fn from_char(c: char) -> ProcessState {
        match c {
            'R' => ProcessState::Running,
            'S' => ProcessState::Sleeping,
            'D' => ProcessState::DiskSleep,
            'T' => ProcessState::Stopped,
            't' => ProcessState::TracingStop,
            'Z' => ProcessState::Zombie,
            'X' | 'x' => ProcessState::Dead,
            'I' => ProcessState::Idle,
            other => ProcessState::Other(other),
        }
    }

    /// Gone for every practical purpose: a zombie or a dead task.
    pub fn is_gone(self) -> bool {
        matches!(self, ProcessState::Zombie | ProcessState::Dead)
    }

    /// Alive but frozen (stopped by a signal or a tracer).
    pub fn is_stopped(self) -> bool {
        matches!(self, ProcessState::Stopped | ProcessState::TracingStop)
    }
}

/// The fields of `/proc/<pid>/stat` we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: i32,
    pub comm: String,
    pub state: ProcessState,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// Field 22: start time in clock ticks after boot.
    pub start_ticks: u64,
}

impl ProcStat {
    /// `Ok(None)` when there is no process with this pid.
    pub fn read(pid: i32) -> Result<Option<ProcStat>, Error> {
        if pid <= 0 {
            return Ok(None);
        }
        let text = match std::fs::read(format!("/proc/{pid}/stat")) {
            Ok(t) => t,
            Err(e) if is_gone(&e) => return Ok(None),
            Err(source) => return Err(Error::Proc { pid, source }),
        };
        let mut stat =
            parse_stat(pid, &String::from_utf8_lossy(&text)).ok_or(Error::ProcParse { pid })?;
        if stat.state == ProcessState::Zombie && other_threads_live(pid) {
            stat.state = ProcessState::Exiting;
        }
        Ok(Some(stat))
    }
}

/// Whether a task of `pid`'s thread group other than its leader is not a zombie or dead yet.
fn other_threads_live(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|t| {
        let tid = t.file_name();
        if tid.to_str() == Some(&pid.to_string()) {
            return false;
        }
        std::fs::read_to_string(t.path().join("stat"))
            .ok()
            .and_then(|s| {
                let state = s.rsplit_once(')')?.1.trim_start().chars().next()?;
                Some(!ProcessState::from_char(state).is_gone())
            })
            .unwrap_or(false)
    })
}

fn is_gone(e: &io::Error) -> bool {
    // ESRCH can show up when the process vanishes between open and read.
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}

/// `pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
/// cutime cstime priority nice num_threads itrealvalue starttime …`. The comm may hold spaces
/// and parentheses, so it ends at the *last* `)`.
fn parse_stat(pid: i32, text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3 (state); field N is rest[N - 3].
    let state = ProcessState::from_char(rest.first()?.chars().next()?);
    let field = |n: usize| rest.get(n - 3).copied();
    Some(ProcStat {
        pid,
        comm,
        state,
        ppid: field(4)?.parse().ok()?,
        pgrp: field(5)?.parse().ok()?,
        session: field(6)?.parse().ok()?,
        start_ticks: field(22)?.parse().ok()?,
    })
}

/// `/proc/<pid>/comm` without the newline; `None` when the process is gone.
pub fn comm_of(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string())
}

/// Whether any thread of `pid` has a live child (`/proc/<pid>/task/*/children`); false when
/// the process is gone. Threads fork too: a child is listed under the thread that made it.
pub fn has_children(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|t| {
        std::fs::read_to_string(t.path().join("children")).is_ok_and(|c| !c.trim().is_empty())
    })
}

/// What `/proc/<pid>/comm` shows for a process started from `program`: the basename,
/// truncated to 15 bytes.
pub fn expected_comm(program: &str) -> String {
    let base = Path::new(program)
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.to_string());
    let mut end = base.len().min(COMM_MAX);
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    base[..end].to_string()
}

/// The boot time (`btime` in `/proc/stat`).
pub fn boot_time() -> Option<SystemTime> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let secs: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions and only reads a constant.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|t| *t > 0).unwrap_or(100)
}

pub(crate) fn started_at(start_ticks: u64) -> Option<SystemTime> {
    let hz = clock_ticks();
    let since_boot = Duration::from_secs(start_ticks / hz)
        + Duration::from_nanos(start_ticks % hz * 1_000_000_000 / hz);
    Some(boot_time()? + since_boot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_comm() {
        let line = "4242 (we ird) (name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 \
                    3 0 987654 1000000 100 18446744073709551615";
        let s = parse_stat(4242, line).unwrap();
        assert_eq!(s.comm, "we ird) (name)");
        assert_eq!(s.state, ProcessState::Sleeping);
        assert_eq!((s.ppid, s.pgrp, s.session), (1, 4242, 4242));
        assert_eq!(s.start_ticks, 987654);
        assert!(parse_stat(1, "1 (x) Z").is_none());
        assert_eq!(
            parse_stat(1, &line.replace(") S", ") Z")).unwrap().state,
            ProcessState::Zombie
        );
    }

    #[test]
    fn children_of_any_thread_count() {
        let mut child = std::thread::spawn(|| {
            std::process::Command::new("sleep")
                .arg("30")
                .spawn()
                .unwrap()
        })
        .join()
        .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        assert!(
            has_children(std::process::id() as i32),
            "forked by a thread that has ended"
        );
        assert!(!has_children(pid), "sleep has none");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!has_children(pid), "gone");
    }

    #[test]
    fn expected_comm_is_truncated_basename() {
        assert_eq!(expected_comm("/usr/bin/maxscale"), "maxscale");
        assert_eq!(expected_comm("maxscale-sim"), "maxscale-sim");
        assert_eq!(
            expected_comm("/x/a-very-long-program-name"),
            "a-very-long-pro"
        );
    }

    #[test]
    fn reads_our_own_process() {
        let me = i32::try_from(std::process::id()).unwrap();
        let s = ProcStat::read(me).unwrap().unwrap();
        assert_eq!(s.pid, me);
        assert!(!s.state.is_gone());
        assert_eq!(comm_of(me).unwrap(), s.comm);
        let started = started_at(s.start_ticks).unwrap();
        let now = SystemTime::now();
        assert!(started <= now + Duration::from_secs(2));
        assert!(now.duration_since(started).unwrap_or_default() < Duration::from_secs(3600));
        assert_eq!(ProcStat::read(-1).unwrap(), None);
        assert_eq!(ProcStat::read(i32::MAX).unwrap(), None);
    }

    /// A process whose main thread has exited while another thread still runs: `Z` in
    /// /proc/<pid>/stat, yet not gone (it still holds its sockets).
    #[test]
    fn a_zombie_leader_with_live_threads_is_exiting_not_gone() {
        extern "C" fn linger(_: *mut libc::c_void) -> *mut libc::c_void {
            // SAFETY: sleep(3) has no preconditions.
            unsafe { libc::sleep(1) };
            std::ptr::null_mut()
        }
        // SAFETY: the child only calls pthread_create with a static function and exit(2) of its
        // own thread; it never returns into the test harness.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork");
        if child == 0 {
            let mut t: libc::pthread_t = 0;
            // SAFETY: a valid out-pointer and a function with the right signature; SYS_exit
            // ends only the calling thread (pthread_exit would unwind through Rust frames).
            unsafe {
                libc::pthread_create(&mut t, std::ptr::null(), linger, std::ptr::null_mut());
                libc::syscall(libc::SYS_exit, 0);
            }
        }
        let started = std::time::Instant::now();
        let mut seen_exiting = false;
        let state = loop {
            let s = ProcStat::read(child).unwrap().unwrap().state;
            if s == ProcessState::Exiting {
                seen_exiting = true;
                assert!(!s.is_gone());
            }
            if s.is_gone() || started.elapsed() > Duration::from_secs(5) {
                break s;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        assert!(seen_exiting, "never saw the exiting state");
        assert_eq!(
            state,
            ProcessState::Zombie,
            "gone once the last thread ended"
        );
        // SAFETY: reaping our own child.
        unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
    }
}

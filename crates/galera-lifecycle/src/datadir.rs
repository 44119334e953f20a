//! Who uses a datadir: the proof that no server owns it, needed before `--wsrep-recover`
//! (against a datadir in use it blocks ~30 s on the Aria lock, then aborts without a position;
//! docs/galera-election.md F6), and the way to find a mariadbd that has no pid file yet (during SST, F9).
//!
//! Two kinds of evidence, because each alone has a blind spot:
//! - POSIX locks: a running server holds a write lock on `ibdata1` (InnoDB) and
//!   `aria_log_control` (Aria); `F_GETLK` names the holder's pid. Taken only once the engines
//!   start — a joiner waiting for its SST holds none.
//! - Working directory: mariadbd `chdir`s into its datadir at once; the SST script and its
//!   rsync daemon run there too (observed). Only known server and transfer programs count, so
//!   an administrator's shell in the datadir does not block recovery.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use daemon_process::{ProcStat, ProcessState};

/// Programs that are a MariaDB server.
pub const SERVER_PROGRAMS: [&str; 2] = ["mariadbd", "mysqld"];
/// Programs of a state transfer (besides `wsrep_sst_*` scripts).
const TRANSFER_PROGRAMS: [&str; 4] = ["rsync", "mariabackup", "mariadb-backup", "socat"];
/// The lock files every server holds.
pub const ENGINE_LOCK_FILES: [&str; 2] = ["ibdata1", "aria_log_control"];

/// A process that uses the datadir, and how we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatadirUser {
    pub pid: i32,
    pub comm: String,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// It holds a POSIX lock on this file.
    Lock(PathBuf),
    /// Its working directory is the datadir (or below).
    WorkingDirectory(PathBuf),
}

impl std::fmt::Display for DatadirUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.evidence {
            Evidence::Lock(p) => {
                write!(f, "{} (pid {}) locks {}", self.comm, self.pid, p.display())
            }
            Evidence::WorkingDirectory(p) => {
                write!(
                    f,
                    "{} (pid {}) runs in {}",
                    self.comm,
                    self.pid,
                    p.display()
                )
            }
        }
    }
}

/// Whether `comm` is a server or state-transfer program.
pub fn is_datadir_program(comm: &str) -> bool {
    SERVER_PROGRAMS.contains(&comm)
        || TRANSFER_PROGRAMS.contains(&comm)
        || comm.starts_with("wsrep_sst_")
}

/// Shells that run the SST scripts: the scripts start with `#!/usr/bin/env bash`, so their
/// `comm` is `bash`, and the server runs them through `sh -c`.
const SCRIPT_SHELLS: [&str; 3] = ["bash", "sh", "dash"];

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// The SST script a process runs (`wsrep_sst_rsync`, …), from its name or its command line
/// (`bash /usr/bin/wsrep_sst_rsync --role joiner …`, `sh -c 'wsrep_sst_rsync …'`).
pub fn sst_script(pid: i32, comm: &str) -> Option<String> {
    if comm.starts_with("wsrep_sst_") {
        return Some(comm.to_string());
    }
    if !SCRIPT_SHELLS.contains(&comm) {
        return None;
    }
    let args = cmdline_of(pid);
    // argv[0] or argv[1] of the interpreter, or the first words of a `sh -c` string
    // (`wsrep_sst_rsync --role …`, or `bash …/wsrep_sst_rsync …`).
    let mut words = args
        .get(2)
        .map(|a| a.split_whitespace())
        .into_iter()
        .flatten();
    let candidates = [
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
        words.next(),
        words.next(),
    ];
    for c in candidates.into_iter().flatten() {
        let b = basename(c);
        if b.starts_with("wsrep_sst_") {
            return Some(b.to_string());
        }
    }
    None
}

/// Every live process of `/proc` (zombies left out).
pub fn process_table() -> io::Result<Vec<ProcStat>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if let Ok(Some(stat)) = ProcStat::read(pid) {
            if !stat.state.is_gone() {
                out.push(stat);
            }
        }
    }
    Ok(out)
}

/// The working directory of a process (`None` when gone or unreadable).
pub fn cwd_of(pid: i32) -> Option<PathBuf> {
    let p = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    // A deleted directory shows as "… (deleted)": not a datadir any more.
    (!p.to_string_lossy().ends_with(" (deleted)")).then_some(p)
}

/// The working directory of `pid` when it is `dir` or below it, as that process sees its file
/// system: the same directory (device and inode), not merely the same path. Servers in other
/// mount namespaces on the host (containers, the lab's nodes) show the same paths, such as
/// /var/lib/mysql, for datadirs that are not ours; stopping one of them would stop another
/// node's server. `dir` is absolute (see [`canonical`]).
pub fn works_in(pid: i32, dir: &Path) -> Option<PathBuf> {
    let cwd = cwd_of(pid).filter(|c| c.starts_with(dir))?;
    // /proc/<pid>/root resolves paths in the process's own mount namespace.
    let rel = dir.strip_prefix("/").unwrap_or(dir);
    let theirs = std::fs::metadata(Path::new(&format!("/proc/{pid}/root")).join(rel)).ok()?;
    let ours = std::fs::metadata(dir).ok()?;
    use std::os::unix::fs::MetadataExt;
    (theirs.dev() == ours.dev() && theirs.ino() == ours.ino()).then_some(cwd)
}

/// The argument vector of a process, lossy.
pub fn cmdline_of(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// All descendants of `pid` in `table` (children, their children, …).
pub fn descendants(table: &[ProcStat], pid: i32) -> Vec<ProcStat> {
    let mut out: Vec<ProcStat> = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for p in table.iter().filter(|p| p.ppid == parent) {
            if p.pid != pid && !out.iter().any(|o| o.pid == p.pid) {
                frontier.push(p.pid);
                out.push(p.clone());
            }
        }
    }
    out
}

/// The datadir as the kernel shows it in `/proc/<pid>/cwd` (symlinks resolved).
pub fn canonical(datadir: &Path) -> PathBuf {
    std::fs::canonicalize(datadir).unwrap_or_else(|_| datadir.to_path_buf())
}

/// The pid holding a POSIX lock that conflicts with a write lock on `path`, if any.
fn lock_holder(path: &Path) -> io::Result<Option<i32>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // SAFETY: a zeroed flock is a valid value of this plain C struct.
    let mut lk: libc::flock = unsafe { std::mem::zeroed() };
    lk.l_type = libc::F_WRLCK as libc::c_short;
    lk.l_whence = libc::SEEK_SET as libc::c_short;
    nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_GETLK(&mut lk)).map_err(io::Error::from)?;
    // Closing our descriptor would drop *our* locks on the file; we hold none.
    Ok((i32::from(lk.l_type) != libc::F_UNLCK).then_some(lk.l_pid))
}

/// Every process that uses `datadir`: lock holders of the engine lock files (plus
/// `extra_lock_files`, e.g. an `ibdata1` under `innodb_data_home_dir`), and server or transfer
/// programs running in it. Empty means no server owns it.
pub fn datadir_users(datadir: &Path, extra_lock_files: &[PathBuf]) -> io::Result<Vec<DatadirUser>> {
    let mut users = Vec::new();
    let locks = ENGINE_LOCK_FILES
        .iter()
        .map(|f| datadir.join(f))
        .chain(extra_lock_files.iter().cloned());
    for file in locks {
        if let Some(pid) = lock_holder(&file)? {
            let comm = daemon_process::comm_of(pid).unwrap_or_else(|| "?".into());
            users.push(DatadirUser {
                pid,
                comm,
                evidence: Evidence::Lock(file),
            });
        }
    }
    let dir = canonical(datadir);
    for p in process_table()? {
        let candidate = is_datadir_program(&p.comm) || SCRIPT_SHELLS.contains(&p.comm.as_str());
        if !candidate || p.state == ProcessState::Zombie {
            continue;
        }
        let Some(cwd) = works_in(p.pid, &dir) else {
            continue;
        };
        let comm = if is_datadir_program(&p.comm) {
            p.comm.clone()
        } else {
            // A shell counts only when it runs an SST script.
            match sst_script(p.pid, &p.comm) {
                Some(script) => script,
                None => continue,
            }
        };
        if !users.iter().any(|u| u.pid == p.pid) {
            users.push(DatadirUser {
                pid: p.pid,
                comm,
                evidence: Evidence::WorkingDirectory(cwd),
            });
        }
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn program_names() {
        for c in [
            "mariadbd",
            "mysqld",
            "rsync",
            "wsrep_sst_rsync",
            "wsrep_sst_maria",
        ] {
            assert!(is_datadir_program(c), "{c}");
        }
        for c in ["bash", "sh", "less", "mariadb"] {
            assert!(!is_datadir_program(c), "{c}");
        }
    }

    #[test]
    fn a_lock_holder_is_found_by_pid() {
        let dir = tempfile::tempdir().unwrap();
        let ib = dir.path().join("ibdata1");
        std::fs::write(&ib, b"x").unwrap();
        assert!(datadir_users(dir.path(), &[]).unwrap().is_empty());
        // flock(1) takes flock locks, not POSIX ones; python is not guaranteed. A shell cannot
        // take a POSIX lock, so this test takes one in a child it forks itself.
        let child = fork_locker(&ib);
        let users = datadir_users(dir.path(), &[]).unwrap();
        assert_eq!(users.len(), 1, "{users:?}");
        assert_eq!(users[0].pid, child.as_raw());
        assert_eq!(users[0].evidence, Evidence::Lock(ib.clone()));
        nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL).unwrap();
        nix::sys::wait::waitpid(child, None).unwrap();
        assert!(datadir_users(dir.path(), &[]).unwrap().is_empty());
    }

    /// `program 30`, running in `dir`.
    fn sleep_30_in(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> std::process::Child {
        Command::new(program)
            .arg("30")
            .current_dir(dir)
            .spawn()
            .unwrap()
    }

    /// The users of `data` as soon as there are any; none if there are none by `until`.
    fn users_once_seen(data: &Path, until: std::time::Instant) -> Vec<DatadirUser> {
        let mut users = Vec::new();
        while users.is_empty() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(10));
            users = datadir_users(data, &[]).unwrap();
        }
        users
    }

    /// A child process that holds a POSIX write lock on `path` until killed.
    fn fork_locker(path: &Path) -> nix::unistd::Pid {
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        let (rd, wr) = nix::unistd::pipe().unwrap();
        // SAFETY: the child only calls async-signal-safe functions (fcntl, write, pause,
        // _exit) before it is killed.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                let mut lk: libc::flock = unsafe { std::mem::zeroed() };
                lk.l_type = libc::F_WRLCK as libc::c_short;
                lk.l_whence = libc::SEEK_SET as libc::c_short;
                let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
                let wfd = std::os::fd::AsRawFd::as_raw_fd(&wr);
                unsafe {
                    libc::fcntl(fd, libc::F_SETLK, &lk);
                    libc::write(wfd, b"k".as_ptr().cast(), 1);
                    loop {
                        libc::pause();
                    }
                }
            }
            nix::unistd::ForkResult::Parent { child } => {
                drop(wr);
                let mut b = [0u8; 1];
                nix::unistd::read(&rd, &mut b).unwrap();
                child
            }
        }
    }

    #[test]
    fn a_server_program_in_the_datadir_is_found_by_cwd() {
        let dir = tempfile::tempdir().unwrap();
        // comm is the name exec was given: a symlink named mysqld to sleep (a copy could hit
        // ETXTBSY while other test threads fork).
        let fake = dir.path().join("mysqld");
        std::os::unix::fs::symlink("/bin/sleep", &fake).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let mut child = sleep_30_in(&fake, &data);
        let pid = i32::try_from(child.id()).unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let users = users_once_seen(&data, until);
        assert_eq!(users.len(), 1, "{users:?}");
        assert_eq!(users[0].pid, pid);
        assert_eq!(users[0].comm, "mysqld");
        assert!(matches!(users[0].evidence, Evidence::WorkingDirectory(_)));
        assert!(users[0].to_string().contains("runs in"), "{}", users[0]);
        // A shell in the datadir does not count.
        let mut sh = sleep_30_in("sleep", &data);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(datadir_users(&data, &[]).unwrap().is_empty());
        sh.kill().unwrap();
        sh.wait().unwrap();
    }

    /// The lab found this: every node's server runs in /var/lib/mysql, each in its own mount
    /// namespace, and a node's demote stopped another node's mariadbd found by its cwd path.
    #[test]
    fn a_server_in_another_mount_namespace_is_not_ours() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root (unshare --mount)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("mariadbd");
        std::os::unix::fs::symlink("/bin/sleep", &fake).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        // Same path, another directory: a tmpfs over it in a mount namespace of its own.
        let script = format!(
            "mount -t tmpfs none '{d}' && cd '{d}' && exec '{f}' 30",
            d = data.display(),
            f = fake.display()
        );
        let mut other = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .spawn()
            .unwrap();
        let pid = i32::try_from(other.id()).unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while daemon_process::comm_of(pid).as_deref() != Some("mariadbd")
            && std::time::Instant::now() < until
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(cwd_of(pid).as_deref(), Some(data.as_path()), "same path");
        assert_eq!(works_in(pid, &data), None);
        assert!(datadir_users(&data, &[]).unwrap().is_empty());
        // The same program in our own namespace is found.
        let mut mine = sleep_30_in(&fake, &data);
        let mine_pid = i32::try_from(mine.id()).unwrap();
        let users = users_once_seen(&data, until);
        assert_eq!(users.iter().map(|u| u.pid).collect::<Vec<_>>(), [mine_pid]);
        for c in [&mut other, &mut mine] {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    #[test]
    fn sst_scripts_are_found_behind_their_shell() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("wsrep_sst_fake");
        std::fs::write(&script, "sleep 30\n").unwrap();
        // As the server runs it: `sh -c '<script> --role joiner'` in the datadir, the script
        // run by bash (its `#!/usr/bin/env bash`). Named explicitly here: executing a file
        // just written can fail with ETXTBSY while other test threads fork.
        let mut sh = Command::new("sh")
            .args([
                "-c",
                &format!("bash {} --role 'joiner'; true", script.display()),
            ])
            .current_dir(dir.path())
            .spawn()
            .unwrap();
        let pid = i32::try_from(sh.id()).unwrap();
        // Until the forks have exec'd (a forked child briefly has its parent's name and
        // command line): then exactly the script's bash, not its sleep.
        let want = vec![("bash".to_string(), "wsrep_sst_fake".to_string())];
        let mut found = Vec::new();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < until {
            let table = process_table().unwrap();
            let kids = descendants(&table, pid);
            found = kids
                .iter()
                .filter_map(|p| sst_script(p.pid, &p.comm).map(|s| (p.comm.clone(), s)))
                .collect();
            if found == want && kids.iter().any(|k| k.comm == "sleep") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(found, want);
        assert_eq!(sst_script(pid, "sh").as_deref(), Some("wsrep_sst_fake"));
        let users = datadir_users(dir.path(), &[]).unwrap();
        assert!(
            users.iter().any(|u| u.comm == "wsrep_sst_fake"),
            "{users:?}"
        );
        let table = process_table().unwrap();
        for k in descendants(&table, pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(k.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = sh.kill();
        sh.wait().unwrap();
    }

    #[test]
    fn descendants_follow_the_tree() {
        let mut sh = Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30 & wait"])
            .spawn()
            .unwrap();
        let pid = i32::try_from(sh.id()).unwrap();
        let mut kids = Vec::new();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < until {
            kids = descendants(&process_table().unwrap(), pid);
            // Both forked and exec'd.
            if kids.len() == 2 && kids.iter().all(|k| k.comm == "sleep") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(kids.len(), 2, "{kids:?}");
        assert!(kids.iter().all(|k| k.comm == "sleep"));
        for k in &kids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(k.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        sh.wait().unwrap();
        assert!(cmdline_of(i32::MAX).is_empty());
    }
}

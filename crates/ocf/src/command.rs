//! Running a helper program (attrd_updater, crm_attribute) within the action's budget.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What is kept of each of a helper's output streams; the rest is read and dropped, so a
/// flooding child neither blocks on a full pipe nor grows our memory.
pub const OUTPUT_CAP: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{program} not found")]
    NotFound { program: String },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} did not finish within {waited:?}; killed")]
    TimedOut { program: String, waited: Duration },
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: ExitStatus,
        stderr: String,
    },
}

#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to completion or kills it at `deadline`. stdin is closed; output is captured,
/// [`OUTPUT_CAP`] bytes of each stream at most. The deadline also bounds the wait for the
/// streams' end (a grandchild may hold them open after the child exits).
pub fn run_until(cmd: &mut Command, deadline: Instant) -> Result<Output, CommandError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => CommandError::NotFound {
                program: program.clone(),
            },
            _ => CommandError::Spawn {
                program: program.clone(),
                source,
            },
        })?;
    // Readers on their own threads, so a chatty child cannot block on a full pipe.
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
            _ => {
                kill(&mut child);
                return Err(CommandError::TimedOut {
                    program,
                    waited: started.elapsed(),
                });
            }
        }
    };
    let (stdout, stderr) = match (join(out, deadline), join(err, deadline)) {
        (Some(o), Some(e)) => (o, e),
        _ => {
            return Err(CommandError::TimedOut {
                program,
                waited: started.elapsed(),
            })
        }
    };
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Like [`run_until`], but a non-zero exit status is an error carrying stderr.
pub fn run_ok(cmd: &mut Command, deadline: Instant) -> Result<Output, CommandError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = run_until(cmd, deadline)?;
    if out.status.success() {
        Ok(out)
    } else {
        let stderr = out.stderr.trim().to_string();
        Err(CommandError::Failed {
            program,
            status: out.status,
            stderr,
        })
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    match pipe {
        None => {
            let _ = tx.send(String::new());
        }
        Some(mut p) => {
            thread::spawn(move || {
                let _ = tx.send(read_capped(&mut p, OUTPUT_CAP));
            });
        }
    }
    rx
}

/// Reads to the end, keeping the first `cap` bytes.
fn read_capped(r: &mut impl Read, cap: usize) -> String {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// The stream's text, or None if it has not ended by `deadline`.
fn join(rx: mpsc::Receiver<String>, deadline: Instant) -> Option<String> {
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    fn within(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[test]
    fn captures_output() {
        let out = run_ok(&mut sh("echo out; echo err >&2"), within(5000)).unwrap();
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[test]
    fn a_flood_is_cut_and_does_not_block() {
        // 64 MiB on stdout: kept to the cap, and the child is not stuck on a full pipe.
        let out = run_ok(
            &mut sh("head -c 67108864 /dev/zero; echo done >&2"),
            within(20_000),
        )
        .unwrap();
        assert_eq!(out.stdout.len(), OUTPUT_CAP);
        assert_eq!(out.stderr, "done\n");
    }

    #[test]
    fn a_grandchild_holding_the_output_open_does_not_outlast_the_deadline() {
        let t = Instant::now();
        let e = run_until(&mut sh("sleep 10 & echo started"), within(300));
        assert!(matches!(e, Err(CommandError::TimedOut { .. })), "{e:?}");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }

    #[test]
    fn kills_at_the_deadline() {
        let t = Instant::now();
        let e = run_until(Command::new("sleep").arg("10"), within(100));
        assert!(matches!(e, Err(CommandError::TimedOut { .. })), "{e:?}");
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn failures_and_missing_programs() {
        let d = within(5000);
        assert!(matches!(
            run_ok(&mut sh("echo no >&2; exit 3"), d),
            Err(CommandError::Failed { ref stderr, .. }) if stderr == "no"
        ));
        assert!(matches!(
            run_ok(&mut Command::new("/nonexistent/prog"), d),
            Err(CommandError::NotFound { .. })
        ));
    }
}

//! Running a helper program (attrd_updater, crm_attribute) within the action's budget.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

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

/// Runs `cmd` to completion or kills it at `deadline`. stdin is closed; output is captured.
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
    Ok(Output {
        status,
        stdout: join(out),
        stderr: join(err),
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

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> Option<thread::JoinHandle<String>> {
    pipe.map(|mut p| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = p.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    })
}

fn join(handle: Option<thread::JoinHandle<String>>) -> String {
    handle.and_then(|h| h.join().ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output() {
        let out = run_ok(
            Command::new("sh").args(["-c", "echo out; echo err >&2"]),
            Instant::now() + Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[test]
    fn kills_at_the_deadline() {
        let t = Instant::now();
        let e = run_until(
            Command::new("sleep").arg("10"),
            Instant::now() + Duration::from_millis(100),
        );
        assert!(matches!(e, Err(CommandError::TimedOut { .. })), "{e:?}");
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn failures_and_missing_programs() {
        let d = Instant::now() + Duration::from_secs(5);
        assert!(matches!(
            run_ok(Command::new("sh").args(["-c", "echo no >&2; exit 3"]), d),
            Err(CommandError::Failed { ref stderr, .. }) if stderr == "no"
        ));
        assert!(matches!(
            run_ok(&mut Command::new("/nonexistent/prog"), d),
            Err(CommandError::NotFound { .. })
        ));
    }
}

//! Every mariadbd this crate starts runs without CAP_SYS_BOOT in its bounding set (the
//! project's rule for daemons started by agents, as `setpriv --bounding-set -sys_boot`): it
//! never needs to reboot the host, and on a shared test machine nothing it runs may.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// `CAP_SYS_BOOT` of linux/capability.h (libc does not define the capability numbers).
const CAP_SYS_BOOT: libc::c_ulong = 22;

pub(crate) fn without_reboot_capability(cmd: &mut Command) {
    // SAFETY: runs in the forked child before exec; prctl(2) is async-signal-safe and the
    // closure allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            // EPERM without CAP_SETPCAP (not root): then the child cannot reboot anyway.
            libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0);
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_has_no_cap_sys_boot() {
        if !nix::unistd::geteuid().is_root() {
            // Dropping from the bounding set needs CAP_SETPCAP; a non-root child cannot reboot.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED the_child_has_no_cap_sys_boot: not root"
            );
            return;
        }
        let mut cmd = Command::new("grep");
        cmd.args(["^CapBnd", "/proc/self/status"]);
        without_reboot_capability(&mut cmd);
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mask = u64::from_str_radix(text.split_whitespace().nth(1).unwrap(), 16).unwrap();
        assert_eq!(mask & (1 << CAP_SYS_BOOT), 0, "{text}");
    }
}

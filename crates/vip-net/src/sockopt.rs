//! setsockopt(2), shared by the netlink socket and the raw sockets.

use std::io;
use std::mem::size_of;
use std::os::fd::RawFd;
use std::time::Duration;

/// Sets SO_RCVTIMEO / SO_SNDTIMEO (at least 1 µs: zero would mean "block forever").
pub(crate) fn set_timeout(fd: RawFd, opt: libc::c_int, d: Duration) -> io::Result<()> {
    let d = d.max(Duration::from_micros(1));
    let tv = libc::timeval {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    };
    setsockopt(fd, libc::SOL_SOCKET, opt, &tv)
}

pub(crate) fn setsockopt<T>(
    fd: RawFd,
    level: libc::c_int,
    opt: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: `value` points to a live, initialised T for the duration of the call and its
    // exact size is passed; the kernel only reads it. A bad fd or option yields an error code.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (value as *const T).cast::<libc::c_void>(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

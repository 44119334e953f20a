//! The one error type of this crate. Variants say *what* went wrong in terms a caller can map to
//! its own codes (missing here, not allowed, conflict, broken); the messages are complete
//! sentences fit for an operator.

use std::io;
use std::net::IpAddr;
use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The kernel refused for lack of privilege (EPERM/EACCES): CAP_NET_ADMIN for addresses,
    /// CAP_NET_RAW for raw sockets.
    #[error("{op}: permission denied (needs {needs}; run as root)")]
    PermissionDenied {
        op: &'static str,
        needs: &'static str,
    },

    /// Nothing answered before the deadline.
    #[error("{op}: no answer within {}", fmt_duration(*waited))]
    Timeout { op: &'static str, waited: Duration },

    /// A system call failed.
    #[error("{op}: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: io::Error,
    },

    /// The kernel answered a netlink request with an error.
    #[error("{op}: {}", io::Error::from_raw_os_error(*errno))]
    Kernel { op: &'static str, errno: i32 },

    /// A netlink reply that could not be decoded.
    #[error("{op}: cannot decode the kernel's netlink reply: {message}")]
    Decode { op: &'static str, message: String },

    /// The address is already configured with this prefix on this interface.
    #[error("{ip}/{prefix} already exists on {nic}")]
    AddressExists { ip: IpAddr, prefix: u8, nic: String },

    /// IPv6 duplicate address detection failed: another node uses the address.
    #[error("{ip} on {nic}: dadfailed (duplicate address detection), another node uses it")]
    DadFailed { ip: IpAddr, nic: String },

    /// The address disappeared while we waited for it.
    #[error("{ip} disappeared from {nic} while waiting for duplicate address detection")]
    AddressVanished { ip: IpAddr, nic: String },

    /// IPv6 is disabled on the interface (`net.ipv6.conf.<nic>.disable_ipv6`).
    #[error("IPv6 is disabled on {nic} (net.ipv6.conf.{nic}.disable_ipv6=1)")]
    Ipv6Disabled { nic: String },

    /// ARP / neighbour discovery needs an Ethernet-like (6-byte) hardware address.
    #[error("interface {nic} has no Ethernet hardware address; cannot send ARP/ND packets on it")]
    NoHardwareAddress { nic: String },

    /// A request the kernel would reject anyway, caught before sending it.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub(crate) fn io(op: &'static str) -> impl FnOnce(io::Error) -> Error {
        move |source| Error::from_io(op, source)
    }

    /// Maps EPERM/EACCES to [`Error::PermissionDenied`], timeouts to [`Error::Timeout`].
    pub(crate) fn from_io(op: &'static str, source: io::Error) -> Error {
        match source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => Error::PermissionDenied {
                op,
                needs: "CAP_NET_RAW",
            },
            _ => Error::Io { op, source },
        }
    }

    /// True for a lack of privilege, whatever the call.
    pub fn is_permission(&self) -> bool {
        matches!(self, Error::PermissionDenied { .. })
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 10_000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

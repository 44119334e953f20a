//! Virtual IP addresses on Linux without child processes: links and addresses over synchronous
//! rtnetlink, gratuitous ARP / unsolicited neighbour advertisements and duplicate-address probes
//! over raw sockets.
//!
//! Requests are built with `netlink-packet-route` and sent over a `netlink-sys` socket; the two
//! replies we read (RTM_NEWLINK, RTM_NEWADDR) are decoded by a small reader of just the
//! attributes we use, because decoding everything costs a one-shot process (a monitor) more
//! than the rest of its work (about 0.2 ms of cold code per exec, measured).
//!
//! This crate knows nothing about OCF or Pacemaker. Every call that can block takes a deadline
//! (`std::time::Instant`) and gives up with [`Error::Timeout`] when it passes, so a caller with a
//! hard time budget can never hang here.
//!
//! - [`Netlink`]: list links ([`Link`]) and addresses ([`Address`]), add ([`NewAddress`]) and
//!   delete addresses, wait for IPv6 duplicate address detection ([`Netlink::wait_dad`]).
//! - [`select_nic`]: which interface a VIP belongs on (the one whose own address is in the VIP's
//!   subnet); none or several is an error naming what was found, never a guess.
//! - [`announce`]: gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6).
//! - [`probe_duplicate`]: does another host already answer for the address? (RFC 5227 ARP probe,
//!   or an IPv6 DAD neighbour solicitation.)
//! - [`prefix`]: prefix math; [`packet`]: the wire formats (pure, unit-tested).
//!
//! Modules by job, each depending only on those above it: `error`, `mac`, `prefix`; `link` and
//! `address` (the domain types); `decode` (the reader of netlink replies: bytes to types) and
//! `sockopt`; `netlink` (the socket, the requests and the receive loop), `raw` (ARP/ND
//! sockets), `nic` (interface selection, pure) and `packet` (ARP/ND wire formats).

mod address;
pub mod caps;
mod decode;
mod error;
mod link;
mod mac;
mod netlink;
mod nic;
pub mod packet;
pub mod prefix;
mod raw;
mod sockopt;

pub use address::{AddrFlags, Address, Family, Lifetime, NewAddress};
pub use caps::Capabilities;
pub use error::{Error, Result};
pub use link::{Link, OperState};
pub use mac::MacAddr;
pub use netlink::Netlink;
pub use nic::{select_nic, Candidate, NicChoice, NicError};
pub use raw::{announce, probe_duplicate, Announced, Conflict};

//! Where the address is on this node: on any interface of the network namespace, not only on
//! the configured nic. A VIP that the node holds anywhere is the node's (a renamed nic, an
//! address moved by hand): no action may report it absent, or Pacemaker starts it on another
//! node too and the address is duplicated.

use std::net::IpAddr;
use std::time::Instant;

use vip_net::{Address, Family, Link, Netlink};

use crate::config::Target;
use crate::error::VipError;

/// What `find` saw.
#[derive(Debug)]
pub enum Found {
    /// Nowhere on this node.
    Absent,
    /// On its interface (the configured nic, or any interface when nic is not set): the link
    /// and the copies there (one per prefix).
    Here(Link, Vec<Address>),
}

/// Every copy of `ip` on this node, whatever the interface and prefix.
pub fn copies(nl: &mut Netlink, ip: IpAddr, deadline: Instant) -> Result<Vec<Address>, VipError> {
    Ok(nl
        .addresses(Some(Family::of(&ip)), deadline)?
        .into_iter()
        .filter(|a| a.ip == ip)
        .collect())
}

/// An interface's name for a message.
pub fn link_name(nl: &mut Netlink, ifindex: u32, deadline: Instant) -> String {
    match nl.link_by_index(ifindex, deadline) {
        Ok(Some(l)) => l.name,
        _ => format!("ifindex {ifindex}"),
    }
}

/// Where the address is. The address on another interface than the configured nic (also when
/// that nic does not exist: renamed) is [`VipError::Elsewhere`]. Returns the configured nic's
/// link too (`None` when nic is not set or does not exist), so callers need no second lookup.
pub fn find(
    nl: &mut Netlink,
    t: &Target,
    deadline: Instant,
) -> Result<(Found, Option<Link>), VipError> {
    let copies = copies(nl, t.ip, deadline)?;
    let Some(name) = &t.nic else {
        let Some(first) = copies.first() else {
            return Ok((Found::Absent, None));
        };
        // None: the link went away between the two requests, and the address with it.
        return Ok(match nl.link_by_index(first.ifindex, deadline)? {
            Some(l) => {
                let here = copies
                    .into_iter()
                    .filter(|a| a.ifindex == l.index)
                    .collect();
                (Found::Here(l, here), None)
            }
            None => (Found::Absent, None),
        });
    };
    let nic = nl.link_by_name(name, deadline)?;
    let (here, stray): (Vec<Address>, Vec<Address>) = copies
        .into_iter()
        .partition(|a| nic.as_ref().is_some_and(|l| l.index == a.ifindex));
    if let Some(l) = nic.as_ref().filter(|_| !here.is_empty()) {
        if let Some(a) = stray.first() {
            tracing::warn!(
                "{} is also on {}, not only on its nic {name}; stop removes every copy",
                t.ip,
                link_name(nl, a.ifindex, deadline)
            );
        }
        return Ok((Found::Here(l.clone(), here), nic));
    }
    match stray.first() {
        Some(a) => Err(VipError::Elsewhere {
            ip: t.ip,
            on: link_name(nl, a.ifindex, deadline),
            nic: name.clone(),
            nic_exists: nic.is_some(),
        }),
        None => Ok((Found::Absent, nic)),
    }
}

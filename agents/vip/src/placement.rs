//! Where the address goes on this node: the configured nic, or the one interface whose own
//! address is in the VIP's subnet, and the prefix. What fails here is missing on this node
//! only (5), never a configuration error.

use std::time::Instant;

use vip_net::{Address, Family, Link, Netlink};

use crate::config::Config;
use crate::error::VipError;

#[derive(Debug)]
pub struct Placement {
    pub link: Link,
    pub prefix: u8,
}

impl Placement {
    /// The label check that needs the interface's name (a detected nic, or the primary name
    /// of a configured altname): this node's problem (2), not the configuration's; config.rs
    /// checked the configured name.
    pub fn check_label(&self, cfg: &Config) -> Result<(), VipError> {
        match cfg.label_too_long(&self.link.name) {
            None => Ok(()),
            Some(full) => Err(VipError::LabelTooLongHere {
                full,
                max: crate::config::MAX_LABEL,
            }),
        }
    }
}

/// Finds the interface (configured or detected) and the prefix.
pub fn place(nl: &mut Netlink, cfg: &Config, deadline: Instant) -> Result<Placement, VipError> {
    let t = &cfg.target;
    match &t.nic {
        Some(name) => {
            let link = nl
                .link_by_name(name, deadline)?
                .ok_or_else(|| VipError::NoSuchNic(name.clone()))?;
            let prefix = match t.prefix {
                Some(p) => p,
                None => {
                    // The prefix of the nic's own address in the VIP's subnet.
                    let addrs: Vec<Address> = nl
                        .addresses(Some(Family::of(&t.ip)), deadline)?
                        .into_iter()
                        .filter(|a| a.ifindex == link.index)
                        .collect();
                    let links = std::slice::from_ref(&link);
                    match vip_net::select_nic(links, &addrs, t.ip, None) {
                        Ok(c) => c.prefix,
                        Err(_) => {
                            return Err(VipError::NoOwnAddress {
                                nic: link.name.clone(),
                                ip: t.ip,
                            })
                        }
                    }
                }
            };
            Ok(Placement { link, prefix })
        }
        None => {
            let links = nl.links(deadline)?;
            let addrs = nl.addresses(Some(Family::of(&t.ip)), deadline)?;
            let choice =
                vip_net::select_nic(&links, &addrs, t.ip, t.prefix).map_err(VipError::NoNic)?;
            let link = links
                .into_iter()
                .find(|l| l.index == choice.ifindex)
                .ok_or(VipError::DetectedVanished)?;
            tracing::info!(
                "nic not set: using {} (its address {} is in the subnet of {}/{})",
                link.name,
                choice.own,
                t.ip,
                choice.prefix
            );
            Ok(Placement {
                link,
                prefix: choice.prefix,
            })
        }
    }
}

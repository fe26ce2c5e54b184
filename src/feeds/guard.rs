//! Where fetches may go. Links come from feeds, and a feed must never make
//! roundup probe the operator's network (SSRF): only public addresses are
//! fetched, unless the operator trusts the host (it is a configured feed's
//! host, or listed in `fetch.allow_private_hosts`).

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Hosts the operator trusts with any address.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    trusted: HashSet<String>,
}

impl AddressPolicy {
    pub fn new<'a>(allow: &'a [String], feed_hosts: impl IntoIterator<Item = &'a str>) -> Self {
        let trusted = allow
            .iter()
            .map(String::as_str)
            .chain(feed_hosts)
            .map(normalize_host)
            .filter(|h| !h.is_empty())
            .collect();
        Self { trusted }
    }

    pub fn trusts(&self, host: &str) -> bool {
        self.trusted.contains(&normalize_host(host))
    }

    /// Checks a URL before any connection: http(s) only, and an IP literal
    /// must be public unless trusted. Names are checked when resolved.
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!("the `{}` scheme is not fetched", url.scheme()));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err("the URL has no host".into()),
        };
        if is_public(ip) || self.trusts(&ip.to_string()) {
            Ok(())
        } else {
            Err(format!(
                "{ip} is a private, local or reserved address (trust it with fetch.allow_private_hosts)"
            ))
        }
    }
}

fn normalize_host(h: &str) -> String {
    h.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// DNS through the system resolver, keeping only addresses the policy allows.
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl AddressPolicy {
    /// The addresses `host` resolves to that may be reached; an error when
    /// there are none. Through a proxy, the proxy resolves the name, so this
    /// is asked first instead.
    pub async fn resolve_allowed(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let trusted = self.trusts(host);
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| trusted || is_public(a.ip()))
            .collect();
        if allowed.is_empty() {
            return Err(format!(
                "{host} resolves only to private, local or reserved addresses (trust it with fetch.allow_private_hosts)"
            ));
        }
        Ok(allowed)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let allowed = policy.resolve_allowed(&host).await?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Is this an address on the public internet?
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            // Forms that carry an IPv4 address are as public as that
            // address: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
            // (::a.b.c.d, deprecated but still routed to the IPv4 address by
            // some stacks), NAT64's well-known prefix, and 6to4.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let v4 = |hi: u16, lo: u16| {
                Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            if s[..6] == [0, 0, 0, 0, 0, 0] {
                return is_public_v4(v4(s[6], s[7]));
            }
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return is_public_v4(v4(s[6], s[7]));
            }
            if s[0] == 0x2002 {
                return is_public_v4(v4(s[1], s[2]));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::from([0, 0, 0, 0, 0, 0, 0, 1]))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local() // 169.254/16, cloud metadata among them
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_local_and_metadata_addresses_are_not_public() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "::a9fe:a9fe",
            "::10.0.0.1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "::",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(is_public(good.parse().unwrap()), "{good}");
        }
    }

    #[test]
    fn ip_literals_are_checked_before_connecting() {
        let p = AddressPolicy::new(&["10.0.0.5".into()], ["127.0.0.1"]);
        let check = |u: &str| p.check_url(&url::Url::parse(u).unwrap());
        assert!(check("http://169.254.169.254/latest/meta-data/").is_err());
        assert!(check("http://[::1]:8080/").is_err());
        assert!(check("http://[::127.0.0.1]/").is_err());
        assert!(check("http://10.0.0.6/").is_err());
        assert!(check("http://10.0.0.5/").is_ok(), "allowed by config");
        assert!(
            check("http://127.0.0.1:9/").is_ok(),
            "a configured feed's host"
        );
        assert!(
            check("https://example.com/").is_ok(),
            "names are checked at resolution"
        );
        assert!(check("gopher://example.com/").is_err());
    }
}

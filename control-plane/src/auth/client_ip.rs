//! The client's address: the TCP peer, or — when the peer is one of
//! `QUARRY_TRUSTED_PROXIES` — the rightmost `X-Forwarded-For` hop that is not
//! a trusted proxy. Hops left of it are whatever the client wrote and are
//! never believed; without trusted proxies the header is ignored entirely.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::error::ApiError;

/// Networks whose `X-Forwarded-For` is believed (`QUARRY_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// A comma list of CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = item.split_once('/').unwrap_or((item, ""));
            let ip: IpAddr = addr.parse().map_err(|_| format!("{item:?} is not an address or CIDR"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits =
                if bits.is_empty() { max } else { bits.parse::<u8>().map_err(|_| format!("{item:?}: bad prefix"))? };
            if bits > max {
                return Err(format!("{item:?}: the prefix is longer than {max} bits"));
            }
            nets.push((ip, bits));
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `ip` is in one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, bits)| match (canonical(*net), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(u32::from(n).into(), u32::from(a).into(), 32, *bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(u128::from(n), u128::from(a), 128, *bits),
            _ => false,
        })
    }

    /// The client's address for a request from `peer` with `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return canonical(peer);
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|h| h.trim().parse::<IpAddr>())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        hops.iter()
            .rev()
            .copied()
            .find(|hop| !self.contains(*hop))
            .or(hops.first().copied())
            .map_or(canonical(peer), canonical)
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_eq(a: u128, b: u128, width: u8, bits: u8) -> bool {
    let shift = u32::from(width - bits);
    shift >= u32::from(width) || (a >> shift) == (b >> shift)
}

/// The client's address of a request (see the module doc).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// From a request's extensions and headers.
    pub fn of(state: &AppState, extensions: &axum::http::Extensions, headers: &HeaderMap) -> Option<ClientIp> {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
        Some(ClientIp(state.config.trusted_proxies.client_ip(peer, headers)))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        ClientIp::of(state, &parts.extensions, &parts.headers)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the server did not record the peer address")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &str) -> HeaderMap {
        HeaderMap::from_iter([("x-forwarded-for".parse().unwrap(), v.parse().unwrap())])
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_peers_and_only_its_rightmost_untrusted_hop() {
        let t = TrustedProxies::parse("10.0.0.0/8, fd00::/8").unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let outsider: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(t.client_ip(outsider, &xff("1.1.1.1")), outsider, "an untrusted peer's header is ignored");
        let spoofed = xff("6.6.6.6, 198.51.100.4, 10.9.9.9");
        assert_eq!(t.client_ip(proxy, &spoofed), "198.51.100.4".parse::<IpAddr>().unwrap());
        assert_eq!(t.client_ip(proxy, &HeaderMap::new()), proxy);
        assert_eq!(t.client_ip(proxy, &xff("garbage")), proxy);
        assert!(t.contains("fd12::1".parse().unwrap()) && !t.contains("fe80::1".parse().unwrap()));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err() && TrustedProxies::parse("nope").is_err());
        assert!(!TrustedProxies::default().contains(proxy));
    }
}

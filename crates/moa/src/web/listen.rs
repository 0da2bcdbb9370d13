//! Serving HTTP so that no client can hold the server: a request head must arrive within a bound (which
//! also closes idle keep-alive connections), a whole request within another, and connections are capped
//! per address and in all, so slow or idle clients cannot use up the process's file descriptors.
//! Who the client is behind a reverse proxy is decided here too: only configured proxies are believed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use hyper_util::rt::{TokioIo, TokioTimer};

#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// A client that has not sent a whole request head within this is dropped; it also bounds how long
    /// an idle keep-alive connection is kept.
    pub header_read_timeout: Duration,
    /// A request (its body included) is answered 408 after this.
    pub request_timeout: Duration,
    /// Connections at once, over all clients: below the process's descriptor limit, with room for the
    /// store, the index and the crawler's fetches.
    pub max_connections: usize,
    /// Connections at once from one address (an IPv6 /64); a reverse proxy on this host (127.0.0.1, ::1)
    /// and trusted proxies are not limited.
    pub max_connections_per_ip: usize,
    pub trusted_proxies: TrustedProxies,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_connections: 512,
            max_connections_per_ip: 64,
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then lets requests in flight
/// finish. Each request carries its peer's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let app = app.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ));
    let open: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let total = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors or a connection reset before it was taken: wait a moment, go on.
                Err(e) => {
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        // Over a cap the connection is closed at once: the client learns it, nothing waits.
        let Ok(permit) = total.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection refused: {} connections are open", limits.max_connections);
            continue;
        };
        let Some(slot) = PeerSlot::take(&open, client_key(peer.ip()), &limits) else {
            tracing::warn!(%peer, "connection refused: {} connections from this address", limits.max_connections_per_ip);
            continue;
        };
        let app = app.clone();
        let mut stopped = stopped.clone();
        let header_read_timeout = limits.header_read_timeout;
        connections.spawn(async move {
            let _held = (permit, slot);
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                tower::Service::call(&mut app.clone(), request)
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopped.changed() => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One open connection counted against its address; the count goes down when it closes.
struct PeerSlot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PeerSlot {
    fn take(open: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr, limits: &ServerLimits) -> Option<Self> {
        // A reverse proxy on this host (127.0.0.1, ::1) or a trusted one carries many readers at once.
        let this_host = ip == IpAddr::from([127, 0, 0, 1]) || ip == IpAddr::from(std::net::Ipv6Addr::LOCALHOST);
        if this_host || limits.trusted_proxies.contains(ip) {
            return Some(Self { open: open.clone(), ip });
        }
        let mut counts = open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(ip).or_insert(0);
        if *count >= limits.max_connections_per_ip {
            return None;
        }
        *count += 1;
        Some(Self { open: open.clone(), ip })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut counts = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed: addresses and `address/prefix` networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    pub fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .map(|entry| {
                let (addr, prefix) = entry.trim().split_once('/').unwrap_or((entry.trim(), ""));
                let ip: IpAddr =
                    addr.parse().map_err(|_| format!("trusted proxy {entry:?} is not an address or network"))?;
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let prefix = if prefix.is_empty() { max } else { prefix.parse().unwrap_or(u8::MAX) };
                if prefix > max {
                    return Err(format!("trusted proxy {entry:?}: the prefix length is at most {max}"));
                }
                // `::ffff:10.0.0.0/104` is the IPv4 network 10.0.0.0/8, as addresses are compared.
                match (ip, canonical(ip)) {
                    (IpAddr::V6(_), v4 @ IpAddr::V4(_)) if prefix >= 96 => Ok((v4, prefix - 96)),
                    (IpAddr::V6(_), IpAddr::V4(_)) => {
                        Err(format!("trusted proxy {entry:?}: a mapped network needs /96 or more"))
                    }
                    _ => Ok((ip, prefix)),
                }
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|&(net, prefix)| match (canonical(net), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_matches(&n.octets(), &a.octets(), prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_matches(&n.octets(), &a.octets(), prefix),
            _ => false,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client of a request: the peer, unless the peer is a trusted proxy; then the right-most hop of
    /// `X-Forwarded-For` that is not itself a trusted proxy (what a client writes on the left is its own
    /// word, and not believed).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.contains(peer) {
            return Some(peer);
        }
        // Hop by hop from the raw bytes: a client's junk must not hide the hop its proxy appended to the
        // same line. A hop may carry a port (`1.2.3.4:5678`, `[::1]:80`).
        let hops: Vec<&[u8]> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(<[u8]>::trim_ascii)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match address_of_hop(hop) {
                Some(ip) if self.contains(ip) => client = ip,
                Some(ip) => return Some(ip),
                // A hop that is no address: the last trusted one is the client as far as moa can tell.
                None => return Some(client),
            }
        }
        Some(client)
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(|(ip, prefix)| format!("{ip}/{prefix}")).collect();
        write!(f, "[{}]", list.join(", "))
    }
}

fn address_of_hop(hop: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(hop).ok()?;
    text.parse::<IpAddr>().ok().or_else(|| text.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.5`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_matches(net: &[u8], addr: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    if net.len() != addr.len() || whole + usize::from(rest > 0) > net.len() {
        return false;
    }
    net[..whole] == addr[..whole] && (rest == 0 || (net[whole] ^ addr[whole]) >> (8 - rest) == 0)
}

/// What counts as one client for limits: an IPv4 address, or an IPv6 /64 (one subscriber's network,
/// which holds 2⁶⁴ addresses to rotate through).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The address of the peer a request came over (set by [`serve`] and axum's `ConnectInfo`).
pub fn peer_of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies_and_only_its_right_most_untrusted_hop() {
        let none = TrustedProxies::default();
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(none.client(Some(peer), &headers("203.0.113.7")), Some(peer), "no proxy is trusted by default");
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        // The client wrote "1.2.3.4" itself; the proxy appended what it saw.
        let client = proxies.client(Some(peer), &headers("1.2.3.4, 198.51.100.9, 10.0.0.7"));
        assert_eq!(client, Some("198.51.100.9".parse().unwrap()));
        assert_eq!(proxies.client(Some(peer), &HeaderMap::new()), Some(peer));
        let public: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            proxies.client(Some(public), &headers("203.0.113.7")),
            Some(public),
            "an untrusted peer is the client"
        );
        assert!(proxies.contains("::ffff:10.1.2.3".parse().unwrap()) && !proxies.contains("11.0.0.1".parse().unwrap()));
        assert!(
            TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err()
                && TrustedProxies::parse(&["proxy".into()]).is_err()
        );
        // A mapped entry is the IPv4 network it names, and never panics.
        let mapped = TrustedProxies::parse(&["::ffff:10.0.0.5".into(), "::ffff:172.16.0.0/108".into()]).unwrap();
        assert!(mapped.contains("10.0.0.5".parse().unwrap()) && mapped.contains("172.16.9.9".parse().unwrap()));
        assert!(!mapped.contains("10.0.0.6".parse().unwrap()) && !mapped.contains("::1".parse().unwrap()));
        assert!(TrustedProxies::parse(&["::ffff:0:0/64".into()]).is_err(), "a mapped network shorter than /96");
        // Junk a client wrote does not hide the hop the proxy appended to the same line; ports are read.
        let mut junk = HeaderMap::new();
        junk.insert("x-forwarded-for", HeaderValue::from_bytes(b"\xff\xfe, 198.51.100.9:5678").unwrap());
        assert_eq!(proxies.client(Some(peer), &junk), Some("198.51.100.9".parse().unwrap()));
        assert_eq!(proxies.client(Some(peer), &headers("[2001:db8::1]:443")), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(client_key("2001:db8:1:2:3:4:5:6".parse().unwrap()), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        let odd = TrustedProxies::parse(&["192.168.0.0/17".into()]).unwrap();
        assert!(odd.contains("192.168.127.1".parse().unwrap()) && !odd.contains("192.168.128.1".parse().unwrap()));
    }
}

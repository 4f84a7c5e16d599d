//! Outbound HTTP: Spin's `allowed_outbound_hosts` rules, plus the test
//! host's own fence (loopback only).
//!
//! Parsing and matching follow Spin's
//! `crates/outbound-networking-config/src/allowed_hosts.rs` (v4.0.2): an
//! entry is `scheme://host[:port]`, `*` wildcards per part, `*.domain`
//! subdomains, default ports from the scheme, `{{ var }}` templates resolved
//! with the app's variables when an instance is prepared. A request that is
//! not allowed fails with `ErrorCode::HttpRequestDenied`
//! (`crates/factor-outbound-http/src/wasi.rs`), and so does every request
//! when a template cannot be resolved or parses to nonsense (Spin's
//! `check_url(..).unwrap_or(false)`).
//!
//! On top of Spin's rules the host refuses any destination that is not the
//! literal address 127.0.0.1 or ::1: tests never leave the machine, even
//! when a component is allowed `https://api.kavenegar.com`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::vars::{Template, Variables};

#[derive(Clone, Debug, PartialEq, Eq)]
enum SchemeConfig {
    Any,
    One(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostConfig {
    Any,
    AnySubdomain(String),
    ToSelf,
    Literal(url::Host),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PortConfig {
    Any,
    Port(u16),
    Range(u16, u16),
}

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedHost {
    original: String,
    scheme: SchemeConfig,
    host: HostConfig,
    port: PortConfig,
}

/// Spin's `well_known_port`.
fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHost {
    /// Spin's `AllowedHostConfig::parse`.
    pub fn parse(entry: &str) -> Result<AllowedHost> {
        let original = entry.to_string();
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!("{url:?} does not contain a scheme (e.g., 'http://' or '*://')");
        };
        let (host, rest) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match rest.split_once('/') {
            Some((port, path)) => {
                ensure!(path.is_empty(), "{url:?} has a path but is not allowed to");
                port
            }
            None => rest,
        };

        let port = if port.is_empty() {
            PortConfig::Port(well_known_port(scheme).with_context(|| {
                format!("no port was provided and the scheme {scheme:?} does not have a known default port number")
            })?)
        } else if port == "*" {
            PortConfig::Any
        } else if port.starts_with('{') {
            bail!("port lists are not yet supported");
        } else if let Some((start, end)) = port.split_once("..") {
            PortConfig::Range(
                start
                    .parse()
                    .with_context(|| format!("port range {port:?} contains non-number"))?,
                end.parse()
                    .with_context(|| format!("port range {port:?} contains non-number"))?,
            )
        } else {
            PortConfig::Port(
                port.parse()
                    .with_context(|| format!("port {port:?} is not a number"))?,
            )
        };

        let scheme = if scheme == "*" {
            SchemeConfig::Any
        } else {
            ensure!(!scheme.starts_with('{'), "scheme lists are not supported");
            ensure!(
                scheme.chars().all(char::is_alphabetic),
                "Invalid allowed host scheme {scheme:?}: only alphabetic characters are allowed"
            );
            SchemeConfig::One(scheme.to_string())
        };

        let host = host.trim();
        let host = if host == "*" {
            HostConfig::Any
        } else if host == "self" || host == "self.alt" {
            HostConfig::ToSelf
        } else {
            ensure!(!host.starts_with('{'), "host lists are not yet supported");
            // Spin first tries the host as an IP network (so "10.0.0.0/8"
            // is a CIDR). A plain address parses as a one-address network,
            // which matches exactly like the literal below. The host does not
            // implement real CIDR ranges: nothing of ours uses them.
            let host = host.trim_end_matches('/');
            ensure!(
                !host.contains('/'),
                "allowed host {host:?}: CIDR ranges are not served by the test host"
            );
            if let Some(domain) = host.strip_prefix("*.") {
                ensure!(
                    !domain.contains('*'),
                    "wildcards are allowed only as prefixes"
                );
                HostConfig::AnySubdomain(format!(".{domain}"))
            } else {
                ensure!(
                    !host.contains('*'),
                    "wildcards are allowed only as subdomains"
                );
                HostConfig::Literal(
                    url::Host::parse(host)
                        .with_context(|| format!("Invalid allowed host {host:?}"))?,
                )
            }
        };
        Ok(AllowedHost {
            original,
            scheme,
            host,
            port,
        })
    }

    fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme_ok = match &self.scheme {
            SchemeConfig::Any => true,
            SchemeConfig::One(s) => s == scheme,
        };
        let Ok(host) = url::Host::parse(host) else {
            return false;
        };
        let host_ok = match (&self.host, &host) {
            (HostConfig::Any, _) => true,
            (HostConfig::AnySubdomain(suffix), url::Host::Domain(d)) => {
                d.ends_with(suffix.as_str())
            }
            (HostConfig::AnySubdomain(_), _) => false,
            (HostConfig::Literal(l), h) => h == l,
            (HostConfig::ToSelf, _) => false,
        };
        let port_ok = match &self.port {
            PortConfig::Any => true,
            other => match port.or_else(|| well_known_port(scheme)) {
                None => false,
                Some(p) => match other {
                    PortConfig::Port(q) => p == *q,
                    PortConfig::Range(a, b) => (*a..*b).contains(&p),
                    PortConfig::Any => true,
                },
            },
        };
        scheme_ok && host_ok && port_ok
    }

    fn allows_relative(&self, schemes: &[&str]) -> bool {
        let scheme_ok = schemes.iter().any(|s| match &self.scheme {
            SchemeConfig::Any => true,
            SchemeConfig::One(x) => x == s,
        });
        scheme_ok && matches!(self.host, HostConfig::Any | HostConfig::ToSelf)
    }
}

impl std::fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.original)
    }
}

/// A component's `allowed_outbound_hosts`, literal entries parsed at start,
/// templates kept for resolution per call.
#[derive(Clone, Debug)]
pub struct AllowedHostsSpec {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
enum Entry {
    Exact(AllowedHost),
    Template(Template),
}

impl AllowedHostsSpec {
    /// Spin's `parse_partial` plus `validate` (templates are checked with
    /// the manifest defaults when every variable has one).
    pub fn parse(hosts: &[String], vars: &Variables) -> Result<AllowedHostsSpec> {
        if hosts.len() == 1 && hosts[0] == "insecure:allow-all" {
            bail!(
                "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic'"
            );
        }
        let mut entries = Vec::new();
        for host in hosts {
            let template = Template::new(host).map_err(|e| anyhow::anyhow!("{e}"))?;
            if template.is_literal() {
                entries.push(Entry::Exact(AllowedHost::parse(host)?));
            } else {
                if let Some(resolved) = vars.resolve_with_defaults(&template) {
                    AllowedHost::parse(&resolved).with_context(|| {
                        format!("using default variable value(s) with template {host:?} results in invalid config {resolved:?}")
                    })?;
                }
                entries.push(Entry::Template(template));
            }
        }
        Ok(AllowedHostsSpec { entries })
    }

    /// What the instance gets: every entry resolved with the variables as
    /// they are now, or an error that denies every request.
    pub fn resolve(&self, vars: &Variables) -> Result<Vec<AllowedHost>, String> {
        vars.prepare_check()
            .map_err(|e| format!("Error resolving variables when checking request against allowed outbound hosts: {e}"))?;
        self.entries
            .iter()
            .map(|e| match e {
                Entry::Exact(h) => Ok(h.clone()),
                Entry::Template(t) => {
                    let s = vars.resolve_template(t).map_err(|e| e.to_string())?;
                    AllowedHost::parse(&s)
                        .map_err(|e| format!("Error parsing allowed outbound hosts: {e:#}"))
                }
            })
            .collect()
    }
}

/// The `wasi:http` hooks of one instance.
pub struct OutboundHooks {
    pub component: String,
    pub allowed: Arc<Result<Vec<AllowedHost>, String>>,
}

impl OutboundHooks {
    /// Spin's `RequestSender::prepare_request` allow check, then the
    /// loopback fence. `Err` carries why, for the test's log.
    fn check(&self, uri: &http::Uri) -> Result<(), String> {
        let allowed = match self.allowed.as_ref() {
            Ok(a) => a,
            Err(e) => return Err(e.clone()),
        };
        let is_self_request = match uri.authority() {
            Some(a) => a.host().is_empty() || a.host() == "self.alt",
            None => true,
        };
        if is_self_request {
            return if allowed
                .iter()
                .any(|h| h.allows_relative(&["http", "https"]))
            {
                Err(
                    "self requests are allowed by the manifest but not served by the test host"
                        .into(),
                )
            } else {
                Err(format!(
                    "relative request {uri} is not allowed by allowed_outbound_hosts"
                ))
            };
        }
        // Spin's `OutboundUrl::parse` goes through `url::Url`, which drops a
        // port that is the scheme's default.
        let parsed =
            url::Url::parse(&uri.to_string()).map_err(|e| format!("unparsable URL {uri}: {e}"))?;
        let host = parsed.host_str().unwrap_or_default();
        if !allowed
            .iter()
            .any(|h| h.allows(parsed.scheme(), host, parsed.port()))
        {
            return Err(format!(
                "{uri} is not allowed by allowed_outbound_hosts {:?}",
                allowed.iter().map(|h| h.to_string()).collect::<Vec<_>>()
            ));
        }
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip) == IpAddr::from([127, 0, 0, 1]),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        };
        if !loopback {
            return Err(format!(
                "{uri} is allowed by the manifest, but the test host only lets requests reach 127.0.0.1 or ::1"
            ));
        }
        Ok(())
    }

    /// The WASI sockets check (Spin's `outbound_socket_addr_check` with
    /// schemes `tcp`/`udp`), plus the loopback fence.
    pub fn socket_allowed(
        allowed: &Result<Vec<AllowedHost>, String>,
        addr: &SocketAddr,
        scheme: &str,
    ) -> bool {
        let Ok(allowed) = allowed else { return false };
        let ip = addr.ip();
        let host = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        ip.is_loopback()
            && allowed
                .iter()
                .any(|h| h.allows(scheme, &host, Some(addr.port())))
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = std::result::Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = std::result::Result<
                    (
                        http::Response<WasiBody>,
                        Box<dyn Future<Output = std::result::Result<(), HttpError>> + Send>,
                    ),
                    HttpError,
                >,
            > + Send,
    > {
        _ = fut;
        let verdict = self.check(request.uri());
        let component = self.component.clone();
        Box::new(async move {
            if let Err(why) = verdict {
                eprintln!(
                    "[{component}] test host: outbound request denied (HttpRequestDenied): {why}"
                );
                return Err(HttpError::HttpRequestDenied);
            }
            // The default send honours the guest's connect, first-byte and
            // between-bytes timeouts (600 s each when unset, as in Spin).
            let (res, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                res.map(|b| b.boxed_unsync()),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entry: &str, url: &str) -> bool {
        let h = AllowedHost::parse(entry).unwrap();
        let u = url::Url::parse(url).unwrap();
        h.allows(u.scheme(), u.host_str().unwrap(), u.port())
    }

    // Cases in the spirit of Spin's allowed_hosts tests.
    #[test]
    fn scheme_host_and_port_must_all_match() {
        for (entry, url, expect) in [
            (
                "https://api.kavenegar.com",
                "https://api.kavenegar.com/v1/x",
                true,
            ),
            (
                "https://api.kavenegar.com",
                "http://api.kavenegar.com/v1/x",
                false,
            ),
            (
                "https://api.kavenegar.com",
                "https://api.kavenegar.com:8443/",
                false,
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/a", true),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8081/a", false),
            ("http://127.0.0.1", "http://127.0.0.1:80/a", true),
            ("http://127.0.0.1:*", "http://127.0.0.1:1234/a", true),
            ("*://127.0.0.1:*", "https://127.0.0.1:1234/a", true),
            ("https://*.example.com", "https://a.example.com/", true),
            ("https://*.example.com", "https://example.com/", false),
            (
                "http://127.0.0.1:1000..2000",
                "http://127.0.0.1:1999/",
                true,
            ),
            (
                "http://127.0.0.1:1000..2000",
                "http://127.0.0.1:2000/",
                false,
            ),
        ] {
            assert_eq!(allows(entry, url), expect, "{entry} vs {url}");
        }
    }

    #[test]
    fn malformed_entries_are_refused() {
        for entry in [
            "example.com",
            "https://example.com/path",
            "https://*example.com",
            "ftp://x",
        ] {
            assert!(AllowedHost::parse(entry).is_err(), "{entry}");
        }
    }
}

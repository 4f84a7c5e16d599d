//! HTTP routing, the way Spin's `crates/routes/src/lib.rs` (v4.0.2) does it:
//! the same `routefinder` crate, the same route parsing (`/...` becomes
//! routefinder's `/*`), the same duplicate handling (the last route wins) and
//! the same `spin-path-info` rule for trailing slashes.

use std::collections::HashMap;

use anyhow::{Result, anyhow};

/// The prefix Spin answers itself (`crates/routes/src/lib.rs`
/// `WELL_KNOWN_PREFIX`); components never see these paths.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

#[derive(Clone, Debug)]
struct RouteHandler {
    component: String,
    /// The route with the application base (always "/" for manifest v2,
    /// crates/trigger-http/src/server.rs builds the router with "/").
    based_route: String,
    /// The route as written in spin.toml.
    raw_route: String,
}

/// A route table built from `(component, route)` pairs.
#[derive(Debug)]
pub struct Router {
    router: routefinder::Router<RouteHandler>,
}

/// What a path matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// `spin-matched-route`: the route with the base.
    pub based_route: String,
    /// `spin-raw-component-route`: the route as written.
    pub raw_route: String,
    /// `spin-path-info`.
    pub path_info: String,
    /// Named wildcards (`/users/:id`), lower-case names as written.
    pub named_wildcards: Vec<(String, String)>,
}

impl RouteMatch {
    /// Spin's `RouteMatch::synthetic`: a request sent straight to a
    /// component, as if it had matched `/...` (used by Spin for service
    /// chaining; here by `Host::request_component`).
    pub fn synthetic(component: &str, path: &str) -> RouteMatch {
        RouteMatch {
            component: component.to_string(),
            based_route: "/...".into(),
            raw_route: "/...".into(),
            path_info: path.to_string(),
            named_wildcards: Vec::new(),
        }
    }

    /// `spin-component-route`: the raw route without a trailing `/...`.
    pub fn raw_route_or_prefix(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

impl Router {
    /// Builds the router like `Router::build("/", ...)` in Spin.
    pub fn build<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Router> {
        // Spin keys an IndexMap by the raw route: a duplicate replaces the
        // earlier entry (and Spin logs that the earlier one is unreachable).
        let mut entries: Vec<RouteHandler> = Vec::new();
        for (component, raw_route) in routes {
            let entry = RouteHandler {
                component: component.to_string(),
                based_route: sanitize_with_base("/", raw_route),
                raw_route: raw_route.to_string(),
            };
            match entries.iter_mut().find(|e| e.raw_route == raw_route) {
                Some(existing) => {
                    eprintln!(
                        "test host: route {raw_route:?} of {:?} is a duplicate of {:?}'s and will never be used (as in Spin)",
                        existing.component, component
                    );
                    *existing = entry;
                }
                None => entries.push(entry),
            }
        }

        let mut router = routefinder::Router::new();
        for entry in entries {
            let spec = parse_route(&entry.based_route).map_err(|e| {
                anyhow!(
                    "Error parsing route {} associated with component {}: {e}",
                    entry.based_route,
                    entry.component
                )
            })?;
            router.add(spec, entry).map_err(|e| anyhow!("{e}"))?;
        }
        Ok(Router { router })
    }

    /// The best match for a request path (without the query), or `None`
    /// when nothing matches (Spin then answers 404 with an empty body).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let best = self.router.best_match(path)?;
        let handler = best.handler();
        let captures = best.captures();
        // Spin's `RouteMatchKind::trailing_wildcard`: Spin has always kept
        // trailing slashes in the path info, routefinder does not.
        let path_info = captures
            .wildcard()
            .map(|s| match (s.is_empty(), path.ends_with('/')) {
                (true, false) => s.to_string(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{s}"),
                (false, true) => format!("/{s}/"),
            })
            .unwrap_or_default();
        let named_wildcards = captures
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(RouteMatch {
            component: handler.component.clone(),
            based_route: handler.based_route.clone(),
            raw_route: handler.raw_route.clone(),
            path_info,
            named_wildcards,
        })
    }

    /// Every component that some route reaches.
    pub fn components(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for (_, h) in self.router.iter() {
            *out.entry(h.component.clone()).or_insert(0) += 1;
        }
        out
    }
}

/// Spin's `Router::parse_route`.
fn parse_route(based_route: &str) -> Result<routefinder::RouteSpec, String> {
    if let Some(wild_suffixed) = based_route.strip_suffix("/...") {
        format!("{wild_suffixed}/*").try_into()
    } else {
        based_route.try_into()
    }
}

/// Spin's `sanitize_with_base`: absolutize the route, strip one trailing
/// slash from base and route, concatenate.
fn sanitize_with_base(base: &str, path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    format!("{}{}", sanitize(base), sanitize(&path))
}

fn sanitize(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases from Spin's own route tests (crates/routes/src/lib.rs).
    #[test]
    fn trailing_wildcard_keeps_trailing_slashes_like_spin() {
        let r = Router::build([("comp", "/test/...")]).unwrap();
        for (path, info) in [
            ("/test", ""),
            ("/test/", "/"),
            ("/test/hello", "/hello"),
            ("/test/hello/", "/hello/"),
        ] {
            assert_eq!(r.route(path).unwrap().path_info, info, "{path}");
        }
    }

    #[test]
    fn named_wildcards_are_captured() {
        let r = Router::build([("comp", "/1/:two/...")]).unwrap();
        let m = r.route("/1/2/3").unwrap();
        assert_eq!(
            m.named_wildcards,
            vec![("two".to_string(), "2".to_string())]
        );
        assert_eq!(m.path_info, "/3");
    }

    #[test]
    fn the_last_duplicate_route_wins() {
        let r = Router::build([("first", "/foo"), ("second", "/foo")]).unwrap();
        assert_eq!(r.route("/foo").unwrap().component, "second");
    }
}

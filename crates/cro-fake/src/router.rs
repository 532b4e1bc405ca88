//! Maps `(method, path)` to an operation of [`cro_api::meta::OPERATIONS`], so the set of
//! endpoints, their methods (for `405` + `Allow`) and their path parameters all come from the
//! spec. A trailing slash is accepted (the docs' samples use one).

use cro_api::meta::{Method, OPERATIONS, Operation};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Lit(&'static str),
    Param(&'static str),
}

#[derive(Debug)]
struct Route {
    segs: Vec<Seg>,
    literals: usize,
    ops: Vec<&'static Operation>,
}

/// Result of routing a request.
#[derive(Debug)]
pub enum Routed {
    /// The operation and its path parameters.
    Found(&'static Operation, Vec<(&'static str, String)>),
    /// The path exists but not with this method; the methods it has.
    WrongMethod(Vec<&'static str>),
    /// No such path.
    NotFound,
}

/// The route table.
#[derive(Debug)]
pub struct Routes {
    routes: Vec<Route>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new(OPERATIONS)
    }
}

impl Routes {
    /// A table over `ops`.
    pub fn new(ops: &'static [Operation]) -> Routes {
        let mut routes: Vec<Route> = Vec::new();
        for op in ops {
            let segs: Vec<Seg> = op
                .path
                .trim_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .map(
                    |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => Seg::Param(name),
                        None => Seg::Lit(s),
                    },
                )
                .collect();
            match routes.iter_mut().find(|r| r.segs == segs) {
                Some(r) => r.ops.push(op),
                None => routes.push(Route {
                    literals: segs.iter().filter(|s| matches!(s, Seg::Lit(_))).count(),
                    segs,
                    ops: vec![op],
                }),
            }
        }
        // Most literal routes first: `/chats/recipients` wins over `/chats/{id}`.
        routes.sort_by_key(|r| std::cmp::Reverse(r.literals));
        Routes { routes }
    }

    /// Routes `method path`. As in OpenAPI, the most concrete template that matches the path
    /// is the resource (`/chats/recipients` over `/chats/{id}`); a method it lacks is a 405,
    /// not a fall-through to a less concrete template.
    pub fn route(&self, method: &http::Method, path: &str) -> Routed {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        for r in &self.routes {
            if r.segs.len() != parts.len() {
                continue;
            }
            let mut params = Vec::new();
            let fits = r.segs.iter().zip(&parts).all(|(seg, part)| match seg {
                Seg::Lit(l) => l == part,
                Seg::Param(name) => {
                    params.push((*name, percent_decode(part)));
                    !part.is_empty()
                }
            });
            if !fits {
                continue;
            }
            if let Some(op) = r
                .ops
                .iter()
                .find(|op| op.method.as_str() == method.as_str())
            {
                return Routed::Found(op, params);
            }
            let mut methods: Vec<&'static str> = r.ops.iter().map(|o| o.method.as_str()).collect();
            methods.sort_unstable();
            return Routed::WrongMethod(methods);
        }
        Routed::NotFound
    }

    /// Whether `method path` is a list operation (for the fault layer's default scope).
    pub fn is_list(&self, method: &http::Method, path: &str) -> bool {
        matches!(self.route(method, path), Routed::Found(op, _) if op.paging.is_paged())
    }
}

/// The `Method` of the metadata table for an HTTP method.
pub fn meta_method(m: &http::Method) -> Option<Method> {
    Some(match *m {
        http::Method::GET => Method::Get,
        http::Method::POST => Method::Post,
        http::Method::PATCH => Method::Patch,
        http::Method::PUT => Method::Put,
        http::Method::DELETE => Method::Delete,
        _ => return None,
    })
}

/// Decodes `%XX` escapes (path ids are plain, but clients may escape anything).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_operation_with_and_without_trailing_slash() {
        let routes = Routes::default();
        for op in OPERATIONS {
            let path = op
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "7" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let m = http::Method::from_bytes(op.method.as_str().as_bytes()).unwrap();
            for p in [path.clone(), format!("{path}/")] {
                match routes.route(&m, &p) {
                    Routed::Found(found, params) => {
                        assert_eq!(found.id, op.id, "{p}");
                        assert_eq!(params.len(), op.path_params.len());
                    }
                    other => panic!("{p}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn wrong_method_and_unknown_path() {
        let routes = Routes::default();
        match routes.route(&http::Method::PUT, "/customers/1") {
            Routed::WrongMethod(m) => assert_eq!(m, vec!["GET", "PATCH"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            routes.route(&http::Method::GET, "/nope"),
            Routed::NotFound
        ));
        assert!(matches!(
            routes.route(&http::Method::GET, "/customers//addresses"),
            Routed::NotFound
        ));
        match routes.route(&http::Method::GET, "/drivers/5/chats/recipients") {
            Routed::Found(op, _) => assert_eq!(op.id, "list_driver_chat_recipients"),
            other => panic!("{other:?}"),
        }
        match routes.route(&http::Method::PATCH, "/drivers/5/chats/recipients") {
            Routed::WrongMethod(m) => assert_eq!(m, vec!["GET"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
    }
}

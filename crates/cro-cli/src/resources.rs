//! The resource table of `cro export` and `cro get`, derived from the generated operation
//! metadata (`cro_api::meta::OPERATIONS`), so that a new list operation in the spec becomes a
//! new `cro export` resource by running codegen, with no CLI change.
//!
//! Naming rule for list operations (GET, paged):
//! 1. drop the `list_` prefix of the `operationId`;
//! 2. drop the prefixes naming the parent path parameters' entities (`location_id` → `location_`,
//!    `customer_id` → `customer_`, `hauler_uuid` → `hauler_`): `list_location_customers` →
//!    `customers`, `list_customer_addresses` → `addresses`;
//! 3. operations that end up with the same name and the same item model are one resource with
//!    several *scopes* (`customers`: tenant-wide `list_customers` and per-location
//!    `list_location_customers`); when the item models differ, the operations that were
//!    shortened in step 2 keep their full name instead (`list_customer_locations` →
//!    `customer-locations`, because `locations` is `list_locations`);
//! 4. `_` becomes `-` (`dump-destinations`).
//!
//! Path parameters become flags named after their entity (`--location`, `--customer`,
//! `--driver`, `--hauler`); filters (query parameters other than `page_index`/`page_limit`)
//! become kebab-case flags (`--created-on-gte`). A resource with a per-location scope also
//! gets `--all-locations`, which walks `list_locations` and exports every location.
//!
//! `cro get <resource> <id...>` uses the single-item GET whose path is a list path plus one
//! trailing id parameter (`/customers/{customer_id}` for `customers`), under the same names.

use cro_api::meta::{Method, OPERATIONS, Operation, QueryParam};
use std::collections::BTreeMap;

/// The path parameter that `--all-locations` fans out over.
pub const LOCATION_PARAM: &str = "location_id";
/// The operation that lists the locations to fan out over.
pub const LIST_LOCATIONS: &str = "list_locations";

/// Flags that exist on every export resource; filters never take these names.
pub const RESERVED_FLAGS: &[&str] = &[
    "format",
    "output",
    "page-size",
    "concurrency",
    "all-locations",
    "location-concurrency",
    "allow-drift",
    "quiet",
    "help",
    "profile",
    "base-url",
    "token",
    "tenant",
    "api-version",
    "demo",
    "timeout",
    "progress-timeout",
    "attempts",
];

/// One exportable resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Kebab-case name (`customers`, `dump-destinations`).
    pub name: String,
    /// The list operations of this resource, fewest path parameters first.
    pub ops: Vec<&'static Operation>,
    /// Item model of the operations.
    pub item_model: &'static str,
    /// Path parameters of any scope, as flags, in first-seen order.
    pub path_flags: Vec<PathFlag>,
    /// Filters of any scope, as flags, sorted by flag name.
    pub filters: Vec<FilterFlag>,
    /// Whether `--all-locations` applies (some scope takes `location_id`).
    pub all_locations: bool,
    /// The single-item GET operations of this resource (`cro get`), fewest path params first.
    pub gets: Vec<&'static Operation>,
}

/// A path parameter exposed as a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFlag {
    /// Wire name (`location_id`).
    pub param: &'static str,
    /// Flag name without dashes (`location`).
    pub flag: String,
}

/// A filter exposed as a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterFlag {
    /// The query parameter (wire name, kind, format, description).
    pub param: &'static QueryParam,
    /// Flag name without dashes (`created-on-gte`).
    pub flag: String,
    /// The operations (of this resource) that accept it.
    pub ops: Vec<&'static str>,
}

impl Resource {
    /// Pick the list operation for the given path parameters (and `--all-locations`).
    ///
    /// With `all_locations`, the scope is the one taking exactly `given ∪ {location_id}`.
    /// Otherwise it is the one taking exactly `given`.
    pub fn select(
        &self,
        given: &[&str],
        all_locations: bool,
    ) -> Result<&'static Operation, String> {
        let mut wanted: Vec<&str> = given.to_vec();
        if all_locations {
            if given.contains(&LOCATION_PARAM) {
                return Err("--all-locations and --location cannot be combined".into());
            }
            wanted.push(LOCATION_PARAM);
        }
        wanted.sort_unstable();
        for op in &self.ops {
            let mut have: Vec<&str> = op.path_params.to_vec();
            have.sort_unstable();
            if have == wanted {
                return Ok(op);
            }
        }
        Err(format!(
            "`{}` needs {}",
            self.name,
            self.scope_choices().join(", or ")
        ))
    }

    /// Human-readable list of the accepted flag combinations.
    pub fn scope_choices(&self) -> Vec<String> {
        let mut out = Vec::new();
        for op in &self.ops {
            let flags: Vec<String> = op
                .path_params
                .iter()
                .map(|p| format!("--{} <{}>", flag_for_path_param(p), value_name(p)))
                .collect();
            out.push(if flags.is_empty() {
                "no scope flag".to_string()
            } else {
                flags.join(" ")
            });
            if op.path_params == [LOCATION_PARAM] {
                out.push("--all-locations".to_string());
            } else if op.path_params.contains(&LOCATION_PARAM) {
                let others: Vec<String> = op
                    .path_params
                    .iter()
                    .filter(|p| **p != LOCATION_PARAM)
                    .map(|p| format!("--{} <{}>", flag_for_path_param(p), value_name(p)))
                    .collect();
                out.push(format!("{} --all-locations", others.join(" ")));
            }
        }
        out
    }

    /// Pick the single-item GET for the given path parameters (the id excluded).
    pub fn select_get(&self, given: &[&str]) -> Result<&'static Operation, String> {
        let mut wanted: Vec<&str> = given.to_vec();
        wanted.sort_unstable();
        for op in &self.gets {
            let mut have: Vec<&str> = op.path_params[..op.path_params.len() - 1].to_vec();
            have.sort_unstable();
            if have == wanted {
                return Ok(op);
            }
        }
        let choices: Vec<String> = self
            .gets
            .iter()
            .map(|op| {
                let flags: Vec<String> = op.path_params[..op.path_params.len() - 1]
                    .iter()
                    .map(|p| format!("--{} <{}>", flag_for_path_param(p), value_name(p)))
                    .collect();
                if flags.is_empty() {
                    "no scope flag".to_string()
                } else {
                    flags.join(" ")
                }
            })
            .collect();
        Err(format!(
            "`cro get {}` needs {}",
            self.name,
            choices.join(", or ")
        ))
    }
}

/// The entity a path parameter names: `location_id` → `location`, `hauler_uuid` → `hauler`.
pub fn entity(param: &str) -> &str {
    param
        .strip_suffix("_id")
        .or_else(|| param.strip_suffix("_uuid"))
        .unwrap_or(param)
}

/// Flag name of a path parameter: its entity in kebab-case (`dump_destination_id` →
/// `dump-destination`).
pub fn flag_for_path_param(param: &str) -> String {
    entity(param).replace('_', "-")
}

/// Placeholder shown in help for a path parameter value.
pub fn value_name(param: &str) -> String {
    if param.ends_with("_uuid") {
        "UUID".into()
    } else {
        "ID".into()
    }
}

/// Flag name of a filter: kebab-case, prefixed with `filter-` if it would clash with a
/// built-in flag or a path flag.
pub fn flag_for_filter(name: &str, path_flags: &[PathFlag]) -> String {
    let flag = name.replace('_', "-");
    if RESERVED_FLAGS.contains(&flag.as_str()) || path_flags.iter().any(|p| p.flag == flag) {
        format!("filter-{flag}")
    } else {
        flag
    }
}

/// Step 1 and 2 of the naming rule: (full name, shortened name).
fn list_names(op: &Operation) -> (String, String) {
    let full = op.id.strip_prefix("list_").unwrap_or(op.id).to_string();
    let mut short = full.as_str();
    for p in op.path_params {
        let prefix = format!("{}_", entity(p));
        if let Some(rest) = short.strip_prefix(prefix.as_str())
            && !rest.is_empty()
        {
            short = rest;
        }
    }
    let short = short.to_string();
    (full, short)
}

/// Derive the resource table from an operation table (pure; tested on a hand-made table and
/// snapshotted on the real one).
pub fn derive(operations: &'static [Operation]) -> Vec<Resource> {
    let lists: Vec<&'static Operation> = operations
        .iter()
        .filter(|op| op.method == Method::Get && op.paging.is_paged())
        .collect();

    // Step 3: group by short name; split groups whose item models differ.
    let mut by_short: BTreeMap<String, Vec<(&'static Operation, String)>> = BTreeMap::new();
    for op in &lists {
        let (full, short) = list_names(op);
        by_short.entry(short).or_default().push((op, full));
    }
    let mut named: BTreeMap<String, Vec<&'static Operation>> = BTreeMap::new();
    for (short, members) in by_short {
        let first_model = members[0].0.paging.item_model();
        let same_model = members
            .iter()
            .all(|(op, _)| op.paging.item_model() == first_model);
        for (op, full) in members {
            let name = if same_model || full == short {
                short.clone()
            } else {
                full
            };
            named.entry(name).or_default().push(op);
        }
    }
    // A second-level clash (two unshortened names with different models) cannot be resolved
    // by name; fall back to the operation id so that nothing is silently merged.
    let mut groups: BTreeMap<String, Vec<&'static Operation>> = BTreeMap::new();
    for (name, ops) in named {
        let first_model = ops[0].paging.item_model();
        if ops.iter().all(|op| op.paging.item_model() == first_model) {
            groups.insert(name, ops);
        } else {
            for op in ops {
                groups.entry(op.id.to_string()).or_default().push(op);
            }
        }
    }

    let gets: Vec<&'static Operation> = operations
        .iter()
        .filter(|op| {
            op.method == Method::Get
                && !op.paging.is_paged()
                && op.path.ends_with('}')
                && !op.path_params.is_empty()
        })
        .collect();

    let mut out = Vec::new();
    for (name, mut ops) in groups {
        ops.sort_by_key(|op| (op.path_params.len(), op.id));
        let mut path_flags: Vec<PathFlag> = Vec::new();
        for op in &ops {
            for p in op.path_params {
                if !path_flags.iter().any(|f| f.param == *p) {
                    path_flags.push(PathFlag {
                        param: p,
                        flag: flag_for_path_param(p),
                    });
                }
            }
        }
        let mut filters: Vec<FilterFlag> = Vec::new();
        for op in &ops {
            for q in op.filters() {
                match filters.iter_mut().find(|f| f.param.name == q.name) {
                    Some(f) => f.ops.push(op.id),
                    None => filters.push(FilterFlag {
                        param: q,
                        flag: flag_for_filter(q.name, &path_flags),
                        ops: vec![op.id],
                    }),
                }
            }
        }
        filters.sort_by(|a, b| a.flag.cmp(&b.flag));
        let all_locations = ops
            .iter()
            .any(|op| op.path_params.contains(&LOCATION_PARAM))
            && operations.iter().any(|op| op.id == LIST_LOCATIONS);
        // Single-item GETs: a list path plus one trailing `/{id}` segment.
        let mut item_gets: Vec<&'static Operation> = gets
            .iter()
            .copied()
            .filter(|g| {
                ops.iter().any(|l| {
                    g.path
                        .strip_prefix(l.path)
                        .and_then(|rest| rest.strip_prefix("/{"))
                        .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
                })
            })
            .collect();
        item_gets.sort_by_key(|op| (op.path_params.len(), op.id));
        out.push(Resource {
            name: name.replace('_', "-"),
            item_model: ops[0].paging.item_model().unwrap_or(""),
            ops,
            path_flags,
            filters,
            all_locations,
            gets: item_gets,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The resource table of the generated metadata (computed once).
pub fn table() -> &'static [Resource] {
    static TABLE: std::sync::OnceLock<Vec<Resource>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| derive(OPERATIONS))
}

/// Look a resource up by name.
pub fn find(name: &str) -> Option<&'static Resource> {
    table().iter().find(|r| r.name == name)
}

/// A plain-text rendering of the table (for the snapshot test and `cro ops --resources`).
pub fn render(resources: &[Resource]) -> String {
    let mut out = String::new();
    for r in resources {
        out.push_str(&format!("{} ({})\n", r.name, r.item_model));
        for op in &r.ops {
            let flags: Vec<String> = op
                .path_params
                .iter()
                .map(|p| format!("--{}", flag_for_path_param(p)))
                .collect();
            out.push_str(&format!(
                "  list {} {}{}\n",
                op.id,
                op.path,
                if flags.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", flags.join(" "))
                }
            ));
        }
        if r.all_locations {
            out.push_str("  --all-locations\n");
        }
        for f in &r.filters {
            out.push_str(&format!(
                "  --{} <{}{}> ({})\n",
                f.flag,
                f.param.kind,
                f.param.format.map(|x| format!(":{x}")).unwrap_or_default(),
                f.ops.join(", ")
            ));
        }
        for g in &r.gets {
            out.push_str(&format!("  get {} {}\n", g.id, g.path));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cro_api::meta::{Auth, Paging, TenantHeader};

    const PAGING: &[QueryParam] = &[
        QueryParam {
            name: "page_index",
            kind: "integer",
            format: Some("int64"),
            description: "",
        },
        QueryParam {
            name: "page_limit",
            kind: "integer",
            format: Some("int64"),
            description: "",
        },
    ];
    const CUSTOMER_FILTERS: &[QueryParam] = &[
        QueryParam {
            name: "page_index",
            kind: "integer",
            format: Some("int64"),
            description: "",
        },
        QueryParam {
            name: "active",
            kind: "boolean",
            format: None,
            description: "",
        },
        QueryParam {
            name: "location_id",
            kind: "integer",
            format: Some("int64"),
            description: "",
        },
    ];

    const fn op(
        id: &'static str,
        method: Method,
        path: &'static str,
        path_params: &'static [&'static str],
        paging: Paging,
        query_params: &'static [QueryParam],
    ) -> Operation {
        Operation {
            id,
            method,
            path,
            tag: "T",
            summary: "",
            roles: &["Admin"],
            roles_inferred: false,
            paging,
            auth: Auth::Bearer,
            tenant: TenantHeader::Required,
            deprecated: false,
            source: "D",
            path_params,
            query_params,
            request_body: None,
        }
    }

    const fn env(item: &'static str) -> Paging {
        Paging::Envelope {
            list_model: "L",
            item_model: item,
        }
    }

    static OPS: &[Operation] = &[
        op(
            "list_customers",
            Method::Get,
            "/customers",
            &[],
            env("Cust"),
            CUSTOMER_FILTERS,
        ),
        op(
            "list_location_customers",
            Method::Get,
            "/locations/{location_id}/customers",
            &["location_id"],
            env("Cust"),
            PAGING,
        ),
        op(
            "list_locations",
            Method::Get,
            "/locations",
            &[],
            env("Loc"),
            PAGING,
        ),
        op(
            "list_customer_locations",
            Method::Get,
            "/customers/{customer_id}/locations",
            &["customer_id"],
            env("Cust"),
            PAGING,
        ),
        op(
            "list_customer_addresses",
            Method::Get,
            "/customers/{customer_id}/addresses",
            &["customer_id"],
            env("Addr"),
            PAGING,
        ),
        op(
            "list_hauler_connections",
            Method::Get,
            "/haulers/{hauler_uuid}/connections",
            &["hauler_uuid"],
            env("Conn"),
            PAGING,
        ),
        op(
            "list_dump_destinations",
            Method::Get,
            "/locations/{location_id}/dump_destinations",
            &["location_id"],
            Paging::BareArray { item_model: "Dump" },
            PAGING,
        ),
        op(
            "get_customer",
            Method::Get,
            "/customers/{customer_id}",
            &["customer_id"],
            Paging::None,
            &[],
        ),
        op(
            "get_location_customer",
            Method::Get,
            "/locations/{location_id}/customers/{customer_id}",
            &["location_id", "customer_id"],
            Paging::None,
            &[],
        ),
        op(
            "create_customer",
            Method::Post,
            "/locations/{location_id}/customers",
            &["location_id"],
            Paging::None,
            &[],
        ),
    ];

    #[test]
    fn names_follow_the_rule() {
        let table = derive(OPS);
        let names: Vec<&str> = table.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "addresses",
                "connections",
                "customer-locations",
                "customers",
                "dump-destinations",
                "locations"
            ]
        );
        let customers = table.iter().find(|r| r.name == "customers").unwrap();
        let ids: Vec<&str> = customers.ops.iter().map(|o| o.id).collect();
        assert_eq!(ids, ["list_customers", "list_location_customers"]);
        assert!(customers.all_locations);
        assert_eq!(customers.path_flags[0].flag, "location");
        // The `location_id` filter of the tenant-wide list does not clash with `--location`.
        let flags: Vec<&str> = customers.filters.iter().map(|f| f.flag.as_str()).collect();
        assert_eq!(flags, ["active", "location-id"]);
        let gets: Vec<&str> = customers.gets.iter().map(|o| o.id).collect();
        assert_eq!(gets, ["get_customer", "get_location_customer"]);
        let conn = table.iter().find(|r| r.name == "connections").unwrap();
        assert_eq!(conn.path_flags[0].flag, "hauler");
        assert!(!conn.all_locations);
    }

    #[test]
    fn scope_selection() {
        let table = derive(OPS);
        let customers = table.iter().find(|r| r.name == "customers").unwrap();
        assert_eq!(customers.select(&[], false).unwrap().id, "list_customers");
        assert_eq!(
            customers.select(&["location_id"], false).unwrap().id,
            "list_location_customers"
        );
        assert_eq!(
            customers.select(&[], true).unwrap().id,
            "list_location_customers"
        );
        assert!(customers.select(&["location_id"], true).is_err());
        let addresses = table.iter().find(|r| r.name == "addresses").unwrap();
        let err = addresses.select(&[], false).unwrap_err();
        assert!(err.contains("--customer <ID>"), "{err}");
        assert_eq!(customers.select_get(&[]).unwrap().id, "get_customer");
        assert_eq!(
            customers.select_get(&["location_id"]).unwrap().id,
            "get_location_customer"
        );
    }

    #[test]
    fn reserved_and_path_flag_clashes_are_prefixed() {
        let pf = vec![PathFlag {
            param: "location_id",
            flag: "location".into(),
        }];
        assert_eq!(flag_for_filter("format", &pf), "filter-format");
        assert_eq!(flag_for_filter("location", &pf), "filter-location");
        assert_eq!(flag_for_filter("created_on_gte", &pf), "created-on-gte");
    }

    #[test]
    fn real_table_snapshot() {
        insta::assert_snapshot!("resources", render(table()));
    }

    #[test]
    fn real_table_flags_are_unique_per_resource() {
        for r in table() {
            let mut flags: Vec<&str> = r.path_flags.iter().map(|f| f.flag.as_str()).collect();
            flags.extend(r.filters.iter().map(|f| f.flag.as_str()));
            flags.extend(RESERVED_FLAGS);
            let n = flags.len();
            flags.sort_unstable();
            flags.dedup();
            assert_eq!(flags.len(), n, "duplicate flag in resource {}", r.name);
        }
    }
}

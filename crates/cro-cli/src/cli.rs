//! Command-line arguments.
//!
//! The fixed parts (global flags, `ops`, `roles`, `auth`, `fake`) are clap derive types. The
//! `export` and `get` subcommands get one sub-subcommand per resource, built at run time from
//! the resource table ([`crate::resources`]), so their flags (path parameters and filters)
//! always match the generated metadata.

use crate::exit::EXIT_CODES_HELP;
use crate::export::columns::Formulas;
use crate::export::sink::Format;
use crate::resources::{self, Resource, flag_for_path_param, value_name};
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Parser, Subcommand};
use cro_api::meta::Operation;
use std::path::PathBuf;

/// Arg id prefix of path-parameter flags (`path:location_id`).
pub const PATH_ID: &str = "path:";
/// Arg id prefix of filter flags (`filter:active`).
pub const FILTER_ID: &str = "filter:";
/// Arg id of `--all-locations`.
pub const ALL_LOCATIONS_ID: &str = "all_locations";
/// Arg id of the ids of `cro get`.
pub const IDS_ID: &str = "ids";

/// `cro`: export anything from the CRO Developer API.
#[derive(Debug, Parser)]
#[command(
    name = "cro",
    version,
    about = "Export anything from the CRO Developer API (CSV, NDJSON, JSON), inspect its operations and roles, and log in with OAuth.",
    long_about = "Export anything from the CRO Developer API (CSV, NDJSON, JSON), inspect its \
operations and roles, and log in with OAuth.\n\nTry it with no set-up at all: `cro --demo export \
customers --format csv --output customers.csv` runs against an embedded fake CRO server.",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// Global flags.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Cmd,
}

/// Flags accepted by every command.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct GlobalArgs {
    /// Run against an embedded fake CRO server with demo data and credentials (nothing to
    /// configure).
    #[arg(long, global = true, conflicts_with = "base_url")]
    pub demo: bool,
    /// Show the requests sent: -v one line per request (method, path and query, status,
    /// time, attempt, request id), -vv their headers too (credentials redacted). CRO_LOG or
    /// RUST_LOG take a log filter (e.g. CRO_LOG=cro_api=debug).
    #[arg(short = 'v', long, global = true, action = ArgAction::Count, help_heading = "Diagnostics")]
    pub verbose: u8,
    /// Set by the command (export's `-q`): no demo banner.
    #[arg(skip)]
    pub quiet: bool,
    /// Profile of the config file to use [env: CRO_PROFILE].
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// API base URL (`CRO_BASE_URL`; default: the production API).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help = "API base URL [env: CRO_BASE_URL] [default: https://api.crosoftware.net]"
    )]
    pub base_url: Option<String>,
    /// Access token [env: CRO_TOKEN]. Prefer the environment or `cro auth login`: flags are
    /// visible to other users in the process list.
    #[arg(long, global = true, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Tenant id sent as x-tenant-id [env: CRO_TENANT_ID].
    #[arg(long, global = true, value_name = "ID")]
    pub tenant: Option<u64>,
    /// API version sent as x-api-version [env: CRO_API_VERSION] [default: newest known].
    #[arg(long, global = true, value_name = "YYYY/MM/DD",
          value_parser = clap::builder::PossibleValuesParser::new(cro_api::meta::API_VERSIONS.iter().copied()),
          hide_possible_values = true)]
    pub api_version: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Attempts per request, retries included (502, 504, timeouts and connection failures
    /// are retried with backoff, honouring Retry-After). 429 and 503 don't use up attempts:
    /// they slow the client down, see --progress-timeout.
    #[arg(long, global = true, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub attempts: u32,
    /// Largest response body read, with a unit (64MiB, 1GiB; default 256MiB). A bigger or
    /// endless body fails the command instead of filling memory.
    #[arg(long, global = true, value_name = "SIZE", default_value = "256MiB",
          value_parser = crate::byte_size::parse)]
    pub max_body_size: u64,
    /// Give up when the server throttles (429, 503) and no request has succeeded for this
    /// many seconds (or asks, with Retry-After, to wait longer than that).
    #[arg(long, global = true, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_timeout: u64,
}

/// `cro --help`: examples, above the exit codes.
const TOP_EXAMPLES: &str = "Examples:
  cro --demo export customers --format csv -o customers.csv   try it: nothing to set up
  cro export customers --all-locations       every customer of every location, as NDJSON
  cro get customers 17 19                    two records, as JSON
  cro -v export locations                    show each request sent (-vv: headers too)
  cro ops --role driver                      what a role may call
  cro auth login                             log in with OAuth (see `cro auth login --help`)
  cro completion bash                        a completion script for your shell";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Export every record of a resource (customers, jobs, ...) as NDJSON, JSON or CSV.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export,
    /// Get single records by id, as JSON.
    #[command(after_help = GET_EXAMPLES)]
    Get,
    /// List every API operation with its method, path and allowed roles.
    #[command(after_help = "Examples:
  cro ops                       every operation: id, method, path, roles
  cro ops --role driver         only what the Driver role may call (any case)
  cro ops --resources           the resources of `cro export` / `cro get` and their operations
  cro ops --json | jq '.[].id'  as JSON")]
    Ops(OpsArgs),
    /// List the roles and the operations each may call.
    #[command(after_help = "Examples:
  cro roles           each role and the operations it may call
  cro roles --json    the same as one JSON object")]
    Roles(RolesArgs),
    /// Log in with OAuth, show or remove stored credentials.
    #[command(subcommand)]
    Auth(AuthCmd),
    /// Run the fake CRO server standalone (same flags and startup line as `cro-fake`).
    Fake(Box<crate::demo::FakeCmdArgs>),
    /// Mirror the tenant's lists into SQLite (embedded) or PostgreSQL, incrementally.
    #[command(after_help = "Examples:
  cro --demo sync                                  the demo tenant into ./cro.db
  cro sync --to sqlite:crm.db                      first run: everything; then only changes
  cro sync --to sqlite:crm.db --full               re-walk every list (finds deletions)
  cro sync --to postgres://me@db:5432/cro --resources customers,jobs
  sqlite3 crm.db 'SELECT id, name FROM customers WHERE _cro_removed_at IS NULL'")]
    Sync(crate::sync::SyncArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "Examples:
  cro completion bash > ~/.local/share/bash-completion/completions/cro
  cro completion zsh > \"${fpath[1]}/_cro\"
  cro completion fish > ~/.config/fish/completions/cro.fish
  cro completion powershell >> $PROFILE")]
    Completion(CompletionArgs),
}

/// `cro completion`.
#[derive(Debug, Clone, Args)]
pub struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

const AUTH_EXAMPLES: &str = "Examples:
  cro auth login --profile prod         log in (prints the URL to open; CRO_CLIENT_SECRET)
  cro auth status                       profile, base URL, tenant, token expiry
  cro auth logout --profile prod        forget the stored tokens";

const EXPORT_EXAMPLES: &str = "Examples:
  cro export customers -o customers.csv --format csv     the tenant's customers, as CSV
  cro export customers --location 3                      the customers of location 3
  cro export jobs --all-locations --completed true       completed jobs of every location
  cro export addresses --customer 7 --format json        one customer's addresses, as a JSON array
  cro --demo export customers --created-on-gte 2022-01-01   try it on the embedded fake

`cro export RESOURCE --help` shows the scope and filter flags of one resource.";

const GET_EXAMPLES: &str = "Examples:
  cro get customers 17                  one customer, as a JSON object
  cro get customers 17 19 21            several, as a JSON array (missing ids: exit 4)
  cro get drivers --location 3 12       a record that lives under a location
  cro --demo get customers 17           try it on the embedded fake";

/// `cro ops`.
#[derive(Debug, Clone, Args)]
pub struct OpsArgs {
    /// Only operations this role may call (any case: driver, Driver).
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Output as JSON (one array) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show the derived resource table of `cro export` / `cro get` instead.
    #[arg(long)]
    pub resources: bool,
}

/// `cro roles`.
#[derive(Debug, Clone, Args)]
pub struct RolesArgs {
    /// Output as JSON (role -> operation ids) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `cro auth ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum AuthCmd {
    /// Log in with OAuth (authorization code + PKCE, loopback redirect) and store the tokens.
    #[command(after_help = "Examples:
  cro auth login                               the profile's oauth settings from config.toml
  cro auth login --no-browser --profile prod   print the URL instead of opening a browser
  CRO_CLIENT_SECRET=... cro auth login         a confidential client's secret
  cro fake   # then: cro auth login --auth-url ... --token-url ... --client-id ... --base-url ...")]
    Login(LoginArgs),
    /// Show the profile, base URL, tenant and token expiry in effect (never the token).
    #[command(after_help = "Examples:
  cro auth status
  cro auth status --profile prod
  cro --demo auth status")]
    Status,
    /// Remove the stored tokens of the profile.
    #[command(after_help = "Examples:
  cro auth logout
  cro auth logout --profile prod")]
    Logout,
}

/// `cro auth login`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// OAuth client id [default: the profile's oauth.client_id].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// OAuth client secret [env: CRO_CLIENT_SECRET] [default: the profile's
    /// oauth.client_secret].
    #[arg(long, value_name = "SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Authorization endpoint [default: the profile's oauth.auth_url].
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// Token endpoint [default: the profile's oauth.token_url].
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Scope to request (repeatable) [default: api].
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Port of the loopback redirect listener (0 = any free port; a fixed port is needed if
    /// the redirect URI registered with CRO has one).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// Path of the redirect URI on the loopback listener.
    #[arg(long, value_name = "PATH", default_value = "/callback")]
    pub redirect_path: String,
    /// Do not try to open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
    /// Give up waiting for the browser after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait: u64,
    /// Who logs in, passed as OAuth `login_hint` (the demo server maps role names to users).
    #[arg(long, value_name = "HINT")]
    pub login_hint: Option<String>,
}

/// Options of every `cro export <resource>`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct ExportOptions {
    /// Output format [default: from the --output file name (.csv, .json, .ndjson, .jsonl),
    /// else ndjson].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE (atomically: a temporary file renamed at the end; a failed export leaves
    /// no partial file and never replaces an existing one). Default: stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Records per page (1..1000).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: u32,
    /// Page requests in flight at once (prefetch window; shared among locations with
    /// --all-locations).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=16))]
    pub concurrency: u32,
    /// With --all-locations: locations exported at the same time.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=32))]
    pub location_concurrency: u32,
    /// Keep going when total_count changes during the export (records may then be missing or
    /// repeated; a warning is printed). Default: fail with exit code 6.
    #[arg(long)]
    pub allow_drift: bool,
    /// Write each record once when the server sends one twice (offset paging repeats records
    /// when rows are added during the export), with a warning. Default: fail with exit code 6.
    #[arg(long)]
    pub dedupe: bool,
    /// No progress bar and no summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// CSV: only these columns, in this order (comma-separated header names, e.g.
    /// `id,name,customer.name`; a nested object's name stands for all its columns).
    #[arg(long, value_name = "A,B,C.D", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// CSV: `escape` prefixes string cells starting with =, +, -, @, tab or CR with ' so that
    /// spreadsheets do not run them as formulas; `raw` writes them as received. Numbers are
    /// never changed.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Formulas::Escape)]
    pub csv_formulas: Formulas,
}

impl ExportOptions {
    /// The output format: `--format`, else the one the `--output` file name asks for, else
    /// NDJSON. A `--format` that contradicts the file name is an error (the message says so).
    pub fn resolved_format(&self) -> Result<Format, String> {
        let output = self.output.as_deref();
        let by_name = output.and_then(Format::from_path);
        match (self.format, by_name) {
            (Some(given), Some(named)) if given != named => Err(format!(
                "--format {} contradicts the output file name {} (which means {}); drop --format \
                 to use the file name's format, or change one of them",
                given.name(),
                output.map(|p| p.display().to_string()).unwrap_or_default(),
                named.name()
            )),
            (Some(given), _) => Ok(given),
            (None, Some(named)) => Ok(named),
            (None, None) => Ok(Format::Ndjson),
        }
    }
}

const EXPORT_LONG_ABOUT: &str = "\
Export every record of a resource, page by page, streaming to stdout or to --output FILE.

Resources and their flags come from the API's operation metadata. Path parameters are flags
(--location 3, --customer 7); documented filters are flags too (--active false,
--created-on-gte 2024-01-01T00:00:00). For customers: --location N exports one location,
--all-locations walks every location concurrently, and neither uses the tenant-wide list (as the
getting-started sample does). Every resource with a per-location list accepts --all-locations.

Formats:
  ndjson  one JSON object per line (default)
  json    one JSON array, streamed
  csv     header row + one row per record. Nested objects become dotted columns
          (asset.id, asset.type); arrays (e.g. a customer's addresses and contacts) are one
          cell holding compact JSON, so nothing is lost whatever their length; null or missing
          values are empty cells. The columns are the item model's fields in schema order,
          for the API version in use, so every row and every run has the same columns.

Records are checked against total_count: an export that would silently miss or duplicate
records fails instead (exit code 6). A progress bar is shown on stderr when it is a terminal,
and a one-line summary at the end.";

/// Build the full command (derive parts + the resource subcommands).
pub fn command() -> Command {
    let table = resources::table();
    Cli::base_command()
        .after_help(format!("{TOP_EXAMPLES}\n\n{EXIT_CODES_HELP}"))
        .mut_subcommand("export", |c| {
            c.long_about(EXPORT_LONG_ABOUT)
                .subcommand_required(true)
                .arg_required_else_help(true)
                .disable_help_subcommand(true)
                .subcommand_value_name("RESOURCE")
                .subcommand_help_heading("Resources")
                .subcommands(table.iter().map(export_command))
        })
        .mut_subcommand("get", |c| {
            c.subcommand_required(true)
                .arg_required_else_help(true)
                .disable_help_subcommand(true)
                .subcommand_value_name("RESOURCE")
                .subcommand_help_heading("Resources")
                .subcommands(table.iter().filter(|r| !r.gets.is_empty()).map(get_command))
        })
        .mut_subcommand("auth", |c| {
            c.disable_help_subcommand(true).after_help(AUTH_EXAMPLES)
        })
        .mut_subcommand("fake", |c| c.override_help(fake_help()))
}

/// `cro fake --help`: only the fake server's own flags (the connection flags of the other
/// commands are accepted, as everywhere, but mean nothing to a server).
fn fake_help() -> String {
    // The about line after augment_args, which would replace it with FakeArgs' doc comment.
    let mut fake = crate::demo::FakeCmdArgs::augment_args(
        Command::new("fake").bin_name("cro fake").after_help(
                "Examples:
  cro fake                                  serve on a free port; prints base URL, tokens, OAuth URLs
  cro fake --port 8080                      a fixed port
  CRO_BASE_URL=http://127.0.0.1:8080 CRO_TOKEN=... CRO_TENANT_ID=34 cro export customers",
        ),
    )
    .about("Run the fake CRO server standalone (same flags and startup line as `cro-fake`).");
    fake.render_help().to_string()
}

impl Cli {
    /// The derive-generated command, before the resource subcommands are added.
    fn base_command() -> Command {
        <Cli as clap::CommandFactory>::command()
    }
}

/// What a scope (a list operation's path parameters) selects, in words: `of the tenant`,
/// `of one location (--location)`.
fn scope_words(path_params: &[&str]) -> String {
    if path_params.is_empty() {
        return "of the tenant".into();
    }
    let entities: Vec<String> = path_params
        .iter()
        .map(|p| resources::entity(p).replace('_', " "))
        .collect();
    let flags: Vec<String> = path_params
        .iter()
        .map(|p| format!("--{}", flag_for_path_param(p)))
        .collect();
    format!("of one {} ({})", entities.join(" of one "), flags.join(" "))
}

/// What a resource's scopes select, in words, for the resource list of `cro export --help`
/// (after the resource's name): "of the tenant, of one location (--location), or of all
/// (--all-locations)". Operation ids are listed by `cro ops --resources` only.
fn about(r: &Resource) -> String {
    if r.ops.iter().all(|op| op.path_params.is_empty()) && r.name == "tenants" {
        return "the tenants your token may access".into();
    }
    let mut scopes: Vec<String> = r.ops.iter().map(|op| scope_words(op.path_params)).collect();
    if r.all_locations {
        scopes.push("of all (--all-locations)".into());
    }
    match scopes.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
        _ => scopes.join(""),
    }
}

/// [`about`] with the resource named first: "customers of the tenant, ...".
fn long_about(r: &Resource) -> String {
    let what = about(r);
    if what.starts_with("of ") {
        format!("Export the {} {what}.", r.name.replace('-', " "))
    } else {
        format!("Export {what}.")
    }
}

/// Examples for one resource, built from its scopes and filters so they are always valid.
fn resource_examples(r: &Resource, verb: &str) -> String {
    let mut lines = Vec::new();
    let scoped = |op: &Operation| -> String {
        op.path_params
            .iter()
            .map(|p| format!(" --{} 3", flag_for_path_param(p)))
            .collect()
    };
    if verb == "export" {
        for op in &r.ops {
            lines.push(format!("cro export {}{}", r.name, scoped(op)));
        }
        if r.all_locations {
            lines.push(format!(
                "cro export {} --all-locations --format csv -o {}.csv",
                r.name, r.name
            ));
        }
        if let Some(f) = r.filters.iter().find(|f| f.param.kind == "boolean") {
            let op = r.ops.iter().find(|op| f.ops.contains(&op.id)).copied();
            lines.push(format!(
                "cro export {}{} --{} true",
                r.name,
                op.map(scoped).unwrap_or_default(),
                f.flag
            ));
        }
        if let Some(f) = r.filters.iter().find(|f| f.param.format == Some("iso8601")) {
            let op = r.ops.iter().find(|op| f.ops.contains(&op.id)).copied();
            lines.push(format!(
                "cro export {}{} --{} 2022-01-01",
                r.name,
                op.map(scoped).unwrap_or_default(),
                f.flag
            ));
        }
    } else {
        for op in &r.gets {
            let scope: String = op.path_params[..op.path_params.len() - 1]
                .iter()
                .map(|p| format!(" --{} 3", flag_for_path_param(p)))
                .collect();
            lines.push(format!("cro get {}{scope} 17", r.name));
            lines.push(format!("cro get {}{scope} 17 19", r.name));
        }
    }
    let mut out = String::from("Examples:\n");
    for l in lines {
        out.push_str("  ");
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn export_command(r: &Resource) -> Command {
    // The derive options first: augment_args would otherwise replace the `about` line.
    let mut c = ExportOptions::augment_args(Command::new(r.name.clone()))
        .about(about(r))
        .long_about(long_about(r));
    let mut scope_help = String::from("Scopes:\n");
    for op in &r.ops {
        let flags: Vec<String> = op
            .path_params
            .iter()
            .map(|p| format!("--{} <{}>", flag_for_path_param(p), value_name(p)))
            .collect();
        scope_help.push_str(&format!(
            "  {:<28} {} {}{}\n",
            if flags.is_empty() {
                "(no scope flag)".to_string()
            } else {
                flags.join(" ")
            },
            r.name.replace('-', " "),
            scope_words(op.path_params)
                .split(" (")
                .next()
                .unwrap_or_default(),
            if op.deprecated { " (deprecated)" } else { "" },
        ));
    }
    if r.all_locations {
        scope_help.push_str("  --all-locations              every location, concurrently\n");
    }
    scope_help.push('\n');
    scope_help.push_str(&resource_examples(r, "export"));
    c = c.after_help(scope_help);
    for pf in &r.path_flags {
        c = c.arg(
            Arg::new(format!("{PATH_ID}{}", pf.param))
                .long(pf.flag.clone())
                .value_name(value_name(pf.param))
                .help(format!(
                    "Only this {} (path parameter `{}`)",
                    resources::entity(pf.param).replace('_', " "),
                    pf.param
                ))
                .help_heading("Scope"),
        );
    }
    if r.all_locations {
        let mut arg = Arg::new(ALL_LOCATIONS_ID)
            .long("all-locations")
            .action(ArgAction::SetTrue)
            .help("Export every location (lists the locations, then exports each, concurrently)")
            .help_heading("Scope");
        if r.path_flags
            .iter()
            .any(|p| p.param == resources::LOCATION_PARAM)
        {
            arg = arg.conflicts_with(format!("{PATH_ID}{}", resources::LOCATION_PARAM));
        }
        c = c.arg(arg);
    }
    for f in &r.filters {
        let mut help = f.param.description.trim().to_string();
        if f.ops.len() < r.ops.len() {
            let scopes: Vec<String> = r
                .ops
                .iter()
                .filter(|op| f.ops.contains(&op.id))
                .map(|op| scope_words(op.path_params))
                .collect();
            help.push_str(&format!(" (only for {} {})", r.name, scopes.join(", or ")));
        }
        let arg = Arg::new(format!("{FILTER_ID}{}", f.param.name))
            .long(f.flag.clone())
            .help(help)
            .help_heading("Filters");
        let arg = match f.param.kind {
            "boolean" => arg.value_name("BOOL").value_parser(parse_bool).num_args(1),
            "integer" => arg
                .value_name("INT")
                .value_parser(clap::value_parser!(i64))
                .allow_negative_numbers(true),
            "number" => arg
                .value_name("NUM")
                .value_parser(clap::value_parser!(f64))
                .allow_negative_numbers(true),
            _ => arg.value_name(match f.param.format {
                Some("iso8601") => "DATETIME",
                _ => "TEXT",
            }),
        };
        c = c.arg(arg);
    }
    c
}

fn get_command(r: &Resource) -> Command {
    let scopes: Vec<String> = r
        .gets
        .iter()
        .map(|op| scope_words(&op.path_params[..op.path_params.len() - 1]))
        .collect();
    let mut c = Command::new(r.name.clone())
        .about(format!("by id, {}", scopes.join(", or ")))
        .long_about(format!(
            "Get {} by id, {}.",
            r.name.replace('-', " "),
            scopes.join(", or ")
        ))
        .after_help(resource_examples(r, "get"));
    let mut scope_params: Vec<&'static str> = Vec::new();
    for op in &r.gets {
        for p in &op.path_params[..op.path_params.len() - 1] {
            if !scope_params.contains(p) {
                scope_params.push(p);
            }
        }
    }
    for p in scope_params {
        c = c.arg(
            Arg::new(format!("{PATH_ID}{p}"))
                .long(flag_for_path_param(p))
                .value_name(value_name(p))
                .help(format!(
                    "The {} the records belong to (path parameter `{p}`)",
                    resources::entity(p).replace('_', " ")
                ))
                .help_heading("Scope"),
        );
    }
    c.arg(
        Arg::new(IDS_ID)
            .value_name("ID")
            .num_args(1..)
            .required(true)
            .help(
                "Ids to get (one request each; printed as a JSON array if more than one; \
                 missing ids are reported on stderr and give exit code 4)",
            ),
    )
}

/// Booleans as the API accepts them: true/false/1/0, any case.
fn parse_bool(s: &str) -> Result<bool, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") || t == "1" {
        Ok(true)
    } else if t.eq_ignore_ascii_case("false") || t == "0" {
        Ok(false)
    } else {
        Err("expected true, false, 1 or 0".into())
    }
}

/// What `export <resource>` was asked to do, extracted from the matches.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The resource.
    pub resource: &'static Resource,
    /// Path parameters given (wire name -> value).
    pub path: Vec<(&'static str, String)>,
    /// Filters given (wire name -> value as text).
    pub filters: Vec<(&'static str, String)>,
    /// `--all-locations`.
    pub all_locations: bool,
    /// Output options.
    pub options: ExportOptions,
}

/// What `get <resource> <id...>` was asked to do.
#[derive(Debug, Clone)]
pub struct GetRequest {
    /// The resource.
    pub resource: &'static Resource,
    /// Scope path parameters (wire name -> value).
    pub path: Vec<(&'static str, String)>,
    /// The ids.
    pub ids: Vec<String>,
}

/// Read `cro export <resource> ...` from the `export` subcommand's matches.
pub fn export_request(m: &ArgMatches) -> Result<ExportRequest, clap::Error> {
    let (name, sub) = m
        .subcommand()
        .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingSubcommand))?;
    let resource = resources::find(name)
        .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
    let mut path = Vec::new();
    for pf in &resource.path_flags {
        if let Some(v) = sub.get_one::<String>(&format!("{PATH_ID}{}", pf.param)) {
            path.push((pf.param, v.clone()));
        }
    }
    let mut filters = Vec::new();
    for f in &resource.filters {
        let id = format!("{FILTER_ID}{}", f.param.name);
        let text = match f.param.kind {
            "boolean" => sub.get_one::<bool>(&id).map(|b| b.to_string()),
            "integer" => sub.get_one::<i64>(&id).map(|v| v.to_string()),
            "number" => sub.get_one::<f64>(&id).map(|v| v.to_string()),
            _ => sub.get_one::<String>(&id).cloned(),
        };
        if let Some(t) = text {
            filters.push((f.param.name, t));
        }
    }
    let all_locations = resource.all_locations && sub.get_flag(ALL_LOCATIONS_ID);
    let options = ExportOptions::from_arg_matches(sub)?;
    Ok(ExportRequest {
        resource,
        path,
        filters,
        all_locations,
        options,
    })
}

/// Read `cro get <resource> ...` from the `get` subcommand's matches.
pub fn get_request(m: &ArgMatches) -> Result<GetRequest, clap::Error> {
    let (name, sub) = m
        .subcommand()
        .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingSubcommand))?;
    let resource = resources::find(name)
        .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
    let mut path = Vec::new();
    for op in &resource.gets {
        for p in &op.path_params[..op.path_params.len() - 1] {
            if path.iter().any(|(q, _)| q == p) {
                continue;
            }
            if let Some(v) = sub.get_one::<String>(&format!("{PATH_ID}{p}")) {
                path.push((*p, v.clone()));
            }
        }
    }
    let ids = sub
        .get_many::<String>(IDS_ID)
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    Ok(GetRequest {
        resource,
        path,
        ids,
    })
}

/// Parse the process arguments.
pub fn parse_from<I, T>(args: I) -> Result<(Cli, ArgMatches), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    let cli = Cli::from_arg_matches(&matches)?;
    Ok((cli, matches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn export_parses_resource_flags_and_globals() {
        let (cli, m) = parse_from([
            "cro",
            "--tenant",
            "34",
            "export",
            "customers",
            "--format",
            "csv",
            "--output",
            "x.csv",
            "--demo",
        ])
        .unwrap();
        assert!(cli.global.demo);
        assert_eq!(cli.global.tenant, Some(34));
        assert!(matches!(cli.command, Cmd::Export));
        let req = export_request(m.subcommand_matches("export").unwrap()).unwrap();
        assert_eq!(req.resource.name, "customers");
        assert_eq!(req.options.format, Some(Format::Csv));
        assert_eq!(req.options.resolved_format(), Ok(Format::Csv));
        assert_eq!(
            req.options.output.as_deref(),
            Some(std::path::Path::new("x.csv"))
        );
        assert!(req.path.is_empty());
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let err = parse_from(["cro", "export", "customers", "--page-size", "0"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = parse_from(["cro", "export", "no-such-resource"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn format_comes_from_the_file_name_unless_given() {
        let format = |args: &[&str]| {
            let mut all = vec!["cro", "export", "customers"];
            all.extend_from_slice(args);
            let (_, m) = parse_from(all).unwrap();
            let req = export_request(m.subcommand_matches("export").unwrap()).unwrap();
            req.options.resolved_format()
        };
        assert_eq!(format(&[]), Ok(Format::Ndjson));
        assert_eq!(format(&["-o", "x.csv"]), Ok(Format::Csv));
        assert_eq!(format(&["-o", "x.jsonl"]), Ok(Format::Ndjson));
        assert_eq!(format(&["-o", "x.json"]), Ok(Format::Json));
        assert_eq!(format(&["-o", "x.txt"]), Ok(Format::Ndjson));
        assert_eq!(format(&["-o", "x.txt", "--format", "csv"]), Ok(Format::Csv));
        assert_eq!(format(&["-o", "x.csv", "--format", "csv"]), Ok(Format::Csv));
        let err = format(&["-o", "x.csv", "--format", "ndjson"]).unwrap_err();
        assert!(err.contains("--format ndjson contradicts"), "{err}");
        assert!(err.contains("x.csv"), "{err}");
    }

    #[test]
    fn bool_parser_accepts_api_forms() {
        assert_eq!(parse_bool("TRUE"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("yes").is_err());
    }
}

//! `cro`: the command-line tool of cro-rs.
//!
//! `cro export <resource>` streams every record of any paged list of the CRO Developer API to
//! NDJSON, JSON or CSV; `cro get`, `cro ops`, `cro roles`, `cro auth` and `cro fake` complete
//! it. `cro --demo ...` runs everything against an embedded fake server. See `cro --help`.

mod auth;
mod cli;
mod connect;
mod credentials;
mod demo;
mod errors;
mod exit;
mod export;
mod get;
mod ops;
mod resources;
mod settings;

use cli::{AuthCmd, Cmd};
use exit::{CliError, CliResult};
use std::time::Duration;

fn main() {
    let code = match run() {
        Ok(()) => exit::Exit::Ok.code(),
        Err(e) => {
            eprintln!("error: {e}");
            e.exit.code()
        }
    };
    std::process::exit(code);
}

fn run() -> CliResult<()> {
    let (cli, matches) = match cli::parse_from(std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(e) => {
            // clap's own exit codes: 0 for --help/--version, 2 for usage errors.
            let _ = e.print();
            std::process::exit(e.exit_code());
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::other(format!("cannot start the async runtime: {e}")))?;
    let result = dispatch(&runtime, cli, &matches);
    // Do not wait for idle keep-alive connections or the demo server's tasks.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// Delete unfinished output files and exit 130 on Ctrl-C (destructors do not run on exit).
fn install_interrupt_handler(runtime: &tokio::runtime::Runtime) {
    runtime.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            export::output::cleanup_on_interrupt();
            eprintln!("interrupted; no output file was written");
            std::process::exit(130);
        }
    });
}

fn dispatch(
    runtime: &tokio::runtime::Runtime,
    cli: cli::Cli,
    matches: &clap::ArgMatches,
) -> CliResult<()> {
    match &cli.command {
        Cmd::Ops(args) => ops::run_ops(args),
        Cmd::Roles(args) => ops::run_roles(args),
        Cmd::Fake(args) => runtime.block_on(demo::run_fake(args)),
        Cmd::Auth(AuthCmd::Login(args)) => {
            install_interrupt_handler(runtime);
            runtime.block_on(auth::login(&cli.global, args))
        }
        Cmd::Auth(AuthCmd::Status) => runtime.block_on(auth::status(&cli.global)),
        Cmd::Auth(AuthCmd::Logout) => auth::logout(&cli.global),
        Cmd::Export => {
            let sub = matches
                .subcommand_matches("export")
                .ok_or_else(|| CliError::usage("missing resource"))?;
            let req = cli::export_request(sub).map_err(|e| CliError::usage(e.to_string()))?;
            install_interrupt_handler(runtime);
            let max_in_flight = Some(req.options.concurrency);
            let conn = runtime.block_on(connect::connect_with(&cli.global, max_in_flight))?;
            // The export runs on plain threads that drive the runtime through its handle.
            export::run(
                &export::ExportEnv {
                    client: &conn.client,
                    handle: runtime.handle().clone(),
                    api_version: &conn.api_version,
                },
                &req,
            )
        }
        Cmd::Get => {
            let sub = matches
                .subcommand_matches("get")
                .ok_or_else(|| CliError::usage("missing resource"))?;
            let req = cli::get_request(sub).map_err(|e| CliError::usage(e.to_string()))?;
            install_interrupt_handler(runtime);
            runtime.block_on(async {
                let conn = connect::connect(&cli.global).await?;
                get::run(&conn.client, &req).await
            })
        }
    }
}

//! `cro`: the command-line tool of cro-rs.
//!
//! `cro export <resource>` streams every record of any paged list of the CRO Developer API to
//! NDJSON, JSON or CSV; `cro get`, `cro ops`, `cro roles`, `cro auth` and `cro fake` complete
//! it. `cro --demo ...` runs everything against an embedded fake server. See `cro --help`.

mod auth;
mod byte_size;
mod cli;
mod connect;
mod credentials;
mod demo;
mod errors;
mod exit;
mod export;
mod get;
mod log;
mod ops;
mod resources;
mod settings;
mod sync;

use cli::{AuthCmd, Cmd};
use exit::{CliError, CliResult};
use std::time::Duration;

fn main() {
    // First, before anything opens a file descriptor that could take number 1.
    export::output::guard_closed_stdout();
    // `cro` is built with rustls + ring only (cro-api's `rustls-ring`): reqwest has no
    // provider of its own, so every client in the process (the demo fake's webhook
    // deliveries included) takes this one. Fails only if one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let code = match run() {
        Ok(()) => exit::Exit::Ok.code(),
        Err(e) => {
            if !e.is_quiet() {
                eprintln!("error: {e}");
            }
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
    log::init(cli.global.verbose).map_err(CliError::usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::other(format!("cannot start the async runtime: {e}")))?;
    let result = dispatch(&runtime, cli, &matches);
    // Do not wait for idle keep-alive connections or the demo server's tasks.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

#[cfg(not(unix))]
fn install_interrupt_handler(runtime: &tokio::runtime::Runtime) {
    runtime.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            export::output::cleanup_on_interrupt();
            eprintln!("interrupted; no output file was written");
            std::process::exit(130);
        }
    });
}

/// On SIGINT (Ctrl-C), SIGTERM (`timeout`, systemd, CI) or SIGHUP (a closed terminal):
/// delete unfinished output files and exit with 128 + the signal's number (130, 143, 129), as
/// a shell reports a program killed by it. Destructors do not run on `process::exit`, hence
/// the explicit cleanup; an existing `--output` file is never touched before the final rename.
#[cfg(unix)]
fn install_interrupt_handler(runtime: &tokio::runtime::Runtime) {
    use tokio::signal::unix::{SignalKind, signal};
    let signals = [
        (SignalKind::interrupt(), "SIGINT", 2),
        (SignalKind::terminate(), "SIGTERM", 15),
        (SignalKind::hangup(), "SIGHUP", 1),
    ];
    for (kind, name, number) in signals {
        // Registered now, on this thread, so that a signal sent right after the export
        // starts is already ours (a task registering later would leave a window).
        let _guard = runtime.enter();
        let Ok(mut stream) = signal(kind) else {
            continue; // cannot happen on Unix for these three; keep the default action
        };
        runtime.spawn(async move {
            if stream.recv().await.is_some() {
                export::output::cleanup_on_interrupt();
                eprintln!("interrupted by {name}; no output file was written");
                std::process::exit(128 + number);
            }
        });
    }
}

fn dispatch(
    runtime: &tokio::runtime::Runtime,
    mut cli: cli::Cli,
    matches: &clap::ArgMatches,
) -> CliResult<()> {
    match &cli.command {
        Cmd::Completion(args) => {
            // Into memory first: clap_complete panics on a failed write (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut cli::command(), "cro", &mut script);
            let mut out = std::io::stdout().lock();
            std::io::Write::write_all(&mut out, &script)?;
            std::io::Write::flush(&mut out)?;
            Ok(())
        }
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
            cli.global.quiet = req.options.quiet;
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
        Cmd::Sync(args) => {
            cli.global.quiet = args.quiet;
            install_interrupt_handler(runtime);
            let conn = runtime.block_on(connect::connect(&cli.global))?;
            // Like exports, the walks run on plain threads that drive the runtime.
            sync::run(&conn.client, runtime.handle(), &conn.api_version, args)
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

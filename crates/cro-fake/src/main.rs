//! `cro-fake`: runs the fake CRO API server until Ctrl-C, printing one JSON line on start:
//! `{"base_url", "tenants", "tokens", "oauth"}`.

use std::process::ExitCode;

use clap::Parser;
use cro_fake::cli::FakeArgs;
use cro_fake::run_until_ctrl_c;

/// A stateful fake of the CRO Developer API for development, tests and demos.
#[derive(Debug, Parser)]
#[command(name = "cro-fake", version)]
struct Args {
    #[command(flatten)]
    fake: FakeArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run_until_ctrl_c(args.fake.config()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cro-fake: {e}");
            ExitCode::FAILURE
        }
    }
}

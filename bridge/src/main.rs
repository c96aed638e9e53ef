//! `playground-bridge`: see the library's documentation and `--help`.

use playground_bridge::args::{self, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Arguments that are not valid UTF-8 get a sentence, not a panic.
    let arguments: Result<Vec<String>, _> = std::env::args_os().skip(1).map(|a| a.into_string()).collect();
    let arguments = match arguments {
        Ok(arguments) => arguments,
        Err(bad) => {
            eprintln!("playground-bridge: the argument {bad:?} is not valid UTF-8; see playground-bridge --help");
            return ExitCode::from(2);
        }
    };
    let config = match args::parse(&arguments) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            // A closed stdout (`playground-bridge --help | head -1`) is not a mistake.
            let _ = args::print_help();
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            let _ = std::io::Write::write_all(&mut std::io::stdout(), args::version().as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("playground-bridge: {why}");
            return ExitCode::from(2);
        }
    };
    let level = if config.verbose { tracing::Level::DEBUG } else { tracing::Level::INFO };
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A closed stderr (a launcher that went away) must not stop the bridge: tracing would
    // otherwise report the failed write with eprintln!, which panics.
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("playground-bridge: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        if !config.bind.is_loopback() {
            tracing::warn!("listening on {}, not loopback: other machines can read this clock", config.bind);
        }
        match playground_bridge::start(config).await {
            Ok(running) => {
                tracing::info!("serving ws://{}/ (Ctrl-C stops)", running.address);
                let _ = tokio::signal::ctrl_c().await;
                tracing::info!("stopping");
                ExitCode::SUCCESS
            }
            Err(why) => {
                tracing::error!("{why}");
                ExitCode::from(2)
            }
        }
    })
}

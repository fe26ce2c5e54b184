use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = roundup::cli::Cli::parse();
    roundup::cli::init_logging();
    match roundup::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            // One line: the chain of contexts, outermost first.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

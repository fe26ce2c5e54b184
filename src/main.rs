use clap::Parser;
use std::process::ExitCode;

// One thread runs every task. The work is I/O-bound (feeds, pages, SMTP,
// SQLite on its own threads), and on the small machines this runs on a
// second scheduler thread mostly added cross-thread wake-ups: delivery
// measured 1,560 msg/s with two and 1,830 with one (10,000 subscribers,
// medians of three, bench/delivery_throughput.py).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = roundup::cli::Cli::parse();
    roundup::cli::init_logging();
    // Parsers run under catch_unwind so one odd document cannot stop a
    // batch; a panic there is worth one log line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!("internal error{place}: {what}");
    }));
    match roundup::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            // One line: the chain of contexts, outermost first.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

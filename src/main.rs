use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = roundup::cli::Cli::parse();
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
    // One-shot commands run every task on one thread. Their work is
    // I/O-bound (feeds, pages, SMTP, SQLite on its own threads), and a
    // second scheduler thread mostly added cross-thread wake-ups: delivery
    // measured 1,560 msg/s with two and 1,830 with one (10,000 subscribers,
    // medians of three, bench/delivery_throughput.py). The service uses
    // every core: its HTTP requests must not queue behind a delivery pass.
    let threads = match cli.command {
        // A config error is reported once the command runs.
        roundup::cli::Command::Serve { .. } => roundup::config::Config::load(&cli.config_path())
            .map(|c| c.service.worker_threads)
            .unwrap_or(0),
        _ => 1,
    };
    let runtime = match threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(roundup::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // One line: the chain of contexts, outermost first.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

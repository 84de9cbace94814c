//! What the command shows the user: progress bars, warnings, errors and exit codes.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Options every command takes.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Show no progress bars and no warnings.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Worker threads (default: one per core).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
}

/// Progress and messages on standard error.
#[derive(Debug, Clone)]
pub struct Ui {
    quiet: bool,
    bars: bool,
}

impl Ui {
    pub fn new(args: &GlobalArgs) -> Self {
        Ui {
            quiet: args.quiet,
            bars: !args.quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A progress bar of `len` steps, hidden when stderr is not a terminal or with `--quiet`.
    pub fn bar(&self, len: u64, message: &str) -> ProgressBar {
        if !self.bars {
            return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>12} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({eta})",
            )
            .expect("valid template"),
        );
        bar.set_message(message.to_string());
        bar
    }

    /// A spinner for work of unknown length.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_message(message.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// Prints a warning unless `--quiet`.
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            eprintln!("clklink: warning: {message}");
        }
    }

    /// Prints an informational line unless `--quiet`.
    pub fn info(&self, message: &str) {
        if !self.quiet {
            eprintln!("clklink: {message}");
        }
    }
}

/// Prints an error and returns the exit status for it: 2 for bad input, 1 otherwise.
pub fn report_error(e: &anyhow::Error) -> i32 {
    // The library's errors already end with their cause (`…: cannot read: is a directory`):
    // a cause is added only when the message does not already end with it.
    let mut message = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !message.ends_with(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    eprintln!("clklink: error: {message}");
    match e.downcast_ref::<clklink::Error>() {
        Some(err) if err.is_bad_input() => 2,
        _ => 1,
    }
}

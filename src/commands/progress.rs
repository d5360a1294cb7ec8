//! Progress while replaying or comparing rows: a bar with rate and ETA on a terminal, a plain line every few
//! seconds in a pipe or under CI, nothing with `--quiet`. Always on stderr: stdout is the report.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The progress display of one run.
pub enum Progress {
    /// Nothing shown.
    Hidden,
    /// An indicatif bar on a terminal.
    Bar(ProgressBar),
    /// Plain lines, for logs.
    Plain {
        /// What is counted: `exchanges` or `rows`.
        noun: &'static str,
        /// When the run started.
        started: Instant,
        /// When the last line was printed.
        last: Instant,
        /// How many are done.
        done: u64,
    },
}

impl Progress {
    /// The display that suits where stderr goes, counting `noun` (`exchanges`, `rows`); `total`
    /// is how many there are, if known.
    pub fn new(quiet: bool, noun: &'static str, total: impl FnOnce() -> Option<u64>) -> Progress {
        if quiet {
            return Progress::Hidden;
        }
        let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if !interactive {
            let now = Instant::now();
            return Progress::Plain {
                noun,
                started: now,
                last: now,
                done: 0,
            };
        }
        let bar = match total() {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(&format!(
                        "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {noun}  {{per_sec}}  eta {{eta}}",
                    ))
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} [{{elapsed_precise}}] {{pos}} {noun}  {{per_sec}}"
                ))
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress::Bar(bar)
    }

    /// Counts one finished exchange or row.
    pub fn inc(&mut self) {
        match self {
            Progress::Hidden => {}
            Progress::Bar(bar) => bar.inc(1),
            Progress::Plain {
                noun,
                started,
                last,
                done,
            } => {
                *done += 1;
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    eprintln!(
                        "shadowdiff: {} {noun} done ({:.0}/s)",
                        done,
                        rate(*done, *started)
                    );
                }
            }
        }
    }

    /// Prints a line on stderr, above the bar when there is one.
    pub fn note(&self, line: &str) {
        match self {
            Progress::Bar(bar) => bar.println(line),
            Progress::Hidden | Progress::Plain { .. } => eprintln!("{line}"),
        }
    }

    /// Clears the bar, or prints the last plain line.
    pub fn finish(self) {
        match self {
            Progress::Hidden => {}
            Progress::Bar(bar) => bar.finish_and_clear(),
            Progress::Plain {
                noun,
                started,
                done,
                ..
            } => {
                eprintln!(
                    "shadowdiff: {} {noun} done in {:.1}s ({:.0}/s)",
                    done,
                    started.elapsed().as_secs_f64(),
                    rate(done, started)
                );
            }
        }
    }
}

fn rate(done: u64, started: Instant) -> f64 {
    done as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

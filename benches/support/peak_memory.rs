//! Runs a command under `/usr/bin/time -v` and reads its peak memory, for the benches that
//! measure the whole binary.

use std::process::Command;
use std::time::Instant;

/// Whether `/usr/bin/time` is here to measure with; when not, says on stderr that `bench` was
/// skipped and why.
pub fn time_available(bench: &str) -> bool {
    let here = std::path::Path::new("/usr/bin/time").exists();
    if !here {
        eprintln!("{bench} bench: /usr/bin/time is not installed (apt-get install time); skipped");
    }
    here
}

/// Runs the command under `/usr/bin/time -v`; returns (peak RSS in MB, wall seconds, stdout).
/// The command must be `/usr/bin/time -v shadowdiff ...`; an exit other than 0 or 1 fails.
pub fn measure(command: &mut Command) -> (f64, f64, String) {
    let started = Instant::now();
    let output = command.output().expect("run /usr/bin/time");
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let rss_kb: f64 = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS in /usr/bin/time output:\n{stderr}"));
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "shadowdiff failed:\n{stderr}"
    );
    (
        rss_kb / 1024.0,
        wall,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

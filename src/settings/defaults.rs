//! The bottom layer: `defaults.toml`, embedded in the binary and parsed once. Every default a
//! command falls back to, and every `[default: ...]` of `--help`, comes from this table.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use serde::Deserialize;

use super::file::Duration as Written;

/// The text of the table.
pub const TEXT: &str = include_str!("defaults.toml");

/// The built-in defaults (see `defaults.toml` for what each means).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The settings file read when `--config` is not given, if it exists.
    pub config: PathBuf,
    /// The report folder.
    pub out: PathBuf,
    /// The comparator rules, when the folder exists.
    pub rules: PathBuf,
    /// The snapshot of accepted differences.
    pub snapshot: PathBuf,
    /// Exchanges in flight at most.
    pub concurrency: usize,
    /// The per-request timeout.
    pub timeout: Written,
    /// Retries of a failed call that cannot repeat it.
    pub retries: u32,
    /// The largest answer read.
    pub max_body_bytes: u64,
    /// The longest recording line read.
    pub max_line_bytes: usize,
    /// Call the old target twice to measure noise.
    pub noise_repeat: bool,
    /// Managed targets' readiness wait, in seconds.
    pub ready_timeout: f64,
    /// `[gate]`.
    pub gate: GateDefaults,
    /// `[noise]`.
    pub noise: NoiseDefaults,
    /// `[record]`: the capture proxy.
    pub record: RecordDefaults,
    /// `[shadow]`: the shadow proxy.
    pub shadow: ShadowDefaults,
}

/// `[gate]` of the table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateDefaults {
    /// The largest share of compared exchanges that may differ.
    pub max_diff_rate: f64,
    /// The largest share of compared exchanges that may end in error.
    pub max_error_rate: f64,
    /// Routes with fewer compared exchanges are not judged.
    pub min_exchanges: u64,
}

/// `[noise]` of the table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseDefaults {
    /// The level of the sign test.
    pub significance: f64,
}

/// `[record]` of the table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDefaults {
    /// Bytes of JSON per part.
    pub rotate_bytes: u64,
    /// The share of requests recorded.
    pub sample: f64,
    /// How long one upstream call may take.
    pub timeout: Written,
    /// How long in-flight requests may take after Ctrl-C or SIGTERM.
    pub drain_timeout: Written,
    /// The largest upstream body kept.
    pub max_body_bytes: u64,
}

/// `[shadow]` of the table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShadowDefaults {
    /// Where `/metrics` and `/healthz` are served.
    pub admin: String,
    /// The share of requests mirrored.
    pub sample: f64,
    /// Exchanges waiting to be mirrored at most.
    pub queue: usize,
    /// Exchanges mirrored at once at most.
    pub concurrency: usize,
    /// How long a call to any target may take.
    pub timeout: Written,
    /// How long in-flight exchanges may take after Ctrl-C or SIGTERM.
    pub drain_timeout: Written,
    /// Bytes of JSON per outcomes part.
    pub part_bytes: u64,
    /// Distinct label values per metric at most.
    pub max_series: usize,
    /// Mismatch log lines per route and signature a minute.
    pub log_per_minute: u32,
}

static DEFAULTS: LazyLock<Defaults> = LazyLock::new(|| {
    let defaults: Defaults = toml::from_str(TEXT)
        .unwrap_or_else(|err| panic!("src/settings/defaults.toml does not parse: {err}"));
    defaults
        .check()
        .unwrap_or_else(|why| panic!("src/settings/defaults.toml: {why}"));
    defaults
});

/// The built-in defaults, parsed on first use.
pub fn defaults() -> &'static Defaults {
    &DEFAULTS
}

impl Defaults {
    /// The table holds to the ranges the flags and the file are held to.
    fn check(&self) -> Result<(), String> {
        let named = |key: &'static str| move |why: String| format!("{key}: {why}");
        shadowdiff_core::at_least_one(self.concurrency as u64).map_err(named("concurrency"))?;
        shadowdiff_core::retries(self.retries).map_err(named("retries"))?;
        shadowdiff_core::at_least_one(self.max_body_bytes).map_err(named("max_body_bytes"))?;
        shadowdiff_core::at_least_one(self.max_line_bytes as u64)
            .map_err(named("max_line_bytes"))?;
        shadowdiff_core::seconds_duration(self.ready_timeout).map_err(named("ready_timeout"))?;
        shadowdiff_core::share(self.gate.max_diff_rate).map_err(named("gate.max_diff_rate"))?;
        shadowdiff_core::share(self.gate.max_error_rate).map_err(named("gate.max_error_rate"))?;
        shadowdiff_core::at_least_one(self.gate.min_exchanges)
            .map_err(named("gate.min_exchanges"))?;
        shadowdiff_core::share(self.noise.significance).map_err(named("noise.significance"))?;
        shadowdiff_core::at_least_one(self.record.rotate_bytes)
            .map_err(named("record.rotate_bytes"))?;
        shadowdiff_core::share(self.record.sample).map_err(named("record.sample"))?;
        shadowdiff_core::at_least_one(self.record.max_body_bytes)
            .map_err(named("record.max_body_bytes"))?;
        let shadow = &self.shadow;
        shadowdiff_core::share(shadow.sample).map_err(named("shadow.sample"))?;
        shadowdiff_core::at_least_one(shadow.queue as u64).map_err(named("shadow.queue"))?;
        shadowdiff_core::at_least_one(shadow.concurrency as u64)
            .map_err(named("shadow.concurrency"))?;
        shadowdiff_core::at_least_one(shadow.part_bytes).map_err(named("shadow.part_bytes"))?;
        shadowdiff_core::at_least_one(shadow.max_series as u64)
            .map_err(named("shadow.max_series"))?;
        shadowdiff_core::at_least_one(u64::from(shadow.log_per_minute))
            .map_err(named("shadow.log_per_minute"))?;
        shadow
            .admin
            .parse::<std::net::SocketAddr>()
            .map_err(|err| format!("shadow.admin: {err}"))?;
        Ok(())
    }
}

/// `TEXT [default: VALUE]`, the way clap shows a default, for help built from the table.
pub fn with_default(text: &str, value: impl std::fmt::Display) -> String {
    format!("{text} [default: {value}]")
}

/// A duration as the table and the help write it (`10s`, `1m 30s`).
pub fn shown_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// A byte count with its size in MiB when it is a whole number of them (`16777216, 16 MiB`).
pub fn shown_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes % MIB == 0 {
        format!("{bytes}, {} MiB", bytes / MIB)
    } else {
        bytes.to_string()
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;
    use crate::cli::Cli;

    /// The help of `shadowdiff SUBCOMMAND... --ARG`.
    fn help(path: &[&str], arg: &str) -> String {
        let mut command = Cli::command();
        for name in path {
            command = command
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("no subcommand {name}"))
                .clone();
        }
        let arg = command
            .get_arguments()
            .find(|a| a.get_id() == arg)
            .unwrap_or_else(|| panic!("no --{arg}"));
        arg.get_help().expect("help").to_string()
    }

    #[test]
    fn the_table_parses_and_holds_to_the_ranges() {
        let table = defaults();
        assert_eq!(table.timeout.0, Duration::from_secs(10));
        assert_eq!(table.record.timeout.0, Duration::from_secs(30));
        assert_eq!(table.config, PathBuf::from("shadowdiff.toml"));
        table.check().unwrap();
    }

    #[test]
    fn help_shows_the_defaults_of_the_table() {
        let table = defaults();
        let cases = [
            (&["run"][..], "concurrency", table.concurrency.to_string()),
            (&["run"], "retries", table.retries.to_string()),
            (&["run"], "timeout", shown_duration(table.timeout.0)),
            (
                &["run"],
                "max_body_bytes",
                shown_bytes(table.max_body_bytes),
            ),
            (&["run"], "max_line_bytes", table.max_line_bytes.to_string()),
            (
                &["diff"],
                "max_line_bytes",
                table.max_line_bytes.to_string(),
            ),
            (
                &["import"],
                "max_line_bytes",
                table.max_line_bytes.to_string(),
            ),
            (
                &["run"],
                "max_diff_rate",
                table.gate.max_diff_rate.to_string(),
            ),
            (
                &["diff"],
                "max_error_rate",
                table.gate.max_error_rate.to_string(),
            ),
            (
                &["report", "merge"],
                "min_exchanges",
                table.gate.min_exchanges.to_string(),
            ),
            (&["run"], "rules", format!("{}/", table.rules.display())),
            (&["diff"], "out", table.out.display().to_string()),
            (&["report", "merge"], "out", table.out.display().to_string()),
            (
                &["accept"],
                "snapshot",
                table.snapshot.display().to_string(),
            ),
            (&["review"], "config", table.config.display().to_string()),
            (&["run"], "snapshot", table.snapshot.display().to_string()),
            (
                &["record"],
                "timeout",
                shown_duration(table.record.timeout.0),
            ),
            (
                &["record"],
                "drain_timeout",
                shown_duration(table.record.drain_timeout.0),
            ),
            (
                &["record"],
                "rotate_bytes",
                table.record.rotate_bytes.to_string(),
            ),
            (&["record"], "sample", table.record.sample.to_string()),
            (
                &["record"],
                "max_body_bytes",
                table.record.max_body_bytes.to_string(),
            ),
        ];
        for (path, arg, value) in cases {
            let help = help(path, arg);
            assert!(
                help.contains(&format!("[default: {value}"))
                    || help.contains(&format!(", else {value}]")),
                "{path:?} --{arg}: `{value}` not in `{help}`"
            );
        }
        assert!(help(&["run"], "concurrency").ends_with("1 or more [default: 32]"));
        assert!(help(&["run"], "timeout").ends_with("[default: 10s]"));
    }

    #[test]
    fn readme_states_the_defaults_of_the_table() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
        let table = defaults();
        let mib = |bytes: u64| format!("{} MiB", bytes / (1024 * 1024));
        let phrases = [
            format!(
                "at most `--concurrency` exchanges in flight (default {})",
                table.concurrency
            ),
            format!("(`--retries`, default {})", table.retries),
            format!(
                "(`max_body_bytes` in shadowdiff.toml; default {},",
                mib(table.max_body_bytes)
            ),
            format!(
                "within the {} lines `diff` reads back",
                mib(table.max_line_bytes as u64)
            ),
            format!("[--timeout {}]", shown_duration(table.timeout.0)),
            format!("(`--out`, default `{}/`", table.out.display()),
            format!(
                "(`[noise] significance`, default {})",
                table.noise.significance
            ),
            format!("`max_diff_rate` (default {}:", table.gate.max_diff_rate),
            format!("`max_error_rate` (default {})", table.gate.max_error_rate),
            format!("`min_exchanges` (default {})", table.gate.min_exchanges),
            format!("snapshot = \"{}\" # the default", table.snapshot.display()),
            format!(
                "[--timeout {}] [--drain-timeout {}]",
                shown_duration(table.record.timeout.0),
                shown_duration(table.record.drain_timeout.0)
            ),
            format!(
                "`--rotate-bytes` of JSON (default {})",
                mib(table.record.rotate_bytes)
            ),
            format!(
                "larger than `--max-body-bytes` (default {})",
                mib(table.record.max_body_bytes)
            ),
        ];
        for phrase in phrases {
            assert!(
                readme.contains(&phrase),
                "README.md does not say `{phrase}`: keep it and src/settings/defaults.toml equal"
            );
        }
    }

    #[test]
    fn the_library_defaults_its_own_tests_use_agree_with_the_table() {
        let table = defaults();
        let policy = shadowdiff_report::GatePolicy::default();
        assert_eq!(policy.limits.max_diff_rate, table.gate.max_diff_rate);
        assert_eq!(policy.limits.max_error_rate, table.gate.max_error_rate);
        assert_eq!(policy.limits.min_exchanges, table.gate.min_exchanges);
        assert_eq!(policy.noise_significance, table.noise.significance);
        assert_eq!(
            shadowdiff_io::Limits::default().max_line_bytes,
            table.max_line_bytes
        );
        let selection = shadowdiff_replay::Selection::default();
        assert_eq!(selection.sample, table.record.sample);
    }
}

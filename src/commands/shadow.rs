//! `shadowdiff shadow`: the settings resolved, the rules and snapshot loaded, the shadow proxy
//! run until stopped (with a report folder written on SIGHUP and every `--report-every`), the
//! final report written and its verdict mapped to the exit code.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::ShadowArgs;
use crate::error::{Error, Result};
use crate::settings::resolve::{self, ShadowSettings};
use crate::settings::Output;
use shadowdiff_core::RuleSet;
use shadowdiff_report::{Aggregate, Part, Snapshot, TargetNames};
use shadowdiff_shadow::{Moment, Settings};

use super::diff::load_rules;
use super::verdict::{exit_code, Judging};

/// Runs the shadow proxy until Ctrl-C or SIGTERM and returns the exit code of its verdict.
pub fn run(args: ShadowArgs) -> Result<u8> {
    let settings = resolve::shadow(&args)?;
    let listen = address("--listen", &args.listen)?;
    let admin = address("--admin", &settings.admin)?;
    let judging = Judging::load(&settings.report)?;
    let rules = Arc::new(load_rules(&settings.rules)?);
    let targets = TargetNames {
        old: Some(settings.primary.clone()),
        new: settings.candidate.fixed_url(),
    };
    let out = settings.report.out.value.clone();
    let reports = Reports {
        judging: judging.clone(),
        rules: rules.clone(),
        targets: targets.clone(),
        out: out.clone(),
    };
    let snapshot = Arc::new(judging.snapshot.clone());
    let shadow = shadow_settings(&settings, listen, admin, rules.clone(), snapshot);
    let mut aggregate = judging.aggregate();
    aggregate.set_part(Part {
        live: true,
        ..Part::default()
    });
    let summary = shadowdiff_shadow::serve(
        shadow,
        aggregate,
        |addr, admin| {
            eprintln!(
                "shadowdiff shadow: listening on http://{addr}; metrics on http://{admin}/metrics"
            );
        },
        Box::new(move |aggregate, moment| reports.write(aggregate, moment)),
    )?;
    eprintln!(
        "shadowdiff shadow: {} requests forwarded, {} mirrored exchanges judged{}; outcomes in {} part{}",
        summary.requests,
        summary.judged,
        match summary.abandoned {
            0 => String::new(),
            n => format!(", {n} cut off by --drain-timeout"),
        },
        summary.parts.len(),
        if summary.parts.len() == 1 { "" } else { "s" },
    );
    let report = judging.conclude(
        summary.aggregate,
        &|rule| rules.describe(rule).to_string(),
        targets,
        false,
        &out,
        &settings.output,
    )?;
    Ok(exit_code(&report))
}

/// The first address `text` names.
fn address(flag: &str, text: &str) -> Result<SocketAddr> {
    text.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            Error::usage(format!(
                "{flag} `{text}` is not an address; write HOST:PORT, e.g. 127.0.0.1:8080"
            ))
        })
}

/// The shadow crate's settings from the resolved ones.
fn shadow_settings(
    settings: &ShadowSettings,
    listen: SocketAddr,
    admin: SocketAddr,
    rules: Arc<RuleSet>,
    snapshot: Arc<Snapshot>,
) -> Settings {
    Settings {
        listen,
        admin,
        primary: settings.primary.clone(),
        candidate: settings.candidate.clone(),
        secondary: settings.secondary.clone(),
        rules,
        filters: settings.filters.clone(),
        snapshot,
        redactor: settings.report.redactor(),
        sample: settings.sample.value,
        queue: settings.queue.value,
        concurrency: settings.concurrency.value,
        timeout: settings.timeout.value,
        max_body_bytes: settings.max_body_bytes.value,
        drain_timeout: settings.drain_timeout.value,
        report_every: settings.report_every,
        out: settings.report.out.value.clone(),
        part_bytes: settings.part_bytes.value,
        max_series: settings.max_series.value,
        log: settings.log.clone(),
        log_per_minute: settings.log_per_minute.value,
    }
}

/// The reports written while the proxy runs.
struct Reports {
    judging: Judging,
    rules: Arc<RuleSet>,
    targets: TargetNames,
    out: PathBuf,
}

impl Reports {
    /// Writes the report folder for `aggregate`; a failure is said on stderr, and the proxy
    /// goes on.
    fn write(&self, aggregate: Aggregate, moment: Moment) {
        let quiet = Output {
            format: crate::cli::Format(shadowdiff_report::Format::Terminal),
            quiet: true,
            threads: None,
        };
        let written = self.judging.conclude(
            aggregate,
            &|rule| self.rules.describe(rule).to_string(),
            self.targets.clone(),
            false,
            &self.out,
            &quiet,
        );
        let why = match moment {
            Moment::Hangup => "SIGHUP",
            Moment::Every => "--report-every",
        };
        match written {
            Ok(report) => eprintln!(
                "shadowdiff shadow: report written to {} ({why}): {:?} so far",
                self.out.display(),
                report.verdict
            ),
            Err(err) => {
                eprintln!("shadowdiff shadow: error: cannot write the report ({why}): {err}")
            }
        }
    }
}

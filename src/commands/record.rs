//! `shadowdiff record`: check the flags, run the capture proxy until stopped, print a summary.

use std::net::ToSocketAddrs as _;

use crate::cli::RecordArgs;
use crate::error::{exit, Error, Result};
use crate::settings::resolve;
use shadowdiff_core::{Filters, Redactor};
use shadowdiff_replay::{self as record, RecordSettings as Settings, RotatingWriter, Selection};

/// Runs the proxy until Ctrl-C or SIGTERM; exit 0 once the recording is complete.
pub fn run(args: RecordArgs) -> Result<u8> {
    let resolved = resolve::record(&args);
    let listen = args
        .listen
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            Error::usage(format!(
                "--listen `{}` is not an address; write HOST:PORT, e.g. 127.0.0.1:8080",
                args.listen
            ))
        })?;
    let upstream = record::parse_upstream(&args.upstream)
        .map_err(|why| Error::usage(format!("--upstream {why}")))?;
    let rotate_bytes = resolved.rotate_bytes.value;
    if rotate_bytes == 0 {
        return Err(Error::usage("--rotate-bytes must be at least 1"));
    }
    let writer = RotatingWriter::new(&args.output, rotate_bytes)?;
    let settings = Settings {
        listen,
        upstream,
        output: args.output.clone(),
        rotate_bytes,
        selection: Selection {
            filters: Filters {
                methods: args.method,
                include_routes: args.include_route,
                exclude_routes: args.exclude_route,
                ..Filters::default()
            },
            sample: resolved.sample.value,
        },
        redactor: Redactor::new(&args.redact_header, Vec::new(), args.keep_secrets),
        timeout: resolved.timeout.value,
        drain_timeout: resolved.drain_timeout.value,
        max_body_bytes: resolved.max_body_bytes.value,
    };
    let summary = record::serve(settings, writer, |addr| {
        eprintln!("shadowdiff record: listening on http://{addr}");
    })?;
    let files = if summary.files.is_empty() {
        "no file".to_string()
    } else {
        summary
            .files
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!(
        "recorded {} exchanges to {files} ({} requests forwarded)",
        summary.recorded, summary.forwarded
    );
    Ok(exit::PASS)
}

//! The integration tests, as one test binary (`cargo test --test it`, or `cargo test --test it
//! AREA` for one area): one binary to link instead of one per file, and one set of helpers in
//! [`common`] that every area shares.
//!
//! The areas, one module each:
//! - the CLI end to end, the real binary on real files: `cli_diff`, `cli_run`, `cli_import`,
//!   `cli_pipes` (standard input and FIFOs), `cli_settings` (flags and shadowdiff.toml),
//!   `cli_bad_inputs` (bad input is exit 2, never a panic);
//! - data validation: `data_cli` (`shadowdiff data` on SQLite files and exports),
//!   `data_postgres` (against a PostgreSQL server the test starts), `store_check` (the stores
//!   a stateful replay left, `run --check-data`);
//! - recording and redaction: `record_proxy` (`shadowdiff record`), `redaction`;
//! - the shipped stateful example: `stateful_example` (write sessions, and the stores after);
//! - reports: `example_snapshots` (the shipped example as insta snapshots, in `snapshots/`),
//!   `html_report` (report.html in headless Chromium), `junit_report`, `report_size`,
//!   `report_merge`, `snapshot_workflow` (accepted differences);
//! - the library crates: `engine_laws` (properties of the comparison), `recordings_io`,
//!   `rules_files`, `targets`, `shadow_call` (the core's in-process shadow call, re-judged by
//!   `diff`);
//! - the tests themselves and the docs: `servers_selftest` (the test servers of
//!   `common::servers`), `ci_docs` (the CI examples and README's commands parse),
//!   `architecture` (docs/ARCHITECTURE.md matches the tree).

mod common;

mod architecture;
mod captures;
mod ci_docs;
mod cli_bad_inputs;
mod cli_diff;
mod cli_import;
mod cli_pipes;
mod cli_run;
mod cli_settings;
mod data_cli;
mod data_postgres;
mod engine_laws;
mod example_snapshots;
mod html_report;
mod junit_report;
mod record_proxy;
mod recordings_io;
mod redaction;
mod report_merge;
mod report_size;
mod rules_files;
mod servers_selftest;
mod sessions;
mod shadow_call;
mod shadow_proxy;
mod snapshot_workflow;
mod stateful_example;
mod store_check;
mod targets;

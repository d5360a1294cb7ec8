//! Resolving `shadowdiff data`, and the store check of `run --check-data`: the two stores and
//! the tables from the flags, else from `[data.old]`, `[data.new]` and `[[data.table]]` of
//! shadowdiff.toml, with `${NAME}` in a URL read from the environment and `{data}` standing for
//! a run's data folder of the role.

use std::path::{Path, PathBuf};

use shadowdiff_core::{CapturePlace, Partition};
use shadowdiff_data::{SourceUrl, TableSide, TableSpec};

use crate::cli::DataArgs;
use crate::error::{Error, Result};

use super::file::{Config, DataTableConfig, DATA_PLACEHOLDER};
use super::resolve::{self, Output, ReportSettings};
use super::{Setting, Source};

/// `shadowdiff data`.
#[derive(Debug)]
pub struct DataSettings {
    /// Judging and the report.
    pub report: ReportSettings,
    /// Output and threads.
    pub output: Output,
    /// The comparator rules; none: the built-in rules.
    pub rules: Setting<Option<PathBuf>>,
    /// The tables, in order.
    pub tables: Vec<TableSpec>,
    /// The shard of the keys compared, when the tables are split over several jobs.
    pub partition: Option<Partition>,
    /// The run whose stores are compared (`--run DIR`): its map of captured values, when it
    /// wrote one.
    pub captures: Option<PathBuf>,
}

/// The folder of a run's report folder where each target keeps its store (`{data}`), one
/// folder per role.
pub const RUN_DATA: &str = "data";

/// The map of captured values a run writes into its report folder.
pub const RUN_CAPTURES: &str = "captures.jsonl";

/// The stores a run left in the report folder `out` and the `[[data.table]]` entries compared
/// in them: `run --check-data`.
pub fn after_run(config: &Config, out: &Path) -> Result<Vec<TableSpec>> {
    let data = out.join(RUN_DATA);
    let old = source(config, "old", None, Some(&data))?;
    let new = source(config, "new", None, Some(&data))?;
    let tables: Vec<TableSpec> = config
        .data
        .table
        .iter()
        .map(|entry| spec(entry, &old, &new))
        .collect();
    if tables.is_empty() {
        return Err(Error::usage(
            "--check-data: there is no [[data.table]] entry in the settings to compare",
        ));
    }
    check(config, &tables, None)?;
    Ok(tables)
}

/// Resolves `shadowdiff data`.
pub fn data(args: &DataArgs) -> Result<DataSettings> {
    let config = Config::load(args.report.config.as_deref())?;
    if let Some(Partition::Count { .. }) = args.partition {
        return Err(Error::usage(
            "--partition: data is split by the hash of the key only; write hash:K/N",
        ));
    }
    let data = args.run.as_ref().map(|run| run.join(RUN_DATA));
    let old = source(&config, "old", args.old.as_deref(), data.as_deref())?;
    let new = source(&config, "new", args.new.as_deref(), data.as_deref())?;
    let tables = tables(&config, args, &old, &new)?;
    let captures = args.run.as_ref().map(|run| run.join(RUN_CAPTURES));
    let captures = match captures {
        Some(path) if path.exists() => Some(path),
        Some(path) => {
            if let Some(table) = tables.iter().find(|t| t.key_capture.is_some()) {
                return Err(Error::usage(format!(
                    "--run: {} does not exist, so the keys of table {} cannot be read through \
                     the run's captures (key_capture); is it the report folder of a run whose \
                     rules capture?",
                    path.display(),
                    table.name
                )));
            }
            None
        }
        None => None,
    };
    Ok(DataSettings {
        report: resolve::report(&config, &args.report, args.out.as_deref())?,
        output: Output::of(&args.output),
        rules: resolve::rules(&config, args.rules.as_deref()),
        tables,
        partition: args.partition,
        captures,
    })
}

/// A side's source: the flag, else `[data.ROLE] url`; required. `{data}` is the role's folder
/// of `data`, a run's data folders, and an error without them.
fn source(
    config: &Config,
    role: &str,
    flag: Option<&str>,
    data: Option<&Path>,
) -> Result<SourceUrl> {
    let key = format!("data.{role}.url");
    let (text, from) = match (flag, config.data_source(role)) {
        (Some(text), _) => (text.to_string(), Source::Flag(format!("--{role}"))),
        (None, Some(text)) => (text.to_string(), config.source(&key)),
        (None, None) => {
            return Err(Error::usage(format!(
                "no {role} store: give --{role} URL or url in [data.{role}] of shadowdiff.toml \
                 (sqlite:PATH, postgres://..., PATH.csv or PATH.jsonl)"
            )))
        }
    };
    let mut expanded = expand(&text).map_err(|why| from.error(&key, why))?;
    if expanded.contains(DATA_PLACEHOLDER) {
        let Some(data) = data else {
            return Err(from.error(
                &key,
                format!(
                    "{DATA_PLACEHOLDER} stands for the data folder a run gave the {role} target: \
                     compare a run's stores with `run --check-data`, or give `data --run DIR` \
                     (that run's report folder)"
                ),
            ));
        };
        expanded = expanded.replace(DATA_PLACEHOLDER, &data.join(role).display().to_string());
    }
    expanded
        .parse::<SourceUrl>()
        .map_err(|why| from.error(&key, why))
}

/// `${NAME}` replaced by the environment's value; a name that is not set is an error.
fn expand(text: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err("`${` is not closed; write ${NAME}".to_string());
        };
        let name = &after[..end];
        match std::env::var(name) {
            Ok(value) => out.push_str(&value),
            Err(_) => {
                return Err(format!(
                    "${{{name}}} is not set in the environment (set it, or write the value)"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The tables: one from the flags, one `[[data.table]]` picked by --table, or all of them.
fn tables(
    config: &Config,
    args: &DataArgs,
    old: &SourceUrl,
    new: &SourceUrl,
) -> Result<Vec<TableSpec>> {
    let spec = |entry: &DataTableConfig| spec(entry, old, new);
    let from_flags = args.old_query.is_some() || args.new_query.is_some() || !args.key.is_empty();
    let configured = &config.data.table;
    let tables = match &args.table {
        Some(name) if !from_flags => match configured.iter().find(|t| &t.name == name) {
            Some(entry) => vec![spec(entry)],
            None => {
                return Err(Error::usage(format!(
                    "--table {name}: give --key COL[,COL] (no [[data.table]] named {name} in \
                     the settings)"
                )))
            }
        },
        Some(name) => {
            if args.key.is_empty() {
                return Err(Error::usage(format!(
                    "--table {name}: give --key COL[,COL], the columns that pair rows"
                )));
            }
            vec![TableSpec {
                name: name.clone(),
                old: TableSide {
                    url: old.clone(),
                    query: args.old_query.clone(),
                },
                new: TableSide {
                    url: new.clone(),
                    query: args.new_query.clone(),
                },
                key: args.key.clone(),
                key_capture: None,
            }]
        }
        None if !args.key.is_empty() => {
            return Err(Error::usage("--key needs --table NAME, the table it keys"))
        }
        None => configured.iter().map(spec).collect(),
    };
    if tables.is_empty() {
        return Err(Error::usage(
            "no table to compare: give --table NAME --key COL, or [[data.table]] entries in \
             shadowdiff.toml",
        ));
    }
    let flag = (args.table.is_some() && from_flags).then_some("--table");
    check(config, &tables, flag)?;
    Ok(tables)
}

/// A `[[data.table]]` entry between the two stores.
fn spec(entry: &DataTableConfig, old: &SourceUrl, new: &SourceUrl) -> TableSpec {
    TableSpec {
        name: entry.name.clone(),
        old: TableSide {
            url: old.clone(),
            query: entry.old.clone(),
        },
        new: TableSide {
            url: new.clone(),
            query: entry.new.clone(),
        },
        key: entry.key.to_vec(),
        key_capture: entry.key_capture.clone(),
    }
}

/// Refuses a table without a one-word name or a key, one named twice, or a `key_capture` that
/// names no place or keys by more than one column; errors name `flag` when the table came from
/// it, else the file and line.
fn check(config: &Config, tables: &[TableSpec], flag: Option<&str>) -> Result<()> {
    for (i, table) in tables.iter().enumerate() {
        let key = format!("data.table[{i}]");
        let named = |why: String| -> Error {
            match flag {
                Some(flag) => Error::usage(format!("{flag} {}: {why}", table.name)),
                None => config.source(&key).error(&key, why),
            }
        };
        if table.name.trim().is_empty() || table.name.contains(char::is_whitespace) {
            return Err(named(format!(
                "`{}` is not a table name (one word: it is the route `table NAME`)",
                table.name
            )));
        }
        if table.key.is_empty() || table.key.iter().any(|k| k.trim().is_empty()) {
            return Err(named("the key names no column".to_string()));
        }
        if let Some(earlier) = tables[..i].iter().find(|t| t.name == table.name) {
            return Err(named(format!("table {} is named twice", earlier.name)));
        }
        if let Some(place) = &table.key_capture {
            if let Err(why) = place.parse::<CapturePlace>() {
                return Err(named(format!("key_capture: {why}")));
            }
            if table.key.len() != 1 {
                return Err(named(format!(
                    "key_capture needs a key of one column (the id each implementation chose), \
                     not {}",
                    table.key.join(", ")
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_filled_in_and_a_missing_one_is_named() {
        std::env::set_var("SHADOWDIFF_TEST_DATA_PASSWORD", "s3cr3t");
        assert_eq!(
            expand("postgres://app:${SHADOWDIFF_TEST_DATA_PASSWORD}@db/x").unwrap(),
            "postgres://app:s3cr3t@db/x"
        );
        assert_eq!(expand("sqlite:a.db").unwrap(), "sqlite:a.db");
        let err = expand("postgres://a:${SHADOWDIFF_TEST_UNSET_NAME}@h/d").unwrap_err();
        assert!(
            err.contains("${SHADOWDIFF_TEST_UNSET_NAME} is not set"),
            "{err}"
        );
        assert!(expand("x${open").is_err());
    }
}

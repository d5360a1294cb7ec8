//! Resolving `shadowdiff data`: the two stores and the tables from the flags, else from
//! `[data.old]`, `[data.new]` and `[[data.table]]` of shadowdiff.toml, with `${NAME}` in a URL
//! read from the environment.

use std::path::PathBuf;

use shadowdiff_core::Partition;
use shadowdiff_data::{SourceUrl, TableSide, TableSpec};

use crate::cli::DataArgs;
use crate::error::{Error, Result};

use super::file::{Config, DataTableConfig};
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
}

/// Resolves `shadowdiff data`.
pub fn data(args: &DataArgs) -> Result<DataSettings> {
    let config = Config::load(args.report.config.as_deref())?;
    if let Some(Partition::Count { .. }) = args.partition {
        return Err(Error::usage(
            "--partition: data is split by the hash of the key only; write hash:K/N",
        ));
    }
    let old = source(&config, "old", args.old.as_deref())?;
    let new = source(&config, "new", args.new.as_deref())?;
    let tables = tables(&config, args, &old, &new)?;
    Ok(DataSettings {
        report: resolve::report(&config, &args.report, args.out.as_deref())?,
        output: Output::of(&args.output),
        rules: resolve::rules(&config, args.rules.as_deref()),
        tables,
        partition: args.partition,
    })
}

/// A side's source: the flag, else `[data.ROLE] url`; required.
fn source(config: &Config, role: &str, flag: Option<&str>) -> Result<SourceUrl> {
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
    let expanded = expand(&text).map_err(|why| from.error(&key, why))?;
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
    let spec = |entry: &DataTableConfig| TableSpec {
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
    };
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
    for (i, table) in tables.iter().enumerate() {
        let key = format!("data.table[{i}]");
        let named = |why: String| -> Error {
            if args.table.is_some() && from_flags {
                Error::usage(format!("--table {}: {why}", table.name))
            } else {
                config.source(&key).error(&key, why)
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
    }
    Ok(tables)
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

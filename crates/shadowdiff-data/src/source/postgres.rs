//! `postgres://…`: the query's columns and types from preparing it, then its rows ordered by
//! key (text bytewise, `COLLATE "C"`; NULLs first) streamed from a cursor in a read-only
//! transaction, in text form so that every NUMERIC keeps its digits. Hash shards are not pushed
//! down (the shard hash is computed on the rows, the same on every engine).

use std::time::Duration;

use postgres::{Client, Config, SimpleQueryMessage};
use serde_json::Map;
use tokio_postgres_rustls::MakeRustlsConnect;

use shadowdiff_core::{Location, REDACTED};

use super::feed::{self, Sink};
use super::pg_tls;
use super::pg_value::PgType;
use super::{columns, sql, Column, Read, Row, RowSource, SourceUrl};
use crate::error::{Error, Result};

/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows fetched from the cursor, and sent from the reading thread, at a time.
const FETCH: usize = 2000;

/// The cursor's name.
const CURSOR: &str = "shadowdiff_rows_cursor";

/// The session settings the text forms are read under.
const SETTINGS: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; \
                        SET extra_float_digits = 1; SET bytea_output = 'hex'";

/// A server as errors name it: its URL shown, and its password kept out of every message.
struct Server {
    url: SourceUrl,
    password: Option<String>,
}

impl Server {
    /// `message` with the password, should a message quote it, replaced.
    fn scrub(&self, message: String) -> String {
        match &self.password {
            Some(password) if !password.is_empty() => message.replace(password.as_str(), REDACTED),
            _ => message,
        }
    }

    /// A failure of the server or the connection.
    fn failed(&self, message: impl Into<String>) -> Error {
        Error::source(&self.url, self.scrub(message.into()))
    }

    /// The error of a query's statement: the server's rejection of it (bad SQL, a missing
    /// table) is bad input at `at`, anything else a failed source.
    fn rejected(&self, at: Location, err: &postgres::Error) -> Error {
        match err.as_db_error() {
            Some(db) => {
                let mut message = format!("PostgreSQL rejects the query: {}", db.message());
                for (label, extra) in [("detail", db.detail()), ("hint", db.hint())] {
                    if let Some(extra) = extra {
                        message += &format!("; {label}: {extra}");
                    }
                }
                Error::input(at, self.scrub(message))
            }
            None => self.failed(format!("the connection failed: {err}")),
        }
    }
}

/// Opens `read` on the server at `given` (`url` is how it is shown).
pub(super) fn open(url: &SourceUrl, given: &str, read: &Read) -> Result<Box<dyn RowSource>> {
    let mut config: Config = given.parse().map_err(|err| {
        Error::usage(format!(
            "{url} is not a PostgreSQL URL the client takes: {err}"
        ))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    let server = Server {
        url: url.clone(),
        password: config
            .get_password()
            .map(|password| String::from_utf8_lossy(password).into_owned()),
    };
    let tls =
        pg_tls::connector().map_err(|err| server.failed(format!("cannot set up TLS: {err}")))?;
    let read = read.clone();
    let feed = feed::start(url, true, FETCH, move |sink| {
        read_rows(&server, &config, tls, &read, sink)
    })?;
    Ok(Box::new(feed))
}

/// Reads the rows on the reading thread: the columns first, then each row.
fn read_rows(
    server: &Server,
    config: &Config,
    tls: MakeRustlsConnect,
    read: &Read,
    sink: &mut Sink,
) -> Result<()> {
    let mut client: Client = config
        .connect(tls)
        .map_err(|err| server.failed(format!("cannot connect: {err}")))?;
    client
        .batch_execute(SETTINGS)
        .map_err(|err| server.failed(format!("cannot set the session up: {err}")))?;
    let query = sql::inner_query(read);
    let at = sql::location(&server.url, &query);
    let statement = client
        .prepare(&query)
        .map_err(|err| server.rejected(at.clone(), &err))?;
    let types: Vec<PgType> = statement
        .columns()
        .iter()
        .map(|column| PgType::of(column.type_()))
        .collect();
    let columns: Vec<Column> = statement
        .columns()
        .iter()
        .zip(&types)
        .map(|(column, ty)| Column {
            name: column.name().to_string(),
            kind: ty.kind(),
        })
        .collect();
    let keys = columns::key_positions(&columns, &read.key, &at)?;
    let order: Vec<String> = keys
        .iter()
        .map(|&i| order_term(&columns[i].name, statement.columns()[i].type_()))
        .collect();
    let mut wrapped = format!("SELECT * FROM ({query}) AS shadowdiff_rows");
    if !order.is_empty() {
        wrapped += &format!(" ORDER BY {}", order.join(", "));
    }
    let mut transaction = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|err| server.failed(format!("cannot start a transaction: {err}")))?;
    transaction
        .batch_execute(&format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {wrapped}"))
        .map_err(|err| server.rejected(at.clone(), &err))?;
    if !sink.columns(columns) {
        return Ok(());
    }
    let fetch = format!("FETCH FORWARD {FETCH} FROM {CURSOR}");
    let mut line = 0;
    loop {
        let messages = transaction
            .simple_query(&fetch)
            .map_err(|err| server.rejected(Location::line(at.path.clone(), line + 1), &err))?;
        let before = line;
        for message in messages {
            let SimpleQueryMessage::Row(row) = message else {
                continue;
            };
            line += 1;
            let values = types
                .iter()
                .enumerate()
                .map(|(i, ty)| row.try_get(i).map(|text| ty.json(text)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| server.failed(format!("row {line} of `{query}`: {err}")))?;
            let row = Row {
                values,
                extra: Map::new(),
                line,
            };
            if !sink.push(row) {
                return Ok(());
            }
        }
        if line == before {
            return Ok(());
        }
    }
}

/// A key column's `ORDER BY` term: text bytewise (`citext` as its text), NULLs first.
fn order_term(name: &str, ty: &postgres::types::Type) -> String {
    let quoted = sql::quote(name);
    let term = match ty.name() {
        "text" | "varchar" | "bpchar" | "name" => format!("{quoted} COLLATE \"C\""),
        "citext" => format!("({quoted})::text COLLATE \"C\""),
        _ => quoted,
    };
    format!("{term} NULLS FIRST")
}

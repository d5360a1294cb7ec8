//! `postgres://…`: the query's columns and types from preparing it, then its rows ordered by
//! key (text bytewise, `COLLATE "C"`; NULLs first) streamed from a cursor in a read-only
//! transaction, in text form so that every NUMERIC keeps its digits. Hash shards are not pushed
//! down (the shard hash is computed on the rows, the same on every engine). TLS as `sslmode`
//! and `sslrootcert` say (see [`super::pg_tls`]).

use std::time::Duration;

use postgres::types::{Kind, Type};
use postgres::{Client, Config, SimpleQueryMessage, Transaction};
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
    /// The server's URL, its password redacted.
    url: SourceUrl,
    /// The passwords to keep out of messages.
    secrets: Vec<String>,
}

impl Server {
    /// The server at `given`, shown as `url`: the password of the URL's user part and of its
    /// `password` parameter are kept out of messages, as written and as decoded.
    fn new(url: &SourceUrl, given: &str) -> Server {
        let mut secrets = Vec::new();
        if let Ok(parsed) = url::Url::parse(given) {
            if let Some(password) = parsed.password() {
                secrets.push(password.to_string());
                secrets.push(
                    percent_encoding::percent_decode_str(password)
                        .decode_utf8_lossy()
                        .into_owned(),
                );
            }
            secrets.extend(
                parsed
                    .query_pairs()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("password"))
                    .map(|(_, v)| v.into_owned()),
            );
        }
        if let Ok(config) = given.parse::<Config>() {
            secrets.extend(
                config
                    .get_password()
                    .map(|password| String::from_utf8_lossy(password).into_owned()),
            );
        }
        secrets.retain(|secret| !secret.is_empty());
        Server {
            url: url.clone(),
            secrets,
        }
    }

    /// `message` with every password, should a message quote one, replaced.
    fn scrub(&self, message: String) -> String {
        self.secrets.iter().fold(message, |message, secret| {
            message.replace(secret.as_str(), REDACTED)
        })
    }

    /// A failure of the server or the connection.
    fn failed(&self, message: impl Into<String>) -> Error {
        Error::source(&self.url, self.scrub(message.into()))
    }

    /// The error of a query's statement: the server's rejection of it (bad SQL, a missing
    /// table) is bad input at `at`, anything else a failed source.
    fn rejected(&self, at: Location, err: &postgres::Error) -> Error {
        match err.as_db_error() {
            Some(_) => Error::input(
                at,
                self.scrub(format!("PostgreSQL rejects the query: {}", describe(err))),
            ),
            None => self.failed(format!("the connection failed: {}", describe(err))),
        }
    }
}

/// What the client's error says: the server's message with its detail and hint, or the
/// client's error with its causes (the client's own text is only its kind, `db error`).
fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut message = format!("{}: {}", db.severity(), db.message());
        for (label, extra) in [("detail", db.detail()), ("hint", db.hint())] {
            if let Some(extra) = extra {
                message += &format!("; {label}: {extra}");
            }
        }
        return message;
    }
    let mut message = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        message += &format!(": {inner}");
        cause = inner.source();
    }
    message
}

/// Opens `read` on the server at `given` (`url` is how it is shown).
pub(super) fn open(url: &SourceUrl, given: &str, read: &Read) -> Result<Box<dyn RowSource>> {
    let server = Server::new(url, given);
    let tls = pg_tls::settings(given);
    let mut config: Config = tls.url.parse().map_err(|err| {
        Error::usage(server.scrub(format!(
            "{url} is not a PostgreSQL URL the client takes: {err}"
        )))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    let tls = pg_tls::connector(&tls)?;
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
        .map_err(|err| server.failed(format!("cannot connect: {}", describe(&err))))?;
    client
        .batch_execute(SETTINGS)
        .map_err(|err| server.failed(format!("cannot set the session up: {}", describe(&err))))?;
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
    let mut wrapped = sql::subquery(&query);
    if !order.is_empty() {
        wrapped += &format!(" ORDER BY {}", order.join(", "));
    }
    let mut transaction = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|err| server.failed(format!("cannot start a transaction: {}", describe(&err))))?;
    transaction
        .batch_execute(&format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {wrapped}"))
        .map_err(|err| server.rejected(at.clone(), &err))?;
    if !sink.columns(columns) {
        return Ok(());
    }
    stream(server, &mut transaction, &types, &query, &at, sink)
}

/// Sends the cursor's rows, fetched [`FETCH`] at a time, until the last or until the stream is
/// dropped.
fn stream(
    server: &Server,
    transaction: &mut Transaction<'_>,
    types: &[PgType],
    query: &str,
    at: &Location,
    sink: &mut Sink,
) -> Result<()> {
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
                .map_err(|err| {
                    server.failed(format!("row {line} of `{query}`: {}", describe(&err)))
                })?;
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

/// A key column's `ORDER BY` term: text bytewise (`citext` as its text, a domain as its base
/// type), NULLs first.
fn order_term(name: &str, ty: &Type) -> String {
    let quoted = sql::quote(name);
    let mut ty = ty;
    while let Kind::Domain(base) = ty.kind() {
        ty = base;
    }
    let term = match ty.name() {
        "text" | "varchar" | "bpchar" | "name" => format!("{quoted} COLLATE \"C\""),
        "citext" => format!("({quoted})::text COLLATE \"C\""),
        _ => quoted,
    };
    format!("{term} NULLS FIRST")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::open as open_source;
    use crate::testpg::TestPg;
    use crate::ColumnKind;
    use serde_json::{json, Value};

    fn reading(key: &[&str], query: Option<&str>) -> Read {
        Read {
            query: query.map(str::to_string),
            table: "t".into(),
            key: key.iter().map(|k| k.to_string()).collect(),
            partition: None,
        }
    }

    fn url_of(server: &TestPg) -> SourceUrl {
        server.url().parse().unwrap()
    }

    fn values(url: &SourceUrl, read: &Read) -> Vec<Vec<Value>> {
        open_source(url, read)
            .unwrap()
            .map(|row| row.unwrap().values)
            .collect()
    }

    #[test]
    fn every_type_is_bridged_and_rows_come_ordered_bytewise_nulls_first() {
        let Some(server) = TestPg::start() else {
            return;
        };
        server.execute(
            "CREATE TABLE t (id int, big bigint, price numeric, ratio float8, flag bool, \
             name text, data bytea, doc json, docb jsonb, at timestamptz, local timestamp, \
             day date, clock time, tags int4[], nothing text);
             INSERT INTO t VALUES (1, 9007199254740993, 12.340, 0.1, true, 'x', '\\x0102', \
             '{\"b\": 1, \"a\": [true]}', '{\"b\": 1}', '2024-01-02 03:04:05.5+00', \
             '2024-01-02 03:04:05.500', '2024-01-02', '03:04:05.25', '{1,NULL,3}', NULL);",
        );
        let url = url_of(&server);
        let source = open_source(&url, &reading(&["id"], None)).unwrap();
        assert!(source.ordered());
        use ColumnKind::*;
        let kinds: Vec<_> = source.columns().iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                Integer, Integer, Numeric, Float, Bool, Text, Bytes, Json, Json, Timestamp,
                Timestamp, Date, Time, Unknown, Text
            ]
        );
        let rows: Vec<Row> = source.map(Result::unwrap).collect();
        let row = &rows[0].values;
        assert_eq!(row[0], json!(1));
        assert_eq!(row[1].to_string(), "9007199254740993");
        assert_eq!(row[2].to_string(), "12.340");
        assert_eq!(row[3], json!(0.1));
        assert_eq!(row[4], json!(true));
        assert_eq!(row[5], json!("x"));
        assert_eq!(row[6], json!("AQI="));
        assert_eq!(row[7], json!(r#"{"b": 1, "a": [true]}"#));
        assert_eq!(row[8], json!(r#"{"b": 1}"#));
        assert_eq!(row[9], json!("2024-01-02T03:04:05.5Z"));
        assert_eq!(row[10], json!("2024-01-02T03:04:05.5Z"));
        assert_eq!(row[11], json!("2024-01-02"));
        assert_eq!(row[12], json!("03:04:05.25"));
        assert_eq!(row[13], json!([1, null, 3]));
        assert_eq!(row[14], Value::Null);

        server.execute(
            "CREATE DOMAIN code AS text; CREATE SCHEMA sales;
             CREATE TABLE sales.k (a int, b code COLLATE \"und-x-icu\");
             INSERT INTO sales.k VALUES (2, 'a'), (1, 'b'), (1, 'B'), (NULL, 'z'), (1, 'a'), (1, NULL);",
        );
        let read = Read {
            table: "sales.k".into(),
            ..reading(&["a", "b"], None)
        };
        let expected = [
            [Value::Null, json!("z")],
            [json!(1), Value::Null],
            [json!(1), json!("B")],
            [json!(1), json!("a")],
            [json!(1), json!("b")],
            [json!(2), json!("a")],
        ];
        assert_eq!(values(&url, &read), expected);
    }

    #[test]
    fn bad_sql_and_missing_key_columns_are_named_and_long_results_stream_in_order() {
        let Some(server) = TestPg::start() else {
            return;
        };
        server.execute("CREATE TABLE t (id int, name text);");
        let url = url_of(&server);
        let err = open_source(&url, &reading(&["id"], Some("SELECT * FROM nowhere")))
            .err()
            .unwrap();
        let text = err.to_string();
        assert!(matches!(err, Error::Core(_)), "{text}");
        assert!(
            text.contains("SELECT * FROM nowhere") && text.contains("\"nowhere\" does not exist"),
            "{text}"
        );
        let err = open_source(&url, &reading(&["nope"], None))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("key column `nope` is not in the result; its columns are id, name"),
            "{err}"
        );
        let query =
            "SELECT 20001 - n AS id, md5(n::text) AS hash FROM generate_series(1, 20000) n;";
        let mut next = 1;
        for row in open_source(&url, &reading(&["id"], Some(query))).unwrap() {
            let row = row.unwrap();
            assert_eq!(row.values[0], json!(next));
            assert_eq!(row.line, next);
            next += 1;
        }
        assert_eq!(next, 20001);
    }

    #[test]
    fn a_wrong_password_is_a_failed_source_that_does_not_show_it() {
        let Some(server) = TestPg::start() else {
            return;
        };
        server.execute(
            "CREATE ROLE app LOGIN PASSWORD 'right-pw'; CREATE TABLE t (id int); \
             INSERT INTO t VALUES (1); GRANT SELECT ON t TO app;",
        );
        server.require_passwords();
        let at = |password: &str| -> SourceUrl {
            server
                .url()
                .replace("shadowdiff@", &format!("app:{password}@"))
                .parse()
                .unwrap()
        };
        assert_eq!(
            values(&at("right-pw"), &reading(&["id"], None)),
            [[json!(1)]]
        );
        let err = open_source(&at("wrong-pw"), &reading(&["id"], None))
            .err()
            .unwrap();
        let text = err.to_string();
        assert!(matches!(err, Error::Source { .. }), "{text}");
        assert!(
            text.contains("cannot connect") && text.contains("password authentication failed"),
            "{text}"
        );
        assert!(!text.contains("wrong-pw"), "{text}");
    }

    #[test]
    fn sslmode_and_sslrootcert_mean_what_they_mean_to_libpq() {
        let Some(server) = TestPg::start() else {
            return;
        };
        let authority = server.enable_tls();
        let roots = format!("sslrootcert={}", authority.display());
        let query = "SELECT 1 AS id, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
        let with = |host: &str, params: &str| -> SourceUrl {
            let base = server
                .url()
                .replace("?sslmode=disable", "")
                .replace("127.0.0.1", host);
            let url = match params {
                "" => base,
                params => format!("{base}?{params}"),
            };
            url.parse().unwrap()
        };
        let connects = [
            ("127.0.0.1", String::new(), true),
            ("127.0.0.1", "sslmode=require".to_string(), true),
            ("127.0.0.1", "sslmode=disable".to_string(), false),
            ("127.0.0.1", format!("sslmode=verify-ca&{roots}"), true),
            ("localhost", format!("sslmode=verify-full&{roots}"), true),
        ];
        for (host, params, encrypted) in connects {
            let got = values(&with(host, &params), &reading(&["id"], Some(query)));
            assert_eq!(got, [[json!(1), json!(encrypted)]], "{host} {params}");
        }
        let refused = [
            (
                "127.0.0.1",
                "sslmode=verify-ca".to_string(),
                "UnknownIssuer",
            ),
            (
                "127.0.0.1",
                format!("sslmode=verify-full&{roots}"),
                "not valid for name",
            ),
        ];
        for (host, params, why) in refused {
            let err = open_source(&with(host, &params), &reading(&["id"], Some(query)))
                .err()
                .unwrap();
            let text = err.to_string();
            assert!(matches!(err, Error::Source { .. }), "{text}");
            assert!(text.contains(why), "{params}: {text}");
        }
    }

    #[test]
    fn passwords_are_scrubbed_as_written_and_as_decoded() {
        let given = "postgres://app:p%40ss@h/db?password=other";
        let server = Server::new(&given.parse().unwrap(), given);
        let message = server.scrub("p%40ss p@ss other".into());
        assert_eq!(message, format!("{REDACTED} {REDACTED} {REDACTED}"));
    }

    #[test]
    fn an_unreachable_server_is_a_failed_source_that_hides_the_password() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let url: SourceUrl = format!("postgres://app:s3cr3t-pw@127.0.0.1:{port}/db")
            .parse()
            .unwrap();
        let err = open_source(&url, &reading(&["id"], None)).err().unwrap();
        let text = err.to_string();
        assert!(matches!(err, Error::Source { .. }), "{text}");
        assert!(
            text.contains("cannot connect") && !text.contains("s3cr3t-pw"),
            "{text}"
        );
    }
}

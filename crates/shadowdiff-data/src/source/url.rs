//! A source named by URL: `sqlite:PATH`, `postgres://…` or `postgresql://…`, `PATH.csv`,
//! `PATH.jsonl` or `PATH.jsonl.zst`. Shown everywhere with its password redacted.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use shadowdiff_core::REDACTED;

/// A parsed source URL.
#[derive(Clone, PartialEq, Eq)]
pub enum SourceUrl {
    /// A SQLite database file.
    Sqlite {
        /// The file.
        path: PathBuf,
    },
    /// A PostgreSQL server.
    Postgres {
        /// The URL as given, password included: only the client sees it.
        url: String,
        /// The URL with its password replaced, for everything shown or written.
        shown: String,
    },
    /// A CSV export with a header row.
    Csv {
        /// The file.
        path: PathBuf,
    },
    /// A JSON Lines export, one object a row, plain or zstd-compressed.
    Jsonl {
        /// The file.
        path: PathBuf,
    },
}

impl FromStr for SourceUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<SourceUrl, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(
                    "`sqlite:` names no file; write sqlite:PATH, e.g. sqlite:old.db".into(),
                );
            }
            return Ok(SourceUrl::Sqlite { path: path.into() });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let parsed = url::Url::parse(text)
                .map_err(|err| format!("`{}` is not a PostgreSQL URL: {err}", redact(text)))?;
            return Ok(SourceUrl::Postgres {
                url: text.to_string(),
                shown: redact_parsed(parsed),
            });
        }
        let lower = text.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            return Ok(SourceUrl::Csv { path: text.into() });
        }
        if lower.ends_with(".jsonl") || lower.ends_with(".jsonl.zst") {
            return Ok(SourceUrl::Jsonl { path: text.into() });
        }
        Err(format!(
            "`{}` is not a source; write sqlite:PATH, postgres://USER@HOST/DB, PATH.csv, \
             PATH.jsonl or PATH.jsonl.zst",
            redact(text)
        ))
    }
}

/// A URL's text with any password replaced, parsed or not.
fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(parsed) => redact_parsed(parsed),
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://{REDACTED}{}", &text[..scheme], &text[at..])
            }
            _ => text.to_string(),
        },
    }
}

fn redact_parsed(mut parsed: url::Url) -> String {
    // The URL would percent-encode the marker's brackets; a plain stand-in is swapped for it.
    const STAND_IN: &str = "shadowdiff-redacted-value";
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(STAND_IN));
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let secret =
                k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword");
            (
                k.into_owned(),
                if secret {
                    STAND_IN.to_string()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    if !pairs.is_empty() {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string().replace(STAND_IN, REDACTED)
}

impl fmt::Display for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceUrl::Sqlite { path } => write!(f, "sqlite:{}", path.display()),
            SourceUrl::Postgres { shown, .. } => f.write_str(shown),
            SourceUrl::Csv { path } | SourceUrl::Jsonl { path } => write!(f, "{}", path.display()),
        }
    }
}

impl fmt::Debug for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_parses_and_passwords_never_show() {
        let pg: SourceUrl = "postgres://app:s3cr3t@db.internal:5433/orders?sslmode=require"
            .parse()
            .unwrap();
        assert_eq!(
            pg.to_string(),
            format!("postgres://app:{REDACTED}@db.internal:5433/orders?sslmode=require")
        );
        assert!(!format!("{pg:?}").contains("s3cr3t"));
        let query: SourceUrl = "postgresql://app@h/db?password=s3cr3t".parse().unwrap();
        assert!(!query.to_string().contains("s3cr3t"), "{query}");
        assert_eq!(
            "sqlite:old.db".parse::<SourceUrl>().unwrap(),
            SourceUrl::Sqlite {
                path: "old.db".into()
            }
        );
        assert!(matches!("rows.CSV".parse(), Ok(SourceUrl::Csv { .. })));
        assert!(matches!(
            "rows.jsonl.zst".parse(),
            Ok(SourceUrl::Jsonl { .. })
        ));
        let bad = "mysql://root:s3cr3t@h/db".parse::<SourceUrl>().unwrap_err();
        assert!(
            bad.contains("not a source") && !bad.contains("s3cr3t"),
            "{bad}"
        );
        assert!("sqlite:".parse::<SourceUrl>().is_err());
    }
}

//! The middle layer: `shadowdiff.toml` (or the file `--config` names), the project's run
//! settings, so that `shadowdiff run` alone does the configured job. Every value is checked for
//! range when the file is read, and errors name the file and the line of the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use shadowdiff_core::{Location, Origin};

use crate::error::{Error, Result};
use shadowdiff_replay::TargetConfig;

use super::defaults::defaults;
use super::lines::KeyLines;
use super::Source;

/// The settings of `shadowdiff.toml`; every key is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Recording files or folders (a string or a list).
    #[serde(default)]
    pub recordings: Option<Paths>,
    /// Comparator rules: a file or a folder.
    pub rules: Option<PathBuf>,
    /// The report folder.
    pub out: Option<PathBuf>,
    /// The snapshot of accepted differences (default `shadowdiff.snap`).
    pub snapshot: Option<PathBuf>,
    /// Exchanges in flight at most.
    pub concurrency: Option<usize>,
    /// Exchanges started per second at most.
    pub rate: Option<f64>,
    /// Per-request timeout: seconds, or a duration such as "500ms", "10s", "2m".
    pub timeout: Option<Duration>,
    /// Retries of a failed call that cannot repeat it (see `--retries`).
    pub retries: Option<u32>,
    /// The largest response body read, in bytes (see `--max-body-bytes`).
    pub max_body_bytes: Option<std::num::NonZeroU64>,
    /// Call the old target twice and count what differs as noise.
    pub noise_repeat: Option<bool>,
    /// Where a request's session is (`header:NAME`, ...): its exchanges replay in order.
    pub session: Option<String>,
    /// Which later exchanges see a captured value: "session" (default) or "run".
    pub capture_scope: Option<String>,
    /// `run`: compare the `[[data.table]]` entries of the two stores once the replay ends.
    pub check_data: Option<bool>,
    /// `old`, `new` and optionally `noise`.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetConfig>,
    /// The gate policy.
    #[serde(default)]
    pub gate: GateConfig,
    /// Noise thresholds.
    #[serde(default)]
    pub noise: NoiseConfig,
    /// Which exchanges replay.
    #[serde(default)]
    pub filter: FilterConfig,
    /// What is kept out of reports and the outcomes file.
    #[serde(default)]
    pub redact: RedactConfig,
    /// `shadowdiff data`: the two stores and the tables compared.
    #[serde(default)]
    pub data: DataConfig,
    /// The file these settings were read from (none: built-in defaults).
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The line of each key in that file.
    #[serde(skip)]
    pub lines: KeyLines,
}

/// `[redact]`: secrets beyond authorization, cookie, set-cookie and proxy-authorization.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactConfig {
    /// Header names whose values are redacted.
    #[serde(default)]
    pub headers: Vec<String>,
    /// JSON paths (the rule files' subset) of body fields whose values are redacted.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// `[data]`: `[data.old]`, `[data.new]` and `[[data.table]]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The old store.
    pub old: Option<DataSourceConfig>,
    /// The new store.
    pub new: Option<DataSourceConfig>,
    /// The tables compared.
    #[serde(default)]
    pub table: Vec<DataTableConfig>,
}

/// `[data.old]` or `[data.new]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSourceConfig {
    /// The source URL, `${NAME}` read from the environment.
    pub url: String,
}

/// `[[data.table]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTableConfig {
    /// The table: its route is `table NAME`.
    pub name: String,
    /// The key columns.
    pub key: Names,
    /// Old's query (default `SELECT * FROM NAME`).
    pub old: Option<String>,
    /// New's query (default `SELECT * FROM NAME`).
    pub new: Option<String>,
    /// Where a stateful run captured the key of rows its exchanges created (`$.id`): old's and
    /// new's keys are read as the recorded values they stand for, through the run's captures.
    pub key_capture: Option<String>,
}

/// One name or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Names {
    /// One name.
    One(String),
    /// Several, in order.
    Many(Vec<String>),
}

impl Names {
    /// The names, in order.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Names::One(name) => vec![name.clone()],
            Names::Many(names) => names.clone(),
        }
    }
}

/// One path or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    /// One path.
    One(PathBuf),
    /// Several, read in order.
    Many(Vec<PathBuf>),
}

impl Paths {
    /// The paths, in order.
    pub fn to_vec(&self) -> Vec<PathBuf> {
        match self {
            Paths::One(path) => vec![path.clone()],
            Paths::Many(paths) => paths.clone(),
        }
    }
}

/// A duration written as seconds or as text with a unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duration(pub std::time::Duration);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(f64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(seconds) => shadowdiff_core::seconds_duration(seconds)
                .map_err(|why| format!("{seconds:?} {why}")),
            Raw::Text(text) => shadowdiff_core::parse_duration(&text),
        }
        .map(Duration)
        .map_err(serde::de::Error::custom)
    }
}

/// `[gate]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// The largest share of compared exchanges that may differ.
    pub max_diff_rate: Option<f64>,
    /// The largest share of compared exchanges that may end in error.
    pub max_error_rate: Option<f64>,
    /// Routes with fewer compared exchanges are not judged.
    pub min_exchanges: Option<u64>,
    /// `[[gate.route]]`: limits for the routes matching a glob.
    #[serde(default)]
    pub route: Vec<GateRouteConfig>,
}

/// `[[gate.route]]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateRouteConfig {
    /// A route glob (`GET /orders/*`).
    #[serde(rename = "match")]
    pub matches: String,
    /// Overrides `[gate] max_diff_rate` for these routes.
    pub max_diff_rate: Option<f64>,
    /// Overrides `[gate] max_error_rate`.
    pub max_error_rate: Option<f64>,
    /// Overrides `[gate] min_exchanges`.
    pub min_exchanges: Option<u64>,
}

/// `[noise]`: when a signature counts as noise.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseConfig {
    /// The level of the sign test below which a signature old also shows against itself is
    /// still a real difference (default 0.01).
    pub significance: Option<f64>,
}

/// `[filter]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Route globs to replay.
    #[serde(default)]
    pub include_routes: Vec<String>,
    /// Route globs to skip.
    #[serde(default)]
    pub exclude_routes: Vec<String>,
    /// Methods to replay.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Tags an exchange must carry.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Methods beyond GET, HEAD and OPTIONS allowed on every route.
    #[serde(default)]
    pub allow_methods: Vec<String>,
}

impl Config {
    /// Reads `path`; `None` for `path` reads the table's `config` (shadowdiff.toml) when it
    /// exists, else gives no settings.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let default = defaults().config.as_path();
        let path = match path {
            Some(path) => path,
            None if default.exists() => default,
            None => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
        Config::parse(&text, path)
    }

    /// Parses the text of a config file and checks its values; errors name the file and line.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() as u64 + 1);
            let message = err.message().trim().replace("unknown field", "unknown key");
            Error::config(
                Location {
                    path: path.to_path_buf(),
                    line,
                },
                message,
            )
        })?;
        config.file = Some(path.to_path_buf());
        config.lines = KeyLines::of(text);
        if let Some(unknown) = config
            .targets
            .keys()
            .find(|name| !["old", "new", "noise"].contains(&name.as_str()))
        {
            return Err(Error::config(
                config.at(&format!("targets.{unknown}")),
                format!("unknown target `{unknown}`; expected [targets.old], [targets.new] or [targets.noise]"),
            ));
        }
        config.check()?;
        let origins: Vec<(String, Origin)> = config
            .targets
            .keys()
            .map(|role| (role.clone(), config.origin(&format!("targets.{role}"))))
            .collect();
        for (role, origin) in origins {
            if let Some(target) = config.targets.get_mut(&role) {
                target.origin = Some(origin);
            }
        }
        let base = path.parent().unwrap_or(Path::new(""));
        config.rebase(base);
        Ok(config)
    }

    /// Where the key at the dotted `path` is (`gate.route[0].match`): the file and its line, or
    /// the line of the nearest enclosing key.
    pub fn at(&self, path: &str) -> Location {
        Location {
            path: self
                .file
                .clone()
                .unwrap_or_else(|| defaults().config.clone()),
            line: self.lines.get(path),
        }
    }

    /// The source of the value at the dotted `path`: this file at the key's line.
    pub fn source(&self, path: &str) -> Source {
        let at = self.at(path);
        Source::File {
            path: at.path,
            line: at.line,
        }
    }

    /// The URL of `[data.ROLE]` (`old` or `new`), when the file gives one.
    pub fn data_source(&self, role: &str) -> Option<&str> {
        match role {
            "old" => self.data.old.as_ref(),
            _ => self.data.new.as_ref(),
        }
        .map(|source| source.url.as_str())
    }

    /// The value at `path` with its source, when the file gives one.
    pub fn given<T>(&self, path: &str, value: Option<T>) -> Option<(Source, T)> {
        value.map(|value| (self.source(path), value))
    }

    /// The origin of the table at `table` (`targets.old`), naming its keys' lines in errors.
    fn origin(&self, table: &str) -> Origin {
        let prefix = format!("{table}.");
        let mut lines: BTreeMap<String, u64> = self
            .lines
            .iter()
            .filter_map(|(key, line)| key.strip_prefix(&prefix).map(|k| (k.to_string(), line)))
            .collect();
        if let Some(line) = self.lines.get(table) {
            lines.insert(String::new(), line);
        }
        Origin::File {
            path: self.at(table).path,
            table: table.to_string(),
            lines,
        }
    }

    /// Checks every value for its range; the error names the key's line.
    fn check(&self) -> Result<()> {
        let fail = |key: &str, why: String| self.source(key).error(key, why);
        if let Some(concurrency) = self.concurrency {
            shadowdiff_core::at_least_one(concurrency as u64)
                .map_err(|why| fail("concurrency", why))?;
        }
        if let Some(rate) = self.rate {
            shadowdiff_core::per_second(rate).map_err(|why| fail("rate", why))?;
        }
        if let Some(retries) = self.retries {
            shadowdiff_core::retries(retries).map_err(|why| fail("retries", why))?;
        }
        let gate = &self.gate;
        let mut tables = vec![(
            "gate".to_string(),
            gate.max_diff_rate,
            gate.max_error_rate,
            gate.min_exchanges,
        )];
        tables.extend(gate.route.iter().enumerate().map(|(i, route)| {
            (
                format!("gate.route[{i}]"),
                route.max_diff_rate,
                route.max_error_rate,
                route.min_exchanges,
            )
        }));
        for (table, max_diff_rate, max_error_rate, min_exchanges) in tables {
            let key = |name: &str| format!("{table}.{name}");
            if let Some(rate) = max_diff_rate {
                shadowdiff_core::share(rate).map_err(|why| fail(&key("max_diff_rate"), why))?;
            }
            if let Some(rate) = max_error_rate {
                shadowdiff_core::share(rate).map_err(|why| fail(&key("max_error_rate"), why))?;
            }
            if let Some(count) = min_exchanges {
                shadowdiff_core::at_least_one(count)
                    .map_err(|why| fail(&key("min_exchanges"), why))?;
            }
        }
        if let Some(significance) = self.noise.significance {
            shadowdiff_core::share(significance).map_err(|why| fail("noise.significance", why))?;
        }
        Ok(())
    }

    /// Makes relative paths in the file relative to the file's folder.
    fn rebase(&mut self, base: &Path) {
        if base.as_os_str().is_empty() {
            return;
        }
        let join = |p: &PathBuf| {
            if p.is_relative() {
                base.join(p)
            } else {
                p.clone()
            }
        };
        self.recordings = self
            .recordings
            .as_ref()
            .map(|paths| Paths::Many(paths.to_vec().iter().map(join).collect()));
        self.rules = self.rules.as_ref().map(join);
        self.out = self.out.as_ref().map(join);
        self.snapshot = self.snapshot.as_ref().map(join);
        for source in [self.data.old.as_mut(), self.data.new.as_mut()]
            .into_iter()
            .flatten()
        {
            source.url = rebased_url(&source.url, base);
        }
    }
}

/// What a store's URL names a run's data folder of the role by: filled in when the stores are
/// compared, after a run.
pub const DATA_PLACEHOLDER: &str = "{data}";

/// A source URL whose file path is relative, made relative to `base`: `sqlite:PATH` and export
/// paths; server URLs and paths in a run's data folder are left as they are.
fn rebased_url(url: &str, base: &Path) -> String {
    let rebase = |path: &str| {
        if Path::new(path).is_relative() {
            base.join(path).display().to_string()
        } else {
            path.to_string()
        }
    };
    if let Some(path) = url.strip_prefix("sqlite:") {
        if !path.starts_with("//") && !path.starts_with(DATA_PLACEHOLDER) {
            return format!("sqlite:{}", rebase(path));
        }
        return url.to_string();
    }
    if url.contains("://") || url.starts_with(DATA_PLACEHOLDER) {
        return url.to_string();
    }
    rebase(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_config_parses() {
        let text = r#"
recordings = "recordings/"
rules = "comparators/"
concurrency = 8
timeout = "500ms"
noise_repeat = true
snapshot = "accepted.snap"

[targets.old]
start = "serve --port {port}"
ready = "/health"

[targets.new]
url = "http://127.0.0.1:9090"
headers.set = { authorization = "Bearer ${TOKEN}" }

[gate]
max_diff_rate = 0.01
min_exchanges = 20

[[gate.route]]
match = "GET /flaky/*"
max_diff_rate = 0.1

[redact]
headers = ["x-api-key"]
fields = ["$..token"]

[filter]
allow_methods = ["POST"]
tags = { source = "prod-eu" }
"#;
        let config = Config::parse(text, Path::new("shadowdiff.toml")).unwrap();
        assert_eq!(
            config.timeout,
            Some(Duration(std::time::Duration::from_millis(500)))
        );
        assert_eq!(
            config.targets["old"].start.as_deref(),
            Some("serve --port {port}")
        );
        assert_eq!(
            config.targets["new"].headers.set["authorization"],
            "Bearer ${TOKEN}"
        );
        assert_eq!(config.gate.max_diff_rate, Some(0.01));
        assert_eq!(config.gate.min_exchanges, Some(20));
        assert_eq!(config.gate.route[0].matches, "GET /flaky/*");
        assert_eq!(config.gate.route[0].max_diff_rate, Some(0.1));
        assert_eq!(config.redact.fields, ["$..token"]);
        assert_eq!(config.snapshot.as_deref(), Some(Path::new("accepted.snap")));
        assert_eq!(config.filter.tags["source"], "prod-eu");
        assert_eq!(config.noise_repeat, Some(true));
    }

    #[test]
    fn errors_name_file_and_line() {
        let err =
            Config::parse("concurrency = 4\nconcurency = 5\n", Path::new("s.toml")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("s.toml:2: unknown key `concurency`"),
            "{err}"
        );
        let err = Config::parse("[targets.older]\nurl = \"x\"\n", Path::new("s.toml")).unwrap_err();
        assert!(err.to_string().contains("unknown target `older`"), "{err}");
        let err = Config::parse("timeout = \"soon\"\n", Path::new("s.toml")).unwrap_err();
        assert!(err.to_string().starts_with("s.toml:1:"), "{err}");
    }

    #[test]
    fn values_out_of_range_name_the_file_and_line_of_the_key() {
        let cases = [
            ("concurrency = 0\n", "c.toml:1: concurrency: must be at least 1"),
            ("\nrate = -5\n", "c.toml:2: rate: -5 is not a rate"),
            ("rate = nan\n", "c.toml:1: rate: nan is not a rate"),
            ("retries = 11\n", "c.toml:1: retries: 11 is more than 10"),
            ("[noise]\nsignificance = nan\n", "c.toml:2: noise.significance: nan is not"),
            ("[noise]\nsignificance = 2\n", "c.toml:2: noise.significance: 2 is not between 0 and 1"),
            ("[gate]\nmax_error_rate = 1.5\n", "c.toml:2: gate.max_error_rate: 1.5 is not"),
            ("[gate]\nmin_exchanges = 0\n", "c.toml:2: gate.min_exchanges: must be at least 1"),
            (
                "[[gate.route]]\nmatch = \"a\"\n[[gate.route]]\nmatch = \"b\"\nmax_diff_rate = -1\n",
                "c.toml:5: gate.route[1].max_diff_rate: -1 is not between 0 and 1",
            ),
            ("timeout = \"1e30s\"\n", "c.toml:1: `1e30s` is not a duration"),
            ("timeout = 1e30\n", "c.toml:1: 1e30 is not a duration"),
            ("timeout = 90000\n", "c.toml:1: 90000.0 is longer than 24h"),
            ("\ntimeout = -1\n", "c.toml:2: -1.0 is not a duration"),
        ];
        for (text, expected) in cases {
            let err = Config::parse(text, Path::new("c.toml")).unwrap_err();
            assert!(err.to_string().starts_with(expected), "{text}: {err}");
            assert_eq!(crate::error::exit_code(&err), crate::error::exit::BAD_INPUT);
        }
    }

    #[test]
    fn targets_know_the_file_and_lines_they_came_from() {
        let text = "rate = 5\n[targets.new]\nurl = \"ftp://x\"\n";
        let config = Config::parse(text, Path::new("ci/other.toml")).unwrap();
        let origin = config.targets["new"].origin.clone().expect("origin");
        assert_eq!(
            origin.error("url", "bad").to_string(),
            "ci/other.toml:3: [targets.new] url: bad"
        );
        assert_eq!(config.at("rate"), Location::line("ci/other.toml", 1));
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let config = Config::parse("rules = \"c/\"\n", Path::new("proj/shadowdiff.toml")).unwrap();
        assert_eq!(config.rules, Some(PathBuf::from("proj/c/")));
    }

    #[test]
    fn data_sources_and_tables_parse_and_file_paths_follow_the_file() {
        let text = r#"
[data.old]
url = "sqlite:legacy.db"
[data.new]
url = "postgres://app:${PGPASSWORD}@db/orders"

[[data.table]]
name = "orders"
key = ["id", "line"]
old = "SELECT * FROM legacy_orders"

[[data.table]]
name = "customers"
key = "id"
"#;
        let config = Config::parse(text, Path::new("proj/shadowdiff.toml")).unwrap();
        assert_eq!(config.data.old.unwrap().url, "sqlite:proj/legacy.db");
        assert_eq!(
            config.data.new.unwrap().url,
            "postgres://app:${PGPASSWORD}@db/orders"
        );
        let tables = &config.data.table;
        assert_eq!(tables[0].key.to_vec(), ["id", "line"]);
        assert_eq!(
            tables[0].old.as_deref(),
            Some("SELECT * FROM legacy_orders")
        );
        assert_eq!(tables[1].key.to_vec(), ["id"]);
        assert_eq!(rebased_url("/abs/x.csv", Path::new("p")), "/abs/x.csv");
        assert_eq!(rebased_url("rows.jsonl", Path::new("p")), "p/rows.jsonl");
        let err = Config::parse(
            "[[data.table]]\nname = \"t\"\nkye = \"id\"\n",
            Path::new("s.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("s.toml:") && err.contains("kye"), "{err}");
    }
}

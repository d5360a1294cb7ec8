//! `shadowdiff.toml`: the project's run settings, so that `shadowdiff run` alone does the
//! configured job. Flags override the file; the file overrides built-in defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Location, Result};
use crate::replay::target::TargetConfig;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG: &str = "shadowdiff.toml";

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
        let text = match Raw::deserialize(deserializer)? {
            Raw::Seconds(seconds) => seconds.to_string(),
            Raw::Text(text) => text,
        };
        parse_duration(&text)
            .map(Duration)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses `250ms`, `10s`, `2m` or a plain number of seconds.
pub fn parse_duration(text: &str) -> std::result::Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 500ms, 10s or 2m"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("`{text}` must be a positive duration"));
    }
    Ok(std::time::Duration::from_secs_f64(value * scale))
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
    /// Reads `path`; `None` for `path` reads [`DEFAULT_CONFIG`] when it exists, else defaults.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let path = match path {
            Some(path) => path,
            None if Path::new(DEFAULT_CONFIG).exists() => Path::new(DEFAULT_CONFIG),
            None => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
        Config::parse(&text, path)
    }

    /// Parses the text of a config file; errors name the file and line.
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
        if let Some(unknown) = config
            .targets
            .keys()
            .find(|name| !["old", "new", "noise"].contains(&name.as_str()))
        {
            return Err(Error::config(
                Location::file(path),
                format!("unknown target `{unknown}`; expected [targets.old], [targets.new] or [targets.noise]"),
            ));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        config.rebase(base);
        Ok(config)
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
    }
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
    fn durations() {
        assert_eq!(
            parse_duration("250ms"),
            Ok(std::time::Duration::from_millis(250))
        );
        assert_eq!(
            parse_duration("2m"),
            Ok(std::time::Duration::from_secs(120))
        );
        assert_eq!(
            parse_duration("1.5"),
            Ok(std::time::Duration::from_millis(1500))
        );
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let config = Config::parse("rules = \"c/\"\n", Path::new("proj/shadowdiff.toml")).unwrap();
        assert_eq!(config.rules, Some(PathBuf::from("proj/c/")));
    }
}

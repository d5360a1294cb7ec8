//! Reading `comparators/*.toml` into a [`RuleSet`], with errors that name file, line and reason.
//!
//! A file has an optional `[defaults]` table and any number of `[[route]]` tables (README, "Comparator rules").
//! Every rule gets a [`RuleId`] labelled `FILE:LINE: WHAT` (`comparators/orders.toml:12: ignore
//! $.meta.requestId`); the built-in volatile headers share one labelled `built-in: volatile
//! header`. Label texts by rule:
//!
//! | key              | label after `FILE:LINE: `            |
//! |------------------|--------------------------------------|
//! | `ignore`         | `ignore $.path`                      |
//! | `unordered`      | `unordered $.path`                   |
//! | `keyed`          | `keyed $.path by field`              |
//! | `tolerance`      | `tolerance $.path 0.01` or `… 0.1%`  |
//! | `normalize`      | `normalize $.path "regex" -> "repl"` |
//! | `json`           | `json $.path`                        |
//! | `headers.ignore` | `headers.ignore name` (one per name) |
//! | `headers.only`   | `headers.only [a, b]`                |
//! | `status = false` | `status = false`                     |
//!
//! Merging: a route's body rules come before the defaults' (so a route's array rule wins at the
//! same path); its `status` and `headers.only` override the defaults'; ignored headers are the
//! union of the route's, the defaults' and the built-in ones, the first named winning. With
//! several files, `[defaults]` tables merge (lists concatenate; `status` or `headers.only` set
//! in two files is an error) and routes keep file order. A `normalize` entry without `replace`
//! deletes what its regex finds.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use bigdecimal::{BigDecimal, Signed as _};
use regex::Regex;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::{
    Action, BodyMatcher, BodyRule, PathPattern, RouteRules, RouteTemplate, RuleId, RuleSet,
    Tolerance, VOLATILE_HEADERS,
};
use crate::capture::CapturePlace;
use crate::error::{Error, Location, Result};

/// The label of the one rule that stands for all of [`VOLATILE_HEADERS`].
const BUILTIN_LABEL: &str = "built-in: volatile header";

/// The built-in rules: volatile headers ignored.
pub(super) fn builtin() -> RuleSet {
    assemble(Labels::new(), Table::default(), Vec::new())
}

/// Compiles the contents of rule files, in the given order.
pub(super) fn parse_files(files: &[(PathBuf, String)]) -> Result<RuleSet> {
    let mut labels = Labels::new();
    let mut defaults = Table::default();
    let mut routes: Vec<(RouteTemplate, Location, Table)> = Vec::new();
    for (path, text) in files {
        let source = Source::new(path, text);
        let doc = source.deserialize()?;
        if let Some(own) = doc.defaults {
            let own = source.compile(&mut labels, own.into())?;
            defaults.merge(own)?;
        }
        for route in doc.route {
            let span = route.span();
            let route = route.into_inner();
            let Some(text) = route.matches.clone() else {
                return Err(Error::config(
                    source.location(span.start),
                    "[[route]] has no `match`; expected a template such as \
                     match = \"GET /orders/{id}\"",
                ));
            };
            let location = source.location(text.span().start);
            let template = RouteTemplate::parse(text.get_ref()).map_err(|reason| {
                Error::config(
                    location.clone(),
                    format!("invalid route match {:?}: {reason}", text.get_ref()),
                )
            })?;
            if let Some((_, first, _)) = routes.iter().find(|(t, _, _)| t.same_shape(&template)) {
                return Err(Error::config(
                    location,
                    format!(
                        "duplicate route `{template}`: a route matching the same requests is \
                         already defined at {first}"
                    ),
                ));
            }
            let allow = route
                .allow
                .iter()
                .map(|method| {
                    allowed_method(method.get_ref()).map_err(|reason| {
                        Error::config(source.location(method.span().start), reason)
                    })
                })
                .collect::<Result<Vec<String>>>()?;
            let capture = route
                .capture
                .iter()
                .map(|place| {
                    place.get_ref().parse::<CapturePlace>().map_err(|reason| {
                        Error::config(
                            source.location(place.span().start),
                            format!("invalid capture: {reason}"),
                        )
                    })
                })
                .collect::<Result<Vec<CapturePlace>>>()?;
            let mut table = source.compile(&mut labels, route.into())?;
            table.allow = allow;
            table.capture = capture;
            routes.push((template, location, table));
        }
    }
    Ok(assemble(labels, defaults, routes))
}

/// A method named in `allow`, upper-cased; only methods that are not replayed by default make
/// sense there.
fn allowed_method(text: &str) -> std::result::Result<String, String> {
    let method = text.trim().to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(format!(
            "invalid method {text:?} in `allow`; expected a method such as \"POST\""
        ));
    }
    Ok(method)
}

/// Builds the rule set: built-in rules, then the defaults, then each route merged with them.
fn assemble(
    labels: Labels,
    defaults: Table,
    routes: Vec<(RouteTemplate, Location, Table)>,
) -> RuleSet {
    let builtin: Vec<(String, RuleId)> = VOLATILE_HEADERS
        .iter()
        .map(|name| (name.to_string(), Labels::BUILTIN))
        .collect();
    let routes = routes
        .into_iter()
        .map(|(template, _, own)| {
            let body = own
                .body
                .iter()
                .chain(&defaults.body)
                .cloned()
                .collect::<Vec<_>>();
            let headers_ignored =
                union(&[&own.headers_ignored, &defaults.headers_ignored, &builtin]);
            let headers_only = own
                .headers_only
                .as_ref()
                .or(defaults.headers_only.as_ref())
                .map(|(names, id, _)| (names.clone(), *id));
            let status = own.status.as_ref().or(defaults.status.as_ref());
            let rules = RouteRules {
                allow_methods: own.allow.clone(),
                captures: own.capture.clone(),
                status_ignored_by: status.and_then(|(_, id, _)| *id),
                headers_ignored,
                headers_only,
                body: BodyMatcher::new(body),
            };
            (template, rules)
        })
        .collect();
    let default_rules = RouteRules {
        allow_methods: Vec::new(),
        captures: Vec::new(),
        status_ignored_by: defaults.status.as_ref().and_then(|(_, id, _)| *id),
        headers_ignored: union(&[&defaults.headers_ignored, &builtin]),
        headers_only: defaults
            .headers_only
            .as_ref()
            .map(|(names, id, _)| (names.clone(), *id)),
        body: BodyMatcher::new(defaults.body),
    };
    RuleSet {
        labels: labels.0,
        defaults: default_rules,
        routes,
    }
}

/// Ignored headers from several sources, each name once, the first source naming it winning.
fn union(lists: &[&Vec<(String, RuleId)>]) -> Vec<(String, RuleId)> {
    let mut out: Vec<(String, RuleId)> = Vec::new();
    for (name, id) in lists.iter().flat_map(|list| list.iter()) {
        if !out.iter().any(|(seen, _)| seen == name) {
            out.push((name.clone(), *id));
        }
    }
    out
}

/// The labels of a rule set; index 0 is the built-in volatile headers rule.
struct Labels(Vec<String>);

impl Labels {
    const BUILTIN: RuleId = RuleId(0);

    fn new() -> Labels {
        Labels(vec![BUILTIN_LABEL.to_string()])
    }

    /// Adds a rule labelled `LOCATION: what`.
    fn add(&mut self, location: &Location, what: impl fmt::Display) -> RuleId {
        let id = RuleId(u32::try_from(self.0.len()).unwrap_or(u32::MAX));
        self.0.push(format!("{location}: {what}"));
        id
    }
}

/// The compiled rules of one `[defaults]` or `[[route]]` table, or of all `[defaults]` merged.
#[derive(Default)]
struct Table {
    body: Vec<BodyRule>,
    headers_ignored: Vec<(String, RuleId)>,
    /// The names, the rule, and where it was set.
    headers_only: Option<(Vec<String>, RuleId, Location)>,
    /// Whether status is compared, the rule when it is not, and where it was set.
    status: Option<(bool, Option<RuleId>, Location)>,
    /// Methods beyond GET, HEAD and OPTIONS that a route allows to replay.
    allow: Vec<String>,
    /// Places of the route's responses whose values later requests carry.
    capture: Vec<CapturePlace>,
}

impl Table {
    /// Adds another file's `[defaults]`; single-valued settings may be set only once.
    fn merge(&mut self, other: Table) -> Result<()> {
        self.body.extend(other.body);
        self.headers_ignored.extend(other.headers_ignored);
        if let Some(only) = other.headers_only {
            if let Some((_, _, first)) = &self.headers_only {
                return Err(Error::config(
                    only.2,
                    format!(
                        "`headers.only` is set in [defaults] here and at {first}; set it in one \
                         file only"
                    ),
                ));
            }
            self.headers_only = Some(only);
        }
        if let Some(status) = other.status {
            if let Some((_, _, first)) = &self.status {
                return Err(Error::config(
                    status.2,
                    format!(
                        "`status` is set in [defaults] here and at {first}; set it in one file \
                         only"
                    ),
                ));
            }
            self.status = Some(status);
        }
        Ok(())
    }
}

/// One rule file's text and name, for locating spans.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
    /// Byte offsets at which lines start.
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(path: &'a Path, text: &'a str) -> Source<'a> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Source {
            path,
            text,
            line_starts,
        }
    }

    /// The 1-based line holding byte `offset`.
    fn line(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index.max(1),
        }
    }

    fn location(&self, offset: usize) -> Location {
        Location::line(self.path, self.line(offset) as u64)
    }

    /// The text of the line holding byte `offset`.
    fn line_text(&self, offset: usize) -> &str {
        let index = self.line(offset) - 1;
        let start = self.line_starts.get(index).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text.get(start..end).unwrap_or("").trim()
    }

    /// Parses the TOML, first for syntax, then for the shape of a rule file.
    fn deserialize(&self) -> Result<FileDoc> {
        if let Err(error) = toml::from_str::<toml::Table>(self.text) {
            return Err(self.toml_error(&error, true));
        }
        toml::from_str::<FileDoc>(self.text).map_err(|error| self.toml_error(&error, false))
    }

    /// A TOML error as a config error on its line, reworded for rule-file authors.
    fn toml_error(&self, error: &toml::de::Error, syntax: bool) -> Error {
        let location = match error.span() {
            Some(span) => self.location(span.start),
            None => Location::file(self.path),
        };
        let message = error.message().trim().replace('\n', "; ");
        let message = if syntax {
            format!("invalid TOML: {message}")
        } else {
            let message = message
                .replace("unknown field", "unknown key")
                .replace("missing field", "missing key")
                .replace("expected a sequence", "expected a list")
                .replace("expected a map", "expected a table");
            let line = error.span().map_or("", |span| self.line_text(span.start));
            match message.strip_prefix("invalid type: ") {
                Some(rest) => {
                    let rest = rest
                        .replacen("sequence,", "list,", 1)
                        .replacen("map,", "table,", 1);
                    if line.starts_with("[[defaults") {
                        "`[[defaults]]` is an array of tables; write one `[defaults]` table"
                            .to_string()
                    } else if line == "[route]" {
                        format!("`{line}` is a single table; write `[[route]]` for each route")
                    } else {
                        match key_of(line) {
                            Some(key) => format!("invalid type for `{key}`: {rest}"),
                            None => format!("invalid type: {rest}"),
                        }
                    }
                }
                None => message,
            }
        };
        Error::config(location, message)
    }

    /// Compiles one table's rules, labelling each.
    fn compile(&self, labels: &mut Labels, doc: RulesDoc) -> Result<Table> {
        let mut table = Table::default();
        for path in doc.ignore {
            let (location, pattern) = self.pattern(&path)?;
            let id = labels.add(&location, format_args!("ignore {}", pattern.text));
            table.body.push(rule(pattern, Action::Ignore, id));
        }
        for path in doc.unordered {
            let (location, pattern) = self.pattern(&path)?;
            let id = labels.add(&location, format_args!("unordered {}", pattern.text));
            table.body.push(rule(pattern, Action::Unordered, id));
        }
        for path in doc.json {
            let (location, pattern) = self.pattern(&path)?;
            let id = labels.add(&location, format_args!("json {}", pattern.text));
            table.body.push(rule(pattern, Action::Json, id));
        }
        for (path, field) in doc.keyed.sorted() {
            let (location, pattern) = self.pattern(&path)?;
            if field.get_ref().trim().is_empty() {
                return Err(Error::config(
                    location,
                    format!(
                        "keyed field for {} is empty; expected the member that identifies an \
                         item, such as \"sku\"",
                        pattern.text
                    ),
                ));
            }
            let field = field.into_inner();
            let id = labels.add(&location, format_args!("keyed {} by {field}", pattern.text));
            table.body.push(rule(pattern, Action::Keyed(field), id));
        }
        for (path, value) in doc.tolerance.sorted() {
            let (location, pattern) = self.pattern(&path)?;
            let value_location = self.location(value.span().start);
            let (tolerance, shown) = tolerance(value.get_ref(), &pattern.text)
                .map_err(|reason| Error::config(value_location, reason))?;
            let id = labels.add(
                &location,
                format_args!("tolerance {} {shown}", pattern.text),
            );
            table
                .body
                .push(rule(pattern, Action::Tolerance(tolerance), id));
        }
        for entry in doc.normalize {
            let entry = entry.into_inner();
            let (location, pattern) = self.pattern(&entry.path)?;
            let regex = Regex::new(entry.regex.get_ref()).map_err(|error| {
                Error::config(
                    self.location(entry.regex.span().start),
                    format!(
                        "invalid regex {:?}: {}",
                        entry.regex.get_ref(),
                        regex_reason(&error)
                    ),
                )
            })?;
            let replace = entry.replace.map(Spanned::into_inner).unwrap_or_default();
            let id = labels.add(
                &location,
                format_args!(
                    "normalize {} \"{}\" -> \"{replace}\"",
                    pattern.text,
                    regex.as_str()
                ),
            );
            table
                .body
                .push(rule(pattern, Action::Normalize { regex, replace }, id));
        }
        if let Some(headers) = doc.headers {
            for name in headers.ignore {
                let location = self.location(name.span().start);
                let name = header_name(name.get_ref())
                    .map_err(|reason| Error::config(location.clone(), reason))?;
                let id = labels.add(&location, format_args!("headers.ignore {name}"));
                if !table.headers_ignored.iter().any(|(seen, _)| *seen == name) {
                    table.headers_ignored.push((name, id));
                }
            }
            if let Some(only) = headers.only {
                let location = self.location(only.span().start);
                let mut names: Vec<String> = Vec::new();
                for name in only.into_inner() {
                    let name = header_name(name.get_ref()).map_err(|reason| {
                        Error::config(self.location(name.span().start), reason)
                    })?;
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                let id = labels.add(
                    &location,
                    format_args!("headers.only [{}]", names.join(", ")),
                );
                table.headers_only = Some((names, id, location));
            }
        }
        if let Some(status) = doc.status {
            let location = self.location(status.span().start);
            let compared = *status.get_ref();
            let id = (!compared).then(|| labels.add(&location, "status = false"));
            table.status = Some((compared, id, location));
        }
        Ok(table)
    }

    /// Parses a path pattern, with the location of its text.
    fn pattern(&self, path: &Spanned<String>) -> Result<(Location, PathPattern)> {
        let location = self.location(path.span().start);
        match PathPattern::parse(path.get_ref()) {
            Ok(pattern) => Ok((location, pattern)),
            Err(reason) => Err(Error::config(
                location,
                format!("invalid path {:?}: {reason}", path.get_ref()),
            )),
        }
    }
}

fn rule(path: PathPattern, action: Action, id: RuleId) -> BodyRule {
    BodyRule { path, action, id }
}

/// A tolerance value checked, and the text that shows it in a label. The value is the decimal the
/// file wrote: a TOML float by its shortest form (`0.01`, not the double's expansion), a
/// percentage by its digits, so `"0.1%"` is exactly 0.001.
fn tolerance(value: &ToleranceDoc, path: &str) -> std::result::Result<(Tolerance, String), String> {
    let expected = "expected a number such as 0.01 or a percentage such as \"0.1%\"";
    match value {
        ToleranceDoc::Number(number) => {
            if !number.is_finite() {
                Err(format!(
                    "tolerance {number} for {path} is not a finite number; {expected}"
                ))
            } else if *number < 0.0 {
                Err(format!(
                    "tolerance {number} for {path} is negative; expected 0 or more"
                ))
            } else {
                let text = number.to_string();
                let exact = BigDecimal::from_str(&text).map_err(|err| {
                    format!("tolerance {number} for {path} is not a decimal ({err}); {expected}")
                })?;
                Ok((Tolerance::Absolute(exact), text))
            }
        }
        ToleranceDoc::Text(text) => {
            let percent = text
                .trim()
                .strip_suffix('%')
                .map(str::trim)
                .filter(|number| {
                    number.bytes().any(|b| b.is_ascii_digit())
                        && number
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
                })
                .and_then(|number| BigDecimal::from_str(number).ok());
            match percent {
                None => Err(format!(
                    "tolerance {text:?} for {path} is not a number or a percentage; {expected}"
                )),
                Some(number) if number.is_negative() => Err(format!(
                    "tolerance {text:?} for {path} is negative; expected 0% or more"
                )),
                Some(number) => {
                    let label = format!("{}%", number.normalized());
                    Ok((Tolerance::Relative(number / BigDecimal::from(100)), label))
                }
            }
        }
    }
}

/// The key of a `key = value` line, or the header of a `[table]` line.
fn key_of(line: &str) -> Option<&str> {
    if line.starts_with('[') {
        return line.split('#').next().map(str::trim);
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty()).then_some(key)
}

/// The one-line reason of a regex error.
fn regex_reason(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| text.lines().last().unwrap_or("").trim().to_string())
}

/// A header name checked against RFC 9110 token characters, in lower case.
fn header_name(name: &str) -> std::result::Result<String, String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
    if valid {
        Ok(name.to_ascii_lowercase())
    } else {
        Err(format!(
            "invalid header name {name:?}; expected letters, digits and !#$%&'*+-.^_`|~"
        ))
    }
}

/// A whole rule file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a rule file")]
struct FileDoc {
    #[serde(default)]
    defaults: Option<DefaultsDoc>,
    #[serde(default)]
    route: Vec<Spanned<RouteDoc>>,
}

/// `[defaults]`: every rule key but `match`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [defaults] table")]
struct DefaultsDoc {
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    unordered: Vec<Spanned<String>>,
    #[serde(default)]
    json: Vec<Spanned<String>>,
    #[serde(default)]
    keyed: Entries<Spanned<String>>,
    #[serde(default)]
    tolerance: Entries<Spanned<ToleranceDoc>>,
    #[serde(default)]
    normalize: Vec<Spanned<NormalizeDoc>>,
    #[serde(default)]
    headers: Option<HeadersDoc>,
    #[serde(default)]
    status: Option<Spanned<bool>>,
}

/// `[[route]]`: `match` and every rule key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[route]] table")]
struct RouteDoc {
    #[serde(rename = "match", default)]
    matches: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    capture: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    unordered: Vec<Spanned<String>>,
    #[serde(default)]
    json: Vec<Spanned<String>>,
    #[serde(default)]
    keyed: Entries<Spanned<String>>,
    #[serde(default)]
    tolerance: Entries<Spanned<ToleranceDoc>>,
    #[serde(default)]
    normalize: Vec<Spanned<NormalizeDoc>>,
    #[serde(default)]
    headers: Option<HeadersDoc>,
    #[serde(default)]
    status: Option<Spanned<bool>>,
}

/// The rule keys shared by `[defaults]` and `[[route]]`.
struct RulesDoc {
    ignore: Vec<Spanned<String>>,
    unordered: Vec<Spanned<String>>,
    json: Vec<Spanned<String>>,
    keyed: Entries<Spanned<String>>,
    tolerance: Entries<Spanned<ToleranceDoc>>,
    normalize: Vec<Spanned<NormalizeDoc>>,
    headers: Option<HeadersDoc>,
    status: Option<Spanned<bool>>,
}

impl From<DefaultsDoc> for RulesDoc {
    fn from(doc: DefaultsDoc) -> RulesDoc {
        RulesDoc {
            ignore: doc.ignore,
            unordered: doc.unordered,
            json: doc.json,
            keyed: doc.keyed,
            tolerance: doc.tolerance,
            normalize: doc.normalize,
            headers: doc.headers,
            status: doc.status,
        }
    }
}

impl From<RouteDoc> for RulesDoc {
    fn from(doc: RouteDoc) -> RulesDoc {
        RulesDoc {
            ignore: doc.ignore,
            unordered: doc.unordered,
            json: doc.json,
            keyed: doc.keyed,
            tolerance: doc.tolerance,
            normalize: doc.normalize,
            headers: doc.headers,
            status: doc.status,
        }
    }
}

/// `headers.ignore` and `headers.only`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a headers table")]
struct HeadersDoc {
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    only: Option<Spanned<Vec<Spanned<String>>>>,
}

/// One `normalize` entry.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { path = \"$..createdAt\", regex = \"\\\\.\\\\d+Z$\", replace = \"Z\" }"
)]
struct NormalizeDoc {
    path: Spanned<String>,
    regex: Spanned<String>,
    #[serde(default)]
    replace: Option<Spanned<String>>,
}

/// A tolerance as written: a number, or a string that should be a percentage.
enum ToleranceDoc {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for ToleranceDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct ToleranceVisitor;

        impl Visitor<'_> for ToleranceVisitor {
            type Value = ToleranceDoc;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number such as 0.01 or a percentage such as \"0.1%\"")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> std::result::Result<ToleranceDoc, E> {
                Ok(ToleranceDoc::Number(value as f64))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> std::result::Result<ToleranceDoc, E> {
                Ok(ToleranceDoc::Number(value as f64))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> std::result::Result<ToleranceDoc, E> {
                Ok(ToleranceDoc::Number(value))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> std::result::Result<ToleranceDoc, E> {
                Ok(ToleranceDoc::Text(value.to_string()))
            }
        }

        deserializer.deserialize_any(ToleranceVisitor)
    }
}

/// A table of `"$.path" = value` entries, keeping each key's position.
struct Entries<V>(Vec<(Spanned<String>, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<V> Entries<V> {
    /// The entries in the order they were written.
    fn sorted(mut self) -> Vec<(Spanned<String>, V)> {
        self.0.sort_by_key(|(key, _)| key.span().start);
        self.0
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct EntriesVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of \"$.path\" = value")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Entries<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Spanned<String>, V>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let source = Source::new(Path::new("x.toml"), "a\nbb\n\nc");
        let lines: Vec<usize> = (0..=8).map(|offset| source.line(offset)).collect();
        assert_eq!(lines, [1, 1, 2, 2, 2, 3, 4, 4, 4]);
        assert_eq!(source.line_text(3), "bb");
        assert_eq!(source.line_text(99), "c");
    }

    #[test]
    fn tolerances() {
        let ok = |doc: ToleranceDoc| tolerance(&doc, "$.a").map_err(|e| panic!("{e}")).ok();
        let decimal = |text: &str| BigDecimal::from_str(text).expect("decimal");
        assert_eq!(
            ok(ToleranceDoc::Number(0.01)),
            Some((Tolerance::Absolute(decimal("0.01")), "0.01".into()))
        );
        assert_eq!(
            ok(ToleranceDoc::Number(0.0)),
            Some((Tolerance::Absolute(decimal("0")), "0".into()))
        );
        assert_eq!(
            ok(ToleranceDoc::Text(" 50 % ".into())),
            Some((Tolerance::Relative(decimal("0.5")), "50%".into()))
        );
        assert_eq!(
            ok(ToleranceDoc::Text("0.1%".into())),
            Some((Tolerance::Relative(decimal("0.001")), "0.1%".into()))
        );
        for bad in ["abc%", "1", "%", "NaN%", "inf%", "", "1%%"] {
            let error = tolerance(&ToleranceDoc::Text(bad.into()), "$.a");
            assert!(error.is_err(), "{bad:?}");
        }
        assert!(tolerance(&ToleranceDoc::Number(-0.1), "$.a").is_err());
        assert!(tolerance(&ToleranceDoc::Number(f64::INFINITY), "$.a").is_err());
    }

    #[test]
    fn header_names() {
        assert_eq!(header_name("ETag"), Ok("etag".to_string()));
        assert!(header_name("").is_err());
        assert!(header_name("x y").is_err());
        assert!(header_name("x:y").is_err());
    }

    #[test]
    fn keys_of_lines() {
        assert_eq!(key_of("ignore = \"x\""), Some("ignore"));
        assert_eq!(key_of("headers.only = 3"), Some("headers.only"));
        assert_eq!(key_of("[route] # one"), Some("[route]"));
        assert_eq!(key_of("\"$.a\","), None);
    }

    #[test]
    fn regex_reasons_are_one_line() {
        let pattern = String::from("(");
        let error = Regex::new(&pattern).err().map(|e| regex_reason(&e));
        assert_eq!(error.as_deref(), Some("unclosed group"));
    }

    #[test]
    fn empty_input_is_builtin() {
        let rules = parse_files(&[]).map_err(|e| e.to_string());
        let rules = rules.as_ref().map(|r| r.labels.clone());
        assert_eq!(rules, Ok(vec![BUILTIN_LABEL.to_string()]));
        let rules = builtin();
        assert_eq!(rules.defaults.headers_ignored.len(), VOLATILE_HEADERS.len());
        assert!(rules.routes.is_empty());
    }
}

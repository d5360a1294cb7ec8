//! Comparator rules: `comparators/*.toml` compiled once into per-route matchers.
//!
//! A [`RuleSet`] knows every route template and the rules that apply to it. The engine asks it
//! for the [`RouteRules`] of a request and never looks at rule files itself. Each rule keeps a
//! [`RuleId`] whose label (`comparators/orders.toml:12: ignore $.meta.requestId`) says where it
//! came from, so a report can tell which rule hid which difference.

mod file;
mod matcher;
pub mod path;
mod route;

pub use matcher::{Action, BodyMatcher, BodyRule, MatchState, Tolerance};
pub use path::{PathPattern, Segment};
pub use route::{infer_route, RouteTemplate};

use std::path::{Path, PathBuf};

use crate::capture::CapturePlace;
use crate::error::Result;

/// Identifies one rule of a [`RuleSet`], so that a hidden difference can name the rule that hid it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

impl RuleId {
    /// The id of rules learned during a run rather than read from a file (see
    /// [`RouteRules::with_unordered`]); such rules never hide a difference, so no report names
    /// them.
    pub const LEARNED: RuleId = RuleId(u32::MAX);
}

/// The headers compared for every route unless the rules say otherwise: hop-by-hop headers and
/// headers whose values change on every response.
pub const VOLATILE_HEADERS: &[&str] = &[
    "age",
    "connection",
    "content-length",
    "date",
    "keep-alive",
    "proxy-connection",
    "server",
    "te",
    "traceparent",
    "tracestate",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-amzn-trace-id",
    "x-request-id",
];

/// The rules that apply to one route: the defaults merged with the route's own.
#[derive(Debug, Default)]
pub struct RouteRules {
    /// Methods beyond GET, HEAD and OPTIONS that may be replayed on this route (`allow`).
    pub allow_methods: Vec<String>,
    /// Places of this route's responses whose values later requests carry (`capture`).
    pub captures: Vec<CapturePlace>,
    /// Set when the status code is not compared, naming the rule that said so.
    pub status_ignored_by: Option<RuleId>,
    /// Lower-case header names that are not compared, each with the rule that said so.
    pub headers_ignored: Vec<(String, RuleId)>,
    /// When set, only these lower-case header names are compared; the rule is named for the rest.
    pub headers_only: Option<(Vec<String>, RuleId)>,
    /// Ignore, unordered, keyed, tolerance and normalisation rules over body paths.
    pub body: BodyMatcher,
}

impl RouteRules {
    /// These rules with the arrays at `paths` (JSONPath text, such as the erased places of
    /// `reordered` differences) compared as multisets too: how one exchange forgives the order
    /// that the old implementation itself did not keep. The added rules come after every rule of
    /// the files, so a file's own array rule still wins; they never hide anything, so they carry
    /// [`RuleId::LEARNED`].
    pub fn with_unordered<'p>(&self, paths: impl IntoIterator<Item = &'p str>) -> RouteRules {
        let mut rules = self.body.rules().to_vec();
        for path in paths {
            if let Ok(pattern) = PathPattern::parse(path) {
                rules.push(BodyRule {
                    path: pattern,
                    action: Action::Unordered,
                    id: RuleId::LEARNED,
                });
            }
        }
        RouteRules {
            allow_methods: self.allow_methods.clone(),
            captures: self.captures.clone(),
            status_ignored_by: self.status_ignored_by,
            headers_ignored: self.headers_ignored.clone(),
            headers_only: self.headers_only.clone(),
            body: BodyMatcher::new(rules),
        }
    }

    /// The rule that hides header `name` (lower case) from comparison, if any.
    pub fn header_ignored_by(&self, name: &str) -> Option<RuleId> {
        if let Some((only, rule)) = &self.headers_only {
            if !only.iter().any(|allowed| allowed == name) {
                return Some(*rule);
            }
        }
        self.headers_ignored
            .iter()
            .find(|(ignored, _)| ignored == name)
            .map(|(_, rule)| *rule)
    }
}

/// All comparator rules, compiled: route templates with their merged rules, and the defaults for
/// requests that match no template.
#[derive(Debug)]
pub struct RuleSet {
    labels: Vec<String>,
    defaults: RouteRules,
    routes: Vec<(RouteTemplate, RouteRules)>,
}

/// The route a request belongs to and the rules to compare it with.
#[derive(Debug)]
pub struct RouteMatch<'a> {
    /// `METHOD /path/{param}`: the matching template, or the inferred route.
    pub name: String,
    /// The rules for this route.
    pub rules: &'a RouteRules,
}

impl RuleSet {
    /// The built-in rules only: volatile headers ignored, everything else compared.
    pub fn builtin() -> RuleSet {
        file::builtin()
    }

    /// Compiles the texts of several rule files, in the order given (a folder's files in name
    /// order). Any problem is an error naming the file, the line and the reason.
    pub fn parse_files(files: &[(PathBuf, String)]) -> Result<RuleSet> {
        file::parse_files(files)
    }

    /// Compiles rules from TOML text; `origin` names the file in labels and errors.
    pub fn parse(text: &str, origin: &Path) -> Result<RuleSet> {
        file::parse_files(&[(origin.to_path_buf(), text.to_string())])
    }

    /// Whether some route's rules allow a method beyond the safe ones (`allow = [...]`).
    pub fn allows_writes(&self) -> bool {
        std::iter::once(&self.defaults)
            .chain(self.routes.iter().map(|(_, rules)| rules))
            .any(|rules| !rules.allow_methods.is_empty())
    }

    /// Whether some route captures values of its responses (`capture = [...]`).
    pub fn captures(&self) -> bool {
        self.routes
            .iter()
            .any(|(_, rules)| !rules.captures.is_empty())
    }

    /// Finds the route of a request: the most specific matching template, else the inferred route
    /// with the default rules.
    pub fn route(&self, method: &str, path: &str) -> RouteMatch<'_> {
        let best = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, (template, _))| template.matches(method, path))
            .max_by(|(ia, (a, _)), (ib, (b, _))| {
                a.specificity().cmp(&b.specificity()).then(ib.cmp(ia))
            });
        match best {
            Some((_, (template, rules))) => RouteMatch {
                name: template.to_string(),
                rules,
            },
            None => RouteMatch {
                name: infer_route(method, path),
                rules: &self.defaults,
            },
        }
    }

    /// The route of table `name`'s rows (`table NAME`) and its rules: the `[[route]]` whose
    /// `match` is `table NAME`, else the defaults.
    pub fn table(&self, name: &str) -> RouteMatch<'_> {
        let rules = self
            .routes
            .iter()
            .find(|(template, _)| template.matches_table(name))
            .map_or(&self.defaults, |(_, rules)| rules);
        RouteMatch {
            name: RouteTemplate::table(name).to_string(),
            rules,
        }
    }

    /// Where a rule came from and what it says, for reports.
    pub fn describe(&self, rule: RuleId) -> &str {
        self.labels
            .get(rule.0 as usize)
            .map(String::as_str)
            .unwrap_or("unknown rule")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_has_its_route_rules_or_the_defaults() {
        let rules = RuleSet::parse(
            r#"
[defaults]
ignore = ["$.meta"]

[[route]]
match = "table orders"
json = ["$.items"]
"#,
            Path::new("data.toml"),
        )
        .unwrap();
        let orders = rules.table("orders");
        assert_eq!(orders.name, "table orders");
        let kinds: Vec<String> = orders
            .rules
            .body
            .rules()
            .iter()
            .map(|rule| rules.describe(rule.id).to_string())
            .collect();
        assert_eq!(
            kinds,
            ["data.toml:7: json $.items", "data.toml:3: ignore $.meta"]
        );
        let other = rules.table("customers");
        assert_eq!(other.name, "table customers");
        assert_eq!(other.rules.body.rules().len(), 1);
        assert_eq!(rules.route("GET", "/orders").name, "GET /orders");
    }

    #[test]
    fn a_route_captures_the_places_it_names_and_a_bad_one_is_an_error_on_its_line() {
        let rules = RuleSet::parse(
            r#"
[[route]]
match = "POST /orders"
allow = ["POST"]
capture = ["$.id", "header:Location"]
"#,
            Path::new("orders.toml"),
        )
        .unwrap();
        assert!(rules.captures());
        let places: Vec<String> = rules
            .route("POST", "/orders")
            .rules
            .captures
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(places, ["$.id", "header:location"]);
        assert!(rules.route("GET", "/orders").rules.captures.is_empty());
        assert!(!RuleSet::builtin().captures());
        let error = RuleSet::parse(
            "[[route]]\nmatch = \"POST /orders\"\ncapture = [\n  \"id\",\n]\n",
            Path::new("orders.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("orders.toml:4: invalid capture: `id` is not a place to capture"),
            "{error}"
        );
    }
}

//! Rule files through the library: bad files fail with file, line and reason; good files compile
//! into routes, labels and merged rules as README's "Comparator rules" says.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::Project;
use shadowdiff_core::{RuleId, RuleSet};
use shadowdiff_io::{load_rules, Error};

/// A temporary `comparators/` folder.
struct Folder {
    project: Project,
    path: PathBuf,
}

impl Folder {
    fn new() -> Folder {
        let project = Project::new();
        let path = project.path().join("comparators");
        fs::create_dir(&path).expect("create comparators/");
        Folder { project, path }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        self.project.file(&format!("comparators/{name}"), text)
    }
}

/// Loads `text` as `orders.toml` and returns the error, which must be a config error at `line`.
fn error_at(text: &str, line: u64) -> String {
    let folder = Folder::new();
    let file = folder.write("orders.toml", text);
    let error = match load_rules(&file) {
        Ok(_) => panic!("should not load:\n{text}"),
        Err(error) => error,
    };
    let Error::Core(shadowdiff_core::Error::Config { location, message }) = &error else {
        panic!("expected a config error, got {error:?}");
    };
    assert_eq!(location.path, file, "{error}");
    assert_eq!(location.line, Some(line), "{error}");
    let shown = error.to_string();
    let prefix = format!("{}:{line}: ", file.display());
    assert!(
        shown.starts_with(&prefix),
        "{shown:?} should start with {prefix:?}"
    );
    assert!(!message.contains('\n'), "one line: {message:?}");
    message.clone()
}

fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "{message:?} should contain {part:?}"
        );
    }
}

fn labels(rules: &RuleSet) -> Vec<String> {
    (0..)
        .map(|index| rules.describe(RuleId(index)))
        .take_while(|label| *label != "unknown rule")
        .map(str::to_string)
        .collect()
}

fn load(folder: &Folder, name: &str, text: &str) -> (PathBuf, RuleSet) {
    let file = folder.write(name, text);
    match load_rules(&file) {
        Ok(rules) => (file, rules),
        Err(error) => panic!("should load: {error}"),
    }
}

#[test]
fn bad_path() {
    let message = error_at(
        "[[route]]\nmatch = \"GET /orders/{id}\"\nignore = [\n  \"$.ok\",\n  \"$.items[\",\n]\n",
        5,
    );
    assert_contains(
        &message,
        &[
            r#"invalid path "$.items[""#,
            "expected a quoted name, an index or `*`",
        ],
    );
}

#[test]
fn bad_path_in_table_key() {
    let message = error_at(
        "[[route]]\nmatch = \"/a\"\nkeyed = { \"items\" = \"sku\" }\n",
        3,
    );
    assert_contains(
        &message,
        &[r#"invalid path "items""#, "path must start with `$`"],
    );
}

#[test]
fn bad_regex() {
    let message = error_at(
        "[[route]]\nmatch = \"GET /orders/{id}\"\n\nnormalize = [\n  { path = \"$..createdAt\", regex = \"(\", replace = \"Z\" },\n]\n",
        5,
    );
    assert_contains(&message, &[r#"invalid regex "(""#, "unclosed group"]);
}

#[test]
fn unknown_key_at_top_level() {
    let message = error_at("[defaults]\nstatus = true\n\n[rout]\nmatch = \"/a\"\n", 4);
    assert_contains(
        &message,
        &["unknown key `rout`", "expected", "`defaults`", "`route`"],
    );
}

#[test]
fn unknown_key_in_route() {
    let message = error_at(
        "[[route]]\nmatch = \"GET /orders/{id}\"\nignroe = [\"$.a\"]\n",
        3,
    );
    assert_contains(
        &message,
        &["unknown key `ignroe`", "expected one of", "`ignore`"],
    );
}

#[test]
fn unknown_key_in_defaults() {
    let message = error_at(
        "[defaults]\nheaders.ignore = [\"date\"]\nstatsu = false\n",
        3,
    );
    assert_contains(&message, &["unknown key `statsu`", "`status`"]);
    let message = error_at("[defaults]\nheaders.ignroe = [\"date\"]\n", 2);
    assert_contains(&message, &["unknown key `ignroe`", "`ignore`", "`only`"]);
    let message = error_at("[defaults]\nmatch = \"/a\"\n", 2);
    assert_contains(&message, &["unknown key `match`"]);
}

#[test]
fn unknown_key_in_normalize() {
    let message = error_at(
        "[[route]]\nmatch = \"/a\"\nnormalize = [{ path = \"$.a\", regex = \"x\", replcae = \"y\" }]\n",
        3,
    );
    assert_contains(&message, &["unknown key `replcae`", "`replace`"]);
}

#[test]
fn bad_tolerance_string() {
    let message = error_at(
        "[[route]]\nmatch = \"/a\"\ntolerance = { \"$.total\" = 0.01, \"$..price\" = \"abc%\" }\n",
        3,
    );
    assert_contains(
        &message,
        &[
            r#"tolerance "abc%" for $..price is not a number or a percentage"#,
            "\"0.1%\"",
        ],
    );
    let message = error_at(
        "[[route]]\nmatch = \"/a\"\n[route.tolerance]\n\"$.a\" = 1\n\"$.b\" = \"0.5\"\n",
        5,
    );
    assert_contains(
        &message,
        &[r#"tolerance "0.5" for $.b is not a number or a percentage"#],
    );
    let message = error_at(
        "[[route]]\nmatch = \"/a\"\ntolerance = { \"$.a\" = true }\n",
        3,
    );
    assert_contains(&message, &["expected a number such as 0.01"]);
}

#[test]
fn negative_tolerance() {
    let message = error_at(
        "[[route]]\nmatch = \"/a\"\ntolerance = { \"$.total\" = -0.5 }\n",
        3,
    );
    assert_contains(&message, &["tolerance -0.5 for $.total is negative"]);
    let message = error_at("[defaults]\ntolerance = { \"$.total\" = \"-1%\" }\n", 2);
    assert_contains(&message, &[r#"tolerance "-1%" for $.total is negative"#]);
    let message = error_at("[defaults]\ntolerance = { \"$.total\" = nan }\n", 2);
    assert_contains(&message, &["is not a finite number"]);
}

#[test]
fn empty_keyed_field() {
    let message = error_at(
        "[[route]]\nmatch = \"/a\"\nkeyed = { \"$.items\" = \"\" }\n",
        3,
    );
    assert_contains(&message, &["keyed field for $.items is empty"]);
}

#[test]
fn invalid_route_match() {
    let message = error_at("[[route]]\nmatch = \"GET orders/{id}\"\n", 2);
    assert_contains(
        &message,
        &[
            r#"invalid route match "GET orders/{id}""#,
            "must start with `/`",
        ],
    );
    let message = error_at("[[route]]\nmatch = \"GET /orders/{id\"\n", 2);
    assert_contains(&message, &["unbalanced braces"]);
    let message = error_at("\n[[route]]\nignore = [\"$.a\"]\n", 2);
    assert_contains(&message, &["[[route]] has no `match`"]);
}

#[test]
fn duplicate_route() {
    let message = error_at(
        "[[route]]\nmatch = \"GET /orders/{id}\"\n\n[[route]]\nmatch = \"get /orders/{orderId}/\"\n",
        5,
    );
    assert_contains(
        &message,
        &["duplicate route `GET /orders/{orderId}`", "orders.toml:2"],
    );
}

#[test]
fn duplicate_route_across_files() {
    let folder = Folder::new();
    folder.write("a.toml", "[[route]]\nmatch = \"GET /x\"\n");
    let second = folder.write("b.toml", "\n\n[[route]]\nmatch = \"GET /x\"\n");
    let error = load_rules(&folder.path).expect_err("duplicate");
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("{}:4: duplicate route `GET /x`", second.display())));
    assert!(shown.contains("a.toml:2"), "{shown}");
}

#[test]
fn not_toml() {
    let message = error_at("[defaults]\nstatus = true\nthis is not toml\n", 3);
    assert_contains(&message, &["invalid TOML"]);
    let message = error_at("[[route]\nmatch = \"/a\"\n", 1);
    assert_contains(&message, &["invalid TOML"]);
    let message = error_at("[defaults]\nstatus = true\nstatus = false\n", 3);
    assert_contains(&message, &["invalid TOML", "duplicate key"]);
}

#[test]
fn wrong_type() {
    let message = error_at("[[route]]\nmatch = \"/a\"\nignore = \"x\"\n", 3);
    assert_contains(&message, &["invalid type for `ignore`", "expected a list"]);
    let message = error_at("[defaults]\nstatus = \"no\"\n", 2);
    assert_contains(
        &message,
        &["invalid type for `status`", "expected a boolean"],
    );
    let message = error_at("[defaults]\nignore = [1]\n", 2);
    assert_contains(&message, &["invalid type", "expected a string"]);
}

#[test]
fn bad_header_name() {
    let message = error_at("[defaults]\nheaders.ignore = [\"x request\"]\n", 2);
    assert_contains(&message, &[r#"invalid header name "x request""#]);
}

#[test]
fn defaults_in_two_files_cannot_both_set_status() {
    let folder = Folder::new();
    folder.write("a.toml", "[defaults]\nstatus = false\n");
    let second = folder.write(
        "b.toml",
        "[defaults]\nheaders.ignore = [\"etag\"]\nstatus = true\n",
    );
    let shown = load_rules(&folder.path).expect_err("conflict").to_string();
    assert!(
        shown.starts_with(&format!("{}:3: `status` is set", second.display())),
        "{shown}"
    );
    assert!(shown.contains("a.toml:2"), "{shown}");

    let folder = Folder::new();
    folder.write("a.toml", "[defaults]\nheaders.only = [\"content-type\"]\n");
    folder.write("b.toml", "[defaults]\nheaders.only = []\n");
    let shown = load_rules(&folder.path).expect_err("conflict").to_string();
    assert!(shown.contains("b.toml:2: `headers.only` is set"), "{shown}");
    assert!(shown.contains("a.toml:2"), "{shown}");
}

#[test]
fn missing_path_is_an_error_naming_it() {
    let folder = Folder::new();
    let missing = folder.path.join("nope.toml");
    let error = load_rules(&missing).expect_err("missing");
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("nope.toml"), "{error}");
}

const FULL: &str = r#"
[defaults]
headers.ignore = ["date", "Server", "x-request-id"]
status = true
ignore = ["$..traceId"]

[[route]]
match = "GET /orders/{id}"
ignore = ["$.meta.requestId", "$..updatedAt"]
unordered = ["$.tags"]
keyed = { "$.items" = "sku" }
tolerance = { "$.total" = 0.01, "$..price" = "0.1%" }
normalize = [{ path = "$..createdAt", regex = "\\.\\d+Z$", replace = "Z" }]
headers.ignore = ["ETag"]
status = false

[[route]]
match = "/health"
headers.only = ["content-type"]
"#;

#[test]
fn full_example_and_labels() {
    let folder = Folder::new();
    let (file, rules) = load(&folder, "orders.toml", FULL);
    let f = file.display();
    let expected = vec![
        "built-in: volatile header".to_string(),
        format!("{f}:5: ignore $..traceId"),
        format!("{f}:3: headers.ignore date"),
        format!("{f}:3: headers.ignore server"),
        format!("{f}:3: headers.ignore x-request-id"),
        format!("{f}:9: ignore $.meta.requestId"),
        format!("{f}:9: ignore $..updatedAt"),
        format!("{f}:10: unordered $.tags"),
        format!("{f}:11: keyed $.items by sku"),
        format!("{f}:12: tolerance $.total 0.01"),
        format!("{f}:12: tolerance $..price 0.1%"),
        format!("{f}:13: normalize $..createdAt \"\\.\\d+Z$\" -> \"Z\""),
        format!("{f}:14: headers.ignore etag"),
        format!("{f}:15: status = false"),
        format!("{f}:19: headers.only [content-type]"),
    ];
    assert_eq!(labels(&rules), expected);

    let order = rules.route("get", "/orders/42?x=1");
    assert_eq!(order.name, "GET /orders/{id}");
    let status = order.rules.status_ignored_by.expect("status ignored");
    assert_eq!(rules.describe(status), format!("{f}:15: status = false"));
    let etag = order.rules.header_ignored_by("etag").expect("etag ignored");
    assert_eq!(rules.describe(etag), format!("{f}:14: headers.ignore etag"));
    let date = order.rules.header_ignored_by("date").expect("date ignored");
    assert_eq!(rules.describe(date), format!("{f}:3: headers.ignore date"));
    let via = order.rules.header_ignored_by("via").expect("via ignored");
    assert_eq!(rules.describe(via), "built-in: volatile header");
    assert_eq!(order.rules.header_ignored_by("content-type"), None);
    assert!(order.rules.headers_only.is_none());

    let health = rules.route("HEAD", "/health/");
    assert_eq!(health.name, "/health");
    assert!(health.rules.status_ignored_by.is_none());
    let other = health.rules.header_ignored_by("x-custom").expect("only");
    assert_eq!(
        rules.describe(other),
        format!("{f}:19: headers.only [content-type]")
    );
    assert_eq!(health.rules.header_ignored_by("content-type"), None);

    let unmatched = rules.route("GET", "/customers/7");
    assert_eq!(unmatched.name, "GET /customers/{id}");
    assert!(unmatched.rules.status_ignored_by.is_none());
    assert!(unmatched.rules.header_ignored_by("etag").is_none());
    assert!(unmatched.rules.header_ignored_by("server").is_some());
}

#[test]
fn route_body_rules_come_before_defaults() {
    let folder = Folder::new();
    let (_, rules) = load(
        &folder,
        "orders.toml",
        "[defaults]\nunordered = [\"$.items\"]\n\n[[route]]\nmatch = \"/o\"\nkeyed = { \"$.items\" = \"sku\" }\n",
    );
    let body = format!("{:?}", rules.route("GET", "/o").rules.body);
    let keyed = body.find("Keyed").expect("keyed rule");
    let unordered = body.find("Unordered").expect("default rule");
    assert!(keyed < unordered, "{body}");
    let body = format!("{:?}", rules.route("GET", "/other").rules.body);
    assert!(
        body.contains("Unordered") && !body.contains("Keyed"),
        "{body}"
    );
}

#[test]
fn literal_route_beats_parameter_in_either_order() {
    for text in [
        "[[route]]\nmatch = \"GET /orders/{id}\"\n[[route]]\nmatch = \"GET /orders/summary\"\n",
        "[[route]]\nmatch = \"GET /orders/summary\"\n[[route]]\nmatch = \"GET /orders/{id}\"\n",
    ] {
        let folder = Folder::new();
        let (_, rules) = load(&folder, "routes.toml", text);
        assert_eq!(
            rules.route("GET", "/orders/summary").name,
            "GET /orders/summary"
        );
        assert_eq!(rules.route("GET", "/orders/12").name, "GET /orders/{id}");
        assert_eq!(rules.route("POST", "/orders/12").name, "POST /orders/{id}");
    }
}

#[test]
fn named_method_beats_any_method_and_ties_go_to_the_first() {
    let folder = Folder::new();
    let (_, rules) = load(
        &folder,
        "routes.toml",
        "[[route]]\nmatch = \"/orders/{id}\"\n[[route]]\nmatch = \"GET /orders/{id}\"\n[[route]]\nmatch = \"GET /{a}/{b}\"\n",
    );
    assert_eq!(rules.route("GET", "/orders/1").name, "GET /orders/{id}");
    assert_eq!(rules.route("PUT", "/orders/1").name, "/orders/{id}");
    assert_eq!(rules.route("GET", "/users/1").name, "GET /{a}/{b}");
}

#[test]
fn folder_loads_toml_files_in_name_order() {
    let folder = Folder::new();
    let b = folder.write("b.toml", "[defaults]\nignore = [\"$.b\"]\n");
    let a = folder.write(
        "a.toml",
        "[defaults]\nignore = [\"$.a\"]\n[[route]]\nmatch = \"/x\"\n",
    );
    folder.write("notes.txt", "not a rule file");
    folder.write("c.toml.bak", "not a rule file");
    fs::create_dir(folder.path.join("sub.toml")).expect("folder named like a rule file");
    let rules = load_rules(&folder.path).expect("loads");
    assert_eq!(
        labels(&rules),
        vec![
            "built-in: volatile header".to_string(),
            format!("{}:2: ignore $.a", a.display()),
            format!("{}:2: ignore $.b", b.display()),
        ]
    );
    let body = format!("{:?}", rules.route("GET", "/x").rules.body);
    assert!(body.contains("$.a") && body.contains("$.b"), "{body}");
}

#[test]
fn empty_folder_gives_builtin_rules() {
    let folder = Folder::new();
    let rules = load_rules(&folder.path).expect("loads");
    assert_eq!(labels(&rules), vec!["built-in: volatile header"]);
    let route = rules.route("GET", "/orders/1");
    assert_eq!(route.name, "GET /orders/{id}");
    assert!(route.rules.header_ignored_by("date").is_some());
    let builtin = RuleSet::builtin();
    assert_eq!(labels(&builtin), vec!["built-in: volatile header"]);
}

#[test]
fn header_ignores_are_a_union_of_route_defaults_and_builtin() {
    let folder = Folder::new();
    let first = folder.write("a.toml", "[defaults]\nheaders.ignore = [\"X-Trace\"]\n");
    let second = folder.write(
        "b.toml",
        "[defaults]\nheaders.ignore = [\"x-cache\"]\n\n[[route]]\nmatch = \"/o\"\nheaders.ignore = [\"etag\", \"x-trace\"]\n",
    );
    let rules = load_rules(&folder.path).expect("loads");
    let route = rules.route("GET", "/o");
    let by = |name: &str| {
        route
            .rules
            .header_ignored_by(name)
            .map(|id| rules.describe(id))
    };
    assert_eq!(
        by("etag"),
        Some(format!("{}:6: headers.ignore etag", second.display()).as_str())
    );
    assert_eq!(
        by("x-trace"),
        Some(format!("{}:6: headers.ignore x-trace", second.display()).as_str())
    );
    assert_eq!(
        by("x-cache"),
        Some(format!("{}:2: headers.ignore x-cache", second.display()).as_str())
    );
    assert_eq!(by("date"), Some("built-in: volatile header"));
    assert_eq!(by("content-type"), None);
    let unmatched = rules.route("GET", "/p");
    let by = |name: &str| {
        unmatched
            .rules
            .header_ignored_by(name)
            .map(|id| rules.describe(id))
    };
    assert_eq!(
        by("x-trace"),
        Some(format!("{}:2: headers.ignore x-trace", first.display()).as_str())
    );
    assert_eq!(by("etag"), None);
}

#[test]
fn route_status_overrides_defaults() {
    let folder = Folder::new();
    let (file, rules) = load(
        &folder,
        "s.toml",
        "[defaults]\nstatus = false\n[[route]]\nmatch = \"/strict\"\nstatus = true\n[[route]]\nmatch = \"/loose\"\n",
    );
    assert!(rules
        .route("GET", "/strict")
        .rules
        .status_ignored_by
        .is_none());
    let loose = rules
        .route("GET", "/loose")
        .rules
        .status_ignored_by
        .expect("ignored");
    assert_eq!(
        rules.describe(loose),
        format!("{}:2: status = false", file.display())
    );
    assert!(rules
        .route("GET", "/else")
        .rules
        .status_ignored_by
        .is_some());
}

#[test]
fn parse_names_the_origin() {
    let error =
        RuleSet::parse("[[route]]\nmatch = 3\n", Path::new("inline.toml")).expect_err("wrong type");
    assert!(
        error
            .to_string()
            .starts_with("inline.toml:2: invalid type for `match`"),
        "{error}"
    );
}

//! `suggested-rules.toml`: comparator rules that would silence the noise a run measured, for a
//! person to review and merge into `comparators/`: the verdict's suggestions, written out.

use std::fmt::Write as _;

use crate::snapshot::quote;
use crate::RuleSuggestion;

/// The suggestions as TOML text, or `None` when there are none (no signature is noise).
pub fn render(suggestions: &[RuleSuggestion]) -> Option<String> {
    if suggestions.is_empty() {
        return None;
    }
    let mut out = String::from(
        "# Rules that would silence the noise this run measured: places where the old\n\
         # implementation disagreed with itself about as often as with the new one.\n\
         # Review each before merging it into comparators/ (a route already listed there\n\
         # takes these keys in its existing [[route]] table).\n",
    );
    for route in suggestions {
        let _ = writeln!(out, "\n[[route]]\nmatch = {}", quote(&route.route));
        if !route.unordered.is_empty() {
            out.push_str("unordered = [\n");
            for place in &route.unordered {
                let _ = writeln!(
                    out,
                    "  {},  # elements only moved; old vs new: {} exchanges, old vs old: {}",
                    quote(&place.path),
                    place.count,
                    place.noise_count
                );
            }
            out.push_str("]\n");
        }
        if !route.ignore.is_empty() {
            out.push_str("ignore = [\n");
            for place in &route.ignore {
                let _ = writeln!(
                    out,
                    "  {},  # old vs new: {} exchanges, old vs old: {}",
                    quote(&place.path),
                    place.count,
                    place.noise_count
                );
            }
            out.push_str("]\n");
        }
        if !route.headers.is_empty() {
            let names: Vec<String> = route.headers.iter().map(|h| quote(h)).collect();
            let _ = writeln!(out, "headers.ignore = [{}]", names.join(", "));
        }
        if route.status {
            out.push_str("status = false  # the status code itself is noisy\n");
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::snapshot::quote;
    use crate::verdict::suggestions;
    use crate::{Counts, Report, RouteReport, SignatureReport, Verdict, SCHEMA};
    use shadowdiff_core::RuleSet;

    fn signature(text: &str, target: &str, path: Option<&str>, noise: bool) -> SignatureReport {
        SignatureReport {
            signature: text.into(),
            target: target.into(),
            path: path.map(String::from),
            kind: "changed".into(),
            count: 10,
            noise_count: 9,
            rate: 1.0,
            noise,
            accepted: false,
            accepted_rate: None,
            accepted_reason: None,
            failing: false,
            examples: vec![],
            samples: vec![],
            note: None,
        }
    }

    #[test]
    fn suggestions_parse_as_rules_and_cover_only_noise() {
        let report = Report {
            schema: SCHEMA.into(),
            verdict: Verdict::Pass,
            reasons: vec![],
            incomplete: false,
            missing_shards: vec![],
            totals: Counts::default(),
            ignored: vec![],
            routes: vec![RouteReport {
                route: "GET /orders/{id}".into(),
                counts: Counts::default(),
                signatures: vec![
                    signature(
                        "body $.meta['request id'] changed",
                        "body",
                        Some("$.meta['request id']"),
                        true,
                    ),
                    signature("body $.total changed", "body", Some("$.total"), false),
                    signature("header x-trace changed", "header", Some("x-trace"), true),
                    SignatureReport {
                        kind: "reordered".into(),
                        ..signature("body $.tags reordered", "body", Some("$.tags"), true)
                    },
                ],
                error_kinds: vec![],
                skip_reasons: vec![],
                not_run_reasons: vec![],
                ignored: vec![],
                unaccepted: 0,
                verdict: Verdict::Pass,
                reasons: vec![],
                latency: Default::default(),
            }],
            snapshot: None,
            targets: Default::default(),
            latency: Default::default(),
        };
        let text = super::render(&suggestions(&report)).unwrap();
        assert!(text.contains("\"$.meta['request id']\""), "{text}");
        assert!(!text.contains("$.total"), "{text}");
        let rules = RuleSet::parse(&text, std::path::Path::new("suggested-rules.toml")).unwrap();
        let route = rules.route("GET", "/orders/1");
        assert_eq!(route.name, "GET /orders/{id}");
        assert!(route.rules.header_ignored_by("x-trace").is_some());
        let unordered: Vec<&str> = route
            .rules
            .body
            .rules()
            .iter()
            .filter(|rule| matches!(rule.action, shadowdiff_core::Action::Unordered))
            .map(|rule| rule.path.text.as_str())
            .collect();
        assert_eq!(unordered, vec!["$.tags"], "{text}");
        let ignored: Vec<&str> = route
            .rules
            .body
            .rules()
            .iter()
            .filter(|rule| matches!(rule.action, shadowdiff_core::Action::Ignore))
            .map(|rule| rule.path.text.as_str())
            .collect();
        assert_eq!(ignored, vec!["$.meta['request id']"], "{text}");
    }

    #[test]
    fn nothing_to_suggest_without_noise() {
        let report = Report {
            schema: SCHEMA.into(),
            verdict: Verdict::Pass,
            reasons: vec![],
            incomplete: false,
            missing_shards: vec![],
            totals: Counts::default(),
            ignored: vec![],
            routes: vec![],
            snapshot: None,
            targets: Default::default(),
            latency: Default::default(),
        };
        assert_eq!(super::render(&suggestions(&report)), None);
    }

    #[test]
    fn strings_are_always_basic_strings() {
        // Paths of odd keys hold quotes and backslashes; they stay `"..."` strings.
        assert_eq!(quote("$['it\\'s']"), r#""$['it\\'s']""#);
        assert_eq!(quote("$['a\"b']"), r#""$['a\"b']""#);
        assert_eq!(quote("GET /orders/{id}"), r#""GET /orders/{id}""#);
        assert_eq!(quote("a\u{1}b"), r#""a\u0001b""#);
    }
}

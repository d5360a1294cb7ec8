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
    use crate::testutil::{noise, report_of, route};
    use crate::verdict::suggestions;
    use crate::{SignatureReport, Verdict};
    use shadowdiff_core::RuleSet;

    #[test]
    fn suggestions_parse_as_rules_and_cover_only_noise() {
        let report = report_of(vec![route(
            "GET /orders/{id}",
            Verdict::Pass,
            vec![
                noise(
                    "body $.meta['request id'] changed",
                    "body",
                    Some("$.meta['request id']"),
                    "changed",
                ),
                SignatureReport {
                    noise: false,
                    ..noise("body $.total changed", "body", Some("$.total"), "changed")
                },
                noise(
                    "header x-trace changed",
                    "header",
                    Some("x-trace"),
                    "changed",
                ),
                noise("body $.tags reordered", "body", Some("$.tags"), "reordered"),
            ],
        )]);
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
        let report = report_of(vec![]);
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

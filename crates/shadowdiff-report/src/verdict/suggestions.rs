//! Suggested rules, as data: for each route with noise signatures, the comparator rules that
//! would silence them (`render` writes them out as `suggested-rules.toml`).

use crate::document::{NoisyPath, Report, RuleSuggestion, SignatureReport};

/// The rules that would silence the noise of `report`, one suggestion per route with noise, in
/// route order; empty when no signature is noise.
pub fn suggestions(report: &Report) -> Vec<RuleSuggestion> {
    report
        .routes
        .iter()
        .filter_map(|route| {
            let noise: Vec<&SignatureReport> =
                route.signatures.iter().filter(|s| s.noise).collect();
            (!noise.is_empty()).then(|| suggestion(&route.route, &noise))
        })
        .collect()
}

/// The rules for one route's noise signatures.
fn suggestion(route: &str, noise: &[&SignatureReport]) -> RuleSuggestion {
    let noisy = |sig: &SignatureReport| {
        sig.path.as_ref().map(|path| NoisyPath {
            path: path.clone(),
            count: sig.count,
            noise_count: sig.noise_count,
        })
    };
    let unordered = noise
        .iter()
        .filter(|s| in_document(s) && s.kind == "reordered")
        .filter_map(|s| noisy(s))
        .collect();
    let mut ignore: Vec<NoisyPath> = Vec::new();
    for sig in noise
        .iter()
        .filter(|s| in_document(s) && s.kind != "reordered")
    {
        if let Some(place) = noisy(sig) {
            if !ignore.iter().any(|known| known.path == place.path) {
                ignore.push(place);
            }
        }
    }
    let mut headers: Vec<String> = noise
        .iter()
        .filter(|s| s.target == "header")
        .filter_map(|s| s.path.clone())
        .collect();
    headers.dedup();
    RuleSuggestion {
        route: route.to_string(),
        unordered,
        ignore,
        headers,
        status: noise.iter().any(|s| s.target == "status"),
    }
}

/// Whether a signature is a place in a body or a row, where body rules apply.
fn in_document(signature: &SignatureReport) -> bool {
    matches!(signature.target.as_str(), "body" | "field")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{noise, report_of, route};
    use crate::Verdict;

    fn report(routes: Vec<(&str, Vec<SignatureReport>)>) -> Report {
        report_of(
            routes
                .into_iter()
                .map(|(name, signatures)| route(name, Verdict::Pass, signatures))
                .collect(),
        )
    }

    #[test]
    fn each_route_with_noise_gets_rules_by_target_and_kind() {
        let real = SignatureReport {
            noise: false,
            ..noise("body $.total changed", "body", Some("$.total"), "changed")
        };
        let report = report(vec![
            (
                "GET /a",
                vec![
                    noise("body $.id changed", "body", Some("$.id"), "changed"),
                    noise("body $.id type", "body", Some("$.id"), "type"),
                    noise("body $.tags reordered", "body", Some("$.tags"), "reordered"),
                    noise("header date changed", "header", Some("date"), "changed"),
                    noise("header date removed", "header", Some("date"), "removed"),
                    noise("status changed", "status", None, "changed"),
                    real.clone(),
                ],
            ),
            ("GET /b", vec![real]),
        ]);
        let suggested = suggestions(&report);
        assert_eq!(suggested.len(), 1, "a route without noise gets nothing");
        let a = &suggested[0];
        assert_eq!(a.route, "GET /a");
        let paths = |places: &[NoisyPath]| -> Vec<String> {
            places.iter().map(|p| p.path.clone()).collect()
        };
        assert_eq!(paths(&a.unordered), ["$.tags"]);
        assert_eq!(paths(&a.ignore), ["$.id"], "each place once");
        assert_eq!((a.ignore[0].count, a.ignore[0].noise_count), (10, 9));
        assert_eq!(a.headers, ["date"]);
        assert!(a.status);
    }

    #[test]
    fn no_noise_no_suggestions() {
        assert!(suggestions(&report(vec![])).is_empty());
    }
}

//! The field tree of a route: its signatures grouped by where they are, `$` → `items[*]` →
//! `price` for bodies, `headers` → name, and `status`.

use crate::SignatureReport;

/// How many levels the tree has at most: below it, the rest of a path is one label, so a
/// difference in a body nested thousands of levels deep is neither a page of thousands of nested
/// lists nor a recursion that deep.
const MAX_TREE_DEPTH: usize = 32;

/// One place in the tree: a path segment, the signatures that end there (with their index in
/// the route), and the places below it, in the order the signatures list them.
pub struct Node<'a> {
    /// The segment as the path writes it (`items[*]`, `['a b']`).
    pub label: String,
    /// The signatures at exactly this place.
    pub signatures: Vec<(usize, &'a SignatureReport)>,
    /// The places below.
    pub children: Vec<Node<'a>>,
}

/// The tree of a route's signatures.
pub fn build(signatures: &[SignatureReport]) -> Vec<Node<'_>> {
    let mut roots: Vec<Node<'_>> = Vec::new();
    for (index, signature) in signatures.iter().enumerate() {
        let mut level = &mut roots;
        let segments = place(signature);
        let last = segments.len() - 1;
        for (depth, segment) in segments.into_iter().enumerate() {
            let position = match level.iter().position(|n| n.label == segment) {
                Some(position) => position,
                None => {
                    level.push(Node {
                        label: segment,
                        signatures: Vec::new(),
                        children: Vec::new(),
                    });
                    level.len() - 1
                }
            };
            if depth == last {
                level[position].signatures.push((index, signature));
            }
            level = &mut level[position].children;
        }
    }
    roots
}

/// The segments from the root to where a signature is, at most [`MAX_TREE_DEPTH`]; never empty.
fn place(signature: &SignatureReport) -> Vec<String> {
    match (signature.target.as_str(), &signature.path) {
        ("body" | "field", Some(path)) => {
            let mut segments = segments(path);
            if segments.len() > MAX_TREE_DEPTH {
                let rest = segments.split_off(MAX_TREE_DEPTH - 1);
                segments.push(joined(&rest));
            }
            segments
        }
        ("header", Some(name)) => vec!["headers".to_string(), name.clone()],
        (target, Some(path)) => vec![target.to_string(), path.clone()],
        (target, None) => vec![target.to_string()],
    }
}

/// The segments of an erased JSON path: `$.items[*].price` → `$`, `items[*]`, `price`. An
/// index belongs to the member before it; quoted members (`['a b']`) stay as written.
fn segments(path: &str) -> Vec<String> {
    let Some(rest) = path.strip_prefix('$') else {
        return vec![path.to_string()];
    };
    let mut out = vec!["$".to_string()];
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '.' || c == '[' {
                        break;
                    }
                    key.push(c);
                    chars.next();
                }
                out.push(key);
            }
            '[' => {
                let mut step = String::from("[");
                let (mut quoted, mut escaped) = (false, false);
                for c in chars.by_ref() {
                    step.push(c);
                    if escaped {
                        escaped = false;
                    } else if quoted {
                        match c {
                            '\\' => escaped = true,
                            '\'' => quoted = false,
                            _ => {}
                        }
                    } else if c == '\'' {
                        quoted = true;
                    } else if c == ']' {
                        break;
                    }
                }
                match out.last_mut() {
                    Some(last) if !step.starts_with("['") && last != "$" => last.push_str(&step),
                    _ => out.push(step),
                }
            }
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

/// Segments written back as the path writes them: `items[*]`, `['a b']`, `price` →
/// `items[*]['a b'].price`.
fn joined(segments: &[String]) -> String {
    let mut out = String::new();
    for segment in segments {
        if !out.is_empty() && !segment.starts_with('[') {
            out.push('.');
        }
        out.push_str(segment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_members_with_their_indices() {
        assert_eq!(segments("$.items[*].price"), ["$", "items[*]", "price"]);
        assert_eq!(segments("$"), ["$"]);
        assert_eq!(segments("$[*][*].at"), ["$", "[*][*]", "at"]);
        assert_eq!(
            segments("$['a.b']['it\\'s]'][*].x"),
            ["$", "['a.b']", "['it\\'s]'][*]", "x"]
        );
        assert_eq!(segments("weird"), ["weird"]);
    }

    #[test]
    fn a_path_deeper_than_the_tree_ends_in_one_label_holding_the_rest() {
        let path = format!("${}['x y'][*].v", ".a".repeat(10_000));
        let signatures = [signature("body", Some(&path), "changed")];
        let roots = build(&signatures);
        let mut level = &roots;
        let mut labels = Vec::new();
        while let [node] = level.as_slice() {
            labels.push(node.label.clone());
            level = &node.children;
        }
        assert_eq!(labels.len(), MAX_TREE_DEPTH);
        assert!(labels[..MAX_TREE_DEPTH - 1]
            .iter()
            .skip(1)
            .all(|l| l == "a"));
        let rest = format!(
            "{}['x y'][*].v",
            vec!["a"; 10_000 - (MAX_TREE_DEPTH - 2)].join(".")
        );
        assert_eq!(labels[MAX_TREE_DEPTH - 1], rest);
        let full: String = std::iter::once("$".to_string())
            .chain(labels[1..].iter().map(|l| format!(".{l}")))
            .collect();
        assert_eq!(full.replace(".['", "['"), path);
    }

    fn signature(target: &str, path: Option<&str>, kind: &str) -> SignatureReport {
        SignatureReport {
            signature: String::new(),
            target: target.into(),
            path: path.map(Into::into),
            kind: kind.into(),
            count: 1,
            noise_count: 0,
            rate: 0.5,
            noise: false,
            accepted: false,
            accepted_rate: None,
            accepted_reason: None,
            failing: true,
            examples: vec![],
            samples: vec![],
            note: None,
        }
    }

    #[test]
    fn signatures_nest_under_shared_segments() {
        let signatures = [
            signature("body", Some("$.items[*].price"), "changed"),
            signature("body", Some("$.items[*].sku"), "removed"),
            signature("body", Some("$.total"), "type"),
            signature("header", Some("etag"), "changed"),
            signature("status", None, "changed"),
        ];
        let roots = build(&signatures);
        let labels = |nodes: &[Node<'_>]| nodes.iter().map(|n| n.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&roots), ["$", "headers", "status"]);
        assert_eq!(labels(&roots[0].children), ["items[*]", "total"]);
        assert_eq!(labels(&roots[0].children[0].children), ["price", "sku"]);
        assert_eq!(roots[0].children[0].children[1].signatures[0].0, 1);
        assert_eq!(roots[2].signatures[0].0, 4);
    }
}

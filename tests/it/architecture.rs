//! docs/ARCHITECTURE.md matches the tree: it names every crate and every top-level module of
//! each (a file or a folder under `src/`), and every path it names exists.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{read_text, repo_root};

/// The paths the document names in backticks (`crates/...`, `src/...`, `tests/...`).
fn named_paths(text: &str) -> BTreeSet<String> {
    const ROOTS: &[&str] = &[
        "crates/",
        "src/",
        "tests/",
        "benches/",
        "examples/",
        "fuzz/",
        "recordings/",
        "comparators/",
        "docs/",
    ];
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| ROOTS.iter().any(|root| span.starts_with(root)))
        .filter(|span| !span.contains(' '))
        .map(str::to_string)
        .collect()
}

/// The top-level modules of a crate's `src/`, as `DIR/NAME.rs` or `DIR/NAME/`.
fn modules(src: &Path, relative: &str) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(src)
        .expect("a crate's src folder")
        .map(|entry| entry.expect("an entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            if path.is_dir() {
                Some(format!("{relative}/{name}/"))
            } else if name.ends_with(".rs") && !(name == "lib.rs" && relative != "src") {
                Some(format!("{relative}/{name}"))
            } else {
                None
            }
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_architecture_names_every_crate_and_module_and_nothing_that_is_gone() {
    let root = repo_root();
    let text = read_text(&root.join("docs/ARCHITECTURE.md"));
    let named = named_paths(&text);
    let missing: Vec<&String> = named
        .iter()
        .filter(|path| !root.join(path.trim_end_matches('/')).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );

    let mut unnamed = Vec::new();
    let mut crates: Vec<String> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    crates.sort();
    assert!(crates.len() >= 4, "{crates:?}");
    for name in &crates {
        let dir = format!("crates/{name}");
        if !named.contains(&dir) {
            unnamed.push(dir.clone());
        }
        unnamed.extend(
            modules(&root.join(&dir).join("src"), &format!("{dir}/src"))
                .into_iter()
                .filter(|module| !named.contains(module)),
        );
    }
    unnamed.extend(
        modules(&root.join("src"), "src")
            .into_iter()
            .filter(|module| !named.contains(module)),
    );
    assert!(
        unnamed.is_empty(),
        "docs/ARCHITECTURE.md does not name: {unnamed:?}"
    );
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = read_text(&path);
            found.push((path, text));
        }
    }
    found
}

#[test]
fn no_report_stage_imports_from_a_stage_after_it() {
    let src = repo_root().join("crates/shadowdiff-report/src");
    let stages = ["aggregate", "verdict", "render", "write"];
    let mut backwards = Vec::new();
    for (i, stage) in stages.iter().enumerate() {
        for (path, text) in sources(&src.join(stage)) {
            let code = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"));
            for line in code {
                for later in &stages[i + 1..] {
                    if line.contains(&format!("crate::{later}")) {
                        backwards.push(format!("{}: {}", path.display(), line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        backwards.is_empty(),
        "a stage imports from a later one: {backwards:#?}"
    );
}

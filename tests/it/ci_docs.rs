//! Keeps the CI documentation true. Every `shadowdiff` command line in the CI examples
//! (`examples/ci/*.yml`) and in the shell and YAML code blocks of README.md must parse with the
//! real command-line definition (`shadowdiff::Cli`); README.md must show each CI example
//! verbatim, so the two cannot drift apart; and the `shadowdiff.toml`, snapshot and pending-file
//! samples in README.md must parse as shadowdiff reads them.
//!
//! A command line is a line that starts with `shadowdiff` (after a YAML `- ` or `run:`), with
//! `\` continuations joined; `cargo run [--release] -- ARGS` counts as `shadowdiff ARGS`, and
//! `cargo install` lines are not commands. CI expressions and variables are replaced by plausible
//! values first (GitHub's `${{ ... }}` textually, before the shell sees the line, as GitHub does);
//! one this file does not know is an error, so a new one is added to the table below on purpose.
//! The line is split into words like a shell splits a simple line (quotes, via `shlex`) and cut
//! at the first operator (`||`, `&&`, `;`, `|`, `>`).
//!
//! YAML validity is not checked with a parser: no YAML crate is in Cargo.lock, and one is not
//! added for this. Only tabs, which YAML forbids in indentation, are looked for.

use std::path::Path;

use crate::common::{read_text, repo_root, Project};
use clap::Parser;
use shadowdiff::{Cli, Config};
use shadowdiff_report::{load_pending, Snapshot};

/// GitHub Actions expressions, replaced in the text before splitting.
const EXPRESSIONS: &[(&str, &str)] = &[("${{ matrix.shard }}", "1")];

/// Shell variables, replaced in each word after splitting (longest names first).
const VARIABLES: &[(&str, &str)] = &[
    ("CI_NODE_INDEX", "1"),
    ("CI_NODE_TOTAL", "3"),
    ("RUNNER_TEMP", "/tmp/runner"),
    ("PWD", "/builds/project"),
];

/// Code block languages whose lines are shell lines.
const SHELL_BLOCKS: &[&str] = &["sh", "bash", "shell", "console", "yaml", "yml"];

fn read(relative: &str) -> String {
    read_text(&repo_root().join(relative))
}

/// The CI examples, as paths relative to the crate root, in name order.
fn ci_files() -> Vec<String> {
    let dir = repo_root().join("examples/ci");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
        .map(|name| format!("examples/ci/{name}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no CI examples in {}", dir.display());
    files
}

/// A fenced code block of a Markdown text.
struct Block {
    /// The info string's first word (`sh`, `toml`, ...), empty when there is none.
    lang: String,
    /// The line number of the block's first content line.
    line: usize,
    /// The content, each line ending in a newline.
    body: String,
}

fn code_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match open.as_mut() {
            None if fence => {
                let info = line.trim_start().trim_start_matches('`').trim();
                open = Some(Block {
                    lang: info.split_whitespace().next().unwrap_or("").to_string(),
                    line: index + 2,
                    body: String::new(),
                });
            }
            None => {}
            Some(_) if fence => blocks.extend(open.take()),
            Some(block) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
        }
    }
    assert!(open.is_none(), "README.md: a code block is not closed");
    blocks
}

/// The `shadowdiff` command lines of a shell or YAML text whose first line is `first_line`:
/// (line number, the command from `shadowdiff` on, continuations joined).
fn command_lines(text: &str, first_line: usize) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let start = index;
        let mut line = lines[index].trim().to_string();
        while line.ends_with('\\') && index + 1 < lines.len() {
            line.pop();
            index += 1;
            line.push(' ');
            line.push_str(lines[index].trim());
        }
        index += 1;
        let mut command = line.as_str();
        if let Some(rest) = command.strip_prefix("- ") {
            command = rest.trim_start();
        }
        if let Some(rest) = command.strip_prefix("run:") {
            command = rest.trim_start();
        }
        let command = if command == "shadowdiff" || command.starts_with("shadowdiff ") {
            command.to_string()
        } else if let Some((_, args)) = command
            .strip_prefix("cargo run")
            .filter(|rest| !rest.contains("--example"))
            .and_then(|rest| rest.split_once(" -- "))
        {
            format!("shadowdiff {args}")
        } else {
            continue;
        };
        found.push((first_line + start, command));
    }
    found
}

/// Whether a word ends the command: a shell operator or a redirection.
fn is_operator(word: &str) -> bool {
    matches!(word, "||" | "&&" | "|" | ";" | "&")
        || word.starts_with('>')
        || word.starts_with("2>")
        || word.starts_with('<')
}

/// The words a shell would pass to shadowdiff, CI expressions and variables replaced.
fn words(command: &str) -> Result<Vec<String>, String> {
    let mut text = command.to_string();
    for (expression, value) in EXPRESSIONS {
        text = text.replace(expression, value);
    }
    if let Some(at) = text.find("${{") {
        return Err(format!(
            "unknown CI expression `{}`: add it to EXPRESSIONS in tests/it/ci_docs.rs",
            &text[at..text[at..].find("}}").map_or(text.len(), |end| at + end + 2)]
        ));
    }
    let split = shlex::split(&text).ok_or("unbalanced quotes")?;
    let mut words = Vec::new();
    for word in split {
        if is_operator(&word) {
            break;
        }
        let (word, last) = match word.strip_suffix(';') {
            Some(word) => (word.to_string(), true),
            None => (word, false),
        };
        words.push(expand(&word)?);
        if last {
            break;
        }
    }
    Ok(words)
}

/// Replaces `$NAME` and `${NAME}` for the names in [`VARIABLES`]; any other variable is an error.
/// A `$` not followed by a name (`$..token`, a JSONPath) is left alone, as a shell leaves it.
fn expand(word: &str) -> Result<String, String> {
    let mut word = word.to_string();
    for (name, value) in VARIABLES {
        word = word
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    let variable = word.char_indices().find(|&(at, c)| {
        c == '$'
            && word[at + 1..]
                .starts_with(|next: char| next == '{' || next == '_' || next.is_ascii_alphabetic())
    });
    match variable.map(|(at, _)| at) {
        Some(at) => Err(format!(
            "unknown variable in `{word}` at `{}`: add it to VARIABLES in tests/it/ci_docs.rs",
            &word[at..]
        )),
        None => Ok(word),
    }
}

/// Checks every command line of `text` (from `file`, starting at `first_line`) against the real
/// command-line definition; returns the commands checked, or the errors, each naming the file
/// and line.
fn check_text(file: &str, text: &str, first_line: usize) -> Result<Vec<Vec<String>>, Vec<String>> {
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for (line, command) in command_lines(text, first_line) {
        let parsed = words(&command).and_then(|words| {
            Cli::try_parse_from(&words)
                .map(|_| words)
                .map_err(|err| err.render().to_string().trim().to_string())
        });
        match parsed {
            Ok(words) => checked.push(words),
            Err(err) => errors.push(format!("{file}:{line}: `{command}`: {err}")),
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

fn fail_on(errors: Vec<String>) {
    if !errors.is_empty() {
        panic!(
            "{} documented command lines do not parse:\n\n{}",
            errors.len(),
            errors.join("\n\n")
        );
    }
}

#[test]
fn ci_example_commands_parse() {
    let mut errors = Vec::new();
    for file in ci_files() {
        match check_text(&file, &read(&file), 1) {
            Ok(commands) => {
                let has = |prefix: &[&str]| {
                    commands.iter().any(|words| {
                        let words = words.iter().skip(1).take(prefix.len());
                        words.map(String::as_str).eq(prefix.iter().copied())
                    })
                };
                assert!(
                    commands.iter().any(|words| words[1] == "run"
                        && words.iter().any(|w| w.starts_with("--partition"))),
                    "{file}: no `shadowdiff run --partition ...` found; is the extraction broken?"
                );
                assert!(
                    has(&["report", "merge"]),
                    "{file}: no `shadowdiff report merge` found; is the extraction broken?"
                );
            }
            Err(more) => errors.extend(more),
        }
    }
    fail_on(errors);
}

#[test]
fn readme_commands_parse() {
    let readme = read("README.md");
    let mut errors = Vec::new();
    let mut count = 0;
    for block in code_blocks(&readme) {
        if !SHELL_BLOCKS.contains(&block.lang.as_str()) {
            continue;
        }
        match check_text("README.md", &block.body, block.line) {
            Ok(commands) => count += commands.len(),
            Err(more) => errors.extend(more),
        }
    }
    fail_on(errors);
    assert!(count >= 5, "only {count} commands found in README.md");
}

#[test]
fn readme_shows_each_ci_example_verbatim() {
    let readme = read("README.md");
    let blocks = code_blocks(&readme);
    for file in ci_files() {
        let text = read(&file);
        assert!(
            blocks.iter().any(|block| block.body == text),
            "README.md does not show {file} verbatim: copy the file into a ```yaml block \
             (the first line names the file)"
        );
    }
    for block in &blocks {
        let Some(rest) = block.body.strip_prefix("# examples/ci/") else {
            continue;
        };
        let name = rest.split(':').next().unwrap_or(rest).trim();
        let file = format!("examples/ci/{name}");
        assert!(
            repo_root().join(&file).exists(),
            "README.md:{}: the block names {file}, which does not exist",
            block.line
        );
        assert!(
            block.body == read(&file),
            "README.md:{}: the block differs from {file}; the file is what users copy, keep the \
             two equal",
            block.line
        );
    }
}

#[test]
fn readme_toml_samples_parse() {
    let readme = read("README.md");
    let dir = Project::new();
    let mut configs = 0;
    let mut snapshots = 0;
    for block in code_blocks(&readme) {
        if block.lang != "toml" {
            continue;
        }
        let place = format!("README.md:{}", block.line);
        let body = &block.body;
        if body.contains("[[route]]") || body.contains("[defaults]") {
            // Comparator rules; tests/it/rules_files.rs covers their format.
        } else if body.contains("[[accepted]]") {
            Snapshot::parse(body, Path::new(&place)).unwrap_or_else(|err| panic!("{err}"));
            snapshots += 1;
        } else if body.contains("[[pending]]") {
            let snapshot = dir.path().join("shadowdiff.snap");
            std::fs::write(dir.path().join("shadowdiff.snap.new"), body).unwrap();
            let pending = load_pending(&snapshot).unwrap_or_else(|err| panic!("{place}: {err}"));
            assert!(!pending.is_empty(), "{place}: no pending change read");
        } else {
            Config::parse(body, Path::new(&place)).unwrap_or_else(|err| panic!("{err}"));
            configs += 1;
        }
    }
    assert!(configs >= 2, "only {configs} shadowdiff.toml samples found");
    assert!(snapshots >= 1, "no snapshot sample found");
}

#[test]
fn ci_examples_have_no_tabs() {
    for file in ci_files() {
        for (index, line) in read(&file).lines().enumerate() {
            assert!(
                !line.contains('\t'),
                "{file}:{}: a tab; YAML indents with spaces",
                index + 1
            );
        }
    }
}

#[test]
fn a_wrong_command_line_is_caught_with_its_file_and_line() {
    let yaml = "\
steps:
  - run: |
      shadowdiff run --partition hash:${{ matrix.shard }}/3 \\
        --max-diff-rat 0.1 || code=$?
      shadowdiff report merge shard-1 --out merged
      shadowdiff run --partition hash:4/3
      - shadowdiff diff a b --out \"$UNKNOWN_DIR\"
      shadowdiff run --out shard-${{ matrix.nope }}
      shadowdiff accept --reason 'unclosed
";
    let errors = check_text("example.yml", yaml, 1).unwrap_err();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(
        errors[0].starts_with("example.yml:3: ") && errors[0].contains("--max-diff-rat"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with("example.yml:6: ") && errors[1].contains("hash:4/3"),
        "{}",
        errors[1]
    );
    assert!(errors[2].starts_with("example.yml:7: ") && errors[2].contains("$UNKNOWN_DIR"));
    assert!(errors[3].starts_with("example.yml:8: ") && errors[3].contains("matrix.nope"));
    assert!(errors[4].starts_with("example.yml:9: ") && errors[4].contains("quotes"));
    let fine = "- shadowdiff run --partition \"hash:$CI_NODE_INDEX/3\" --out \"shard-$CI_NODE_INDEX\" || code=$?\n";
    let checked = check_text("gitlab.yml", fine, 1).unwrap();
    assert_eq!(
        checked,
        [[
            "shadowdiff",
            "run",
            "--partition",
            "hash:1/3",
            "--out",
            "shard-1"
        ]]
    );
}

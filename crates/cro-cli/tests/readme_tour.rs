//! The README's shell examples, run on `cro --demo`: each must exit 0 and show data (on stdout,
//! or in the file it writes). The commands are read from README.md itself, so the tour and
//! the tool cannot drift apart. Commands that need real credentials or change stored logins
//! are listed in [`NEEDS_REAL_CREDENTIALS`], and that list is checked against the README too.

mod common;

use common::{cro, tempdir};

/// README commands not run on the demo, with the reason.
const NEEDS_REAL_CREDENTIALS: &[(&str, &str)] = &[
    (
        "CRO_CLIENT_SECRET=... cro auth login",
        "opens a browser against a real identity provider",
    ),
    (
        "cro export customers --profile prod",
        "needs the `prod` profile of the reader's config file",
    ),
    ("cro auth logout", "removes a stored login"),
    (
        "cro sync --to postgres://me:secret@db.internal:5432/cro --resources customers,jobs",
        "needs the reader's PostgreSQL server (tests/sync.rs covers PostgreSQL on loopback)",
    ),
];

/// The `cro` command lines of the README's `sh` blocks, comments removed. `cargo run ... --
/// ARGS` lines count as `cro ARGS`.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        let trimmed = line.trim();
        if let Some(lang) = trimmed.strip_prefix("```") {
            in_sh = !in_sh && (lang == "sh" || lang == "bash" || lang == "shell");
            continue;
        }
        if !in_sh {
            continue;
        }
        let command = match trimmed.find(" #") {
            Some(i) => trimmed[..i].trim_end(),
            None => trimmed,
        };
        if let Some((_, args)) = command
            .strip_prefix("cargo run")
            .and_then(|rest| rest.split_once(" -- "))
        {
            commands.push(format!("cro {}", args.trim()));
        } else if command.starts_with("cro ") || command.contains(" cro ") {
            commands.push(command.to_string());
        }
    }
    commands
}

/// Whitespace-separated words with '...' and "..." quoting (enough for README examples).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        out.push(word);
    }
    out
}

#[test]
fn the_readme_has_a_tour_and_the_skip_list_is_current() {
    let commands = readme_commands();
    assert!(
        commands.len() >= 10,
        "expected the tour's commands, found {commands:?}"
    );
    for (skipped, _) in NEEDS_REAL_CREDENTIALS {
        assert!(
            commands.iter().any(|c| c == skipped),
            "`{skipped}` is no longer in README.md; remove it from NEEDS_REAL_CREDENTIALS"
        );
    }
}

#[test]
fn every_readme_command_runs_on_the_demo() {
    let mut ran = 0;
    for line in readme_commands() {
        if NEEDS_REAL_CREDENTIALS.iter().any(|(c, _)| *c == line) {
            continue;
        }
        let mut args = words(&line);
        assert_eq!(args.remove(0), "cro", "{line}");
        if !args.iter().any(|a| a == "--demo") {
            args.insert(0, "--demo".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cfg = tempdir();
        let cwd = tempdir();
        let run = cro(cfg.path(), cwd.path(), &[], &args);
        run.expect_code(0);
        // Data on stdout, or in the file the command wrote.
        let wrote_file = std::fs::read_dir(cwd.path())
            .expect("read cwd")
            .filter_map(Result::ok)
            .any(|e| e.metadata().map(|m| m.len() > 0).unwrap_or(false));
        assert!(
            !run.stdout().trim().is_empty() || wrote_file,
            "`{line}` showed no data\n--- stderr ---\n{}",
            run.stderr()
        );
        ran += 1;
    }
    assert!(ran >= 10, "only {ran} README commands ran");
}

#[test]
fn words_split_like_a_shell_for_simple_lines() {
    assert_eq!(
        words(r#"cro ops --json 'a b' "c""#),
        vec!["cro", "ops", "--json", "a b", "c"]
    );
}

//! docs/configuration.md kept true by the binary's own `--help`: every flag of every command is
//! there with its environment variable and default, and the page names no flag the binary lacks.
//!
//! The page's flag tables have the columns `flag | env | default | meaning`, one flag a row.
//! A flag `--help` prints passes when some row's first cell is exactly `` `--flag` ``, its second
//! cell holds `` `ENV` `` (when `--help` prints `[env: ENV]`) and its third holds `` `DEFAULT` ``
//! (when `--help` prints `[default: DEFAULT]`). `--help` and `--version` are clap's own.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::binary;

/// Every command whose flags the page documents; the test fails on a command not listed here.
const COMMANDS: [&[&str]; 6] =
    [&[], &["serve"], &["schema"], &["import", "observations"], &["import", "cities"], &["backup"]];

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");

/// One option as `--help` prints it.
#[derive(Debug)]
struct Flag {
    name: String,
    env: Option<String>,
    default: Option<String>,
}

/// `rustbelt ARGS --help`, as text.
fn help(args: &[&str]) -> String {
    let output = Command::new(binary()).args(args).arg("--help").output().expect("run rustbelt --help");
    assert!(output.status.success(), "rustbelt {args:?} --help failed: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 help")
}

/// The lines of one section of a help text (`Commands:`, `Options:`), up to the next one.
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    let lines = help.lines().skip_while(|line| *line != title).skip(1);
    lines.take_while(|line| line.is_empty() || line.starts_with(' ')).collect()
}

/// The names in a help text's `Commands:` section.
fn commands(help: &str) -> BTreeSet<String> {
    let names = section(help, "Commands:").into_iter().filter_map(|line| line.split_whitespace().next());
    names.map(str::to_string).collect()
}

/// The text between `[key: ` and the first `]` or `=` after it.
fn bracketed(text: &str, key: &str) -> Option<String> {
    let start = text.find(&format!("[{key}: "))? + key.len() + 3;
    let end = text[start..].find([']', '='])?;
    Some(text[start..start + end].to_string())
}

/// Whether a help line begins an option (`--db <DB>`, `-h, --help`), not a line of its text
/// (`- server: …` lists a value).
fn is_option(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("--")
        || (line.starts_with('-') && line.get(2..).is_some_and(|rest| rest.starts_with(", --")))
}

/// The options of one help text, clap's `--help` and `--version` left out.
fn flags(help: &str) -> Vec<Flag> {
    let lines = section(help, "Options:");
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| is_option(lines[i])).collect();
    let mut found = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let text = lines[start..end].join(" ");
        let name = text.split_whitespace().find(|word| word.starts_with("--")).expect("a long flag");
        let name = name.trim_end_matches(',').to_string();
        if name != "--help" && name != "--version" {
            found.push(Flag { env: bracketed(&text, "env"), default: bracketed(&text, "default"), name });
        }
    }
    found
}

/// The page's table rows, as trimmed cells.
fn rows(page: &str) -> Vec<Vec<String>> {
    let rows = page.lines().filter(|line| line.starts_with('|'));
    rows.map(|line| line.trim_matches('|').split('|').map(|cell| cell.trim().to_string()).collect()).collect()
}

/// Why the page does not document `flag`, if it does not.
fn undocumented(flag: &Flag, rows: &[Vec<String>]) -> Option<String> {
    let named: Vec<_> = rows.iter().filter(|row| row[0] == format!("`{}`", flag.name)).collect();
    if named.is_empty() {
        return Some(format!("{}: no row", flag.name));
    }
    let holds = |cell: Option<&String>, text: &Option<String>| {
        text.as_ref().is_none_or(|text| cell.is_some_and(|cell| cell.contains(&format!("`{text}`"))))
    };
    let right = named.iter().any(|row| holds(row.get(1), &flag.env) && holds(row.get(2), &flag.default));
    let shown = |text: &Option<String>| text.as_ref().map_or("(none)".into(), |text| format!("`{text}`"));
    (!right).then(|| {
        format!("{}: no row with env {} and default {}", flag.name, shown(&flag.env), shown(&flag.default))
    })
}

#[test]
fn the_commands_the_test_reads_are_all_the_binary_has() {
    let top: BTreeSet<String> = ["serve", "schema", "import", "backup", "help"].map(String::from).into();
    assert_eq!(commands(&help(&[])), top, "a command was added or removed: update COMMANDS and the page");
    let import: BTreeSet<String> = ["observations", "cities", "help"].map(String::from).into();
    assert_eq!(commands(&help(&["import"])), import, "update COMMANDS and the page");
}

#[test]
fn every_flag_in_help_is_in_the_configuration_page_with_its_env_and_default() {
    let page = std::fs::read_to_string(PAGE).expect("docs/configuration.md");
    let rows = rows(&page);
    let mut checked = 0;
    let mut missing = BTreeSet::new();
    for command in COMMANDS {
        for flag in flags(&help(command)) {
            checked += 1;
            missing.extend(undocumented(&flag, &rows).map(|why| format!("rustbelt {command:?}: {why}")));
        }
    }
    // `serve` alone has over thirty flags: an empty parse must not pass.
    assert!(checked > 60, "only {checked} flags read from --help: is the help format still parsed?");
    assert!(missing.is_empty(), "docs/configuration.md lacks:\n{}", Vec::from_iter(missing).join("\n"));
}

#[test]
fn every_flag_the_configuration_page_names_exists() {
    let page = std::fs::read_to_string(PAGE).expect("docs/configuration.md");
    let known: BTreeSet<String> = COMMANDS.iter().flat_map(|c| flags(&help(c))).map(|f| f.name).collect();
    let named = rows(&page).into_iter().map(|row| row[0].clone()).filter(|cell| cell.starts_with("`--"));
    let unknown: Vec<String> = named.filter(|cell| !known.contains(cell.trim_matches('`'))).collect();
    assert!(unknown.is_empty(), "docs/configuration.md names flags the binary does not have: {unknown:?}");
}

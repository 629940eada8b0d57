//! Every relative link in the repository's Markdown pages leads somewhere: the file exists,
//! and an `#anchor` names a heading of that page (as GitHub makes anchors from headings). Every
//! source file a page names as `` `src/…` `` exists (files move when the code is reshaped).

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The pages a reader follows links through: the README, `docs/`, and the READMEs of folders.
fn pages() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut pages = vec![root.join("README.md")];
    for folder in [
        "docs",
        "benches",
        "deploy/litestream",
        "deploy/litefs",
        "clients",
        "assets/dashboard",
        "tests/fixtures",
    ] {
        let entries = std::fs::read_dir(root.join(folder)).unwrap_or_else(|e| panic!("{folder}: {e}"));
        pages.extend(
            entries
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|e| e == "md")),
        );
    }
    pages.sort();
    pages
}

/// The page's text without its fenced code blocks (a link there is an example, not a link).
fn prose(text: &str) -> String {
    let mut fenced = false;
    let mut kept = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// The targets of the Markdown links `[text](target)` in `text`.
fn targets(text: &str) -> Vec<String> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            let end = rest.find(')')?;
            Some(rest[..end].split_whitespace().next().unwrap_or_default().to_string())
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case; letters, digits, `-` and `_` kept; spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(page: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(page).unwrap_or_default();
    prose(&text)
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|h| slug(h.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_relative_link_leads_to_a_file_and_every_anchor_to_a_heading() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for target in targets(&prose(&text)) {
            if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
                continue;
            }
            checked += 1;
            let (file, anchor) =
                target.split_once('#').map_or((target.as_str(), None), |(f, a)| (f, Some(a)));
            let linked = if file.is_empty() { page.clone() } else { page.parent().unwrap().join(file) };
            let shown = page.strip_prefix(ROOT).unwrap().display().to_string();
            if !linked.exists() {
                broken.push(format!("{shown}: {target} (no such file)"));
            } else if let Some(anchor) = anchor
                && !anchors(&linked).iter().any(|a| a == anchor)
            {
                broken.push(format!("{shown}: {target} (no such heading)"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 40, "only {checked} links found: is the link pattern still right?");
}

/// The `` `src/…` `` paths a page names.
fn source_paths(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.starts_with("src/") && !span.contains(' '))
        .collect()
}

#[test]
fn every_source_file_a_page_names_exists() {
    let mut missing = Vec::new();
    // The pages about this crate (the clients' README names its own `src/`).
    let about_the_crate = |page: &Path| !page.starts_with(Path::new(ROOT).join("clients"));
    for page in pages().into_iter().filter(|page| about_the_crate(page)) {
        let text = std::fs::read_to_string(&page).unwrap();
        for path in source_paths(&prose(&text)) {
            // `src/http.rs:136` names a line of the file; `src/db*` the module's file and folder.
            let file = path.split(':').next().unwrap_or(path);
            let exists = match file.strip_suffix('*') {
                Some(module) => Path::new(ROOT).join(format!("{module}.rs")).exists(),
                None => Path::new(ROOT).join(file).exists(),
            };
            if !exists {
                missing.push(format!("{}: {path}", page.strip_prefix(ROOT).unwrap().display()));
            }
        }
    }
    assert!(missing.is_empty(), "pages name source files that are not there:\n{}", missing.join("\n"));
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(slug(" 3.9 The plan's six targets"), "39-the-plans-six-targets");
    assert_eq!(slug("Persisted queries and trusted documents"), "persisted-queries-and-trusted-documents");
    assert_eq!(targets("see [a](x.md#b) and [c](../d.md \"title\")"), ["x.md#b", "../d.md"]);
    assert_eq!(
        source_paths("in `src/db.rs` and `x` and `src/a b`, `src/http.rs:136`"),
        ["src/db.rs", "src/http.rs:136"]
    );
}

//! `schema/schema.graphql` is generated from the code; this test fails when they drift.
//! Set `UPDATE_SCHEMA=1` to rewrite the file (the test still fails, so the diff gets reviewed).

use std::path::PathBuf;

#[test]
fn committed_schema_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/schema.graphql");
    let generated = rustbelt::graphql::sdl();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        panic!(
            "schema/schema.graphql differs from the code: run `cargo run -- schema > schema/schema.graphql`"
        );
    }
}

#[test]
fn every_type_field_and_argument_has_a_description() {
    let sdl = rustbelt::graphql::sdl();
    let mut undocumented = Vec::new();
    let lines: Vec<&str> = sdl.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let is_definition = trimmed.starts_with("type ")
            || trimmed.starts_with("input ")
            || trimmed.starts_with("enum ")
            || trimmed.starts_with("interface ")
            || (line.starts_with("  ")
                && !trimmed.starts_with('"')
                && !trimmed.is_empty()
                && trimmed != "}"
                && !trimmed.starts_with(')'));
        if !is_definition || trimmed.starts_with("schema") || trimmed.starts_with("query:") {
            continue;
        }
        let previous = i.checked_sub(1).map(|p| lines[p].trim()).unwrap_or("");
        if !previous.ends_with('"') {
            undocumented.push(trimmed.to_string());
        }
    }
    assert!(undocumented.is_empty(), "undocumented:\n{}", undocumented.join("\n"));
}

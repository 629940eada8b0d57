//! `schema/schema.graphql` is generated from the code; this test fails when they drift.
//! Set `UPDATE_SCHEMA=1` to rewrite the file (the test still fails, so the diff gets reviewed).

use std::path::PathBuf;

#[test]
fn committed_schema_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/schema.graphql");
    let generated = rustbelt::sdl();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, generated).unwrap();
        }
        panic!(
            "schema/schema.graphql differs from the code: run `cargo run -- schema > schema/schema.graphql`"
        );
    }
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_has_a_description() {
    let server = crate::in_process::Server::start();
    let data = server
        .data(
            "{ __schema { types { name kind description
                 fields(includeDeprecated: true) { name description args { name description } }
                 inputFields { name description }
                 enumValues(includeDeprecated: true) { name description } } } }",
            serde_json::json!({}),
        )
        .await;
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    let described = |v: &serde_json::Value| v["description"].as_str().is_some_and(|d| !d.trim().is_empty());
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if !described(t) {
            missing.push(name.to_string());
        }
        let members = ["fields", "inputFields", "enumValues"];
        for member in members.iter().filter_map(|m| t[*m].as_array()).flatten() {
            let member_name = format!("{name}.{}", member["name"].as_str().unwrap());
            if !described(member) {
                missing.push(member_name.clone());
            }
            for arg in member["args"].as_array().into_iter().flatten() {
                if !described(arg) {
                    missing.push(format!("{member_name}({})", arg["name"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
}

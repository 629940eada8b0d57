//! Limits on a document's size and shape, checked before anything runs: length and token count
//! before parsing (so a huge document costs no parser time), then depth, aliases, root fields
//! and directives on the parsed document. What the document would cost to answer is the
//! estimate's, not a limit here ([`super::cost`]).
//!
//! async-graphql's own depth limit counts introspection, so GraphiQL's schema query (about 13
//! levels of `ofType`) would trip any depth limit tight enough to matter. Introspection is
//! bounded by the schema itself, so depth here leaves `__schema` and `__type` out, as GraphQL
//! Armor does.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned};

/// Bounds on a document's size and shape; each breach has its own code.
#[derive(Debug, Clone, Copy)]
pub struct ShapeLimits {
    /// Most characters in the document (QUERY_TOO_LONG).
    pub max_chars: usize,
    /// Most lexical tokens in the document (TOO_MANY_TOKENS).
    pub max_tokens: usize,
    /// Deepest nesting of fields, introspection excluded (DEPTH_LIMIT).
    pub max_depth: usize,
    /// Most aliased fields in the document (ALIAS_LIMIT).
    pub max_aliases: usize,
    /// Most fields at the root of one operation (ROOT_FIELD_LIMIT).
    pub max_root_fields: usize,
    /// Most directives in the document (DIRECTIVE_LIMIT).
    pub max_directives: usize,
}

impl Default for ShapeLimits {
    fn default() -> Self {
        Self {
            max_chars: 20_000,
            max_tokens: 5_000,
            max_depth: 12,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 50,
        }
    }
}

/// A limit a document broke: its stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub code: &'static str,
    pub message: String,
}

fn breach(code: &'static str, what: &str, found: usize, max: usize) -> Breach {
    Breach { code, message: format!("the query has {found} {what}; at most {max} are allowed") }
}

/// Checks the raw document text: its length, then its token count (stopping at the limit).
/// Gives the token count of a text within the limits.
pub fn check_source(source: &str, limits: &ShapeLimits) -> Result<usize, Breach> {
    let chars = source.chars().count();
    if chars > limits.max_chars {
        return Err(breach("QUERY_TOO_LONG", "characters", chars, limits.max_chars));
    }
    let tokens = count_tokens(source, limits.max_tokens + 1);
    if tokens > limits.max_tokens {
        let message = format!("the query has more than {} tokens", limits.max_tokens);
        return Err(Breach { code: "TOO_MANY_TOKENS", message });
    }
    Ok(tokens)
}

/// Checks every operation of a parsed document.
pub fn check(document: &ExecutableDocument, limits: &ShapeLimits) -> Result<(), Breach> {
    let mut walk = Walk { document, depths: HashMap::new(), roots: HashMap::new(), visiting: Vec::new() };
    for (_, operation) in document.operations.iter() {
        let depth = walk.depth(&operation.node.selection_set);
        if depth > limits.max_depth {
            return Err(breach("DEPTH_LIMIT", "levels of nesting", depth, limits.max_depth));
        }
        let roots = walk.root_fields(&operation.node.selection_set);
        if roots > limits.max_root_fields {
            return Err(breach("ROOT_FIELD_LIMIT", "root fields", roots, limits.max_root_fields));
        }
    }
    let (aliases, directives) = count_aliases_and_directives(document);
    if aliases > limits.max_aliases {
        return Err(breach("ALIAS_LIMIT", "aliases", aliases, limits.max_aliases));
    }
    if directives > limits.max_directives {
        return Err(breach("DIRECTIVE_LIMIT", "directives", directives, limits.max_directives));
    }
    Ok(())
}

/// Walks selection sets through fragments, measuring each fragment once (so a document that
/// spreads one fragment many times costs no more to check than one that spreads it once).
struct Walk<'a> {
    document: &'a ExecutableDocument,
    depths: HashMap<&'a Name, usize>,
    roots: HashMap<&'a Name, usize>,
    /// Fragments being measured now: a cycle (which validation rejects later) counts as 0.
    visiting: Vec<&'a Name>,
}

impl<'a> Walk<'a> {
    fn depth(&mut self, set: &'a Positioned<SelectionSet>) -> usize {
        set.node.items.iter().map(|item| self.selection_depth(&item.node)).max().unwrap_or(0)
    }

    fn selection_depth(&mut self, selection: &'a Selection) -> usize {
        match selection {
            Selection::Field(field) => match field.node.name.node.as_str() {
                "__schema" | "__type" => 0,
                _ => 1 + self.depth(&field.node.selection_set),
            },
            Selection::InlineFragment(fragment) => self.depth(&fragment.node.selection_set),
            Selection::FragmentSpread(spread) => self.fragment_depth(&spread.node.fragment_name.node),
        }
    }

    fn fragment_depth(&mut self, name: &'a Name) -> usize {
        if let Some(depth) = self.depths.get(name) {
            return *depth;
        }
        let Some(fragment) = self.document.fragments.get(name) else { return 0 };
        if self.visiting.contains(&name) {
            return 0;
        }
        self.visiting.push(name);
        let depth = self.depth(&fragment.node.selection_set);
        self.visiting.pop();
        self.depths.insert(name, depth);
        depth
    }

    /// Fields at the root of an operation, through fragments, each fragment counted once (a
    /// fragment that spreads another twice, and so on, would otherwise take exponential time
    /// to count). A cycle, which validation rejects later, counts as 0.
    fn root_fields(&mut self, set: &'a Positioned<SelectionSet>) -> usize {
        let mut count = 0usize;
        for item in &set.node.items {
            count = count.saturating_add(match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(fragment) => self.root_fields(&fragment.node.selection_set),
                Selection::FragmentSpread(spread) => self.fragment_roots(&spread.node.fragment_name.node),
            });
        }
        count
    }

    fn fragment_roots(&mut self, name: &'a Name) -> usize {
        if let Some(count) = self.roots.get(name) {
            return *count;
        }
        let Some(fragment) = self.document.fragments.get(name) else { return 0 };
        if self.visiting.contains(&name) {
            return 0;
        }
        self.visiting.push(name);
        let count = self.root_fields(&fragment.node.selection_set);
        self.visiting.pop();
        self.roots.insert(name, count);
        count
    }
}

/// Whether the document asks for the schema (`__schema` or `__type`) anywhere.
pub fn introspects(document: &ExecutableDocument) -> bool {
    fn walk(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type")
                    || walk(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => walk(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    document.operations.iter().any(|(_, op)| walk(&op.node.selection_set.node))
        || document.fragments.values().any(|f| walk(&f.node.selection_set.node))
}

/// Aliased fields and directives written anywhere in the document.
fn count_aliases_and_directives(document: &ExecutableDocument) -> (usize, usize) {
    fn walk(set: &SelectionSet, counts: &mut (usize, usize)) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    counts.0 += usize::from(field.node.alias.is_some());
                    counts.1 += field.node.directives.len();
                    walk(&field.node.selection_set.node, counts);
                }
                Selection::InlineFragment(fragment) => {
                    counts.1 += fragment.node.directives.len();
                    walk(&fragment.node.selection_set.node, counts);
                }
                Selection::FragmentSpread(spread) => counts.1 += spread.node.directives.len(),
            }
        }
    }
    let mut counts = (0, 0);
    for (_, operation) in document.operations.iter() {
        counts.1 += operation.node.directives.len();
        walk(&operation.node.selection_set.node, &mut counts);
    }
    for fragment in document.fragments.values() {
        counts.1 += fragment.node.directives.len();
        walk(&fragment.node.selection_set.node, &mut counts);
    }
    counts
}

/// Counts GraphQL lexical tokens (punctuators, names, numbers, strings; not whitespace,
/// commas or comments), stopping at `stop`.
fn count_tokens(source: &str, stop: usize) -> usize {
    let bytes = source.as_bytes();
    let (mut i, mut tokens) = (0, 0);
    while i < bytes.len() && tokens < stop {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => i += bytes[i..].iter().position(|&b| b == b'\n').unwrap_or(bytes.len() - i),
            b'"' => {
                i = skip_string(bytes, i);
                tokens += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                i += 3;
                tokens += 1;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                let run = bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || b"_-+.".contains(b))
                    .count();
                i += run;
                tokens += 1;
            }
            _ => {
                // Any other character (a punctuator, or something the parser will reject) is
                // one token; step over a whole UTF-8 character.
                i += source[i..].chars().next().map_or(1, char::len_utf8);
                tokens += 1;
            }
        }
    }
    tokens
}

/// The index just past the string starting at `start` (a `"…"` string or a `"""…"""` block).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let body = start + 3;
        return bytes[body..].windows(3).position(|w| w == b"\"\"\"").map_or(bytes.len(), |p| body + p + 3);
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' | b'\n' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: &str, limits: ShapeLimits) -> Result<(), Breach> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        check(&document, &limits)
    }

    fn code<T>(result: Result<T, Breach>) -> &'static str {
        result.map_or_else(|b| b.code, |_| "OK")
    }

    #[test]
    fn depth_counts_fields_through_fragments() {
        let query = "{ a { b { ...F } } } fragment F on T { c { ... on U { d } } }";
        assert_eq!(code(checked(query, ShapeLimits { max_depth: 4, ..Default::default() })), "OK");
        assert_eq!(code(checked(query, ShapeLimits { max_depth: 3, ..Default::default() })), "DEPTH_LIMIT");
    }

    #[test]
    fn introspection_is_not_counted() {
        let query = "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }";
        assert_eq!(code(checked(query, ShapeLimits { max_depth: 1, ..Default::default() })), "OK");
    }

    #[test]
    fn fragment_cycles_do_not_hang() {
        let query = "{ a { ...F } ...G } fragment F on T { b { ...F } } fragment G on Q { ...G }";
        assert_eq!(code(checked(query, ShapeLimits::default())), "OK");
    }

    #[test]
    fn aliases_root_fields_and_directives_are_counted() {
        let limits =
            ShapeLimits { max_aliases: 2, max_root_fields: 3, max_directives: 2, ..Default::default() };
        assert_eq!(code(checked("{ a: x b: x ...F } fragment F on Q { c: x }", limits)), "ALIAS_LIMIT");
        assert_eq!(code(checked("{ w x ... on Q { y z } }", limits)), "ROOT_FIELD_LIMIT");
        assert_eq!(
            code(checked("{ x @skip(if: true) y @include(if: true) ... @skip(if: false) { z } }", limits)),
            "DIRECTIVE_LIMIT"
        );
        assert_eq!(code(checked("{ a: x b: x @skip(if: false) y }", limits)), "OK");
    }

    #[test]
    fn tokens_are_counted_like_a_graphql_lexer() {
        assert_eq!(count_tokens("{ city(code: \"蚌埠\") { nameEn } }", 100), 11);
        assert_eq!(count_tokens("# a comment { } \n query Q($n: Int = -1.5e3) { ...F }", 100), 14);
        assert_eq!(count_tokens("{ x(s: \"\"\"block \" string\"\"\", t: \"a\\\"b\") }", 100), 11);
        assert_eq!(count_tokens(&"{ x }".repeat(10_000), 50), 50, "stops at the limit");
    }

    #[test]
    fn long_or_token_heavy_sources_are_refused_before_parsing() {
        let limits = ShapeLimits { max_chars: 100, max_tokens: 10, ..Default::default() };
        assert_eq!(code(check_source(&"#".repeat(101), &limits)), "QUERY_TOO_LONG");
        assert_eq!(code(check_source("{ a b c d e f g h i j k }", &limits)), "TOO_MANY_TOKENS");
        assert_eq!(code(check_source("{ a b c d e f g h }", &limits)), "OK");
    }
}

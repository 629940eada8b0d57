//! The columns of an observations file, defined once: what `rustbelt import observations`
//! reads, and what the `gaps` view's fill-in template writes (the same columns with the value
//! and its source left empty, then context columns for the person filling it, which the
//! importer skips). A test holds the view to these lists.

/// The columns the importer reads, in the order the template writes them.
pub const COLUMNS: [&str; 10] = [
    "subject_kind",
    "subject_code",
    "indicator",
    "year",
    "value",
    "unit",
    "definition",
    "source",
    "source_note",
    "source_grade",
];

/// Columns the template adds after [`COLUMNS`] to say what each row is for; the importer
/// accepts and ignores them (and refuses any other column it does not know).
pub const CONTEXT: [&str; 7] = ["target", "name_zh", "name_en", "indicator_name", "role", "settles", "why"];

/// Columns a file may leave out when a flag gives their value for every row.
pub const FROM_FLAGS: [&str; 2] = ["source", "source_grade"];

/// Whether the importer reads `column`.
pub fn is_read(column: &str) -> bool {
    COLUMNS.contains(&column)
}

/// Whether the importer skips `column` (a template's context).
pub fn is_context(column: &str) -> bool {
    CONTEXT.contains(&column)
}

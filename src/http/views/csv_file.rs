//! A view's table as RFC 4180 CSV, with OWASP's guard against CSV injection: a text cell that
//! a spreadsheet would read as a formula (it begins with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) is written with a leading `'`, so it arrives as text. A number cell is
//! never touched: the JSON value says which cells are numbers, so `-3.5` stays a number.

use async_graphql::Value;

use super::cells::Cell;
use crate::graphql::views::View;

/// The characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The table with a header row: nested objects as dotted columns, lists of values joined with
/// `; `, null as an empty cell, numbers as JSON writes them (every digit), text guarded.
pub(super) fn write(view: &View, rows: &[Value], bom: bool) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(view.columns.iter().map(|c| guarded(c.header.clone())));
    for row in rows {
        let cells = view.columns.iter().map(|column| match Cell::of(row, column) {
            Cell::Empty => String::new(),
            Cell::Number(n) => n.to_string(),
            Cell::Boolean(b) => b.to_string(),
            Cell::Text(text) => guarded(text),
        });
        let _ = writer.write_record(cells.collect::<Vec<_>>());
    }
    let text = String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default();
    if bom { format!("\u{feff}{text}") } else { text }
}

/// Text as a spreadsheet must read it: with a `'` first when it would otherwise be a formula.
pub(super) fn guarded(text: String) -> String {
    if text.starts_with(FORMULA_STARTS) { format!("'{text}") } else { text }
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted_and_other_text_is_not() {
        for risky in ["=1+2", "+1", "-x", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://a\")"] {
            assert_eq!(guarded(risky.to_string()), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["", "蚌埠市", "a=b", " =1", "'already", "1-2", "\nx"] {
            assert_eq!(guarded(safe.to_string()), safe, "{safe:?}");
        }
    }
}

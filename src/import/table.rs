//! A file as a table of text cells, whatever it is: a CSV file (UTF-8) or a spreadsheet
//! (`.xlsx`, `.xlsm`, `.xls`, `.ods`, read with calamine; the first sheet or a named one). Every
//! cell keeps its place — the line (the row number a spreadsheet shows) and the column (its
//! letter) — so every problem can be reported where a person will look for it.

use std::fmt;
use std::path::Path;

use anyhow::{Context, bail};
use calamine::{Data, Reader, open_workbook_auto};

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 1_000_000;

/// A file's header and data rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The header cells, trimmed (a UTF-8 byte-order mark dropped).
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
    /// The line of the header (1 in a CSV file; a spreadsheet's table may start lower).
    pub header_line: usize,
    /// Where the rows came from, for messages: the file, and the sheet of a spreadsheet.
    pub origin: String,
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// The line a person sees it on: the CSV line where the record starts, or the sheet's row
    /// number.
    pub line: usize,
    /// Its cells as text, as many as the header has (missing ones empty).
    pub cells: Vec<String>,
}

impl TableRow {
    /// The cell in column `index`, trimmed; empty when there is none.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", |c| c.trim())
    }

    /// Whether every cell is empty (a blank line or an empty spreadsheet row is no data).
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// Where something is in a file: a line, and a column (by letter, with its header) or the
/// command-line flag that stood in for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: Column,
}

/// A column of the file, or a flag that gives every row the same value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// Column `index` (from 0), headed `header`.
    Cell { index: usize, header: String },
    /// A flag, e.g. `--year`.
    Flag(&'static str),
    /// The row as a whole.
    Row,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Column::Cell { index, header } => {
                write!(f, "line {}, column {} ({header})", self.line, letter(*index))
            }
            Column::Flag(flag) => write!(f, "line {} ({flag})", self.line),
            Column::Row => write!(f, "line {}", self.line),
        }
    }
}

/// A spreadsheet's letter for column `index` (from 0): A … Z, AA, AB …
pub fn letter(index: usize) -> String {
    let (mut n, mut out) = (index + 1, Vec::new());
    while n > 0 {
        let rest = (n - 1) % 26;
        out.push(char::from(b'A' + rest as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// Whether `path` names a spreadsheet (by its extension).
pub fn is_spreadsheet(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    matches!(extension.as_deref(), Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods"))
}

/// Reads `path`: a spreadsheet's `sheet` (default: the first), or a CSV file (`sheet` must then
/// be absent).
pub fn read(path: &Path, sheet: Option<&str>) -> anyhow::Result<Table> {
    if is_spreadsheet(path) {
        return read_sheet(path, sheet);
    }
    if sheet.is_some() {
        bail!("--sheet is for spreadsheets; {} is read as CSV", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        anyhow::anyhow!(
            "{} is not UTF-8 (byte {offset} is not): save it as \"CSV UTF-8\" (a spreadsheet program's \
             plain CSV is often GBK), or import the spreadsheet file itself",
            path.display()
        )
    })?;
    parse_csv(&text, &path.display().to_string())
}

/// A cell as it was before a CSV export guarded it: this server's CSV (and other careful
/// exporters) puts a `'` before text that begins with `=`, `+`, `-`, `@`, a tab or a carriage
/// return, so a spreadsheet shows it as text rather than running it (OWASP's rule). A template
/// downloaded, filled and sent back comes back as it went out.
fn unguarded(cell: &str) -> String {
    let mut chars = cell.chars();
    match (chars.next(), chars.next()) {
        (Some('\''), Some('=' | '+' | '-' | '@' | '\t' | '\r')) => cell[1..].to_string(),
        _ => cell.to_string(),
    }
}

/// Parses CSV text into a table; `origin` names it in messages.
pub fn parse_csv(text: &str, origin: &str) -> anyhow::Result<Table> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(record) => record.with_context(|| format!("{origin}: reading the header line"))?,
        None => bail!("{origin} is empty: it needs a header line"),
    };
    let headers: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut rows = Vec::new();
    for record in records {
        let record = record.with_context(|| format!("{origin}: reading a row"))?;
        let line = record.position().map_or(0, |p| line_at(text, p.byte() as usize));
        if record.len() > headers.len() && record.iter().skip(headers.len()).any(|c| !c.trim().is_empty()) {
            bail!(
                "{origin}, line {line}: {} cells, but the header has {} columns",
                record.len(),
                headers.len()
            );
        }
        let mut cells: Vec<String> = record.iter().take(headers.len()).map(unguarded).collect();
        cells.resize(headers.len(), String::new());
        push(&mut rows, TableRow { line, cells }, origin)?;
    }
    Ok(Table { headers, rows, header_line: 1, origin: origin.to_string() })
}

/// The line a record starting at byte `start` is on: the csv crate counts blank lines before
/// a record into it, so they are stepped over first.
fn line_at(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = start.min(bytes.len());
    while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
        at += 1;
    }
    1 + bytes[..at].iter().filter(|b| **b == b'\n').count()
}

fn push(rows: &mut Vec<TableRow>, row: TableRow, origin: &str) -> anyhow::Result<()> {
    if row.is_blank() {
        return Ok(());
    }
    if rows.len() >= MAX_ROWS {
        bail!("{origin} has more than {MAX_ROWS} rows: split it");
    }
    rows.push(row);
    Ok(())
}

fn read_sheet(path: &Path, sheet: Option<&str>) -> anyhow::Result<Table> {
    let mut book =
        open_workbook_auto(path).with_context(|| format!("opening the spreadsheet {}", path.display()))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted).cloned().with_context(|| {
            format!("{} has no sheet {wanted:?}; its sheets are {}", path.display(), names.join(", "))
        })?,
        None => names.first().cloned().with_context(|| format!("{} has no sheet", path.display()))?,
    };
    let range = book
        .worksheet_range(&name)
        .with_context(|| format!("reading sheet {name:?} of {}", path.display()))?;
    let origin = format!("{}, sheet {name:?}", path.display());
    let (first_row, first_column) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let mut lines = range.rows().enumerate().map(|(i, cells)| (first_row + i + 1, cells));
    // Leading blank rows and columns are not part of the table; a title row above it is.
    let (header_line, header) = lines
        .find(|(_, cells)| cells.iter().any(|c| !matches!(c, Data::Empty)))
        .with_context(|| format!("{origin} is empty: it needs a header row"))?;
    let mut headers: Vec<String> = Vec::with_capacity(first_column + header.len());
    headers.resize(first_column, String::new());
    for (i, cell) in header.iter().enumerate() {
        headers.push(text(cell).map_err(|e| {
            anyhow::anyhow!("{origin}, line {header_line}, column {}: {e}", letter(first_column + i))
        })?);
    }
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (line, cells) in lines {
        let mut row = TableRow { line, cells: vec![String::new(); headers.len()] };
        for (i, cell) in cells.iter().enumerate() {
            let index = first_column + i;
            match (text(cell), index < headers.len()) {
                (Ok(value), true) => row.cells[index] = value,
                (Ok(value), false) if value.trim().is_empty() => {}
                (Ok(_), false) => {
                    problems.push(format!("line {line}, column {}: a value under no header", letter(index)))
                }
                (Err(e), _) => problems.push(format!("line {line}, column {}: {e}", letter(index))),
            }
        }
        push(&mut rows, row, &origin)?;
    }
    if !problems.is_empty() {
        bail!("{origin}: {}", problems.join("; "));
    }
    let headers = headers.into_iter().map(|h| h.trim().to_string()).collect();
    Ok(Table { headers, rows, header_line, origin })
}

/// A spreadsheet cell as the text a CSV file would hold: numbers with every digit they have
/// (2017, 1550.66), text as it is. A date or an error value is refused, not guessed at.
fn text(cell: &Data) -> Result<String, String> {
    match cell {
        Data::Empty => Ok(String::new()),
        Data::String(s) => Ok(s.clone()),
        Data::Int(i) => Ok(i.to_string()),
        Data::Float(f) => Ok(f.to_string()),
        Data::Bool(b) => Ok(b.to_string()),
        Data::Error(e) => Err(format!("the cell holds the error {e:?}: fix the formula or type the value")),
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            Err("the cell holds a date or time: format it as a number or as text".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_spreadsheets_letter_them() {
        let letters: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702].into_iter().map(letter).collect();
        assert_eq!(letters, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn a_cell_a_csv_export_guarded_comes_back_as_it_went_out() {
        let table = parse_csv("a,b,c,d\n'=SUM(A1),'-x,'plain,-3.5\n", "t.csv").unwrap();
        assert_eq!(table.rows[0].cells, ["=SUM(A1)", "-x", "'plain", "-3.5"]);
    }

    #[test]
    fn csv_rows_keep_their_lines_and_blank_lines_are_no_rows() {
        let table = parse_csv("\u{feff}a, b\n1,\"two\nlines\"\n\n3\n", "t.csv").unwrap();
        assert_eq!(table.headers, ["a", "b"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!((table.rows[0].line, table.rows[0].cell(1)), (2, "two\nlines"));
        assert_eq!((table.rows[1].line, table.rows[1].cell(1)), (5, ""));
        assert!(parse_csv("a\n1,2\n", "t.csv").is_err(), "a cell under no header");
    }

    #[test]
    fn places_say_line_and_column() {
        let place = Place { line: 4, column: Column::Cell { index: 4, header: "value".into() } };
        assert_eq!(place.to_string(), "line 4, column E (value)");
        assert_eq!(Place { line: 2, column: Column::Flag("--year") }.to_string(), "line 2 (--year)");
    }
}

//! A view's table as an Excel workbook (`.xlsx`, written by `rust_xlsxwriter`): one sheet named
//! after the view, a bold header row of dotted column names that stays in view, a filter on
//! every column, numbers as numbers, text as text. A text cell is written with the string
//! writer, never as a formula, so `=1+2` is the four characters a user recorded.

use async_graphql::Value;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::cells::Cell;
use crate::graphql::views::View;

/// The most characters an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;
/// The longest sheet name Excel allows.
const MAX_SHEET_NAME: usize = 31;

/// Why a table could not be written as a workbook.
#[derive(Debug)]
pub(super) enum SheetError {
    /// A text longer than a cell holds: the row (1 is the first after the header) and column.
    TooLong { row: usize, column: String, chars: usize },
    /// The writer failed on its own (not the table's fault).
    Writer(XlsxError),
}

impl SheetError {
    pub(super) fn message(&self) -> String {
        match self {
            Self::TooLong { row, column, chars } => format!(
                "row {row}, column {column}: {chars} characters, and a spreadsheet cell holds at most \
                 {MAX_CELL_CHARS}; ask for format=csv, ndjson or json, which hold any length"
            ),
            Self::Writer(error) => format!("the workbook could not be written: {error}"),
        }
    }
}

/// The table as the bytes of an `.xlsx` file.
pub(super) fn write(view: &View, rows: &[Value]) -> Result<Vec<u8>, SheetError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let name: String = view.name.chars().take(MAX_SHEET_NAME).collect();
    sheet.set_name(name).map_err(SheetError::Writer)?;
    let bold = Format::new().set_bold();
    for (col, column) in view.columns.iter().enumerate() {
        sheet
            .write_string_with_format(0, index(col)?, column.header.as_str(), &bold)
            .map_err(SheetError::Writer)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, column) in view.columns.iter().enumerate() {
            let cell = Cell::of(row, column);
            if let Cell::Text(text) = &cell {
                let chars = text.chars().count();
                if chars > MAX_CELL_CHARS {
                    return Err(SheetError::TooLong { row: i + 1, column: column.header.clone(), chars });
                }
            }
            write_cell(sheet, i + 1, col, cell)?;
        }
    }
    if !view.columns.is_empty() {
        let last = index(view.columns.len() - 1)?;
        sheet.set_freeze_panes(1, 0).map_err(SheetError::Writer)?;
        sheet.autofilter(0, 0, row_index(rows.len())?, last).map_err(SheetError::Writer)?;
    }
    sheet.autofit();
    workbook.save_to_buffer().map_err(SheetError::Writer)
}

fn write_cell(sheet: &mut Worksheet, row: usize, col: usize, cell: Cell) -> Result<(), SheetError> {
    let (row, col) = (row_index(row)?, index(col)?);
    let written = match cell {
        Cell::Empty => return Ok(()),
        // Every JSON number is finite, and a spreadsheet keeps 15 significant digits.
        Cell::Number(n) => sheet.write_number(row, col, n.as_f64().unwrap_or_default()),
        Cell::Boolean(b) => sheet.write_boolean(row, col, b),
        // The string writer: whatever the text begins with, it is never a formula.
        Cell::Text(text) => sheet.write_string(row, col, text),
    };
    written.map(|_| ()).map_err(SheetError::Writer)
}

fn row_index(row: usize) -> Result<u32, SheetError> {
    u32::try_from(row).map_err(|_| SheetError::Writer(XlsxError::RowColumnLimitError))
}

fn index(col: usize) -> Result<u16, SheetError> {
    u16::try_from(col).map_err(|_| SheetError::Writer(XlsxError::RowColumnLimitError))
}

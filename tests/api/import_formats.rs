//! Where the data lives: the same rows as CSV and as a spreadsheet import identically; a
//! yearbook's wide table by Chinese names (an ambiguous name refused with how to disambiguate
//! it), with its units converted or refused; progress shown while it works.

use std::path::Path;

use rust_xlsxwriter::Workbook;

use crate::common::import;

/// An observation as stored: subject key, indicator, year, value, unit, definition, source and
/// grade.
type Stored = (String, String, i64, f64, String, String, String, String);

/// The USER observations of a database, as stored.
fn stored(db: &Path) -> Vec<Stored> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut statement = connection
        .prepare(
            "SELECT o.subject_key, o.indicator_code, o.year, o.value, o.unit, o.definition, s.url, o.source_grade
             FROM observations o JOIN sources s ON s.id = o.source_id
             WHERE o.origin = 'USER' ORDER BY o.subject_key, o.indicator_code, o.year",
        )
        .unwrap();
    let rows = statement
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// A table as CSV text and as an .xlsx sheet named `values` (numbers as numbers, text as
/// text, empty cells left empty).
fn write_both(rows: &[Vec<&str>], csv_path: &Path, xlsx_path: &Path) {
    let text: String = rows.iter().map(|r| format!("{}\n", r.join(","))).collect();
    std::fs::write(csv_path, text).unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("values").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell.parse::<f64>() {
                Ok(number) if r > 0 => sheet.write_number(r, c, number).map(|_| ()).unwrap(),
                _ if cell.is_empty() => {}
                _ => sheet.write_string(r, c, *cell).map(|_| ()).unwrap(),
            }
        }
    }
    book.save(xlsx_path).unwrap();
}

#[test]
fn the_same_rows_as_csv_and_as_a_spreadsheet_import_identically() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        vec![
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
        ],
        vec![
            "CITY",
            "230800",
            "services_share_gdp",
            "2017",
            "42.5",
            "% of GDP",
            "三次产业结构",
            "test fixture",
            "",
            "BULLETIN",
        ],
        vec!["CITY", "蚌埠市", "gdp", "2012", "1026.5", "亿元", "", "test fixture", "a note", "OFFICIAL"],
        vec!["CITY", "410300", "gdp", "2012", "", "", "", "", "", ""],
        vec!["PROVINCE", "340000", "new_jobs", "2016", "69.3", "万人", "", "test fixture", "", "SECONDARY"],
    ];
    let (csv, xlsx) = (dir.path().join("rows.csv"), dir.path().join("rows.xlsx"));
    write_both(&rows, &csv, &xlsx);
    let (db_csv, db_xlsx) = (dir.path().join("csv.db"), dir.path().join("xlsx.db"));
    let (ok, out_csv, stderr) = import("observations", &db_csv, &csv, &[]);
    assert!(ok, "{stderr}");
    let (ok, out_xlsx, stderr) = import("observations", &db_xlsx, &xlsx, &[]);
    assert!(ok, "{stderr}");
    assert!(
        out_xlsx.contains("sheet \"values\" (long layout): 3 values; 1 rows with no value skipped"),
        "{out_xlsx}"
    );
    assert_eq!(
        out_csv.replace("rows.csv", "F").replace("csv.db", "D"),
        out_xlsx
            .replace("rows.xlsx, sheet \"values\"", "F")
            .replace("rows.xlsx", "F")
            .replace("xlsx.db", "D")
    );
    let stored_csv = stored(&db_csv);
    assert_eq!(stored_csv, stored(&db_xlsx), "the same observations, unit for unit and digit for digit");
    assert_eq!(stored_csv.len(), 3);
    let jobs = stored_csv.iter().find(|o| o.1 == "new_jobs").unwrap();
    assert_eq!((jobs.3, jobs.4.as_str()), (693_000.0, "persons"), "万人 converted to persons");
    assert!(jobs.5.contains("converted from 万人 to persons"), "{jobs:?}");
    // A sheet named on the command line; a name that is no sheet is refused with the names.
    let (ok, _, stderr) = import("observations", &db_xlsx, &xlsx, &["--dry-run", "--sheet", "nope"]);
    assert!(!ok && stderr.contains("has no sheet \"nope\"; its sheets are values"), "{stderr}");
}

#[test]
fn a_wide_yearbook_table_by_chinese_names_refuses_an_ambiguous_name_and_takes_a_disambiguated_one() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("yearbook.csv"));
    let header = "地区,年份,生产总值(万元),第三产业增加值(亿元),常住人口(万人)\n";
    let rows = "长安区,2012,2856000,101.3,\n吉林,2012,12000000,400.0,\n大渡口区,2012,,50.1,30.5\n";
    std::fs::write(&file, format!("{header}{rows}")).unwrap();
    let columns = ["--column", "生产总值(万元)=gdp", "--column", "第三产业增加值(亿元)=tertiary_value_added"];
    let args =
        [&columns[..], &["--source", "test fixture: a made-up yearbook", "--grade", "OFFICIAL"]].concat();
    let (ok, _, stderr) = import("observations", &db, &file, &args);
    assert!(!ok, "ambiguous names write nothing");
    assert!(
        stderr.contains("line 2, column A (地区): \"长安区\" may mean 石家庄市长安区 (130102) or 西安市长安区 (610116): write the full name, or the code"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 3, column A (地区): \"吉林\" may mean 吉林市 (220200) or 吉林省 (220000)"),
        "{stderr}"
    );
    assert!(!db.exists(), "not even a new database file");

    let rows = "石家庄市长安区,2012,2856000,101.3,\n大渡口区,2012,,50.1,30.5\n";
    std::fs::write(&file, format!("{header}{rows}")).unwrap();
    let (ok, stdout, stderr) = import("observations", &db, &file, &args);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("left out: E (常住人口(万人))"), "{stdout}");
    assert!(stdout.contains("(wide layout): 3 values; 1 empty cells skipped"), "{stdout}");
    let stored = stored(&db);
    let gdp = stored.iter().find(|o| o.0 == "CITY:130102" && o.1 == "gdp").unwrap();
    assert_eq!((gdp.3, gdp.4.as_str()), (285.6, "100 million yuan"), "万元 converted to 亿元");
    assert!(stored.iter().any(|o| o.0 == "CITY:500104" && o.1 == "tertiary_value_added" && o.3 == 50.1));
    assert!(stored.iter().all(|o| o.7 == "OFFICIAL" && o.6 == "test fixture: a made-up yearbook"));
}

#[test]
fn a_unit_that_is_not_the_indicators_is_refused_never_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("wide.csv"));
    std::fs::write(&file, "entry,year,gdp(万吨)\n340300,2012,5\n").unwrap();
    let (ok, _, stderr) = import("observations", &db, &file, &["--source", "test", "--grade", "OFFICIAL"]);
    assert!(!ok);
    assert!(stderr.contains("line 1, column C: the unit \"万吨\" is not \"100 million yuan\""), "{stderr}");
    assert!(stderr.contains("\"万元\""), "it names the units it would take: {stderr}");
    // In the long layout too, a row's unit is converted or refused.
    std::fs::write(
        &file,
        "subject_kind,subject_code,indicator,year,value,unit,source,source_grade\nCITY,340300,gdp,2012,5,万吨,test,OFFICIAL\n",
    )
    .unwrap();
    let (ok, _, stderr) = import("observations", &db, &file, &[]);
    assert!(!ok && stderr.contains("line 2, column E (value): the unit \"万吨\""), "{stderr}");
}

#[test]
fn progress_is_a_line_every_so_many_rows_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("rows.csv"));
    let mut text = String::from("entry,year,gdp\n");
    for year in 1990..2010 {
        text.push_str(&format!("340300,{year},{}\n", year - 1900));
    }
    std::fs::write(&file, text).unwrap();
    let output = std::process::Command::new(crate::common::binary())
        .args(["import", "observations"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .args(["--source", "test fixture", "--grade", "SECONDARY"])
        .env("RUST_LOG", "warn")
        .env("RUSTBELT_PROGRESS_EVERY", "8")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "checking: 8 of 20 rows",
            "checking: 16 of 20 rows",
            "writing: 8 of 20 rows",
            "writing: 16 of 20 rows"
        ],
        "a plain line every 8 rows, no bar (stderr is a pipe)"
    );
}

#[test]
fn progress_is_a_bar_on_a_terminal() {
    // util-linux `script` runs the command on a pseudo-terminal: stderr is then a terminal.
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED progress_is_a_bar_on_a_terminal: `script` (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("rows.csv"));
    let mut text = String::from("entry,year,gdp\n");
    for year in 1990..2010 {
        text.push_str(&format!("340300,{year},{}\n", year - 1900));
    }
    std::fs::write(&file, text).unwrap();
    let command = format!(
        "{} import observations {} --db {} --source 'test fixture' --grade SECONDARY",
        crate::common::binary().to_string_lossy(),
        file.display(),
        db.display()
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("RUST_LOG", "warn")
        .env("RUSTBELT_PROGRESS_EVERY", "8")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    // The bar redraws at most so often, so which counts it shows varies; its frame does not.
    assert!(
        shown.contains("checking [") && shown.contains("writing [") && shown.contains("/20 rows"),
        "{shown}"
    );
    assert!(!shown.contains("checking: 8 of 20 rows"), "no plain lines on a terminal: {shown}");
}

#[test]
fn a_value_given_twice_names_the_line_it_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("wide.csv"));
    std::fs::write(&file, "entry,year,gdp\n340300,2012,1\n蚌埠市,2012,3\n").unwrap();
    let (ok, _, stderr) = import("observations", &db, &file, &["--source", "test", "--grade", "OFFICIAL"]);
    assert!(!ok);
    assert!(stderr.contains("line 3, column B (year): repeats the value of line 2"), "{stderr}");
}

#[test]
fn a_year_first_table_names_its_entry_column() {
    let dir = tempfile::tempdir().unwrap();
    let (db, file) = (dir.path().join("plan.db"), dir.path().join("wide.csv"));
    std::fs::write(&file, "年份,地区,gdp\n2012,蚌埠,1\n").unwrap();
    let flags = ["--dry-run", "--source", "test", "--grade", "OFFICIAL"];
    let (ok, _, stderr) = import("observations", &db, &file, &flags);
    assert!(!ok && stderr.contains("column A: the entry column is the year column"), "{stderr}");
    let (ok, stdout, stderr) =
        import("observations", &db, &file, &[&flags[..], &["--entry-column", "地区"]].concat());
    assert!(ok, "{stderr}");
    assert!(stdout.contains("line 2: 340300 蚌埠市 gdp 2012 = 1 100 million yuan [OFFICIAL]"), "{stdout}");
}

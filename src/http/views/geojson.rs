//! A view's table as a GeoJSON FeatureCollection (RFC 7946): one Point feature per row at the
//! row's `longitude` and `latitude` columns, every other column a property under its dotted
//! name with its JSON value (numbers stay numbers, lists stay lists). A row without a point
//! keeps its properties and has `"geometry": null`, as RFC 7946 allows for an unlocated
//! feature: a gap stays a gap, never a made-up place.

use async_graphql::Value;

use super::cells::at;
use crate::graphql::views::View;

/// The columns that place a row: their positions in the view's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Coordinates {
    latitude: usize,
    longitude: usize,
}

impl Coordinates {
    /// The view's `latitude` and `longitude` columns (by the last key of their dotted names):
    /// exactly one of each, or why the view cannot be a map.
    pub(super) fn of(view: &View) -> Result<Self, String> {
        let named = |key: &str| -> Vec<usize> {
            let ends = |i: &usize| view.columns[*i].path.last().is_some_and(|k| k == key);
            (0..view.columns.len()).filter(ends).collect()
        };
        let (latitudes, longitudes) = (named("latitude"), named("longitude"));
        match (latitudes.as_slice(), longitudes.as_slice()) {
            ([latitude], [longitude]) => Ok(Self { latitude: *latitude, longitude: *longitude }),
            ([], _) | (_, []) => Err(format!(
                "the view {:?} has no latitude and longitude columns, so it cannot be a map: \
                 ask for format=json, csv, ndjson or xlsx (GET /views lists the views with a geojson link)",
                view.name
            )),
            _ => {
                let headers: Vec<&str> =
                    latitudes.iter().chain(&longitudes).map(|i| view.columns[*i].header.as_str()).collect();
                Err(format!(
                    "the view {:?} has more than one latitude or longitude column ({}): a map needs \
                     exactly one of each; alias the others in the view's document",
                    view.name,
                    headers.join(", ")
                ))
            }
        }
    }
}

/// The table as a FeatureCollection, written out by hand so that the members keep GeoJSON's
/// customary order and the properties the view's column order.
pub(super) fn write(view: &View, rows: &[Value], place: Coordinates) -> String {
    let features: Vec<String> = rows.iter().map(|row| feature(view, row, place)).collect();
    format!("{{\"type\":\"FeatureCollection\",\"features\":[{}]}}", features.join(","))
}

fn feature(view: &View, row: &Value, place: Coordinates) -> String {
    let number = |i: usize| match at(row, &view.columns[i].path) {
        Some(Value::Number(n)) => n.as_f64().map(|f| (f, n.to_string())),
        _ => None,
    };
    // Longitude first (RFC 7946), each as the API wrote it.
    let point = match (number(place.longitude), number(place.latitude)) {
        (Some((lon, x)), Some((lat, y)))
            if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
        {
            format!("{{\"type\":\"Point\",\"coordinates\":[{x},{y}]}}")
        }
        _ => "null".to_string(),
    };
    let properties: Vec<String> = view
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != place.latitude && *i != place.longitude)
        .map(|(_, column)| {
            let value = at(row, &column.path).map_or(serde_json::Value::Null, |v| {
                v.clone().into_json().unwrap_or(serde_json::Value::Null)
            });
            format!("{}:{value}", serde_json::Value::from(column.header.as_str()))
        })
        .collect();
    format!("{{\"type\":\"Feature\",\"geometry\":{point},\"properties\":{{{}}}}}", properties.join(","))
}

//! The fill-in template of `Target.gaps` and `Plan.gaps`: one row per missing value, in the
//! columns `rustbelt import observations` reads (`domain::template`; the `gaps` view names its
//! columns so) with the value and its source left empty, then context the importer skips.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, SimpleObject};

use crate::domain::Indicator;
use crate::graphql::types::enums::{GapRole, SourceGrade, SubjectKind};
use crate::graphql::types::evaluation::Evaluated;
use crate::graphql::types::gaps::TargetGapsNode;
use crate::graphql::{ApiResult, db_error, loaders};

/// One row of the fill-in template: exactly the columns `rustbelt import observations` reads
/// (the `gaps` view names them so), with `value`, `source` and `sourceGrade` left empty for the
/// person who fills it, then context the importer skips.
#[derive(SimpleObject, Clone)]
pub struct TemplateRow {
    /// What the value is about.
    pub subject_kind: SubjectKind,
    /// The entry's admin code; null for the plan area.
    pub subject_code: Option<String>,
    /// The indicator's code.
    pub indicator_code: String,
    /// The year.
    pub year: i32,
    /// Always null: the value to fill in.
    pub value: Option<f64>,
    /// The unit the value is read in (the indicator's); change it to the source's where the
    /// importer converts it (万元 to 亿元, 万人 to persons).
    pub unit: String,
    /// Always null: what exactly was measured, to fill in.
    pub definition: Option<String>,
    /// Always null: the source's address or citation, to fill in.
    pub source: Option<String>,
    /// Always null: a note on the source, to fill in.
    pub source_note: Option<String>,
    /// Always null: BULLETIN, OFFICIAL or SECONDARY, to fill in.
    pub source_grade: Option<SourceGrade>,
    /// Context: the target that needs the value.
    pub target: String,
    /// Context: the entry's Chinese name.
    pub name_zh: Option<String>,
    /// Context: the entry's English name.
    pub name_en: String,
    /// Context: the indicator's name, Chinese then English.
    pub indicator_name: String,
    /// Context: why the year is asked for.
    pub role: GapRole,
    /// Context: whether this value alone gives the evaluation a verdict.
    pub settles: bool,
    /// Context: why the value is needed.
    pub why: String,
}

pub async fn template<'a>(
    ctx: &Context<'_>,
    targets: impl Iterator<Item = &'a TargetGapsNode>,
) -> ApiResult<Vec<TemplateRow>> {
    let targets: Vec<&TargetGapsNode> = targets.collect();
    let codes: Vec<String> = targets
        .iter()
        .flat_map(|t| &t.entries)
        .flat_map(|e| &e.gaps.missing)
        .map(|m| m.indicator.clone())
        .collect();
    let indicators: HashMap<String, Arc<Indicator>> =
        loaders(ctx)?.indicator().load_many(codes).await.map_err(db_error)?;
    let mut rows: Vec<TemplateRow> = Vec::new();
    let mut seen: HashMap<(Option<String>, String, i32), usize> = HashMap::new();
    for t in targets {
        for entry in &t.entries {
            let (kind, code, name_zh, name_en) = match &entry.subject {
                Evaluated::City(c) => (
                    SubjectKind::City,
                    Some(c.admin_code.clone()),
                    Some(c.name_zh.clone()),
                    c.name_en.clone(),
                ),
                _ => (SubjectKind::Plan, None, None, "The plan area as a whole".to_string()),
            };
            for m in &entry.gaps.missing {
                let key = (code.clone(), m.indicator.clone(), m.year);
                if let Some(&at) = seen.get(&key) {
                    // Two targets need the same value: one row names both.
                    let row = &mut rows[at];
                    row.target = format!("{}; {}", row.target, t.target.code);
                    row.settles |= m.settles;
                    continue;
                }
                let indicator = indicators.get(&m.indicator);
                let name = indicator.map_or_else(
                    || m.indicator.clone(),
                    |i| match &i.name_zh {
                        Some(zh) => format!("{zh} ({})", i.name_en),
                        None => i.name_en.clone(),
                    },
                );
                seen.insert(key, rows.len());
                rows.push(TemplateRow {
                    subject_kind: kind,
                    subject_code: code.clone(),
                    indicator_code: m.indicator.clone(),
                    year: m.year,
                    value: None,
                    unit: indicator.map(|i| i.unit.clone()).unwrap_or_default(),
                    definition: None,
                    source: None,
                    source_note: None,
                    source_grade: None,
                    target: t.target.code.clone(),
                    name_zh: name_zh.clone(),
                    name_en: name_en.clone(),
                    indicator_name: name,
                    role: m.role.into(),
                    settles: m.settles,
                    why: m.why.clone(),
                });
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use crate::domain::template::{COLUMNS, CONTEXT};
    use crate::graphql::request::views::{EMBEDDED, View};

    /// The shipped `gaps` view writes exactly the importer's columns, then the context ones.
    #[test]
    fn the_gaps_view_has_the_importers_columns_then_the_context() {
        let (name, text) = EMBEDDED.iter().find(|(name, _)| *name == "gaps").expect("shipped");
        let view = View::parse(name, text).expect("the view parses");
        let headers: Vec<&str> = view.columns.iter().map(|c| c.header.as_str()).collect();
        let expected: Vec<&str> = COLUMNS.iter().chain(CONTEXT.iter()).copied().collect();
        assert_eq!(headers, expected);
    }
}

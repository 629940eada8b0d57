//! `Rollup`: one indicator's values of one year for the cities of a province or of the plan
//! area, combined by the indicator's own rule (`domain::rollup`), with the cities that
//! contributed, those that did not, and the observations used.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, Object};

use crate::db::observations::rollup_points;
use crate::db::{DbError, ReadSession};
use crate::domain::rollup::{self, Aggregation, Refusal, Rollup};
use crate::domain::{self, Indicator, SeriesPoint};
use crate::graphql::types::city::CityNode;
use crate::graphql::types::enums::Membership;
use crate::graphql::types::evaluation::check_year;
use crate::graphql::types::indicator::IndicatorNode;
use crate::graphql::types::observation::ObservationNode;
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// How values of one indicator for several places combine.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AggregationRule {
    /// The values add up: flows and levels such as GDP or new jobs.
    Sum,
    /// A share: the sum of its numerator over the sum of its denominator, over the places where
    /// both are known (the services share: Σ tertiary value added ÷ Σ GDP × 100).
    RatioOfSums,
    /// A per-person or per-unit value: the mean weighted by another quantity, which each place
    /// must have recorded (an income per person needs each city's population).
    WeightedMean,
    /// The values do not combine across places without more data.
    NotCombinable,
}

impl From<&Aggregation> for AggregationRule {
    fn from(rule: &Aggregation) -> Self {
        match rule {
            Aggregation::Sum => Self::Sum,
            Aggregation::RatioOfSums { .. } => Self::RatioOfSums,
            Aggregation::WeightedMean { .. } => Self::WeightedMean,
            Aggregation::NotCombinable => Self::NotCombinable,
        }
    }
}

/// Why a roll-up has no value.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::rollup::Refusal")]
pub enum RollupRefusal {
    /// The indicator's values do not combine across places.
    NotCombinable,
    /// A weighted mean whose weights no city in scope has recorded.
    WeightsUnknown,
    /// No city in scope has what the rule needs for the year.
    NoValues,
}

/// One roll-up's cities: the province (or `None`, the plan area), the indicators read, the
/// year and the memberships in scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RollupKey {
    pub province: Option<String>,
    pub inputs: Vec<String>,
    pub year: i32,
    pub memberships: Vec<domain::Membership>,
}

/// Loads each roll-up's cities with their points: one statement for every province that asks
/// for the same indicators, year and memberships.
pub struct RollupPoints {
    pub session: Arc<ReadSession>,
}

/// Cities (admin code) with their points of the roll-up's inputs.
pub type Places = Arc<Vec<(String, Vec<SeriesPoint>)>>;

impl Loader<RollupKey> for RollupPoints {
    type Value = Places;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[RollupKey]) -> Result<HashMap<RollupKey, Places>, Self::Error> {
        // Keys that read the same indicators, year and memberships, by province or for the
        // plan area, share one statement.
        type Group<'k> = (&'k [String], i32, &'k [domain::Membership], bool);
        let mut groups: HashMap<Group<'_>, Vec<&RollupKey>> = HashMap::new();
        for key in keys {
            let group = (key.inputs.as_slice(), key.year, key.memberships.as_slice(), key.province.is_some());
            groups.entry(group).or_default().push(key);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((inputs, year, memberships, by_province), keys) in groups {
            let provinces: Vec<String> = keys.iter().filter_map(|k| k.province.clone()).collect();
            let scope = by_province.then_some(provinces.as_slice());
            let rows = self.session.read(|c| rollup_points(c, scope, memberships, inputs, year))?;
            let mut by_group: HashMap<String, Vec<(String, Vec<SeriesPoint>)>> = HashMap::new();
            for (group, city, points) in rows {
                by_group.entry(group).or_default().push((city, points));
            }
            for key in keys {
                let places = by_group.remove(key.province.as_deref().unwrap_or("")).unwrap_or_default();
                out.insert(key.clone(), Arc::new(places));
            }
        }
        Ok(out)
    }
}

/// An indicator's values of one year for the cities of a province or of the plan area,
/// combined by the indicator's own rule (`Indicator.aggregation`).
pub struct RollupNode {
    indicator: Arc<Indicator>,
    year: i32,
    rule: Aggregation,
    result: Rollup,
}

/// An indicator's values of one year for the cities of a province or of the plan area,
/// combined by the indicator's own rule (`Indicator.aggregation`).
#[Object(name = "Rollup")]
impl RollupNode {
    /// The indicator combined.
    async fn indicator(&self) -> IndicatorNode {
        IndicatorNode(self.indicator.clone())
    }

    /// The year combined.
    async fn year(&self) -> i32 {
        self.year
    }

    /// The rule the values were combined by.
    async fn rule(&self) -> AggregationRule {
        (&self.rule).into()
    }

    /// The indicators read: the indicator itself (SUM), its numerator and denominator
    /// (RATIO_OF_SUMS), or it and its weight (WEIGHTED_MEAN).
    async fn inputs(&self) -> Vec<String> {
        self.rule.inputs(&self.indicator.code)
    }

    /// The combined value, in the indicator's unit; null when `refusal` says why.
    async fn value(&self) -> Option<f64> {
        self.result.value
    }

    /// Why there is no value, when there is none.
    async fn refusal(&self) -> Option<RollupRefusal> {
        self.result.refusal.map(Into::into)
    }

    /// The reason in words, for a refusal; for a value, what it covers.
    async fn reason(&self) -> String {
        let indicator = &self.indicator.code;
        let (year, inputs) = (self.year, self.rule.inputs(indicator).join(" and "));
        match (&self.result.refusal, &self.rule) {
            (Some(Refusal::NotCombinable), _) => {
                format!("{indicator} does not combine across places: compare the cities' own values")
            }
            (Some(Refusal::WeightsUnknown), Aggregation::WeightedMean { weight }) => format!(
                "{indicator} is a per-person or per-unit value: a mean over cities needs each city's {weight}, and no city in scope has one for {year}"
            ),
            (Some(_), _) => format!("no city in scope has {inputs} for {year}"),
            (None, _) => format!(
                "{} of the {} cities in scope have {inputs} for {year}",
                self.result.contributing.len(),
                self.result.contributing.len() + self.result.missing.len()
            ),
        }
    }

    /// Whether every city in scope contributed (otherwise the value covers `contributing` only).
    async fn complete(&self) -> bool {
        self.result.value.is_some() && self.result.missing.is_empty()
    }

    /// The cities whose values went into `value`.
    async fn contributing(&self, ctx: &Context<'_>) -> ApiResult<Vec<CityNode>> {
        cities(ctx, &self.result.contributing).await
    }

    /// The cities in scope that lack what the rule needs for the year.
    async fn missing(&self, ctx: &Context<'_>) -> ApiResult<Vec<CityNode>> {
        cities(ctx, &self.result.missing).await
    }

    /// The observations used, with their sources.
    async fn observations(&self, ctx: &Context<'_>) -> ApiResult<Vec<ObservationNode>> {
        let ids: Vec<String> = self.result.used.iter().map(i64::to_string).collect();
        let mut rows = loaders(ctx)?.observation().load_many(ids.iter().cloned()).await.map_err(db_error)?;
        Ok(ids.iter().filter_map(|id| rows.remove(id)).map(ObservationNode).collect())
    }
}

async fn cities(ctx: &Context<'_>, codes: &[String]) -> ApiResult<Vec<CityNode>> {
    let mut found = loaders(ctx)?.city().load_many(codes.iter().cloned()).await.map_err(db_error)?;
    Ok(codes.iter().filter_map(|code| found.remove(code)).map(CityNode).collect())
}

/// The `rollup` field of Province (`province: Some`) and Plan (`None`).
pub async fn rollup(
    ctx: &Context<'_>,
    province: Option<String>,
    indicator: String,
    year: i32,
    membership: Vec<Membership>,
) -> ApiResult<RollupNode> {
    let year = check_year("year", year)?;
    let l = loaders(ctx)?;
    let found = l.indicator().load_one(indicator.clone()).await.map_err(db_error)?;
    let indicator =
        found.ok_or_else(|| ApiError::BadUserInput(format!("no indicator has the code {indicator:?}")))?;
    let rule = indicator.aggregation();
    let inputs = rule.inputs(&indicator.code);
    let mut memberships: Vec<domain::Membership> = membership.into_iter().map(Into::into).collect();
    memberships.sort_by_key(|m| m.as_str());
    memberships.dedup();
    // A rule without inputs still reads the cities in scope, to name them as missing.
    let key = RollupKey { province, inputs, year, memberships };
    let places = l.rollups().load_one(key).await.map_err(db_error)?.unwrap_or_default();
    let result = rollup::roll_up(&rule, &indicator.code, &places);
    Ok(RollupNode { indicator, year, rule, result })
}

//! `Observation`: a recorded value of an indicator for a subject and a year, with its source.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};

use crate::domain::Observation;
use crate::domain::query::{Filter, ListQuery, Page, Relation, SortKey, Texts};
use crate::graphql::limits::bounds;
use crate::graphql::types::city::{CityFilter, CityNode};
use crate::graphql::types::enums::{Origin, Recorder, SourceGrade, SubjectKind};
use crate::graphql::types::filter::{
    FloatFilter, IntFilter, SortDirection, StringFilter, combine, enum_filter,
};
use crate::graphql::types::indicator::{IndicatorFilter, IndicatorNode};
use crate::graphql::types::node::global_id;
use crate::graphql::types::plain::{Getter, PlainFields, enumerated, optional, scalar, text};
use crate::graphql::types::province::{ProvinceFilter, ProvinceNode};
use crate::graphql::types::related::linked;
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// A value of an indicator for one subject (a city, a province or the plan area) and one
/// year, as published by the named source.
#[derive(Clone)]
pub struct ObservationNode(pub Arc<Observation>);

/// A value of an indicator for one subject (a city, a province or the plan area) and one
/// year, as published by the named source.
#[Object(name = "Observation")]
impl ObservationNode {
    /// Global ID (Relay Object Identification); pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Observation", &self.0.id.to_string())
    }

    /// What the observation is about.
    async fn subject_kind(&self) -> SubjectKind {
        self.0.subject_kind.into()
    }

    /// The city observed, when the subject is a city.
    async fn city(&self, ctx: &Context<'_>) -> ApiResult<Option<CityNode>> {
        let Some(code) = &self.0.city_code else { return Ok(None) };
        let city = loaders(ctx)?.city().load_one(code.clone()).await.map_err(db_error)?;
        Ok(city.map(CityNode))
    }

    /// The province observed as a whole, when the subject is a province. For a city's
    /// observation, ask `city { province }`.
    async fn province(&self, ctx: &Context<'_>) -> ApiResult<Option<ProvinceNode>> {
        let Some(code) = &self.0.province_code else { return Ok(None) };
        let province = loaders(ctx)?.province().load_one(code.clone()).await.map_err(db_error)?;
        Ok(province.map(ProvinceNode))
    }

    /// The indicator observed.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<IndicatorNode> {
        let code = self.0.indicator_code.clone();
        let indicator = loaders(ctx)?.indicator().load_one(code).await.map_err(db_error)?;
        indicator.map(IndicatorNode).ok_or_else(|| ApiError::Internal.into())
    }

    /// Calendar year the value refers to.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// The value, in `unit` (percent shares in percent points: 42.9 means 42.9 %).
    async fn value(&self) -> f64 {
        self.0.value
    }

    /// Unit of `value` as the source states it.
    async fn unit(&self) -> &str {
        &self.0.unit
    }

    /// What exactly was measured (definition, prices, preliminary or final).
    async fn definition(&self) -> &str {
        &self.0.definition
    }

    /// Address of the source the value was read from.
    async fn source_url(&self) -> &str {
        &self.0.source_url
    }

    /// What the source is and how far to trust it (bulletin, repost, press conference…).
    async fn source_note(&self) -> &str {
        &self.0.source_note
    }

    /// True only in a synthetic benchmark database (`rustbelt synthesize`): this observation was
    /// generated, not observed. Always false in a database made from the real seed.
    async fn synthetic(&self) -> bool {
        self.0.synthetic
    }

    /// Seeded with the server, or recorded by a user.
    async fn origin(&self) -> Origin {
        self.0.origin.into()
    }

    /// How far to trust the value: what kind of source it comes from (UNGRADED: a user's value
    /// recorded before grades existed, which never declared one).
    async fn source_grade(&self) -> SourceGrade {
        self.0.source_grade.into()
    }

    /// Who wrote the value: the seed, an import or the API. Null for a user's value written
    /// before the server kept track (an older database).
    async fn recorded_by(&self) -> Option<Recorder> {
        self.0.recorded_by.map(Into::into)
    }

    /// The data version of the write that recorded the value (0 where it predates tracking).
    /// Every write makes a larger one: a client that saw version `v` (from
    /// `observationsRecorded`) catches up with `filter: { recordedVersion: { gt: v } }`.
    async fn recorded_version(&self) -> i64 {
        self.0.recorded_version
    }
}

/// The fields of an observation read without the executor (see
/// [`crate::graphql::types::plain`]), each answering what its resolver above answers, and the
/// text columns each field shows.
impl PlainFields for ObservationNode {
    fn plain(name: &str) -> Option<Getter<Self>> {
        Some(match name {
            "id" => |o| scalar(global_id("Observation", &o.0.id.to_string())),
            "subjectKind" => |o| enumerated(SubjectKind::from(o.0.subject_kind)),
            "year" => |o| scalar(o.0.year),
            "value" => |o| scalar(o.0.value),
            "unit" => |o| text(&o.0.unit),
            "definition" => |o| text(&o.0.definition),
            "sourceUrl" => |o| text(&o.0.source_url),
            "sourceNote" => |o| text(&o.0.source_note),
            "synthetic" => |o| scalar(o.0.synthetic),
            "origin" => |o| enumerated(Origin::from(o.0.origin)),
            "sourceGrade" => |o| enumerated(SourceGrade::from(o.0.source_grade)),
            "recordedBy" => |o| optional(o.0.recorded_by.map(Recorder::from), enumerated),
            "recordedVersion" => |o| scalar(o.0.recorded_version),
            _ => return None,
        })
    }

    /// The text columns of `observation_rows` a field of an observation shows.
    fn texts(field: &str) -> Option<&'static [&'static str]> {
        match field {
            "unit" => Some(&["unit"]),
            "definition" => Some(&["definition"]),
            "sourceUrl" => Some(&["source_url"]),
            "sourceNote" => Some(&["source_note"]),
            "indicator" => Some(&["indicator_code"]),
            "id" | "subjectKind" | "city" | "province" | "year" | "value" | "synthetic" | "origin"
            | "sourceGrade" | "recordedBy" | "recordedVersion" => Some(&[]),
            _ => None,
        }
    }
}

enum_filter!(
    /// Conditions on an observation's subject kind.
    SubjectKindFilter,
    SubjectKind
);
enum_filter!(
    /// Conditions on an observation's origin.
    OriginFilter,
    Origin
);
enum_filter!(
    /// Conditions on an observation's source grade.
    SourceGradeFilter,
    SourceGrade
);

/// Which observations to list. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct ObservationFilter {
    /// All of these filters hold.
    pub and: Option<Vec<ObservationFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<ObservationFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<ObservationFilter>>,
    /// The kind of subject.
    pub subject_kind: Option<SubjectKindFilter>,
    /// The observed city's admin code.
    pub city_code: Option<StringFilter>,
    /// The observed province's code (province-level observations only).
    pub province_code: Option<StringFilter>,
    /// The indicator's code, e.g. `services_share_gdp`.
    pub indicator_code: Option<StringFilter>,
    /// The year.
    pub year: Option<IntFilter>,
    /// The value, in the observation's unit.
    pub value: Option<FloatFilter>,
    /// Seeded or recorded by a user.
    pub origin: Option<OriginFilter>,
    /// How far to trust the value.
    pub source_grade: Option<SourceGradeFilter>,
    /// The data version of the write that recorded the value.
    pub recorded_version: Option<IntFilter>,
    /// The city observed matches this filter, e.g. `{ province: { region: { eq: CENTRAL } } }`
    /// (never true of a province's or the plan area's observation).
    pub city: Option<Box<CityFilter>>,
    /// The province observed as a whole matches this filter (never true of a city's or the plan
    /// area's observation: for a city's province, use `city: { province: … }`).
    pub province: Option<Box<ProvinceFilter>>,
    /// The indicator observed matches this filter.
    pub indicator: Option<Box<IndicatorFilter>>,
}
bounds::logical!(ObservationFilter; links: city, province, indicator);

impl ObservationFilter {
    /// The filter as a condition tree.
    pub fn to_filter(&self) -> Filter {
        let mut fields = Vec::new();
        fields.extend(self.subject_kind.as_ref().map(|f| f.on("subject_kind")));
        fields.extend(self.city_code.as_ref().map(|f| f.on("city_code")));
        fields.extend(self.province_code.as_ref().map(|f| f.on("province_code")));
        fields.extend(self.indicator_code.as_ref().map(|f| f.on("indicator_code")));
        fields.extend(self.year.as_ref().map(|f| f.on("year")));
        fields.extend(self.value.as_ref().map(|f| f.on("value")));
        fields.extend(self.origin.as_ref().map(|f| f.on("origin")));
        fields.extend(self.source_grade.as_ref().map(|f| f.on("source_grade")));
        fields.extend(self.recorded_version.as_ref().map(|f| f.on("recorded_version")));
        fields.extend(
            self.city.as_deref().map(|f| linked(Relation::ObservationCity, f, CityFilter::to_filter)),
        );
        fields.extend(
            self.province
                .as_deref()
                .map(|f| linked(Relation::ObservationProvince, f, ProvinceFilter::to_filter)),
        );
        fields.extend(
            self.indicator
                .as_deref()
                .map(|f| linked(Relation::ObservationIndicator, f, IndicatorFilter::to_filter)),
        );
        let list = |v: &Option<Vec<Self>>| v.as_ref().map(|v| v.iter().map(Self::to_filter).collect());
        combine(fields, list(&self.and), list(&self.or), self.not.as_ref().map(|f| f.to_filter()))
    }
}

/// A field observations can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ObservationOrderField {
    /// Year.
    Year,
    /// Value.
    Value,
    /// Indicator code.
    IndicatorCode,
    /// City admin code.
    CityCode,
}

/// One sort key for observations.
#[derive(InputObject, Copy, Clone, Debug)]
pub struct ObservationOrder {
    /// The field to sort by.
    pub field: ObservationOrderField,
    /// Ascending (default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// An observation list request as a domain query.
pub fn observation_query(
    filter: Option<Box<ObservationFilter>>,
    order_by: Option<Vec<ObservationOrder>>,
    page: Page,
) -> ApiResult<ListQuery> {
    let order = order_by.unwrap_or_default().into_iter().map(|o| SortKey {
        column: match o.field {
            ObservationOrderField::Year => "year",
            ObservationOrderField::Value => "value",
            ObservationOrderField::IndicatorCode => "indicator_code",
            ObservationOrderField::CityCode => "city_code",
        },
        descending: o.direction == SortDirection::Desc,
    });
    let query = ListQuery {
        filter: filter.as_ref().map(|f| f.to_filter()),
        order: order.collect(),
        page,
        texts: Texts::All,
    };
    bounds::checked(filter.as_deref(), query)
}

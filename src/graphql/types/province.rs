//! `Province`: a provincial-level division, with its plan cities and observations.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use crate::domain::Province;
use crate::domain::query::{Filter, ListQuery, Relation, SortKey, Texts};
use crate::graphql::limits::bounds;
use crate::graphql::request::loaders::Loaders;
use crate::graphql::request::loaders::PageKey;
use crate::graphql::types::city::{CityFilter, CityNode, CityOrder, city_query};
use crate::graphql::types::enums::{Completeness, Membership, ProvinceKind, Region};
use crate::graphql::types::evaluation::{self, Evaluated, EvaluationNode, EvaluationOptionsInput};
use crate::graphql::types::facets::{CityConnection, FacetScope};
use crate::graphql::types::filter::{SortDirection, StringFilter, combine, enum_filter};
use crate::graphql::types::lists;
use crate::graphql::types::node::global_id;
use crate::graphql::types::observation::{ObservationFilter, ObservationNode, ObservationOrder};
use crate::graphql::types::paging::{Conn, connection, page, reading};
use crate::graphql::types::plain::{Getter, PlainFields, enumerated, scalar, text};
use crate::graphql::types::plan::PlanNode;
use crate::graphql::types::related::{CitySetFilter, ObservationSetFilter};
use crate::graphql::types::rollup::{self, RollupNode};
use crate::graphql::types::status_tally::{self, StatusTally};
use crate::graphql::{ApiResult, db_error, loaders};

/// A provincial-level division of mainland China (all 31 are listed; the plan covers 27, and
/// which 4 it leaves out is not known).
#[derive(Clone)]
pub struct ProvinceNode(pub Arc<Province>);

/// A provincial-level division of mainland China (all 31 are listed; the plan covers 27, and
/// which 4 it leaves out is not known).
#[Object(name = "Province")]
impl ProvinceNode {
    /// Global ID (Relay Object Identification); pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Province", &self.0.code)
    }

    /// 6-digit GB/T 2260 division code, e.g. `340000`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// English name, e.g. `Anhui`.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }

    /// Chinese name, e.g. `安徽省`.
    async fn name_zh(&self) -> &str {
        &self.0.name_zh
    }

    /// ISO 3166-2 code, e.g. `CN-AH`.
    async fn iso_code(&self) -> &str {
        &self.0.iso_code
    }

    /// Province, municipality or autonomous region.
    async fn kind(&self) -> ProvinceKind {
        self.0.kind.into()
    }

    /// Statistical region.
    async fn region(&self) -> Region {
        self.0.region.into()
    }

    /// The plan this province is listed under.
    async fn plan(&self) -> PlanNode {
        PlanNode
    }

    /// How much of the province's set of plan entries is known: the count its sources name,
    /// whether that is the whole set, and why. Null for a province with no confirmed entry,
    /// of whose set nothing is known (it may even be one of the four outside the plan).
    async fn coverage(&self, ctx: &Context<'_>) -> ApiResult<Option<CoverageNode>> {
        let coverage = loaders(ctx)?.coverage().load_one(self.0.code.clone()).await.map_err(db_error)?;
        Ok(coverage.map(|c| CoverageNode {
            entries_known: c.entries_known,
            set_complete: c.set_complete.into(),
            why: c.why.clone(),
        }))
    }

    /// One indicator's values of one year for the province's plan entries, combined by the indicator's own
    /// rule (`Indicator.aggregation`): a sum for flows and levels, the ratio of the parts' sums for a share,
    /// a weighted mean for a per-person value, or a refusal with its reason; with the cities that
    /// contributed, those that did not, and the observations used.
    async fn rollup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator's code, e.g. `gdp` or `services_share_gdp`.")] indicator: String,
        #[graphql(desc = "The year.")] year: i32,
        #[graphql(
            default_with = "vec![Membership::Confirmed]",
            desc = "Which entries to combine: confirmed ones by default."
        )]
        membership: Vec<Membership>,
    ) -> ApiResult<RollupNode> {
        rollup::rollup(ctx, Some(self.0.code.clone()), indicator, year, membership).await
    }

    /// How many of the province's entries have each status for one target (as a benchmark
    /// against the plan's level): every entry in scope judged once for all provinces of a
    /// list. A plan-wide total, not split across cities, counts zero.
    async fn status_tally(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The target's code, e.g. `services_share_2017`.")] target: String,
        #[graphql(
            default_with = "vec![Membership::Confirmed]",
            desc = "Which entries to count: confirmed ones by default."
        )]
        membership: Vec<Membership>,
    ) -> ApiResult<StatusTally> {
        status_tally::of_province(ctx, &self.0.code, target, membership).await
    }

    /// The province's plan entries. Confirmed entries only unless `membership` says otherwise.
    async fn cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "vec![Membership::Confirmed]",
            desc = "Which entries to list: confirmed ones by default; add `CANDIDATE` for leads with indirect evidence only."
        )]
        membership: Vec<Membership>,
        #[graphql(desc = "Only entries matching this filter.")] filter: Option<Box<CityFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in admin-code order.")]
        order_by: Option<Vec<CityOrder>>,
        #[graphql(
            desc = "Page forwards: at most this many entries (default page size if neither `first` nor `last`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many entries, the last ones before `before`.")]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<CityConnection> {
        let loaders = loaders(ctx)?;
        let query = loaders.list_query(ctx, || {
            let page = page(ctx, first, after, last, before)?;
            Ok(reading::<CityNode>(ctx, city_query(&membership, filter, order_by, page)?))
        })?;
        let page = query.query.page;
        let key = PageKey { parent: self.0.code.clone(), query: query.clone() };
        let listed = loaders.province_cities().load_one(key).await.map_err(db_error)?;
        let scope = FacetScope { province: Some(self.0.code.clone()), query };
        Ok(CityConnection::new(connection(&page, &listed.unwrap_or_default(), CityNode), scope))
    }

    /// Observations recorded for the province as a whole (not for its cities).
    async fn observations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only observations matching this filter.")] filter: Option<Box<ObservationFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in id order.")] order_by: Option<
            Vec<ObservationOrder>,
        >,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<ObservationNode>> {
        let (parent, args) = (self.0.code.clone(), (first, after, last, before));
        lists::observations_of(ctx, Loaders::province_observations, parent, filter, order_by, args).await
    }

    /// How the province as a whole (its own province-level observations, not its cities')
    /// stands against each of the plan's LEVEL and CHANGE targets, as a benchmark against the
    /// plan's level. CUMULATIVE totals are evaluated only for the plan area.
    async fn evaluation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Year to evaluate as of (default: each target's own target year).")] as_of: Option<
            i32,
        >,
        #[graphql(desc = "How to evaluate.")] options: Option<EvaluationOptionsInput>,
    ) -> ApiResult<Vec<EvaluationNode>> {
        evaluation::of_subject(ctx, Evaluated::Province(self.0.clone()), as_of, options).await
    }
}

/// How much of a province's set of plan entries is known (seed/province_coverage.csv).
#[derive(SimpleObject)]
#[graphql(name = "ProvinceCoverage")]
pub struct CoverageNode {
    /// Confirmed entries the sources name in this province.
    pub entries_known: i64,
    /// Whether those are all of the province's entries.
    pub set_complete: Completeness,
    /// Why the set is, probably is, or is not known to be complete, with the source.
    pub why: String,
}

enum_filter!(
    /// Conditions on a province's kind.
    ProvinceKindFilter,
    ProvinceKind
);
enum_filter!(
    /// Conditions on a province's region.
    RegionFilter,
    Region
);

/// The fields of a province read without the executor (see [`crate::graphql::types::plain`]),
/// each answering what its resolver above answers, and the text columns each field shows.
impl PlainFields for ProvinceNode {
    fn plain(name: &str) -> Option<Getter<Self>> {
        Some(match name {
            "id" => |p| scalar(global_id("Province", &p.0.code)),
            "code" => |p| text(&p.0.code),
            "nameEn" => |p| text(&p.0.name_en),
            "nameZh" => |p| text(&p.0.name_zh),
            "isoCode" => |p| text(&p.0.iso_code),
            "kind" => |p| enumerated(ProvinceKind::from(p.0.kind)),
            "region" => |p| enumerated(Region::from(p.0.region)),
            _ => return None,
        })
    }

    /// The text columns of `provinces` a field of a province shows.
    fn texts(field: &str) -> Option<&'static [&'static str]> {
        match field {
            "nameEn" => Some(&["name_en"]),
            "nameZh" => Some(&["name_zh"]),
            "isoCode" => Some(&["iso_code"]),
            "id" | "code" | "kind" | "region" | "cities" | "observations" => Some(&[]),
            _ => None,
        }
    }
}

/// Which provinces to list. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct ProvinceFilter {
    /// All of these filters hold.
    pub and: Option<Vec<ProvinceFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<ProvinceFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<ProvinceFilter>>,
    /// The 6-digit division code.
    pub code: Option<StringFilter>,
    /// The ISO 3166-2 code (`CN-AH`).
    pub iso_code: Option<StringFilter>,
    /// Either name, English or Chinese (e.g. `{containsIgnoreCase: "an"}` or `{contains: "安"}`).
    pub name: Option<StringFilter>,
    /// The English name.
    pub name_en: Option<StringFilter>,
    /// The Chinese name.
    pub name_zh: Option<StringFilter>,
    /// The kind of division.
    pub kind: Option<ProvinceKindFilter>,
    /// The statistical region.
    pub region: Option<RegionFilter>,
    /// The province's plan entries (confirmed ones unless `membership` says otherwise): `some`,
    /// `every` or `none` of them match, e.g. `{ none: { observations: { some: {} } } }` (`every`
    /// and `none` hold for a province without entries).
    pub cities: Option<Box<CitySetFilter>>,
    /// The province's observations as a whole (not its cities'): `some`, `every` or `none` of
    /// them match (`every` and `none` hold for a province without such observations).
    pub observations: Option<Box<ObservationSetFilter>>,
}
bounds::logical!(ProvinceFilter; sets: cities, observations);

impl ProvinceFilter {
    /// The filter as a condition tree.
    pub fn to_filter(&self) -> Filter {
        let mut fields = Vec::new();
        fields.extend(self.code.as_ref().map(|f| f.on("code")));
        fields.extend(self.iso_code.as_ref().map(|f| f.on("iso_code")));
        fields.extend(self.name.as_ref().map(|f| Filter::Any(vec![f.on("name_en"), f.on("name_zh")])));
        fields.extend(self.name_en.as_ref().map(|f| f.on("name_en")));
        fields.extend(self.name_zh.as_ref().map(|f| f.on("name_zh")));
        fields.extend(self.kind.as_ref().map(|f| f.on("kind")));
        fields.extend(self.region.as_ref().map(|f| f.on("region")));
        fields.extend(self.cities.as_ref().map(|f| f.on(Relation::ProvinceCities)));
        fields.extend(self.observations.as_ref().map(|f| f.on(Relation::ProvinceObservations)));
        let list =
            |v: &Option<Vec<ProvinceFilter>>| v.as_ref().map(|v| v.iter().map(Self::to_filter).collect());
        combine(fields, list(&self.and), list(&self.or), self.not.as_ref().map(|f| f.to_filter()))
    }
}

/// A field provinces can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProvinceOrderField {
    /// Division code.
    Code,
    /// English name.
    NameEn,
    /// Chinese name (by code point).
    NameZh,
    /// Statistical region.
    Region,
}

/// One sort key for provinces.
#[derive(InputObject, Copy, Clone, Debug)]
pub struct ProvinceOrder {
    /// The field to sort by.
    pub field: ProvinceOrderField,
    /// Ascending (default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// A province list request as a domain query.
pub fn province_query(
    filter: Option<Box<ProvinceFilter>>,
    order_by: Option<Vec<ProvinceOrder>>,
    page: crate::domain::query::Page,
) -> ApiResult<ListQuery> {
    let order = order_by.unwrap_or_default().into_iter().map(|o| SortKey {
        column: match o.field {
            ProvinceOrderField::Code => "code",
            ProvinceOrderField::NameEn => "name_en",
            ProvinceOrderField::NameZh => "name_zh",
            ProvinceOrderField::Region => "region",
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

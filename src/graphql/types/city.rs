//! `City`: a plan entry (a prefecture-level city, or the named district of a larger city).

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use crate::domain::City;
use crate::domain::query::{Filter, ListQuery, Page, Relation, SortKey, Texts};
use crate::graphql::limits::bounds;
use crate::graphql::request::loaders::Loaders;
use crate::graphql::types::enums::{CityTier, EntryKind, EvidenceGrade, Membership, Origin};
use crate::graphql::types::evaluation::{self, Evaluated, EvaluationNode, EvaluationOptionsInput};
use crate::graphql::types::filter::{FloatFilter, SortDirection, StringFilter, combine, enum_filter};
use crate::graphql::types::lists;
use crate::graphql::types::node::global_id;
use crate::graphql::types::observation::{ObservationFilter, ObservationNode, ObservationOrder};
use crate::graphql::types::paging::Conn;
use crate::graphql::types::plain::{Getter, PlainFields, enumerated, optional, scalar, text};
use crate::graphql::types::province::{ProvinceFilter, ProvinceNode};
use crate::graphql::types::related::{CitySourceSetFilter, ObservationSetFilter, linked};
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// A plan entry: one of the 95 prefecture-level cities, or the one district (市辖区) the plan
/// names in each of 25 municipalities, sub-provincial cities and capitals. The plan's own list
/// was not found: `membership` says whether a source confirms the entry, `evidence` how
/// directly, and `sources` what each source says (`plan { confirmedCityCount }` tells how many
/// of the 120 are known).
#[derive(Clone)]
pub struct CityNode(pub Arc<City>);

/// A plan entry: one of the 95 prefecture-level cities, or the one district (市辖区) the plan
/// names in each of 25 municipalities, sub-provincial cities and capitals. The plan's own list
/// was not found: `membership` says whether a source confirms the entry, `evidence` how
/// directly, and `sources` what each source says (`plan { confirmedCityCount }` tells how many
/// of the 120 are known).
#[Object(name = "City")]
impl CityNode {
    /// Global ID (Relay Object Identification); pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("City", &self.0.admin_code)
    }

    /// 6-digit GB/T 2260 code: the city's, or the district's for the 25 group, e.g. `340300`.
    async fn admin_code(&self) -> &str {
        &self.0.admin_code
    }

    /// English name (Hanyu Pinyin); districts read "District (City)". `Yichun` 伊春 and 宜春
    /// share a spelling: use the code to tell them apart.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }

    /// Chinese name, e.g. `蚌埠市` or `合肥市瑶海区`.
    async fn name_zh(&self) -> &str {
        &self.0.name_zh
    }

    /// Administrative tier (for districts, the tier of the parent city).
    async fn tier(&self) -> CityTier {
        self.0.tier.into()
    }

    /// Latitude of the city seat in decimal degrees (datum undocumented by the source package).
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }

    /// Longitude of the city seat in decimal degrees.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }

    /// True only in a synthetic benchmark database (`rustbelt synthesize`): this entry was
    /// generated, not observed. Always false in a database made from the real seed.
    async fn synthetic(&self) -> bool {
        self.0.synthetic
    }

    /// Whether a source confirms the entry or there is only indirect evidence: CONFIRMED
    /// exactly when one of its sources is graded NAMES_PLAN or NATIONAL_DESIGNATION.
    async fn membership(&self) -> Membership {
        self.0.membership.into()
    }

    /// The strongest grade among the entry's sources. Null only where no source is recorded:
    /// a synthetic entry, or one the seed no longer lists that your observations refer to.
    async fn evidence(&self) -> Option<EvidenceGrade> {
        self.0.evidence.map(Into::into)
    }

    /// What unit the entry is: a whole prefecture-level city, a named district, or a district
    /// the plan names in this city without its being known which (then `adminCode` is the
    /// city's).
    async fn entry_kind(&self) -> EntryKind {
        self.0.entry_kind().into()
    }

    /// Whether the entry comes from the shipped seed or was added with `rustbelt import
    /// cities`.
    async fn origin(&self) -> Origin {
        self.0.origin.into()
    }

    /// The province the entry lies in.
    async fn province(&self, ctx: &Context<'_>) -> ApiResult<ProvinceNode> {
        let province = loaders(ctx)?.province().load_one(self.0.province_code.clone()).await;
        let province = province.map_err(db_error)?;
        // A foreign key guarantees the province exists; its absence is a broken database.
        province.map(ProvinceNode).ok_or_else(|| ApiError::Internal.into())
    }

    /// The sources that name this entry, strongest grade first, with what each says.
    async fn sources(&self, ctx: &Context<'_>) -> ApiResult<Vec<CitySourceNode>> {
        let rows = loaders(ctx)?.city_sources().load_one(self.0.admin_code.clone()).await;
        let rows = rows.map_err(db_error)?.unwrap_or_default();
        Ok(rows
            .iter()
            .map(|s| CitySourceNode {
                url: s.source.url.clone(),
                evidence: s.evidence.into(),
                note: s.note.clone(),
                description: s.source.description.clone(),
                origin: s.origin.into(),
            })
            .collect())
    }

    /// Observations recorded for this entry.
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
        let (parent, args) = (self.0.admin_code.clone(), (first, after, last, before));
        lists::observations_of(ctx, Loaders::city_observations, parent, filter, order_by, args).await
    }

    /// How this entry stands against each of the plan's LEVEL and CHANGE targets. The targets
    /// are set for the plan area as a whole, so this is a benchmark against the plan's level;
    /// CUMULATIVE totals (13 million jobs) are not split across cities and are evaluated only
    /// for the plan area (`Plan.evaluation`).
    async fn evaluation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Year to evaluate as of (default: each target's own target year).")] as_of: Option<
            i32,
        >,
        #[graphql(desc = "How to evaluate.")] options: Option<EvaluationOptionsInput>,
    ) -> ApiResult<Vec<EvaluationNode>> {
        evaluation::of_subject(ctx, Evaluated::City(self.0.clone()), as_of, options).await
    }
}

/// The fields of an entry read without the executor (see [`crate::graphql::types::plain`]),
/// each answering what its resolver above answers, and the text columns each field shows.
impl PlainFields for CityNode {
    fn plain(name: &str) -> Option<Getter<Self>> {
        Some(match name {
            "id" => |c| scalar(global_id("City", &c.0.admin_code)),
            "adminCode" => |c| text(&c.0.admin_code),
            "nameEn" => |c| text(&c.0.name_en),
            "nameZh" => |c| text(&c.0.name_zh),
            "tier" => |c| enumerated(CityTier::from(c.0.tier)),
            "latitude" => |c| optional(c.0.latitude, scalar),
            "longitude" => |c| optional(c.0.longitude, scalar),
            "synthetic" => |c| scalar(c.0.synthetic),
            "membership" => |c| enumerated(Membership::from(c.0.membership)),
            "evidence" => |c| optional(c.0.evidence.map(EvidenceGrade::from), enumerated),
            "entryKind" => |c| enumerated(EntryKind::from(c.0.entry_kind())),
            "origin" => |c| enumerated(Origin::from(c.0.origin)),
            _ => return None,
        })
    }

    /// The text columns of `cities` a field of an entry shows.
    fn texts(field: &str) -> Option<&'static [&'static str]> {
        match field {
            "nameEn" => Some(&["name_en"]),
            "nameZh" => Some(&["name_zh"]),
            "province" => Some(&["province_code"]),
            "id" | "adminCode" | "tier" | "latitude" | "longitude" | "synthetic" | "membership"
            | "evidence" | "entryKind" | "origin" | "sources" | "observations" => Some(&[]),
            _ => None,
        }
    }
}

/// A source cited for a plan entry.
#[derive(SimpleObject)]
#[graphql(name = "CitySource")]
pub struct CitySourceNode {
    /// Address of the source as it was read.
    pub url: String,
    /// How directly the source ties the entry to the plan.
    pub evidence: EvidenceGrade,
    /// What the source says about this entry, and how strong the evidence is.
    pub note: String,
    /// What the source is, where known.
    pub description: Option<String>,
    /// Whether the citation is the seed's or was added by a user's import.
    pub origin: Origin,
}

enum_filter!(
    /// Conditions on an entry's tier.
    CityTierFilter,
    CityTier
);
enum_filter!(
    /// Conditions on an entry's membership.
    MembershipFilter,
    Membership
);
enum_filter!(
    /// Conditions on an entry's strongest evidence grade.
    EvidenceGradeFilter,
    EvidenceGrade
);

/// Which plan entries to list. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub struct CityFilter {
    /// All of these filters hold.
    pub and: Option<Vec<CityFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<CityFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<CityFilter>>,
    /// The 6-digit admin code.
    pub admin_code: Option<StringFilter>,
    /// Either name, English or Chinese (e.g. `{containsIgnoreCase: "huai"}` or `{contains: "淮"}`).
    pub name: Option<StringFilter>,
    /// The English name.
    pub name_en: Option<StringFilter>,
    /// The Chinese name.
    pub name_zh: Option<StringFilter>,
    /// The province's 6-digit code.
    pub province_code: Option<StringFilter>,
    /// The tier.
    pub tier: Option<CityTierFilter>,
    /// The membership (applied after the list's `membership` argument).
    pub membership: Option<MembershipFilter>,
    /// The strongest grade among the entry's sources (INDIRECT entries are candidates: ask for
    /// them with `membership: [CONFIRMED, CANDIDATE]`).
    pub evidence: Option<EvidenceGradeFilter>,
    /// Latitude in decimal degrees.
    pub latitude: Option<FloatFilter>,
    /// Longitude in decimal degrees.
    pub longitude: Option<FloatFilter>,
    /// The entry's observations: `some`, `every` or `none` of them match, e.g.
    /// `{ some: { indicatorCode: { eq: "services_share_gdp" } } }` (`every` and `none` hold for
    /// an entry without observations).
    pub observations: Option<Box<ObservationSetFilter>>,
    /// The sources cited for the entry, e.g. by grade:
    /// `{ some: { evidence: { eq: NAMES_PLAN } } }` (`every` and `none` hold for an entry
    /// without sources).
    pub sources: Option<Box<CitySourceSetFilter>>,
    /// The province the entry lies in matches this filter, e.g. `{ region: { eq: CENTRAL } }`.
    pub province: Option<Box<ProvinceFilter>>,
}
bounds::logical!(CityFilter; sets: observations, sources; links: province);

impl CityFilter {
    /// The filter as a condition tree.
    pub fn to_filter(&self) -> Filter {
        let mut fields = Vec::new();
        fields.extend(self.admin_code.as_ref().map(|f| f.on("admin_code")));
        fields.extend(self.name.as_ref().map(|f| Filter::Any(vec![f.on("name_en"), f.on("name_zh")])));
        fields.extend(self.name_en.as_ref().map(|f| f.on("name_en")));
        fields.extend(self.name_zh.as_ref().map(|f| f.on("name_zh")));
        fields.extend(self.province_code.as_ref().map(|f| f.on("province_code")));
        fields.extend(self.tier.as_ref().map(|f| f.on("tier")));
        fields.extend(self.membership.as_ref().map(|f| f.on("membership")));
        fields.extend(self.evidence.as_ref().map(|f| f.on("evidence")));
        fields.extend(self.latitude.as_ref().map(|f| f.on("latitude")));
        fields.extend(self.longitude.as_ref().map(|f| f.on("longitude")));
        fields.extend(self.observations.as_ref().map(|f| f.on(Relation::CityObservations)));
        fields.extend(self.sources.as_ref().map(|f| f.on(Relation::CitySources)));
        fields.extend(
            self.province.as_deref().map(|f| linked(Relation::CityProvince, f, ProvinceFilter::to_filter)),
        );
        let list = |v: &Option<Vec<CityFilter>>| v.as_ref().map(|v| v.iter().map(Self::to_filter).collect());
        combine(fields, list(&self.and), list(&self.or), self.not.as_ref().map(|f| f.to_filter()))
    }
}

/// A field plan entries can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CityOrderField {
    /// Admin code.
    AdminCode,
    /// English name.
    NameEn,
    /// Chinese name (by code point).
    NameZh,
    /// Province code.
    ProvinceCode,
    /// Tier.
    Tier,
    /// Membership (CANDIDATE sorts before CONFIRMED).
    Membership,
    /// Latitude.
    Latitude,
    /// Longitude.
    Longitude,
}

/// One sort key for plan entries.
#[derive(InputObject, Copy, Clone, Debug)]
pub struct CityOrder {
    /// The field to sort by.
    pub field: CityOrderField,
    /// Ascending (default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

/// The `membership` argument of city lists as a condition.
pub fn membership_filter(membership: &[Membership]) -> Filter {
    MembershipFilter { in_: Some(membership.to_vec()), ..Default::default() }.on("membership")
}

/// A city list request as a domain query.
pub fn city_query(
    membership: &[Membership],
    filter: Option<Box<CityFilter>>,
    order_by: Option<Vec<CityOrder>>,
    page: Page,
) -> ApiResult<ListQuery> {
    let order = order_by.unwrap_or_default().into_iter().map(|o| SortKey {
        column: match o.field {
            CityOrderField::AdminCode => "admin_code",
            CityOrderField::NameEn => "name_en",
            CityOrderField::NameZh => "name_zh",
            CityOrderField::ProvinceCode => "province_code",
            CityOrderField::Tier => "tier",
            CityOrderField::Membership => "membership",
            CityOrderField::Latitude => "latitude",
            CityOrderField::Longitude => "longitude",
        },
        descending: o.direction == SortDirection::Desc,
    });
    let mut conditions =
        vec![membership_filter(&crate::graphql::types::enums::distinct(membership.to_vec()))];
    conditions.extend(filter.as_ref().map(|f| f.to_filter()));
    bounds::checked(
        filter.as_deref(),
        ListQuery { filter: Some(Filter::All(conditions)), order: order.collect(), page, texts: Texts::All },
    )
}

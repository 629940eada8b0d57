//! `Plan`: the plan's own record, what it declares beside what the sources confirm, and the
//! way into its provinces, cities, indicators and targets.

use async_graphql::{Context, ID, Object, SimpleObject};

use crate::domain::{self, Plan};
use crate::graphql::types::city::{CityFilter, CityOrder};
use crate::graphql::types::enums::{CityTier, Evidence, EvidenceGrade, Membership};
use crate::graphql::types::evaluation::{self, Evaluated, EvaluationNode, EvaluationOptionsInput};
use crate::graphql::types::facets::CityConnection;
use crate::graphql::types::gaps::{self, GapFilter, PlanGapsNode};
use crate::graphql::types::indicator::{IndicatorFilter, IndicatorNode, IndicatorOrder};
use crate::graphql::types::lists;
use crate::graphql::types::node::global_id;
use crate::graphql::types::paging::Conn;
use crate::graphql::types::province::{ProvinceFilter, ProvinceNode, ProvinceOrder};
use crate::graphql::types::rollup::{self, RollupNode};
use crate::graphql::types::target::{TargetFilter, TargetNode, TargetOrder};
use crate::graphql::{ApiResult, loaders};

/// The National Plan for the Adjustment and Transformation of Old Industrial Bases
/// (全国老工业基地调整改造规划（2013—2022年）). There is one.
pub struct PlanNode;

/// A span of years.
#[derive(SimpleObject)]
pub struct Period {
    /// First year, inclusive.
    pub start_year: i32,
    /// Last year, inclusive.
    pub end_year: i32,
}

/// A dated step in the plan's history.
#[derive(SimpleObject)]
pub struct Milestone {
    /// Year of the step.
    pub year: i32,
    /// ISO date (YYYY-MM-DD) when the exact day is known.
    pub date: Option<String>,
    /// Short title.
    pub title: String,
    /// What happened, and what is not verified about it.
    pub description: String,
    /// Verified against the plan, or only reported.
    pub evidence: Evidence,
    /// Address of the source.
    pub source_url: String,
}

/// A strategic industry the plan's announcement names.
#[derive(SimpleObject)]
pub struct StrategicIndustry {
    /// Name as the English announcement gives it.
    pub name_en: String,
    /// Address of the announcement.
    pub source_url: String,
}

/// The entries of one tier: declared by the plan, and known here.
#[derive(SimpleObject)]
#[graphql(name = "TierCount")]
pub struct TierCountNode {
    /// The tier.
    pub tier: CityTier,
    /// How many the plan declares; null where the sources do not split the 25 districts by tier.
    pub declared: Option<i32>,
    /// Confirmed entries of this tier.
    pub confirmed: i64,
    /// Candidate entries (leads) of this tier.
    pub candidate: i64,
}

/// Entries and sources of one evidence grade.
#[derive(SimpleObject)]
#[graphql(name = "EvidenceCount")]
pub struct EvidenceCountNode {
    /// The grade.
    pub evidence: EvidenceGrade,
    /// Entries whose strongest source has this grade.
    pub entries: i64,
    /// Citations (entry and source) of this grade.
    pub sources: i64,
}

async fn record<'a>(ctx: &Context<'a>) -> ApiResult<&'a Plan> {
    loaders(ctx)?.plan().await
}

/// The National Plan for the Adjustment and Transformation of Old Industrial Bases
/// (全国老工业基地调整改造规划（2013—2022年）). There is one.
#[Object(name = "Plan")]
impl PlanNode {
    /// Global ID (Relay Object Identification); pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Plan", "2013")
    }

    /// English title.
    async fn title_en(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.title_en.clone())
    }

    /// Chinese title, as in the gazette.
    async fn title_zh(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.title_zh.clone())
    }

    /// NDRC document number: 发改东北〔2013〕543号.
    async fn document_number(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.document_number.clone())
    }

    /// State Council approval: 国函〔2013〕46号.
    async fn approval_number(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.approval_number.clone())
    }

    /// Date of issue (ISO, YYYY-MM-DD).
    async fn issued_on(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.issued_on.clone())
    }

    /// Date the NDRC announced the plan (ISO, YYYY-MM-DD).
    async fn announced_on(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.announced_on.clone())
    }

    /// The period in the plan's official title: 2013–2022.
    async fn official_period(&self, ctx: &Context<'_>) -> ApiResult<Period> {
        let p = record(ctx).await?;
        Ok(Period { start_year: p.official_start_year, end_year: p.official_end_year })
    }

    /// The period the English announcement reported: 2013–2020 (it differs from the title).
    async fn reported_period(&self, ctx: &Context<'_>) -> ApiResult<Period> {
        let p = record(ctx).await?;
        Ok(Period { start_year: p.reported_start_year, end_year: p.reported_end_year })
    }

    /// Plan entries the plan declares: 120 (95 prefecture-level cities and 25 districts).
    async fn declared_city_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(record(ctx).await?.declared_cities)
    }

    /// Prefecture-level cities the plan declares: 95.
    async fn declared_prefecture_level_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(record(ctx).await?.declared_prefecture_level)
    }

    /// Districts of municipalities, sub-provincial cities and capitals the plan declares: 25.
    async fn declared_district_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(record(ctx).await?.declared_districts)
    }

    /// Provincial-level divisions the plan declares: 27 (which 27 is not known).
    async fn declared_province_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(record(ctx).await?.declared_provinces)
    }

    /// Entries confirmed by a source that names them (18 in the seed).
    async fn confirmed_city_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(loaders(ctx)?.membership_counts().await?.confirmed)
    }

    /// Entries with indirect evidence only (37 in the seed): leads, not facts.
    async fn candidate_city_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(loaders(ctx)?.membership_counts().await?.candidate)
    }

    /// Declared entries that are neither confirmed nor candidates: nothing is known of them.
    async fn unknown_city_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let declared = i64::from(record(ctx).await?.declared_cities);
        let counts = loaders(ctx)?.membership_counts().await?;
        Ok((declared - counts.confirmed - counts.candidate).max(0))
    }

    /// Cities of the November 2011 blueprint the announcement mentions: 62, as reported and
    /// not verified anywhere.
    async fn reported_blueprint_2011_city_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(record(ctx).await?.blueprint_2011_cities)
    }

    /// What the sources disagree on or leave open.
    async fn notes(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.notes.clone())
    }

    /// Address of the gazette copy of the plan.
    async fn source_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(record(ctx).await?.source_url.clone())
    }

    /// One indicator's values of one year for the plan entries of every province, combined by the indicator's
    /// own rule (`Indicator.aggregation`): a sum for flows and levels, the ratio of the parts' sums for a
    /// share, a weighted mean for a per-person value, or a refusal with its reason; with the cities that
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
        rollup::rollup(ctx, None, indicator, year, membership).await
    }

    /// Entries known, by tier, beside what the plan declares: 95 prefecture-level cities, and 25
    /// districts whose split between municipalities, sub-provincial cities and capitals the
    /// sources do not give (`declared` is null for those three tiers; `declaredDistrictCount`
    /// is their total).
    async fn counts_by_tier(&self, ctx: &Context<'_>) -> ApiResult<Vec<TierCountNode>> {
        let declared_prefecture = record(ctx).await?.declared_prefecture_level;
        let counts = loaders(ctx)?.tier_counts().await?;
        Ok(counts
            .into_iter()
            .map(|c| TierCountNode {
                tier: c.tier.into(),
                declared: (c.tier == domain::CityTier::PrefectureLevel).then_some(declared_prefecture),
                confirmed: c.confirmed,
                candidate: c.candidate,
            })
            .collect())
    }

    /// Entries and sources by evidence grade, strongest first: how directly the known entries
    /// are tied to the plan.
    async fn counts_by_evidence(&self, ctx: &Context<'_>) -> ApiResult<Vec<EvidenceCountNode>> {
        let counts = loaders(ctx)?.grade_counts().await?;
        Ok(counts
            .into_iter()
            .map(|c| EvidenceCountNode {
                evidence: c.evidence.into(),
                entries: c.entries,
                sources: c.sources,
            })
            .collect())
    }

    /// The plan's history: 2003 northeast strategy, 2010 extension (as reported), 2013 plan,
    /// 2017 targets, 2022 end.
    async fn milestones(&self, ctx: &Context<'_>) -> ApiResult<Vec<Milestone>> {
        let rows = loaders(ctx)?.milestones().await?;
        Ok(rows
            .into_iter()
            .map(|m| Milestone {
                year: m.year,
                date: m.date,
                title: m.title,
                description: m.description,
                evidence: m.evidence.into(),
                source_url: m.source_url,
            })
            .collect())
    }

    /// The new strategic industries the announcement wants plan cities to develop.
    async fn strategic_industries(&self, ctx: &Context<'_>) -> ApiResult<Vec<StrategicIndustry>> {
        let rows = loaders(ctx)?.strategic_industries().await?;
        Ok(rows
            .into_iter()
            .map(|i| StrategicIndustry { name_en: i.name_en, source_url: i.source_url })
            .collect())
    }

    /// All 31 provincial-level divisions (which 27 the plan covers is not known).
    async fn provinces(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only provinces matching this filter.")] filter: Option<Box<ProvinceFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in code order.")] order_by: Option<
            Vec<ProvinceOrder>,
        >,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<ProvinceNode>> {
        lists::provinces(ctx, filter, order_by, (first, after, last, before)).await
    }

    /// The plan's entries: confirmed ones unless `membership` says otherwise.
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
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<CityConnection> {
        lists::cities(ctx, membership, filter, order_by, (first, after, last, before)).await
    }

    /// The indicators observations are recorded against.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only indicators matching this filter.")] filter: Option<Box<IndicatorFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in code order.")] order_by: Option<
            Vec<IndicatorOrder>,
        >,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<IndicatorNode>> {
        lists::indicators(ctx, filter, order_by, (first, after, last, before)).await
    }

    /// The plan's 2017 targets.
    async fn targets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only targets matching this filter.")] filter: Option<Box<TargetFilter>>,
        #[graphql(desc = "Sort keys, most significant first; ties end in code order.")] order_by: Option<
            Vec<TargetOrder>,
        >,
        #[graphql(desc = "Page forwards: at most this many.")] first: Option<i32>,
        #[graphql(desc = "Page forwards: start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page backwards: at most this many.")] last: Option<i32>,
        #[graphql(desc = "Page backwards: end before this cursor.")] before: Option<String>,
    ) -> ApiResult<Conn<TargetNode>> {
        lists::targets(ctx, filter, order_by, (first, after, last, before)).await
    }

    /// How the plan area as a whole (observations recorded for the plan area) stands against
    /// every target, including the CUMULATIVE 13 million new jobs.
    async fn evaluation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Year to evaluate as of (default: each target's own target year).")] as_of: Option<
            i32,
        >,
        #[graphql(desc = "How to evaluate.")] options: Option<EvaluationOptionsInput>,
    ) -> ApiResult<Vec<EvaluationNode>> {
        evaluation::of_subject(ctx, Evaluated::Plan, as_of, options).await
    }

    /// What is missing to judge the plan's targets (every target, or those named): for each,
    /// the entries in scope whose evaluation has no verdict and the values that would give it
    /// one, with the missing values counted over all of them and one fill-in template for
    /// `rustbelt import observations` (the `gaps` saved view serves it as CSV).
    async fn gaps(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Target codes (default: every target).")] targets: Option<Vec<String>>,
        #[graphql(desc = "Year to evaluate as of (default: each target's own target year).")] as_of: Option<
            i32,
        >,
        #[graphql(desc = "Which entries to look at.")] filter: Option<GapFilter>,
    ) -> ApiResult<PlanGapsNode> {
        gaps::of_plan(ctx, targets, as_of, &filter.unwrap_or_default()).await
    }
}

//! The plan's vocabulary: plain types shared by every layer, and pure logic.
//!
//! Nothing here does I/O or knows about SQL, HTTP or GraphQL. `db` turns rows into these types;
//! `graphql` wraps them. Enums carry their stable storage names (`as_str` / `parse`) so the
//! database and the CSV seed use one spelling.

pub mod derivation;
pub mod divisions;
pub mod entries;
pub mod evaluation;
pub mod gaps;
pub mod query;
pub mod recording;
pub mod rollup;
mod stored;
pub mod template;

pub use evaluation::{Direction, TargetKind};
pub use stored::*;

/// The plan's own record: what it is, what it declares, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub title_en: String,
    pub title_zh: String,
    pub document_number: String,
    pub approval_number: String,
    /// ISO date (YYYY-MM-DD).
    pub issued_on: String,
    /// ISO date (YYYY-MM-DD).
    pub announced_on: String,
    pub official_start_year: i32,
    pub official_end_year: i32,
    pub reported_start_year: i32,
    pub reported_end_year: i32,
    pub declared_cities: i32,
    pub declared_prefecture_level: i32,
    pub declared_districts: i32,
    pub declared_provinces: i32,
    pub blueprint_2011_cities: i32,
    pub notes: String,
    pub source_url: String,
}

/// Counts of plan entries in the database, by membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MembershipCounts {
    pub confirmed: i64,
    pub candidate: i64,
}

/// Entries of one tier in the database, by membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierCount {
    pub tier: CityTier,
    pub confirmed: i64,
    pub candidate: i64,
}

/// Entries whose strongest source has one grade, and the sources of that grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GradeCount {
    pub evidence: EvidenceGrade,
    pub entries: i64,
    pub sources: i64,
}

/// A column of plan entries that lists count by (`facets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CityFacet {
    Province,
    Region,
    Tier,
    Membership,
    Evidence,
}

/// How much of a province's set of entries is known.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvinceCoverage {
    pub province_code: String,
    /// Confirmed entries the sources name.
    pub entries_known: i64,
    pub set_complete: Completeness,
    /// Why the set is (or is not) known to be complete.
    pub why: String,
}

/// A dated step in the plan's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub position: i64,
    pub year: i32,
    /// ISO date when the exact day is known.
    pub date: Option<String>,
    pub title: String,
    pub description: String,
    pub evidence: Evidence,
    pub source_url: String,
}

/// A strategic industry the plan's announcement names.
#[derive(Debug, Clone, PartialEq)]
pub struct Industry {
    pub position: i64,
    pub name_en: String,
    pub source_url: String,
}

/// A provincial-level division (all 31; which 27 the plan covers is unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Province {
    /// 6-digit GB/T 2260 code, e.g. `340000`.
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// ISO 3166-2 code, e.g. `CN-AH`.
    pub iso_code: String,
    pub kind: ProvinceKind,
    pub region: Region,
}

/// A plan entry: a prefecture-level city or a named district.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// 6-digit GB/T 2260 code of the city (or of the district, for the 25 group).
    pub admin_code: String,
    pub name_en: String,
    pub name_zh: String,
    pub province_code: String,
    pub tier: CityTier,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub membership: Membership,
    /// The strongest grade among the entry's sources; `None` when it has none (synthetic
    /// entries, or an entry the seed dropped that user data still refers to).
    pub evidence: Option<EvidenceGrade>,
    /// Whether the entry comes from the seed or a user's import.
    pub origin: Origin,
    /// Generated for benchmarks (`rustbelt synthesize`), not data.
    pub synthetic: bool,
}

/// What unit a plan entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A whole prefecture-level city (the 95 group).
    PrefectureCity,
    /// The named district of a municipality, sub-provincial city or capital (the 25 group).
    District,
    /// The plan names one district of this city, and which one is not known: the entry
    /// carries the city's code.
    DistrictNotKnown,
}

impl Indicator {
    /// How values of several places combine, by the stored rule and the derivation.
    pub fn aggregation(&self) -> rollup::Aggregation {
        rollup::Aggregation::of(&self.aggregation, self.derivation.as_ref())
    }
}

impl City {
    /// What unit the entry is. A district's GB/T 2260 code ends in something other than `00`;
    /// an entry of the 25 group that carries a city's code (ending in `00`) is a district not
    /// yet identified (Harbin's).
    pub fn entry_kind(&self) -> EntryKind {
        match self.tier {
            CityTier::PrefectureLevel => EntryKind::PrefectureCity,
            _ if self.admin_code.ends_with("00") => EntryKind::DistrictNotKnown,
            _ => EntryKind::District,
        }
    }
}

/// A source document, by its address.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: i64,
    pub url: String,
    pub description: Option<String>,
}

/// Why a source is cited for a city.
#[derive(Debug, Clone, PartialEq)]
pub struct CitySource {
    pub city_code: String,
    pub source: Source,
    pub evidence: EvidenceGrade,
    pub note: String,
    /// From the seed, or from a user's `import cities`.
    pub origin: Origin,
}

/// A measurable quantity that observations are recorded against.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub code: String,
    pub name_en: String,
    pub name_zh: Option<String>,
    pub unit: String,
    pub direction: Direction,
    /// How values of several places combine, as stored: `sum`, `none` or
    /// `weighted_by:<indicator>` (see [`Indicator::aggregation`]).
    pub aggregation: String,
    /// How the indicator follows from two others where it is not published.
    pub derivation: Option<derivation::Derivation>,
    pub description: String,
    /// Lowest physically possible value, when there is one (a share cannot be below 0).
    pub min_value: Option<f64>,
    /// Highest physically possible value, when there is one (a share cannot exceed 100).
    pub max_value: Option<f64>,
}

/// One of the plan's 2017 targets, as the announcement reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub code: String,
    pub indicator_code: String,
    pub name_en: String,
    pub unit: String,
    pub kind: TargetKind,
    pub direction: Direction,
    pub baseline_year: i32,
    pub baseline_value: Option<f64>,
    pub target_year: i32,
    /// The level to reach (LEVEL) or the total to accumulate (CUMULATIVE), in the indicator's unit.
    pub target_value: Option<f64>,
    /// The relative change to reach (CHANGE_FROM_BASELINE), as a fraction: −0.32 is a 32 % cut.
    pub target_change: Option<f64>,
    /// `plan`: the target is for the plan area as a whole.
    pub scope: String,
    pub caveats: String,
    pub source_url: String,
    /// How the target's indicator follows from two others where it is not published.
    pub derivation: Option<derivation::Derivation>,
}

impl From<&Target> for evaluation::TargetSpec {
    fn from(target: &Target) -> Self {
        Self {
            kind: target.kind,
            direction: target.direction,
            baseline_year: target.baseline_year,
            target_year: target.target_year,
            target_value: target.target_value,
            target_change: target.target_change,
            baseline_value: target.baseline_value,
        }
    }
}

impl Target {
    /// The target's series from a subject's points of any indicators: its own indicator's
    /// values, and where a year has none, the value its derivation gives (marked derived).
    pub fn series(&self, points: &[SeriesPoint]) -> Vec<derivation::Point> {
        derivation::series(points, &self.indicator_code, self.derivation.as_ref())
    }

    /// The target judged from a subject's points of any indicators, as of `evaluation_year`.
    pub fn judge(
        &self,
        points: &[SeriesPoint],
        evaluation_year: i32,
        options: &evaluation::EvaluationOptions,
    ) -> Result<evaluation::Evaluation, evaluation::EvaluationError> {
        self.judge_series(&self.series(points), evaluation_year, options)
    }

    /// The target judged from its series (as [`Target::series`] makes it), for a caller that
    /// shows the series too and so has it already.
    pub fn judge_series(
        &self,
        series: &[derivation::Point],
        evaluation_year: i32,
        options: &evaluation::EvaluationOptions,
    ) -> Result<evaluation::Evaluation, evaluation::EvaluationError> {
        let pairs: Vec<(i32, f64)> = series.iter().map(|p| (p.year, p.value)).collect();
        evaluation::evaluate(&self.into(), &pairs, evaluation_year, options)
    }
}

/// The part of an observation an evaluation needs: a point of a subject's series. Evaluations
/// read only these (from an index), and the full rows only when a client asks for them.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// The observation's id, to fetch the full row.
    pub id: i64,
    /// Shared by every point of the indicator (a series read holds hundreds of thousands).
    pub indicator_code: std::sync::Arc<str>,
    pub year: i32,
    pub value: f64,
}

/// A recorded value of an indicator for a subject and a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub id: i64,
    pub subject_kind: SubjectKind,
    pub city_code: Option<String>,
    pub province_code: Option<String>,
    pub indicator_code: String,
    pub year: i32,
    pub value: f64,
    pub unit: String,
    pub definition: String,
    pub source_url: String,
    pub source_note: String,
    pub origin: Origin,
    /// Generated for benchmarks (`rustbelt synthesize`), not data.
    pub synthetic: bool,
    /// The data version of the write that recorded the value (0: before this was tracked).
    pub recorded_version: i64,
    /// Who recorded it; `None` for user rows written before this was tracked.
    pub recorded_by: Option<Recorder>,
    /// How far to trust the value: its source's grade (UNGRADED for a user's row written
    /// before grades existed).
    pub source_grade: SourceGrade,
}

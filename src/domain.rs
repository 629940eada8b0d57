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
pub mod template;

pub use evaluation::{Direction, TargetKind};

/// Declares a closed set of names stored as text, with `as_str` and `parse` in one place.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable spelling used in the database and the seed files.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Reads the stable spelling back; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

stored_enum! {
    /// How sure we are that a city is on the plan's list.
    Membership {
        /// Named as a plan city by a source that says so (`cities.csv`).
        Confirmed = "CONFIRMED",
        /// Indirect evidence only (`cities_candidates.csv`): a lead, not a fact.
        Candidate = "CANDIDATE",
    }
}

stored_enum! {
    /// How directly a source ties an entry to the plan (`city_sources.csv`, SOURCES.md §2c).
    EvidenceGrade {
        /// The source names the 2013 plan and the entry.
        NamesPlan = "NAMES_PLAN",
        /// A provincial document names the entry as a nationally designated old industrial
        /// base, in the plan's form, without naming the plan.
        NationalDesignation = "NATIONAL_DESIGNATION",
        /// Later programmes, commendation lists and the like: a lead, not a fact.
        Indirect = "INDIRECT",
    }
}

impl EvidenceGrade {
    /// Whether a source of this grade confirms an entry (an entry is CONFIRMED exactly when
    /// one of its sources does).
    pub fn confirms(self) -> bool {
        self != Self::Indirect
    }
}

stored_enum! {
    /// Whether a province's whole set of entries is known (`province_coverage.csv`).
    Completeness {
        /// A source gives the province's count or complete list.
        Complete = "yes",
        /// A source lists entries without a count; probably all of them.
        Probably = "probably",
        /// Only some entries are known.
        Incomplete = "no",
    }
}

stored_enum! {
    /// The administrative tier of a plan entry (SOURCES.md §2, the `tier` rule).
    CityTier {
        /// One of the 95 prefecture-level cities.
        PrefectureLevel = "prefecture_level",
        /// A district of a municipality directly under the central government.
        Municipality = "municipality",
        /// A district of a sub-provincial city that is not a capital.
        SubProvincial = "sub_provincial",
        /// A district of a provincial capital.
        ProvincialCapital = "provincial_capital",
    }
}

stored_enum! {
    /// The kind of provincial-level division.
    ProvinceKind {
        /// 省
        Province = "province",
        /// 直辖市
        Municipality = "municipality",
        /// 自治区
        AutonomousRegion = "autonomous_region",
    }
}

stored_enum! {
    /// The statistical region of a province (NBS four-region split).
    Region {
        /// Eastern region.
        East = "East",
        /// Central region.
        Central = "Central",
        /// Western region.
        West = "West",
        /// Northeast region.
        Northeast = "Northeast",
    }
}

stored_enum! {
    /// What an observation is about.
    SubjectKind {
        /// One plan city (or district).
        City = "CITY",
        /// A whole province.
        Province = "PROVINCE",
        /// The plan area as a whole.
        Plan = "PLAN",
    }
}

stored_enum! {
    /// Where an observation, an entry or an entry's source came from.
    Origin {
        /// Shipped with the binary (`seed/`); refreshed at every start.
        Seed = "SEED",
        /// Recorded or imported by a user; never removed by a re-seed.
        User = "USER",
    }
}

stored_enum! {
    /// Who wrote an observation's value.
    Recorder {
        /// The seed shipped with the binary (at a start, or when a newer binary refreshed it).
        Seed = "SEED",
        /// `rustbelt import observations`.
        Import = "IMPORT",
        /// A GraphQL mutation.
        Api = "API",
    }
}

stored_enum! {
    /// How far to trust an observation's value: what kind of source it comes from (SOURCES.md
    /// §2d). The carrier (a repost, a copy) is in the source note.
    SourceGrade {
        /// The entry's own statistical bulletin (统计公报), read in a copy or repost.
        Bulletin = "BULLETIN",
        /// Figures of a statistics bureau, a development and reform commission or a
        /// government, passed on by a press conference, an announcement or a work report.
        Official = "OFFICIAL",
        /// An aggregator or data-company summary that cites no bulletin.
        Secondary = "SECONDARY",
        /// Never declared: a user's value recorded before grades existed. No writer may give it.
        Ungraded = "UNGRADED",
    }
}

impl SourceGrade {
    /// The grades a writer may declare (every one but UNGRADED).
    pub const DECLARABLE: [Self; 3] = [Self::Bulletin, Self::Official, Self::Secondary];

    /// Strongest first: a bulletin, an official figure, a secondary one, then a value whose
    /// source was never graded (nothing vouches for it).
    fn strength(self) -> u8 {
        match self {
            Self::Bulletin => 3,
            Self::Official => 2,
            Self::Secondary => 1,
            Self::Ungraded => 0,
        }
    }

    /// The weakest of some grades; `None` when there are none.
    pub fn weakest(grades: impl IntoIterator<Item = Self>) -> Option<Self> {
        grades.into_iter().min_by_key(|g| g.strength())
    }

    /// Reads a grade a writer declares, in any case; UNGRADED and anything else are refused
    /// with the reason.
    pub fn declared(text: &str) -> Result<Self, String> {
        let names = "BULLETIN, OFFICIAL or SECONDARY";
        match Self::parse(&text.trim().to_ascii_uppercase()) {
            Some(grade) if grade != Self::Ungraded => Ok(grade),
            Some(_) => {
                Err(format!("UNGRADED is only for values recorded before grades existed: give {names}"))
            }
            None if text.trim().is_empty() => Err(format!("a source grade is required: {names}")),
            None => Err(format!("{:?} is not a source grade: give {names}", text.trim())),
        }
    }
}

stored_enum! {
    /// How well a milestone is supported by the sources.
    Evidence {
        /// Checked against the plan's own text or an official copy.
        Verified = "VERIFIED",
        /// Reported by the press; not checked against the plan.
        Reported = "REPORTED",
    }
}

/// Storage spelling of [`Direction`].
pub fn direction_str(direction: Direction) -> &'static str {
    match direction {
        Direction::HigherIsBetter => "higher_is_better",
        Direction::LowerIsBetter => "lower_is_better",
    }
}

/// Parses the storage spelling of [`Direction`].
pub fn parse_direction(text: &str) -> Option<Direction> {
    match text {
        "higher_is_better" => Some(Direction::HigherIsBetter),
        "lower_is_better" => Some(Direction::LowerIsBetter),
        _ => None,
    }
}

/// Storage spelling of [`TargetKind`].
pub fn target_kind_str(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Level => "level",
        TargetKind::ChangeFromBaseline => "change_from_baseline",
        TargetKind::Cumulative => "cumulative",
    }
}

/// Parses the storage spelling of [`TargetKind`].
pub fn parse_target_kind(text: &str) -> Option<TargetKind> {
    match text {
        "level" => Some(TargetKind::Level),
        "change_from_baseline" => Some(TargetKind::ChangeFromBaseline),
        "cumulative" => Some(TargetKind::Cumulative),
        _ => None,
    }
}

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

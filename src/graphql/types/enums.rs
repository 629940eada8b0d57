//! GraphQL enums mirroring the domain's, with their descriptions. `remote` derives the
//! conversions both ways; `From<_> for String` gives the storage spelling filters compare with.

use async_graphql::Enum;

use crate::domain;

macro_rules! stored_as {
    ($gql:ty, $domain:ty, $to_str:expr) => {
        impl From<$gql> for String {
            fn from(value: $gql) -> String {
                let domain: $domain = value.into();
                $to_str(domain).to_string()
            }
        }
    };
}

/// How sure we are that a city is on the plan's list. It follows from the entry's sources:
/// CONFIRMED exactly when one of them is graded NAMES_PLAN or NATIONAL_DESIGNATION.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Membership")]
pub enum Membership {
    /// A source names it as a plan entry (`evidence` says how directly).
    Confirmed,
    /// Indirect evidence only: a lead, not a verified entry.
    Candidate,
}
stored_as!(Membership, domain::Membership, domain::Membership::as_str);

/// How directly a source ties an entry to the plan (seed/SOURCES.md §2c).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::EvidenceGrade")]
pub enum EvidenceGrade {
    /// The source names the 2013 plan and the entry.
    NamesPlan,
    /// A provincial document names the entry as a nationally designated old industrial base,
    /// in the plan's form (cities plus one capital district), without naming the plan (the
    /// nine Henan entries).
    NationalDesignation,
    /// Later programmes, commendation lists, an earlier policy, a forum post: a lead, not a
    /// fact. An entry whose sources are all INDIRECT is a CANDIDATE.
    Indirect,
}
stored_as!(EvidenceGrade, domain::EvidenceGrade, domain::EvidenceGrade::as_str);

/// Whether a province's whole set of plan entries is known.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Completeness")]
pub enum Completeness {
    /// A source gives the province's count or its complete list.
    Complete,
    /// A source lists entries without giving a count: probably all of them.
    Probably,
    /// Only some of the province's entries are known.
    Incomplete,
}

/// What unit a plan entry is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::EntryKind")]
pub enum EntryKind {
    /// A whole prefecture-level city (the plan's 95).
    PrefectureCity,
    /// The one district (市辖区) the plan names in a municipality, sub-provincial city or
    /// capital (the plan's 25); `adminCode` is the district's.
    District,
    /// The plan names one district of this city, and which one is not known: `adminCode` is
    /// the city's, not a district's (Harbin).
    DistrictNotKnown,
}

/// Administrative tier of a plan entry.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::CityTier")]
pub enum CityTier {
    /// One of the plan's 95 prefecture-level cities.
    PrefectureLevel,
    /// A district (市辖区) of a municipality directly under the central government.
    Municipality,
    /// A district of a sub-provincial city (计划单列市) that is not a capital.
    SubProvincial,
    /// A district of a provincial capital.
    ProvincialCapital,
}
stored_as!(CityTier, domain::CityTier, domain::CityTier::as_str);

/// Kind of provincial-level division.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::ProvinceKind")]
pub enum ProvinceKind {
    /// A province (省).
    Province,
    /// A municipality directly under the central government (直辖市).
    Municipality,
    /// An autonomous region (自治区).
    AutonomousRegion,
}
stored_as!(ProvinceKind, domain::ProvinceKind, domain::ProvinceKind::as_str);

/// Statistical region (the NBS four-region split).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Region")]
pub enum Region {
    /// Eastern region.
    East,
    /// Central region.
    Central,
    /// Western region.
    West,
    /// Northeast region (Liaoning, Jilin, Heilongjiang).
    Northeast,
}
stored_as!(Region, domain::Region, domain::Region::as_str);

/// Which way an indicator should move.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Direction")]
pub enum Direction {
    /// Larger values are better (a share of services, income).
    HigherIsBetter,
    /// Smaller values are better (energy or water per unit of output).
    LowerIsBetter,
}
stored_as!(Direction, domain::Direction, domain::direction_str);

/// The form of a target (docs/evaluation.md §3.1).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::TargetKind")]
pub enum TargetKind {
    /// Reach a level by the target year (17.8 % high-tech share).
    Level,
    /// Change by a fraction from the baseline year's value (−18 % energy per unit of GDP).
    ChangeFromBaseline,
    /// Accumulate annual flows after the baseline year up to a total (13 million new jobs).
    Cumulative,
}
stored_as!(TargetKind, domain::TargetKind, domain::target_kind_str);

/// What an observation is about.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::SubjectKind")]
pub enum SubjectKind {
    /// One plan city or district.
    City,
    /// A whole province.
    Province,
    /// The plan area as a whole.
    Plan,
}
stored_as!(SubjectKind, domain::SubjectKind, domain::SubjectKind::as_str);

/// Where an observation, an entry or an entry's source came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Origin")]
pub enum Origin {
    /// Shipped with the server (`seed/`), with its published source.
    Seed,
    /// Recorded or imported by a user of this server.
    User,
}
stored_as!(Origin, domain::Origin, domain::Origin::as_str);

/// Who wrote an observation's value.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Recorder")]
pub enum Recorder {
    /// The seed shipped with the server, at a start (or when a newer binary refreshed it).
    Seed,
    /// `rustbelt import observations`, perhaps by another process on the same file.
    Import,
    /// A GraphQL mutation (`recordObservations`).
    Api,
}

/// How well a milestone is supported.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Evidence")]
pub enum Evidence {
    /// Checked against the plan's text or an official copy.
    Verified,
    /// Reported by the press, not checked against the plan.
    Reported,
}

/// How far to trust an observation's value: what kind of source it comes from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::SourceGrade")]
pub enum SourceGrade {
    /// The entry's own statistical bulletin (统计公报), read in a copy or repost.
    Bulletin,
    /// Figures of a statistics bureau, a development and reform commission or a government,
    /// passed on by a press conference, an announcement or a work report.
    Official,
    /// An aggregator or data-company summary that cites no bulletin.
    Secondary,
    /// Never declared: a user's value recorded before grades existed (an older database). Read
    /// only: no writer may give it.
    Ungraded,
}
stored_as!(SourceGrade, domain::SourceGrade, domain::SourceGrade::as_str);

/// Why a missing value's year is asked for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::gaps::Role")]
pub enum GapRole {
    /// The target's baseline year.
    Baseline,
    /// A later year that stands in for a missing baseline (LEVEL targets take the earliest
    /// year with a value), asked for where the entry already holds one input of a derived
    /// value that year.
    FallbackBaseline,
    /// A year between the baseline and the latest where the entry already holds one input of
    /// a derived value: a second point for the trend.
    Interim,
    /// The latest year the evaluation may use: the target year, or `asOf` when earlier.
    Latest,
}

/// Each value of an enum list argument once, in the order first given: a list of enum values
/// is then never longer than the enum, however long the request made it.
pub fn distinct<T: PartialEq>(values: Vec<T>) -> Vec<T> {
    let mut kept = Vec::with_capacity(values.len().min(8));
    for value in values {
        if !kept.contains(&value) {
            kept.push(value);
        }
    }
    kept
}

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

/// How sure we are that a city is on the plan's list.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Membership")]
pub enum Membership {
    /// A source names it as a plan city (SOURCES.md §2).
    Confirmed,
    /// Indirect evidence only (SOURCES.md §2b): a lead, not a verified entry.
    Candidate,
}
stored_as!(Membership, domain::Membership, domain::Membership::as_str);

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

/// The form of a target (EVALUATION.md §3.1).
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

/// Where an observation came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Origin")]
pub enum Origin {
    /// Shipped with the server (`seed/observations.csv`), with its published source.
    Seed,
    /// Recorded by a user of this server.
    User,
}
stored_as!(Origin, domain::Origin, domain::Origin::as_str);

/// How well a milestone is supported.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::Evidence")]
pub enum Evidence {
    /// Checked against the plan's text or an official copy.
    Verified,
    /// Reported by the press, not checked against the plan.
    Reported,
}

//! The closed sets of names the plan's data uses (membership, evidence grades, tiers, regions,
//! origins, source grades …), each with its one storage spelling (`as_str` / `parse`), so the
//! database and the CSV seed spell them alike.

use super::{Direction, TargetKind};

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

//! `Province.statusTally`: how many of a province's entries have each status for one target,
//! for every province of a list from one judging of every entry.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, SimpleObject};

use crate::db::observations::{CityScope, each_city_series};
use crate::db::{DbError, ReadSession, reference};
use crate::domain::{self, TargetKind};
use crate::graphql::types::enums::Membership;
use crate::graphql::types::evaluation::{EvaluationOptionsInput, EvaluationStatus, judge};
use crate::graphql::{ApiError, ApiResult, db_error, loaders};

/// How many entries have each status for one target.
#[derive(SimpleObject, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusTally {
    /// Entries judged (zero for a plan-wide total, which is not split across cities).
    pub total: u32,
    /// ACHIEVED.
    pub achieved: u32,
    /// ON_TRACK.
    pub on_track: u32,
    /// MODERATE_PROGRESS.
    pub moderate_progress: u32,
    /// INSUFFICIENT_PROGRESS.
    pub insufficient_progress: u32,
    /// MOVING_AWAY.
    pub moving_away: u32,
    /// NOT_ACHIEVED.
    pub not_achieved: u32,
    /// INSUFFICIENT_DATA.
    pub insufficient_data: u32,
}

impl StatusTally {
    fn add(&mut self, status: EvaluationStatus) {
        use EvaluationStatus as S;
        self.total += 1;
        *match status {
            S::Achieved => &mut self.achieved,
            S::OnTrack => &mut self.on_track,
            S::ModerateProgress => &mut self.moderate_progress,
            S::InsufficientProgress => &mut self.insufficient_progress,
            S::MovingAway => &mut self.moving_away,
            S::NotAchieved => &mut self.not_achieved,
            S::InsufficientData => &mut self.insufficient_data,
        } += 1;
    }
}

/// One target judged for every entry with one of some memberships.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TallyKey {
    pub target: String,
    pub memberships: Vec<domain::Membership>,
}

/// Judges every entry once per key and tallies the verdicts by province: one statement per
/// target, however many provinces ask.
pub struct Tallies {
    pub session: Arc<ReadSession>,
}

/// Tallies by province code; `None` for a target that does not exist.
pub type ByProvince = Option<Arc<HashMap<String, StatusTally>>>;

impl Loader<TallyKey> for Tallies {
    type Value = ByProvince;
    type Error = Arc<DbError>;

    async fn load(&self, keys: &[TallyKey]) -> Result<HashMap<TallyKey, ByProvince>, Self::Error> {
        let mut out = HashMap::with_capacity(keys.len());
        for key in keys {
            let found =
                self.session.read(|c| reference::targets_by_code(c, std::slice::from_ref(&key.target)))?;
            let Some((_, target)) = found.into_iter().next() else {
                out.insert(key.clone(), None);
                continue;
            };
            let mut tallies: HashMap<String, StatusTally> = HashMap::new();
            if target.kind != TargetKind::Cumulative {
                let scope = CityScope { memberships: key.memberships.clone(), ..CityScope::default() };
                let mut indicators = vec![target.indicator_code.as_str()];
                if let Some(rule) = &target.derivation {
                    indicators.extend([rule.numerator.as_str(), rule.denominator.as_str()]);
                }
                self.session.read(|c| {
                    each_city_series(c, &scope, &indicators, |city| {
                        // The stored targets pass the specification's rules (the seed is
                        // checked), so a verdict is always given.
                        if let Ok(result) =
                            judge(&target, city.points, None, EvaluationOptionsInput::default())
                        {
                            tallies
                                .entry(city.facets.province_code.clone())
                                .or_default()
                                .add(result.status.into());
                        }
                    })
                })?;
            }
            out.insert(key.clone(), Some(Arc::new(tallies)));
        }
        Ok(out)
    }
}

/// The `statusTally` field of a province.
pub async fn of_province(
    ctx: &Context<'_>,
    province: &str,
    target: String,
    membership: Vec<Membership>,
) -> ApiResult<StatusTally> {
    let mut memberships: Vec<domain::Membership> = membership.into_iter().map(Into::into).collect();
    memberships.sort_by_key(|m| m.as_str());
    memberships.dedup();
    let key = TallyKey { target: target.clone(), memberships };
    let tallies = loaders(ctx)?.tallies().load_one(key).await.map_err(db_error)?.flatten();
    let tallies =
        tallies.ok_or_else(|| ApiError::BadUserInput(format!("no target has the code {target:?}")))?;
    Ok(tallies.get(province).copied().unwrap_or_default())
}

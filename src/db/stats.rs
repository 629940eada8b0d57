//! What the data holds, as the cost estimate needs it: each table's rows and the most rows any
//! parent has in each relation. Read when the database opens and again whenever the data
//! version moves (a write of this process, or one of another process once noticed), so an
//! estimate is an upper bound for the data a query runs on.

use std::collections::HashMap;

use super::{Conn, DbError};

/// Row counts and per-parent maxima, for one data version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// The data version these were read at.
    pub version: u64,
    pub provinces: u64,
    pub cities: u64,
    pub indicators: u64,
    pub targets: u64,
    pub observations: u64,
    pub milestones: u64,
    pub industries: u64,
    /// Most entries in one province (any membership).
    pub cities_per_province: u64,
    /// Most sources cited for one entry.
    pub sources_per_city: u64,
    /// Most targets set on one indicator.
    pub targets_per_indicator: u64,
    /// Most observations of one city, of one province as a whole, of one indicator.
    pub observations_per_city: u64,
    pub observations_per_province: u64,
    pub observations_per_indicator: u64,
    /// Most observations of one subject (of any kind), and of one subject and indicator.
    pub observations_per_subject: u64,
    pub observations_per_series: u64,
    /// Most observations a target's evaluations read: of its indicator and its derivation's.
    pub observations_per_target: u64,
    /// Most years from a target's baseline to its target year, both counted: the most years
    /// one entry's gaps can ask for.
    pub years_per_target: u64,
    /// Most entries sharing one English or Chinese name.
    pub cities_per_name: u64,
}

/// Reads the statistics in the connection's current snapshot.
pub fn read(conn: &Conn<'_>, version: u64) -> Result<Stats, DbError> {
    let counts = conn.rows(
        "SELECT (SELECT count(*) FROM provinces), (SELECT count(*) FROM cities), (SELECT count(*) FROM indicators),
                (SELECT count(*) FROM targets), (SELECT count(*) FROM milestones),
                (SELECT count(*) FROM strategic_industries),
                (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM cities GROUP BY province_code)),
                (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM city_sources GROUP BY city_code)),
                (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM targets GROUP BY indicator_code)),
                (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM cities GROUP BY name_en COLLATE NOCASE
                 UNION ALL SELECT count(*) FROM cities GROUP BY name_zh))",
        [],
        |r| (0..10).map(|i| r.get::<_, i64>(i).map(|n| n.max(0) as u64)).collect::<rusqlite::Result<Vec<u64>>>(),
    )?;
    let [
        provinces,
        cities,
        indicators,
        targets,
        milestones,
        industries,
        per_province,
        sources,
        per_indicator,
        per_name,
    ] = counts.first().cloned().unwrap_or_default()[..]
    else {
        return Err(DbError::Corrupt("the statistics query returned no row".into()));
    };
    let mut stats = Stats {
        version,
        provinces,
        cities,
        indicators,
        targets,
        milestones,
        industries,
        cities_per_province: per_province,
        sources_per_city: sources,
        targets_per_indicator: per_indicator,
        cities_per_name: per_name,
        ..Stats::default()
    };
    // One pass over the series index: per subject and indicator, then summed here.
    let series = conn.rows(
        "SELECT subject_key, indicator_code, count(*) FROM observations GROUP BY subject_key, indicator_code",
        [],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?.max(0) as u64)),
    )?;
    let (mut per_subject, mut per_indicator): (HashMap<&str, u64>, HashMap<&str, u64>) = Default::default();
    for (subject, indicator, n) in &series {
        stats.observations += n;
        stats.observations_per_series = stats.observations_per_series.max(*n);
        *per_subject.entry(subject).or_default() += n;
        *per_indicator.entry(indicator).or_default() += n;
    }
    for (subject, n) in per_subject {
        stats.observations_per_subject = stats.observations_per_subject.max(n);
        if subject.starts_with("CITY:") {
            stats.observations_per_city = stats.observations_per_city.max(n);
        } else if subject.starts_with("PROVINCE:") {
            stats.observations_per_province = stats.observations_per_province.max(n);
        }
    }
    stats.observations_per_indicator = per_indicator.values().copied().max().unwrap_or(0);
    let targets = conn.rows(
        "SELECT t.indicator_code, d.numerator, d.denominator, t.target_year - t.baseline_year + 1 FROM targets t
         LEFT JOIN indicator_derivations d ON d.indicator_code = t.indicator_code",
        [],
        |r| Ok(([r.get::<_, Option<String>>(0)?, r.get(1)?, r.get(2)?], r.get::<_, i64>(3)?.max(0) as u64)),
    )?;
    for (indicators, years) in targets {
        stats.years_per_target = stats.years_per_target.max(years);
        let read: u64 = indicators
            .iter()
            .flatten()
            .map(|code| per_indicator.get(code.as_str()).copied().unwrap_or(0))
            .sum();
        stats.observations_per_target = stats.observations_per_target.max(read);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use crate::db::{Db, DbOptions, StatementCounter};

    #[tokio::test]
    async fn the_seed_statistics_count_what_the_seed_holds() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&DbOptions { path: dir.path().join("stats.db"), ..DbOptions::default() }).unwrap();
        let stats = db.stats();
        assert_eq!((stats.provinces, stats.targets), (31, 6));
        assert_eq!(stats.version, db.data_version());
        let counter = StatementCounter::default();
        let observations = db
            .read(&counter, |c| c.rows("SELECT count(*) FROM observations", [], |r| r.get::<_, i64>(0)))
            .await
            .unwrap();
        assert_eq!(stats.observations as i64, observations[0]);
        // Henan has 9 entries; Jinzhong 6 observations (GDP, tertiary and share, 2013 and 2017).
        assert!(stats.cities_per_province >= 9);
        assert!(stats.observations_per_city >= 6);
        assert!(stats.observations_per_target >= stats.observations_per_series);
    }
}

//! The plan's own record: its facts, milestones, strategic industries and coverage counts.

use super::list::stored;
use super::{Conn, DbError};
use crate::domain::{
    CityTier, Evidence, EvidenceGrade, GradeCount, Industry, MembershipCounts, Milestone, Plan, TierCount,
};

/// The plan record (seeded at every start, so it always exists).
pub fn plan(conn: &Conn<'_>) -> Result<Plan, DbError> {
    let rows = conn.rows(
        "SELECT p.*, s.url AS source_url FROM plan p JOIN sources s ON s.id = p.source_id",
        [],
        |r| {
            Ok(Plan {
                title_en: r.get("title_en")?,
                title_zh: r.get("title_zh")?,
                document_number: r.get("document_number")?,
                approval_number: r.get("approval_number")?,
                issued_on: r.get("issued_on")?,
                announced_on: r.get("announced_on")?,
                official_start_year: r.get("official_start_year")?,
                official_end_year: r.get("official_end_year")?,
                reported_start_year: r.get("reported_start_year")?,
                reported_end_year: r.get("reported_end_year")?,
                declared_cities: r.get("declared_cities")?,
                declared_prefecture_level: r.get("declared_prefecture_level")?,
                declared_districts: r.get("declared_districts")?,
                declared_provinces: r.get("declared_provinces")?,
                blueprint_2011_cities: r.get("blueprint_2011_cities")?,
                notes: r.get("notes")?,
                source_url: r.get("source_url")?,
            })
        },
    )?;
    rows.into_iter().next().ok_or_else(|| DbError::Corrupt("the plan record is missing".into()))
}

/// The plan's milestones, oldest first.
pub fn milestones(conn: &Conn<'_>) -> Result<Vec<Milestone>, DbError> {
    conn.rows(
        "SELECT m.*, s.url AS source_url FROM milestones m JOIN sources s ON s.id = m.source_id
         ORDER BY m.year, m.position",
        [],
        |r| {
            Ok(Milestone {
                position: r.get("position")?,
                year: r.get("year")?,
                date: r.get("date")?,
                title: r.get("title")?,
                description: r.get("description")?,
                evidence: stored(r, "evidence", Evidence::parse)?,
                source_url: r.get("source_url")?,
            })
        },
    )
}

/// The strategic industries the announcement names, in its order.
pub fn strategic_industries(conn: &Conn<'_>) -> Result<Vec<Industry>, DbError> {
    conn.rows(
        "SELECT i.*, s.url AS source_url FROM strategic_industries i
         JOIN sources s ON s.id = i.source_id ORDER BY i.position",
        [],
        |r| {
            Ok(Industry {
                position: r.get("position")?,
                name_en: r.get("name_en")?,
                source_url: r.get("source_url")?,
            })
        },
    )
}

/// How many plan entries the database holds, by membership.
pub fn membership_counts(conn: &Conn<'_>) -> Result<MembershipCounts, DbError> {
    let rows = conn.rows(
        "SELECT count(*) FILTER (WHERE membership = 'CONFIRMED'),
                count(*) FILTER (WHERE membership = 'CANDIDATE') FROM cities",
        [],
        |r| Ok(MembershipCounts { confirmed: r.get(0)?, candidate: r.get(1)? }),
    )?;
    Ok(rows.into_iter().next().unwrap_or_default())
}

/// Entries in the database by tier and membership, every tier listed (zero where none).
pub fn tier_counts(conn: &Conn<'_>) -> Result<Vec<TierCount>, DbError> {
    let rows = conn.rows(
        "SELECT tier, count(*) FILTER (WHERE membership = 'CONFIRMED') AS confirmed,
                count(*) FILTER (WHERE membership = 'CANDIDATE') AS candidate
         FROM cities GROUP BY tier",
        [],
        |r| {
            Ok((
                stored(r, "tier", CityTier::parse)?,
                r.get::<_, i64>("confirmed")?,
                r.get::<_, i64>("candidate")?,
            ))
        },
    )?;
    Ok(CityTier::ALL
        .iter()
        .map(|&tier| {
            let (_, confirmed, candidate) =
                rows.iter().copied().find(|r| r.0 == tier).unwrap_or((tier, 0, 0));
            TierCount { tier, confirmed, candidate }
        })
        .collect())
}

/// For each evidence grade, strongest first: the entries whose strongest source has it, and the
/// sources graded so.
pub fn grade_counts(conn: &Conn<'_>) -> Result<Vec<GradeCount>, DbError> {
    let rows = conn.rows(
        "SELECT 'entries' AS what, evidence, count(*) AS n FROM cities WHERE evidence IS NOT NULL GROUP BY evidence
         UNION ALL SELECT 'sources', evidence, count(*) FROM city_sources GROUP BY evidence",
        [],
        |r| Ok((r.get::<_, String>("what")? == "entries", stored(r, "evidence", EvidenceGrade::parse)?, r.get::<_, i64>("n")?)),
    )?;
    let count = |entries: bool, grade: EvidenceGrade| {
        rows.iter().find(|r| r.0 == entries && r.1 == grade).map_or(0, |r| r.2)
    };
    Ok(EvidenceGrade::ALL
        .iter()
        .map(|&evidence| GradeCount {
            evidence,
            entries: count(true, evidence),
            sources: count(false, evidence),
        })
        .collect())
}

//! Synthetic data for benchmarks and scale tests, kept apart from the real data: every row it
//! writes is marked `synthetic = 1`, cities get codes no real division has (`SYN000001`), and
//! every value cites the source `synthetic:rustbelt-synthesize`. Never used on a real database
//! (the command refuses an existing file).

use rusqlite::{Connection, params};

use super::DbError;

/// The source every synthetic value cites.
pub const SOURCE: &str = "synthetic:rustbelt-synthesize";

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Synthetic cities, spread over the 31 provinces.
    pub cities: u32,
    /// Years of observations per city and indicator, from 2012 on.
    pub years: u32,
}

/// A plausible starting value and yearly growth factor for each indicator with a target.
const SERIES: [(&str, f64, f64, f64); 6] = [
    ("services_share_gdp", 30.0, 25.0, 1.012),
    ("hightech_share", 5.0, 15.0, 1.04),
    ("water_intensity_industrial", 20.0, 60.0, 0.96),
    ("energy_intensity_gdp", 0.5, 1.0, 0.965),
    ("disposable_income_urban", 15_000.0, 15_000.0, 1.08),
    ("new_jobs", 10_000.0, 90_000.0, 1.01),
];

/// Adds synthetic cities and their observations in one transaction; gives the rows written.
/// `city_done` is called as each city is written (the command shows its progress).
pub fn generate(
    connection: &mut Connection,
    size: Size,
    city_done: &dyn Fn(u64),
) -> Result<(u64, u64), DbError> {
    let tx = connection.transaction()?;
    tx.execute(
        "INSERT INTO sources (url, description) VALUES (?1, ?2) ON CONFLICT (url) DO NOTHING",
        params![SOURCE, "SYNTHETIC: generated for benchmarks by `rustbelt synthesize`; not data"],
    )?;
    let source: i64 = tx.query_row("SELECT id FROM sources WHERE url = ?1", [SOURCE], |r| r.get(0))?;
    let provinces: Vec<String> = {
        let mut statement = tx.prepare("SELECT code FROM provinces ORDER BY code")?;
        statement.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    if provinces.is_empty() {
        return Err(DbError::Seed("no provinces: seed the database first".into()));
    }
    let mut observations = 0;
    {
        let mut city = tx.prepare(
            "INSERT INTO cities (admin_code, name_en, name_zh, province_code, tier, membership, synthetic)
             VALUES (?1, ?2, ?3, ?4, 'prefecture_level', 'CONFIRMED', 1)",
        )?;
        let mut value = tx.prepare(
            "INSERT INTO observations (subject_kind, city_code, subject_key, indicator_code, year, value, unit,
                                       definition, source_id, source_note, origin, synthetic)
             VALUES ('CITY', ?1, 'CITY:' || ?1, ?2, ?3, ?4, 'synthetic', 'synthetic series', ?5,
                     'SYNTHETIC: generated for benchmarks, not data', 'USER', 1)",
        )?;
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        for n in 1..=size.cities {
            let code = format!("SYN{n:06}");
            let province = &provinces[(n as usize) % provinces.len()];
            city.execute(params![
                code,
                format!("Synthetic city {n:06}"),
                format!("合成城市{n:06}"),
                province
            ])?;
            for (indicator, base, spread, growth) in SERIES {
                let mut level = base + spread * random.next();
                for year in 2012..2012 + size.years as i32 {
                    value.execute(params![code, indicator, year, level, source])?;
                    level *= growth * (0.98 + 0.04 * random.next());
                    observations += 1;
                }
            }
            city_done(1);
        }
    }
    tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('synthetic', 1)", [])?;
    super::version::bump(&tx)?;
    tx.commit()?;
    Ok((u64::from(size.cities), observations))
}

/// A small deterministic generator (xorshift64*): the same size gives the same database.
struct Random(u64);

impl Random {
    /// A number in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

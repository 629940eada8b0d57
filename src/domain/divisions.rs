//! China's administrative divisions (GB/T 2260 codes), vendored from registry packages in
//! `assets/divisions/` (versions, licences and checksums in its VERSIONS.md): what
//! `import cities` checks a code, its level, its province and its name against, and fills a
//! row in from.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The level of a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Province,
    /// A prefecture-level unit (地级), or a placeholder row standing in for one (市辖区 of a
    /// municipality, 省直辖县级行政区划).
    Prefecture,
    /// A county-level unit: a district (区), county, county-level city, banner …
    County,
}

/// One division.
#[derive(Debug, Clone, PartialEq)]
pub struct Division {
    pub code: String,
    /// The official name of the unit itself: 蚌埠市, 瑶海区, 安徽省.
    pub name: String,
    pub level: Level,
    /// The code of the unit above (none for a province).
    pub parent: Option<String>,
    pub province: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl Division {
    /// A placeholder row the statistical codes keep where a level is missing (a
    /// municipality's 市辖区, a province's directly administered counties): not a real unit.
    pub fn is_placeholder(&self) -> bool {
        self.level == Level::Prefecture
            && (matches!(self.name.as_str(), "市辖区" | "县") || self.name.contains("直辖"))
    }

    /// Whether the unit is a district (市辖区), the kind of unit the plan's 25 are.
    pub fn is_district(&self) -> bool {
        self.level == Level::County && self.name.ends_with('区')
    }
}

/// The whole table, indexed by code and by the names people write.
pub struct Divisions {
    by_code: HashMap<String, Division>,
    /// Full names as the seed writes them (蚌埠市, 合肥市瑶海区, 重庆市大渡口区), and bare
    /// county names (瑶海区), each with every code it may mean.
    by_name: HashMap<String, Vec<String>>,
}

/// What a name stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Found<'a> {
    One(&'a Division),
    /// Several units have this name: their full names, to choose from.
    Ambiguous(Vec<String>),
    None,
}

impl Divisions {
    /// The vendored table, parsed on first use.
    pub fn embedded() -> &'static Self {
        static TABLE: OnceLock<Divisions> = OnceLock::new();
        TABLE.get_or_init(|| {
            Self::parse(include_str!("../../assets/divisions/divisions.csv"))
                .expect("assets/divisions/divisions.csv is checked by its own test")
        })
    }

    /// Parses the table's CSV (`code,name,level,parent,province,lat,lon`).
    pub fn parse(text: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Row {
            code: String,
            name: String,
            level: String,
            parent: Option<String>,
            province: String,
            lat: Option<f64>,
            lon: Option<f64>,
        }
        let mut by_code = HashMap::new();
        for row in csv::Reader::from_reader(text.as_bytes()).deserialize::<Row>() {
            let row = row.map_err(|e| e.to_string())?;
            let level = match row.level.as_str() {
                "province" => Level::Province,
                "prefecture" => Level::Prefecture,
                "county" => Level::County,
                other => return Err(format!("{}: unknown level {other:?}", row.code)),
            };
            let division = Division {
                code: row.code.clone(),
                name: row.name,
                level,
                parent: row.parent.filter(|p| !p.is_empty()),
                province: row.province,
                latitude: row.lat,
                longitude: row.lon,
            };
            by_code.insert(row.code, division);
        }
        let mut table = Self { by_code, by_name: HashMap::new() };
        let names: Vec<(String, String, Level)> =
            table.by_code.values().map(|d| (table.full_name(d), d.code.clone(), d.level)).collect();
        for (full, code, level) in names {
            if level == Level::County {
                let own = table.by_code[&code].name.clone();
                table.by_name.entry(own).or_default().push(code.clone());
            }
            table.by_name.entry(full).or_default().push(code);
        }
        for codes in table.by_name.values_mut() {
            codes.sort();
            codes.dedup();
        }
        Ok(table)
    }

    /// The division with this code.
    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code)
    }

    /// The name the seed gives an entry: a prefecture-level city by its own name (蚌埠市), a
    /// district after its city (合肥市瑶海区), or after its municipality (重庆市大渡口区).
    pub fn full_name(&self, division: &Division) -> String {
        if division.level != Level::County {
            return division.name.clone();
        }
        let parent = division.parent.as_deref().and_then(|p| self.get(p));
        let above = match parent {
            Some(parent) if !parent.is_placeholder() => Some(parent),
            _ => self.get(&division.province),
        };
        above.map_or_else(|| division.name.clone(), |above| format!("{}{}", above.name, division.name))
    }

    /// The division a person means by a Chinese name: a full name (蚌埠市, 合肥市瑶海区), a
    /// city without its 市 (蚌埠), or a district's own name where only one unit has it.
    pub fn find(&self, name: &str) -> Found<'_> {
        let name = name.trim();
        let codes = self.by_name.get(name).or_else(|| self.by_name.get(&format!("{name}市")));
        let codes: Vec<&Division> = codes.into_iter().flatten().filter_map(|c| self.get(c)).collect();
        match codes.as_slice() {
            [] => Found::None,
            [one] => Found::One(one),
            many => Found::Ambiguous(many.iter().map(|d| self.full_name(d)).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_table_parses_and_knows_the_seed_entries() {
        let table = Divisions::embedded();
        assert_eq!(table.by_code.values().filter(|d| d.level == Level::Province).count(), 31);
        let bengbu = table.get("340300").expect("蚌埠");
        assert_eq!(
            (bengbu.name.as_str(), bengbu.level, bengbu.province.as_str()),
            ("蚌埠市", Level::Prefecture, "340000")
        );
        let dadukou = table.get("500104").expect("大渡口区");
        assert_eq!(table.full_name(dadukou), "重庆市大渡口区", "a municipality's district is named after it");
        assert!(dadukou.is_district());
        assert!(table.get("500100").is_some_and(Division::is_placeholder));
    }

    #[test]
    fn names_are_found_in_every_form_people_write() {
        let table = Divisions::embedded();
        let code = |name: &str| match table.find(name) {
            Found::One(d) => d.code.clone(),
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(code("晋中市"), "140700");
        assert_eq!(code("晋中"), "140700");
        assert_eq!(code("太原市万柏林区"), "140109");
        assert_eq!(code("万柏林区"), "140109");
        assert!(
            matches!(table.find("长安区"), Found::Ambiguous(names) if names.contains(&"石家庄市长安区".to_string()))
        );
        assert_eq!(table.find("不存在市"), Found::None);
    }
}

//! Which entry (or province) a row means, by its code or its Chinese name, through the
//! vendored division table (`assets/divisions/`). The rules:
//!
//! - a 6-digit code is taken as it is (a province's code means the province);
//! - a name is a unit's full name (蚌埠市, 合肥市瑶海区, 吉林省), or a city's without 市 (蚌埠), or a
//!   province's without 省 / 自治区 (吉林, 内蒙古), or a district's own name (大渡口区) where only
//!   one unit has it;
//! - a name that fits more than one unit — 吉林 (the city and the province), 长安区 (a district
//!   of Shijiazhuang and one of Xi'an) — is refused, naming each unit and its code, so the
//!   person writes the one they mean; it is never picked for them.

use crate::domain::divisions::{Divisions, Found, Level};
use crate::domain::recording::Subject;

/// Endings a province's name may be written without.
const PROVINCE_ENDINGS: [&str; 6] = ["省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区"];

/// The subject `text` names, or why it names none or several.
pub fn resolve(text: &str) -> Result<Subject, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no entry: give its code (340300) or its Chinese name (蚌埠市)".into());
    }
    let table = Divisions::embedded();
    if text.is_ascii() {
        return Ok(match table.get(text) {
            Some(d) if d.level == Level::Province => Subject::Province(d.code.clone()),
            _ => Subject::City(text.to_string()),
        });
    }
    let mut found: Vec<(String, String, Level)> = Vec::new();
    let mut add = |code: &str, name: String, level: Level| {
        if !found.iter().any(|(c, _, _)| c == code) {
            found.push((code.to_string(), name, level));
        }
    };
    match table.find(text) {
        Found::One(d) => add(&d.code, table.full_name(d), d.level),
        Found::Ambiguous(names) => {
            for name in names {
                if let Found::One(d) = table.find(&name) {
                    add(&d.code, name, d.level);
                }
            }
        }
        Found::None => {}
    }
    for ending in PROVINCE_ENDINGS {
        if let Found::One(d) = table.find(&format!("{text}{ending}"))
            && d.level == Level::Province
        {
            add(&d.code, d.name.clone(), d.level);
        }
    }
    match found.as_slice() {
        [] => Err(format!(
            "no division is called {text:?}: give the entry's code, or its full Chinese name (蚌埠市, 合肥市瑶海区)"
        )),
        [(code, _, Level::Province)] => Ok(Subject::Province(code.clone())),
        [(code, _, _)] => Ok(Subject::City(code.clone())),
        many => {
            let listed: Vec<String> = many.iter().map(|(code, name, _)| format!("{name} ({code})")).collect();
            Err(format!(
                "{text:?} may mean {}: write the full name, or the code, of the one you mean",
                listed.join(" or ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_and_without_their_endings_resolve() {
        assert_eq!(resolve("蚌埠"), Ok(Subject::City("340300".into())));
        assert_eq!(resolve("蚌埠市"), Ok(Subject::City("340300".into())));
        assert_eq!(resolve("重庆市大渡口区"), Ok(Subject::City("500104".into())));
        assert_eq!(resolve("大渡口区"), Ok(Subject::City("500104".into())), "one district has this name");
        assert_eq!(resolve("吉林省"), Ok(Subject::Province("220000".into())));
        assert_eq!(resolve("安徽"), Ok(Subject::Province("340000".into())));
        assert_eq!(resolve("340300"), Ok(Subject::City("340300".into())));
        assert_eq!(resolve("340000"), Ok(Subject::Province("340000".into())));
        assert_eq!(resolve("北京"), Ok(Subject::Province("110000".into())));
    }

    #[test]
    fn a_name_of_several_units_is_refused_with_each_of_them() {
        let jilin = resolve("吉林").unwrap_err();
        assert!(jilin.contains("吉林市 (220200)") && jilin.contains("吉林省 (220000)"), "{jilin}");
        let changan = resolve("长安区").unwrap_err();
        assert!(changan.contains("石家庄市长安区 (130102)") && changan.contains("西安市长安区"), "{changan}");
        assert!(resolve("不存在市").unwrap_err().contains("no division"));
    }
}

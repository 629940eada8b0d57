//! Schema migrations, tracked in `PRAGMA user_version`. Each entry moves the schema one version
//! forward; a database newer than this binary is refused rather than guessed at.

use rusqlite::Connection;

use super::DbError;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
    include_str!("schema_v6.sql"),
    include_str!("schema_v7.sql"),
];

/// Refuses a schema version this binary does not know.
pub(super) fn check_version(version: i64) -> Result<(), String> {
    let known = MIGRATIONS.len();
    match usize::try_from(version) {
        Ok(version) if version <= known => Ok(()),
        _ => Err(format!(
            "has schema version {version}, newer than this binary's ({known}): run a newer rustbelt"
        )),
    }
}

/// Refuses any schema version but this binary's own: a read-only replica never migrates.
pub(super) fn check_current(version: i64) -> Result<(), String> {
    check_version(version)?;
    let known = MIGRATIONS.len();
    if usize::try_from(version).ok() != Some(known) {
        return Err(format!(
            "has schema version {version}, older than this binary's ({known}), and a read-only replica never migrates: upgrade the primary first"
        ));
    }
    Ok(())
}

/// Applies every pending migration in one transaction.
pub(super) fn run(connection: &mut Connection) -> Result<(), DbError> {
    let tx = connection.transaction()?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    check_version(version).map_err(DbError::Unusable)?;
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tracing::info!(schema.version = index + 1, "migrated database");
    }
    tx.commit()?;
    Ok(())
}

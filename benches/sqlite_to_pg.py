#!/usr/bin/env python3
"""Copies a SQLite file into an empty PostgreSQL database, for the PostGraphile peer of
benches/bench.py: the same tables (read from the file's own schema, not listed here), their
primary keys, NOT NULL, foreign keys and indexes, then every row. Not copied: column defaults
and CHECK constraints (SQL of SQLite's dialect; the benchmark only reads), views, triggers.

Usage: sqlite_to_pg.py FILE.db POSTGRES_URL. Run it with the bench venv's Python
(target/bench-venv), where benches/run.sh installs psycopg.

psycopg rather than psql and COPY from CSV: rows go from sqlite3 to COPY as Python values, so
NULL, empty text, bytes and floats cross unchanged, with no CSV quoting or NULL marker to get
right, and each statement fails with PostgreSQL's own message.
"""

import sqlite3
import sys

import psycopg
from psycopg import sql

# Declared type → PostgreSQL type, by SQLite's affinity rules (section 3.1 of its datatype
# page): the declared type is free text, so "INT", "BIGINT" and "VARCHAR(20)" follow the rule
# their affinity does. A column with no type holds anything: text is the lossless choice.
# Anything else (NUMERIC, DECIMAL, BOOLEAN, DATE) has numeric affinity: numeric.
def pg_type(declared):
    declared = declared.upper()
    if "INT" in declared:
        return "bigint"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in declared:
        return "bytea"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "double precision"
    if not declared:
        return "text"
    return "numeric"


def say(*args):
    print("sqlite_to_pg:", *args, file=sys.stderr, flush=True)


def ident(*names):
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def read_schema(lite):
    """Every user table with its columns, key, foreign keys and indexes, from the catalogue."""
    tables = {}
    objects = lite.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!'"
                           " ORDER BY type, name").fetchall()
    virtual = [name for kind, name, text in objects if kind == "table" and (text or "").upper().startswith("CREATE VIRTUAL")]
    for kind, name, text in objects:
        if kind == "view":
            say(f"skipped view {name} (PostGraphile would expose it without keys or relations)")
        elif kind == "trigger":
            say(f"skipped trigger {name}")
        elif kind == "table" and name in virtual:
            say(f"skipped virtual table {name}")
        elif kind == "table" and any(name.startswith(v + "_") for v in virtual):
            say(f"skipped {name}, a virtual table's storage")
        elif kind == "table":
            tables[name] = read_table(lite, name)
    return tables


def read_table(lite, name):
    columns = lite.execute(f"PRAGMA table_info({quote(name)})").fetchall()  # cid, name, type, notnull, default, pk
    key = [column[1] for column in sorted((c for c in columns if c[5]), key=lambda c: c[5])]
    foreign = {}
    for fk_id, _seq, parent, child_col, parent_col, *_ in lite.execute(f"PRAGMA foreign_key_list({quote(name)})"):
        foreign.setdefault(fk_id, (parent, [], []))
        foreign[fk_id][1].append(child_col)
        foreign[fk_id][2].append(parent_col)  # None: the parent's primary key
    indexes = []
    for _seq, index, unique, origin, partial in lite.execute(f"PRAGMA index_list({quote(name)})"):
        if origin == "pk":
            continue  # the primary key, made with the table
        # seqno, cid, name, desc, collation, key: only the key columns, in index order.
        info = [row for row in lite.execute(f"PRAGMA index_xinfo({quote(index)})") if row[5]]
        indexes.append({"name": index, "unique": bool(unique), "partial": bool(partial),
                        "columns": [(row[2], bool(row[3]), row[4]) for row in info],
                        "sql": lite.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]})
    return {"columns": [(c[1], pg_type(c[2] or ""), bool(c[3])) for c in columns], "key": key,
            "foreign": list(foreign.values()), "indexes": indexes}


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def create_tables(pg, tables):
    for name, table in tables.items():
        parts = [sql.SQL("{} {}{}").format(sql.Identifier(column), sql.SQL(kind), sql.SQL(" NOT NULL" if notnull else ""))
                 for column, kind, notnull in table["columns"]]
        if table["key"]:
            parts.append(sql.SQL("PRIMARY KEY ({})").format(ident(*table["key"])))
        else:
            say(f"{name} has no declared primary key: PostGraphile will list it without one")
        pg.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(name), sql.SQL(", ").join(parts)))


def copy_rows(lite, pg, tables):
    for name, table in tables.items():
        names = [column for column, _, _ in table["columns"]]
        count = 0
        with pg.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(name), ident(*names))) as copy:
            for row in lite.execute(f"SELECT {', '.join(map(quote, names))} FROM {quote(name)}"):
                copy.write_row(row)
                count += 1
        say(f"{name}: {count} rows")


def create_indexes(pg, tables):
    """Indexes before foreign keys: a unique index is what a foreign key to non-key columns needs."""
    for name, table in tables.items():
        for index in table["indexes"]:
            if any(column is None for column, _, _ in index["columns"]):
                say(f"skipped index {index['name']} on an expression")
                continue
            if index["partial"]:
                say(f"skipped partial index {index['name']}")
                continue
            for column, _, collation in index["columns"]:
                if collation.upper() != "BINARY":
                    say(f"index {index['name']}: {column} indexed plainly, without SQLite's {collation} collation")
            # SQLite names the indexes of UNIQUE constraints sqlite_autoindex_TABLE_N.
            pg_name = index["name"] if not index["name"].startswith("sqlite_") else \
                f"{name}_{'_'.join(c for c, _, _ in index['columns'])}_key"
            columns = sql.SQL(", ").join(sql.SQL("{}{}").format(sql.Identifier(column), sql.SQL(" DESC" if desc else ""))
                                         for column, desc, _ in index["columns"])
            pg.execute(sql.SQL("CREATE {}INDEX {} ON {} ({})").format(
                sql.SQL("UNIQUE " if index["unique"] else ""), sql.Identifier(pg_name), sql.Identifier(name), columns))


def create_foreign_keys(pg, tables):
    """Foreign keys after the rows (each is checked once, over every row), with an index on the
    referencing columns where none leads with them: PostGraphile builds its relations from the
    foreign keys and reads each relation by those columns."""
    for name, table in tables.items():
        leading = [[c for c, _, _ in index["columns"]] for index in table["indexes"] if not index["partial"]]
        leading.append(table["key"])
        for number, (parent, columns, parent_columns) in enumerate(table["foreign"], 1):
            if None in parent_columns:
                parent_columns = tables[parent]["key"]
            pg.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})").format(
                sql.Identifier(name), sql.Identifier(f"{name}_{'_'.join(columns)}_fkey"), ident(*columns),
                sql.Identifier(parent), ident(*parent_columns)))
            if not any(index[:len(columns)] == columns for index in leading):
                index = f"{name}_{'_'.join(columns)}_fkey_idx"
                pg.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(
                    sql.Identifier(index), sql.Identifier(name), ident(*columns)))
                leading.append(columns)
                say(f"{name}.{', '.join(columns)} references {parent} and had no index: created {index}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, url = sys.argv[1:]
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    tables = read_schema(lite)
    with psycopg.connect(url) as pg:  # one transaction: a failed copy leaves nothing half made
        create_tables(pg, tables)
        copy_rows(lite, pg, tables)
        create_indexes(pg, tables)
        create_foreign_keys(pg, tables)
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("ANALYZE")  # the planner's statistics, as a served database would have them
    say(f"copied {len(tables)} tables")


if __name__ == "__main__":
    main()

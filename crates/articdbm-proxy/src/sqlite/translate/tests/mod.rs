//! End-to-end tests of the translator: statements captured from real clients (SQLAlchemy 2 with
//! psycopg 3, psql 15, asyncpg) translated and run on an in-memory SQLite connection with the
//! catalog installed, plus the translation rules one by one.

mod queries;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::*;
use queries::*;

struct Rows {
    names: Vec<String>,
    decltypes: Vec<Option<String>>,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    fn col(&self, name: &str) -> Vec<Value> {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.names));
        self.rows.iter().map(|r| r[i].clone()).collect()
    }
}

fn db() -> Connection {
    let c = Connection::open_in_memory().expect("open");
    install(
        &c,
        &InstallContext {
            database: "appdb".into(),
            user: "admin".into(),
        },
    )
    .expect("install");
    c
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Translates `sql` and runs every statement that has SQLite SQL; returns the last result.
fn run(c: &Connection, sql: &str, params: &[Value]) -> Rows {
    let t = pg(sql).expect("translates");
    let mut last = Rows {
        names: vec![],
        decltypes: vec![],
        rows: vec![],
    };
    for st in &t.statements {
        if st.sql.is_empty() {
            continue;
        }
        let mut s = c
            .prepare(&st.sql)
            .unwrap_or_else(|e| panic!("{e}\nPG: {}\nSQLite: {}", st.original, st.sql));
        let names: Vec<String> = s.column_names().iter().map(|n| (*n).to_owned()).collect();
        let decltypes = s
            .columns()
            .iter()
            .map(|c| c.decl_type().map(str::to_owned))
            .collect();
        let n = names.len();
        let bound: Vec<&dyn rusqlite::ToSql> = params
            .iter()
            .take(st.param_count)
            .map(|v| v as &dyn rusqlite::ToSql)
            .collect();
        let rows = s
            .query_map(&bound[..], |r| {
                (0..n)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<Result<_, _>>()
            })
            .and_then(|rows| rows.collect::<Result<Vec<Vec<Value>>, _>>())
            .unwrap_or_else(|e| panic!("{e}\nSQLite: {}", st.sql));
        last = Rows {
            names,
            decltypes,
            rows,
        };
    }
    last
}

/// The SQLAlchemy schema of the captured session: users, posts (FK, index) and their rows.
fn sqlalchemy_db() -> Connection {
    let c = db();
    run(&c, SA_CREATE_USERS, &[]);
    run(&c, SA_CREATE_POSTS, &[]);
    run(&c, "CREATE INDEX ix_posts_title ON posts (title)", &[]);
    let mut params = Vec::new();
    for i in 0..5 {
        params.extend([
            text(&format!("u{i}")),
            text(&format!("u{i}@x")),
            Value::Integer(1),
            text("2020-01-01 00:00:00"),
            Value::Real(0.0),
            Value::Integer(0),
            Value::Null,
        ]);
    }
    let ids = run(&c, SA_INSERT_USERS, &params);
    assert_eq!(
        ids.col("id"),
        (1..=5).map(Value::Integer).collect::<Vec<_>>()
    );
    assert_eq!(ids.names, vec!["id", "id__1"]);
    let mut params = Vec::new();
    for i in 0..3 {
        params.extend([Value::Integer(1), text(&format!("t{i}")), Value::Null]);
    }
    let ids = run(&c, SA_INSERT_POSTS, &params);
    assert_eq!(ids.rows.len(), 3);
    c
}

fn table_oid(c: &Connection, table: &str) -> i64 {
    let r = run(
        c,
        "SELECT oid FROM pg_catalog.pg_class WHERE relname = $1",
        &[text(table)],
    );
    match r.rows.first().map(|r| &r[0]) {
        Some(Value::Integer(oid)) => *oid,
        other => panic!("no oid for {table}: {other:?}"),
    }
}

const RELKINDS: [&str; 5] = ["r", "p", "f", "v", "m"];

#[test]
fn sqlalchemy_initialize() {
    let c = db();
    let v = run(&c, "select pg_catalog.version()", &[]);
    assert_eq!(v.names, vec!["version"]);
    assert!(matches!(&v.rows[0][0], Value::Text(s) if s.starts_with("PostgreSQL 15.0 (ArticDBM")));
    let s = run(&c, "select current_schema()", &[]);
    assert_eq!(s.rows, vec![vec![text("public")]]);
    for (sql, name) in [
        ("show transaction isolation level", "transaction_isolation"),
        (
            "show standard_conforming_strings",
            "standard_conforming_strings",
        ),
    ] {
        let t = pg(sql).expect("translates");
        assert_eq!(t.statements[0].local, Some(Local::Show(name.into())));
        assert!(setting_default(name).is_some());
    }
    let hstore = run(&c, SA_TYPEINFO, &[text("hstore")]);
    assert!(hstore.rows.is_empty());
    let int4 = run(&c, SA_TYPEINFO, &[text("int4")]);
    assert_eq!(
        int4.rows,
        vec![vec![
            text("int4"),
            Value::Integer(23),
            Value::Integer(1007),
            text("integer"),
            text(",")
        ]]
    );
}

#[test]
fn sqlalchemy_create_all_orm_and_drop_all() {
    let c = db();
    let mut has = vec![text("users"), text("posts")];
    has.extend(RELKINDS.iter().map(|k| text(k)));
    has.push(text("pg_catalog"));
    assert!(run(&c, SA_HAS_TABLE, &has).rows.is_empty());
    let c2 = sqlalchemy_db();
    let found = run(&c2, SA_HAS_TABLE, &has);
    assert_eq!(found.col("relname").len(), 2);
    let ilike = run(&c2, SA_SELECT_ILIKE, &[text("U%")]);
    assert_eq!(ilike.rows.len(), 5, "ILIKE is case-insensitive");
    assert_eq!(ilike.decltypes[3].as_deref(), Some("BOOLEAN"));
    run(&c2, "DROP TABLE posts", &[]);
    run(&c2, "DROP TABLE users", &[]);
    assert!(run(&c2, SA_HAS_TABLE, &has).rows.is_empty());
}

#[test]
fn sqlalchemy_reflection() {
    let c = sqlalchemy_db();
    let names = run(
        &c,
        SA_TABLE_NAMES,
        &[text("r"), text("p"), text("t"), text("pg_catalog")],
    );
    assert_eq!(names.col("relname"), vec![text("users"), text("posts")]);

    let mut p = vec![
        text(""),
        text("always"),
        text("a"),
        text("start"),
        text("increment"),
        text("minvalue"),
        text("maxvalue"),
        text("cache"),
        text("cycle"),
        text(""),
        Value::Integer(0),
        text("name"),
        text("schema"),
        Value::Integer(0),
    ];
    p.extend(RELKINDS.iter().map(|k| text(k)));
    p.extend([text("pg_catalog"), text("users")]);
    let cols = run(&c, SA_COLUMNS, &p);
    assert_eq!(
        cols.col("name"),
        [
            "id", "name", "email", "active", "created", "score", "balance", "data"
        ]
        .map(text)
        .to_vec()
    );
    assert_eq!(
        cols.col("format_type"),
        [
            // A `SERIAL` key is SQLite's 64-bit INTEGER rowid.
            "bigint",
            "character varying(50)",
            "character varying(200)",
            "boolean",
            "timestamp without time zone",
            "double precision",
            "numeric(10,2)",
            "bytea"
        ]
        .map(text)
        .to_vec()
    );
    assert_eq!(cols.col("not_null")[2], Value::Integer(0));
    assert_eq!(cols.decltypes[3].as_deref(), Some("BOOLEAN"));

    let users = table_oid(&c, "users");
    let posts = table_oid(&c, "posts");
    let mut p: Vec<Value> = RELKINDS.iter().map(|k| text(k)).collect();
    p.extend([text("pg_catalog"), text("users")]);
    let oids = run(&c, SA_TABLE_OIDS, &p);
    assert_eq!(oids.col("oid"), vec![Value::Integer(users)]);

    let pk = run(
        &c,
        SA_CONSTRAINTS,
        &[
            Value::Integer(1),
            text("pg_constraint"),
            text("p"),
            Value::Integer(users),
        ],
    );
    assert_eq!(pk.col("cols"), vec![text("{id}")]);
    assert_eq!(pk.col("conname"), vec![text("users_pkey")]);
    let uq = run(
        &c,
        SA_CONSTRAINTS,
        &[
            Value::Integer(1),
            text("pg_constraint"),
            text("u"),
            Value::Integer(users),
        ],
    );
    assert_eq!(uq.col("cols"), vec![text("{email}")]);
    assert_eq!(uq.col("conname"), vec![text("users_email_key")]);
    assert_eq!(
        pg(SA_CONSTRAINTS).expect("translates").statements[0].column_types[1],
        Some(1009),
        "array_agg of text is text[]"
    );

    let mut p = vec![text("t"), text("f"), text("pg_constraint")];
    p.extend(RELKINDS.iter().map(|k| text(k)));
    p.extend([text("pg_catalog"), text("posts")]);
    let fks = run(&c, SA_FOREIGN_KEYS, &p);
    assert_eq!(fks.col("conname"), vec![text("posts_user_id_fkey")]);
    assert_eq!(
        fks.col("anon_1"),
        vec![text("FOREIGN KEY (user_id) REFERENCES users(id)")]
    );

    let idx = run(
        &c,
        SA_INDEXES,
        &[
            Value::Integer(0),
            Value::Integer(1),
            Value::Integer(1),
            Value::Integer(0),
            Value::Integer(1),
            Value::Integer(posts),
            text("p"),
            text("u"),
            text("x"),
        ],
    );
    assert_eq!(idx.col("relname"), vec![text("ix_posts_title")]);
    assert_eq!(idx.col("elements"), vec![text("{title}")]);
    assert_eq!(idx.col("elements_is_expr"), vec![text("{f}")]);
    assert_eq!(idx.col("has_constraint"), vec![Value::Integer(0)]);

    let schemas = run(&c, SA_SCHEMAS, &[text("pg/_")]);
    assert_eq!(
        schemas.col("nspname"),
        vec![text("information_schema"), text("public")]
    );
}

#[test]
fn psql_describe_commands() {
    let c = sqlalchemy_db();
    run(&c, "CREATE VIEW v1 AS SELECT id FROM users", &[]);
    let dt = run(&c, PSQL_DT, &[]);
    assert_eq!(dt.col("Name"), vec![text("posts"), text("users")]);
    assert_eq!(dt.col("Type"), vec![text("table"), text("table")]);
    assert_eq!(dt.col("Owner"), vec![text("admin"), text("admin")]);

    let lookup = run(&c, &PSQL_D_LOOKUP.replace("t1", "users"), &[]);
    let oid = table_oid(&c, "users");
    assert_eq!(lookup.col("oid"), vec![Value::Integer(oid)]);
    let with_oid = |q: &str| q.replace("{OID}", &oid.to_string());

    let table = run(&c, &with_oid(PSQL_D_TABLE), &[]);
    assert_eq!(table.col("relkind"), vec![text("r")]);
    assert_eq!(table.decltypes[2].as_deref(), Some("BOOLEAN"));
    let cols = run(&c, &with_oid(PSQL_D_COLUMNS), &[]);
    assert_eq!(cols.rows.len(), 8);
    assert_eq!(cols.rows[1][1], text("character varying(50)"));
    let idx = run(&c, &with_oid(PSQL_D_INDEXES), &[]);
    assert_eq!(
        idx.col("relname"),
        vec![text("users_pkey"), text("users_email_key")]
    );
    assert_eq!(
        idx.col("pg_get_indexdef")[0],
        text("CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)")
    );
    assert_eq!(idx.col("pg_get_constraintdef")[0], text("PRIMARY KEY (id)"));
    for q in [
        PSQL_D_FKEYS,
        PSQL_D_POLICIES,
        PSQL_D_STATISTICS,
        PSQL_D_PUBLICATIONS,
        PSQL_D_TRIGGERS,
        PSQL_D_INHERITS,
        PSQL_D_PARTITIONS,
    ] {
        run(&c, &with_oid(q), &[]);
    }
    let referenced = run(&c, &with_oid(PSQL_D_REFERENCED), &[]);
    assert_eq!(referenced.col("ontable"), vec![text("posts")]);
    assert_eq!(
        referenced.col("condef"),
        vec![text("FOREIGN KEY (user_id) REFERENCES users(id)")]
    );

    let l = run(&c, PSQL_L, &[]);
    assert_eq!(l.col("Name"), vec![text("appdb")]);
    assert_eq!(l.col("Encoding"), vec![text("UTF8")]);
    let du = run(&c, PSQL_DU, &[]);
    assert_eq!(du.col("rolname"), vec![text("admin")]);
    assert_eq!(du.col("memberof"), vec![text("{}")]);
}

#[test]
fn asyncpg_type_introspection() {
    let c = db();
    let jit = run(&c, ASYNCPG_JIT, &[]);
    assert_eq!(jit.rows, vec![vec![text("off"), text("off")]]);
    let info = run(&c, ASYNCPG_TYPEINFO, &[text("{1007}")]);
    assert_eq!(info.col("name"), vec![text("int4"), text("_int4")]);
    assert_eq!(info.col("elemtype_name")[1], text("integer"));
}

#[test]
fn information_schema_views() {
    let c = sqlalchemy_db();
    let t = run(
        &c,
        "SELECT table_name, table_type FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
        &[],
    );
    assert_eq!(t.col("table_name"), vec![text("posts"), text("users")]);
    let cols = run(
        &c,
        "SELECT column_name, data_type, character_maximum_length, is_nullable \
         FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
        &[text("users")],
    );
    assert_eq!(cols.col("data_type")[1], text("character varying"));
    assert_eq!(cols.col("character_maximum_length")[1], Value::Integer(50));
    assert_eq!(cols.col("is_nullable")[2], text("YES"));
    let k = run(
        &c,
        "SELECT tc.constraint_type, kcu.column_name FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name \
         WHERE tc.table_name = 'posts' ORDER BY 1",
        &[],
    );
    assert_eq!(
        k.rows,
        vec![
            vec![text("FOREIGN KEY"), text("user_id")],
            vec![text("PRIMARY KEY"), text("id")]
        ]
    );
}

fn one(sql: &str) -> PgStatement {
    let t = pg(sql).expect("translates");
    assert_eq!(t.statements.len(), 1, "{sql}");
    t.statements[0].clone()
}

#[test]
fn untouched_statements_keep_their_text() {
    let s = one("select a, b from t where c = 'x' order by a limit 10");
    assert_eq!(
        s.sql,
        "select a, b from t where c = 'x' order by a limit 10"
    );
    assert_eq!(s.verb, "SELECT");
    assert!(s.translated);
}

#[test]
fn parameters_casts_and_hints() {
    let s = one("SELECT * FROM t WHERE a = $2::INTEGER AND b = $1 AND c = $2");
    assert_eq!(s.param_count, 2);
    assert_eq!(s.param_types, vec![None, Some(23)]);
    assert!(
        s.sql.contains("pg_int4(?2)") && s.sql.contains("b = ?1"),
        "{}",
        s.sql
    );
    let s = one("SELECT x::text, count(*), 1 = 1, '1'::boolean FROM t GROUP BY x");
    assert_eq!(s.column_types, vec![Some(25), Some(20), Some(16), Some(16)]);
    let c = db();
    let r = run(
        &c,
        "SELECT 't'::boolean, 'off'::bool, '42'::int, 3::text, now()::date",
        &[],
    );
    assert_eq!(r.names, vec!["bool", "bool", "int4", "text", "now"]);
    assert_eq!(
        &r.rows[0][..4],
        &[
            Value::Integer(1),
            Value::Integer(0),
            Value::Integer(42),
            text("3")
        ]
    );
}

#[test]
fn checked_division_casts_and_select_list_series() {
    let s = one("SELECT a / b, a % 2, 1.0 / (a + 1) FROM t");
    assert!(s.sql.contains("a / pg_divisor(b, a)"), "{}", s.sql);
    assert!(s.sql.contains("a % 2"), "{}", s.sql);
    assert!(
        s.sql.contains("1.0 / pg_divisor((a + 1), 1.0)"),
        "{}",
        s.sql
    );
    let c = db();
    let err = |sql: &str| {
        let t = pg(sql).expect("translates");
        let e = c
            .query_row(&t.statements[0].sql, [], |r| r.get::<_, Value>(0))
            .expect_err(sql);
        crate::sqlite::SqliteError::from(e).sqlstate()
    };
    assert_eq!(err("SELECT 1/0"), "22012");
    assert_eq!(err("SELECT 'abc'::int"), "22P02");
    assert_eq!(err("SELECT CAST('1e3' AS bigint)"), "22P02");
    assert_eq!(err("SELECT 70000::int2"), "22003");
    assert_eq!(err("SELECT 'soon'::date"), "22007");
    let r = run(&c, "SELECT generate_series(1, 3) AS n, 'x' AS k", &[]);
    assert_eq!(r.col("n"), [1, 2, 3].map(Value::Integer));
    assert_eq!(one("SELECT generate_series(1, 3)").column_types, [Some(23)]);
    assert_eq!(
        one("SELECT now(), current_timestamp").column_types,
        [Some(1184), Some(1184)]
    );
    let r = run(&c, "SELECT NULL / 0 AS q", &[]);
    assert_eq!(r.rows[0][0], Value::Null);
}

#[test]
fn any_all_regex_and_strings() {
    let c = db();
    run(
        &c,
        "CREATE TABLE t (id SERIAL PRIMARY KEY, n INT, s TEXT)",
        &[],
    );
    run(
        &c,
        "INSERT INTO t (n, s) VALUES (1, 'Apple'), (2, 'banana'), (3, E'c\\'d')",
        &[],
    );
    let q = |sql: &str, p: &[Value]| run(&c, sql, p).col("n");
    let ints = |v: &[i64]| v.iter().map(|i| Value::Integer(*i)).collect::<Vec<_>>();
    assert_eq!(
        q("SELECT n FROM t WHERE n = ANY(ARRAY[1, 3]) ORDER BY n", &[]),
        ints(&[1, 3])
    );
    assert_eq!(
        q(
            "SELECT n FROM t WHERE n = ANY($1::int[]) ORDER BY n",
            &[text("{2,3}")]
        ),
        ints(&[2, 3])
    );
    assert_eq!(
        q(
            "SELECT n FROM t WHERE n <> ALL($1) ORDER BY n",
            &[text("{2,3}")]
        ),
        ints(&[1])
    );
    assert_eq!(
        q("SELECT n FROM t WHERE n > ANY('{1,2}') ORDER BY n", &[]),
        ints(&[2, 3])
    );
    assert_eq!(
        q("SELECT n FROM t WHERE s ~ '^[ab]' ORDER BY n", &[]),
        ints(&[2])
    );
    assert_eq!(
        q("SELECT n FROM t WHERE s ~* '^[ab]' ORDER BY n", &[]),
        ints(&[1, 2])
    );
    assert_eq!(
        q("SELECT n FROM t WHERE s !~ 'an' ORDER BY n", &[]),
        ints(&[1, 3])
    );
    assert_eq!(q("SELECT n FROM t WHERE s ILIKE 'APP%'", &[]), ints(&[1]));
    assert_eq!(q("SELECT n FROM t WHERE s = E'c\\'d'", &[]), ints(&[3]));
    assert_eq!(q("SELECT n FROM t WHERE s = $$banana$$", &[]), ints(&[2]));
    assert_eq!(
        q(
            "SELECT n FROM t WHERE n IN (SELECT unnest('{1,2}'::int[])) FOR UPDATE",
            &[]
        ),
        ints(&[1, 2])
    );
    let r = run(
        &c,
        "SELECT current_user, session_user, current_database(), ARRAY[1, 2], (ARRAY['a','b'])[2]",
        &[],
    );
    assert_eq!(
        r.rows[0],
        vec![
            text("admin"),
            text("admin"),
            text("appdb"),
            text("{1,2}"),
            text("b")
        ]
    );
    assert_eq!(
        r.names[..3],
        ["current_user", "session_user", "current_database"]
    );
}

#[test]
fn ddl_types_defaults_and_verbs() {
    let c = db();
    let s = one(
        "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, code VARCHAR(10) NOT NULL DEFAULT 'x'::character varying, \
         tags TEXT[], n INT GENERATED BY DEFAULT AS IDENTITY, at TIMESTAMP DEFAULT now(), \
         u UUID DEFAULT gen_random_uuid(), flag BOOLEAN DEFAULT true)",
    );
    assert_eq!(s.verb, "CREATE TABLE");
    assert!(s.sql.contains("id INTEGER PRIMARY KEY"), "{}", s.sql);
    assert!(s.sql.contains("tags _TEXT"), "{}", s.sql);
    assert!(s.sql.contains("DEFAULT CURRENT_TIMESTAMP"), "{}", s.sql);
    run(&c, &s.original, &[]);
    run(&c, "INSERT INTO items (code) VALUES ('a')", &[]);
    let r = run(
        &c,
        "SELECT id, code, at IS NOT NULL AS has_at, length(u) FROM items",
        &[],
    );
    assert_eq!(
        r.rows[0][..3],
        [Value::Integer(1), text("a"), Value::Integer(1)]
    );
    assert_eq!(r.rows[0][3], Value::Integer(36));
    assert_eq!(
        one("CREATE UNIQUE INDEX CONCURRENTLY ix ON public.items USING btree (code)").sql,
        "CREATE UNIQUE INDEX ix ON items(code)"
    );
    assert_eq!(one("DROP TABLE items CASCADE").sql, "DROP TABLE items");
    let t = one("TRUNCATE items");
    assert_eq!(
        (t.verb.as_str(), t.sql.as_str()),
        ("TRUNCATE TABLE", "DELETE FROM items")
    );
    assert_eq!(
        one("WITH x AS (SELECT 1) INSERT INTO items (code) SELECT 'b' FROM x").verb,
        "INSERT"
    );
    assert_eq!(
        one("CREATE TEMP TRIGGER tr AFTER INSERT ON items BEGIN SELECT 1; END").verb,
        "CREATE TRIGGER"
    );
}

#[test]
fn transactions_locals_and_passthrough() {
    let t = pg("BEGIN; SET LOCAL x = 1; SAVEPOINT a; ROLLBACK TO SAVEPOINT a; COMMIT; LISTEN ch; DISCARD ALL")
        .expect("translates");
    let tx: Vec<_> = t.statements.iter().map(|s| s.tx.clone()).collect();
    assert_eq!(tx[0], Some(TxControl::Begin { read_only: false }));
    assert_eq!(tx[2], Some(TxControl::Savepoint("a".into())));
    assert_eq!(tx[3], Some(TxControl::RollbackTo("a".into())));
    assert_eq!(tx[4], Some(TxControl::Commit));
    assert_eq!(t.statements[5].local, Some(Local::Unsupported("LISTEN")));
    assert_eq!(t.statements[6].local, Some(Local::Discard("all".into())));
    assert_eq!(
        one("COPY t FROM STDIN").local,
        Some(Local::Unsupported("COPY"))
    );
    let p = one("SELECT * FROM t INDEXED BY ix WHERE a = $2 AND b = '$1'");
    assert!(!p.translated);
    assert_eq!(
        p.sql,
        "SELECT * FROM t INDEXED BY ix WHERE a = ?2 AND b = '$1'"
    );
    assert_eq!((p.param_count, p.verb.as_str()), (2, "SELECT"));
    assert!(pg("").expect("empty").statements.is_empty());
    assert_eq!(pg("SELECT '\0'"), Err(TranslateError::NulByte));
}

#[test]
fn install_is_repeatable() {
    let c = db();
    install(
        &c,
        &InstallContext {
            database: "appdb".into(),
            user: "admin".into(),
        },
    )
    .expect("second install");
    let n = run(
        &c,
        "SELECT count(*) FROM pg_type WHERE typname = 'int4'",
        &[],
    );
    assert_eq!(n.rows, vec![vec![Value::Integer(1)]]);
}

/// Found by `fuzz/fuzz_targets/sql_translate.rs`: `$66666` made a 66666-entry `param_types`, and
/// `$4000000000` would have allocated 32 GB. Parameters above `MAX_PARAMS` are not counted; the
/// text still says `?n`, which SQLite refuses when preparing.
#[test]
fn huge_parameter_numbers_are_not_counted() {
    let crash = b"66$66666\0\0\0\0\0\0\0\0\0\0\0\x006$$$\xb9$~6\0";
    for s in translate(&String::from_utf8_lossy(crash)).statements {
        assert!(s.param_count <= MAX_PARAMS, "{}", s.param_count);
    }
    for sql in [
        "SELECT $4000000000",
        "SELECT $4000000000::int4",
        "SELECT $99999999999999999999",
        "SELEC $4000000000",
        "SELECT $1, $65536",
    ] {
        let s = one(sql);
        assert!(s.param_count <= 1, "{sql}: {}", s.param_count);
        assert_eq!(s.param_types.len(), s.param_count, "{sql}");
    }
    assert_eq!(one("SELECT $65535::int4").param_count, MAX_PARAMS);
    assert!(
        one("SELECT $4000000000")
            .sql
            .starts_with("SELECT ?4000000000")
    );
}

//! Client SQL through the embedded SQLite backend's two dialect translators.
//!
//! Input: arbitrary bytes, used as the query text. The MySQL rewriter
//! (`mysql::sqlite::dialect::translate`) gets the raw bytes in both modes (COM_QUERY and
//! COM_STMT_PREPARE); the PostgreSQL translator (`sqlite::translate::pg`) and its statement
//! splitter get the bytes converted to UTF-8 lossily (so valid UTF-8 passes unchanged).
//!
//! Invariants: no panic, hang or runaway allocation; both translators are deterministic and
//! their caches are pure memoisation (cached and uncached results are equal); PostgreSQL: a NUL
//! byte is refused and nothing else is, the split statements are non-empty, trimmed, in order
//! and non-overlapping slices of the text and are exactly the translation's `original`s, every
//! statement has `param_types.len() == param_count <= 65535` (the protocol's limit) and no SQL
//! when the proxy answers it itself; MySQL: a statement has no more parameters than the text has
//! `?` characters, and none in COM_QUERY mode.
#![no_main]

use articdbm_proxy::fuzzing::{pg_split, pg_uncached};
use articdbm_proxy::mysql::sqlite::dialect::{self, Mode, Translator};
use articdbm_proxy::sqlite::translate::{TranslateError, pg};
use libfuzzer_sys::fuzz_target;

/// Most parameters a PostgreSQL statement can have (Parse/Bind count them in an Int16).
const PG_MAX_PARAMS: usize = 65535;

fuzz_target!(|data: &[u8]| {
    mysql(data);
    postgres(&String::from_utf8_lossy(data));
});

fn mysql(src: &[u8]) {
    let marks = src.iter().filter(|&&b| b == b'?').count();
    let mut cached = Translator::default();
    for mode in [Mode::Query, Mode::Prepare] {
        let t = dialect::translate(src, mode);
        assert_eq!(
            t,
            dialect::translate(src, mode),
            "MySQL translation not deterministic"
        );
        assert_eq!(
            *cached.translate(src, mode),
            t,
            "MySQL cache changed the translation"
        );
        assert_eq!(
            *cached.translate(src, mode),
            t,
            "MySQL cache hit changed the translation"
        );
        if let Ok(statements) = &t {
            for s in statements {
                assert!(
                    s.params <= marks,
                    "{} parameters from {marks} '?'",
                    s.params
                );
                if mode == Mode::Query {
                    assert!(
                        s.command.is_err() || s.params == 0,
                        "COM_QUERY with parameters"
                    );
                }
            }
        }
    }
}

fn postgres(sql: &str) {
    let pieces = pg_split(sql);
    let base = sql.as_ptr() as usize;
    let mut end = 0;
    for p in &pieces {
        assert!(!p.is_empty(), "empty statement from the splitter");
        assert_eq!(*p, p.trim(), "untrimmed statement from the splitter");
        let at = p.as_ptr() as usize - base;
        assert!(
            at >= end && at + p.len() <= sql.len(),
            "statements overlap or out of order"
        );
        end = at + p.len();
    }

    let uncached = pg_uncached(sql);
    assert_eq!(
        uncached,
        pg_uncached(sql),
        "PG translation not deterministic"
    );
    match pg(sql) {
        Err(TranslateError::NulByte) => assert!(sql.contains('\0')),
        Ok(t) => {
            assert!(!sql.contains('\0'), "NUL byte accepted");
            assert_eq!(*t, uncached, "PG cache changed the translation");
        }
    }
    let originals: Vec<&str> = uncached
        .statements
        .iter()
        .map(|s| s.original.as_str())
        .collect();
    assert_eq!(originals, pieces, "statements are not the splitter's");
    for s in &uncached.statements {
        assert_eq!(s.param_types.len(), s.param_count, "param_types length");
        assert!(
            s.param_count <= PG_MAX_PARAMS,
            "{} parameters",
            s.param_count
        );
        if s.local.is_some() {
            assert!(s.sql.is_empty(), "SQL for a proxy-answered statement");
        }
    }
}

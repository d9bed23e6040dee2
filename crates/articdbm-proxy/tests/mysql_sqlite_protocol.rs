//! Protocol details of the SQLite backend's MySQL front end that drivers hide, checked with a
//! client built on the wire crate (its `ResponseTracker` verifies every reply is complete and
//! well-formed): result sets ended by EOF packets or, with `CLIENT_DEPRECATE_EOF`, by an OK
//! with header 0xFE; status flags (AUTOCOMMIT, IN_TRANS, MORE_RESULTS_EXISTS); COM_FIELD_LIST;
//! read-only cursors with COM_STMT_FETCH; COM_SET_OPTION; COM_STATISTICS; COM_PING; unknown
//! commands.

mod common;
mod mysql_sqlite_common;

use articdbm_wire_mysql::resultset::{ColumnDefinition41, ColumnFlags, ColumnType, StmtPrepareOk};
use articdbm_wire_mysql::{Capabilities, ServerStatus};
use common::mysql::NAT_PW;
use mysql_sqlite_common::wire::{BASE, WireClient, status_of};
use mysql_sqlite_common::{LITE, LiteMy};

async fn client(p: &LiteMy, extra: Capabilities) -> WireClient {
    WireClient::login(p.proxy.port, "nat", NAT_PW, LITE, BASE | extra).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eof_and_deprecate_eof_result_sets() {
    let p = LiteMy::start().await;
    for extra in [Capabilities::NONE, Capabilities::DEPRECATE_EOF] {
        let mut c = client(&p, extra | Capabilities::MULTI_STATEMENTS).await;
        let r = c
            .query("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, NULL")
            .await;
        // column count, 2 definitions, [EOF], 2 rows, EOF or OK(0xFE)
        let expected = if extra == Capabilities::NONE { 7 } else { 6 };
        assert_eq!(r.packets.len(), expected, "{extra:?}");
        let last = r.packets.last().expect("terminator");
        assert_eq!(last[0], 0xFE);
        if extra == Capabilities::NONE {
            assert_eq!(last.len(), 5, "a classic EOF packet");
        }
        let def = ColumnDefinition41::decode(&r.packets[1], c.caps).expect("definition");
        assert_eq!(&def.name[..], b"a");
        assert_eq!(def.column_type, ColumnType::LONGLONG);
        assert!(r.status().contains(ServerStatus::AUTOCOMMIT));
        // Two results: the first ends with MORE_RESULTS_EXISTS.
        let r = c.query("SELECT 1; SELECT 2").await;
        assert_eq!(r.tracker.results(), 2);
        let first_end = if extra == Capabilities::NONE { 4 } else { 3 };
        assert!(status_of(&r.packets[first_end], c.caps).more_results());
        assert!(!r.status().more_results());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_flags_follow_transactions() {
    let p = LiteMy::start().await;
    let mut c = client(&p, Capabilities::DEPRECATE_EOF).await;
    c.query("CREATE TABLE s (a INT)").await;
    let r = c.query("BEGIN").await;
    assert!(
        r.status()
            .contains(ServerStatus::IN_TRANS | ServerStatus::AUTOCOMMIT)
    );
    let r = c.query("INSERT INTO s VALUES (1)").await;
    assert!(r.status().in_transaction());
    assert_eq!(r.tracker.last_ok().0, 1, "affected rows");
    let r = c.query("COMMIT").await;
    assert!(!r.status().in_transaction());
    let r = c.query("SET autocommit = 0").await;
    assert!(!r.status().contains(ServerStatus::AUTOCOMMIT));
    let r = c.query("INSERT INTO s VALUES (2)").await;
    assert!(r.status().in_transaction(), "implicit transaction");
    let r = c.query("ROLLBACK").await;
    assert!(!r.status().in_transaction());
    let r = c.query("SELEC 1").await;
    assert_eq!(r.error().map(|e| e.0), Some(1064));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_list_cursors_and_small_commands() {
    let p = LiteMy::start().await;
    for extra in [Capabilities::NONE, Capabilities::DEPRECATE_EOF] {
        let mut c = client(&p, extra).await;
        c.query("DROP TABLE IF EXISTS f").await;
        c.query(
            "CREATE TABLE f (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(10) NOT NULL DEFAULT 'it''s')",
        )
        .await;
        c.query("INSERT INTO f (name) VALUES ('a'), ('b'), ('c'), ('d'), ('e')")
            .await;
        // COM_FIELD_LIST
        let r = c.command(b"\x04f\x00").await;
        assert_eq!(r.packets.len(), 3, "two definitions and the end");
        let id = ColumnDefinition41::decode(&r.packets[0], c.caps).expect("id");
        assert!(
            id.flags
                .contains(ColumnFlags::PRI_KEY | ColumnFlags::AUTO_INCREMENT)
        );
        let name = ColumnDefinition41::decode(&r.packets[1], c.caps).expect("name");
        assert!(name.flags.contains(ColumnFlags::NOT_NULL));
        assert_eq!(name.default_value.as_deref(), Some(&b"it's"[..]));
        let r = c.command(b"\x04nope\x00").await;
        assert_eq!(r.error().map(|e| e.0), Some(1146));
        // A cursor fetched two rows at a time.
        let mut prepare = vec![0x16];
        prepare.extend_from_slice(b"SELECT id, name FROM f WHERE id > ? ORDER BY id");
        let r = c.command(&prepare).await;
        let ok = StmtPrepareOk::decode(&r.packets[0]).expect("prepare ok");
        assert_eq!((ok.num_params, ok.num_columns), (1, 2));
        let mut execute = vec![0x17];
        execute.extend_from_slice(&ok.statement_id.to_le_bytes());
        execute.push(0x01); // CURSOR_TYPE_READ_ONLY
        execute.extend_from_slice(&1u32.to_le_bytes());
        execute.extend_from_slice(&[0x00, 0x01, ColumnType::LONGLONG.0, 0x00]);
        execute.extend_from_slice(&1i64.to_le_bytes());
        let r = c.command(&execute).await;
        assert!(
            r.status().contains(ServerStatus::CURSOR_EXISTS),
            "{extra:?}"
        );
        assert!(r.tracker.cursor_open());
        let mut fetched = 0;
        let mut fetch = vec![0x1C];
        fetch.extend_from_slice(&ok.statement_id.to_le_bytes());
        fetch.extend_from_slice(&2u32.to_le_bytes());
        loop {
            let r = c.command(&fetch).await;
            fetched += r.packets.len() - 1;
            if r.status().contains(ServerStatus::LAST_ROW_SENT) {
                break;
            }
            assert!(r.status().contains(ServerStatus::CURSOR_EXISTS));
            assert!(fetched < 10, "cursor never ends");
        }
        assert_eq!(fetched, 4, "ids 2..=5");
        let r = c.command(&fetch).await;
        assert_eq!(
            r.error().map(|e| e.0),
            Some(1421),
            "no cursor after the last row"
        );
        // COM_SET_OPTION: multi-statements on and off (an EOF reply).
        let r = c.command(&[0x1B, 0x00, 0x00]).await;
        assert_eq!(r.packets[0][0], 0xFE);
        let r = c.query("SELECT 1; SELECT 2").await;
        assert_eq!(r.tracker.results(), 2);
        c.command(&[0x1B, 0x01, 0x00]).await;
        let r = c.query("SELECT 1; SELECT 2").await;
        assert_eq!(r.error().map(|e| e.0), Some(1064));
        // COM_STATISTICS, COM_PING, an unknown command.
        let r = c.command(&[0x09]).await;
        assert!(String::from_utf8_lossy(&r.packets[0]).starts_with("Uptime: "));
        let r = c.command(&[0x0E]).await;
        assert_eq!(r.packets[0][0], 0x00);
        let r = c.command(&[0x05, b'x']).await;
        assert_eq!(r.error().map(|e| e.0), Some(1047));
        // Empty query.
        let r = c.query("  -- nothing\n").await;
        assert_eq!(r.error().map(|e| e.0), Some(1065));
    }
}

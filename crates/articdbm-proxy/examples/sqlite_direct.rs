//! The baseline of `bench/sqlite.sh`: the same SQLite file and the same statements as the
//! benchmark runs through the proxy, but from this local program with rusqlite (the library the
//! proxy embeds), one connection per client thread, WAL mode and a busy timeout like the proxy's.
//! The difference between its numbers and the proxy's is what serving SQLite over the network
//! costs.
//!
//! ```text
//! cargo run --release -p articdbm-proxy --example sqlite_direct -- FILE WORKLOAD CLIENTS SECONDS ROWS
//! ```
//! WORKLOAD is `select` (point select by random primary key among ROWS rows of `kv`) or `insert`
//! (single-row autocommit insert into `log`). Prints one line:
//! `workload=.. clients=.. ops=.. tps=.. lat_avg_ms=..`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    Select,
    Insert,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: sqlite_direct FILE select|insert CLIENTS SECONDS ROWS";
    let [_, file, workload, clients, seconds, rows] = args.as_slice() else {
        return Err(usage.into());
    };
    let file = PathBuf::from(file);
    let workload = match workload.as_str() {
        "select" => Workload::Select,
        "insert" => Workload::Insert,
        _ => return Err(usage.into()),
    };
    let clients: usize = clients.parse()?;
    let seconds: u64 = seconds.parse()?;
    let rows: i64 = rows.parse()?;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let file = file.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || run_client(&file, workload, rows, i as u64, &stop))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut ops = 0u64;
    let mut busy = Duration::ZERO;
    for w in workers {
        let (n, spent) = w.join().map_err(|_| "a client thread panicked")??;
        ops += n;
        busy += spent;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let lat_ms = if ops > 0 {
        busy.as_secs_f64() * 1000.0 / ops as f64
    } else {
        0.0
    };
    let name = if workload == Workload::Select {
        "select"
    } else {
        "insert"
    };
    println!(
        "workload={name} clients={clients} ops={ops} tps={:.1} lat_avg_ms={lat_ms:.4}",
        ops as f64 / elapsed
    );
    Ok(())
}

/// One client: its own connection, statements prepared once, run until `stop`.
fn run_client(
    file: &PathBuf,
    workload: Workload,
    rows: i64,
    seed: u64,
    stop: &AtomicBool,
) -> Result<(u64, Duration), rusqlite::Error> {
    let conn = Connection::open(file)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let mut select = conn.prepare("SELECT v FROM kv WHERE id = ?1")?;
    let mut insert = conn.prepare("INSERT INTO log (v) VALUES (?1)")?;
    // xorshift: a cheap, deterministic key sequence per client.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut ops = 0u64;
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        match workload {
            Workload::Select => {
                let id = (state % rows.max(1) as u64) as i64 + 1;
                let v: String = select.query_row(params![id], |r| r.get(0))?;
                std::hint::black_box(v);
            }
            Workload::Insert => {
                insert.execute(params!["x"])?;
            }
        }
        ops += 1;
    }
    Ok((ops, started.elapsed()))
}

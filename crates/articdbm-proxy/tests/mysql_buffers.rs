//! Memory a MySQL session keeps after large messages, measured with a counting global allocator
//! in front of an in-process proxy (the client is the mysql CLI, another process, so only the
//! proxy's memory is counted): after a 15 MiB query and a 15 MiB result, an idle session (and
//! its server, kept in session mode) must hold no more than a small buffer each, as the
//! PostgreSQL session does.
#![allow(unsafe_code)] // a counting global allocator needs `unsafe impl GlobalAlloc`

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use common::mysql::{MyDb, NAT_PW, mysql_toml, start};
use common::{Setup, within};

struct Counting;

/// Bytes allocated and not freed.
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A mysql CLI session fed statement by statement; each answer is one line.
struct Cli {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Cli {
    fn start(port: u16, db: &str) -> Cli {
        let mut child = Command::new("mysql")
            .args([
                "--protocol=TCP",
                "-h",
                "127.0.0.1",
                "-P",
                &port.to_string(),
                "-u",
                "nat",
                &format!("-p{NAT_PW}"),
                "--skip-ssl",
                "--batch",
                "--skip-column-names",
                "--unbuffered",
                "--max-allowed-packet=64M",
                "-D",
                db,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the mysql client (Debian package mariadb-client) runs");
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        Cli { child, out }
    }

    /// Runs `sql` and returns its one-line answer.
    fn ask(&mut self, sql: &str) -> String {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(sql.as_bytes()).expect("write");
        stdin.write_all(b";\n").expect("write");
        stdin.flush().expect("flush");
        let mut line = String::new();
        self.out.read_line(&mut line).expect("answer");
        line.trim().chars().take(64).collect()
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

async fn held_after_large_messages(mode: &'static str) -> isize {
    let db = MyDb::create().await;
    let p = start(Setup::new(mode).toml(&mysql_toml(&db))).await;
    let port = p.port;
    let name = db.name.clone();
    let (cli, baseline) = tokio::task::spawn_blocking(move || {
        let mut cli = Cli::start(port, &name);
        assert_eq!(cli.ask("SELECT 1"), "1");
        std::thread::sleep(Duration::from_millis(300));
        let baseline = LIVE.load(Ordering::Relaxed);
        let big = 15 << 20;
        let answer = cli.ask(&format!("SELECT LENGTH('{}')", "x".repeat(big)));
        assert_eq!(answer, big.to_string());
        let answer = cli.ask(&format!("SELECT REPEAT('y', {big})"));
        assert!(answer.starts_with("yyyy"), "{answer}");
        assert_eq!(cli.ask("SELECT 2"), "2");
        (cli, baseline)
    })
    .await
    .expect("cli");
    // The session is idle now; background resets (transaction mode) have time to finish.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = LIVE.load(Ordering::Relaxed) - baseline;
    within(20, tokio::task::spawn_blocking(move || drop(cli)))
        .await
        .expect("cli exit");
    held
}

/// Both modes run in one test: the allocator counts the whole process.
#[tokio::test]
async fn idle_session_sheds_buffers_of_large_messages() {
    for mode in ["session", "transaction"] {
        let held = held_after_large_messages(mode).await;
        assert!(
            held < 4 << 20,
            "{mode} mode: {:.1} MiB still held by an idle session after 15 MiB messages",
            held as f64 / f64::from(1 << 20)
        );
    }
}

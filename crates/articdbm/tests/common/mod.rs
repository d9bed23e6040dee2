//! Running the real `articdbm` binary in tests: a scratch directory per test, a proxy process
//! on ports the system chooses (`127.0.0.1:0`, read back from its banner), its standard output
//! and standard error collected as they come.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_articdbm"));
    // The machine's own settings must not leak into a test.
    for (name, _) in std::env::vars() {
        if name.starts_with("ARTICDBM_") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd
}

pub fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    bin()
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run articdbm")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the target's temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("articdbm-cli")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().expect("parent")).expect("mkdir");
    dir
}

/// A running `articdbm proxy`; killed on drop.
pub struct Running {
    pub child: Child,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let sink = Arc::new(Mutex::new(String::new()));
    let to = Arc::clone(&sink);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            to.lock().expect("lock").push_str(&line);
            line.clear();
        }
    });
    sink
}

impl Running {
    pub fn start(args: &[&str], envs: &[(&str, &str)]) -> Running {
        let mut child = bin()
            .arg("proxy")
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn articdbm proxy");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        let running = Running {
            child,
            stdout,
            stderr,
        };
        running.wait_for(|out, _| out.contains("  configuration: "), "the banner");
        running
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().expect("lock").clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// Waits (at most 20 s) until `ready(stdout, stderr)` holds.
    pub fn wait_for(&self, ready: impl Fn(&str, &str) -> bool, what: &str) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if ready(&self.stdout(), &self.stderr()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
    }

    /// The port of the PostgreSQL listener, from the banner.
    pub fn pg_port(&self) -> u16 {
        let out = self.stdout();
        let line = out
            .lines()
            .find(|l| l.contains("listening for PostgreSQL clients on"))
            .unwrap_or_else(|| panic!("no PostgreSQL listener in the banner:\n{out}"));
        line.rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no port in {line}"))
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `text` to `path` and returns the path as a string.
pub fn write(path: &Path, text: &str) -> String {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
    path.display().to_string()
}

//! Connections end: an idle socket is closed after `--idle-timeout-ms`, a kept-alive one
//! too, and a flood of idle sockets cannot lock a working client out, even at a descriptor
//! limit of 1,024.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server started through `sh -c 'ulimit -n LIMIT'`, with its address.
struct Limited {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Limited {
    fn start(descriptors: u32, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let binary = std::path::PathBuf::from(crate::common::binary());
        let db = dir.path().join("rustbelt.db");
        let script = format!("ulimit -n {descriptors} && exec \"$0\" \"$@\"");
        let mut child = Command::new("sh")
            .args(["-c".as_ref(), script.as_ref(), binary.as_os_str()])
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rustbelt");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
        let address = line.trim().strip_prefix("listening on http://").expect("address").to_string();
        Self { child, address, _dir: dir }
    }

    /// Sockets the server process holds open.
    fn sockets(&self) -> usize {
        let fds = Path::new("/proc").join(self.child.id().to_string()).join("fd");
        std::fs::read_dir(fds)
            .expect("the server's descriptors")
            .filter_map(Result::ok)
            .filter(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
            })
            .count()
    }
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET /healthz` on a fresh connection, with a time limit: its status line.
fn healthz(address: &str, within: Duration) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(within))?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer.lines().next().unwrap_or_default().to_string())
}

/// Waits until `done` holds, up to `limit`.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

#[test]
fn two_thousand_idle_sockets_at_a_limit_of_1024_descriptors_leave_healthz_answering() {
    // This test process needs room for its own 2,000 sockets.
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let wanted = limit.maximum.map_or(8_192, |max| max.min(8_192));
    assert!(wanted >= 2_100, "the hard descriptor limit ({wanted}) is too low for this test");
    rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit { current: Some(wanted), maximum: limit.maximum },
    )
    .expect("raise this test's descriptor limit");
    let server = Limited::start(1_024, &["--idle-timeout-ms", "3000"]);
    let address: std::net::SocketAddr = server.address.parse().expect("address");
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        // Connected and silent. The kernel completes a connection before the server accepts
        // it, so these count against the server as soon as it takes them.
        if let Ok(socket) = TcpStream::connect_timeout(&address, Duration::from_secs(2)) {
            idle.push(socket);
        }
    }
    assert!(idle.len() >= 1_900, "opened {} of 2,000", idle.len());
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let answer = healthz(&server.address, Duration::from_secs(5)).expect("healthz answers");
    assert_eq!(answer, "HTTP/1.1 200 OK", "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2), "answered at once: {:?}", started.elapsed());
    // The derived cap: the descriptor limit less 64 reserved and the 256 WebSockets
    // (`--max-sockets`' default); the listener is a socket too.
    let cap = 1_024 - 64 - 256;
    assert!(server.sockets() <= cap + 1, "the server keeps to its cap of {cap}: {}", server.sockets());
    // Silent sockets are closed once the idle timeout has passed.
    assert!(
        eventually(Duration::from_secs(10), || server.sockets() < 10),
        "idle sockets closed: {} still open",
        server.sockets()
    );
    drop(idle);
}

#[test]
fn a_kept_alive_connection_is_closed_when_it_idles_past_the_timeout() {
    let server = Limited::start(1_024, &["--idle-timeout-ms", "500"]);
    let mut stream = TcpStream::connect(&server.address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").expect("request");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut status = String::new();
    reader.read_line(&mut status).expect("status line");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    // The response's rest, then nothing: the server closes the kept-alive connection once it
    // has idled past its timeout, so the read ends (end of stream) instead of timing out.
    let started = Instant::now();
    let mut rest = Vec::new();
    let ended = reader.read_to_end(&mut rest);
    assert!(ended.is_ok(), "closed by the server, not timed out here: {ended:?}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(400) && waited < Duration::from_secs(3), "{waited:?}");
}

//! # provkit-hostile: the hostile-input catalogue harness
//!
//! Sits on top of the whole stack, as an outsider: it spawns the `provkit` binary
//! (`provkit sim`, crate provkit-cli) on a free loopback port and talks to its real HTTP
//! server over TCP — raw bytes ([`raw`]), a hand-driven session with full control over
//! every record ([`RawSession`]), and the well-formed client (`provkit-client`) that must still
//! work after every attack ([`Sim::healthy`]). The attacks themselves are in
//! `tests/catalogue.rs`.
//!
//! Test-only crate (`publish = false`); std throughout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use provkit_client::http::HttpTransport;
use provkit_client::{Client, Scheme, Secrets};
use provkit_security::rand_core::SeedableRng;
use provkit_security::{ClientSecurityConfig, ClientSession, Sec2Patch};
use rand_chacha::ChaCha20Rng;

/// The PoP of the sec1 simulator.
pub const POP: &str = "abcd1234";
/// The sec2 simulator's username and password.
pub const USERNAME: &str = "wifiprov";
pub const PASSWORD: &str = "abcd1234";
/// How long any single read may block before the device counts as hung.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Which security scheme a simulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Sec1,
    Sec2,
}

/// A running `provkit sim`; killed on drop.
pub struct Sim {
    child: Child,
    /// `host:port` of its HTTP server.
    pub addr: String,
    /// Its credential store directory.
    pub state: PathBuf,
    pub security: Security,
    /// Remove `state` on drop (false when the caller owns the directory).
    owns_state: bool,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.kill();
        if self.owns_state {
            let _ = std::fs::remove_dir_all(&self.state);
        }
    }
}

/// A fresh, unique directory under the system temp dir.
pub fn temp_dir(label: &str) -> Result<PathBuf, String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "provkit-hostile-{label}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// The `provkit` binary: next to the test executable's directory (`target/<profile>/`),
/// built into a private target directory if it is not there.
pub fn provkit_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("test executable has no target directory")?;
    let name = format!("provkit{}", std::env::consts::EXE_SUFFIX);
    let candidate = profile_dir.join(&name);
    if candidate.exists() {
        return Ok(candidate);
    }
    // A separate target dir: the outer `cargo test` may still hold the main one's lock.
    let private = profile_dir.join("hostile-bin");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "-p",
            "provkit-cli",
            "--bin",
            "provkit",
            "--target-dir",
        ])
        .arg(&private)
        .status()
        .map_err(|e| format!("building provkit: {e}"))?;
    if !status.success() {
        return Err(format!("building provkit failed: {status}"));
    }
    Ok(private.join("debug").join(name))
}

impl Sim {
    /// Starts a simulator on a free loopback port and waits until it listens.
    pub fn start(security: Security) -> Result<Self, String> {
        Self::start_with(security, &[])
    }

    /// [`Self::start`] with extra command-line arguments (e.g. `--handshake-budget off`).
    pub fn start_with(security: Security, extra: &[&str]) -> Result<Self, String> {
        let state = temp_dir("state")?;
        let mut sim = Self::spawn(security, &state, extra)?;
        sim.owns_state = true;
        Ok(sim)
    }

    /// The simulator's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user + system) the simulator process has used so far, from
    /// `/proc/<pid>/stat`; `None` where that does not exist (not Linux).
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        // Fields after the command name (which may contain spaces) start after the last ')'.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // The kernel's USER_HZ is 100 on every Linux architecture this runs on.
        Some(Duration::from_millis(ticks * 10))
    }

    /// Starts a simulator on `state` (kept on drop) with extra command-line arguments.
    pub fn spawn(security: Security, state: &Path, extra: &[&str]) -> Result<Self, String> {
        let state = state.to_path_buf();
        let mut cmd = Command::new(provkit_binary()?);
        cmd.args([
            "sim",
            "--http",
            "127.0.0.1:0",
            "--name",
            "PROV_HOSTILE",
            "--state",
        ])
        .arg(&state);
        match security {
            Security::Sec1 => cmd.args(["--security", "1", "--pop", POP]),
            Security::Sec2 => cmd.args([
                "--security",
                "2",
                "--username",
                USERNAME,
                "--password",
                PASSWORD,
            ]),
        };
        cmd.args(extra);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawning provkit sim: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut addr = None;
        for line in lines.by_ref() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(rest) = line.trim().strip_prefix("listening on http://") {
                addr = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
        // Keep draining so the sim never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = addr.ok_or("provkit sim did not print its address")?;
        Ok(Self {
            child,
            addr,
            state,
            security,
            owns_state: false,
        })
    }

    /// SIGKILL (on Unix `Child::kill` is SIGKILL) and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The secrets a well-formed client uses.
    pub fn secrets(&self) -> Secrets {
        match self.security {
            Security::Sec1 => Secrets {
                pop: Some(POP.as_bytes().to_vec()),
                ..Secrets::default()
            },
            Security::Sec2 => Secrets {
                username: Some(USERNAME.as_bytes().to_vec()),
                password: Some(PASSWORD.as_bytes().to_vec()),
                ..Secrets::default()
            },
        }
    }

    /// A well-formed `provkit-client` session.
    pub fn client(&self, seed: u64) -> Result<Client<HttpTransport>, String> {
        let mut client = Client::new(HttpTransport::new(&self.addr).with_timeout(IO_TIMEOUT));
        let expected = match self.security {
            Security::Sec1 => Scheme::Sec1,
            Security::Sec2 => Scheme::Sec2(Sec2Patch::Patch1),
        };
        match client.connect(&self.secrets(), None, &mut rng(seed)) {
            Ok(s) if s == expected => Ok(client),
            other => Err(format!("well-formed client could not connect: {other:?}")),
        }
    }

    /// The health check after every attack: the process lives, a fresh well-formed client
    /// establishes a session, reads the Wi-Fi status and gets scan results.
    pub fn healthy(&mut self, seed: u64) -> Result<(), String> {
        if !self.alive() {
            return Err("the simulator process died".into());
        }
        let mut client = self.client(seed)?;
        client
            .get_status()
            .map_err(|e| format!("GetStatus failed: {e:?}"))?;
        let aps = client
            .scan(&provkit_client::ScanPlan::HTTP, || {})
            .map_err(|e| format!("scan failed: {e:?}"))?;
        if aps.is_empty() {
            return Err("scan found no networks".into());
        }
        Ok(())
    }

    /// The client security configuration for [`RawSession`].
    pub fn client_config(&self) -> ClientSecurityConfig {
        match self.security {
            Security::Sec1 => ClientSecurityConfig::Sec1 {
                pop: Some(POP.as_bytes().to_vec()),
            },
            Security::Sec2 => ClientSecurityConfig::Sec2 {
                username: USERNAME.as_bytes().to_vec(),
                password: PASSWORD.as_bytes().to_vec(),
                patch: Sec2Patch::Patch1,
            },
        }
    }
}

/// A deterministic RNG for clients (tests only).
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// What the device did with one raw exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// An HTTP response: status, the Set-Cookie value, body.
    Response {
        status: u16,
        set_cookie: Option<String>,
        body: Vec<u8>,
    },
    /// The device closed the connection without answering.
    Closed,
    /// Nothing within the timeout (connection still open).
    Silent,
}

impl Reaction {
    /// The status code, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Response { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Reads one HTTP response from `reader`.
fn read_response(reader: &mut BufReader<TcpStream>) -> Reaction {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) => return Reaction::Closed,
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Reaction::Silent;
        }
        Err(_) => return Reaction::Closed,
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    let mut set_cookie = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return Reaction::Closed;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("set-cookie") {
                set_cookie = value.trim().split(';').next().map(str::to_string);
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return Reaction::Closed;
    }
    Reaction::Response {
        status,
        set_cookie,
        body,
    }
}

/// Sends `bytes` on a fresh connection (then half-closes it) and reads one response.
pub fn raw(addr: &str, bytes: &[u8]) -> Result<Reaction, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    // The server may close mid-write on an oversized request; that is a valid reaction.
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(Shutdown::Write);
    Ok(read_response(&mut BufReader::new(stream)))
}

/// Sends one complete request on a fresh connection and reads one response without
/// half-closing first (a server may rightly drop a half-closed connection unanswered).
pub fn raw_complete(addr: &str, bytes: &[u8]) -> Result<Reaction, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let _ = stream.write_all(bytes);
    Ok(read_response(&mut BufReader::new(stream)))
}

/// Builds a `POST` request with a correct Content-Length.
pub fn post(path: &str, cookie: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: text/plain\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = cookie {
        head.push_str(&format!("Cookie: {c}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A hand-driven client: one keep-alive connection, the cookie, and a `ClientSession` whose
/// records the attacks can replay, drop or reorder.
pub struct RawSession {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
    /// TCP connections opened so far (a device that closes the connection forces a new one).
    pub connects: u32,
    pub cookie: Option<String>,
    pub session: ClientSession,
    pub rng: ChaCha20Rng,
}

impl RawSession {
    pub fn new(addr: &str, config: ClientSecurityConfig, seed: u64) -> Self {
        Self {
            addr: addr.to_string(),
            conn: None,
            connects: 0,
            cookie: None,
            session: ClientSession::new(config),
            rng: rng(seed),
        }
    }

    /// POSTs `body` to `path` on the kept-alive connection (reconnecting if needed).
    pub fn send(&mut self, path: &str, body: &[u8]) -> Result<Reaction, String> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(&self.addr).map_err(|e| format!("connect: {e}"))?;
            stream
                .set_read_timeout(Some(IO_TIMEOUT))
                .map_err(|e| e.to_string())?;
            self.conn = Some(BufReader::new(stream));
            self.connects += 1;
        }
        let request = post(path, self.cookie.as_deref(), body);
        let conn = self.conn.as_mut().ok_or("no connection")?;
        if conn.get_mut().write_all(&request).is_err() {
            self.conn = None;
            return Ok(Reaction::Closed);
        }
        let reaction = read_response(conn);
        match &reaction {
            Reaction::Response { set_cookie, .. } => {
                if let Some(c) = set_cookie {
                    self.cookie = Some(c.clone());
                }
            }
            _ => self.conn = None,
        }
        Ok(reaction)
    }

    /// Runs the whole handshake; Ok once established.
    pub fn handshake(&mut self) -> Result<(), String> {
        let mut request = self
            .session
            .start(&mut self.rng)
            .map_err(|e| format!("start: {e}"))?;
        loop {
            let body = match self.send("/prov-session", &request)? {
                Reaction::Response {
                    status: 200, body, ..
                } => body,
                other => return Err(format!("handshake refused: {other:?}")),
            };
            match self
                .session
                .handle_response(&body, &mut self.rng)
                .map_err(|e| format!("handshake response: {e}"))?
            {
                Some(next) => request = next,
                None => return Ok(()),
            }
        }
    }

    /// Encrypts and sends one request; decrypts a 200 answer.
    pub fn request(&mut self, path: &str, plaintext: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let record = self
            .session
            .encrypt(plaintext)
            .map_err(|e| format!("encrypt: {e}"))?;
        match self.send(path, &record)? {
            Reaction::Response {
                status: 200, body, ..
            } => self
                .session
                .decrypt(&body)
                .map(Some)
                .map_err(|e| format!("decrypt: {e}")),
            _ => Ok(None),
        }
    }
}

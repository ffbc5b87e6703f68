//! The `provkit` binary as a user runs it: start-up errors are one clear sentence with a
//! non-zero exit, `gen-sec2` prints consistent hex and C arrays and refuses passwords some
//! Espressif client could never log in with, and `provision`/`scan` (the Rust client)
//! provision a running `provkit sim` (retrying a rejected sec2 proof in the other verifier
//! convention), which stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_provkit");

fn provkit(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run provkit")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[test]
fn unknown_flag_fails_and_names_it() {
    let out = provkit(&["sim", "--no-such-flag"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--no-such-flag"), "{}", stderr(&out));
}

#[test]
fn out_of_range_security_is_rejected() {
    let out = provkit(&["sim", "--security", "3"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--security"), "{}", stderr(&out));
}

#[test]
fn busy_port_is_one_sentence_and_a_failure() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = provkit(&["sim", "--security", "0", "--http", &addr]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[test]
fn unreadable_and_invalid_env_files_are_reported() {
    let out = provkit(&[
        "sim",
        "--env",
        "does/not/exist.toml",
        "--http",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read environment file does/not/exist.toml"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("env.toml");
    std::fs::write(&path, "[[ap]]\nssid = \"x\"\ncolour = \"blue\"\n").expect("write");
    let out = provkit(&[
        "sim",
        "--env",
        path.to_str().expect("utf8"),
        "--http",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("line 3") && err.contains("colour"), "{err}");
}

#[test]
fn cc32xx_personality_refuses_the_esp_only_transports() {
    for flag in ["--console", "--mdns"] {
        let port = free_port().to_string();
        let addr = format!("127.0.0.1:{port}");
        let out = provkit(&["sim", "--personality", "cc32xx", "--http", &addr, flag]);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        assert!(
            stderr(&out).contains(&format!(
                "{flag} is not supported with --personality cc32xx"
            )),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn gen_sec2_prints_matching_hex_and_c_arrays() {
    let out = provkit(&[
        "gen-sec2",
        "--username",
        "wifiprov",
        "--password",
        "abcd1234",
        "--salt-len",
        "20",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let hex_of = |label: &str| -> Vec<u8> {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in {text}"));
        let value = line.rsplit(' ').next().expect("value");
        hex::decode(value).expect("hex")
    };
    let salt = hex_of("salt (");
    let verifier = hex_of("verifier (");
    assert_eq!(salt.len(), 20);
    assert_eq!(verifier.len(), 384, "3072-bit group verifier");
    assert_ne!(salt[0], 0, "never a leading-zero salt");
    let array = |name: &str| -> Vec<u8> {
        let start = text.find(&format!("{name}[] = {{")).expect("array");
        let body = &text[start..];
        let body = &body[body.find('{').expect("{") + 1..body.find('}').expect("}")];
        body.split(',')
            .map(|b| u8::from_str_radix(b.trim().trim_start_matches("0x"), 16).expect("byte"))
            .collect()
    };
    assert_eq!(array("sec2_salt"), salt);
    assert_eq!(array("sec2_verifier"), verifier);
}

#[test]
fn ble_client_flags_are_checked_before_anything_runs() {
    let both = provkit(&[
        "provision",
        "--ssid",
        "x",
        "--ble",
        "hci-tcp:127.0.0.1:1",
        "--http",
        "127.0.0.1:2",
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );
    let name_without_ble = provkit(&["scan", "--name", "PROV_123"]);
    assert_eq!(name_without_ble.status.code(), Some(2));
    assert!(
        stderr(&name_without_ble).contains("--ble <CONTROLLER>"),
        "{}",
        stderr(&name_without_ble)
    );
    let bad_controller = provkit(&["scan", "--ble", "tcp:127.0.0.1:1"]);
    assert_eq!(bad_controller.status.code(), Some(2));
    assert!(
        stderr(&bad_controller).contains("expected hci-tcp:HOST:PORT or hci-uart:PATH[@BAUD]"),
        "{}",
        stderr(&bad_controller)
    );
    let bad_mtu = provkit(&["scan", "--ble", "hci-tcp:127.0.0.1:1", "--ble-mtu", "100"]);
    assert_eq!(bad_mtu.status.code(), Some(2));
}

#[test]
fn an_unreachable_ble_controller_is_one_sentence_and_a_failure() {
    let controller = format!("hci-tcp:127.0.0.1:{}", free_port());
    let out = provkit(&["provision", "--ble", &controller, "--ssid", "HomeNet"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!(
            "provkit: cannot reach the HCI controller {controller}: "
        )),
        "{err}"
    );
    assert_eq!(err.matches("provkit:").count(), 1, "{err}");
}

#[test]
fn a_ble_controller_that_does_not_speak_hci_is_reported_in_seconds() {
    // Accepts the connection and never answers, like a wrong port would.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let holder = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        std::thread::sleep(Duration::from_secs(10));
        drop(stream);
    });
    let started = Instant::now();
    let controller = format!("hci-tcp:127.0.0.1:{port}");
    let out = provkit(&["scan", "--ble", &controller]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "the HCI controller {controller} does not answer HCI commands"
        )),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    drop(holder);
}

/// `SHA-512("harbormaster:Tr0ub4dor&3-818")` starts with a zero byte: esp_prov derives a
/// different verifier than ESP-IDF and the phone apps.
const SPLIT_PASSWORD: &str = "Tr0ub4dor&3-818";

#[test]
fn gen_sec2_refuses_a_password_that_locks_clients_out() {
    let run_with = |password: &str, extra: &[&str]| {
        let mut args = vec![
            "gen-sec2",
            "--username",
            "harbormaster",
            "--password",
            password,
        ];
        args.extend_from_slice(extra);
        provkit(&args)
    };
    let run = |extra: &[&str]| run_with(SPLIT_PASSWORD, extra);
    // Default (ESP-IDF's convention): esp_prov would be locked out.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("esp_prov could never log in")
            && err.contains("choose another password")
            && err.contains("--force"),
        "{err}"
    );
    assert!(!err.contains("Android"), "{err}");
    assert!(out.stdout.is_empty());
    // esp_prov's convention: the phone apps would be.
    let out = run(&["--convention", "esp-prov"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("the Android provisioning app and the iOS provisioning app"),
        "{err}"
    );
    // Forced: made, with a warning naming who cannot log in.
    let out = run(&["--convention", "esp-prov", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning") && stderr(&out).contains("iOS"),
        "{}",
        stderr(&out)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("convention: esp-prov"), "{text}");
    let hex_line = |label: &str| {
        let line = text.lines().find(|l| l.starts_with(label)).expect(label);
        hex::decode(line.rsplit(' ').next().expect("value")).expect("hex")
    };
    let salt = hex_line("salt (");
    assert_eq!(
        hex_line("verifier ("),
        provkit_sim::provkit_security::sec2::verifier_for_salt(
            b"harbormaster",
            SPLIT_PASSWORD.as_bytes(),
            &salt,
            provkit_sim::provkit_security::VerifierConvention::EspProv,
        )
        .expect("verifier")
    );
    // A password without the leading zero is made silently in either convention.
    for convention in ["esp-idf", "esp-prov"] {
        let out = run_with("Tr0ub4dor&3-north", &["--convention", convention]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stderr(&out).contains("warning"));
    }
}

/// A sim holding esp_prov's verifier for a password the conventions split on: `provkit
/// provision` is rejected in ESP-IDF's convention, retries once in esp_prov's and says so.
#[test]
fn provision_retries_in_the_other_convention_and_says_so() {
    let sim = start_sim(&[
        "--username",
        "harbormaster",
        "--password",
        SPLIT_PASSWORD,
        "--sec2-convention",
        "esp-prov",
        "--sec2-force",
    ]);
    let client = |command: &str, extra: &[&str]| {
        let mut args = vec![
            command,
            "--http",
            &sim.addr,
            "--username",
            "harbormaster",
            "--password",
            SPLIT_PASSWORD,
        ];
        if command == "provision" {
            args.extend(["--ssid", "HomeNet", "--passphrase", "correct horse"]);
        }
        args.extend_from_slice(extra);
        provkit(&args)
    };
    let out = client("provision", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("did not accept the security 2 proof in the esp-idf convention")
            && err.contains("retried once in the esp-prov convention")
            && err.contains("accepted"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("connected to \"HomeNet\""));
    // (The device is provisioned now; `scan` runs the same handshake.) Told the convention,
    // no retry is needed; without the retry the first try's failure stands.
    let out = client("scan", &["--sec2-convention", "esp-prov"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("retried"), "{}", stderr(&out));
    let out = client("scan", &["--no-sec2-retry"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("establishing the session"),
        "{}",
        stderr(&out)
    );
}

/// The sim refuses the same password unless forced.
#[test]
fn sim_refuses_a_password_that_locks_clients_out() {
    let out = provkit(&[
        "sim",
        "--http",
        "127.0.0.1:0",
        "--username",
        "harbormaster",
        "--password",
        SPLIT_PASSWORD,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("esp_prov could never log in") && err.contains("--sec2-force"),
        "{err}"
    );
}

/// A `provkit sim` child, killed on drop.
struct Sim {
    child: Child,
    addr: String,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim(args: &[&str]) -> Sim {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(BIN)
        .args(["sim", "--json", "--http", &addr])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sim");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "sim never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sim { child, addr, lines }
}

/// Event lines until one contains `needle` (included) or 5 s passed: the sim prints events
/// on its next tick, after the client that caused them may already have exited.
fn lines_until(sim: &Sim, needle: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut lines = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match sim.lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(needle);
                lines.push(line);
                if found {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    lines
}

#[test]
fn provision_and_scan_against_a_running_sim() {
    let sim = start_sim(&["--security", "1", "--pop", "s3cret"]);
    let first = sim
        .lines
        .recv_timeout(Duration::from_secs(5))
        .expect("banner line");
    let banner: serde_json::Value = serde_json::from_str(&first).expect("json banner");
    assert_eq!(banner["event"], "listening");
    assert_eq!(banner["qr"]["pop"], "s3cret");
    assert_eq!(banner["qr"]["security"], 1);

    let scan = provkit(&["scan", "--http", &sim.addr, "--pop", "s3cret"]);
    assert!(scan.status.success(), "{}", stderr(&scan));
    let listing = String::from_utf8_lossy(&scan.stdout).into_owned();
    let home = listing.find("HomeNet").expect("HomeNet listed");
    let coffee = listing.find("CoffeeShop").expect("CoffeeShop listed");
    assert!(home < coffee, "rssi order:\n{listing}");
    assert!(
        !listing.contains("HiddenLab"),
        "hidden AP listed:\n{listing}"
    );

    let wrong = provkit(&[
        "provision",
        "--http",
        &sim.addr,
        "--security",
        "1",
        "--pop",
        "s3cret",
        "--ssid",
        "HomeNet",
        "--passphrase",
        "not it at all",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("AuthError"), "{}", stderr(&wrong));

    let bad_pop = provkit(&[
        "provision",
        "--http",
        &sim.addr,
        "--pop",
        "nope",
        "--ssid",
        "HomeNet",
        "--passphrase",
        "correct horse",
    ]);
    assert_eq!(bad_pop.status.code(), Some(1));
    assert!(
        stderr(&bad_pop).contains("establishing the session"),
        "{}",
        stderr(&bad_pop)
    );

    // The manager accepts new credentials after a failure in the same session window.
    let ok = provkit(&[
        "provision",
        "--http",
        &sim.addr,
        "--pop",
        "s3cret",
        "--ssid",
        "HomeNet",
        "--passphrase",
        "correct horse",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("connected to \"HomeNet\""));
    let events = lines_until(&sim, "\"cred_success\"");
    assert!(
        events
            .iter()
            .any(|l| l.contains("\"cred_fail\"") && l.contains("auth_failed")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|l| l.contains("\"cred_success\"")),
        "{events:?}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_sim_cleanly() {
    let mut sim = start_sim(&["--security", "0"]);
    let status = Command::new("kill")
        .args(["-INT", &sim.child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = sim.child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "sim did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn console_transport_answers_on_stdout_while_events_go_to_stderr() {
    use std::io::Write;
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(BIN)
        .args(["sim", "--console", "--security", "0", "--http", &addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sim");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"proto-ver 0 2d2d2d\r\nno-such-endpoint 0 00\r\n")
        .expect("write");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The first line that is pure hex is the proto-ver answer.
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("a console answer");
        let line = line.trim().to_string();
        if !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            break line;
        }
    };
    let json: serde_json::Value =
        serde_json::from_slice(&hex::decode(&answer).expect("hex")).expect("proto-ver json");
    assert_eq!(json["prov"]["sec_ver"], 0);
    assert!(
        json["prov"]["cap"]
            .as_array()
            .expect("cap")
            .iter()
            .any(|c| c == "no_sec")
    );
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
}

/// One request to the TI HTTP API over a fresh TCP connection (the NWP closes after each
/// reply); returns (status code, body).
fn ti_request(addr: &str, method: &str, path: &str, form: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).expect("connect to the TI HTTP API");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: mysimplelink.net\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).expect("send request");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read reply");
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {reply:?}"));
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn cc32xx_sim_is_provisioned_over_tis_http_api() {
    let sim = start_sim(&["--personality", "cc32xx"]);
    let first = sim
        .lines
        .recv_timeout(Duration::from_secs(5))
        .expect("banner line");
    let banner: serde_json::Value = serde_json::from_str(&first).expect("json banner");
    assert_eq!(banner["event"], "listening");
    assert_eq!(banner["personality"], "cc32xx");
    assert_eq!(banner["addr"], sim.addr.as_str());

    assert_eq!(
        ti_request(&sim.addr, "GET", "/param_product_version.txt", ""),
        (200, "R2.0".to_string())
    );
    // Provisioning starts by itself 2 s after boot: profile_add is refused (403) until then.
    let form = "__SL_P_P.A=HomeNet&__SL_P_P.B=3&__SL_P_P.C=correct+horse&__SL_P_P.D=0";
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = ti_request(&sim.addr, "POST", "/api/1/wlan/profile_add", form);
        if status == 200 {
            break;
        }
        assert_eq!(status, 403, "profile_add before provisioning: {body}");
        assert!(Instant::now() < deadline, "provisioning never auto-started");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, body) = ti_request(&sim.addr, "POST", "/api/1/wlan/confirm_req", "");
    assert_eq!(status, 200, "confirm_req: {body}");
    // The phone polls the confirmation result until the NWP reports success (5).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, digit) = ti_request(&sim.addr, "GET", "/__SL_G_MCR", "");
        assert_eq!(status, 200, "{digit}");
        let value: u8 = digit.parse().expect("a result digit");
        assert!(value <= 5, "{digit}");
        if value == 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "confirmation never succeeded (last {digit})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let events: Vec<serde_json::Value> = lines_until(&sim, "\"name\":\"stopped\"")
        .iter()
        .map(|line| serde_json::from_str(line).expect("JSON event line"))
        .collect();
    let position = |name: &str| {
        events
            .iter()
            .position(|e| e["event"] == "provisioning_status" && e["name"] == name)
    };
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "profile_added" && e["ssid"] == "HomeNet"),
        "{events:?}"
    );
    let success = position("success").expect("a success status event");
    let stopped = position("stopped").expect("a stopped status event");
    assert!(success < stopped, "{events:?}");
    assert_eq!(events[stopped]["ssid"], "HomeNet", "{events:?}");
}

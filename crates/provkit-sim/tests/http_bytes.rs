//! The simulated device's HTTP answers, byte for byte as an ESP-IDF device sends them
//! (esp_http_server's `httpd_resp_send` layout, protocomm_httpd's cookie; the facts are listed
//! in `crates/provkit-http/tests/esp_http_server_bytes.rs`): 200 with and without
//! `Set-Cookie`, 404 and 405 (each followed by the close esp_http_server does), and the
//! silent close of a failed request.

use provkit_sim::device::{DeviceOptions, SimDevice};
use provkit_sim::env::RadioEnv;
use provkit_sim::http::HttpServer;
use provkit_sim::provkit_security::DeviceSecurityConfig;
use provkit_sim::station::SimClock;
use provkit_sim::store::FileStore;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ENV: &str = r#"
[[ap]]
ssid = "HomeNet"
passphrase = "correct horse"
auth = "wpa2-psk"
channel = 6
rssi = -48
bssid = "24:0a:c4:00:00:01"
"#;

fn start(dir: &std::path::Path) -> SocketAddr {
    let store = FileStore::open(dir).expect("store");
    let env = RadioEnv::from_toml(ENV).expect("env");
    let device = SimDevice::new(
        DeviceOptions::esp(DeviceSecurityConfig::Sec0, "PROV_BYTES"),
        env,
        store,
        SimClock::wall(),
        Some([9; 32]),
    )
    .expect("device");
    let device = Arc::new(Mutex::new(device));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = HttpServer::bind("127.0.0.1:0".parse().expect("addr"))
                .await
                .expect("bind");
            tx.send(server.local_addr().expect("addr")).expect("send");
            server
                .serve(device, std::future::pending())
                .await
                .expect("serve");
        });
    });
    rx.recv().expect("address")
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

fn request(method: &str, path: &str, cookie: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-type: application/x-www-form-urlencoded\r\nAccept: text/plain\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = cookie {
        head.push_str(&format!("Cookie: {c}\r\n"));
    }
    head.push_str("\r\n");
    [head.into_bytes(), body.to_vec()].concat()
}

/// Reads exactly `n` bytes.
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).expect("response bytes");
    buf
}

fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    rest
}

#[test]
fn every_response_kind_matches_esp_idf_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = start(dir.path());
    let mut s = connect(addr);

    // 200 with Set-Cookie: the first request of a session.
    s.write_all(&request("POST", "/proto-ver", None, b"---"))
        .expect("write");
    let prefix = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ";
    let got = read_n(&mut s, prefix.len());
    assert_eq!(got, prefix);
    let mut rest = Vec::new();
    while !rest.ends_with(b"\r\n\r\n") {
        rest.extend(read_n(&mut s, 1));
    }
    let text = String::from_utf8(rest).expect("ascii head");
    let (length, cookie_line) = text.split_once("\r\n").expect("two lines");
    let length: usize = length.parse().expect("length");
    let cookie = cookie_line
        .strip_prefix("Set-Cookie: ")
        .and_then(|c| c.strip_suffix("\r\n\r\n"))
        .expect("Set-Cookie line, nothing else");
    let id: u32 = cookie
        .strip_prefix("session=")
        .expect("session=")
        .parse()
        .expect("u32 session id, no attributes");
    let body = read_n(&mut s, length);
    assert!(body.starts_with(b"{"), "{body:?}");

    // 200 without Set-Cookie: the same session, by cookie.
    s.write_all(&request("POST", "/proto-ver", Some(cookie), b"---"))
        .expect("write");
    let want = [
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {length}\r\n\r\n")
            .into_bytes(),
        body.clone(),
    ]
    .concat();
    assert_eq!(read_n(&mut s, want.len()), want);

    // 404, then esp_http_server closes the socket.
    s.write_all(&request("POST", "/prov-nothing", Some(cookie), b"x"))
        .expect("write");
    assert_eq!(
        read_to_close(&mut s),
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 29\r\n\r\nNothing matches the given URI"
    );

    // 405 on a protocomm endpoint, then the close.
    let mut s = connect(addr);
    s.write_all(b"GET /proto-ver HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n")
        .expect("write");
    assert_eq!(
        read_to_close(&mut s),
        b"HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/html\r\nContent-Length: 45\r\n\r\nSpecified method is invalid for this resource"
    );

    // A request protocomm cannot handle (an empty body): closed without a byte.
    let mut s = connect(addr);
    s.write_all(&request(
        "POST",
        "/prov-session",
        Some(&format!("session={id}")),
        b"",
    ))
    .expect("write");
    assert_eq!(read_to_close(&mut s), b"");
}

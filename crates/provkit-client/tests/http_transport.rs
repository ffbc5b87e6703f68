//! The std HTTP transport against a loopback server.
//!
//! * Each recorded run in `tests/vectors/transcripts/*.json` is served back over real TCP:
//!   path, body and the `Cookie` header of every request must equal the recording (the
//!   device sets `session=2882400001` on the first answer; esp_prov echoes it exactly), and the
//!   recorded response headers (`Set-Cookie`, `Content-Type: text/html`) are sent back.
//! * A device that closes the socket instead of answering gives `NoResponse`; the next request
//!   reconnects and still carries the cookie.
//! * Chunked bodies, `Connection: close`, non-200 statuses and oversized requests.

#![cfg(feature = "http")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use common::{Transcript, drive_like_esp_prov, scripted_rng};
use provkit_client::http::HttpTransport;
use provkit_client::{Client, Transport, TransportError};

/// One request as the server saw it.
#[derive(Debug)]
struct SeenRequest {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl SeenRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request; `None` on a clean EOF between requests.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<SeenRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.trim_end().split(' ');
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    assert_eq!(parts.next(), Some("HTTP/1.1"));
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':').expect("header colon");
        headers.push((n.to_string(), v.trim().to_string()));
    }
    let mut req = SeenRequest {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    let len: usize = req
        .header("Content-Length")
        .expect("Content-Length")
        .parse()
        .expect("number");
    req.body = vec![0; len];
    reader.read_exact(&mut req.body).ok()?;
    Some(req)
}

fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    (l, addr)
}

/// Serves a transcript on one keep-alive connection, checking every request.
fn serve_transcript(t: &Transcript) -> (String, JoinHandle<Result<usize, String>>) {
    let (l, addr) = listener();
    let exchanges = t.exchanges.clone();
    let handle = std::thread::spawn(move || {
        let (stream, _) = l.accept().map_err(|e| e.to_string())?;
        let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        for (i, e) in exchanges.iter().enumerate() {
            let req = read_request(&mut reader).ok_or(format!("request {i} missing"))?;
            let check = |ok: bool, what: &str| {
                if ok {
                    Ok(())
                } else {
                    Err(format!("request {i}: {what}: {req:?}"))
                }
            };
            check(req.method == "POST", "method")?;
            check(req.path == format!("/{}", e.endpoint), "path")?;
            check(req.body == e.request, "body")?;
            check(
                req.header("Cookie") == e.request_cookie.as_deref(),
                "cookie",
            )?;
            check(
                req.headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
                    .count()
                    <= 1,
                "one Cookie header",
            )?;
            let mut answer = format!("HTTP/1.1 {} OK\r\n", e.response_status);
            for (n, v) in &e.response_headers {
                answer.push_str(&format!("{n}: {v}\r\n"));
            }
            answer.push_str("\r\n");
            let mut bytes = answer.into_bytes();
            bytes.extend_from_slice(&e.response);
            writer.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        Ok(exchanges.len())
    });
    (addr, handle)
}

fn replay_over_http(name: &str) {
    let t = Transcript::load(name);
    let (addr, server) = serve_transcript(&t);
    let mut rng = scripted_rng(&t.randomness);
    let mut client = Client::new(HttpTransport::new(&addr).with_timeout(Duration::from_secs(10)));
    drive_like_esp_prov(&t, &mut client, &mut rng);
    assert_eq!(client.transport().cookie(), Some("session=2882400001"));
    drop(client);
    let served = server
        .join()
        .expect("server thread")
        .expect("server checks");
    assert_eq!(served, t.exchanges.len());
}

#[test]
fn http_sec0_auto_transcript() {
    replay_over_http("sec0_auto");
}

#[test]
fn http_sec1_pop_transcript() {
    replay_over_http("sec1_pop");
}

#[test]
fn http_sec2_patch1_scan_transcript() {
    replay_over_http("sec2_patch1_scan");
}

#[test]
fn http_sec2_patch0_legacy_reset_transcript() {
    replay_over_http("sec2_patch0_legacy_reset");
}

#[test]
fn silent_close_is_no_response_and_cookie_survives_reconnect() {
    let (l, addr) = listener();
    let server = std::thread::spawn(move || {
        // Connection 1: answer proto-ver with a cookie, then drop the next request unanswered.
        let (s, _) = l.accept().expect("accept 1");
        let mut w = s.try_clone().expect("clone");
        let mut r = BufReader::new(s);
        let first = read_request(&mut r).expect("first");
        assert_eq!(first.header("Cookie"), None);
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: session=42\r\nContent-Type: text/html\r\n\r\nok")
            .expect("write");
        let second = read_request(&mut r).expect("second");
        assert_eq!(second.header("Cookie"), Some("session=42"));
        drop((w, r)); // the device's "no answer"
        // Connection 2: the client reconnects and still presents the cookie.
        let (s, _) = l.accept().expect("accept 2");
        let mut w = s.try_clone().expect("clone");
        let mut r = BufReader::new(s);
        let third = read_request(&mut r).expect("third");
        assert_eq!(third.header("Cookie"), Some("session=42"));
        assert_eq!(third.path, "/prov-config");
        // Chunked answer with Connection: close.
        w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n")
            .expect("write");
        drop((w, r));
        // Connection 3: a 404.
        let (s, _) = l.accept().expect("accept 3");
        let mut w = s.try_clone().expect("clone");
        let mut r = BufReader::new(s);
        let fourth = read_request(&mut r).expect("fourth");
        assert_eq!(fourth.path, "/nothing-here");
        w.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\nNothing matches the given URI",
        )
        .expect("write");
        // Keep-alive: the same socket serves the next request.
        let fifth = read_request(&mut r).expect("fifth");
        assert_eq!(fifth.body, b"again");
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .expect("write");
    });
    let mut t = HttpTransport::new(&addr).with_timeout(Duration::from_secs(10));
    assert_eq!(t.request("proto-ver", b"---").expect("answer"), b"ok");
    assert_eq!(t.cookie(), Some("session=42"));
    assert_eq!(
        t.request("prov-session", b"x"),
        Err(TransportError::NoResponse)
    );
    assert_eq!(t.request("prov-config", b"y").expect("chunked"), b"abcde");
    assert_eq!(
        t.request("nothing-here", b"z"),
        Err(TransportError::Status(404))
    );
    assert_eq!(
        t.request("prov-config", b"again").expect("empty body ok"),
        b""
    );
    server.join().expect("server");
}

#[test]
fn requests_the_device_would_reject_are_not_sent() {
    // Nothing listens here: any attempt to send would fail with Disconnected, not these.
    let mut t = HttpTransport::new("127.0.0.1:9").with_timeout(Duration::from_millis(200));
    assert_eq!(
        t.request("proto-ver", b""),
        Err(TransportError::InvalidRequest("empty body"))
    );
    assert!(matches!(
        t.request("prov-config", &[0u8; 4097]),
        Err(TransportError::InvalidRequest(_))
    ));
    assert!(matches!(
        t.request("a b", b"x"),
        Err(TransportError::InvalidRequest(_))
    ));
    assert!(matches!(
        t.request("prov-config", &[0u8; 4096]),
        Err(TransportError::Disconnected(_))
    ));
}

#[test]
fn timeout_is_reported() {
    let (l, addr) = listener();
    let server = std::thread::spawn(move || {
        let (s, _) = l.accept().expect("accept");
        let mut r = BufReader::new(s);
        let _ = read_request(&mut r);
        std::thread::sleep(Duration::from_millis(600));
    });
    let mut t = HttpTransport::new(&addr).with_timeout(Duration::from_millis(150));
    assert_eq!(t.request("proto-ver", b"---"), Err(TransportError::Timeout));
    server.join().expect("server");
}

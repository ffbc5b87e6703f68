//! The whole stack over real loopback TCP: provkit-client's std HTTP transport talks to a
//! small std server that feeds each parsed request through provkit-protocomm's `HttpFraming`
//! into the simulated device — keep-alive, `Set-Cookie`/`Cookie`, and the silent socket close
//! that is the device's only way to say "no".

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use provkit_client::http::HttpTransport;
use provkit_client::{
    Client, ClientError, PollPolicy, ScanPlan, Scheme, Sec2Patch, Secrets, TransportError,
    WifiCredentials,
};
use provkit_e2e::{DetRng, DeviceSetup, SimDevice};
use provkit_protocomm::http::HttpOutcome;
use provkit_security::{DeviceSecurityConfig, generate_sec2_credentials};

struct Server {
    address: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<usize>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Unblock accept().
        let _ = TcpStream::connect(&self.address);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Reads one request: (path, cookie, body); `None` when the peer closed.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Option<String>, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split(' ').nth(1)?.to_string();
    let mut cookie = None;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        if name.eq_ignore_ascii_case("cookie") {
            cookie = Some(value.trim().to_string());
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((path, cookie, body))
}

/// Serves `setup` on a loopback port, one connection at a time (the SoftAP server keeps one
/// socket), until dropped. Returns how many requests it answered or closed on.
fn serve(setup: DeviceSetup) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr").to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let device = SimDevice::start(setup);
        let mut served = 0;
        for (connection, stream) in (1u32..).zip(listener.incoming()) {
            if flag.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let Ok(mut writer) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(stream);
            while let Some((path, cookie, body)) = read_request(&mut reader) {
                served += 1;
                let outcome =
                    device
                        .borrow_mut()
                        .http_request(&path, cookie.as_deref(), &body, connection);
                match outcome {
                    HttpOutcome::Reply(reply) => {
                        let mut head = format!(
                            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                            reply.status,
                            reply.reason(),
                            reply.content_type,
                            reply.body.len()
                        );
                        if let Some(c) = &reply.set_cookie {
                            head.push_str(&format!("Set-Cookie: {c}\r\n"));
                        }
                        head.push_str("\r\n");
                        let mut bytes = head.into_bytes();
                        bytes.extend_from_slice(&reply.body);
                        if writer.write_all(&bytes).is_err() {
                            break;
                        }
                    }
                    HttpOutcome::Close => break,
                }
            }
            device.borrow_mut().http.connection_closed(connection);
        }
        served
    });
    Server {
        address,
        stop,
        handle: Some(handle),
    }
}

fn client_for(server: &Server) -> Client<HttpTransport> {
    Client::new(HttpTransport::new(&server.address).with_timeout(Duration::from_secs(10)))
}

#[test]
fn sec2_patch1_full_run_over_loopback_http() {
    let (salt, verifier) = generate_sec2_credentials(
        b"wifiprov",
        b"abcd1234",
        16,
        provkit_security::VerifierConvention::EspIdf,
        &mut DetRng::seeded(81),
    )
    .expect("cred");
    let server = serve(DeviceSetup::new(
        DeviceSecurityConfig::Sec2 {
            salt,
            verifier,
            patch: Sec2Patch::Patch1,
        },
        82,
    ));
    let mut client = client_for(&server);
    let secrets = Secrets {
        username: Some(b"wifiprov".to_vec()),
        password: Some(b"abcd1234".to_vec()),
        ..Secrets::default()
    };
    let mut rng = DetRng::seeded(83);
    assert_eq!(
        client.connect(&secrets, None, &mut rng),
        Ok(Scheme::Sec2(Sec2Patch::Patch1))
    );
    let cookie = client
        .transport()
        .cookie()
        .map(str::to_string)
        .expect("cookie set");
    assert!(cookie.starts_with("session="));
    let aps = client.scan(&ScanPlan::HTTP, || {}).expect("scan");
    assert_eq!(aps.len(), 3);
    let info = client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("provisioned");
    assert_eq!(info.ip4_addr, "192.168.1.42");
    // One session for the whole run.
    assert_eq!(client.transport().cookie(), Some(cookie.as_str()));
}

#[test]
fn wrong_pop_closes_socket_then_cookie_session_continues() {
    let server = serve(DeviceSetup::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(b"abcd1234".to_vec()),
        },
        91,
    ));
    let mut client = client_for(&server);
    let mut rng = DetRng::seeded(92);
    let wrong = Secrets {
        pop: Some(b"wrongpop".to_vec()),
        ..Secrets::default()
    };
    assert_eq!(
        client.connect(&wrong, None, &mut rng),
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    let cookie = client.transport().cookie().map(str::to_string);
    assert!(cookie.is_some());
    // New socket, same cookie: the device keeps the HTTP session and restarts the handshake.
    let right = Secrets {
        pop: Some(b"abcd1234".to_vec()),
        ..Secrets::default()
    };
    assert_eq!(client.connect(&right, None, &mut rng), Ok(Scheme::Sec1));
    assert_eq!(client.transport().cookie().map(str::to_string), cookie);
    client
        .provision(
            &WifiCredentials::new("myssid", "mypassword"),
            PollPolicy::default(),
            || {},
        )
        .expect("provisioned");
}

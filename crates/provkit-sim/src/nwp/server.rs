//! A minimal blocking HTTP/1.1 server for TI's device API on a real TCP socket (loopback in
//! tests, `provkit sim --personality cc32xx` for a phone or curl). One request per
//! connection (`Connection: close`), parsed with provkit-cc32xx's request parser; each
//! request is handed to [`super::http_api::handle`]. Announcements the NWP queued are sent
//! to `announce_to` after each request.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provkit_cc32xx::http::{Parsed, parse_request};

use provkit_nwp::driver::{NwpDriver, NwpEvent};

use super::{EmulatedNwp, NwpSettings, announce, http_api};

/// How often the simulator moves the NWP's virtual time to the wall clock.
pub const TICK: Duration = Duration::from_millis(50);

/// `provkit sim --personality cc32xx`: an NWP booted from `settings` (its own timers —
/// auto-provisioning after 2 s with no profiles, inactivity — run on the wall clock),
/// serving TI's HTTP API on `listener` until `stop` is set. The host events the NWP raises
/// are drained and dropped; [`run_sim_with_events`] hands them to the caller.
pub fn run_sim(
    listener: TcpListener,
    settings: NwpSettings,
    options: ServerOptions,
    stop: Arc<AtomicBool>,
) -> Result<(), crate::SimError> {
    run_sim_with_events(listener, settings, options, stop, |_| {})
}

/// [`run_sim`], calling `on_event` (on the timer thread, in order) with every event the NWP
/// delivers to its host (`SL_WLAN_EVENT_PROVISIONING_STATUS`, profile added, link events,
/// reset requests), at most one [`TICK`] after it happened.
pub fn run_sim_with_events(
    listener: TcpListener,
    settings: NwpSettings,
    options: ServerOptions,
    stop: Arc<AtomicBool>,
    mut on_event: impl FnMut(NwpEvent) + Send + 'static,
) -> Result<(), crate::SimError> {
    let io = |context: &str| {
        let context = context.to_string();
        move |source| crate::SimError::Io { context, source }
    };
    let mut nwp = EmulatedNwp::new(settings)?;
    nwp.start()
        .map_err(|e| crate::SimError::Manager(format!("sl_Start failed: {e}")))?;
    let nwp = Arc::new(Mutex::new(nwp));
    let ticker = {
        let (nwp, stop) = (nwp.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut last = std::time::Instant::now();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                let now = std::time::Instant::now();
                let elapsed = u64::try_from(now.duration_since(last).as_millis()).unwrap_or(0);
                last = now;
                let Ok(mut guard) = nwp.lock() else { return };
                guard.advance(elapsed);
                let announcements = guard.take_announcements();
                // Drained every tick so the queue stays bounded even with no listener.
                let mut events = Vec::new();
                while let Some(event) = guard.poll_event() {
                    events.push(event);
                }
                drop(guard);
                events.into_iter().for_each(&mut on_event);
                if let Some(to) = options.announce_to {
                    for a in announcements {
                        let _ = announce::send(&a, to);
                    }
                }
            }
        })
    };
    let served = serve(listener, nwp, options, stop.clone()).map_err(io("serving TI HTTP API"));
    stop.store(true, Ordering::Relaxed);
    let _ = ticker.join();
    served
}

/// Per-connection read timeout: a silent client must not hold the server.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the server sends the `"ip,name"` announcements.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Destination of announcements (`None` = drop them).
    pub announce_to: Option<SocketAddr>,
}

/// Serve until `stop` is set (checked between connections; the listener is non-blocking
/// with a short poll so a stop is seen promptly).
pub fn serve(
    listener: TcpListener,
    nwp: Arc<Mutex<EmulatedNwp>>,
    options: ServerOptions,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                // A broken client only ends its own connection.
                let _ = serve_connection(stream, &nwp, options);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn serve_connection(
    mut stream: TcpStream,
    nwp: &Mutex<EmulatedNwp>,
    options: ServerOptions,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let response = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        match parse_request(&buf) {
            Parsed::Incomplete => continue,
            Parsed::Invalid => {
                break http_api::TiHttpResponse {
                    status: 400,
                    content_type: "text/plain",
                    body: b"malformed request".to_vec(),
                };
            }
            Parsed::Request(req) => {
                let mut guard = nwp
                    .lock()
                    .map_err(|_| std::io::Error::other("NWP state poisoned"))?;
                let response = http_api::handle(&mut guard, req.method, req.path, req.body);
                let announcements = guard.take_announcements();
                drop(guard);
                if let Some(to) = options.announce_to {
                    for a in announcements {
                        let _ = announce::send(&a, to);
                    }
                }
                break response;
            }
        }
    };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        response.reason(),
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}

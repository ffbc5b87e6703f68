//! The console line codec: `parse_line` / `format_line` round trip, `parse_response`, and
//! `ConsoleFraming` over a sec1 `Protocomm` fed arbitrary lines (split at '\n').
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_fuzz::{EchoHandler, configs, fixed_rng};
use provkit_protocomm::console::{ConsoleFraming, format_line, parse_line, parse_response};
use provkit_protocomm::{Protocomm, VersionInfo};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = parse_line(data) {
        // What parses must re-format to a line that parses to the same request.
        let line = format_line(request.endpoint, request.session_id, &request.body);
        let again = match parse_line(line.trim_end().as_bytes()) {
            Ok(r) => r,
            Err(e) => panic!("re-parsing {line:?} failed: {e}"),
        };
        assert_eq!(again, request);
    }
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = parse_response(text);
    }
    let (device_cfg, _) = configs(data.first().copied().unwrap_or(0) % 2);
    let mut protocomm = Protocomm::new(device_cfg, VersionInfo::default());
    let mut framing = ConsoleFraming::new();
    let mut rng = fixed_rng(9);
    // One line every 700 ms: lockouts and owner timeouts come and go within one input.
    for (step, line) in (0u64..).zip(data.split(|&b| b == b'\n')) {
        let now = provkit_hal::Instant::from_millis(step * 700);
        if let Some(out) =
            framing.handle_line(&mut protocomm, line, &mut EchoHandler, &mut rng, now)
        {
            assert!(out.starts_with("\r\n") && out.ends_with("\r\n"), "{out:?}");
        }
    }
});

//! proto-ver handling, both directions: the device answers `proto-ver` with its fixed JSON no
//! matter what body arrives (and without touching the session), and the client's parser of
//! that JSON (`VersionReport::parse`) never fails or panics on arbitrary device answers.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_client::VersionReport;
use provkit_fuzz::{EchoHandler, configs, fixed_rng};
use provkit_protocomm::{ClientId, Protocomm, TransportKind, VersionInfo};

fuzz_target!(|data: &[u8]| {
    // Client side: any answer is either JSON we understand or kept as a plain version string.
    let report = VersionReport::parse(data);
    assert_eq!(report.raw(), data);
    let _ = report.entries();
    let _ = report.prov_version();

    // Device side: sec0 and sec1 only (sec2 config setup is identical for proto-ver).
    let selector = data.first().copied().unwrap_or(0) % 2;
    let (device_cfg, _) = configs(selector);
    let mut protocomm = Protocomm::new(device_cfg, VersionInfo::default());
    let expected = protocomm.proto_ver_body().to_vec();
    let client = ClientId::new(TransportKind::Http, 1);
    let answer = protocomm.handle(
        client,
        "proto-ver",
        data,
        &mut EchoHandler,
        &mut fixed_rng(1),
        provkit_hal::Instant::from_millis(0),
    );
    assert_eq!(answer.as_deref(), Ok(expected.as_slice()));
    assert_eq!(
        protocomm.session_client(),
        None,
        "proto-ver must not open a session"
    );
    // What the device prints, its own client must parse as JSON.
    assert!(VersionReport::parse(&expected).is_json());
});

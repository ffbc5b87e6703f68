//! TI device HTTP API form parser (`provkit-nwp`'s `form`, which the simulator's emulated
//! CC32xx NWP serves): arbitrary bodies never panic, and every accepted form survives a full
//! percent-encoding round trip unchanged (names and values are bytes, the parser may not lose
//! or invent any).
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_nwp::form;

fn percent_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = form::parse_form(data) else {
        return;
    };
    assert!(parsed.pairs().len() <= form::MAX_PAIRS);
    for (name, _) in parsed.pairs() {
        assert!(!name.is_empty());
    }
    let encoded = parsed
        .pairs()
        .iter()
        .map(|(n, v)| format!("{}={}", percent_encode(n.as_bytes()), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    if encoded.len() <= form::MAX_FORM_LEN {
        assert_eq!(form::parse_form(encoded.as_bytes()), Ok(parsed));
    }
});

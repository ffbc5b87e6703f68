//! Property tests of protocomm mode's HTTP request parser: it sees raw bytes from any phone
//! on the device AP, so it must never panic, and every well-formed request must come back
//! field for field, however the bytes are split.

use proptest::prelude::*;
use provkit_cc32xx::http::{Parsed, parse_request};

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_never_overrun(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Parsed::Request(r) = parse_request(&data) {
            prop_assert!(r.consumed <= data.len());
            prop_assert!(r.body.len() <= r.consumed);
        }
    }

    #[test]
    fn well_formed_requests_round_trip(
        path in "/[a-z-]{1,20}",
        cookie in proptest::option::of("session=[0-9]{1,10}"),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        split in 0usize..400,
    ) {
        let mut raw = format!("POST {path} HTTP/1.1\r\nHost: 192.168.4.1\r\n").into_bytes();
        if let Some(c) = &cookie {
            raw.extend_from_slice(format!("Cookie: {c}\r\n").as_bytes());
        }
        raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        raw.extend_from_slice(&body);
        // A prefix is never mistaken for a complete request.
        let cut = split.min(raw.len());
        if cut < raw.len() {
            prop_assert_eq!(parse_request(&raw[..cut]), Parsed::Incomplete);
        }
        let Parsed::Request(r) = parse_request(&raw) else {
            return Err(TestCaseError::fail("complete request not parsed"));
        };
        prop_assert_eq!(r.method, "POST");
        prop_assert_eq!(r.path, path.as_str());
        prop_assert_eq!(r.cookie, cookie.as_deref().map(str::as_bytes));
        prop_assert_eq!(r.body, body.as_slice());
        prop_assert_eq!(r.consumed, raw.len());
    }
}

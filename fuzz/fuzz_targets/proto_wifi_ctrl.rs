//! `WiFiCtrlPayload` (every `prov-ctrl` request and response body): decode arbitrary bytes and
//! check decode → encode → decode is stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_proto::{Message, WiFiCtrlPayload};

fuzz_target!(|data: &[u8]| provkit_fuzz_roundtrip::<WiFiCtrlPayload>(data));

fn provkit_fuzz_roundtrip<M: Message + Default + PartialEq + core::fmt::Debug>(data: &[u8]) {
    if let Ok(first) = M::decode(data) {
        let bytes = first.encode_to_vec();
        let second = match M::decode(bytes.as_slice()) {
            Ok(m) => m,
            Err(e) => panic!("re-decoding our own encoding failed: {e}"),
        };
        assert_eq!(first, second);
        assert_eq!(bytes, second.encode_to_vec(), "encoding is not canonical");
    }
}

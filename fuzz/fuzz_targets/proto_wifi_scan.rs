//! `WiFiScanPayload` (every `prov-scan` request and response body): decode arbitrary bytes and
//! check decode → encode → decode is stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_proto::WiFiScanPayload;

fuzz_target!(|data: &[u8]| provkit_fuzz::proto_roundtrip::<WiFiScanPayload>(data));

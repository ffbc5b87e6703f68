//! `WiFiCtrlPayload` (every `prov-ctrl` request and response body): decode arbitrary bytes and
//! check decode → encode → decode is stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_proto::WiFiCtrlPayload;

fuzz_target!(|data: &[u8]| provkit_fuzz::proto_roundtrip::<WiFiCtrlPayload>(data));

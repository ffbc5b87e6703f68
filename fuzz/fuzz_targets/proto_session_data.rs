//! `SessionData` (every `prov-session` body, sec0/1/2 payloads): decode arbitrary bytes and
//! check decode → encode → decode is stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_proto::SessionData;

fuzz_target!(|data: &[u8]| provkit_fuzz::proto_roundtrip::<SessionData>(data));

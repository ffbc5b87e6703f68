//! `proto-ver` JSON against the recorded device answers in
//! `tests/vectors/messages.json` → `proto_ver.responses` (cJSON_Print output of real
//! firmware configurations). Each answer must parse to the same JSON value as ours for the same
//! configuration; the formatted ones must also match byte for byte.

mod common;

use provkit_protocomm::proto_ver::render_proto_ver;
use provkit_protocomm::{DeviceSecurityConfig, Sec2Patch, VersionInfo};

fn sec2(patch: Sec2Patch) -> DeviceSecurityConfig {
    DeviceSecurityConfig::Sec2 {
        salt: vec![0x11; 16],
        verifier: vec![0x22; 384],
        patch,
    }
}

/// The device configuration behind each recorded answer (named as in the vector file).
fn config_for(name: &str) -> Option<(DeviceSecurityConfig, VersionInfo)> {
    let info = VersionInfo::default();
    Some(match name {
        "sec0" => (DeviceSecurityConfig::Sec0, info),
        "sec1_with_pop" => (
            DeviceSecurityConfig::Sec1 {
                pop: Some(b"abcd1234".to_vec()),
            },
            info,
        ),
        "sec1_no_pop" => (DeviceSecurityConfig::Sec1 { pop: None }, info),
        "sec2_patch1" | "sec2_compact_json" => (sec2(Sec2Patch::Patch1), info),
        "sec2_legacy_no_patch_field" => (
            sec2(Sec2Patch::Patch0),
            VersionInfo {
                emit_sec_patch_ver: false,
                ..info
            },
        ),
        "sec1_with_app_info" => {
            let mut info = info;
            info.set_app_info("my_app", "mav1.0", &["custom"]);
            (
                DeviceSecurityConfig::Sec1 {
                    pop: Some(b"abcd1234".to_vec()),
                },
                info,
            )
        }
        _ => return None,
    })
}

#[test]
fn matches_every_recorded_device_answer() {
    let messages = common::load_json("messages.json");
    let responses = messages["proto_ver"]["responses"]
        .as_array()
        .expect("responses array");
    let mut checked = 0;
    for r in responses {
        let name = r["name"].as_str().expect("name");
        let expected_json = &r["json"];
        if expected_json.is_null() {
            // The pre-manager plain "v1.1" string is not something this device emits.
            assert_eq!(name, "plain_version_string");
            continue;
        }
        let (security, info) =
            config_for(name).unwrap_or_else(|| panic!("no configuration for vector {name}"));
        let ours = render_proto_ver(&security, &info);
        let parsed: serde_json::Value = serde_json::from_str(&ours).expect("our output parses");
        assert_eq!(&parsed, expected_json, "{name}");
        // Object key order matters to clients that print it and to app-label precedence.
        let keys: Vec<&str> = ours
            .lines()
            .filter(|l| l.starts_with("\t\"") && l.ends_with('{'))
            .collect();
        assert_eq!(
            keys.last().map(|k| k.contains("\"prov\"")),
            Some(true),
            "{name}"
        );
        let expected_text = r["response_string"].as_str().expect("response_string");
        if expected_text.contains('\t') {
            assert_eq!(ours, expected_text, "{name}: byte-exact cJSON_Print layout");
        }
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn extra_capabilities_follow_wifi_scan_and_escape() {
    let info = VersionInfo {
        prov_version: "netprov-v1.2".into(),
        extra_capabilities: vec!["thread_scan".into(), "q\"uote".into()],
        ..VersionInfo::default()
    };
    let text = render_proto_ver(&DeviceSecurityConfig::Sec0, &info);
    let v: serde_json::Value = serde_json::from_str(&text).expect("parses");
    assert_eq!(v["prov"]["ver"], "netprov-v1.2");
    assert_eq!(
        v["prov"]["cap"],
        serde_json::json!(["no_sec", "wifi_scan", "thread_scan", "q\"uote"])
    );
}

#[test]
fn empty_non_null_pop_has_no_no_pop_capability() {
    let text = render_proto_ver(
        &DeviceSecurityConfig::Sec1 {
            pop: Some(Vec::new()),
        },
        &VersionInfo::default(),
    );
    let v: serde_json::Value = serde_json::from_str(&text).expect("parses");
    assert_eq!(v["prov"]["cap"], serde_json::json!(["wifi_scan"]));
}

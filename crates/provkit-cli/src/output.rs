//! Text the CLI prints: the QR payload, the esp_prov command line, sec2 C arrays, event lines.
//! Pure functions, so their exact format is unit-tested.

use provkit_sim::device::SimEvent;
use provkit_sim::provkit_hal::Ssid;
use provkit_sim::provkit_manager::{EspEvent, FailReason, WireFailReason};
use provkit_sim::provkit_nwp::consts::status as ti_status;
use provkit_sim::provkit_nwp::driver::NwpEvent;
use provkit_sim::provkit_protocomm::{ClientId, ProtocommEvent, TransportKind};

/// The security settings of a running sim, as the user typed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimSecurity {
    Sec0,
    Sec1 {
        pop: Option<String>,
    },
    Sec2 {
        username: String,
        password: String,
        patch: u8,
    },
}

impl SimSecurity {
    pub fn sec_ver(&self) -> u8 {
        match self {
            SimSecurity::Sec0 => 0,
            SimSecurity::Sec1 { .. } => 1,
            SimSecurity::Sec2 { .. } => 2,
        }
    }
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The ESP provisioning QR payload (what `wifi_prov_print_qr` prints and the phone apps read):
/// `{"ver":"v1","name":…,"username":…,"pop":…,"transport":"softap","security":N}`, with
/// `username` only for sec2 and `pop` (the sec2 password, or the sec1 PoP) only when set.
/// `transport` is `softap` or `ble`: which of Espressif's apps the code is for.
pub fn qr_payload(name: &str, security: &SimSecurity, transport: &str) -> String {
    let mut fields = vec![
        format!("\"ver\":\"v1\""),
        format!("\"name\":{}", json_str(name)),
    ];
    match security {
        SimSecurity::Sec0 | SimSecurity::Sec1 { pop: None } => {}
        SimSecurity::Sec1 { pop: Some(pop) } => fields.push(format!("\"pop\":{}", json_str(pop))),
        SimSecurity::Sec2 {
            username, password, ..
        } => {
            fields.push(format!("\"username\":{}", json_str(username)));
            fields.push(format!("\"pop\":{}", json_str(password)));
        }
    }
    fields.push(format!("\"transport\":{}", json_str(transport)));
    fields.push(format!("\"security\":{}", security.sec_ver()));
    format!("{{{}}}", fields.join(","))
}

/// POSIX shell single-quoting (only when needed).
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/=@%+,".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// How the checkout runs Espressif's esp_prov after `cargo xtask pyenv` (the wrapper fixes
/// esp-rainmaker-cli 1.14.1's HTTP transport; the arguments are esp_prov's own).
pub const ESP_PROV_LAUNCHER: (&str, &str) = (".venv/bin/python", "tests/interop/run_esp_prov.py");

/// The esp_prov command line that provisions this sim (`ssid`/`passphrase` of the demo
/// environment, or placeholders).
pub fn esp_prov_command(
    transport: &str,
    service: &str,
    security: &SimSecurity,
    ssid: &str,
    passphrase: &str,
) -> String {
    let mut args: Vec<String> = vec![
        ESP_PROV_LAUNCHER.0.into(),
        ESP_PROV_LAUNCHER.1.into(),
        "--transport".into(),
        transport.into(),
        "--service_name".into(),
        service.into(),
        "--sec_ver".into(),
        security.sec_ver().to_string(),
    ];
    match security {
        SimSecurity::Sec0 | SimSecurity::Sec1 { pop: None } => {}
        SimSecurity::Sec1 { pop: Some(pop) } => args.extend(["--pop".into(), pop.clone()]),
        SimSecurity::Sec2 {
            username, password, ..
        } => args.extend([
            "--sec2_username".into(),
            username.clone(),
            "--sec2_pwd".into(),
            password.clone(),
        ]),
    }
    command_line(args, ssid, passphrase)
}

/// The `provkit provision` command line that provisions this sim over BLE through
/// `controller` (a controller linked to the sim's).
pub fn provkit_ble_command(
    controller: &str,
    name: &str,
    security: &SimSecurity,
    ssid: &str,
    passphrase: &str,
) -> String {
    let mut args: Vec<String> = vec![
        "provkit".into(),
        "provision".into(),
        "--ble".into(),
        controller.into(),
        "--name".into(),
        name.into(),
    ];
    match security {
        SimSecurity::Sec0 | SimSecurity::Sec1 { pop: None } => {}
        SimSecurity::Sec1 { pop: Some(pop) } => args.extend(["--pop".into(), pop.clone()]),
        SimSecurity::Sec2 {
            username, password, ..
        } => args.extend([
            "--username".into(),
            username.clone(),
            "--password".into(),
            password.clone(),
        ]),
    }
    command_line(args, ssid, passphrase)
}

/// `args` followed by the network to provision, shell-quoted into one command line.
fn command_line(mut args: Vec<String>, ssid: &str, passphrase: &str) -> String {
    args.extend([
        "--ssid".into(),
        ssid.into(),
        "--passphrase".into(),
        passphrase.into(),
    ]);
    args.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A C array in the layout esp_prov's `--sec2_gen_cred` prints (16 bytes per line).
pub fn c_array(name: &str, bytes: &[u8]) -> String {
    let lines: Vec<String> = bytes
        .chunks(16)
        .map(|chunk| {
            chunk
                .iter()
                .map(|b| format!("{b:#04x}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    format!(
        "static const char {name}[] = {{\n    {}\n}};\n",
        lines.join(",\n    ")
    )
}

fn ssid_text(ssid: &Ssid) -> String {
    String::from_utf8_lossy(ssid.as_bytes()).into_owned()
}

fn reason_name(reason: FailReason) -> String {
    match reason {
        FailReason::AuthFailed => "auth_failed".into(),
        FailReason::NetworkNotFound => "network_not_found".into(),
        FailReason::NoIp => "no_ip".into(),
        FailReason::FeedbackFailed => "feedback_failed".into(),
        FailReason::Timeout => "timeout".into(),
        FailReason::ConnectionLost => "connection_lost".into(),
        FailReason::Other(code) => format!("other_{code}"),
    }
}

fn wire_name(wire: WireFailReason) -> &'static str {
    match wire {
        WireFailReason::AuthError => "auth_error",
        WireFailReason::NetworkNotFound => "network_not_found",
    }
}

/// One event as (JSON line, human line).
pub fn event_lines(event: &SimEvent) -> (String, String) {
    let obj = |name: &str, extra: Vec<(&str, String)>| {
        let mut fields = vec![format!("\"event\":{}", json_str(name))];
        fields.extend(
            extra
                .into_iter()
                .map(|(k, v)| format!("{}:{v}", json_str(k))),
        );
        format!("{{{}}}", fields.join(","))
    };
    match event {
        SimEvent::Manager(esp) => match esp {
            EspEvent::Init => (obj("init", vec![]), "manager initialised".into()),
            EspEvent::Start => (obj("start", vec![]), "provisioning started".into()),
            EspEvent::SetStaConfig { ssid } => (
                obj("set_sta_config", vec![("ssid", json_str(&ssid_text(ssid)))]),
                format!("applying station config for \"{}\"", ssid_text(ssid)),
            ),
            EspEvent::CredRecv { ssid } => (
                obj("cred_recv", vec![("ssid", json_str(&ssid_text(ssid)))]),
                format!("credentials received for \"{}\"", ssid_text(ssid)),
            ),
            EspEvent::CredFail { wire, reason } => (
                obj(
                    "cred_fail",
                    vec![
                        ("reason", json_str(&reason_name(*reason))),
                        ("wire_reason", json_str(wire_name(*wire))),
                    ],
                ),
                format!(
                    "connection failed: {} (reported as {})",
                    reason_name(*reason),
                    wire_name(*wire)
                ),
            ),
            EspEvent::CredSuccess => (
                obj("cred_success", vec![]),
                "connected; credentials saved".into(),
            ),
            EspEvent::End => (obj("end", vec![]), "provisioning ended".into()),
            EspEvent::Deinit => (obj("deinit", vec![]), "manager deinitialised".into()),
        },
        SimEvent::CustomData { endpoint, data } => {
            let text = String::from_utf8_lossy(data).into_owned();
            (
                obj(
                    "custom_data",
                    vec![("endpoint", json_str(endpoint)), ("data", json_str(&text))],
                ),
                format!("custom data on {endpoint}: {text:?}"),
            )
        }
        SimEvent::BleAdvertising => (obj("ble_advertising", vec![]), "BLE: advertising".into()),
        SimEvent::BleLink { connection, up } => (
            obj(
                if *up {
                    "ble_connected"
                } else {
                    "ble_disconnected"
                },
                vec![("connection", connection.to_string())],
            ),
            format!(
                "BLE: central {} (connection {connection})",
                if *up { "connected" } else { "left" }
            ),
        ),
        SimEvent::TransportsStopped => (
            obj("transports_stopped", vec![]),
            "transports stopped".into(),
        ),
        SimEvent::ActionFailed(what) => (
            obj("action_failed", vec![("detail", json_str(what))]),
            format!("device action failed: {what}"),
        ),
        SimEvent::Protocomm(ProtocommEvent::AuthFailed {
            client,
            at_ms,
            recent_failures,
        }) => (
            obj(
                "auth_failed",
                vec![
                    ("client", json_str(&client_name(*client))),
                    ("at_ms", at_ms.to_string()),
                    ("recent_failures", recent_failures.to_string()),
                ],
            ),
            format!(
                "wrong proof of possession / password from {} ({recent_failures} recently)",
                client_name(*client)
            ),
        ),
        SimEvent::Protocomm(ProtocommEvent::AuthLockout {
            client,
            until_ms,
            backoff_ms,
            streak,
        }) => (
            obj(
                "auth_lockout",
                vec![
                    ("until_ms", until_ms.to_string()),
                    ("backoff_ms", backoff_ms.to_string()),
                    ("streak", streak.to_string()),
                    ("client", json_str(&client_name(*client))),
                ],
            ),
            format!(
                "too many wrong proofs (last from {}): new sessions refused for {backoff_ms} ms, until {until_ms} ms",
                client_name(*client)
            ),
        ),
        SimEvent::Protocomm(ProtocommEvent::HandshakeBudgetExhausted {
            client,
            at_ms,
            until_ms,
        }) => (
            obj(
                "handshake_budget_exhausted",
                vec![
                    ("client", json_str(&client_name(*client))),
                    ("at_ms", at_ms.to_string()),
                    ("until_ms", until_ms.to_string()),
                ],
            ),
            format!(
                "handshake budget used up (first refused: {}): Command0 refused without \
                 computing until {until_ms} ms",
                client_name(*client)
            ),
        ),
        other => {
            let text = format!("{other:?}");
            (obj("other", vec![("detail", json_str(&text))]), text)
        }
    }
}

/// `http:<cookie id>`, `ble:<connection>`, `console:<session>`: who a protocomm event is about.
fn client_name(client: ClientId) -> String {
    let transport = match client.transport {
        TransportKind::Http => "http",
        TransportKind::Ble => "ble",
        TransportKind::Console => "console",
    };
    format!("{transport}:{}", client.id)
}

/// Name of a `SL_WLAN_PROVISIONING_*` status code (TI §7), lower case without the prefix.
pub fn ti_status_name(code: u8) -> &'static str {
    match code {
        ti_status::GENERAL_ERROR => "general_error",
        ti_status::CONFIRMATION_STATUS_FAIL_NETWORK_NOT_FOUND => "fail_network_not_found",
        ti_status::CONFIRMATION_STATUS_FAIL_CONNECTION_FAILED => "fail_connection_failed",
        ti_status::CONFIRMATION_STATUS_CONNECTION_SUCCESS_IP_NOT_ACQUIRED => {
            "connection_success_ip_not_acquired"
        }
        ti_status::CONFIRMATION_STATUS_SUCCESS_FEEDBACK_FAILED => "success_feedback_failed",
        ti_status::CONFIRMATION_STATUS_SUCCESS => "success",
        ti_status::ERROR_ABORT => "error_abort",
        ti_status::ERROR_ABORT_INVALID_PARAM => "error_abort_invalid_param",
        ti_status::ERROR_ABORT_HTTP_SERVER_DISABLED => "error_abort_http_server_disabled",
        ti_status::ERROR_ABORT_PROFILE_LIST_FULL => "error_abort_profile_list_full",
        ti_status::ERROR_ABORT_PROVISIONING_ALREADY_STARTED => {
            "error_abort_provisioning_already_started"
        }
        ti_status::AUTO_STARTED => "auto_started",
        ti_status::STOPPED => "stopped",
        ti_status::SMART_CONFIG_SYNCED => "smart_config_synced",
        ti_status::SMART_CONFIG_SYNC_TIMEOUT => "smart_config_sync_timeout",
        ti_status::CONFIRMATION_WLAN_CONNECT => "confirmation_wlan_connect",
        ti_status::CONFIRMATION_IP_ACQUIRED => "confirmation_ip_acquired",
        ti_status::EXTERNAL_CONFIGURATION_READY => "external_configuration_ready",
        _ => "unknown",
    }
}

/// One host event of the emulated CC32xx NWP as (JSON line, human line).
pub fn nwp_event_lines(event: &NwpEvent) -> (String, String) {
    let obj = |name: &str, extra: Vec<(&str, String)>| {
        let mut fields = vec![format!("\"event\":{}", json_str(name))];
        fields.extend(
            extra
                .into_iter()
                .map(|(k, v)| format!("{}:{v}", json_str(k))),
        );
        format!("{{{}}}", fields.join(","))
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    match event {
        NwpEvent::ProvisioningStatus {
            status,
            role,
            wlan_status,
            ssid,
        } => {
            let name = ti_status_name(*status);
            let mut extra = vec![
                ("status", status.to_string()),
                ("name", json_str(name)),
                ("role", role.to_string()),
                ("wlan_status", wlan_status.to_string()),
            ];
            let mut human = format!("provisioning status {status} ({name})");
            if !ssid.is_empty() {
                extra.push(("ssid", json_str(&text(ssid))));
                human.push_str(&format!(", ssid \"{}\"", text(ssid)));
            }
            (obj("provisioning_status", extra), human)
        }
        NwpEvent::ProfileAdded { status, ssid, .. } => (
            obj(
                "profile_added",
                vec![
                    ("status", status.to_string()),
                    ("ssid", json_str(&text(ssid))),
                ],
            ),
            format!("profile added for \"{}\"", text(ssid)),
        ),
        NwpEvent::ResetRequest { status, caller } => (
            obj(
                "reset_request",
                vec![
                    ("status", status.to_string()),
                    ("caller", caller.to_string()),
                ],
            ),
            format!("the NWP asks the host to reset (caller {caller})"),
        ),
        NwpEvent::WlanConnected { ssid, bssid } => {
            let bssid = bssid
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":");
            (
                obj(
                    "wlan_connected",
                    vec![("ssid", json_str(&text(ssid))), ("bssid", json_str(&bssid))],
                ),
                format!("station connected to \"{}\" ({bssid})", text(ssid)),
            )
        }
        NwpEvent::WlanDisconnected { ssid, reason_code } => (
            obj(
                "wlan_disconnected",
                vec![
                    ("ssid", json_str(&text(ssid))),
                    ("reason_code", reason_code.to_string()),
                ],
            ),
            format!(
                "station disconnected from \"{}\" (reason {reason_code})",
                text(ssid)
            ),
        ),
        NwpEvent::IpAcquired { ip: [a, b, c, d] } => (
            obj(
                "ip_acquired",
                vec![("ip", json_str(&format!("{a}.{b}.{c}.{d}")))],
            ),
            format!("station got address {a}.{b}.{c}.{d}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_payload_matches_the_esp_layout_per_scheme() {
        let sec2 = SimSecurity::Sec2 {
            username: "wifiprov".into(),
            password: "abcd1234".into(),
            patch: 1,
        };
        assert_eq!(
            qr_payload("PROV_ABC", &sec2, "softap"),
            r#"{"ver":"v1","name":"PROV_ABC","username":"wifiprov","pop":"abcd1234","transport":"softap","security":2}"#
        );
        assert_eq!(
            qr_payload(
                "n\"q",
                &SimSecurity::Sec1 {
                    pop: Some("p".into())
                },
                "softap"
            ),
            r#"{"ver":"v1","name":"n\"q","pop":"p","transport":"softap","security":1}"#
        );
        assert_eq!(
            qr_payload("n", &SimSecurity::Sec0, "ble"),
            r#"{"ver":"v1","name":"n","transport":"ble","security":0}"#
        );
        // Every payload is valid JSON.
        for sec in [SimSecurity::Sec0, sec2] {
            let v: serde_json::Value =
                serde_json::from_str(&qr_payload("x", &sec, "softap")).expect("json");
            assert_eq!(v["security"], u64::from(sec.sec_ver()));
        }
    }

    #[test]
    fn esp_prov_command_quotes_what_the_shell_would_split() {
        let cmd = esp_prov_command(
            "softap",
            "127.0.0.1:8080",
            &SimSecurity::Sec1 {
                pop: Some("it's".into()),
            },
            "HomeNet",
            "correct horse",
        );
        assert_eq!(
            cmd,
            ".venv/bin/python tests/interop/run_esp_prov.py --transport softap \
             --service_name 127.0.0.1:8080 --sec_ver 1 --pop 'it'\\''s' --ssid HomeNet \
             --passphrase 'correct horse'"
        );
    }

    #[test]
    fn c_array_has_sixteen_bytes_per_line_like_esp_prov() {
        let bytes: Vec<u8> = (0..18).collect();
        let text = c_array("sec2_salt", &bytes);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "static const char sec2_salt[] = {");
        assert_eq!(lines[1].matches("0x").count(), 16);
        assert_eq!(lines[2], "    0x10, 0x11");
        assert_eq!(lines[3], "};");
        assert!(lines[1].starts_with("    0x00, 0x01,"));
    }

    #[test]
    fn auth_lockout_line_carries_until_ms_and_names_the_client() {
        let event = SimEvent::Protocomm(ProtocommEvent::AuthLockout {
            client: ClientId::new(TransportKind::Http, 42),
            until_ms: 31_234,
            backoff_ms: 30_000,
            streak: 1,
        });
        let (json, human) = event_lines(&event);
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed["event"], "auth_lockout");
        assert_eq!(parsed["until_ms"], 31_234);
        assert_eq!(parsed["backoff_ms"], 30_000);
        assert_eq!(parsed["client"], "http:42");
        assert!(human.contains("31234"), "{human}");
    }

    #[test]
    fn event_json_lines_name_the_event_and_its_details() {
        let ssid = Ssid::new(b"Home\"Net").expect("ssid");
        let (json, human) = event_lines(&SimEvent::Manager(EspEvent::CredRecv { ssid }));
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(v["event"], "cred_recv");
        assert_eq!(v["ssid"], "Home\"Net");
        assert!(human.contains("Home\"Net"));
        let (json, _) = event_lines(&SimEvent::Manager(EspEvent::CredFail {
            wire: WireFailReason::AuthError,
            reason: FailReason::AuthFailed,
        }));
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(
            (v["reason"].as_str(), v["wire_reason"].as_str()),
            (Some("auth_failed"), Some("auth_error"))
        );
    }

    #[test]
    fn nwp_events_render_as_json_objects_with_status_names() {
        use provkit_sim::provkit_nwp::driver::field32;
        let (json, human) = nwp_event_lines(&NwpEvent::ProvisioningStatus {
            status: ti_status::CONFIRMATION_STATUS_SUCCESS,
            role: 0,
            wlan_status: 1,
            ssid: field32(b"HomeNet"),
        });
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value["event"], "provisioning_status");
        assert_eq!(value["status"], 5);
        assert_eq!(value["name"], "success");
        assert_eq!(value["ssid"], "HomeNet");
        assert!(human.contains("(success)"), "{human}");
        let (json, _) = nwp_event_lines(&NwpEvent::IpAcquired { ip: [10, 0, 0, 7] });
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value["ip"], "10.0.0.7");
        assert_eq!(ti_status_name(200), "unknown");
    }
}

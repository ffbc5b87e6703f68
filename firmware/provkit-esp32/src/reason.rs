//! esp-radio's disconnect reasons mapped onto provkit's [`DisconnectReason`].
//!
//! Two steps, so the interesting part is testable on the host:
//! 1. (chip only) [`esp_reason_code`]: esp-radio's `DisconnectReason` enum back to ESP-IDF's
//!    numeric `wifi_err_reason_t` (esp-radio does not expose the number, and the numbers are
//!    what the provisioning spec and the reference's behaviour are written against);
//! 2. [`classify`]: the number to provkit's reason, exactly like `wifi_prov_mgr` (spec §6.3:
//!    202/15/204/14 → auth failed, 201 → not found, everything else raw) through
//!    [`DisconnectReason::from_esp_reason`], plus one refinement the reference cannot express:
//!    an "other" reason arriving after the link was up is [`DisconnectReason::ConnectionLost`]
//!    (beacon loss, AP deauth), not a failed attempt.

use provkit_hal::DisconnectReason;

/// `WIFI_REASON_*` numbers this module names (ESP-IDF `esp_wifi_types.h`).
pub mod code {
    /// Unspecified.
    pub const UNSPECIFIED: u16 = 1;
    /// MIC failure (wrong key during the group handshake).
    pub const MIC_FAILURE: u16 = 14;
    /// 4-way handshake timeout (usually a wrong passphrase).
    pub const FOUR_WAY_HANDSHAKE_TIMEOUT: u16 = 15;
    /// Beacon timeout: the AP vanished.
    pub const BEACON_TIMEOUT: u16 = 200;
    /// No AP with the SSID found.
    pub const NO_AP_FOUND: u16 = 201;
    /// Authentication failed.
    pub const AUTH_FAIL: u16 = 202;
    /// Association failed.
    pub const ASSOC_FAIL: u16 = 203;
    /// Handshake timeout.
    pub const HANDSHAKE_TIMEOUT: u16 = 204;
    /// Connection failed.
    pub const CONNECTION_FAIL: u16 = 205;
}

/// Classifies an ESP-IDF reason code. `link_was_up` is whether the station had been
/// connected (so this is a lost link rather than a failed attempt).
pub fn classify(code: u16, link_was_up: bool) -> DisconnectReason {
    match DisconnectReason::from_esp_reason(code) {
        DisconnectReason::Other(_) if link_was_up => DisconnectReason::ConnectionLost,
        reason => reason,
    }
}

/// ESP-IDF's number for an esp-radio disconnect reason (the inverse of esp-radio's private
/// `DisconnectReason::from_raw`). esp-radio folds unknown numbers into `Unspecified`, so
/// they come back as 1.
#[cfg(feature = "chip")]
pub fn esp_reason_code(reason: esp_radio::wifi::DisconnectReason) -> u16 {
    use esp_radio::wifi::DisconnectReason as R;
    match reason {
        R::Unspecified => 1,
        R::AuthenticationExpired => 2,
        R::AuthenticationLeave => 3,
        R::DisassociatedDueToInactivity => 4,
        R::AssociationTooMany => 5,
        R::Class2FrameFromNonAuthenticatedStation => 6,
        R::Class3FrameFromNonAssociatedStation => 7,
        R::AssociationLeave => 8,
        R::AssociationNotAuthenticated => 9,
        R::DisassociatedPowerCapabilityBad => 10,
        R::DisassociatedUnsupportedChannel => 11,
        R::BssTransitionDisassociated => 12,
        R::IeInvalid => 13,
        R::MicFailure => 14,
        R::FourWayHandshakeTimeout => 15,
        R::GroupKeyUpdateTimeout => 16,
        R::IeIn4wayDiffers => 17,
        R::GroupCipherInvalid => 18,
        R::PairwiseCipherInvalid => 19,
        R::AkmpInvalid => 20,
        R::UnsupportedRsnIeVersion => 21,
        R::InvalidRsnIeCapabilities => 22,
        R::_802_1xAuthenticationFailed => 23,
        R::CipherSuiteRejected => 24,
        R::TdlsPeerUnreachable => 25,
        R::TdlsUnspecified => 26,
        R::SspRequestedDisassociation => 27,
        R::NoSspRoamingAgreement => 28,
        R::BadCipherOrAkm => 29,
        R::NotAuthorizedThisLocation => 30,
        R::ServiceChangePercludesTs => 31,
        R::UnspecifiedQos => 32,
        R::NotEnoughBandwidth => 33,
        R::MissingAcks => 34,
        R::ExceededTxOp => 35,
        R::StationLeaving => 36,
        R::EndBlockAck => 37,
        R::UnknownBlockAck => 38,
        R::Timeout => 39,
        R::PeerInitiated => 46,
        R::AccessPointInitiatedDisassociation => 47,
        R::InvalidFtActionFrameCount => 48,
        R::InvalidPmkid => 49,
        R::InvalidMde => 50,
        R::InvalidFte => 51,
        R::TransmissionLinkEstablishmentFailed => 67,
        R::AlterativeChannelOccupied => 68,
        R::BeaconTimeout => 200,
        R::NoAccessPointFound => 201,
        R::AuthenticationFailed => 202,
        R::AssociationFailed => 203,
        R::HandshakeTimeout => 204,
        R::ConnectionFailed => 205,
        R::AccessPointTsfReset => 206,
        R::Roaming => 207,
        R::AssociationComebackTimeTooLong => 208,
        R::SaQueryTimeout => 209,
        R::NoAccessPointFoundWithCompatibleSecurity => 210,
        R::NoAccessPointFoundInAuthmodeThreshold => 211,
        R::NoAccessPointFoundInRssiThreshold => 212,
        // A variant added by a newer esp-radio: unknown to this table, like an unknown number.
        _ => code::UNSPECIFIED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passphrase_reasons_are_auth_failures_before_and_after_link_up() {
        for c in [
            code::AUTH_FAIL,
            code::FOUR_WAY_HANDSHAKE_TIMEOUT,
            code::HANDSHAKE_TIMEOUT,
            code::MIC_FAILURE,
        ] {
            assert_eq!(classify(c, false), DisconnectReason::AuthFailed, "code {c}");
            assert_eq!(classify(c, true), DisconnectReason::AuthFailed, "code {c}");
        }
    }

    #[test]
    fn missing_ap_is_not_found() {
        assert_eq!(
            classify(code::NO_AP_FOUND, false),
            DisconnectReason::NetworkNotFound
        );
    }

    #[test]
    fn other_reasons_stay_raw_during_an_attempt_like_the_reference() {
        // 205 CONNECTION_FAIL and the newer 210..212 are "other" in wifi_prov_mgr (spec §6.3).
        for c in [code::CONNECTION_FAIL, code::ASSOC_FAIL, 2, 210, 211, 212] {
            assert_eq!(classify(c, false), DisconnectReason::Other(c));
        }
    }

    #[test]
    fn other_reasons_after_link_up_are_a_lost_connection() {
        assert_eq!(
            classify(code::BEACON_TIMEOUT, true),
            DisconnectReason::ConnectionLost
        );
        assert_eq!(classify(8, true), DisconnectReason::ConnectionLost);
    }
}

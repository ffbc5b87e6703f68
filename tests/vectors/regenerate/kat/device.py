"""The device side of the vectors: a small model of an ESP-IDF provisioning device.

Written for this generator from the protocol as ESP-IDF's device code implements it
(protocomm security0/1/2, esp_srp.c, protocomm_httpd, wifi_provisioning); it shares no
arithmetic with esp_prov's `srp6a.py` or `security*.py`, so esp_prov accepting its answers is a
check of both. Crypto is `hashlib`, Python integers and the `cryptography` package; messages are
built from the repository's proto/*.proto (see `kat.schema`), not with esp_prov's `*_pb2`.

Two choices of the model differ from the firmware on purpose, as the committed vectors record:
`SrpDevice(salt_in_proof="minimal")` hashes the salt without leading zero bytes (as esp_prov
does) and `a_length="any"` accepts an A shorter than 384 bytes. `salt_in_proof="raw"` with
`a_length="exactly_384"` is the firmware's behaviour (used for sec2-client-conventions.json).
"""

import hashlib
import re

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from . import pbjson, schema

proto = schema.esp_idf()

# RFC 5054 group 3072 (the RFC 3526 MODP prime), generator 5: what esp_srp.c uses.
N_3072 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 5
N_LEN = 384

SessionData = proto.session_pb2.SessionData


class DeviceRejects(Exception):
    """The device refuses a message (ESP-IDF: the handler fails and the socket is closed)."""

    def __init__(self, stage, reason):
        super().__init__(f"{stage} rejected: {reason}")
        self.stage = stage
        self.reason = reason


def sha512(*parts):
    h = hashlib.sha512()
    for part in parts:
        h.update(part)
    return h.digest()


def minimal(n):
    """Big-endian bytes without leading zeros (esp_mpi_to_bin)."""
    return n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")


def pad(data, width=N_LEN):
    return bytes(width - len(data)) + data


def strip_zeros(data):
    return data.lstrip(b"\x00")


def k_multiplier():
    return int.from_bytes(sha512(minimal(N_3072), pad(minimal(G))), "big")


def hn_xor_hg():
    hn, hg = sha512(minimal(N_3072)), sha512(pad(minimal(G)))
    return bytes(x ^ y for x, y in zip(hn, hg))


# ---------------------------------------------------------------------------- security 0


def sec0_response(request):
    """security0.c: any S0 command gets msg S0_Session_Response, sr{status Success}."""
    cmd = SessionData()
    cmd.ParseFromString(request)
    if cmd.sec_ver != proto.session_pb2.SecScheme0:
        raise DeviceRejects("SessionCmd", "wrong security scheme")
    resp = SessionData()
    resp.sec_ver = proto.session_pb2.SecScheme0
    resp.sec0.msg = proto.sec0_pb2.S0_Session_Response
    resp.sec0.sr.status = proto.constants_pb2.Success
    return resp.SerializeToString()


class PlainChannel:
    """Security 0: application messages are not encrypted."""

    position = None

    def decrypt(self, data):
        return data

    def encrypt(self, data):
        return data


# ---------------------------------------------------------------------------- security 1


class Sec1Device:
    """security1.c: X25519, key = shared secret XOR SHA-256(PoP), one AES-256-CTR stream."""

    def __init__(self, private_key, device_random, pop):
        self.private = X25519PrivateKey.from_private_bytes(private_key)
        self.public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.random = device_random
        self.pop = pop
        self.position = 0

    def response0(self, request):
        cmd = SessionData()
        cmd.ParseFromString(request)
        if cmd.sec_ver != proto.session_pb2.SecScheme1:
            raise DeviceRejects("SessionCmd0", "wrong security scheme")
        self.client_public = bytes(cmd.sec1.sc0.client_pubkey)
        self.shared = self.private.exchange(X25519PublicKey.from_public_bytes(self.client_public))
        if self.pop:
            digest = hashlib.sha256(self.pop).digest()
            self.key = bytes(x ^ y for x, y in zip(self.shared, digest))
        else:
            self.key = self.shared
        self._ctr = Cipher(algorithms.AES(self.key), modes.CTR(self.random)).encryptor()
        resp = SessionData()
        resp.sec_ver = proto.session_pb2.SecScheme1
        resp.sec1.msg = proto.sec1_pb2.Session_Response0
        resp.sec1.sr0.status = proto.constants_pb2.Success
        resp.sec1.sr0.device_pubkey = self.public
        resp.sec1.sr0.device_random = self.random
        return resp.SerializeToString()

    def response1(self, request, check=True):
        cmd = SessionData()
        cmd.ParseFromString(request)
        self.received_verify = bytes(cmd.sec1.sc1.client_verify_data)
        self.decrypted_verify = self._update(self.received_verify)
        if check and self.decrypted_verify != self.public:
            raise DeviceRejects("SessionCmd1", "client_verify_data does not decrypt to the device public key")
        resp = SessionData()
        resp.sec_ver = proto.session_pb2.SecScheme1
        resp.sec1.msg = proto.sec1_pb2.Session_Response1
        resp.sec1.sr1.status = proto.constants_pb2.Success
        resp.sec1.sr1.device_verify_data = self._update(self.client_public)
        return resp.SerializeToString()

    def _update(self, data):
        # One counter stream for both directions, as mbedtls_aes_crypt_ctr on one context.
        self.position += len(data)
        return self._ctr.update(data)

    decrypt = encrypt = _update


# ---------------------------------------------------------------------------- security 2


class SrpDevice:
    """esp_srp.c's server side of SRP6a (RFC 5054 group 3072, g = 5, SHA-512).

    salt_in_proof: "raw" hashes the stored salt bytes into M (firmware), "minimal" drops
    leading zero bytes first (what esp_prov does on its side).
    a_length: "exactly_384" rejects any other client_pubkey length (firmware), "any" accepts
    it and hashes the received bytes. `hash_a_padded` hashes A left-padded to 384 bytes in M
    and H_AMK (what a firmware would do with those bytes if it accepted them).
    """

    def __init__(self, username, salt, verifier, b, salt_in_proof="raw", a_length="exactly_384",
                 hash_a_padded=False):
        self.username = username
        self.salt = salt
        self.v = int.from_bytes(verifier, "big")
        self.b = int.from_bytes(b, "big")
        self.salt_in_proof = salt_in_proof
        self.a_length = a_length
        self.hash_a_padded = hash_a_padded
        self.k = k_multiplier()
        self.B = (self.k * self.v + pow(G, self.b, N_3072)) % N_3072
        self.B_bytes = minimal(self.B)

    def challenge(self, a_bytes):
        if self.a_length == "exactly_384" and len(a_bytes) != N_LEN:
            raise DeviceRejects("SessionCmd0",
                                "client_pubkey.len != PUBLIC_KEY_LEN (384) ('Invalid public key length')")
        A = int.from_bytes(a_bytes, "big")
        self.A_hashed = pad(a_bytes) if self.hash_a_padded else a_bytes
        self.u = int.from_bytes(sha512(pad(a_bytes), pad(self.B_bytes)), "big")
        self.S = pow(A * pow(self.v, self.u, N_3072) % N_3072, self.b, N_3072)
        self.S_bytes = minimal(self.S)
        self.K = sha512(self.S_bytes)
        self.M = self.proof(self.A_hashed, self.B_bytes, self.K)
        self.H_AMK = sha512(self.A_hashed, self.M, self.K)
        return self.B_bytes

    def proof(self, a_hashed, b_hashed, key, salt=None):
        if salt is None:
            salt = self.salt if self.salt_in_proof == "raw" else strip_zeros(self.salt)
        return sha512(hn_xor_hg(), sha512(self.username), salt, a_hashed, b_hashed, key)

    def verify(self, client_proof):
        if self.a_length == "exactly_384" and len(client_proof) != 64:
            raise DeviceRejects("SessionCmd1", "client_proof.len != CLIENT_PROOF_LEN (64) "
                                               "('The client proof length does not match')")
        if client_proof != self.M:
            raise DeviceRejects("SessionCmd1", "client proof != M ('Failed to authenticate client proof!')")
        return self.H_AMK


class GcmChannel:
    """security2.c after the handshake: AES-256-GCM with K[0:32]; with patch 1 the last four
    nonce bytes count up after every encrypt and every decrypt."""

    def __init__(self, key, nonce, patch_ver):
        self.aead = AESGCM(key)
        self.nonce = bytearray(nonce)
        self.patch_ver = patch_ver

    @property
    def position(self):
        return bytes(self.nonce)

    def _step(self):
        if self.patch_ver == 1:
            counter = int.from_bytes(self.nonce[-4:], "big") + 1
            self.nonce[-4:] = counter.to_bytes(4, "big")

    def decrypt(self, data):
        out = self.aead.decrypt(bytes(self.nonce), data, None)
        self._step()
        return out

    def encrypt(self, data):
        out = self.aead.encrypt(bytes(self.nonce), data, None)
        self._step()
        return out


class Sec2Device:
    """security2.c's handshake around SrpDevice; `channel()` is the session cipher."""

    def __init__(self, srp, nonce, patch_ver):
        self.srp = srp
        self.nonce = nonce
        self.patch_ver = patch_ver

    def response0(self, request):
        cmd = SessionData()
        cmd.ParseFromString(request)
        if cmd.sec_ver != proto.session_pb2.SecScheme2:
            raise DeviceRejects("SessionCmd0", "wrong security scheme")
        self.client_username = bytes(cmd.sec2.sc0.client_username)
        if self.client_username != self.srp.username:
            raise DeviceRejects("SessionCmd0", "unknown username")
        self.client_pubkey = bytes(cmd.sec2.sc0.client_pubkey)
        device_pubkey = self.srp.challenge(self.client_pubkey)
        resp = SessionData()
        resp.sec_ver = proto.session_pb2.SecScheme2
        resp.sec2.msg = proto.sec2_pb2.S2Session_Response0
        resp.sec2.sr0.status = proto.constants_pb2.Success
        resp.sec2.sr0.device_pubkey = device_pubkey
        resp.sec2.sr0.device_salt = self.srp.salt
        return resp.SerializeToString()

    def response1(self, request):
        cmd = SessionData()
        cmd.ParseFromString(request)
        self.client_proof = bytes(cmd.sec2.sc1.client_proof)
        device_proof = self.srp.verify(self.client_proof)
        resp = SessionData()
        resp.sec_ver = proto.session_pb2.SecScheme2
        resp.sec2.msg = proto.sec2_pb2.S2Session_Response1
        resp.sec2.sr1.status = proto.constants_pb2.Success
        resp.sec2.sr1.device_proof = device_proof
        resp.sec2.sr1.device_nonce = self.nonce
        return resp.SerializeToString()

    def channel(self):
        return GcmChannel(self.srp.K[:32], self.nonce, self.patch_ver)


# ----------------------------------------------------------------- wifi_provisioning endpoints

ENDPOINT_MESSAGES = {
    "prov-scan": proto.wifi_scan_pb2.WiFiScanPayload,
    "prov-config": proto.wifi_config_pb2.WiFiConfigPayload,
    "prov-ctrl": proto.wifi_ctrl_pb2.WiFiCtrlPayload,
}

# The radio environment the recorded device ran in: the access points its scan finds
# (ssid, channel, rssi, bssid, auth) and the address it gets once connected.
SIMULATED_ACCESS_POINTS = [
    {"ssid": "myssid", "channel": 6, "rssi": -42, "bssid": "24a16011ee01", "auth": 3},
    {"ssid": "Guest Net", "channel": 11, "rssi": -67, "bssid": "f0b4d2a0c3de", "auth": 0},
    {"ssid": "office-5", "channel": 1, "rssi": -80, "bssid": "a0ab1b0c0d0e", "auth": 7},
]
SIMULATED_DHCP_ADDRESS = "192.168.1.42"
CUSTOM_DATA_REPLY = b"SUCCESS"  # the wifi_prov_mgr example's custom-data handler


def decode_message(endpoint, data):
    if endpoint == "custom-data":
        return {"raw_ascii": data.decode("ascii")}
    return pbjson.decode(ENDPOINT_MESSAGES[endpoint], data)


_STATUS = re.compile(r"^(connecting|connected|attempt_failed\(attempts_remaining=(\d+)\))$")


class WifiProvHandlers:
    """wifi_prov_mgr's prov-scan, prov-config, prov-ctrl and custom-data handlers, with the
    GetStatus answers scripted by `status_sequence` (the transcripts' `get_status_sequence`)."""

    def __init__(self, status_sequence=(), access_points=None):
        self.status_sequence = list(status_sequence)
        self.access_points = access_points if access_points is not None else SIMULATED_ACCESS_POINTS
        self.ssid = None

    def handle(self, endpoint, request):
        if endpoint == "custom-data":
            return CUSTOM_DATA_REPLY
        cmd = ENDPOINT_MESSAGES[endpoint]()
        cmd.ParseFromString(request)
        handler = getattr(self, "_" + endpoint.replace("-", "_"))
        return pbjson.encode(ENDPOINT_MESSAGES[endpoint], handler(cmd))

    def _prov_scan(self, cmd):
        kind = proto.wifi_scan_pb2
        if cmd.msg == kind.TypeCmdScanStart:
            return {"msg": "TypeRespScanStart", "resp_scan_start": {}}
        if cmd.msg == kind.TypeCmdScanStatus:
            status = {"scan_finished": True, "result_count": len(self.access_points)}
            return {"msg": "TypeRespScanStatus", "resp_scan_status": status}
        if cmd.msg == kind.TypeCmdScanResult:
            first = cmd.cmd_scan_result.start_index
            chosen = self.access_points[first:first + cmd.cmd_scan_result.count]
            entries = [self._entry(ap) for ap in chosen]
            return {"msg": "TypeRespScanResult", "resp_scan_result": {"entries": entries}}
        raise DeviceRejects("prov-scan", f"unexpected msg {cmd.msg}")

    @staticmethod
    def _entry(ap):
        entry = {"ssid": ap["ssid"].encode().hex(), "channel": ap["channel"], "rssi": ap["rssi"],
                 "bssid": ap["bssid"]}
        if ap["auth"]:
            entry["auth"] = proto.wifi_constants_pb2.WifiAuthMode.Name(ap["auth"])
        return entry

    def _prov_config(self, cmd):
        kind = proto.wifi_config_pb2
        if cmd.msg == kind.TypeCmdSetConfig:
            self.ssid = bytes(cmd.cmd_set_config.ssid).decode("latin-1")
            return {"msg": "TypeRespSetConfig", "resp_set_config": {}}
        if cmd.msg == kind.TypeCmdApplyConfig:
            return {"msg": "TypeRespApplyConfig", "resp_apply_config": {}}
        if cmd.msg == kind.TypeCmdGetStatus:
            return {"msg": "TypeRespGetStatus", "resp_get_status": self._status()}
        raise DeviceRejects("prov-config", f"unexpected msg {cmd.msg}")

    def _status(self):
        if not self.status_sequence:
            raise DeviceRejects("prov-config", "more GetStatus requests than scripted answers")
        match = _STATUS.match(self.status_sequence.pop(0))
        if match is None:
            raise ValueError("unknown get_status_sequence entry")
        if match.group(1) == "connecting":
            return {"sta_state": "Connecting"}
        if match.group(2) is not None:
            return {"sta_state": "Connecting",
                    "attempt_failed": {"attempts_remaining": int(match.group(2))}}
        ap = next(ap for ap in self.access_points if ap["ssid"] == self.ssid)
        connected = {"ip4_addr": SIMULATED_DHCP_ADDRESS}
        if ap["auth"]:
            connected["auth_mode"] = proto.wifi_constants_pb2.WifiAuthMode.Name(ap["auth"])
        connected.update({"ssid": ap["ssid"].encode().hex(), "bssid": ap["bssid"],
                          "channel": ap["channel"]})
        return {"connected": connected}

    def _prov_ctrl(self, cmd):
        kind = proto.wifi_ctrl_pb2
        if cmd.msg == kind.TypeCmdCtrlReset:
            return {"msg": "TypeRespCtrlReset", "resp_ctrl_reset": {}}
        if cmd.msg == kind.TypeCmdCtrlReprov:
            return {"msg": "TypeRespCtrlReprov", "resp_ctrl_reprov": {}}
        raise DeviceRejects("prov-ctrl", f"unexpected msg {cmd.msg}")

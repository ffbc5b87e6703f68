"""Espressif's esp_prov security 2 client, driven one JSON line at a time over stdin/stdout.

The sec2 conventions sweep (crates/provkit-client/examples/sec2_sweep.rs, run by
`cargo xtask interop`) starts this once and runs hundreds of handshakes through it against
provkit's device, instead of one esp_prov command line per credential pair. It uses esp_prov's
own `Security2` and `srp6a` modules from the PyPI package esp-rainmaker-cli 1.14.1, unchanged;
only its random functions are replaced while a request names the value they must return.

Requests and answers (bytes as lowercase hex):

  {"op": "gen", "user", "pw", "urandom"}  -> {"salt", "verifier"}   generate_salt_and_verifier
  {"op": "cmd0", "user", "pw", "patch", ["a"]}
                                          -> {"body", "a_len"}      SessionCmd0 (a new session)
  {"op": "resp0", "body"}                 -> {"body"}               SessionCmd1
  {"op": "resp1", "body"}                 -> {"ok": true} or {"error"}
  {"op": "encrypt" | "decrypt", "data"}   -> {"data"}
  {"op": "quit"}                          -> {"cpu_seconds"}         and exits

With "a", esp_prov's random draw of the session's secret returns that value (the driver picks
one whose A = 5^a mod N has a leading zero byte, so esp_prov sends a 383-byte client_pubkey,
which it does about once in 256 sessions anyway).

Run it from a directory without a `proto/` subdirectory (see run_esp_prov.py).
"""

import json
import sys
import time

from rmaker_tools.common.security import security2, srp6a

_random = srp6a.get_random
_random_of_length = srp6a.get_random_of_length


def main() -> None:
    session = None
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        answer = {}
        try:
            if op == "gen":
                urandom = bytes.fromhex(request["urandom"])
                srp6a.get_random = lambda nbytes: srp6a.bytes_to_long(urandom[:nbytes])
                try:
                    salt, verifier = srp6a.generate_salt_and_verifier(
                        request["user"], request["pw"], len(urandom)
                    )
                finally:
                    srp6a.get_random = _random
                answer = {"salt": salt.hex(), "verifier": verifier.hex()}
            elif op == "cmd0":
                session = security2.Security2(
                    request["patch"], request["user"], request["pw"], False
                )
                if request.get("a"):
                    forced = int(request["a"], 16)
                    srp6a.get_random_of_length = lambda nbytes: forced
                try:
                    body = session.security_session(None)
                finally:
                    srp6a.get_random_of_length = _random_of_length
                pubkey = srp6a.long_to_bytes(session.srp6a_ctx.A)
                answer = {"body": body.encode("latin-1").hex(), "a_len": len(pubkey)}
            elif op == "resp0":
                body = session.security_session(bytes.fromhex(request["body"]).decode("latin-1"))
                answer = {"body": body.encode("latin-1").hex()}
            elif op == "resp1":
                session.security_session(bytes.fromhex(request["body"]).decode("latin-1"))
                answer = {"ok": True}
            elif op == "encrypt":
                answer = {"data": session.encrypt_data(bytes.fromhex(request["data"])).hex()}
            elif op == "decrypt":
                answer = {"data": session.decrypt_data(bytes.fromhex(request["data"])).hex()}
            elif op == "quit":
                sys.stdout.write(json.dumps({"cpu_seconds": time.process_time()}) + "\n")
                sys.stdout.flush()
                return
            else:
                answer = {"error": f"unknown op {op!r}"}
        except Exception as error:  # every failure goes back to the driver, which judges it
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Regenerates the known-answer vectors from Espressif's esp_prov (PyPI esp-rainmaker-cli).

    python regenerate.py --from DIR --out DIR [--manifest FILE] [--list-carried]

Reads each vector file from --from (the committed copy, tests/vectors), recomputes every value
it can with esp_prov and the device model in `kat/`, and writes the result to --out in the
committed formatting. It prints, per file, how many values were recomputed, adapted, and carried
over as input or unused (see kat/ledger.py and tests/vectors/README.md); --list-carried also
lists the paths of all but the recomputed ones. --manifest writes every value's path and kind
as JSON, from which `cargo xtask vectors --self-test` picks the values it corrupts.

Run it with the venv of `cargo xtask pyenv`, from a directory without a `proto/` subdirectory
(esp_prov imports a top-level module named `proto`); `cargo xtask vectors` does both.
"""

import sys

sys.dont_write_bytecode = True  # keep the source tree clean

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402

from kat import client, ledger, tracked  # noqa: E402
from kat import gen_conventions, gen_messages, gen_sec1, gen_sec2, gen_transcripts, gen_verifier  # noqa: E402

# file -> (generator, json.dumps keyword arguments, trailing newline), as committed.
FILES = {
    "messages.json": (gen_messages.generate, {"indent": 2, "ensure_ascii": True}, True),
    "sec1.json": (gen_sec1.generate, {"indent": 2, "ensure_ascii": True}, True),
    "sec2_patch1.json": (gen_sec2.generate, {"indent": 2, "ensure_ascii": True}, True),
    "sec2_patch0.json": (gen_sec2.generate, {"indent": 2, "ensure_ascii": True}, True),
    "sec2_verifier.json": (gen_verifier.generate, {"indent": 2, "ensure_ascii": False}, True),
    "sec2-client-conventions.json": (gen_conventions.generate, {"indent": 1, "ensure_ascii": True}, False),
    "transcripts/sec0_auto.json": (gen_transcripts.generate, {"indent": 2, "ensure_ascii": True}, True),
    "transcripts/sec1_pop.json": (gen_transcripts.generate, {"indent": 2, "ensure_ascii": True}, True),
    "transcripts/sec2_patch1_scan.json": (gen_transcripts.generate, {"indent": 2, "ensure_ascii": True}, True),
    "transcripts/sec2_patch0_legacy_reset.json": (gen_transcripts.generate, {"indent": 2, "ensure_ascii": True}, True),
}


def regenerate(src_dir, name):
    generate, _, _ = FILES[name]
    runs = []
    for esp_idf in (False, True):
        doc = tracked.load(os.path.join(src_dir, name))
        run = ledger.Ledger(doc)
        if esp_idf:
            with client.as_esp_idf():
                generate(doc, run)
        else:
            generate(doc, run)
        runs.append(run)
    return runs[1].doc, ledger.classify(*runs)


def serialize(name, doc):
    _, dump_args, newline = FILES[name]
    return json.dumps(doc, **dump_args) + ("\n" if newline else "")


def _summary(name, counts):
    carried = counts[ledger.INPUT] + counts[ledger.UNUSED]
    return (f"{name:42} recomputed {counts[ledger.RECOMPUTED]:4}  adapted {counts[ledger.ADAPTED]:3}  "
            f"carried {carried:4} (input {counts[ledger.INPUT]:4}, unused {counts[ledger.UNUSED]:4})")


def _pattern(path):
    return re.sub(r"\[\d+\]", "[*]", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--from", dest="src", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--manifest")
    parser.add_argument("--list-carried", action="store_true")
    parser.add_argument("--only", action="append", help="regenerate only this file (repeatable)")
    args = parser.parse_args()

    manifest = {}
    totals = collections.Counter()
    for name in FILES:
        if args.only and name not in args.only:
            continue
        doc, kinds = regenerate(args.src, name)
        target = os.path.join(args.out, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(serialize(name, doc))
        counts = collections.Counter(kind for _, kind in kinds)
        totals.update(counts)
        manifest[name] = kinds
        print(_summary(name, counts))
        if args.list_carried:
            for kind in (ledger.ADAPTED, ledger.INPUT, ledger.UNUSED):
                groups = collections.Counter(_pattern(p) for p, k in kinds if k == kind)
                for pattern, n in groups.items():
                    print(f"    {kind:8} {n:4}  {pattern}")
    print(_summary("total", totals))
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as fh:
            json.dump({name: [[p, k] for p, k in kinds] for name, kinds in manifest.items()}, fh)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Confirm every ivconform golden vector with an implementation that is not ours.

Usage: confirm_vectors.py VECTORS_DIR

Checks hmac_sha256.json, sign.json, payload.json, verify.json and jwt.json in VECTORS_DIR twice over:

1. with ``python/ivrules.py`` (Python's standard library, written from SPEC.md): every HMAC tag, every
   ``expected`` object, every ``expected_mac_hex``, ``expected_signature_hex`` and ``parsed`` result, every
   signed token byte for byte, plus ``number_of_cases`` and case ids unique across all files;
2. with the ``openssl`` CLI: every HMAC tag, every signed ``user_hash``, every ``expected_mac_hex``, every
   ``expected_signature_hex`` and every signed token's signature.

Exit status: 0 when everything agrees (and each file had at least one case), 1 on any disagreement,
2 on a usage or file error (missing file, bad JSON, no openssl).
"""

from __future__ import annotations

import hmac
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent / "python"))

import ivrules  # noqa: E402

FILES = ("hmac_sha256.json", "sign.json", "payload.json", "verify.json", "jwt.json")
HMAC_BLOCK_BYTES = 64  # SHA-256's block size: RFC 2104 zero-pads shorter keys to it


class FileError(Exception):
    """A vector file that cannot be checked at all (exit status 2)."""


@dataclass
class MacCheck:
    """One HMAC to recompute with openssl: ``expected_hex`` must be a prefix of HMAC(key, message)."""

    case_id: str
    field: str
    key: bytes
    message: bytes
    expected_hex: str


@dataclass
class FileReport:
    """What happened to one file's cases."""

    name: str
    cases: int = 0
    by_python: set = field(default_factory=set)
    by_openssl: set = field(default_factory=set)
    openssl_failed: set = field(default_factory=set)


class Checker:
    """Collects disagreements as ``(case id, field, expected, computed)``."""

    def __init__(self) -> None:
        self.disagreements: list[tuple[str, str, object, object]] = []

    def same(self, case_id: str, field_name: str, expected: object, computed: object) -> bool:
        """Compare as JSON values (so ``true`` is not ``1`` and ``1`` is not ``1.0``); record each differing
        leaf under its dotted path, e.g. ``expected.user_hash``."""
        found = list(differences(field_name, expected, computed))
        self.disagreements.extend((case_id, path, e, c) for path, e, c in found)
        return not found


def differences(path: str, expected: object, computed: object):
    """Yield ``(path, expected, computed)`` for each place two JSON values differ: objects with the same keys
    are compared member by member (``expected.user_hash``), anything else as a whole."""
    if isinstance(expected, dict) and isinstance(computed, dict) and expected.keys() == computed.keys():
        for key in expected:
            yield from differences(f"{path}.{key}", expected[key], computed[key])
    elif canonical(expected) != canonical(computed):
        yield path, expected, computed


def canonical(value: object) -> str:
    """A JSON text that is equal for equal JSON values."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def shown(value: object, limit: int = 400) -> str:
    """A JSON value for a report line, shortened when huge (payloads can be 64 KiB)."""
    text = canonical(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def load(directory: Path, name: str) -> dict:
    """Read one vector file, or raise ``FileError``."""
    path = directory / name
    try:
        document = json.loads(path.read_bytes())
    except OSError as e:
        raise FileError(f"{path}: cannot read: {e.strerror}") from None
    except ValueError as e:
        raise FileError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise FileError(f"{path}: not a vector file (no 'cases' list)")
    if not all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in document["cases"]):
        raise FileError(f"{path}: every case must be an object with a string 'id'")
    return document


def case_bytes(case: dict, name: str) -> bytes:
    """The bytes of field ``name``: ``name`` is text (UTF-8), ``name_hex`` is hex (either case)."""
    if name in case:
        return case[name].encode("utf-8")
    return bytes.fromhex(case[f"{name}_hex"])


def check_hmac(case: dict, checker: Checker, macs: list[MacCheck]) -> None:
    """hmac_sha256.json: the tag, compared on its ``tag_bits`` prefix."""
    cid, key, message = case["id"], bytes.fromhex(case["key_hex"]), bytes.fromhex(case["msg_hex"])
    tag_hex, bits = case["tag_hex"].lower(), case["tag_bits"]
    checker.same(cid, "tag_bits (4 x hex digits of tag_hex)", bits, len(tag_hex) * 4)
    computed = ivrules.hmac_sha256(key, message).hex()
    checker.same(cid, "tag_hex", tag_hex, computed[: len(tag_hex)])
    macs.append(MacCheck(cid, "tag_hex", key, message, tag_hex))


def check_sign(case: dict, checker: Checker, macs: list[MacCheck]) -> None:
    """sign.json: the whole ``expected`` object."""
    secret = case_bytes(case, "secret")
    fields = {k: case[k] for k in ("user_id", "email") if k in case}
    expected = case["expected"]
    checker.same(case["id"], "expected", expected, ivrules.sign(secret, fields))
    if expected.get("result") == "hash":
        message = bytes.fromhex(expected["message_hex"])
        macs.append(MacCheck(case["id"], "expected.user_hash", secret, message, expected["user_hash"]))


def check_verifier(case: dict, configs: dict, checker: Checker, macs: list[MacCheck], with_parsed: bool) -> None:
    """payload.json / verify.json: ``expected``, ``expected_mac_hex`` and (payload.json) ``parsed``."""
    cid, platform = case["id"], case["platform"]
    config = configs[case["config"]]
    raw = case_bytes(case, "payload")
    expected = case["expected"]
    checker.same(cid, "expected", expected, ivrules.expectation(config, platform, raw, case.get("now")))

    signing = ivrules.signing_input(config, platform, raw)
    computed_signature = ivrules.hmac_sha256(*signing).hex() if signing else None
    checker.same(cid, "expected_signature_hex", case.get("expected_signature_hex"), computed_signature)
    if "expected_signature_hex" in case and signing is not None:
        macs.append(MacCheck(cid, "expected_signature_hex", signing[0], signing[1], case["expected_signature_hex"]))

    mac = ivrules.expected_mac(config, platform, raw)
    checker.same(cid, "expected_mac_hex", case.get("expected_mac_hex"), mac.hex() if mac else None)
    if "expected_mac_hex" in case and mac is not None:
        # openssl recomputes the tag from the platform secret and the identifier's bytes: the vector's own
        # message_hex when the decision names the identifier, else the one S2 selects.
        payload = ivrules.parse_payload(raw)
        secret, _ = ivrules.platform_settings(config, payload.app_id, platform)
        if "identifier" in expected:
            message = bytes.fromhex(expected["identifier"]["message_hex"])
        else:
            message = ivrules.select_identifier(payload.identifiers())[1].encode("utf-8")
        macs.append(MacCheck(cid, "expected_mac_hex", secret, message, case["expected_mac_hex"]))

    if with_parsed and expected.get("result") == "accept":
        try:
            computed = ivrules.parse_payload(raw).as_parsed()
        except ivrules.MalformedPayload as e:
            computed = f"<malformed: {e}>"
        checker.same(cid, "parsed", case.get("parsed"), computed)


def check_jwt(case: dict, configs: dict, checker: Checker, macs: list[MacCheck]) -> None:
    """jwt.json: a verify case like verify.json's (with ``now``; a time inside J2's leeway window expects
    ``either``), or a sign case: the whole ``expected``, the example token byte for byte, that it means the
    claims asked for (J5, checked with the independent verifier), and (openssl) its signature."""
    if case["kind"] == "verify":
        check_verifier(case, configs, checker, macs, with_parsed=False)
        return
    if case["kind"] != "sign":
        checker.same(case["id"], "kind", "verify or sign", case["kind"])
        return
    secret = case_bytes(case, "secret")
    expected = case["expected"]
    checker.same(case["id"], "expected", expected, ivrules.sign_jwt(secret, case["claims"]))
    if expected.get("result") == "token":
        token = expected["example_token"]
        checker.same(case["id"], "expected.example_token (J5 meaning)", [], ivrules.token_meaning(secret, case["claims"], token))
        signing = token.rsplit(".", 1)[0].encode("ascii")
        macs.append(MacCheck(case["id"], "expected.example_signature_hex", secret, signing,
                             expected["example_signature_hex"]))


def openssl_macs(macs: list[MacCheck]) -> dict[int, str]:
    """HMAC-SHA256 of every check with the openssl CLI, one process per distinct key: index -> hex tag.

    openssl refuses an empty ``hexkey``; RFC 2104 zero-pads a key to the 64-byte block, so an empty key is
    the same as 64 zero bytes. Keys longer than the block are hashed by openssl itself.
    """
    by_key: dict[bytes, list[int]] = {}
    for i, check in enumerate(macs):
        by_key.setdefault(check.key, []).append(i)
    tags: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="ivconform-openssl-") as tmp:
        for key, indexes in by_key.items():
            paths = []
            for i in indexes:
                path = Path(tmp) / f"{i}.msg"
                path.write_bytes(macs[i].message)
                paths.append(str(path))
            hexkey = (key or bytes(HMAC_BLOCK_BYTES)).hex()
            command = ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{hexkey}", "-r", *paths]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise FileError(f"openssl failed ({done.returncode}): {done.stderr.strip()}")
            for line in done.stdout.splitlines():
                tag, _, path = line.partition(" *")
                tags[int(Path(path).stem)] = tag.strip().lower()
    return tags


def main(argv: list[str]) -> int:
    """Check every file, print one line per file and each disagreement; return the exit status."""
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    directory = Path(argv[1])
    if shutil.which("openssl") is None:
        print("error: the openssl CLI is not on PATH; it is needed for the second confirmation", file=sys.stderr)
        return 2
    try:
        documents = {name: load(directory, name) for name in FILES}
    except FileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    checker = Checker()
    macs: list[MacCheck] = []
    reports = {name: FileReport(name) for name in FILES}
    case_file: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    for name, document in documents.items():
        cases = document["cases"]
        reports[name].cases = len(cases)
        checker.same(f"<{name}>", "number_of_cases", document.get("number_of_cases"), len(cases))
        for case in cases:
            cid = case["id"]
            if cid in seen_ids:
                checker.same(cid, "id (unique across files)", f"only in {seen_ids[cid]}", f"also in {name}")
            seen_ids.setdefault(cid, name)
            case_file[cid] = name
            before = len(checker.disagreements)
            try:
                if name == "hmac_sha256.json":
                    check_hmac(case, checker, macs)
                elif name == "sign.json":
                    check_sign(case, checker, macs)
                elif name == "jwt.json":
                    check_jwt(case, document.get("configs", {}), checker, macs)
                else:
                    configs = document.get("configs", {})
                    check_verifier(case, configs, checker, macs, with_parsed=(name == "payload.json"))
            except (AttributeError, KeyError, TypeError, ValueError) as e:
                checker.same(cid, "case", "a checkable case", f"{type(e).__name__}: {e}")
            if len(checker.disagreements) == before:
                reports[name].by_python.add(cid)

    try:
        tags = openssl_macs(macs)
    except (OSError, FileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for i, check in enumerate(macs):
        report = reports[case_file[check.case_id]]
        computed = tags.get(i, "<no output>")
        if hmac.compare_digest(computed[: len(check.expected_hex)], check.expected_hex.lower()):
            report.by_openssl.add(check.case_id)
        else:
            report.openssl_failed.add(check.case_id)
            checker.disagreements.append((check.case_id, f"{check.field} (openssl)", check.expected_hex, computed))

    for report in reports.values():
        by_openssl = report.by_openssl - report.openssl_failed
        print(f"{report.name}: {len(report.by_python)} cases confirmed by python, {len(by_openssl)} by openssl "
              f"({report.cases} in the file)")
    for cid, field_name, expected, computed in checker.disagreements:
        print(f"DISAGREE {cid}: {field_name}: expected {shown(expected)}, computed {shown(computed)}")
    empty = [r.name for r in reports.values() if not r.by_python]
    if checker.disagreements:
        print(f"FAILED: {len(checker.disagreements)} disagreement(s)")
        return 1
    if empty:
        print(f"FAILED: no case checked in {', '.join(empty)}")
        return 1
    print(f"OK: all {sum(r.cases for r in reports.values())} cases confirmed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

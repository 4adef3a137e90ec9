"""Intercom-style identity verification, written from ivconform's SPEC.md with Python's standard library only.

``user_hash = lowercase hex(HMAC-SHA256(secret, identifier))``. This module is an independent second
implementation of the rule book (signing S1-S5, boot payload P1-P6, verifying V1-V8); rule ids appear in the
comments. It is small on purpose, so that it can also serve as a template for an adapter.

Public API:

* ``select_identifier(fields)`` -> ``(source, text)`` or ``None``        (S2, S4, P3)
* ``sign(secret, fields)``      -> vector-shaped ``{"result": "hash" | "error", ...}``   (S1-S5)
* ``parse_payload(raw)``        -> ``Payload``, or raises ``MalformedPayload``          (P1-P6)
* ``verify(config, platform, raw, now=None)`` -> vector-shaped decision           (V1-V8, J1-J4)
* ``verify_jwt(secret, token, now, fields)`` -> the claims, or raises ``JwtReject``     (J1-J3)
* ``sign_jwt(secret, claims)``  -> vector-shaped ``{"result": "token" | "error", ...}``  (JWT mode)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1  # P3: beyond this JavaScript rounds integers
MAX_PAYLOAD_BYTES = 64 * 1024  # P6
MAX_DEPTH = 32  # P6: the outermost container is depth 1
MAX_IDENTIFIER_BYTES = 1024  # P6
PLATFORMS = ("web", "ios", "android")

_UTF8_BOM = b"\xef\xbb\xbf"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")  # V6, used with fullmatch (never bytes.fromhex's lenient parsing)
JWT_KEY = "intercom_user_jwt"  # J1: the payload key that carries the token
JWT_LEEWAY_SECONDS = 60  # J2: the leeway is the implementation's choice in 0-60 s; the widest, 60, here
_B64URL = re.compile(r"[A-Za-z0-9_-]+")  # J1/J2: the URL-safe alphabet, no padding, used with fullmatch


# --------------------------------------------------------------------------------------------------- signing


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """RFC 2104 HMAC with SHA-256 (S1)."""
    return hmac.new(key, message, hashlib.sha256).digest()


def _is_safe_integer(value: Any) -> bool:
    """True for a genuine ``int`` (never ``bool``, which subclasses ``int``) within +/-(2^53 - 1) (P3)."""
    return type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def _is_absent(value: Any) -> bool:
    """``None`` (missing or JSON ``null``) and ``""`` mean absent (P3)."""
    return value is None or (isinstance(value, str) and value == "")


def select_identifier(fields: dict) -> tuple[str, str] | None:
    """Return ``(source, text)`` for the identifier S2 selects, or ``None`` when neither is present.

    ``user_id`` wins when present: a non-empty string, or an integer within +/-(2^53 - 1) which is hashed as
    its canonical decimal (S4; ``0`` is present). Otherwise ``email`` when it is a non-empty string.
    A missing key, ``None`` and ``""`` are absent. Any other value (bool, float, out-of-range int, ...) is
    not a valid identifier at all, so it raises ``ValueError`` rather than being silently skipped.
    """
    user_id = fields.get("user_id")
    email = fields.get("email")
    if not (_is_absent(user_id) or isinstance(user_id, str) or _is_safe_integer(user_id)):
        raise ValueError(f"user_id must be a string or an integer within ±{MAX_SAFE_INTEGER}, got {user_id!r}")
    if not (_is_absent(email) or isinstance(email, str)):
        raise ValueError(f"email must be a string, got {email!r}")
    if not _is_absent(user_id):
        return "user_id", str(user_id)  # str(int) is the canonical decimal: 0 -> "0", -3 -> "-3"
    if not _is_absent(email):
        return "email", email
    return None


def sign(secret: bytes, fields: dict) -> dict:
    """Sign like a customer's server would (S1-S5), in the shape of ``sign.json``'s ``expected``.

    The secret is used as raw bytes (S5: a hex-looking secret is not decoded) and must not be empty.
    """
    if len(secret) == 0:  # S5, checked first
        return {"result": "error", "error": "empty_secret"}
    selected = select_identifier(fields)
    if selected is None:  # S2: never a hash of the empty string
        return {"result": "error", "error": "no_identifier"}
    source, text = selected
    message = text.encode("utf-8")  # S3: exactly as sent, no trimming, folding or normalisation
    return {
        "result": "hash",
        "identifier_source": source,
        "identifier": text,
        "message_hex": message.hex(),
        "user_hash": hmac_sha256(secret, message).hex(),  # bytes.hex() is lowercase (S1)
    }


# --------------------------------------------------------------------------------------------------- payload


class MalformedPayload(ValueError):
    """A boot payload that breaks P1-P6: the verifier rejects it as ``malformed_payload``."""

    def __init__(self, rule: str, reason: str):
        super().__init__(f"malformed_payload [{rule}]: {reason}")
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class RawNumber:
    """A JSON number Python would not keep exactly as an ``int``: written with a fraction or an exponent
    (``123.0``, ``1e2``), or with more digits than any safe integer. Kept as written (P3 tells them apart)."""

    lexeme: str

    def has_integer_syntax(self) -> bool:
        """True when written without fraction or exponent."""
        return not any(c in self.lexeme for c in ".eE")


@dataclass(frozen=True)
class Payload:
    """A boot payload that passed P1-P6. ``None`` stands for both a missing key and JSON ``null``."""

    app_id: str
    user_id: str | int | None
    email: str | None
    user_hash: str | None
    custom_keys: tuple[str, ...]
    jwt: str | None = None  # intercom_user_jwt when a non-empty string (J1); "" and null are absent

    def identifiers(self) -> dict:
        """The fields ``select_identifier`` looks at."""
        return {"user_id": self.user_id, "email": self.email}

    def as_parsed(self) -> dict:
        """The typed result in the shape of ``payload.json``'s ``parsed``."""
        return {
            "app_id": self.app_id,
            "user_id": self.user_id,
            "email": self.email,
            "user_hash": self.user_hash,
            "custom_keys": list(self.custom_keys),
        }


def _check_structure(text: str) -> None:
    """Scan the text outside strings before ``json.loads`` sees it (P1, P6).

    Rejects nesting deeper than ``MAX_DEPTH`` (so the parser never recurses deeply) and any non-ASCII
    character outside a string (JSON's grammar is ASCII there; this keeps Unicode digits or spaces from
    ever being read as numbers or whitespace). Backslash escapes inside strings are honoured.
    """
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise MalformedPayload("P6", f"nesting deeper than the limit of {MAX_DEPTH}")
        elif ch in "]}":
            depth -= 1
        elif ch > "\x7f":
            raise MalformedPayload("P1", f"character {ch!r} outside a string")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """``object_pairs_hook``: refuse a key repeated in one object, at any depth (P2).

    The hook sees decoded keys, so ``"a"`` and ``"\\u0061"`` are the same key."""
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise MalformedPayload("P2", f"key {key!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _refuse_constant(name: str) -> None:
    """``parse_constant``: NaN, Infinity and -Infinity are not JSON (P1)."""
    raise MalformedPayload("P1", f"{name} is not a JSON number")


def _parse_int(lexeme: str) -> int | RawNumber:
    """``parse_int``: small integers as ``int``; very long ones stay text (Python caps ``int()`` digits)."""
    return int(lexeme) if len(lexeme) <= 20 else RawNumber(lexeme)


def _check_scalar_values(value: Any) -> None:
    """Refuse lone surrogates (U+D800-U+DFFF) in any string or key (P1): ``json`` decodes them silently."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")  # fails exactly on surrogate code points
            except UnicodeEncodeError:
                raise MalformedPayload("P1", "a \\u escape names a lone UTF-16 surrogate") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_json_strict(raw: bytes) -> Any:
    """Parse RFC 8259 JSON strictly under P6's size and depth limits (P1, P2, P6).

    Floats and very long integers come back as ``RawNumber``; objects as ``dict`` in input order.
    Raises ``MalformedPayload``.
    """
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise MalformedPayload("P6", f"payload is {len(raw)} bytes, more than the limit of {MAX_PAYLOAD_BYTES}")
    if raw.startswith(_UTF8_BOM):
        raise MalformedPayload("P1", "starts with a UTF-8 byte order mark")
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise MalformedPayload("P1", f"not valid UTF-8 ({e.reason} at byte {e.start})") from None
    _check_structure(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_refuse_constant,
            parse_float=RawNumber,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as e:
        raise MalformedPayload("P1", f"{e.msg} at line {e.lineno}, column {e.colno}") from None
    _check_scalar_values(value)
    return value


def _identifier_text(key: str, value: str) -> str:
    """Apply P6's identifier length limit, in UTF-8 bytes."""
    size = len(value.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        raise MalformedPayload("P6", f"{key} is {size} bytes, more than the limit of {MAX_IDENTIFIER_BYTES}")
    return value


def _type_name(value: Any) -> str:
    """A JSON type name for error messages."""
    if isinstance(value, RawNumber):
        return "an integer out of range" if value.has_integer_syntax() else "a non-integer number"
    names = {bool: "a boolean", int: "an integer", str: "a string", list: "an array", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _user_id_field(value: Any) -> str | int | None:
    """``user_id``: string, integer within +/-(2^53 - 1), or null (P3, P6)."""
    if value is None or _is_safe_integer(value):
        return value
    if isinstance(value, str):
        return _identifier_text("user_id", value)
    if type(value) is int:
        raise MalformedPayload("P3", f"user_id {value} is outside ±{MAX_SAFE_INTEGER}; send it as a string")
    raise MalformedPayload("P3", f"user_id must be a string or an integer, found {_type_name(value)}")


def _email_field(value: Any) -> str | None:
    """``email``: string or null (P3, P6)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _identifier_text("email", value)
    raise MalformedPayload("P3", f"email must be a string, found {_type_name(value)}")


def parse_payload(raw: bytes) -> Payload:
    """Parse a boot payload's raw bytes under P1-P6 and return its typed fields.

    Raises ``MalformedPayload`` (with ``rule`` and a human ``reason``) for anything the verifier must
    reject as ``malformed_payload``.
    """
    document = parse_json_strict(raw)
    if not isinstance(document, dict):
        raise MalformedPayload("P1", f"the payload must be a JSON object, found {_type_name(document)}")
    app_id = document.get("app_id")
    if not isinstance(app_id, str):
        found = "missing" if "app_id" not in document else f"{_type_name(app_id)}, not a string"
        raise MalformedPayload("P5", f"app_id is {found}")
    if app_id == "":
        raise MalformedPayload("P5", "app_id must not be empty")
    user_hash = document.get("user_hash")
    if "user_hash" in document and not isinstance(user_hash, str):  # P4: null counts as a wrong type
        raise MalformedPayload("P4", f"user_hash must be a string, found {_type_name(user_hash)}")
    token = document.get(JWT_KEY)
    if token is not None and not isinstance(token, str):  # the P4 analogue for the token; null is absent
        raise MalformedPayload("P4", f"{JWT_KEY} must be a string, found {_type_name(token)}")
    known = ("app_id", "user_id", "email", "user_hash", JWT_KEY)
    return Payload(
        app_id=app_id,
        user_id=_user_id_field(document.get("user_id")),
        email=_email_field(document.get("email")),
        user_hash=user_hash,
        custom_keys=tuple(key for key in document if key not in known),  # P4: userHash & co. are custom
        jwt=token or None,
    )


# --------------------------------------------------------------------------------------------------- verifying


def platform_settings(config: dict, app_id: str, platform: str) -> tuple[bytes | None, bool]:
    """The (secret, enforced) pair for one app and platform (V2, V8). A missing platform: no secret, not enforced.

    ``secret`` is text whose UTF-8 bytes are the key; ``secret_hex`` is hex for bytes that are not text.
    """
    settings = config["apps"][app_id].get(platform) or {}
    if "secret" in settings:
        secret = settings["secret"].encode("utf-8")
    elif "secret_hex" in settings:
        secret = binascii.unhexlify(settings["secret_hex"])  # strict: no whitespace, even length
    else:
        secret = None
    if secret == b"":
        raise ValueError(f"apps.{app_id}.{platform}: a secret must not be empty (S5)")
    return secret, bool(settings.get("enforced", False))


def _decode_user_hash(user_hash: str) -> bytes | None:
    """V6: exactly 64 hex characters, either case; any other form decodes to nothing."""
    return bytes.fromhex(user_hash) if _HEX64.fullmatch(user_hash) else None


def _reject(reason: str) -> dict:
    """A reject decision with its class."""
    return {"result": "reject", "reason": reason}


def _accept_user(source: str, text: str, verified: bool) -> dict:
    """An accept-as-user decision naming the identifier and its exact message bytes."""
    return {
        "result": "accept",
        "as": "user",
        "verified": verified,
        "identifier": {"source": source, "value": text, "message_hex": text.encode("utf-8").hex()},
    }


def jwt_enforced(config: dict, app_id: str, platform: str) -> bool:
    """Whether JWT mode is enforced for one app and platform (J4, V8); off when not written."""
    return bool((config["apps"][app_id].get(platform) or {}).get("jwt_enforced", False))


class JwtReject(ValueError):
    """A token the verifier refuses, with its reject class (``invalid_jwt``, ``expired_jwt``,
    ``identity_mismatch``)."""

    def __init__(self, reason: str, why: str):
        super().__init__(f"{reason}: {why}")
        self.reason = reason


def _b64url(segment: str) -> bytes:
    """Canonical unpadded base64url (J1, J2): the URL-safe alphabet only, no ``=``, zero trailing bits.

    ``base64.urlsafe_b64decode`` alone would accept padding, skip nothing but also not check the unused bits;
    so the alphabet is checked first and the result must encode back to the very same text."""
    if not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise JwtReject("invalid_jwt", "a segment is not unpadded base64url")
    decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode("ascii") != segment:
        raise JwtReject("invalid_jwt", "a segment has non-zero trailing bits (not canonical)")
    return decoded


def _json_object(raw: bytes) -> dict:
    """A token segment's JSON, as strictly as a payload (duplicate keys, limits), which must be an object."""
    try:
        value = parse_json_strict(raw)
    except MalformedPayload as e:
        raise JwtReject("invalid_jwt", f"a segment is not strict JSON ({e.reason})") from None
    if not isinstance(value, dict):
        raise JwtReject("invalid_jwt", "a segment is JSON but not an object")
    return value


def _claim_text(claims: dict, name: str) -> str | None:
    """An optional string claim of at most ``MAX_IDENTIFIER_BYTES`` (P6); ``null`` is a wrong type."""
    if name not in claims:
        return None
    value = claims[name]
    if not isinstance(value, str) or len(value.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise JwtReject("invalid_jwt", f"claim {name} must be a string of at most {MAX_IDENTIFIER_BYTES} bytes")
    return value


def _seconds_claim(claims: dict, name: str) -> int | None:
    """An optional integer-seconds claim (``exp``, ``nbf``): a 64-bit integer written as one (J2)."""
    value = claims.get(name)
    if name in claims and not (type(value) is int and -(2**63) <= value < 2**63):
        raise JwtReject("invalid_jwt", f"claim {name} is not a 64-bit integer")
    return value


def verify_jwt(secret: bytes | None, token: str, now: int | None, fields: dict,
               leeway: int = JWT_LEEWAY_SECONDS) -> dict:
    """Check a compact HS256 JWS (J1-J3) and return its claims ``{"user_id", "email", "exp", "nbf"}``.

    ``fields`` holds what the payload sends in the clear (``user_id``, ``email``); ``leeway`` the seconds a
    verifier allows on ``exp`` and ``nbf`` (J2: its choice in 0-60). Raises ``JwtReject``.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):  # J1: three non-empty segments
        raise JwtReject("invalid_jwt", "not three non-empty segments")
    header_raw, claims_raw, signature = (_b64url(p) for p in parts)
    header = _json_object(header_raw)
    alg, typ, kid = header.get("alg"), header.get("typ"), header.get("kid")
    if type(alg) is not str or alg != "HS256":  # J1: exactly HS256 (none, RS256, HS512, hs256: refused)
        raise JwtReject("invalid_jwt", f"alg {alg!r} is not HS256")
    if "crit" in header:  # RFC 7515 4.1.11: no extension is understood here
        raise JwtReject("invalid_jwt", "crit is present")
    if "typ" in header and not (isinstance(typ, str) and typ.upper() == "JWT"):
        raise JwtReject("invalid_jwt", "typ is not JWT")
    if "kid" in header and not isinstance(kid, str):
        raise JwtReject("invalid_jwt", "kid is not a string")
    if secret is None:
        raise JwtReject("invalid_jwt", "no secret is configured for the platform")
    expected = hmac_sha256(secret, f"{parts[0]}.{parts[1]}".encode("ascii"))
    if not hmac.compare_digest(expected, signature):  # J1: constant time; a wrong length never matches
        raise JwtReject("invalid_jwt", "the signature does not match")
    claims = _json_object(claims_raw)
    user_id = _claim_text(claims, "user_id")
    if not user_id:  # J2: required, a non-empty string
        raise JwtReject("invalid_jwt", "claim user_id is missing or empty")
    email = _claim_text(claims, "email")
    exp = _seconds_claim(claims, "exp")
    nbf = _seconds_claim(claims, "nbf")
    if (exp is not None or nbf is not None) and now is None:  # fail closed: no time, nothing to judge them by
        raise JwtReject("invalid_jwt", "exp or nbf without a current time")
    if exp is not None and not exp > now - leeway:
        raise JwtReject("expired_jwt", f"exp {exp} is not later than now {now} minus the leeway")
    if nbf is not None and not nbf <= now + leeway:  # RFC 7519 4.1.5
        raise JwtReject("invalid_jwt", f"nbf {nbf} is later than now {now} plus the leeway")
    clear = select_identifier({"user_id": fields.get("user_id")})
    if clear is not None and clear[1] != user_id:  # J3: str(int) is the canonical decimal
        raise JwtReject("identity_mismatch", "the clear-text user_id differs from the claim")
    clear_email = fields.get("email")
    if not _is_absent(clear_email) and clear_email != email:
        raise JwtReject("identity_mismatch", "the clear-text email differs from the claim")
    return {"user_id": user_id, "email": email, "exp": exp, "nbf": nbf}


def expectation(config: dict, platform: str, raw: bytes, now: int | None = None) -> dict:
    """What J2 lets a verifier decide, in the shape of the vectors' ``expected``: the decision of a 0 s and of a
    60 s leeway when they agree, else ``{"result": "either", "accept": ..., "reject": class}`` (the 60 s leeway
    accepts, the 0 s one refuses: the time is inside the window, not graded either way)."""
    narrowest = verify(config, platform, raw, now, leeway=0)
    widest = verify(config, platform, raw, now, leeway=JWT_LEEWAY_SECONDS)
    if narrowest == widest:
        return widest
    if widest["result"] == "accept" and narrowest["result"] == "reject":
        return {"result": "either", "accept": {"result": "accept", **{k: v for k, v in widest.items() if k != "result"}},
                "reject": narrowest["reason"]}
    raise ValueError(f"a 0 s leeway decides {narrowest} and a 60 s one {widest}: no single expectation")


def verify(config: dict, platform: str, raw: bytes, now: int | None = None,
           leeway: int = JWT_LEEWAY_SECONDS) -> dict:
    """Decide one boot request (V1-V8, J1-J4), in the shape of the vectors' ``expected``.

    ``config`` is the JSON workspace configuration (docs/CONFIG.md), ``platform`` one of ``PLATFORMS``,
    ``raw`` the exact request body, ``now`` the current time in seconds (for a token's ``exp``), or ``None``.
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    try:
        payload = parse_payload(raw)
    except MalformedPayload:
        return _reject("malformed_payload")
    if payload.app_id not in config["apps"]:  # V1
        return _reject("unknown_app")
    secret, enforced = platform_settings(config, payload.app_id, platform)
    if payload.jwt is not None:  # J1: a token that is sent decides, whatever the enforcement
        try:
            claims = verify_jwt(secret, payload.jwt, now, payload.identifiers(), leeway)
        except JwtReject as e:
            return _reject(e.reason)
        return _accept_user("user_id", claims["user_id"], verified=True)
    selected = select_identifier(payload.identifiers())
    hash_sent = payload.user_hash is not None  # even "" counts as sent
    if jwt_enforced(config, payload.app_id, platform) and (selected is not None or hash_sent):
        return _reject("missing_user_hash")  # J4: a user payload without a token, as in V5/V6

    if selected is None:
        if hash_sent and enforced:  # V4
            return _reject("missing_identifier")
        return {"result": "accept", "as": "visitor"}  # V3, V4 not enforced
    source, text = selected
    if not hash_sent:  # V5
        return _reject("missing_user_hash") if enforced else _accept_user(source, text, verified=False)

    supplied = _decode_user_hash(payload.user_hash)  # V6
    verified = (
        secret is not None
        and supplied is not None
        and hmac.compare_digest(hmac_sha256(secret, text.encode("utf-8")), supplied)  # V9: constant time
    )
    if verified:
        return _accept_user(source, text, verified=True)
    return _reject("invalid_user_hash") if enforced else _accept_user(source, text, verified=False)


def expected_mac(config: dict, platform: str, raw: bytes) -> bytes | None:
    """The tag a verifier computes for this request (the vectors' ``expected_mac_hex``), or ``None`` when
    the payload is malformed, carries a token (which decides instead), the app is unknown, no identifier is
    selected or the platform has no secret."""
    try:
        payload = parse_payload(raw)
    except MalformedPayload:
        return None
    if payload.app_id not in config["apps"] or payload.jwt is not None:
        return None
    secret, _ = platform_settings(config, payload.app_id, platform)
    selected = select_identifier(payload.identifiers())
    if secret is None or selected is None:
        return None
    return hmac_sha256(secret, selected[1].encode("utf-8"))


def signing_input(config: dict, platform: str, raw: bytes) -> tuple[bytes, bytes] | None:
    """``(secret, header.claims)`` for the token a request carries (the vectors' ``expected_signature_hex`` is
    its HMAC), or ``None`` when the payload is malformed, has no token of three segments, names an unknown app
    or the platform has no secret."""
    try:
        payload = parse_payload(raw)
    except MalformedPayload:
        return None
    if payload.jwt is None or payload.app_id not in config["apps"]:
        return None
    parts = payload.jwt.split(".")
    secret, _ = platform_settings(config, payload.app_id, platform)
    if len(parts) != 3 or secret is None:
        return None
    return secret, f"{parts[0]}.{parts[1]}".encode("utf-8")


def _b64url_encode(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def token_meaning(secret: bytes, claims: dict, token: str) -> list[str]:
    """J5: what is wrong with ``token`` as a signing of ``claims`` (empty: it means exactly them). The token
    must verify as HS256 under ``secret`` (with this module's strict verifier, no current time needed unless it
    carries exp), with user_id equal, email and exp equal when asked for and absent when not, and no nbf."""
    now = claims.get("exp", 0) - 1 if "exp" in claims else None  # a time at which an exp asked for is valid
    try:
        got = verify_jwt(secret, token, now, {})
    except JwtReject as e:
        return [f"does not verify: {e.reason} ({e})"]
    problems = []
    for name in ("user_id", "email", "exp"):
        if got.get(name) != claims.get(name):
            problems.append(f"{name} is {got.get(name)!r}, asked for {claims.get(name)!r}")
    if got.get("nbf") is not None:
        problems.append("carries nbf, which was not asked for")
    return problems


def sign_jwt(secret: bytes, claims: dict) -> dict:
    """Sign claims like a customer's server in JWT mode, in the shape of ``jwt.json``'s sign ``expected``
    (the reference's example token: J5 grades any token that means the claims, see ``token_meaning``).

    Header ``{"alg":"HS256","typ":"JWT"}``; claims compact in the order user_id, email, exp, strings with only
    the escapes JSON requires and the rest as raw UTF-8 (``ensure_ascii=False``). An empty secret is refused
    first (S5), then an empty user_id.
    """
    if len(secret) == 0:
        return {"result": "error", "error": "empty_secret"}
    if not claims.get("user_id"):
        return {"result": "error", "error": "no_identifier"}
    ordered = {k: claims[k] for k in ("user_id", "email", "exp") if k in claims}
    claims_json = json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))
    header = '{"alg":"HS256","typ":"JWT"}'
    signing = f"{_b64url_encode(header.encode())}.{_b64url_encode(claims_json.encode('utf-8'))}"
    signature = hmac_sha256(secret, signing.encode("ascii"))
    return {
        "result": "token",
        "example_token": f"{signing}.{_b64url_encode(signature)}",
        "example_claims_json": claims_json,
        "example_signature_hex": signature.hex(),
    }

#!/usr/bin/env python3
"""An ivconform adapter in one file: Intercom-style identity verification with Python's standard library.

    user_hash = lowercase hex(HMAC-SHA256(secret, identifier))

Written from ivconform's SPEC.md (rule ids in the comments) and docs/PROTOCOL.md; it claims the `hmac`, `sign`,
`verify`, `verify_jwt` and `sign_jwt` capabilities and passes every golden vector, JWT mode's included.

    python3 ivconform_adapter.py                        # stdio: one JSON request per line on stdin
    python3 ivconform_adapter.py --http 127.0.0.1:0     # HTTP: prints "listening on http://HOST:PORT/" first

Using it as a template: keep the protocol part (`handle`, `serve_stdio`, `serve_http`, `main`) and replace
`sign_user_hash`, `parse_payload`, `verify`, `verify_jwt` and `sign_jwt` with calls into your own code.

ivconform's mutant zoo (adapters/mutants/python/mutants.py) derives its deliberately buggy adapters from this file
by exact source substitutions; after editing it here, run `python3 adapters/mutants/python/mutants.py --check`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import re
import socket
import sys

MAX_PAYLOAD_BYTES = 64 * 1024  # P6
MAX_DEPTH = 32  # P6: the outermost object is depth 1
MAX_IDENTIFIER_BYTES = 1024  # P6, in UTF-8 bytes
MAX_SAFE_INTEGER = 2**53 - 1  # P3: JavaScript rounds integers beyond this
PLATFORMS = ("web", "ios", "android")
HEX64 = re.compile(r"[0-9a-fA-F]{64}")  # V6: either case, used with fullmatch (bytes.fromhex alone is lax)
JWT_KEY = "intercom_user_jwt"  # J1: the payload key of the token
JWT_LEEWAY = 60  # J2: seconds of leeway on exp and nbf (the implementation's choice in 0-60; 60 here)
B64URL = re.compile(r"[A-Za-z0-9_-]+")  # J1/J2: unpadded base64url, used with fullmatch
JWT_HEADER = b'{"alg":"HS256","typ":"JWT"}'  # the header a signer writes, byte for byte


# ------------------------------------------------------------------------------------------------ signing


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) of the raw message under the raw key, any lengths (S1)."""
    return hmac.new(key, message, hashlib.sha256).digest()


def identifier_mac(secret: bytes, identifier: str) -> bytes:
    """The MAC of an identifier: key = the secret's raw bytes, message = the identifier's exact UTF-8 (S1, S3, S5)."""
    message = identifier.encode("utf-8")  # S3: exactly as sent, no trimming, folding or normalisation
    return hmac_sha256(secret, message)


def is_safe_integer(value) -> bool:
    """A genuine int (never bool, which subclasses int) within +/-(2^53 - 1) (P3)."""
    return type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def is_present(value) -> bool:
    """P3: a non-empty string or a safe integer is present; None (missing or null) and "" are absent."""
    return (isinstance(value, str) and value != "") or is_safe_integer(value)


def select_identifier(user_id, email) -> tuple[str, str] | None:
    """S2: user_id when present, else email; None when neither is. Returns (source, text).

    The caller has already checked the types: user_id is a str, a safe int or None; email a str or None."""
    if is_present(user_id):
        return "user_id", str(user_id)  # S4: str(int) is the canonical decimal: 0 -> "0", -3 -> "-3"
    if is_present(email):
        return "email", email
    return None


def sign_user_hash(secret: bytes, user_id, email) -> dict:
    """Sign like a customer's server (S1-S5). Returns the protocol's `sign` answer (without seq)."""
    if len(secret) == 0:
        return {"type": "sign", "error": "empty_secret"}  # S5
    selected = select_identifier(user_id, email)
    if selected is None:
        return {"type": "sign", "error": "no_identifier"}  # S2: never a hash of the empty string
    source, text = selected
    mac = identifier_mac(secret, text)
    user_hash = mac.hex()  # bytes.hex() is lowercase (S1)
    return {"type": "sign", "user_hash": user_hash, "identifier_source": source,
            "identifier_hex": text.encode("utf-8", errors="surrogatepass").hex()}


# ------------------------------------------------------------------------------------------------ payload


class Malformed(ValueError):
    """A boot payload that breaks P1-P6: the verifier rejects it as `malformed_payload`."""


class Number:
    """A JSON number kept as written: P3 tells `123` from `123.0`, and custom attributes may hold any number."""

    __slots__ = ("lexeme",)

    def __init__(self, lexeme: str):
        self.lexeme = lexeme


def _check_structure(text: str) -> None:
    """Scan outside strings before json.loads runs (P1, P6): nesting deeper than 32 (so the parser never
    recurses deeply) and any non-ASCII character (JSON's grammar is ASCII there; Python's `\\d` is not)."""
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
                raise Malformed(f"nesting deeper than {MAX_DEPTH}")
        elif ch in "]}":
            depth -= 1
        elif ch > "\x7f":
            raise Malformed("non-ASCII character outside a string")


def _unique_keys(pairs: list) -> dict:
    """object_pairs_hook: a key twice in one object, at any depth, is refused (P2). Keys arrive decoded, so
    "a" and "\\u0061" are the same key."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise Malformed("duplicate key")
    return obj


def _refuse_constant(name: str):
    """parse_constant: NaN, Infinity and -Infinity are not JSON (P1)."""
    raise Malformed(f"{name} is not JSON")


def _parse_int(lexeme: str):
    """parse_int: an int when it could be a safe integer, else kept as text (Python caps int() at 4300 digits)."""
    return int(lexeme) if len(lexeme) <= 20 else Number(lexeme)


def _parse_float(lexeme: str):
    """parse_float: a number with a fraction or an exponent is never an integer (P3, INTERPRETATIONS.md)."""
    return Number(lexeme)


def _check_strings(value) -> None:
    """Lone UTF-16 surrogates (\\ud800 escapes) in any string or key are not text (P1); json.loads keeps them."""
    stack = [value]
    while stack:  # bounded: every item is visited once
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("lone surrogate") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _identifier(value):
    """A string identifier within the 1,024-byte limit (P6)."""
    size = len(value.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        raise Malformed("identifier longer than 1024 bytes")
    return value


def parse_payload(raw: bytes) -> dict:
    """The boot payload's raw bytes -> {"app_id", "user_id", "email", "user_hash"} (None = missing or null;
    "user_hash" is a key only when the hash was sent). Raises Malformed for anything P1-P6 refuse."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise Malformed("payload larger than 64 KiB")  # P6, before any parsing
    if raw.startswith(b"\xef\xbb\xbf"):
        raise Malformed("byte order mark")  # P1
    try:
        text = raw.decode("utf-8")  # strict: invalid, overlong and surrogate (ED A0 80) sequences fail
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None
    _check_structure(text)
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                         parse_int=_parse_int, parse_float=_parse_float)
    except (json.JSONDecodeError, RecursionError):
        raise Malformed("not JSON") from None
    _check_strings(doc)
    if not isinstance(doc, dict):
        raise Malformed("not an object")  # P1
    app_id = doc.get("app_id")
    if not isinstance(app_id, str) or app_id == "":
        raise Malformed("app_id must be a non-empty string")  # P5
    user_id, email = doc.get("user_id"), doc.get("email")
    if isinstance(user_id, str):
        user_id = _identifier(user_id)
    elif user_id is not None and not is_safe_integer(user_id):
        raise Malformed("user_id must be a string or a safe integer")  # P3
    if isinstance(email, str):
        email = _identifier(email)
    elif email is not None:
        raise Malformed("email must be a string")  # P3
    parsed = {"app_id": app_id, "user_id": user_id, "email": email, "jwt": None}
    token = doc.get(JWT_KEY)
    if token is not None and not isinstance(token, str):
        raise Malformed(f"{JWT_KEY} must be a string")  # the P4 analogue; null is absent
    parsed["jwt"] = token or None  # "" is absent
    if "user_hash" in doc:  # P4: only this key; userHash & co. are custom attributes
        user_hash = doc["user_hash"]
        if not isinstance(user_hash, str):
            raise Malformed("user_hash must be a string")  # P4: null too (INTERPRETATIONS.md)
        parsed["user_hash"] = user_hash
    return parsed


# ------------------------------------------------------------------------------------------------ verifying


def decode_user_hash(user_hash: str) -> bytes | None:
    """V6: exactly 64 hex characters in either case -> 32 bytes; any other form -> None (it cannot verify)."""
    if not HEX64.fullmatch(user_hash):
        return None
    return bytes.fromhex(user_hash)


def hashes_equal(expected: bytes, supplied: bytes) -> bool:
    """V9: compare in constant time."""
    return hmac.compare_digest(expected, supplied)


def hash_matches(secret: bytes | None, identifier: str, user_hash: str) -> bool:
    """V6: does the supplied user_hash verify for this identifier under this secret?"""
    if secret is None:
        return False  # a platform with no secret verifies nothing
    supplied = decode_user_hash(user_hash)
    return supplied is not None and hashes_equal(identifier_mac(secret, identifier), supplied)


def platform_settings(app: dict, platform: str) -> tuple[bytes | None, bool]:
    """(secret, enforced) for one platform of one workspace (V2, V8); a missing platform has neither."""
    settings = app.get(platform) or {}
    secret_hex = settings.get("secret_hex")
    secret = None if secret_hex is None else bytes.fromhex(secret_hex)
    return secret, settings.get("enforced") is True


def accept_user(source: str, text: str, verified: bool) -> dict:
    return {"type": "verify", "result": "accept", "as": "user", "verified": verified, "identifier_source": source,
            "identifier_hex": text.encode("utf-8", errors="surrogatepass").hex()}


def reject(reason: str) -> dict:
    return {"type": "verify", "result": "reject", "reason": reason}


# ------------------------------------------------------------------------------------------------ JWT mode


class JwtRefused(ValueError):
    """A token the verifier refuses; `reason` is the reject class."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def b64url_decode(segment: str) -> bytes:
    """Canonical unpadded base64url (J1, J2): the URL-safe alphabet, no padding, zero trailing bits."""
    if not B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise JwtRefused("invalid_jwt")
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if b64url_encode(raw) != segment:
        raise JwtRefused("invalid_jwt")  # non-zero trailing bits
    return raw


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwt_object(raw: bytes) -> dict:
    """A token segment's JSON, parsed as strictly as a payload (duplicate keys refused), must be an object."""
    try:
        text = raw.decode("utf-8")
        _check_structure(text)
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                           parse_int=_parse_int, parse_float=_parse_float)
        _check_strings(value)
    except (UnicodeDecodeError, ValueError, RecursionError):  # Malformed and JSONDecodeError are ValueErrors
        raise JwtRefused("invalid_jwt") from None
    if not isinstance(value, dict):
        raise JwtRefused("invalid_jwt")
    return value


def claim_text(claims: dict, name: str) -> str | None:
    """An optional string claim of at most 1,024 UTF-8 bytes (P6); null is a wrong type."""
    if name not in claims:
        return None
    value = claims[name]
    if not isinstance(value, str) or len(value.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise JwtRefused("invalid_jwt")
    return value


def signatures_equal(expected: bytes, supplied: bytes) -> bool:
    """J1: compare in constant time."""
    return hmac.compare_digest(expected, supplied)


def verify_jwt(secret: bytes | None, token: str, now: int | None, user_id, email) -> str:
    """J1-J3 for one token; returns the verified user_id or raises JwtRefused. `user_id` and `email` are what
    the payload sends in the clear (already type-checked)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise JwtRefused("invalid_jwt")  # J1: three non-empty segments
    header = jwt_object(b64url_decode(parts[0]))
    alg = header.get("alg")
    if not isinstance(alg, str) or alg != "HS256":
        raise JwtRefused("invalid_jwt")  # J1: exactly HS256
    if "crit" in header:
        raise JwtRefused("invalid_jwt")  # RFC 7515 4.1.11: no extension is understood here
    if "typ" in header and not (isinstance(header["typ"], str) and header["typ"].upper() == "JWT"):
        raise JwtRefused("invalid_jwt")
    if "kid" in header and not isinstance(header["kid"], str):
        raise JwtRefused("invalid_jwt")
    if secret is None:
        raise JwtRefused("invalid_jwt")  # no secret configured: nothing verifies
    expected = hmac_sha256(secret, f"{parts[0]}.{parts[1]}".encode("utf-8"))  # not ascii: any text may arrive
    if not signatures_equal(expected, b64url_decode(parts[2])):
        raise JwtRefused("invalid_jwt")  # J1
    claims = jwt_object(b64url_decode(parts[1]))
    claimed = claim_text(claims, "user_id")
    if not claimed:
        raise JwtRefused("invalid_jwt")  # J2: a non-empty string, required
    claimed_email = claim_text(claims, "email")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    for name in ("exp", "nbf"):
        if name in claims and not (type(claims[name]) is int and -(2**63) <= claims[name] < 2**63):
            raise JwtRefused("invalid_jwt")  # J2: integer seconds
    if exp is not None or nbf is not None:
        if now is None:
            raise JwtRefused("invalid_jwt")  # fail closed: exp and nbf cannot be judged without the time
        if exp is not None and not exp > now - JWT_LEEWAY:
            raise JwtRefused("expired_jwt")
        if nbf is not None and not nbf <= now + JWT_LEEWAY:
            raise JwtRefused("invalid_jwt")  # J2, RFC 7519 4.1.5: not valid yet
    if is_present(user_id) and str(user_id) != claimed:
        raise JwtRefused("identity_mismatch")  # J3 (str(int) is the canonical decimal)
    if is_present(email) and email != claimed_email:
        raise JwtRefused("identity_mismatch")  # J3: exact bytes
    return claimed


def sign_jwt(secret: bytes, user_id: str, email: str | None, exp: int | None) -> dict:
    """Sign claims as a compact HS256 JWT: header {"alg":"HS256","typ":"JWT"}, claims compact in the order user_id,
    email, exp, raw UTF-8 (`ensure_ascii=False`), as the reference does; J5 grades what the token means, so any
    serialisation a strict verifier reads the same way would do. Returns the `sign_jwt` answer (without seq)."""
    if len(secret) == 0:
        return {"type": "sign_jwt", "error": "empty_secret"}  # S5, first
    if user_id == "":
        return {"type": "sign_jwt", "error": "no_identifier"}
    claims = {"user_id": user_id}
    if email is not None:
        claims["email"] = email
    if exp is not None:
        claims["exp"] = exp
    body = json.dumps(claims, ensure_ascii=False, separators=(",", ":"))
    signing = f"{b64url_encode(JWT_HEADER)}.{b64url_encode(body.encode('utf-8'))}"
    signature = hmac_sha256(secret, signing.encode("ascii"))
    return {"type": "sign_jwt", "token": f"{signing}.{b64url_encode(signature)}"}


def verify(config: dict, platform: str, raw: bytes, now: int | None = None) -> dict:
    """Decide one boot request (V1-V8, J1-J4). Returns the protocol's `verify` answer (without seq)."""
    if platform not in PLATFORMS:
        raise ValueError("unknown platform")
    try:
        payload = parse_payload(raw)
    except Malformed:
        return reject("malformed_payload")
    apps = config["apps"]
    app = apps.get(payload["app_id"])
    if app is None:
        return reject("unknown_app")  # V1
    secret, enforced = platform_settings(app, platform)
    jwt_enforced = (app.get(platform) or {}).get("jwt_enforced") is True
    token = payload["jwt"]
    if token is not None:  # J1: a token that is sent decides, whatever the enforcement
        try:
            claimed = verify_jwt(secret, token, now, payload["user_id"], payload["email"])
        except JwtRefused as e:
            return reject(e.reason)
        else:
            return accept_user("user_id", claimed, True)
    selected = select_identifier(payload["user_id"], payload["email"])
    user_hash = payload.get("user_hash")  # None: not sent; "" counts as sent (INTERPRETATIONS.md)
    if jwt_enforced and (selected is not None or user_hash is not None):
        return reject("missing_user_hash")  # J4: a user payload without a token, as in V5/V6

    if selected is None:
        if user_hash is not None and enforced:
            return reject("missing_identifier")  # V4
        return {"type": "verify", "result": "accept", "as": "visitor"}  # V3 (and V4 not enforced)
    source, text = selected
    if user_hash is None:
        return reject("missing_user_hash") if enforced else accept_user(source, text, False)  # V5
    verified = hash_matches(secret, text, user_hash)  # V6, V7: only the identifier S2 selected
    if verified:
        return accept_user(source, text, True)
    return reject("invalid_user_hash") if enforced else accept_user(source, text, False)  # V6


# ------------------------------------------------------------------------------------------------ protocol


def handle(request: dict) -> dict:
    """One protocol request -> its answer (docs/PROTOCOL.md). Never raises: anything else is a `type: error`."""
    seq = request.get("seq", 0) if isinstance(request, dict) else 0
    try:
        kind = request["type"]
        if kind == "hello":
            answer = {"type": "hello", "name": "ivconform-python", "version": "1.0.0", "language": "python",
                      "capabilities": ["hmac", "sign", "verify", "verify_jwt", "sign_jwt"], "protocol": "ivconform/1"}
        elif kind == "hmac":
            tag = hmac_sha256(bytes.fromhex(request["key_hex"]), bytes.fromhex(request["msg_hex"]))
            answer = {"type": "hmac", "tag_hex": tag.hex()}
        elif kind == "sign":
            user_id, email = request.get("user_id"), request.get("email")
            if not (user_id is None or isinstance(user_id, str) or is_safe_integer(user_id)):
                raise ValueError("user_id must be a string, a safe integer or null")
            if not (email is None or isinstance(email, str)):
                raise ValueError("email must be a string or null")
            answer = sign_user_hash(bytes.fromhex(request["secret_hex"]), user_id, email)
        elif kind == "verify":
            now = request.get("now")
            if not (now is None or type(now) is int):
                raise ValueError("now must be an integer")
            answer = verify(request["config"], request["platform"], bytes.fromhex(request["payload_hex"]), now)
        elif kind == "sign_jwt":
            user_id, email, exp = request["user_id"], request.get("email"), request.get("exp")
            if not isinstance(user_id, str) or not (email is None or isinstance(email, str)):
                raise ValueError("user_id and email must be strings")
            if not (exp is None or type(exp) is int):
                raise ValueError("exp must be an integer")
            answer = sign_jwt(bytes.fromhex(request["secret_hex"]), user_id, email, exp)
        elif kind == "bye":
            answer = {"type": "bye"}
        else:
            answer = {"type": "error", "message": "unsupported message type"}
    except Exception as e:  # never echo the request: it holds secrets
        answer = {"type": "error", "message": f"cannot handle the request ({type(e).__name__})"}
    answer["seq"] = seq
    return answer


def handle_bytes(body: bytes) -> dict:
    try:
        request = json.loads(body)
    except ValueError:
        return {"type": "error", "seq": 0, "message": "the request is not JSON"}
    return handle(request)


def serve_stdio() -> None:
    """One JSON request per line on stdin, one answer per line on stdout; `bye` ends it."""
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        answer = handle_bytes(line)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if answer["type"] == "bye":
            return


class Handler(http.server.BaseHTTPRequestHandler):
    """POST / with a JSON body -> 200 with the JSON answer; keep-alive (HTTP/1.1 + Content-Length)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms Nagle/delayed-ACK stalls
    max_body = 16 * 1024 * 1024

    def do_POST(self) -> None:
        if self.path != "/":
            return self.reply(404, {"type": "error", "seq": 0, "message": "POST / only"})
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit() or "chunked" in self.headers.get("Transfer-Encoding", ""):
            self.close_connection = True
            return self.reply(411, {"type": "error", "seq": 0, "message": "Content-Length required"})
        if int(length) > self.max_body:
            self.close_connection = True
            return self.reply(413, {"type": "error", "seq": 0, "message": "request too large"})
        self.reply(200, handle_bytes(self.rfile.read(int(length))))

    def do_GET(self) -> None:
        self.reply(405, {"type": "error", "seq": 0, "message": "POST / only"})

    def reply(self, status: int, answer: dict) -> None:
        body = json.dumps(answer).encode("ascii")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # no access log: stderr is scanned for leaks
        pass


def serve_http(address: str) -> None:
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    server_class = http.server.ThreadingHTTPServer
    if ":" in host:
        server_class = type("Server6", (server_class,), {"address_family": socket.AF_INET6})
    server = server_class((host, int(port)), Handler)
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"listening on http://{shown}:{bound_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str]) -> int:
    http_address = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--http" and args:
            http_address = args.pop(0)
        else:
            print("usage: ivconform_adapter.py [--http HOST:PORT]", file=sys.stderr)
            return 2
    if http_address is not None:
        serve_http(http_address)
    else:
        serve_stdio()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

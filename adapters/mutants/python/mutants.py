#!/usr/bin/env python3
"""ivconform's mutant zoo for the Python template adapter (adapters/python/ivconform_adapter.py).

Each mutant is one realistic bug, written as exact source substitutions `(old, new)` on the template's text: the
template itself stays clean, and a mutant is the template with that bug put in, nothing else.

    python3 mutants.py --mutant zero-falsy                     # the mutated adapter over stdio
    python3 mutants.py --mutant zero-falsy --http 127.0.0.1:0  # ... over HTTP (any other flag goes to the adapter)
    python3 mutants.py --list-mutants                          # NAME<TAB>description<TAB>functional|timing-only|conformant
    python3 mutants.py --check                                 # every mutant applies exactly once and compiles

`--mutant NAME` reads the template, applies NAME's substitutions (each `old` snippet must occur exactly once, or
the run stops with exit 2), and executes the result as `__main__` with the remaining arguments. The hello answer
names the mutant: "ivconform-python (mutant NAME)". After editing the template, run `--check` (exit 1 lists the
mutants whose snippets no longer match); fix the mutant's snippet, never drop the mutant.
"""

from __future__ import annotations

import linecache
import sys
import types
from pathlib import Path
from typing import NamedTuple

TEMPLATE = Path(__file__).resolve().parents[2] / "python" / "ivconform_adapter.py"

# Applied to every mutant, last: the hello answer says which bug is switched on.
HELLO = ('"name": "ivconform-python",', '"name": "ivconform-python (mutant {name})",')


class Mutant(NamedTuple):
    name: str
    description: str
    kind: str  # "functional", "timing-only" or "conformant" (a variant SPEC.md allows: it must pass)
    substitutions: tuple[tuple[str, str], ...]


def mutant(name: str, description: str, kind: str, *substitutions: tuple[str, str]) -> Mutant:
    return Mutant(name, description, kind, substitutions)


# Snippets of the template used by more than one mutant.
MESSAGE = '''    message = identifier.encode("utf-8")  # S3: exactly as sent, no trimming, folding or normalisation
'''
IS_SAFE_INTEGER = '''    return type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
'''
USER_ID_FIRST = '''    if is_present(user_id):
        return "user_id", str(user_id)  # S4: str(int) is the canonical decimal: 0 -> "0", -3 -> "-3"
'''
HEX_OUTPUT = '''    user_hash = mac.hex()  # bytes.hex() is lowercase (S1)
'''
UNIQUE_KEYS = '''    obj = dict(pairs)
    if len(obj) != len(pairs):
'''
PAYLOAD_SIZE = '''    if len(raw) > MAX_PAYLOAD_BYTES:
        raise Malformed("payload larger than 64 KiB")  # P6, before any parsing
'''
USER_HASH_READ = '''        user_hash = doc["user_hash"]
'''
DECODE_USER_HASH = '''    if not HEX64.fullmatch(user_hash):
'''
PLATFORM_SECRET = '''    secret = None if secret_hex is None else bytes.fromhex(secret_hex)
'''
ALG_CHECK = '''    if not isinstance(alg, str) or alg != "HS256":
'''
LEEWAY_LINE = '''JWT_LEEWAY = 60  # J2: seconds of leeway on exp and nbf (the implementation's choice in 0-60; 60 here)
'''
TIME_CHECK_START = '''    if exp is not None or nbf is not None:
'''
EXP_CHECK = '''        if exp is not None and not exp > now - JWT_LEEWAY:
            raise JwtRefused("expired_jwt")
'''
NBF_CHECK = '''        if nbf is not None and not nbf <= now + JWT_LEEWAY:
            raise JwtRefused("invalid_jwt")  # J2, RFC 7519 4.1.5: not valid yet
'''
SIGN_BODY = '''    body = json.dumps(claims, ensure_ascii=False, separators=(",", ":"))
'''
NO_IDENTIFIER = '''    if selected is None:
        if user_hash is not None and enforced:
            return reject("missing_identifier")  # V4
'''

VERIFY_CALL = '''    verified = hash_matches(secret, text, user_hash)  # V6, V7: only the identifier S2 selected
'''
IS_PRESENT = '''    return (isinstance(value, str) and value != "") or is_safe_integer(value)
'''

# In the order of `--list-mutants`.
MUTANTS = [
    mutant("email-first", "email hashed before user_id when both are sent (S2)", "functional",
           (USER_ID_FIRST, '''    if is_present(email):
        return "email", email
''' + USER_ID_FIRST)),
    mutant("zero-falsy", "user_id 0 skipped as falsy, like a JavaScript truthiness test (S2, S4, P3)", "functional",
           ('''    return (isinstance(value, str) and value != "") or is_safe_integer(value)
''', '''    return bool(value)  # JavaScript-style truthiness: user_id 0 is skipped
''')),
    mutant("empty-user-id-hashed", 'user_id "" counts as present and is hashed (S2, P3)', "functional",
           (USER_ID_FIRST, '''    if user_id == "":
        return "user_id", ""
''' + USER_ID_FIRST)),
    mutant("float-rendering", 'integer user_id rendered as a float: 5678 -> "5678.0" (S4)', "functional",
           (USER_ID_FIRST, '''    if is_present(user_id):
        if type(user_id) is int:
            return "user_id", str(float(user_id))  # 5678 -> "5678.0"
        return "user_id", str(user_id)
''')),
    mutant("uppercase-hex", "user_hash emitted in uppercase hex (S1)", "functional",
           (HEX_OUTPUT, HEX_OUTPUT + '''    user_hash = user_hash.upper()
''')),
    mutant("base64-output", "user_hash emitted as base64 instead of hex (S1)", "functional",
           (HEX_OUTPUT, HEX_OUTPUT + '''    user_hash = base64.b64encode(mac).decode("ascii")
''')),
    mutant("trim-identifier", "identifier trimmed of surrounding whitespace before hashing (S3)", "functional",
           (MESSAGE, '''    identifier = identifier.strip()
''' + MESSAGE)),
    mutant("lowercase-email", "email lower-cased before hashing (S3)", "functional",
           ('''    if is_present(email):
        return "email", email
    return None
''', '''    if is_present(email):
        return "email", email.lower()
    return None
''')),
    mutant("nfc-normalise", "identifier NFC-normalised before hashing (S3)", "functional",
           (MESSAGE, '''    import unicodedata
    identifier = unicodedata.normalize("NFC", identifier)
''' + MESSAGE)),
    mutant("html-escape", "identifier HTML-escaped before hashing (S3)", "functional",
           (MESSAGE, '''    import html
    identifier = html.escape(identifier)
''' + MESSAGE)),
    mutant("ascii-replace", 'identifier encoded as ASCII with "?" for non-ASCII characters (S3)', "functional",
           (MESSAGE, MESSAGE + '''    message = identifier.encode("ascii", errors="replace")  # non-ASCII becomes "?"
''')),
    mutant("nul-truncate", "identifier truncated at the first NUL, like a C string (S3)", "functional",
           (MESSAGE, r'''    identifier = identifier.split("\0")[0]  # what a C string would see
''' + MESSAGE)),
    mutant("swap-key-message", "HMAC key and message swapped: HMAC(identifier, secret) (S1)", "functional",
           ('''    return hmac_sha256(secret, message)
''', '''    return hmac_sha256(message, secret)
''')),
    mutant("hex-decode-secret", "a hex-looking secret is hex-decoded instead of used as raw bytes (S5)", "functional",
           (MESSAGE, '''    if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", secret.decode("latin-1")):
        secret = bytes.fromhex(secret.decode("ascii"))  # a hex-looking secret decoded first
''' + MESSAGE)),
    mutant("empty-secret-accepted", "an empty secret is used instead of refused (S5)", "functional",
           ('''    if len(secret) == 0:
        return {"type": "sign", "error": "empty_secret"}  # S5
''', '')),
    mutant("empty-string-hash", "the hash of the empty string is emitted when there is no identifier (S2)",
           "functional",
           ('''    selected = select_identifier(user_id, email)
''', '''    selected = select_identifier(user_id, email)
    if selected is None:
        selected = ("user_id", "")
''')),
    mutant("web-secret-everywhere", "the web secret verifies every platform (V2)", "functional",
           (PLATFORM_SECRET, '''    secret_hex = (app.get("web") or {}).get("secret_hex")
''' + PLATFORM_SECRET)),
    mutant("enforcement-ignored", "enforcement ignored: never rejects for a missing or bad hash (V4, V5, V6)",
           "functional",
           ('''    return secret, settings.get("enforced") is True
''', '''    return secret, False
''')),
    mutant("enforcement-one-platform-for-all", "the web platform's enforcement applied to every platform (V8)",
           "functional",
           (PLATFORM_SECRET, PLATFORM_SECRET + '''    settings = app.get("web") or {}
''')),
    mutant("hash-without-identifier-accepted", "a hash without an identifier accepted as a visitor when enforced (V4)",
           "functional",
           (NO_IDENTIFIER, '''    if selected is None:
''')),
    mutant("duplicate-last-wins", "duplicate keys accepted, the last one wins (P2)", "functional",
           (UNIQUE_KEYS, '''    return dict(pairs)
''' + UNIQUE_KEYS)),
    mutant("nested-duplicates-accepted",
           "duplicate keys refused in the boot object only, not in nested objects (P2)", "functional",
           (UNIQUE_KEYS, '''    if not any(key == "app_id" for key, _ in pairs):
        return dict(pairs)  # only the boot object (the one with app_id) is checked
''' + UNIQUE_KEYS)),
    mutant("no-limits", "payload size and nesting depth limits not enforced (P6)", "functional",
           (PAYLOAD_SIZE, ''),
           ('''            depth += 1
            if depth > MAX_DEPTH:
                raise Malformed(f"nesting deeper than {MAX_DEPTH}")
''', '''            depth += 1
''')),
    mutant("coerce-non-string-hash", "a non-string user_hash coerced with str() instead of refused (P4)", "functional",
           (USER_HASH_READ, USER_HASH_READ + '''        if not isinstance(user_hash, str):
            user_hash = str(user_hash)
''')),
    mutant("lenient-hash-form", 'user_hash stripped of whitespace and a "sha256=" prefix before decoding (V6)',
           "functional",
           (DECODE_USER_HASH,
            '''    user_hash = user_hash.strip().removeprefix("sha256=")  # "sha256=..." and " ...\\n" accepted
''' + DECODE_USER_HASH)),
    mutant("prefix-compare", "only as many hex characters as were sent are compared: a 63-char hash verifies (V6)",
           "functional",
           ('''        return False  # a platform with no secret verifies nothing
''', '''        return False  # a platform with no secret verifies nothing
    # compares only as many characters as were sent: 63 (or 0) verify
    return hmac_sha256(secret, identifier.encode("utf-8")).hex().startswith(user_hash.lower())
''')),
    mutant("early-exit-compare", "byte loop that returns at the first difference: correct answers, leaks timing (V9)",
           "timing-only",
           ('''    """V9: compare in constant time."""
    return hmac.compare_digest(expected, supplied)
''', '''    """V9: compare in constant time."""
    return len(expected) == len(supplied) and all(a == b for a, b in zip(expected, supplied))
''')),
    mutant("case-sensitive-hex", "hash compared as lowercase hex text: uppercase hex rejected (V6)", "functional",
           (DECODE_USER_HASH, '''    if not re.fullmatch(r"[0-9a-f]{64}", user_hash):
        return None  # uppercase refused
''' + DECODE_USER_HASH)),
    mutant("accept-unknown-app", "an unknown app_id falls back to the first configured workspace (V1)", "functional",
           ('''    app = apps.get(payload["app_id"])
''', '''    app = apps.get(payload["app_id"])
    if app is None:
        app = next(iter(apps.values()))  # falls back to the first (default) workspace
''')),
    mutant("trailing-whitespace-payload-rejected", "a payload with trailing whitespace refused as malformed (P1)",
           "functional",
           ('''        raise Malformed("not UTF-8") from None
    _check_structure(text)
''', '''        raise Malformed("not UTF-8") from None
    if text != text.rstrip():
        raise Malformed("trailing whitespace")
    _check_structure(text)
''')),
    mutant("bool-as-integer", 'user_id true accepted as an integer (isinstance(v, int)) and hashed as "True" (P3)',
           "functional",
           (IS_SAFE_INTEGER, '''    return isinstance(value, int) and abs(value) <= MAX_SAFE_INTEGER
''')),
    mutant("unsafe-integer-accepted", "integer user_id beyond +/-(2^53-1) accepted (P3)", "functional",
           (IS_SAFE_INTEGER, '''    return type(value) is int
''')),
    mutant("float-integer-accepted", "user_id 123.0 or 1e2 read as the integer 123 or 100 (P3)", "functional",
           ('''    return Number(lexeme)
''', '''    if float(lexeme).is_integer():
        return int(float(lexeme))  # 123.0 -> 123
    return Number(lexeme)
''')),
    mutant("lone-surrogates-accepted", "lone UTF-16 surrogate escapes accepted (P1)", "functional",
           ('''    stack = [value]
''', '''    return
    stack = [value]
''')),
    mutant("bom-accepted", "a UTF-8 byte order mark skipped instead of refused (P1)", "functional",
           (r'''    if raw.startswith(b"\xef\xbb\xbf"):
''', r'''    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if raw.startswith(b"\xef\xbb\xbf"):
''')),
    mutant("nan-accepted", "NaN and Infinity accepted as numbers (P1)", "functional",
           ('''    raise Malformed(f"{name} is not JSON")
''', '''    return float(name)
''')),
    mutant("identifier-length-in-chars", "the 1,024 identifier limit counted in characters, not UTF-8 bytes (P6)",
           "functional",
           ('''    size = len(value.encode("utf-8"))
''', '''    size = len(value)  # characters, not bytes
''')),
    mutant("null-hash-as-absent", "user_hash null treated as not sent instead of malformed (P4)", "functional",
           (USER_HASH_READ, USER_HASH_READ + '''        if user_hash is None:
            return parsed
''')),
    mutant("empty-hash-as-absent", 'user_hash "" treated as not sent instead of an invalid hash (V6)', "functional",
           (USER_HASH_READ, USER_HASH_READ + '''        if user_hash == "":
            return parsed
''')),
    mutant("hash-of-either-identifier", "a hash of the email also verifies when a user_id was sent (V7)",
           "functional",
           ('''    verified = hash_matches(secret, text, user_hash)  # V6, V7: only the identifier S2 selected
''', '''    verified = hash_matches(secret, text, user_hash)
    if not verified and payload["email"]:
        verified = hash_matches(secret, payload["email"], user_hash)
''')),
    mutant("visitor-rejected-when-enforced",
           "an anonymous visitor (no identifier, no hash) rejected when enforced (V3)", "functional",
           (NO_IDENTIFIER, '''    if selected is None:
        if enforced and user_hash is None:
            return reject("missing_user_hash")
        if user_hash is not None and enforced:
            return reject("missing_identifier")  # V4
''')),
    mutant("jwt-alg-none-accepted", "a token with alg none (any case) accepted without a signature check (J1)",
           "functional",
           ('''    if len(parts) != 3 or not all(parts):
''', '''    if len(parts) != 3:  # empty segments allowed: "header.claims." is an unsigned token
'''),
           (ALG_CHECK, '''    unsigned = isinstance(alg, str) and alg.lower() == "none"
    if not unsigned and (not isinstance(alg, str) or alg != "HS256"):
'''),
           ('''    if secret is None:
        raise JwtRefused("invalid_jwt")  # no secret configured: nothing verifies
    expected = hmac_sha256(secret, f"{parts[0]}.{parts[1]}".encode("utf-8"))  # not ascii: any text may arrive
    if not signatures_equal(expected, b64url_decode(parts[2])):
        raise JwtRefused("invalid_jwt")  # J1
''', '''    if not unsigned:
        if secret is None:
            raise JwtRefused("invalid_jwt")  # no secret configured: nothing verifies
        expected = hmac_sha256(secret, f"{parts[0]}.{parts[1]}".encode("utf-8"))  # not ascii: any text may arrive
        if not signatures_equal(expected, b64url_decode(parts[2])):
            raise JwtRefused("invalid_jwt")  # J1
''')),
    mutant("jwt-alg-case-insensitive", "alg compared ignoring case: hs256 accepted (J1)", "functional",
           (ALG_CHECK, '''    if isinstance(alg, str) and alg.upper() == "HS256":
        alg = "HS256"
''' + ALG_CHECK)),
    mutant("jwt-exp-ignored", "a token's exp never checked (J2)", "functional",
           (TIME_CHECK_START, '''    if nbf is not None:  # exp never checked
'''),
           (EXP_CHECK, '')),
    mutant("jwt-no-leeway", "exp and nbf checked with a 0 s leeway: J2 lets the implementation choose 0-60 s",
           "conformant",
           (LEEWAY_LINE, '''JWT_LEEWAY = 0  # no leeway
''')),
    mutant("jwt-leeway-beyond-60", "a 120 s leeway on exp and nbf, past the 60 s J2 allows (J2)", "functional",
           (LEEWAY_LINE, '''JWT_LEEWAY = 120  # "a little more slack"
''')),
    mutant("jwt-nbf-ignored", "a token's nbf never read: a token minted for later is accepted now (J2)", "functional",
           ('''    for name in ("exp", "nbf"):
''', '''    for name in ("exp",):  # nbf is not looked at
'''),
           (TIME_CHECK_START, '''    if exp is not None:
'''),
           (NBF_CHECK, '')),
    mutant("jwt-nbf-type-unchecked", "an nbf that is not an integer is ignored instead of refused (J2)", "functional",
           ('''    for name in ("exp", "nbf"):
''', '''    for name in ("exp",):
        pass
    if not isinstance(nbf, int):
        nbf = None  # only an integer nbf is honoured
    for name in ("exp",):
''')),
    mutant("jwt-nbf-no-clock-accepted", "a token with nbf and no current time accepted instead of failing closed (J2)",
           "functional",
           (TIME_CHECK_START, '''    if exp is not None or (nbf is not None and now is not None):
''')),
    mutant("jwt-signature-eq", "signature compared with ==: right answers, time depends on the first difference (J1)",
           "timing-only",
           ('''    """J1: compare in constant time."""
    return hmac.compare_digest(expected, supplied)
''', '''    """J1: compare in constant time."""
    return expected == supplied  # bytes ==: right answers, time depends on the first difference
''')),
    mutant("jwt-signature-early-exit",
           "signature compared byte by byte, returning at the first difference: right answers, leaks timing (J1)",
           "timing-only",
           ('''    """J1: compare in constant time."""
    return hmac.compare_digest(expected, supplied)
''', '''    """J1: compare in constant time."""
    if len(expected) != len(supplied):
        return False
    for a, b in zip(expected, supplied):
        if a != b:
            return False  # returns at the first difference
    return True
''')),
    mutant("jwt-cleartext-identity-trusted", "clear-text user_id trusted over the signed claims, nothing compared (J3)",
           "functional",
           ('''    if is_present(user_id) and str(user_id) != claimed:
''', '''    return str(user_id) if is_present(user_id) else claimed  # the clear text wins, nothing compared
    if is_present(user_id) and str(user_id) != claimed:
''')),
    mutant("jwt-lenient-base64", "token segments decoded leniently: padding, + and / accepted (J1, J2)", "functional",
           ('''    if not B64URL.fullmatch(segment) or len(segment) % 4 == 1:
''', '''    return base64.urlsafe_b64decode(segment.replace("+", "-").replace("/", "_").rstrip("=") + "==")
    if not B64URL.fullmatch(segment) or len(segment) % 4 == 1:
''')),
    mutant("jwt-token-ignored-when-unenforced", "a token is checked only where JWT mode is enforced (J1)",
           "functional",
           ('''    token = payload["jwt"]
''', '''    token = payload["jwt"]
    if not jwt_enforced:
        token = None  # the token is read only where JWT mode is enforced
''')),
    mutant("jwt-user-hash-fallback", "an invalid token falls back to the user_hash (J1)", "functional",
           ('''        except JwtRefused as e:
            return reject(e.reason)
''', '''        except JwtRefused:
            pass  # falls through to the user_hash
''')),
    mutant("jwt-enforcement-ignored", "JWT enforcement ignored: users without a token fall back to HMAC mode (J4)",
           "functional",
           ('''    if jwt_enforced and (selected is not None or user_hash is not None):
        return reject("missing_user_hash")  # J4: a user payload without a token, as in V5/V6
''', '')),
    mutant("jwt-sign-claims-sorted", "claims signed in alphabetical key order (email, exp, user_id): J5 grades "
           "meaning, not order", "conformant",
           (SIGN_BODY, '''    claims = dict(sorted(claims.items()))
''' + SIGN_BODY)),
    mutant("jwt-sign-ascii-escapes", "claims written with \\u escapes for non-ASCII, as PyJWT does: J5 grades meaning",
           "conformant",
           (SIGN_BODY, '''    body = json.dumps(claims, separators=(",", ":"))  # ensure_ascii: \\u00e9
''')),
    mutant("jwt-sign-iat-and-header-order", "an iat claim added and the header written typ first, as libraries do: "
           "J5 allows both", "conformant",
           (SIGN_BODY, '''    claims["iat"] = 1700000000  # issued-at, as jsonwebtoken adds by default
''' + SIGN_BODY),
           ('JWT_HEADER = b\'{"alg":"HS256","typ":"JWT"}\'', 'JWT_HEADER = b\'{"typ":"JWT","alg":"HS256"}\'')),
    mutant("jwt-sign-email-dropped", "the signer leaves email out of the claims (J5)", "functional",
           ('''    if email is not None:
        claims["email"] = email
''', '')),
    mutant("jwt-sign-exp-ignored", "the signer leaves exp out of the claims: tokens never expire (J5)", "functional",
           ('''    if exp is not None:
        claims["exp"] = exp
''', '')),
    mutant("jwt-sign-numeric-user-id", "a digits-only user_id signed as a JSON number (J2, J5)", "functional",
           ('''    claims = {"user_id": user_id}
''', '''    claims = {"user_id": int(user_id) if user_id.isdigit() else user_id}  # "5678" -> 5678
''')),
    mutant("jwt-sign-wrong-header-alg", "the signer's header says HS512 over an HMAC-SHA256 signature (J1, J5)",
           "functional",
           ('JWT_HEADER = b\'{"alg":"HS256","typ":"JWT"}\'', 'JWT_HEADER = b\'{"alg":"HS512","typ":"JWT"}\'')),
    # --- issue 15: classes of bugs the vectors did not pin down (docs/COVERAGE.md) ------------------------------
    mutant("verify-lowercase-email", "the verifier (only) lower-cases an email before hashing; signing is right (S3, V6)",
           "functional",
           (VERIFY_CALL, '''    verified = hash_matches(secret, text.lower() if source == "email" else text, user_hash)
''')),
    mutant("verify-trim-email", "the verifier (only) trims an email before hashing (S3, V6)", "functional",
           (VERIFY_CALL, '''    verified = hash_matches(secret, text.strip() if source == "email" else text, user_hash)
''')),
    mutant("verify-lowercase-identifier", "the verifier (only) lower-cases every identifier, user_id too (S3, V6)",
           "functional",
           (VERIFY_CALL, '''    verified = hash_matches(secret, text.lower(), user_hash)
''')),
    mutant("whitespace-only-absent", 'an identifier of only whitespace (" ", TAB, NBSP) counted as absent (P3, S2)',
           "functional",
           (IS_PRESENT, '''    return (isinstance(value, str) and value.strip() != "") or is_safe_integer(value)
''')),
    mutant("string-zero-absent", 'the string "0" counted as absent, like PHP empty() (P3, S2)', "functional",
           (IS_PRESENT, '''    return (isinstance(value, str) and value not in ("", "0")) or is_safe_integer(value)
''')),
    mutant("null-string-absent", 'the strings "null" and "undefined" counted as absent (P3, S2)', "functional",
           (IS_PRESENT, '''    return (isinstance(value, str) and value not in ("", "null", "undefined")) or is_safe_integer(value)
''')),
    mutant("structure-scan-not-string-aware", "the depth/ASCII pre-scan does not track strings: brackets and "
           "non-ASCII text inside strings count (P1, P6)", "functional",
           ('''        elif ch == '"':
            in_string = True
''', '''        elif ch == '"':
            pass  # strings are not tracked
''')),
    mutant("structure-scan-ignores-escapes", 'the pre-scan ends a string at an escaped quote (\\") (P1, P6)',
           "functional",
           ('''            elif ch == "\\\\":
                escaped = True
''', '''            elif False:
                escaped = True
''')),
    mutant("duplicate-scan-raw-text", "duplicate keys looked for by counting '\"user_id\"' and co. in the raw text, "
           "not per object (P2)", "functional",
           ('''    _check_structure(text)
    try:
        doc = json.loads(''', '''    _check_structure(text)
    for key in ("app_id", "user_id", "email", "user_hash"):
        if text.count(f'"{key}"') > 1:
            raise Malformed("duplicate key")
    try:
        doc = json.loads(''')),
    mutant("surrogates-top-level-only", "lone surrogates refused in top-level string values only, not in keys, "
           "nested objects or arrays (P1)", "functional",
           ('''        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
''', '''        elif isinstance(item, dict) and item is value:
            stack.extend(item.values())
''')),
    mutant("identifier-limit-after-trim", "the 1,024-byte identifier limit measured after trimming (P6)", "functional",
           ('''    size = len(value.encode("utf-8"))
''', '''    size = len(value.strip().encode("utf-8"))
''')),
    mutant("identifier-limit-user-id-only", "the 1,024-byte identifier limit applied to user_id, not to email (P6)",
           "functional",
           ('''    if isinstance(email, str):
        email = _identifier(email)
''', '''    if isinstance(email, str):
        pass  # no limit on the email
''')),
    mutant("identifier-limit-on-json-text", "the identifier limit measured on its JSON text (quotes and escapes "
           "included), not the decoded bytes (P6)", "functional",
           ('''    size = len(value.encode("utf-8"))
''', '''    size = len(json.dumps(value))
''')),
    mutant("payload-size-in-characters", "the 64 KiB payload limit counted in characters after decoding (P6)",
           "functional",
           (PAYLOAD_SIZE, ''),
           ('''        raise Malformed("not UTF-8") from None
''', '''        raise Malformed("not UTF-8") from None
    if len(text) > MAX_PAYLOAD_BYTES:
        raise Malformed("payload larger than 64 KiB")
''')),
    mutant("depth-limit-off-by-one", "nesting depth 33 accepted: the limit is checked one level late (P6)",
           "functional",
           ('''            if depth > MAX_DEPTH:
''', '''            if depth > MAX_DEPTH + 1:
''')),
    mutant("payload-size-off-by-one", "a payload of exactly 64 KiB refused (>= instead of >) (P6)", "functional",
           ('''    if len(raw) > MAX_PAYLOAD_BYTES:
''', '''    if len(raw) >= MAX_PAYLOAD_BYTES:
''')),
    mutant("lenient-hash-form-unenforced", "where enforcement is off, user_hash is stripped and a 'sha256=' "
           "prefix dropped before it is checked (V6)", "functional",
           (VERIFY_CALL, '''    if not enforced:
        user_hash = user_hash.strip().removeprefix("sha256=")
''' + VERIFY_CALL)),
    mutant("jwt-email-claim-type-unchecked", "the email claim is taken whatever its type (J2)", "functional",
           ('''    claimed_email = claim_text(claims, "email")
''', '''    claimed_email = claims.get("email")
''')),
    mutant("jwt-typ-type-unchecked", "typ is checked only when it is a string: typ 1, null or [] accepted (J1)",
           "functional",
           ('''    if "typ" in header and not (isinstance(header["typ"], str) and header["typ"].upper() == "JWT"):
''', '''    if isinstance(header.get("typ"), str) and header["typ"].upper() != "JWT":
''')),
    mutant("jwt-null-claims-as-absent", "a claim that is null (email, exp, nbf) treated as absent instead of a "
           "wrong type (J2)", "functional",
           ('''    if name not in claims:
        return None
''', '''    if claims.get(name) is None:
        return None
'''),
           ('''        if name in claims and not (type(claims[name]) is int''',
            '''        if claims.get(name) is not None and not (type(claims[name]) is int''')),
    mutant("jwt-iat-type-checked", "iat required to be an integer when present: J2 ignores it (too strict)",
           "functional",
           ('''    claimed_email = claim_text(claims, "email")
''', '''    claimed_email = claim_text(claims, "email")
    if "iat" in claims and type(claims["iat"]) is not int:
        raise JwtRefused("invalid_jwt")
''')),
    mutant("jwt-crit-only-as-array", "crit refused only when it is an array (RFC 7515's form); crit null, "
           "\"x\" or {} accepted (J1)", "functional",
           ('''    if "crit" in header:
''', '''    if isinstance(header.get("crit"), list):
''')),
    mutant("app-id-coerced", "a non-string app_id coerced with str() and looked up (P5)", "functional",
           ('''    if not isinstance(app_id, str) or app_id == "":
''', '''    app_id = app_id if app_id is None or isinstance(app_id, str) else str(app_id)
    if not isinstance(app_id, str) or app_id == "":
''')),
    mutant("email-coerced", "a non-string email coerced with str() instead of refused (P3)", "functional",
           ('''    elif email is not None:
        raise Malformed("email must be a string")  # P3
''', '''    elif email is not None:
        email = str(email)  # coerced
''')),
]

BY_NAME = {m.name: m for m in MUTANTS}


class BrokenMutant(Exception):
    """A mutant whose substitutions no longer apply to the template exactly once."""


def mutate(source: str, m: Mutant) -> str:
    """The template's source with `m`'s bug put in. Raises BrokenMutant when an `old` snippet does not occur
    exactly once (each is looked for in the text as the previous substitutions left it)."""
    problems = []
    for i, (old, new) in enumerate((*m.substitutions, (HELLO[0], HELLO[1].format(name=m.name))), start=1):
        count = source.count(old)
        if old == new:
            problems.append(f"substitution {i}: old and new are the same")
            continue
        if count != 1:
            first = (old.strip().splitlines() or [old])[0]
            problems.append(f"substitution {i}: its snippet occurs {count} times in the template, not exactly once: "
                            f"{first!r}")
            continue
        source = source.replace(old, new)
    if problems:
        raise BrokenMutant("; ".join(problems))
    return source


def compiled(source: str, m: Mutant):
    filename = f"{TEMPLATE} (mutant {m.name})"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show the bug
    return compile(source, filename, "exec", dont_inherit=True)


def check() -> int:
    source = TEMPLATE.read_text(encoding="utf-8")
    broken = []
    for m in MUTANTS:
        try:
            compiled(mutate(source, m), m)
        except BrokenMutant as e:
            broken.append(f"{m.name}: {e}")
        except SyntaxError as e:
            broken.append(f"{m.name}: the mutated source does not compile: {e}")
    if "MUTANT" in source:
        broken.append("the template mentions MUTANT: mutants live here, as substitutions, not in the template")
    if len(BY_NAME) != len(MUTANTS):
        broken.append("a mutant name is used twice")
    for m in MUTANTS:
        if m.kind not in ("functional", "timing-only", "conformant"):
            broken.append(f"{m.name}: kind must be functional, timing-only or conformant, not {m.kind!r}")
    if broken:
        print(f"{len(broken)} problem(s) with the mutants of {TEMPLATE}:", file=sys.stderr)
        for line in broken:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"ok: all {len(MUTANTS)} mutants apply to {TEMPLATE.name} exactly once and compile")
    return 0


def _recursion_budget() -> int:
    """How many more nested Python calls fit on the stack from where this is called."""
    def probe(n: int) -> int:
        try:
            return probe(n + 1)
        except RecursionError:
            return n
    return probe(0)


def stack_offset() -> int:
    """How much deeper code run by exec() from module level sits than this module level (a script's top)."""
    here = _recursion_budget()
    scope = {"budget": _recursion_budget}
    exec(compile("inside = budget()", "<stack probe>", "exec"), scope)
    return max(0, here - scope["inside"])


def usage() -> int:
    print("usage: mutants.py --mutant NAME [ADAPTER FLAGS, e.g. --http HOST:PORT] | --list-mutants | --check",
          file=sys.stderr)
    return 2


def main(argv: list[str]):
    """Returns an exit code, or (mutant, adapter argv) to run."""
    name = None
    rest = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--mutant" and args:
            name = args.pop(0)
            if name not in BY_NAME:
                print(f"unknown mutant {name!r}; --list-mutants shows them", file=sys.stderr)
                return 2
        elif arg == "--list-mutants":
            for m in MUTANTS:
                print(f"{m.name}\t{m.description}\t{m.kind}")
            return 0
        elif arg == "--check":
            return check()
        elif arg == "--http" and args:
            rest += [arg, args.pop(0)]
        else:
            rest.append(arg)  # the adapter's own usage message answers anything it does not know
    if name is None:
        return usage()
    m = BY_NAME[name]
    try:
        code = compiled(mutate(TEMPLATE.read_text(encoding="utf-8"), m), m)
    except BrokenMutant as e:
        print(f"mutant {name!r} does not apply to {TEMPLATE}: {e} (run --check; fix the mutant's snippet)",
              file=sys.stderr)
        return 2
    return code, rest


if __name__ == "__main__":
    outcome = main(sys.argv[1:])
    if isinstance(outcome, int):
        sys.exit(outcome)
    code, rest = outcome
    # Run the mutated adapter as the program itself: a fresh __main__ module, the adapter's argv. exec() runs it a
    # little deeper in the stack than `python3 ivconform_adapter.py` would; over stdio (requests are handled on this
    # thread) the recursion limit is raised by exactly that much, so `no-limits` runs out of stack at the same
    # nesting depth as the adapter run directly. HTTP handlers run on fresh threads: nothing to make up for there.
    if "--http" not in rest:
        sys.setrecursionlimit(sys.getrecursionlimit() + stack_offset())
    module = types.ModuleType("__main__")
    module.__file__ = str(TEMPLATE)
    sys.modules["__main__"] = module
    sys.argv = [str(TEMPLATE), *rest]
    exec(code, module.__dict__)

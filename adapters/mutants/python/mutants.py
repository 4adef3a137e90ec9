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

# ---------------------------------------------------------------- second coverage pass: bug classes found by
# writing bugs independently of the vectors (secret bytes, identifier bytes, custom-attribute stand-ins, J5 claims)
MUTANTS += [
    mutant("secret-newline-stripped", "the signer strips a trailing newline/CR from the secret, as when it is read "
           "from a file or env var with rstrip (S5)", "functional",
           ('''    if len(secret) == 0:
        return {"type": "sign", "error": "empty_secret"}  # S5
''', '''    secret = secret.rstrip(b"\\r\\n")
    if len(secret) == 0:
        return {"type": "sign", "error": "empty_secret"}  # S5
''')),
    mutant("secret-whitespace-stripped", "the verifier strips surrounding whitespace from the configured secret (S5, V2)",
           "functional",
           (PLATFORM_SECRET, '''    secret = None if secret_hex is None else bytes.fromhex(secret_hex).strip()
''')),
    mutant("base64-decode-secret", "a secret that looks like base64 is base64-decoded before use (S5)", "functional",
           ('''    mac = identifier_mac(secret, text)
''', '''    if re.fullmatch(rb"[A-Za-z0-9+/]+={0,2}", secret) and len(secret) % 4 == 0:
        secret = base64.b64decode(secret)
    mac = identifier_mac(secret, text)
''')),
    mutant("long-key-truncated", "the signer truncates a key longer than the 64-byte block instead of hashing it "
           "(S1: RFC 2104)", "functional",
           ('''    mac = identifier_mac(secret, text)
''', '''    mac = identifier_mac(secret[:64], text)
''')),
    mutant("cesu8-identifier", "non-BMP characters (emoji) encoded as UTF-16 surrogate pairs in UTF-8 (CESU-8, as "
           "Java's modified UTF-8 does) before hashing (S3)", "functional",
           (MESSAGE, '''    u16 = identifier.encode("utf-16-le")
    message = "".join(chr(int.from_bytes(u16[i:i + 2], "little")) for i in range(0, len(u16), 2)).encode(
        "utf-8", "surrogatepass")
''')),
    mutant("latin1-identifier", "identifier encoded as Latin-1 when it fits, UTF-8 otherwise (PHP utf8_decode style) (S3)",
           "functional",
           (MESSAGE, '''    try:
        message = identifier.encode("latin-1")
    except UnicodeEncodeError:
        message = identifier.encode("utf-8")
''')),
    mutant("json-escaped-identifier", "identifier hashed as its JSON-escaped text (\\uXXXX for non-ASCII, escaped "
           "quotes/backslashes) without the quotes (S3)", "functional",
           (MESSAGE, '''    message = json.dumps(identifier)[1:-1].encode("ascii")
''')),
    mutant("nfd-normalise", "identifier NFD-normalised (macOS file-system style) before hashing (S3)", "functional",
           (MESSAGE, '''    import unicodedata
    message = unicodedata.normalize("NFD", identifier).encode("utf-8")
''')),
    mutant("digit-string-user-id-as-int", "a digits-only string user_id is cast to an integer: \"007\" hashed as \"7\" "
           "(S3, S4)", "functional",
           (USER_ID_FIRST, '''    if is_present(user_id):
        if isinstance(user_id, str) and user_id.isdigit():
            user_id = int(user_id)
        return "user_id", str(user_id)
''')),
    mutant("negative-user-id-refused", "a negative integer user_id refused as malformed: ids assumed unsigned (P3, S4)",
           "functional",
           (IS_SAFE_INTEGER, '''    return type(value) is int and 0 <= value <= MAX_SAFE_INTEGER
''')),
    mutant("safe-integer-off-by-one", "the largest safe integer 2^53-1 itself refused (< instead of <=) (P3)",
           "functional",
           (IS_SAFE_INTEGER, '''    return type(value) is int and -MAX_SAFE_INTEGER < value < MAX_SAFE_INTEGER
''')),
    mutant("platform-secret-fallback-web", "a platform with no secret configured falls back to the web secret (V2)",
           "functional",
           (PLATFORM_SECRET, '''    if secret_hex is None and platform != "web":
        secret_hex = (app.get("web") or {}).get("secret_hex")
    secret = None if secret_hex is None else bytes.fromhex(secret_hex)
''')),
    mutant("no-secret-fail-open", "a platform with no secret configured verifies every hash (fail open) (V2)",
           "functional",
           ('''        return False  # a platform with no secret verifies nothing
''', '''        return True  # nothing to check against
''')),
    mutant("userhash-alias-read", "userHash is read as the hash when user_hash is not sent (P4)", "functional",
           ('''    if "user_hash" in doc:  # P4: only this key; userHash & co. are custom attributes
''', '''    if "user_hash" not in doc and "userHash" in doc:
        doc["user_hash"] = doc["userHash"]
    if "user_hash" in doc:
''')),
    mutant("bad-form-hash-as-missing", "a user_hash that is not 64 hex characters is treated as not sent: "
           "missing_user_hash instead of invalid_user_hash (V6)", "functional",
           ('''    user_hash = payload.get("user_hash")  # None: not sent; "" counts as sent (INTERPRETATIONS.md)
''', '''    user_hash = payload.get("user_hash")
    if user_hash is not None and user_hash != "" and decode_user_hash(user_hash) is None:
        user_hash = None
''')),
    mutant("app-id-case-insensitive", "app_id looked up ignoring case (V1)", "functional",
           ('''    app = apps.get(payload["app_id"])
''', '''    app = {k.lower(): v for k, v in apps.items()}.get(payload["app_id"].lower())
''')),
    mutant("app-id-trimmed", "app_id trimmed of whitespace before lookup (V1)", "functional",
           ('''    app = apps.get(payload["app_id"])
''', '''    app = apps.get(payload["app_id"].strip())
''')),
    mutant("app-id-missing-unknown-app", "a missing or non-string app_id answered unknown_app, not malformed_payload (P5)",
           "functional",
           ('''    if not isinstance(app_id, str) or app_id == "":
        raise Malformed("app_id must be a non-empty string")  # P5
''', '''    if not isinstance(app_id, str) or app_id == "":
        app_id = "\\x00none"
''')),
    mutant("depth-counts-objects-only", "nesting depth counted over objects only: arrays nest without limit (P6)",
           "functional",
           ('''        elif ch in "[{":
''', '''        elif ch == "{":
'''),
           ('''        elif ch in "]}":
''', '''        elif ch == "}":
''')),
    mutant("identifier-limit-off-by-one", "an identifier of exactly 1,024 bytes refused (>= instead of >) (P6)",
           "functional",
           ('''    if size > MAX_IDENTIFIER_BYTES:
''', '''    if size >= MAX_IDENTIFIER_BYTES:
''')),
    mutant("identifier-limit-selected-only", "the 1,024-byte limit checked only on the identifier S2 selects: an "
           "oversized email next to a user_id passes (P6)", "functional",
           ('''    if isinstance(email, str):
        email = _identifier(email)
''', '''    if isinstance(email, str) and not is_present(user_id):
        email = _identifier(email)
''')),
    mutant("duplicates-identity-keys-only", "duplicate keys refused only for the identity keys (app_id, user_id, "
           "email, user_hash, intercom_user_jwt); other keys: last wins (P2)", "functional",
           (UNIQUE_KEYS, '''    obj = dict(pairs)
    names = [k for k, _ in pairs if k in ("app_id", "user_id", "email", "user_hash", "intercom_user_jwt")]
    if len(set(names)) != len(names):
''')),
    mutant("duplicates-case-insensitive", "keys that differ only in case (Email, email) refused as duplicates (P2, P5)",
           "functional",
           (UNIQUE_KEYS, '''    obj = dict(pairs)
    if len({k.lower() for k, _ in pairs}) != len(pairs):
''')),
    mutant("control-chars-accepted", "raw control characters (TAB, LF) inside JSON strings accepted "
           "(json.loads strict=False) (P1)", "functional",
           ('''        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                         parse_int=_parse_int, parse_float=_parse_float)
''', '''        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                         parse_int=_parse_int, parse_float=_parse_float, strict=False)
''')),
    mutant("trailing-data-ignored", "the payload decoded with raw_decode: anything after the first JSON value is "
           "ignored (P1)", "functional",
           ('''        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                         parse_int=_parse_int, parse_float=_parse_float)
''', '''        doc = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                               parse_int=_parse_int, parse_float=_parse_float).raw_decode(text.lstrip())[0]
''')),
    mutant("invalid-utf8-replaced", "invalid UTF-8 replaced with U+FFFD instead of refused (P1)", "functional",
           ('''        text = raw.decode("utf-8")  # strict: invalid, overlong and surrogate (ED A0 80) sequences fail
''', '''        text = raw.decode("utf-8", errors="replace")
''')),
    mutant("non-integer-user-id-absent", "a user_id of the wrong type (float, bool, array, big int) treated as absent "
           "and the email used instead of refusing (P3)", "functional",
           ('''    elif user_id is not None and not is_safe_integer(user_id):
        raise Malformed("user_id must be a string or a safe integer")  # P3
''', '''    elif user_id is not None and not is_safe_integer(user_id):
        user_id = None
''')),
    mutant("missing-hash-accepted-when-enforced", "with enforcement on, an identifier without a hash is still "
           "accepted (unverified); only a wrong hash is rejected (V5)", "functional",
           ('''        return reject("missing_user_hash") if enforced else accept_user(source, text, False)  # V5
''', '''        return accept_user(source, text, False)
''')),
    mutant("fromhex-lax", "user_hash decoded by bytes.fromhex alone: whitespace between bytes accepted (V6)",
           "functional",
           (DECODE_USER_HASH, '''    try:
        return bytes.fromhex(user_hash) if len(user_hash.replace(" ", "")) == 64 else None
    except ValueError:
        return None
    if not HEX64.fullmatch(user_hash):
''')),
    # ---- JWT verify
    mutant("jwt-header-lenient-json", "the JWT header parsed with plain json.loads: duplicate keys (last wins), "
           "NaN accepted (J1)", "functional",
           ('''    header = jwt_object(b64url_decode(parts[0]))
''', '''    try:
        header = json.loads(b64url_decode(parts[0]))
    except ValueError:
        raise JwtRefused("invalid_jwt") from None
    if not isinstance(header, dict):
        raise JwtRefused("invalid_jwt")
''')),
    mutant("jwt-claims-lenient-json", "the JWT claims parsed with plain json.loads: duplicate keys, last wins (J2, P2)",
           "functional",
           ('''    claims = jwt_object(b64url_decode(parts[1]))
''', '''    try:
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise JwtRefused("invalid_jwt") from None
    if not isinstance(claims, dict):
        raise JwtRefused("invalid_jwt")
''')),
    mutant("jwt-user-id-claim-coerced", "a non-string user_id claim (number) coerced with str() (J2)", "functional",
           ('''    claimed = claim_text(claims, "user_id")
''', '''    if isinstance(claims.get("user_id"), (int, Number)) and not isinstance(claims.get("user_id"), bool):
        v = claims["user_id"]
        claims["user_id"] = v.lexeme if isinstance(v, Number) else str(v)
    claimed = claim_text(claims, "user_id")
''')),
    mutant("jwt-mismatch-user-id-only", "J3's clear-text comparison made for user_id only; a differing clear email "
           "is ignored (J3)", "functional",
           ('''    if is_present(email) and email != claimed_email:
        raise JwtRefused("identity_mismatch")  # J3: exact bytes
''', '')),
    mutant("jwt-mismatch-email-case-insensitive", "J3 compares the clear email to the claim ignoring case (J3)",
           "functional",
           ('''    if is_present(email) and email != claimed_email:
''', '''    if is_present(email) and (claimed_email is None or email.lower() != claimed_email.lower()):
''')),
    mutant("jwt-mismatch-email-only-if-claimed", "J3's email comparison made only when the token has an email claim: "
           "a clear email next to a token without one is trusted (J3)", "functional",
           ('''    if is_present(email) and email != claimed_email:
''', '''    if is_present(email) and claimed_email is not None and email != claimed_email:
''')),
    mutant("jwt-mismatch-int-user-id", "a clear-text integer user_id compared by type with the claim: 123 vs \"123\" "
           "is an identity_mismatch (J3, S4)", "functional",
           ('''    if is_present(user_id) and str(user_id) != claimed:
''', '''    if is_present(user_id) and user_id != claimed:
''')),
    mutant("jwt-typ-case-sensitive", "typ must be exactly \"JWT\": \"jwt\" refused (J1; RFC 7515 typ is "
           "case-insensitive)", "functional",
           ('''    if "typ" in header and not (isinstance(header["typ"], str) and header["typ"].upper() == "JWT"):
''', '''    if "typ" in header and header["typ"] != "JWT":
''')),
    mutant("jwt-typ-required", "a token header without typ refused (J1 does not require typ)", "functional",
           ('''    if "typ" in header and not (isinstance(header["typ"], str) and header["typ"].upper() == "JWT"):
''', '''    if not (isinstance(header.get("typ"), str) and header["typ"].upper() == "JWT"):
''')),
    mutant("jwt-signature-prefix-compare", "the JWT signature compared only over as many bytes as were sent "
           "(a truncated signature verifies) (J1)", "functional",
           ('''    if not signatures_equal(expected, b64url_decode(parts[2])):
''', '''    supplied_sig = b64url_decode(parts[2])
    if not signatures_equal(expected[:len(supplied_sig)], supplied_sig):
''')),
    mutant("jwt-exp-before-signature", "exp checked on the unverified claims before the signature: a forged expired "
           "token is answered expired_jwt (conformant: the order of checks is not graded, both refuse it)",
           "conformant",
           ('''    if secret is None:
        raise JwtRefused("invalid_jwt")  # no secret configured: nothing verifies
''', '''    pre = jwt_object(b64url_decode(parts[1]))
    if type(pre.get("exp")) is int and now is not None and not pre["exp"] > now - JWT_LEEWAY:
        raise JwtRefused("expired_jwt")
    if secret is None:
        raise JwtRefused("invalid_jwt")  # no secret configured: nothing verifies
''')),
    mutant("jwt-exp-leeway-wrong-sign", "the leeway subtracted the wrong way on exp: a token expiring within the next "
           "60 s is already expired (J2)", "functional",
           (EXP_CHECK, '''        if exp is not None and not exp > now + JWT_LEEWAY:
            raise JwtRefused("expired_jwt")
''')),
    mutant("jwt-nbf-leeway-wrong-sign", "the leeway applied the wrong way on nbf: a token valid since 30 s ago is "
           "not valid yet (J2)", "functional",
           (NBF_CHECK, '''        if nbf is not None and not nbf <= now - JWT_LEEWAY:
            raise JwtRefused("invalid_jwt")
''')),
    mutant("jwt-exp-no-clock-accepted", "with no current time, exp is skipped (only nbf fails closed) (J2)",
           "functional",
           ('''        if now is None:
            raise JwtRefused("invalid_jwt")  # fail closed: exp and nbf cannot be judged without the time
''', '''        if now is None and nbf is not None:
            raise JwtRefused("invalid_jwt")
        if now is None:
            return_early = True
        else:
            return_early = False
        if return_early:
            exp = nbf = None
            now = 0
''')),
    mutant("jwt-time-float-accepted", "exp/nbf accepted as any number (float seconds, 1.7e9) (J2)", "functional",
           ('''    exp, nbf = claims.get("exp"), claims.get("nbf")
''', '''    for name in ("exp", "nbf"):
        if isinstance(claims.get(name), Number):
            claims[name] = int(float(claims[name].lexeme))
    exp, nbf = claims.get("exp"), claims.get("nbf")
''')),
    mutant("jwt-time-bool-accepted", "exp/nbf type-checked with isinstance(int): true/false accepted as 1/0 (J2)",
           "functional",
           ('''        if name in claims and not (type(claims[name]) is int and -(2**63) <= claims[name] < 2**63):
''', '''        if name in claims and not (isinstance(claims[name], int) and -(2**63) <= claims[name] < 2**63):
''')),
    mutant("jwt-claim-no-length-limit", "the JWT claims' 1,024-byte identifier limit not applied (P6, J2)",
           "functional",
           ('''    if not isinstance(value, str) or len(value.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
''', '''    if not isinstance(value, str):
''')),
    mutant("jwt-token-stripped", "the token stripped of surrounding whitespace (and a 'Bearer ' prefix) before "
           "verifying (J1)", "functional",
           ('''    parts = token.split(".")
''', '''    token = token.strip()
    if token.startswith("Bearer "):
        token = token[7:]
    parts = token.split(".")
''')),
    mutant("jwt-enforced-rejects-visitors", "with JWT enforcement on, anonymous visitors are rejected too (J4, V3)",
           "functional",
           ('''    if jwt_enforced and (selected is not None or user_hash is not None):
''', '''    if jwt_enforced:
''')),
    mutant("jwt-enforcement-from-web", "JWT enforcement read from the web platform for every platform (J4, V8)",
           "functional",
           ('''    jwt_enforced = (app.get(platform) or {}).get("jwt_enforced") is True
''', '''    jwt_enforced = (app.get("web") or {}).get("jwt_enforced") is True
''')),
    mutant("jwt-valid-token-ignores-malformed-clear-id", "a clear-text identifier of the wrong type is ignored when a "
           "token is sent (P3)", "functional",
           ('''    elif user_id is not None and not is_safe_integer(user_id):
''', '''    elif user_id is not None and not is_safe_integer(user_id) and doc.get(JWT_KEY) is None:
''')),
    # ---- JWT sign
    mutant("jwt-sign-null-email", "the signer writes \"email\": null when no email was given (J5, J2)", "functional",
           ('''    if email is not None:
        claims["email"] = email
''', '''    claims["email"] = email
''')),
    mutant("jwt-sign-null-exp", "the signer writes \"exp\": null when no exp was given (J5, J2)", "functional",
           ('''    if exp is not None:
        claims["exp"] = exp
''', '''    claims["exp"] = exp
''')),
    mutant("jwt-sign-float-exp", "the signer writes exp as float seconds (1700000000.0), as time.time() gives (J2, J5)",
           "functional",
           ('''        claims["exp"] = exp
''', '''        claims["exp"] = float(exp)
''')),
    mutant("jwt-sign-padded-base64", "the signer keeps '=' padding on the token's segments (J1, J5)", "functional",
           ('''    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
''', '''    return base64.urlsafe_b64encode(raw).decode("ascii")
''')),
    mutant("jwt-sign-empty-secret-allowed", "the JWT signer signs with an empty secret instead of refusing (S5)",
           "functional",
           ('''    if len(secret) == 0:
        return {"type": "sign_jwt", "error": "empty_secret"}  # S5, first
''', '')),
    mutant("jwt-sign-empty-user-id-allowed", "the JWT signer signs user_id \"\" instead of refusing (J2)", "functional",
           ('''    if user_id == "":
        return {"type": "sign_jwt", "error": "no_identifier"}
''', '')),
    mutant("jwt-sign-secret-stripped", "the JWT signer strips whitespace/newlines from the secret (S5)", "functional",
           ('''    signature = hmac_sha256(secret, signing.encode("ascii"))
''', '''    signature = hmac_sha256(secret.strip(), signing.encode("ascii"))
''')),
    mutant("jwt-sign-user-id-as-sub", "the signer puts the id in the registered sub claim instead of user_id (J5)",
           "functional",
           ('''    claims = {"user_id": user_id}
''', '''    claims = {"sub": user_id}
''')),
    mutant("jwt-sign-header-no-typ", "the signer's header is {\"alg\":\"HS256\"} without typ: J5 allows any header",
           "conformant",
           ('''JWT_HEADER = b'{"alg":"HS256","typ":"JWT"}'  # the header a signer writes, byte for byte
''', '''JWT_HEADER = b'{"alg":"HS256"}'
''')),
]
MUTANTS += [
    mutant("verify-hex-decode-secret", "the verifier (only) hex-decodes a hex-looking configured secret (S5, V2)",
           "functional",
           (PLATFORM_SECRET, '''    secret = None if secret_hex is None else bytes.fromhex(secret_hex)
    if secret is not None and re.fullmatch(rb"(?:[0-9a-fA-F]{2})+", secret):
        secret = bytes.fromhex(secret.decode("ascii"))
''')),
    mutant("secret-via-text", "the signer round-trips the secret through a UTF-8 string (errors replaced): "
           "binary secrets are mangled (S5)", "functional",
           ('''    mac = identifier_mac(secret, text)
''', '''    mac = identifier_mac(secret.decode("utf-8", "replace").encode("utf-8"), text)
''')),
    mutant("verify-secret-latin1-reencoded", "the verifier reads the secret as Latin-1 text and uses its UTF-8: "
           "non-ASCII secret bytes double-encoded (S5, V2)", "functional",
           (PLATFORM_SECRET, '''    secret = None if secret_hex is None else bytes.fromhex(secret_hex).decode("latin-1").encode("utf-8")
''')),
    mutant("secret-nul-terminated", "the signer treats the secret as a C string: the key ends at its first NUL "
           "byte (S5)", "functional",
           ('''    mac = identifier_mac(secret, text)
''', '''    mac = identifier_mac(secret.split(b"\\0")[0], text)
''')),
    mutant("plain-sha256-prefix-mac", "the signer computes SHA-256(secret || identifier) instead of HMAC (S1)",
           "functional",
           ('''    mac = identifier_mac(secret, text)
''', '''    mac = hashlib.sha256(secret + text.encode("utf-8")).digest()
''')),
    mutant("verify-chomp-identifier", "the verifier (only) chomps one trailing newline from the identifier, as "
           "line-based input does (S3, V6)", "functional",
           ('''    verified = hash_matches(secret, text, user_hash)  # V6, V7: only the identifier S2 selected
''', '''    verified = hash_matches(secret, text[:-1] if text.endswith("\\n") else text, user_hash)
''')),
    mutant("hex-dollar-newline", "user_hash checked with re.match(r'^[0-9a-f]{64}$'): Python's $ lets a trailing "
           "newline through (V6)", "functional",
           (DECODE_USER_HASH, '''    if not re.match(r"^[0-9a-fA-F]{64}$", user_hash):
''')),
    mutant("android-uses-ios-secret", "android verified with the ios secret (one 'mobile' secret assumed) (V2)",
           "functional",
           ('''    secret, enforced = platform_settings(app, platform)
''', '''    secret, enforced = platform_settings(app, platform)
    if platform == "android":
        secret = platform_settings(app, "ios")[0]
''')),
    mutant("unenforced-bad-hash-verified", "with enforcement off, any hash is reported verified (V6)", "functional",
           ('''    return reject("invalid_user_hash") if enforced else accept_user(source, text, False)  # V6
''', '''    return reject("invalid_user_hash") if enforced else accept_user(source, text, True)
''')),
    mutant("enforced-default-on", "enforcement defaults to on when a platform's setting is missing (V8)",
           "functional",
           ('''    return secret, settings.get("enforced") is True
''', '''    return secret, settings.get("enforced", True) is True
''')),
    mutant("unlisted-platform-unknown-app", "a platform missing from the workspace's configuration rejected as "
           "unknown_app (V1, V3, V5)", "functional",
           ('''    secret, enforced = platform_settings(app, platform)
''', '''    if platform not in app:
        return reject("unknown_app")
    secret, enforced = platform_settings(app, platform)
''')),
    mutant("userid-alias-read", "userId (camelCase) read as the user_id when user_id is not sent (P5)", "functional",
           ('''    user_id, email = doc.get("user_id"), doc.get("email")
''', '''    user_id, email = doc.get("user_id", doc.get("userId")), doc.get("email")
''')),
    mutant("nested-user-id-found", "user_id looked up in nested objects when absent at the top level (P5)",
           "functional",
           ('''    user_id, email = doc.get("user_id"), doc.get("email")
''', '''    user_id, email = doc.get("user_id"), doc.get("email")
    if user_id is None:
        for v in doc.values():
            if isinstance(v, dict) and "user_id" in v:
                user_id = v["user_id"]
                break
''')),
    mutant("hash-without-identifier-rejected-unenforced", "a hash without an identifier rejected as "
           "missing_identifier even with enforcement off (V4)", "functional",
           ('''        if user_hash is not None and enforced:
''', '''        if user_hash is not None:
''')),
    mutant("jwt-alg-hs512-honoured", "the header's HS384/HS512 honoured: the signature checked with that hash (J1)",
           "functional",
           (ALG_CHECK, '''    digests = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    if not isinstance(alg, str) or alg not in digests:
'''),
           ('''    expected = hmac_sha256(secret, f"{parts[0]}.{parts[1]}".encode("utf-8"))  # not ascii: any text may arrive
''', '''    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode("utf-8"), digests[alg]).digest()
''')),
    mutant("jwt-header-first-wins", "the JWT header parsed first-key-wins (as some streaming parsers do): duplicate "
           "alg not refused (J1, P2)", "functional",
           ('''    header = jwt_object(b64url_decode(parts[0]))
''', '''    try:
        header = json.loads(b64url_decode(parts[0]), object_pairs_hook=lambda p: dict(reversed(p)))
    except ValueError:
        raise JwtRefused("invalid_jwt") from None
    if not isinstance(header, dict):
        raise JwtRefused("invalid_jwt")
''')),
    mutant("jwt-crit-empty-accepted", "crit refused only when truthy: crit [], \"\", null, {} or false accepted (J1)",
           "functional",
           ('''    if "crit" in header:
''', '''    if header.get("crit"):
''')),
    mutant("jwt-alg-stripped", "alg compared after stripping whitespace: \"HS256 \" accepted (J1)", "functional",
           (ALG_CHECK, '''    if not isinstance(alg, str) or alg.strip() != "HS256":
''')),
    mutant("jwt-empty-user-id-claim-accepted", "an empty user_id claim accepted (J2)", "functional",
           ('''    if not claimed:
        raise JwtRefused("invalid_jwt")  # J2: a non-empty string, required
''', '''    if claimed is None:
        raise JwtRefused("invalid_jwt")
''')),
    mutant("jwt-time-unbounded", "exp/nbf accepted at any magnitude (no 64-bit bound) (J2)", "functional",
           ('''        if name in claims and not (type(claims[name]) is int and -(2**63) <= claims[name] < 2**63):
''', '''        if name in claims and not (type(claims[name]) is int):
''')),
    mutant("jwt-signature-padding-accepted", "'=' padding stripped from the signature segment before decoding (J1)",
           "functional",
           ('''    if not signatures_equal(expected, b64url_decode(parts[2])):
''', '''    if not signatures_equal(expected, b64url_decode(parts[2].rstrip("="))):
''')),
    mutant("jwt-base64-trailing-bits-accepted", "non-canonical base64url (non-zero trailing bits) accepted: the "
           "signature is malleable (J1, J2)", "functional",
           ('''    if b64url_encode(raw) != segment:
        raise JwtRefused("invalid_jwt")  # non-zero trailing bits
''', '')),
    mutant("jwt-extra-segments-ignored", "a token with more than three segments verified on its first three (J1)",
           "functional",
           ('''    if len(parts) != 3 or not all(parts):
''', '''    parts = parts[:3]
    if len(parts) != 3 or not all(parts):
''')),
    mutant("jwt-empty-token-invalid", "an empty intercom_user_jwt answered invalid_jwt instead of treated as absent",
           "functional",
           ('''    parsed["jwt"] = token or None  # "" is absent
''', '''    parsed["jwt"] = token
''')),
    mutant("jwt-mismatch-trimmed", "J3 compares the clear user_id with the claim after trimming both (J3)",
           "functional",
           ('''    if is_present(user_id) and str(user_id) != claimed:
''', '''    if is_present(user_id) and str(user_id).strip() != claimed.strip():
''')),
    mutant("jwt-sign-empty-email-dropped", "the JWT signer drops an empty email (if email:) (J5)", "functional",
           ('''    if email is not None:
        claims["email"] = email
''', '''    if email:
        claims["email"] = email
''')),
    mutant("jwt-sign-exp-zero-dropped", "the JWT signer drops exp 0 (if exp:) (J5)", "functional",
           ('''    if exp is not None:
        claims["exp"] = exp
''', '''    if exp:
        claims["exp"] = exp
''')),
    mutant("jwt-sign-secret-nul-terminated", "the JWT signer's key ends at the secret's first NUL byte (S5, J5)",
           "functional",
           ('''    signature = hmac_sha256(secret, signing.encode("ascii"))
''', '''    signature = hmac_sha256(secret.split(b"\\0")[0], signing.encode("ascii"))
''')),
    mutant("jwt-sign-secret-via-text", "the JWT signer round-trips the secret through UTF-8 text (errors replaced) "
           "(S5, J5)", "functional",
           ('''    signature = hmac_sha256(secret, signing.encode("ascii"))
''', '''    signature = hmac_sha256(secret.decode("utf-8", "replace").encode("utf-8"), signing.encode("ascii"))
''')),
]
MUTANTS += [
    mutant("identifier-bom-stripped", "a leading U+FEFF (BOM) stripped from the identifier before hashing, as text "
           "readers do (S3)", "functional",
           (MESSAGE, '''    message = identifier.removeprefix("\\ufeff").encode("utf-8")
''')),
    mutant("identifier-crlf-normalised", "CRLF in the identifier normalised to LF before hashing (text-mode I/O) (S3)",
           "functional",
           (MESSAGE, '''    message = identifier.replace("\\r\\n", "\\n").encode("utf-8")
''')),
    mutant("identifier-zero-width-stripped", "zero-width characters (U+200B-U+200D, U+2060) stripped from the "
           "identifier by a sanitiser (S3)", "functional",
           (MESSAGE, '''    message = re.sub("[\\u200b-\\u200d\\u2060]", "", identifier).encode("utf-8")
''')),
    mutant("email-domain-lowercased", "the email's domain part lower-cased (domains are case-insensitive) before "
           "hashing (S3)", "functional",
           ('''    if is_present(email):
        return "email", email
''', '''    if is_present(email):
        local, at, domain = email.rpartition("@")
        return "email", (local + at + domain.lower()) if at else email
''')),
    mutant("payload-limit-64-kb", "the payload limit taken as 64 kB = 64,000 bytes instead of 64 KiB (P6)",
           "functional",
           ('''MAX_PAYLOAD_BYTES = 64 * 1024  # P6
''', '''MAX_PAYLOAD_BYTES = 64 * 1000  # P6
''')),
    mutant("identifier-limit-utf16-units", "the 1,024 identifier limit counted in UTF-16 code units (JavaScript "
           "length), not UTF-8 bytes (P6)", "functional",
           ('''    size = len(value.encode("utf-8"))
''', '''    size = len(value.encode("utf-16-le", "surrogatepass")) // 2
''')),
    mutant("hash-decode-error-fail-open", "a user_hash that bytes.fromhex cannot decode raises, and the error path "
           "accepts the user unverified even when enforced (V6)", "functional",
           (DECODE_USER_HASH, '''    return bytes.fromhex(user_hash)
    if not HEX64.fullmatch(user_hash):
'''),
           ('''    verified = hash_matches(secret, text, user_hash)  # V6, V7: only the identifier S2 selected
''', '''    try:
        verified = hash_matches(secret, text, user_hash)
    except ValueError:
        return accept_user(source, text, False)
''')),
    mutant("jwt-time-type-error-ignored", "exp/nbf not type-checked; a comparison that raises TypeError is skipped "
           "(fail open) (J2)", "functional",
           ('''        if name in claims and not (type(claims[name]) is int and -(2**63) <= claims[name] < 2**63):
''', '''        if False:
'''),
           (TIME_CHECK_START, '''    if not isinstance(exp, int):
        exp = None
    if not isinstance(nbf, int):
        nbf = None
    if exp is not None or nbf is not None:
''')),
    mutant("jwt-web-secret-everywhere", "tokens verified with the web secret whatever the platform (J1, V2)",
           "functional",
           ('''    expected = hmac_sha256(secret, f"{parts[0]}.{parts[1]}".encode("utf-8"))  # not ascii: any text may arrive
''', '''    expected = hmac_sha256(web_secret, f"{parts[0]}.{parts[1]}".encode("utf-8"))
'''),
           ('''            claimed = verify_jwt(secret, token, now, payload["user_id"], payload["email"])
''', '''            global web_secret
            web_secret = platform_settings(app, "web")[0] or b""
            claimed = verify_jwt(secret, token, now, payload["user_id"], payload["email"])
''')),
    mutant("jwt-mismatch-nfc", "J3 compares clear identifiers with the claims after NFC normalisation (J3)",
           "functional",
           ('''    if is_present(user_id) and str(user_id) != claimed:
''', '''    import unicodedata
    nfc = lambda s: unicodedata.normalize("NFC", s) if isinstance(s, str) else s
    if is_present(email):
        email = nfc(email)
        claimed_email = nfc(claimed_email)
    if is_present(user_id) and nfc(str(user_id)) != nfc(claimed):
''')),
    mutant("jwt-sign-user-id-trimmed", "the JWT signer trims whitespace from user_id and email (J5)", "functional",
           ('''    claims = {"user_id": user_id}
''', '''    user_id = user_id.strip()
    email = email.strip() if email is not None else None
    claims = {"user_id": user_id}
''')),
    mutant("jwt-sign-email-lowercased", "the JWT signer lower-cases the email claim (J5)", "functional",
           ('''    if email is not None:
        claims["email"] = email
''', '''    if email is not None:
        claims["email"] = email.lower()
''')),
    mutant("jwt-sign-nfc", "the JWT signer NFC-normalises the claims (J5)", "functional",
           ('''    claims = {"user_id": user_id}
''', '''    import unicodedata
    user_id = unicodedata.normalize("NFC", user_id)
    email = unicodedata.normalize("NFC", email) if email is not None else None
    claims = {"user_id": user_id}
''')),
    mutant("jwt-sign-exp-milliseconds", "the JWT signer writes exp in milliseconds (Date.now() style) (J2, J5)",
           "functional",
           ('''        claims["exp"] = exp
''', '''        claims["exp"] = exp * 1000
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

#!/usr/bin/env python3
"""An ivconform adapter whose JWT mode is PyJWT (https://pyjwt.readthedocs.io), over stdio (docs/PROTOCOL.md).

    adapters/jwt/.venv/bin/python adapters/jwt/pyjwt_adapter.py     # after adapters/jwt/install.sh

It claims `verify_jwt` and `sign_jwt` only. What PyJWT does not know about (the boot payload's strict parsing,
workspaces and platforms, enforcement, HMAC mode when no token is sent) is the Python template's
(adapters/python/ivconform_adapter.py, imported as a module); the template's two JWT functions are replaced
by the ones below, which use PyJWT as its documentation says:

* verifying: `jwt.decode(token, secret, algorithms=["HS256"], leeway=60, options={"verify_iat": False})`.
  `algorithms` is the documented defence against alg none / key confusion. `verify_iat` is off because J2
  ignores iat (PyJWT would refuse an iat in the future). The application's own claims are checked after
  decoding, as any application does: user_id a non-empty string of at most 1,024 bytes, email a string (J2),
  and the clear-text identity (J3).
* signing: `jwt.encode(claims, secret, algorithm="HS256")` with claims user_id, email and exp as asked.

The current time. PyJWT has no clock option: `_validate_claims` reads `datetime.now(tz=timezone.utc)`. The
adapter injects the request's `now` by replacing the `datetime` name inside `jwt.api_jwt` with a subclass
whose `now()` returns that instant, for the duration of one decode (stdio handles one request at a time, so
nothing else sees it). PyJWT's own exp and nbf logic then runs unchanged against the case's time. Without a
current time (`now` absent) a token carrying exp or nbf is refused before PyJWT sees it (J2: fail closed),
since PyJWT would otherwise judge it by this machine's clock.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import jwt

TEMPLATE = Path(__file__).resolve().parents[1] / "python" / "ivconform_adapter.py"
LEEWAY_SECONDS = 60  # J2: the implementation's choice in 0-60 s; PyJWT's `leeway`

_spec = importlib.util.spec_from_file_location("ivconform_template", TEMPLATE)
template = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(template)

# PyJWT warns on HMAC keys shorter than the hash (RFC 7518 3.2); the vectors use short keys on purpose, and the
# warning would only be noise on stderr (which the harness scans for leaks).
warnings.simplefilter("ignore")


class _Clock:
    """`with _Clock(now):` makes PyJWT's `datetime.now()` return `now` (seconds since the epoch)."""

    def __init__(self, now: int):
        instant = datetime.fromtimestamp(now, tz=timezone.utc)

        class Fixed(datetime):
            @classmethod
            def now(cls, tz=None):
                return instant if tz is None else instant.astimezone(tz)

        self.fixed = Fixed

    def __enter__(self):
        self.saved = jwt.api_jwt.datetime
        jwt.api_jwt.datetime = self.fixed

    def __exit__(self, *exc):
        jwt.api_jwt.datetime = self.saved


def _claims_unverified(token: str) -> dict | None:
    """The claims as PyJWT reads them, signature unchecked (only to see whether exp or nbf is there)."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None


def verify_jwt(secret: bytes | None, token: str, now: int | None, user_id, email) -> str:
    """The template's verify_jwt, with PyJWT deciding form, algorithm, signature, exp and nbf."""
    Refused = template.JwtRefused
    if secret is None:
        raise Refused("invalid_jwt")  # no secret configured for the platform: nothing verifies
    if now is None:
        peek = _claims_unverified(token)
        if peek is None or "exp" in peek or "nbf" in peek:
            raise Refused("invalid_jwt")  # J2: exp or nbf cannot be judged without the current time
    try:
        if now is None:
            claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_iat": False})
        else:
            with _Clock(now):
                claims = jwt.decode(token, secret, algorithms=["HS256"], leeway=LEEWAY_SECONDS,
                                    options={"verify_iat": False})
    except jwt.ExpiredSignatureError:
        raise Refused("expired_jwt") from None
    except (jwt.PyJWTError, ValueError, TypeError, UnicodeError):
        raise Refused("invalid_jwt") from None
    claimed = claims.get("user_id")
    if not isinstance(claimed, str) or claimed == "" or len(claimed.encode("utf-8")) > template.MAX_IDENTIFIER_BYTES:
        raise Refused("invalid_jwt")  # J2: a non-empty string, required
    claimed_email = claims.get("email")
    if "email" in claims and (not isinstance(claimed_email, str)
                              or len(claimed_email.encode("utf-8")) > template.MAX_IDENTIFIER_BYTES):
        raise Refused("invalid_jwt")  # J2
    if template.is_present(user_id) and str(user_id) != claimed:
        raise Refused("identity_mismatch")  # J3
    if template.is_present(email) and email != claimed_email:
        raise Refused("identity_mismatch")  # J3
    return claimed


def sign_jwt(secret: bytes, user_id: str, email: str | None, exp: int | None) -> dict:
    """A token from PyJWT's `jwt.encode`, after the two refusals the protocol asks for."""
    if len(secret) == 0:
        return {"type": "sign_jwt", "error": "empty_secret"}  # S5
    if user_id == "":
        return {"type": "sign_jwt", "error": "no_identifier"}
    claims = {"user_id": user_id}
    if email is not None:
        claims["email"] = email
    if exp is not None:
        claims["exp"] = exp
    return {"type": "sign_jwt", "token": jwt.encode(claims, secret, algorithm="HS256")}


template.verify_jwt = verify_jwt
template.sign_jwt = sign_jwt
CAPABILITIES = ["verify_jwt", "sign_jwt"]


def handle(request: dict) -> dict:
    """The template's handler, answering only what this adapter claims."""
    kind = request.get("type") if isinstance(request, dict) else None
    if kind not in ("hello", "verify", "sign_jwt", "bye"):
        return {"type": "error", "seq": request.get("seq", 0) if isinstance(request, dict) else 0,
                "message": "unsupported message type"}
    answer = template.handle(request)
    if kind == "hello" and answer.get("type") == "hello":
        answer.update(name="pyjwt", version=jwt.__version__, language="python", capabilities=CAPABILITIES)
    return answer


def main() -> int:
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            answer = handle(json.loads(line))
        except ValueError:
            answer = {"type": "error", "seq": 0, "message": "the request is not JSON"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if answer["type"] == "bye":
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Hand-made checks of ivrules against SPEC.md, independent of the golden vectors.

Run from the repository root: python3 -m unittest discover -s independent/tests
"""

import hashlib
import hmac
import json
import sys
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import ivrules  # noqa: E402

WEB, IOS = b"web-secret", b"ios-secret"
CONFIG = {
    "apps": {
        "prod": {
            "label": "production",
            "web": {"secret": "web-secret", "enforced": True},
            "ios": {"secret_hex": "696f732d736563726574", "enforced": False},  # "ios-secret"
        },
        "lax": {"web": {"secret": "web-secret", "enforced": False}, "android": {"enforced": False}},
    }
}


def tag(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def payload(body: str) -> bytes:
    return body.encode("utf-8")


def malformed_rule(raw: bytes) -> str:
    try:
        ivrules.parse_payload(raw)
    except ivrules.MalformedPayload as e:
        return e.rule
    raise AssertionError(f"accepted: {raw[:80]!r}")


class HmacTest(unittest.TestCase):
    def test_rfc4231_case_1_and_long_key(self):
        self.assertEqual(
            ivrules.hmac_sha256(b"\x0b" * 20, b"Hi There").hex(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        )
        # RFC 4231 case 6: a 131-byte key is hashed first.
        self.assertEqual(
            ivrules.hmac_sha256(b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First").hex(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        )


class SelectAndSignTest(unittest.TestCase):
    def test_presence_and_precedence(self):
        select = ivrules.select_identifier
        self.assertEqual(select({"user_id": "u1", "email": "a@b.c"}), ("user_id", "u1"))
        self.assertEqual(select({"user_id": 0, "email": "a@b.c"}), ("user_id", "0"))
        self.assertEqual(select({"user_id": -3}), ("user_id", "-3"))
        self.assertEqual(select({"user_id": "", "email": "a@b.c"}), ("email", "a@b.c"))
        self.assertEqual(select({"user_id": None, "email": "a@b.c"}), ("email", "a@b.c"))
        self.assertIsNone(select({"user_id": "", "email": ""}))
        self.assertIsNone(select({}))
        self.assertEqual(select({"user_id": 2**53 - 1}), ("user_id", "9007199254740991"))

    def test_invalid_identifiers_raise(self):
        for bad in (True, False, 2**53, -(2**53), 1.0, [], {}):
            with self.assertRaises(ValueError, msg=repr(bad)):
                ivrules.select_identifier({"user_id": bad})
        with self.assertRaises(ValueError):
            ivrules.select_identifier({"email": 5})

    def test_sign(self):
        self.assertEqual(
            ivrules.sign(WEB, {"user_id": 5678}),
            {
                "result": "hash",
                "identifier_source": "user_id",
                "identifier": "5678",
                "message_hex": "35363738",
                "user_hash": tag(WEB, "5678"),
            },
        )
        self.assertEqual(ivrules.sign(b"", {}), {"result": "error", "error": "empty_secret"})
        self.assertEqual(ivrules.sign(WEB, {"user_id": ""}), {"result": "error", "error": "no_identifier"})
        # S3: no normalisation (NFD stays NFD).
        self.assertEqual(ivrules.sign(WEB, {"email": "e\u0301"})["message_hex"], "65cc81")


class ParseTest(unittest.TestCase):
    def test_typed_fields(self):
        p = ivrules.parse_payload(
            payload('{"app_id":"a1","user_id":0,"email":null,"user_hash":"x","name":"N","userHash":"y"}')
        )
        self.assertEqual(
            p.as_parsed(),
            {"app_id": "a1", "user_id": 0, "email": None, "user_hash": "x", "custom_keys": ["name", "userHash"]},
        )

    def test_p1_syntax(self):
        for body in (
            b'\xef\xbb\xbf{"app_id":"a"}',
            b'{"app_id":"a\xff"}',
            b'{"app_id":"a","x":NaN}',
            b'{"app_id":"a","x":-Infinity}',
            b'{"app_id":"a",}',
            b'{"app_id":"a","x":"\\ud800"}',
            b'{"app_id":"a","\\udc00":1}',
            b'{"app_id":"a"}\xc2\xa0',  # NO-BREAK SPACE is not JSON whitespace
            b'{"app_id":"a","x":\xd9\xa1}',  # ARABIC-INDIC DIGIT ONE is not a digit
            b"[]",
            b"",
        ):
            self.assertEqual(malformed_rule(body), "P1", body)
        self.assertEqual(ivrules.parse_payload(payload('{"app_id":"a","user_id":"\\ud83d\\ude00"}')).user_id, "😀")

    def test_p2_duplicates_after_unescaping(self):
        self.assertEqual(malformed_rule(payload('{"app_id":"a","\\u0061pp_id":"b"}')), "P2")
        self.assertEqual(malformed_rule(payload('{"app_id":"a","c":[{"k":1,"k":2}]}')), "P2")
        ivrules.parse_payload(payload('{"app_id":"a","c":[{"k":1},{"k":2}]}'))

    def test_p3_numbers_and_types(self):
        for value in ("123.0", "1e2", "9007199254740992", "-9007199254740992", "true", "[]", "{}", "1" * 5000):
            self.assertEqual(malformed_rule(payload(f'{{"app_id":"a","user_id":{value}}}')), "P3", value[:20])
        self.assertEqual(malformed_rule(payload('{"app_id":"a","email":5}')), "P3")
        self.assertEqual(ivrules.parse_payload(payload('{"app_id":"a","user_id":-9007199254740991}')).user_id,
                         -(2**53 - 1))
        # A long number in a custom attribute is fine JSON (Python's int() would refuse 5000 digits).
        ivrules.parse_payload(payload('{"app_id":"a","n":%s}' % ("9" * 5000)))

    def test_p4_p5(self):
        self.assertEqual(malformed_rule(payload('{"app_id":"a","user_hash":null}')), "P4")
        self.assertEqual(malformed_rule(payload('{"app_id":"a","user_hash":1}')), "P4")
        self.assertEqual(malformed_rule(payload('{"user_id":"u"}')), "P5")
        self.assertEqual(malformed_rule(payload('{"app_id":""}')), "P5")
        self.assertEqual(malformed_rule(payload('{"app_id":7}')), "P5")

    def test_p6_limits(self):
        self.assertEqual(malformed_rule(payload('{"app_id":"a","x":' + "[" * 32 + "]" * 32 + "}")), "P6")
        ivrules.parse_payload(payload('{"app_id":"a","x":' + "[" * 31 + "]" * 31 + "}"))
        self.assertEqual(malformed_rule(payload('{"app_id":"a","x":' + "[" * 100000)), "P6")
        self.assertEqual(malformed_rule(payload('{"app_id":"a","x":"[[[[\\"' + "[" * 40 + '"')), "P1")
        filler = 65536 - len('{"app_id":"a","x":""}')
        ivrules.parse_payload(payload('{"app_id":"a","x":"%s"}' % ("f" * filler)))
        self.assertEqual(malformed_rule(payload('{"app_id":"a","x":"%s"}' % ("f" * (filler + 1)))), "P6")
        ivrules.parse_payload(payload('{"app_id":"a","user_id":"%s"}' % ("é" * 512)))
        self.assertEqual(malformed_rule(payload('{"app_id":"a","email":"%s"}' % ("é" * 512 + "x"))), "P6")


class VerifyTest(unittest.TestCase):
    def check(self, body: str, expected: dict, platform: str = "web", config: dict = CONFIG):
        self.assertEqual(ivrules.verify(config, platform, payload(body)), expected, body)

    def user(self, verified: bool, value: str = "u1", source: str = "user_id") -> dict:
        return {
            "result": "accept",
            "as": "user",
            "verified": verified,
            "identifier": {"source": source, "value": value, "message_hex": value.encode().hex()},
        }

    def test_decisions(self):
        good, ios = tag(WEB, "u1"), tag(IOS, "u1")
        visitor, reject = {"result": "accept", "as": "visitor"}, (lambda r: {"result": "reject", "reason": r})
        self.check(f'{{"app_id":"prod","user_id":"u1","user_hash":"{good}"}}', self.user(True))
        self.check(f'{{"app_id":"prod","user_id":"u1","user_hash":"{good.upper()}"}}', self.user(True))
        self.check(f'{{"app_id":"prod","user_id":"u1","user_hash":"{ios}"}}', reject("invalid_user_hash"))
        self.check(f'{{"app_id":"prod","user_id":"u1","user_hash":"{ios}"}}', self.user(True), platform="ios")
        self.check(f'{{"app_id":"prod","user_id":"u1","user_hash":" {good[1:]}"}}', reject("invalid_user_hash"))
        self.check(f'{{"app_id":"prod","user_id":"u1","user_hash":"{good}\\n"}}', reject("invalid_user_hash"))
        self.check('{"app_id":"prod"}', visitor)
        self.check('{"app_id":"prod","user_hash":""}', reject("missing_identifier"))
        self.check('{"app_id":"lax","user_hash":""}', visitor)
        self.check('{"app_id":"prod","email":"u1"}', reject("missing_user_hash"))
        self.check('{"app_id":"lax","email":"u1"}', self.user(False, source="email"))
        self.check('{"app_id":"lax","user_id":"u1","user_hash":""}', self.user(False))
        self.check(f'{{"app_id":"lax","user_id":"u1","user_hash":"{good}"}}', self.user(False), platform="android")
        self.check(f'{{"app_id":"lax","user_id":"u1","user_hash":"{good}"}}', self.user(False), platform="ios")
        self.check('{"app_id":"nope"}', reject("unknown_app"))
        self.check('{"app_id":"prod","app_id":"prod"}', reject("malformed_payload"))
        email_hash = tag(WEB, "a@b.c")
        self.check(f'{{"app_id":"prod","user_id":"u1","email":"a@b.c","user_hash":"{email_hash}"}}',
                   reject("invalid_user_hash"))  # V7

    def test_expected_mac(self):
        raw = payload('{"app_id":"prod","user_id":7,"user_hash":"00"}')
        self.assertEqual(ivrules.expected_mac(CONFIG, "web", raw).hex(), tag(WEB, "7"))
        self.assertIsNone(ivrules.expected_mac(CONFIG, "android", raw))


if __name__ == "__main__":
    unittest.main()


def b64url(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(header: str, claims: str, key: bytes) -> str:
    signing = f"{b64url(header.encode())}.{b64url(claims.encode())}"
    return f"{signing}.{b64url(hmac.new(key, signing.encode(), hashlib.sha256).digest())}"


H = '{"alg":"HS256","typ":"JWT"}'
NOW = 1_800_000_000


class JwtTest(unittest.TestCase):
    def reason(self, t: str, now=NOW, fields=None) -> str:
        try:
            ivrules.verify_jwt(WEB, t, now, fields or {})
        except ivrules.JwtReject as e:
            return e.reason
        return "valid"

    def test_valid_and_claims(self):
        claims = ivrules.verify_jwt(WEB, token(H, '{"user_id":"5678","exp":1800000060}', WEB), NOW, {"user_id": 5678})
        self.assertEqual(claims, {"user_id": "5678", "email": None, "exp": 1800000060, "nbf": None})

    def test_rfc7515_a1_signature_is_right(self):
        import base64

        key = base64.urlsafe_b64decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow==")
        t = ("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
             "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        with self.assertRaisesRegex(ivrules.JwtReject, "user_id"):  # the signature passed; the claims lack user_id
            ivrules.verify_jwt(key, t, NOW, {})
        with self.assertRaisesRegex(ivrules.JwtReject, "signature"):
            ivrules.verify_jwt(b"other", t, NOW, {})

    def test_algorithms_and_form(self):
        c = '{"user_id":"u"}'
        for header in ('{"alg":"none"}', '{"alg":"HS512"}', '{"alg":"hs256"}', '{"typ":"JWT"}', '{"alg":"HS256","crit":[]}'):
            self.assertEqual(self.reason(token(header, c, WEB)), "invalid_jwt", header)
        good = token(H, c, WEB)
        for bad in (good + "=", good + ".x", good.rsplit(".", 1)[0], good.replace("-", "+").replace("_", "/") if "-" in good or "_" in good else good + " "):
            self.assertEqual(self.reason(bad), "invalid_jwt", bad)
        self.assertEqual(self.reason(token('{"alg":"HS256","typ":"jwt","kid":"k"}', c, WEB)), "valid")

    def test_exp_leeway_and_clock(self):
        at = lambda exp, now=NOW: self.reason(token(H, f'{{"user_id":"u","exp":{exp}}}', WEB), now)
        self.assertEqual(at(NOW - 59), "valid")
        self.assertEqual(at(NOW - 60), "expired_jwt")
        self.assertEqual(at(NOW + 60, now=None), "invalid_jwt")
        self.assertEqual(self.reason(token(H, '{"user_id":"u","exp":"1"}', WEB)), "invalid_jwt")
        self.assertEqual(self.reason(token(H, '{"user_id":5}', WEB)), "invalid_jwt")

    def test_nbf_and_the_leeway_window(self):
        at = lambda nbf, now=NOW, leeway=60: self.reason_at(token(H, f'{{"user_id":"u","nbf":{nbf}}}', WEB), now, leeway)
        self.assertEqual(at(NOW), "valid")
        self.assertEqual(at(NOW + 60), "valid")
        self.assertEqual(at(NOW + 61), "invalid_jwt")
        self.assertEqual(at(NOW + 1, leeway=0), "invalid_jwt")
        self.assertEqual(at(NOW - 1, now=None), "invalid_jwt")
        self.assertEqual(self.reason(token(H, '{"user_id":"u","nbf":1.0}', WEB)), "invalid_jwt")
        self.assertEqual(self.reason(token(H, '{"user_id":"u","iat":"soon","jti":1}', WEB)), "valid")
        # expectation(): a 0 s and a 60 s leeway disagree only inside the window, which expects either outcome.
        config = {"apps": {"a": {"web": {"secret_hex": WEB.hex()}}}}
        body = lambda claims: json.dumps({"app_id": "a", "intercom_user_jwt": token(H, claims, WEB)}).encode()
        either = ivrules.expectation(config, "web", body('{"user_id":"u","exp":%d}' % NOW), NOW)
        self.assertEqual((either["result"], either["reject"], either["accept"]["verified"]), ("either", "expired_jwt", True))
        self.assertEqual(ivrules.expectation(config, "web", body('{"user_id":"u","nbf":%d}' % (NOW + 61)), NOW),
                         {"result": "reject", "reason": "invalid_jwt"})

    def test_token_meaning(self):
        asked = {"user_id": "5678", "email": "é", "exp": NOW}
        self.assertEqual(ivrules.token_meaning(WEB, asked, token('{"typ":"JWT","alg":"HS256"}',
                         '{"exp":%d,"email":"\\u00e9","iat":1,"user_id":"5678"}' % NOW, WEB)), [])
        self.assertTrue(ivrules.token_meaning(WEB, asked, token(H, '{"user_id":"5678","exp":%d}' % NOW, WEB)))
        self.assertTrue(ivrules.token_meaning(WEB, {"user_id": "u"}, token(H, '{"user_id":"u","nbf":1}', WEB)))
        self.assertTrue(ivrules.token_meaning(WEB, {"user_id": "u"}, token(H, '{"user_id":"u"}', b"other")))

    def reason_at(self, t: str, now, leeway) -> str:
        try:
            ivrules.verify_jwt(WEB, t, now, {}, leeway)
        except ivrules.JwtReject as e:
            return e.reason
        return "valid"

    def test_identity_mismatch(self):
        t = token(H, '{"user_id":"5678","email":"a@b.c"}', WEB)
        self.assertEqual(self.reason(t, fields={"user_id": "5679"}), "identity_mismatch")
        self.assertEqual(self.reason(t, fields={"email": "A@b.c"}), "identity_mismatch")
        self.assertEqual(self.reason(t, fields={"user_id": "", "email": None}), "valid")

    def test_sign_jwt_is_deterministic(self):
        got = ivrules.sign_jwt(WEB, {"user_id": "5678", "exp": 1, "email": "é"})
        self.assertEqual(got["example_claims_json"], '{"user_id":"5678","email":"é","exp":1}')
        self.assertEqual(got["example_token"], token(H, '{"user_id":"5678","email":"é","exp":1}', WEB))
        self.assertEqual(ivrules.sign_jwt(b"", {"user_id": ""}), {"result": "error", "error": "empty_secret"})

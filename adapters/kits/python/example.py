import hashlib, hmac, ivconform_kit

def sign(secret, user_id, email):  # S1-S5: user_id unless absent/null/"", else email; raw secret bytes
    identifier = email if user_id in (None, "") else user_id
    if not secret: return "error:empty_secret"
    if identifier in (None, ""): return "error:no_identifier"
    return hmac.new(secret, str(identifier).encode("utf-8"), hashlib.sha256).hexdigest()

ivconform_kit.serve(sign=sign, name="python-kit-example")

"""Field adapter: Flask-Intercom 0.1.0's `intercom_user_hash` template filter (flask_intercom/extension.py).

A Flask app with INTERCOM_SECRET_KEY = the secret as text (the package calls `.encode()` on it: declared
`secret: text`) renders `{{ user_id|intercom_user_hash }}`, the package's filter, which takes one value: the
application passes its user id (declared `identifier: user_id`)."""

from _common import main

from flask import Flask, render_template_string
from flask_intercom import Intercom


def sign(secret, user_id, email):
    app = Flask("field")
    app.config["INTERCOM_SECRET_KEY"] = secret.decode("utf-8")
    Intercom(app)  # init_app reads the secret and registers the filter
    with app.app_context():
        return render_template_string("{{ user_id|intercom_user_hash }}", user_id=user_id)


main(sign, dict, name="Flask-Intercom", version="0.1.0",
     limits={"secret": "text", "identifier": "user_id",
             "note": "INTERCOM_SECRET_KEY is text (.encode()); the filter hashes the one value it is given"})

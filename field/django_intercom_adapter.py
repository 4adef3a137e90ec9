"""Field adapter: django-intercom 0.1.3's `intercom_tag` (django_intercom/templatetags/intercom.py).

The package's own tag function runs with a logged-in user whose `id` and `email` are the case's identifiers
(None when absent or null: a Django user has both attributes) and INTERCOM_SECURE_KEY the secret as text (the
package calls `.encode('utf8')` on it: declared `secret: text`). The tag's `user_hash` is the answer; the probe
renders the package's template (intercom/intercom_tag.html) to show what the page sends."""

import datetime
import re

from _common import SECRET, main

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django_intercom"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    INTERCOM_APPID="abc123",
    INTERCOM_SECURE_KEY="set per case",
)
django.setup()

from django.template import Context, Template  # noqa: E402
from django_intercom.templatetags import intercom as tags  # noqa: E402


class User:
    is_authenticated = True
    username = "ann"
    date_joined = datetime.datetime(2020, 1, 1)

    def __init__(self, user_id, email):
        self.id, self.pk, self.email = user_id, user_id, email


class Request:
    def __init__(self, user):
        self.user = user


def context(secret: str, user_id, email) -> dict:
    tags.INTERCOM_SECURE_KEY = secret  # read from the module at call time (copied from django_intercom.settings)
    return {"request": Request(User(user_id, email))}


def sign(secret, user_id, email):
    return tags.intercom_tag(context(secret.decode("utf-8"), user_id, email))["user_hash"]


def probes():
    template = Template("{% load intercom %}{% intercom_tag %}")
    out = {}
    for label, user_id in (("apostrophe", "O'Brien"), ("zero", 0)):
        html = template.render(Context(context(SECRET, user_id, "ann@example.com")))
        sent = re.search(r"'user_id': '([^']*)'", html)
        hashed = re.search(r"'user_hash': '([0-9a-f]{64})'", html)
        out[label] = {"user_id": user_id, "page_sends_user_id": sent.group(1) if sent else None,
                      "page_user_hash": hashed.group(1) if hashed else None}
    return out


main(sign, probes, name="django-intercom", version="0.1.3",
     limits={"secret": "text", "note": "INTERCOM_SECURE_KEY is a text setting (.encode('utf8'))"})

"""Field adapter: django-analytical 3.2.0's Intercom template tag (analytical/templatetags/intercom.py).

The page is rendered with `{% intercom %}`, the package's own tag: INTERCOM_HMAC_SECRET_KEY is the secret (the
package takes bytes as well as text), the identifiers arrive as the documented `intercom_user_id` /
`intercom_email` context variables (absent when the case does not send them; null sent as None), and the hash
is read back from the page's `window.intercomSettings`. No hash on the page is "no hash produced"; an
exception in the render is the adapter's error answer."""

import json
import re

from _common import SECRET, ivconform_kit, main

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["analytical"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    INTERCOM_APP_ID="abc123",
)
django.setup()

from django.template import Context, Template  # noqa: E402

TAG = Template("{% load intercom %}{% intercom %}")
SETTINGS = re.compile(r"window\.intercomSettings = (.*?);\n</script>", re.S)


def render(secret, user_id, email) -> str:
    settings.INTERCOM_HMAC_SECRET_KEY = secret
    context = {}
    if user_id is not ivconform_kit.ABSENT:
        context["intercom_user_id"] = user_id
    if email is not ivconform_kit.ABSENT:
        context["intercom_email"] = email
    return TAG.render(Context(context))


def page_settings(html: str) -> dict:
    return json.loads(SETTINGS.search(html).group(1))


def sign(secret, user_id, email):
    return page_settings(render(secret, user_id, email)).get("user_hash")


def probes():
    out = {}
    for label, user_id in (("apostrophe", "O'Brien"), ("script_close", "</script><b>x")):
        html = render(SECRET.encode(), user_id, ivconform_kit.ABSENT)
        match = SETTINGS.search(html)
        out[label] = {"user_id": user_id, "page_excerpt": match.group(1) if match else None,
                      "script_element_intact": html.count("</script>") == 2}
    return out


main(sign, probes, name="django-analytical", version="3.2.0", absent=ivconform_kit.ABSENT)

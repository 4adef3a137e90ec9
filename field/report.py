"""docs/FIELD-REPORT.md from field/run's JSON reports and probes: python3 report.py WORKDIR SITE_PACKAGES > OUT.

Deterministic: no timestamps or timings, cases sorted by id. The bugs are curated below, each with the line of
the installed package's source that causes it (found by its text, quoted with file and line number); the
report refuses to build when a quoted line is no longer where it was (a different package version)."""

import json
import os
import sys

WORK, SITE = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))

IMPLEMENTATIONS = [
    {
        "key": "django-analytical", "title": "django-analytical 3.2.0 (PyPI)", "adapter": "django_analytical_adapter.py",
        "computes": "The `{% intercom %}` template tag: `user_id` (the `intercom_user_id` context variable or the "
                    "user's pk), else `email`, as `str(...)`, encoded as ASCII, HMAC-SHA256 under "
                    "INTERCOM_HMAC_SECRET_KEY (bytes or ASCII text); no hash when the secret is unset or empty.",
        "bugs": [
            ("A `user_id` that is 0, `\"\"` or null gives no hash at all, and a null or empty `user_id` never "
             "falls back to `email`: the lookup finds the key and the truthiness test drops the value.",
             lambda c: c["id"] in ("sign-user-id-zero-wins", "sign-user-id-zero-alone",
                                   "sign-user-id-integer-zero-no-email-null", "sign-user-id-empty-falls-back-to-email",
                                   "sign-user-id-null-falls-back-to-email"),
             [("analytical/templatetags/intercom.py", "user_hash_data = params.get('user_id', params.get('email'))"),
              ("analytical/templatetags/intercom.py", "if user_hash_data:")]),
            ("Any non-ASCII identifier raises UnicodeEncodeError, so the whole template render fails (a 500 "
             "page for every user with a non-ASCII id or email).",
             lambda c: "UnicodeEncodeError" in json.dumps(c.get("actual")),
             [("analytical/templatetags/intercom.py", "return data.encode('ascii')  # Fail on anything non-ASCII.")]),
            ("Not a bug in itself: with no identifier, or an empty secret, the tag leaves `user_hash` out (no "
             "hash produced); graded as a refusal without a class, so the cases expecting `no_identifier` or "
             "`empty_secret` fail with that hint.",
             lambda c: "no hash produced" in c.get("summary", "") and (c.get("expected") or {}).get("kind") != "hash",
             [("analytical/templatetags/intercom.py", "if getattr(settings, 'INTERCOM_HMAC_SECRET_KEY', None):")]),
        ],
        "probe_text": "The tag writes `json.dumps(params)` into a `<script>` element unescaped: an identifier "
                      "containing `</script>` ends the element early (script injection; `script_element_intact` "
                      "false), while the apostrophe case is sent exactly as hashed.",
        "probe_quote": [("analytical/templatetags/intercom.py",
                         "html = TRACKING_CODE % {'settings_json': json.dumps(params, sort_keys=True)}")],
    },
    {
        "key": "django-intercom", "title": "django-intercom 0.1.3 (PyPI)", "adapter": "django_intercom_adapter.py",
        "computes": "The `{% intercom_tag %}` inclusion tag: `str(user.id)` if it is truthy, else `user.email`, "
                    "UTF-8, HMAC-SHA256 under INTERCOM_SECURE_KEY (text, UTF-8 encoded) whenever the key is not "
                    "None.",
        "bugs": [
            ("`user_id` 0 is dropped as falsy (the email is hashed instead); with no email the tag crashes "
             "(`None.encode`) instead of producing no hash, and an empty identifier is hashed.",
             lambda c: c["id"].startswith(("sign-user-id-zero", "sign-user-id-integer-zero", "sign-neither",
                                           "sign-both-", "sign-user-id-empty-no-email", "sign-email-null-only")),
             [("django_intercom/templatetags/intercom.py", "hmac_value = str(user_id) if user_id else email")]),
            ("An empty secret is used as a key: only `None` disables signing.",
             lambda c: c["id"].startswith("sign-empty-secret"),
             [("django_intercom/templatetags/intercom.py", "if INTERCOM_SECURE_KEY is not None:")]),
        ],
        "probe_text": "The package's template renders `user_id` with Django's autoescape inside a JavaScript "
                      "string, so the page sends `O&#x27;Brien` while the hash is of `O'Brien`: identity "
                      "verification fails for that user. `user_id` 0 is left off "
                      "the page (`{% if user_id %}`) and the email's hash is sent instead.",
        "probe_quote": [("django_intercom/templates/intercom/intercom_tag.html",
                         "{% if user_id %}'user_id': '{{ user_id }}',{% endif %}")],
    },
    {
        "key": "flask-intercom", "title": "Flask-Intercom 0.1.0 (PyPI)", "adapter": "flask_intercom_adapter.py",
        "computes": "The `intercom_user_hash` Jinja filter: `str(value)` of the one value the template passes, "
                    "UTF-8, HMAC-SHA256 under INTERCOM_SECRET_KEY (text, `.encode()`d).",
        "bugs": [
            ("An empty secret is used as a key (and an unset one raises AttributeError on `None.encode`).",
             lambda c: c["id"].startswith("sign-empty-secret"),
             [("flask_intercom/extension.py",
               "return hmac.new(self.secret_key.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()")]),
            ("Packaging: the module imports `requests`, which the package does not declare (its metadata lists "
             "only `flask` and `six`), so `import flask_intercom` fails on a clean install "
             "(field/requirements.txt adds requests).",
             None,
             [("flask_intercom/extension.py", "import requests"),
              ("flask_intercom-0.1.0.dist-info/METADATA", "Requires-Dist: six")]),
        ],
    },
    {
        "key": "php-hash-hmac", "title": "PHP `hash_hmac('sha256', $id, $secret)` (vendor idiom)",
        "adapter": "vendor_php.php",
        "computes": "The one identifier the application passes (declared `user_id`), PHP's string conversion of "
                    "it (integers as decimal), HMAC-SHA256 under the secret's bytes.",
        "bugs": [
            ("An empty secret is accepted as a key: the idiom has no check.", lambda c: c["id"].startswith(
                "sign-empty-secret"), [("@field/vendor_php.php", "hash_hmac('sha256', $userId, $secret)")]),
        ],
    },
    {
        "key": "ruby-openssl-hmac", "title": "Ruby `OpenSSL::HMAC.hexdigest('sha256', secret, id)` (vendor idiom)",
        "adapter": "vendor_ruby.rb",
        "computes": "The one identifier the application passes (declared `user_id`), which must already be a "
                    "String, HMAC-SHA256 under the secret's bytes.",
        "bugs": [
            ("An integer `user_id` (as a JSON page sends it, and as ActiveRecord's `id` is) raises TypeError: "
             "the idiom needs `id.to_s`.", lambda c: "TypeError" in json.dumps(c.get("actual")),
             [("@field/vendor_ruby.rb", 'OpenSSL::HMAC.hexdigest("sha256", secret, user_id)')]),
            ("An empty secret is accepted as a key: the idiom has no check.",
             lambda c: c["id"].startswith("sign-empty-secret"), []),
        ],
    },
    {
        "key": "node-create-hmac", "title": "Node `crypto.createHmac('sha256', secret).update(id)` (vendor idiom)",
        "adapter": "vendor_node.mjs",
        "computes": "The one identifier the application passes (declared `user_id`), which must already be a "
                    "string or bytes, HMAC-SHA256 under the secret's bytes.",
        "bugs": [
            ("An integer `user_id` raises TypeError [ERR_INVALID_ARG_TYPE]: the idiom needs `String(id)`.",
             lambda c: "TypeError" in json.dumps(c.get("actual")),
             [("@field/vendor_node.mjs", 'createHmac("sha256", secret).update(userId).digest("hex")')]),
            ("An empty secret is accepted as a key: the idiom has no check.",
             lambda c: c["id"].startswith("sign-empty-secret"), []),
        ],
    },
]

LEFT_OUT = [
    ("django-intercom-io 1.0.0 (PyPI)", "Python 2 only, which Debian 12 does not ship: it passes a `str` to "
     "`hmac.new` (a TypeError on Python 3, for every user) and calls `user.is_authenticated()` (a bool since "
     "Django 2.0).",
     "intercom/templatetags/intercom_tags.py, line 17: "
     "`user_hash = hmac.new(settings.INTERCOM_USER_HASH_KEY, str(user.pk), hashlib.sha256).hexdigest()`"),
    ("wagtailadminintercom 0.1.1 (PyPI)", "Needs Django < 2.0 (it imports `django.utils.six` and `force_text` "
     "from `django.utils.text`, and calls `user.is_authenticated()`), and Django 1.11 needs Python <= 3.7, which "
     "Debian 12 does not ship (Django 1.11 fails to import on Python 3.11; Django 2.2 lacks "
     "`django.utils.text.force_text`). Reading its source: it hashes `force_text(user.pk)` (identity style "
     "'id') under a text secret, and its `hash_user_value` prints every value and hash it computes to stdout.",
     "wagtailadminintercom/templatetags/wagtailadminintercom_tags.py, line 9: "
     "`from django.utils.text import force_text`; line 29: `print(hash, hash.hexdigest())`"),
]


def quote(rel: str, needle: str) -> str:
    """`file:line: text` of the first line containing `needle` (installed package, or '@field/...' here)."""
    path = os.path.join(HERE, rel[len("@field/"):]) if rel.startswith("@field/") else os.path.join(SITE, rel)
    shown = rel[1:] if rel.startswith("@") else rel
    head, _, tail = rel.partition("/")
    if not os.path.exists(path) and head.endswith(".dist-info"):
        # Older setuptools (Debian 12's venv) name it Flask_Intercom-0.1.0.dist-info: the same file, so the
        # report names it as newer ones do and stays the same on every machine.
        found = [d for d in os.listdir(SITE) if d.lower() == head.lower()]
        if found:
            path = os.path.join(SITE, found[0], tail)
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return f"`{shown}`, line {n}: `{line.strip()}`"
    raise SystemExit(f"report.py: {needle!r} is no longer in {path}: a different package version?")


def got(case: dict) -> str:
    actual = case.get("actual") or {}
    kind = actual.get("kind", "?")
    if kind == "error_response":
        return f"error answer: {actual.get('message', '')}"
    if kind == "hash":
        return f"hash of something else ({actual.get('value', '')[:16]}…)"
    return case.get("summary", kind).split("; got ", 1)[-1]


def expected(case: dict) -> str:
    e = case.get("expected") or {}
    if e.get("kind") == "hash":
        return f"hash of {e.get('identifier_source')} {json.dumps(e.get('identifier'), ensure_ascii=False)[:40]}"
    return f"{e.get('kind')} {e.get('class', e.get('value', ''))}".strip()


def main() -> None:
    rows, sections = [], []
    suite = None
    for impl in IMPLEMENTATIONS:
        with open(os.path.join(WORK, impl["key"] + ".json"), encoding="utf-8") as f:
            report = json.load(f)
        suite = suite or report["meta"]["vectors"]["version"]
        cases = sorted(report["cases"], key=lambda c: c["id"])
        s = report["summary"]
        limits = report["implementation"]["hello"].get("limits") or {}
        declared = ", ".join(f"{k}: {v}" for k, v in sorted(limits.items()) if k != "note") or "none"
        not_ok = [c for c in cases if c["outcome"] not in ("pass", "not_applicable", "either")]
        rows.append(f"| {impl['title']} | {s['pass']} | {len(not_ok)} | {s['not_applicable']} | {declared} |")
        out = [f"## {impl['title']}", "", impl["computes"], "",
               f"Adapter: [`field/{impl['adapter']}`](../field/{impl['adapter']}). Declared limits: {declared}"
               + (f" (note: {limits['note']})" if limits.get("note") else "") + ".", "",
               f"{s['total']} sign cases: {s['pass']} passed, {len(not_ok)} failed, "
               f"{s['not_applicable']} not applicable.", ""]
        out += ["### Bugs", ""]
        for text, match, sources in impl["bugs"]:
            hits = [c["id"] for c in not_ok if match and match(c)]
            out.append(f"- {text}" + (f" Cases: {', '.join(f'`{h}`' for h in hits)}." if hits else ""))
            for rel, needle in sources:
                out.append(f"  - {quote(rel, needle)}")
        out += ["", "### Failing cases", "", "| case | expected | got |", "| --- | --- | --- |"]
        for c in not_ok:
            cell = lambda t: t.replace("|", "\\|").replace("\n", " ")[:120]  # noqa: E731
            out.append(f"| `{c['id']}` | {cell(expected(c))} | {cell(c['outcome'] + ': ' + got(c))} |")
        probe_path = os.path.join(WORK, impl["key"] + ".probe.json")
        if os.path.exists(probe_path):
            with open(probe_path, encoding="utf-8") as f:
                probe = json.load(f)
            out += ["", "### Page-level probes (what `sign` cannot see)", ""]
            if impl.get("probe_text"):
                out += [impl["probe_text"], ""]
            for label, p in sorted(probe.items()):
                out.append(f"- `{label}`: " + ", ".join(f"{k} = `{json.dumps(v, ensure_ascii=False)}`"
                                                        for k, v in sorted(p.items())))
            for rel, needle in impl.get("probe_quote", []):
                out.append(f"  - {quote(rel, needle)}")
        sections.append("\n".join(out))

    head = [
        "# Field report: published signers against ivconform's sign cases",
        "",
        "Generated by `field/run` (do not edit by hand; CI regenerates it and compares). Each implementation runs "
        "behind a thin adapter in [`field/`](../field/) that calls the package's own code through an adapter kit "
        "([`adapters/kits/`](../adapters/kits/)); the Python packages are pinned in "
        f"[`field/requirements.txt`](../field/requirements.txt). Golden vectors {suite}, group `sign`. What an API "
        "cannot express is declared (`limits` in `hello`) and those cases are not applicable, never passed. "
        "`field/run` also writes the runs side by side as an HTML matrix (`ivconform report`) to "
        "`field/.out/matrix.html` (not committed: it shows the local paths).",
        "",
        "| implementation | passed | failed | not applicable | declared |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]
    tail = ["## Left out", ""]
    for name, why, line in LEFT_OUT:
        tail.append(f"- **{name}**: {why} Source: {line}.")
    print("\n".join(head) + "\n" + "\n\n".join(sections) + "\n\n" + "\n".join(tail))


main()

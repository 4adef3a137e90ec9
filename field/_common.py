"""Shared by the field adapters: the Python kit on sys.path, and the probe mode (`--probe`: page-level
observations as one JSON object on stdout, instead of the protocol loop)."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "adapters", "kits", "python"))

import ivconform_kit  # noqa: E402

SECRET = "Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr"  # the vectors' example secret (sign-both-identifiers-...)


def main(sign, probes, **options):
    """`--probe`: run `probes()` (a dict) and print it as JSON; otherwise serve `sign` through the kit."""
    if sys.argv[1:] == ["--probe"]:
        print(json.dumps(probes(), indent=2, sort_keys=True))
    else:
        ivconform_kit.serve(sign=sign, **options)

#!/usr/bin/env python3
"""Prints the ratios of one criterion run of benches/benches/reference.rs (issue 7's table), from criterion's
estimates under target/criterion/ (each bench's last run, `new/estimates.json`):

    cargo bench -p ivconform-benches --features peers && python3 benches/ratios.py

  ours/floor      keyed signer vs two SHA-256 compression blocks + hex (sha2::compress256, same run)
  ours/ring       keyed signer vs ring::hmac with a reused key (+ the same hex encoder)
  ours/OpenSSL    keyed signer vs OpenSSL HMAC with a pre-keyed context (+ the same hex encoder)
  ours/RustCrypto keyed signer vs a clone of RustCrypto's pre-keyed Hmac<Sha256>
  fresh/RustCrypto fresh-key signing vs RustCrypto's Hmac::new_from_slice path
  sign_many per hash vs the floor, and vs the keyed signer one by one

Ratios below 1 mean ours is faster. --stat picks criterion's statistic (median by default: the machines
these run on are shared and noisy, and the median shrugs off preempted samples).
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LENGTHS = [16, 36, 64, 256, 1024]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stat", choices=["median", "mean", "slope"], default="median")
    parser.add_argument("--criterion-dir", default=os.path.join(ROOT, "target", "criterion"))
    args = parser.parse_args()

    def ns(*path):
        f = os.path.join(args.criterion_dir, *[str(p) for p in path], "new", "estimates.json")
        try:
            with open(f) as fh:
                est = json.load(fh)
        except FileNotFoundError:
            return None
        stat = est.get(args.stat) or est["mean"]
        return stat["point_estimate"]

    floor = ns("floor", "two_blocks_plus_hex")
    if floor is None:
        sys.exit("no criterion results: run `cargo bench -p ivconform-benches --features peers` first")
    bulk = ns("floor", "bulk_sha256_16KiB")
    print(f"criterion {args.stat} estimates from {args.criterion_dir}")
    if bulk:
        print(f"SHA-256 bulk: {bulk / 256:.1f} ns per 64-byte block; floor (2 blocks + hex): {floor:.1f} ns")

    def ratio(a, b):
        return f"{a / b:6.2f}" if a is not None and b is not None else "     -"

    print()
    print(f"{'len':>5} {'keyed ns':>9} {'ours/floor':>10} {'ours/ring':>9} {'ours/OpenSSL':>12} {'ours/RustCrypto':>15} "
          f"{'fresh ns':>9} {'fresh/RustCrypto':>16} {'ring ns':>8} {'OpenSSL ns':>10}")
    for n in LENGTHS:
        keyed = ns("user_hash", "keyed_signer", n)
        fresh = ns("user_hash", "fresh_key", n)
        ring = ns("user_hash", "ring_keyed", n)
        ossl = ns("user_hash", "openssl_keyed", n)
        rc = ns("user_hash", "rustcrypto_keyed", n)
        rcf = ns("user_hash", "rustcrypto_fresh_key", n)
        fmt = lambda v: f"{v:.1f}" if v is not None else "-"
        floor_col = ratio(keyed, floor) if n <= 55 else "     -"
        print(f"{n:>5} {fmt(keyed):>9} {floor_col:>10} {ratio(keyed, ring):>9} {ratio(keyed, ossl):>12} "
              f"{ratio(keyed, rc):>15} {fmt(fresh):>9} {ratio(fresh, rcf):>16} {fmt(ring):>8} {fmt(ossl):>10}")
    many = ns("sign_many", "uuid_x64")
    one = ns("sign_many", "uuid_x64_one_by_one")
    if many is not None:
        per = many / 64
        print()
        print(f"sign_many (64 UUIDs): {per:.1f} ns per hash = {per / floor:.2f} x floor"
              + (f", {many / one:.2f} x the keyed signer one by one ({one / 64:.1f} ns)" if one else ""))
    print("(ours/floor only for identifiers of up to 55 bytes, whose HMAC is two blocks)")


if __name__ == "__main__":
    main()

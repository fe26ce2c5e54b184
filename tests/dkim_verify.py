#!/usr/bin/env python3
"""Verifies the DKIM signature of an .eml with dkimpy, answering the DNS
lookup for SELECTOR._domainkey.DOMAIN from a local public key instead of DNS.

usage: dkim_verify.py MESSAGE.eml PUBLIC_KEY_BASE64_FILE
Prints "pass" and exits 0 when the signature verifies; "fail: ..." and 1 if not.
"""
import sys

import dkim


def main():
    message = open(sys.argv[1], "rb").read()
    public = open(sys.argv[2]).read().strip()
    record = f"v=DKIM1; k=rsa; p={public}".encode()

    def dns(name, timeout=5):
        return record

    ok = dkim.verify(message, dnsfunc=dns)
    print("pass" if ok else "fail: dkimpy did not verify the signature")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

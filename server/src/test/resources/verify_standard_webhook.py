"""Verifies a Standard Webhooks signature, written from the specification alone (not from Spool's code).

Usage: verify_standard_webhook.py SECRET MSG_ID TIMESTAMP SIGNATURE_HEADER BODY_FILE
Prints "valid" and exits 0 when one of the header's v1 signatures matches, else prints "invalid" and exits 1.
Spec: signed content is "{msg_id}.{timestamp}.{body}"; the key is the base64 after "whsec_";
the signature is base64(HMAC-SHA256); the header lists "v1,<sig>" entries separated by spaces.
"""
import base64
import hashlib
import hmac
import sys

secret, msg_id, timestamp, header, body_file = sys.argv[1:6]
key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
with open(body_file, "rb") as f:
    body = f.read()
to_sign = msg_id.encode() + b"." + timestamp.encode() + b"." + body
expected = base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()
for entry in header.split(" "):
    version, _, signature = entry.partition(",")
    if version == "v1" and hmac.compare_digest(signature, expected):
        print("valid")
        sys.exit(0)
print("invalid")
sys.exit(1)

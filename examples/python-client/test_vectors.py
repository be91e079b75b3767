#!/usr/bin/python3
"""The Python client against candor's protocol vectors (packages/protocol/vectors/v1) and RFC 9180 A.1.1."""

import gzip
import json
import sys
import unittest
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import candor_client as c

VECTORS = Path(__file__).resolve().parent / "../../packages/protocol/vectors/v1"


def vector(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


class Rfc9180(unittest.TestCase):
    """RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode."""

    def test_a_1_1(self):
        sk_e = X25519PrivateKey.from_private_bytes(
            bytes.fromhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
        )
        pk_r = bytes.fromhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
        info = bytes.fromhex("4f6465206f6e2061204772656369616e2055726e")
        shared, enc = c.encap(pk_r, sk_e)
        self.assertEqual(shared.hex(), "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc")
        key, nonce = c.key_schedule(shared, info)
        self.assertEqual(key.hex(), "4531685d41d65f03dc48f6b8302c05b0")
        self.assertEqual(nonce.hex(), "56d890e5accaaf011cff4b7d")
        _, ct = c.seal_base(
            pk_r, info, bytes.fromhex("436f756e742d30"),
            bytes.fromhex("4265617574792069732074727574682c20747275746820626561757479"), sk_e,
        )
        self.assertEqual(
            ct.hex(),
            "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
        )


class Vectors(unittest.TestCase):
    def test_envelopes_seal_byte_for_byte(self):
        for v in vector("envelopes.json")["accepted"]:
            with self.subTest(v["name"]):
                sk_e = X25519PrivateKey.from_private_bytes(bytes.fromhex(v["ephemeralPrivateKey"]))
                header = c.envelope_header(v["keyId"])
                self.assertEqual(header.hex(), v["header"])
                self.assertEqual(c.envelope_info(header).hex(), v["info"])
                self.assertEqual(c.raw_public(sk_e).hex(), v["enc"])
                shared, _ = c.encap(bytes.fromhex(v["recipientPublicKey"]), sk_e)
                self.assertEqual(shared.hex(), v["sharedSecret"])
                sealed = c.seal_envelope(v["keyId"], bytes.fromhex(v["recipientPublicKey"]), bytes.fromhex(v["plaintext"]), sk_e)
                self.assertEqual(sealed.hex(), v["sealed"])
                self.assertEqual(gzip.decompress(bytes.fromhex(v["plaintext"])).decode("utf-8"), v["json"])

    def test_sites(self):
        psl = c.PublicSuffixList()
        for case in vector("sites.json"):
            with self.subTest(case["url"]):
                self.assertEqual(c.registrable_domain(case["url"], psl), case["site"])

    def test_buckets(self):
        data = vector("buckets.json")
        for case in data["values"]:
            with self.subTest(case["value"]):
                self.assertEqual(c.bucket_index(case["value"]), case["index"])

    def test_crash_signatures(self):
        for case in vector("crash-signatures.json"):
            with self.subTest(case["name"]):
                self.assertEqual(c.crash_signature(case["type"], case["frames"]), case["signature"])

    def test_bounds(self):
        registry = vector("registry.json")
        for name, definition in registry["metrics"].items():
            with self.subTest(name):
                self.assertEqual(c.bounds_for(definition), registry["bounds"][name])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    sys.exit(0 if result.wasSuccessful() else 1)

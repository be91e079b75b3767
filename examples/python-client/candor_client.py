#!/usr/bin/python3
"""A candor client in Python, written from docs/protocol.md alone.

Needs Python 3.9+ and the `cryptography` package (Debian: python3-cryptography) for X25519 and AES-GCM; HKDF
and HPKE (RFC 9180 base mode, one suite) are written out here. Run it against a collector or against
`candor conformance`:

    /usr/bin/python3 candor_client.py --collector http://127.0.0.1:8090
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import hmac
import http.client
import ipaddress
import json
import math
import random
import secrets
import struct
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# ---- section 3: HPKE base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM -------------------

KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0001
KEM_SUITE_ID = b"KEM" + struct.pack(">H", KEM_ID)
HPKE_SUITE_ID = b"HPKE" + struct.pack(">HHH", KEM_ID, KDF_ID, AEAD_ID)
N_SECRET, N_K, N_N, N_H = 32, 16, 12, 32


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(N_H), ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hkdf_extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info, length)


def raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def encap(pk_r: bytes, sk_e: X25519PrivateKey) -> tuple[bytes, bytes]:
    """Returns (shared_secret, enc)."""
    dh = sk_e.exchange(X25519PublicKey.from_public_bytes(pk_r))  # raises on an all-zero result
    if dh == bytes(32):
        raise ValueError("X25519 produced an all-zero shared secret")
    enc = raw_public(sk_e)
    eae_prk = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE_ID, eae_prk, b"shared_secret", enc + pk_r, N_SECRET), enc


def key_schedule(shared_secret: bytes, info: bytes) -> tuple[bytes, bytes]:
    """Base mode (psk and psk_id empty); returns (key, base_nonce)."""
    psk_id_hash = labeled_extract(HPKE_SUITE_ID, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE_ID, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(HPKE_SUITE_ID, shared_secret, b"secret", b"")
    key = labeled_expand(HPKE_SUITE_ID, secret, b"key", context, N_K)
    base_nonce = labeled_expand(HPKE_SUITE_ID, secret, b"base_nonce", context, N_N)
    return key, base_nonce


def seal_base(
    pk_r: bytes, info: bytes, aad: bytes, plaintext: bytes, sk_e: Optional[X25519PrivateKey] = None
) -> tuple[bytes, bytes]:
    """Single-shot SealBase; a fresh ephemeral key unless one is given (test vectors only). Returns (enc, ct)."""
    shared_secret, enc = encap(pk_r, sk_e or X25519PrivateKey.generate())
    key, base_nonce = key_schedule(shared_secret, info)
    return enc, AESGCM(key).encrypt(base_nonce, plaintext, aad)


# ---- section 4 and 5: envelope framing, info bytes, compression ------------------------------------------

INFO_PREFIX = b"candor report v1"
SEALED_CONTENT_TYPE = "application/candor-hpke"


def envelope_header(key_id: int) -> bytes:
    return struct.pack(">BHHH", key_id, KEM_ID, KDF_ID, AEAD_ID)


def envelope_info(header: bytes) -> bytes:
    return INFO_PREFIX + b"\x00" + header


def seal_envelope(key_id: int, pk_r: bytes, plaintext: bytes, sk_e: Optional[X25519PrivateKey] = None) -> bytes:
    header = envelope_header(key_id)
    enc, ct = seal_base(pk_r, envelope_info(header), b"", plaintext, sk_e)
    return header + enc + ct


def seal_batch(key_id: int, pk_r: bytes, batch: dict) -> bytes:
    data = json.dumps(batch, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return seal_envelope(key_id, pk_r, gzip.compress(data, mtime=0))


def b64url_decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---- section 9: buckets, sites, crash signatures, randomised response ---------------------------------------

MAX_BUCKETED_VALUE = 2**32 - 1


def bucket_index(value: float) -> int:
    v = min(max(value, 0), MAX_BUCKETED_VALUE)
    return math.floor(8 * math.log2(v + 1))


class PublicSuffixList:
    """The ICANN section of the public suffix list (rules, wildcards, exceptions), hosts in ASCII form."""

    DEFAULT_PATH = "/usr/share/publicsuffix/public_suffix_list.dat"

    def __init__(self, path: str = DEFAULT_PATH) -> None:
        self.rules: set[str] = set()
        self.exceptions: set[str] = set()
        icann = False
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if "===BEGIN ICANN DOMAINS===" in line:
                icann = True
            elif "===END ICANN DOMAINS===" in line:
                icann = False
            if not icann or not line or line.startswith("//"):
                continue
            rule = line.split()[0]
            target = self.exceptions if rule.startswith("!") else self.rules
            target.add(to_ascii(rule.lstrip("!")))

    def suffix_length(self, labels: list[str]) -> int:
        """Labels in the public suffix of a host; 0 when no ICANN rule matches it."""
        longest = 0
        for i in range(len(labels)):
            name = ".".join(labels[i:])
            if name in self.exceptions:
                return len(labels) - i - 1  # an exception rule prevails: its suffix drops the leftmost label
            wildcard = ".".join(["*", *labels[i + 1 :]])
            if name in self.rules or (i + 1 < len(labels) and wildcard in self.rules):
                longest = max(longest, len(labels) - i)
        return longest

    def registrable_domain(self, host: str) -> Optional[str]:
        labels = host.split(".")
        suffix = self.suffix_length(labels)
        if suffix == 0 or suffix >= len(labels):
            return None  # no ICANN rule applies (intranet, .local), or the host is itself a public suffix
        return ".".join(labels[-(suffix + 1) :])


def to_ascii(name: str) -> str:
    return ".".join(
        label.encode("idna").decode("ascii") if any(ord(c) > 127 for c in label) else label
        for label in name.lower().split(".")
    )


def registrable_domain(url: str, psl: PublicSuffixList) -> Optional[str]:
    """A URL's eTLD+1 in lowercase ASCII, or None when it must not be recorded at all."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if all(label.isdigit() or label.startswith("0x") for label in host.split(".")):
        return None  # numeric IPv4 shorthands such as 127.1
    try:
        host = to_ascii(host)
    except UnicodeError:
        return None
    return psl.registrable_domain(host)


def crash_signature(error_type: str, frames: list[str]) -> str:
    """First 16 hex characters of SHA-256 over the type and at most 8 normalised frames, one per line."""
    key = "\n".join([error_type, *frames[:8]])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def randomized_response(value: Any, domain: list, epsilon: float, rng: random.Random) -> Any:
    k = len(domain)
    p = math.exp(epsilon) / (math.exp(epsilon) + k - 1)
    if rng.random() < p:
        return value
    return rng.choice([d for d in domain if d != value])


# ---- the registry and the per-device-day bounds (section 9 defaults, registry overrides) -------------------

DEFAULT_BOUNDS = {
    "counter": {"value": 1_000, "total": 1_000, "samples": 1, "keys": 1},
    "labeled_counter": {"value": 500, "total": 1_000, "samples": 1, "keys": 1},
    "boolean": {"value": 1, "total": 1, "samples": 1, "keys": 1},
    "enumeration": {"value": 1, "total": 1, "samples": 1, "keys": 1},
    "quantity": {"value": 1_000_000, "total": 1_000_000, "samples": 1, "keys": 1},
    "timing_distribution": {"value": 2**32 - 1, "total": 2**32 - 1, "samples": 2_000, "keys": 1},
    "memory_distribution": {"value": 2**32 - 1, "total": 2**32 - 1, "samples": 2_000, "keys": 1},
    "site": {"value": 2**32 - 1, "total": 2**32 - 1, "samples": 100, "keys": 50},
    "event": {"value": 1, "total": 1, "samples": 1, "keys": 200},
    "crash": {"value": 20, "total": 20, "samples": 1, "keys": 10},
}


def bounds_for(definition: dict) -> dict:
    base = DEFAULT_BOUNDS[definition["type"]]
    value = definition.get("max", base["value"])
    total = definition.get("maxTotal", base["total"] if definition["type"] == "labeled_counter" else value)
    return {
        "value": value,
        "total": total,
        "samples": definition.get("maxSamples", base["samples"]),
        "keys": definition.get("maxKeys", base["keys"]),
    }


# ---- section 7 and 12: the device-day aggregate, consent and private mode ----------------------------------


@dataclass
class Distribution:
    count: int = 0
    total: float = 0
    buckets: dict[int, int] = field(default_factory=dict)

    def record(self, value: float, bounds: dict) -> bool:
        if self.count >= bounds["samples"]:
            return False  # the day's bound is reached: the sample is dropped
        value = min(max(value, 0), bounds["value"])
        index = bucket_index(value)
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.count += 1
        self.total += value
        return True

    def to_json(self) -> dict:
        return {"sum": self.total, "count": self.count, "buckets": {str(i): n for i, n in sorted(self.buckets.items())}}


class CandorClient:
    """Records into one UTC day's aggregate; builds that day's single report once the day has ended."""

    def __init__(
        self,
        registry: dict,
        collector: str,
        app_version: str,
        system: dict,
        consent: str = "unknown",
        regime: str = "opt-in",
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        rng: Optional[random.Random] = None,
        psl: Optional[PublicSuffixList] = None,
    ) -> None:
        self.registry = registry
        self.collector = collector.rstrip("/")
        major, _, rest = app_version.partition(".")
        self.app_version = f"{int(major)}.{int((rest.split('.')[0] or '0'))}"  # major.minor only
        self.system = system
        self.consent = consent
        self.regime = regime
        self.private = False
        self.now = now
        self.rng = rng or random.SystemRandom()
        self.psl = psl or PublicSuffixList()
        self.days: dict[str, dict[str, Any]] = {}  # day -> metric -> folded value
        self.queue: list[dict] = []
        self.transparency_log: list[dict] = []
        self.dropped_over_bound = 0
        self.last_closed_day = ""
        self.mark_active()

    # consent and private mode
    @property
    def recording(self) -> bool:
        allowed = self.consent == "granted" or (self.consent == "unknown" and self.regime == "opt-out")
        return allowed and not self.private

    def set_consent(self, state: str) -> None:
        if state == "denied":
            self.days.clear()
            self.queue.clear()
        self.consent = state
        self.mark_active()

    def mark_active(self) -> None:
        """Today is an active device-day (consent, not private): it gets a report even if nothing is recorded."""
        if self.recording:
            self.days.setdefault(self.now().strftime("%Y-%m-%d"), {})

    def set_private(self, on: bool) -> None:
        self.private = bool(on)  # held in memory only; nothing in a report depends on it

    # recording
    def _slot(self, name: str, expected: tuple[str, ...]) -> Optional[tuple[dict, dict, str]]:
        if not self.recording:
            return None
        definition = self.registry["metrics"].get(name)
        if definition is None or definition["type"] not in expected:
            raise ValueError(f"{name} is not a {'/'.join(expected)} in registry {self.registry['app']}")
        day = self.now().strftime("%Y-%m-%d")
        return definition, self.days.setdefault(day, {}), day

    def add(self, name: str, n: int = 1, label: Optional[str] = None) -> None:
        slot = self._slot(name, ("counter", "labeled_counter"))
        if not slot or n < 0:
            return
        definition, metrics, _ = slot
        bounds = bounds_for(definition)
        if definition["type"] == "counter":
            metrics[name] = min(metrics.get(name, 0) + n, bounds["value"])
            return
        if label not in definition["labels"]:
            raise ValueError(f"{name}: undeclared label {label}")
        counts = metrics.setdefault(name, {})
        room = min(bounds["value"] - counts.get(label, 0), bounds["total"] - sum(counts.values()))
        counts[label] = counts.get(label, 0) + max(0, min(n, room))

    def set(self, name: str, value: Any) -> None:
        slot = self._slot(name, ("boolean", "enumeration", "quantity"))
        if not slot:
            return
        definition, metrics, _ = slot
        if definition["type"] == "quantity":
            metrics[name] = min(max(float(value), 0), bounds_for(definition)["value"])
            return
        domain = [True, False] if definition["type"] == "boolean" else definition["values"]
        if value not in domain:
            raise ValueError(f"{name}: {value!r} is not one of {domain}")
        ldp = definition.get("ldp")
        # Randomised on the device, before it is stored: the true value is never kept for the report.
        metrics[name] = randomized_response(value, domain, ldp["epsilon"], self.rng) if ldp else value

    def record(self, name: str, value: float) -> None:
        slot = self._slot(name, ("timing_distribution", "memory_distribution"))
        if not slot:
            return
        definition, metrics, _ = slot
        metrics.setdefault(name, Distribution()).record(value, bounds_for(definition))

    def record_site(self, name: str, url: str, ms: float) -> None:
        slot = self._slot(name, ("site",))
        if not slot:
            return
        definition, metrics, _ = slot
        site = registrable_domain(url, self.psl)  # the URL itself is never kept
        if site is None:
            return
        bounds = bounds_for(definition)
        sites = metrics.setdefault(name, {})
        if site not in sites and len(sites) >= bounds["keys"]:
            self.dropped_over_bound += 1
            return
        sites.setdefault(site, Distribution()).record(ms, bounds)

    def crash(self, name: str, error_type: str, frames: list[str]) -> None:
        slot = self._slot(name, ("crash",))
        if not slot:
            return
        definition, metrics, _ = slot
        bounds = bounds_for(definition)
        crashes = metrics.setdefault(name, {})
        signature = crash_signature(error_type, frames)
        if signature not in crashes and len(crashes) >= bounds["keys"]:
            return
        entry = crashes.setdefault(signature, {"type": error_type, "signature": signature, "count": 0})
        entry["count"] = min(entry["count"] + 1, bounds["value"])

    # building the day's one report
    def end_days(self) -> int:
        """Turns every ended day's aggregate into its one report; returns how many were queued."""
        today = self.now().strftime("%Y-%m-%d")
        oldest = (self.now() - timedelta(days=3)).strftime("%Y-%m-%d")
        made = 0
        for day in sorted(d for d in self.days if d < today):
            metrics = self.days.pop(day)
            if day < oldest or day <= self.last_closed_day or not self.recording:
                continue  # too late to be accepted, already reported (clock set back), or no longer allowed
            self.queue.append(self._report(day, metrics))
            self.last_closed_day = day
            made += 1
        self.mark_active()
        return made

    def _report(self, day: str, metrics: dict) -> dict:
        values: dict[str, Any] = {}
        for name, value in metrics.items():
            if isinstance(value, Distribution):
                values[name] = value.to_json()
            elif self.registry["metrics"][name]["type"] == "site":
                values[name] = {site: d.to_json() for site, d in value.items()}
            elif self.registry["metrics"][name]["type"] == "crash":
                values[name] = list(value.values())
            else:
                values[name] = value
        return {
            "id": secrets.token_hex(16),
            "app": self.registry["app"],
            "appVersion": self.app_version,
            "registry": self.registry["version"],
            "day": day,
            "kind": "daily",
            "system": self.system,
            "metrics": values,
        }

    # section 2 and 10: keys and uploads
    def _request(self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[dict] = None):
        url = urllib.parse.urlsplit(self.collector + path)
        connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(url.hostname, url.port, timeout=30)
        try:
            # http.client adds no user agent, cookie or referer: nothing but the sealed bytes is sent.
            connection.request(method, url.path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
        finally:
            connection.close()

    def fetch_key(self) -> tuple[int, bytes]:
        status, _, body = self._request("GET", "/v1/keys")
        if status != 200:
            raise RuntimeError(f"GET /v1/keys answered {status}")
        for key in json.loads(body)["keys"]:
            if (key["kem"], key["kdf"], key["aead"]) == (KEM_ID, KDF_ID, AEAD_ID):
                public = b64url_decode(key["publicKey"])
                if len(public) == 32 and 0 <= key["id"] <= 255:
                    return key["id"], public
        raise RuntimeError("the collector offers no X25519 / HKDF-SHA256 / AES-128-GCM key")

    def upload(self, base_s: float = 5.0, cap_s: float = 900.0, max_attempts: int = 8) -> bool:
        """Sends the queue in batches of at most 50; True when everything was accepted or refused for good."""
        key = self.fetch_key()
        attempt = 0
        while self.queue:
            if not self.recording:
                return False
            batch = self.queue[:50]
            body = seal_batch(key[0], key[1], {"v": 1, "reports": batch})  # resealed for every attempt
            try:
                status, headers, answer = self._request(
                    "POST", "/v1/reports", body, {"content-type": SEALED_CONTENT_TYPE}
                )
            except OSError:
                status, headers, answer = None, {}, b""
            problem = {}
            if status is not None and 400 <= status < 500:
                try:
                    problem = json.loads(answer)
                except ValueError:
                    problem = {}
            if status == 400 and problem.get("type") == "https://candor.dev/problems/unknown-key":
                key = self.fetch_key()
                status, headers, answer = self._request(
                    "POST", "/v1/reports", seal_batch(key[0], key[1], {"v": 1, "reports": batch}),
                    {"content-type": SEALED_CONTENT_TYPE},
                )
            outcome = (
                "accepted" if status is not None and 200 <= status < 300
                else "retrying" if status is None or status == 429 or status >= 500
                else "rejected"
            )
            self._log(batch, outcome, status)
            print(f"upload of {len(batch)} report(s): {outcome} {status}")
            if outcome == "retrying":
                attempt += 1
                if attempt >= max_attempts:
                    return False
                ceiling = min(cap_s, base_s * 2 ** (attempt - 1))
                backoff = ceiling / 2 + self.rng.random() * ceiling / 2
                time.sleep(max(backoff, retry_after_seconds(headers.get("retry-after"))))
                continue
            attempt = 0
            sent = {r["id"] for r in batch}
            self.queue = [r for r in self.queue if r["id"] not in sent]
        return True

    def _log(self, batch: list[dict], outcome: str, status: Optional[int]) -> None:
        """One entry per report, replaced when it is sent again, so each shows its final state."""
        sent_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
        ids = {r["id"] for r in batch}
        self.transparency_log = [e for e in self.transparency_log if e["report"]["id"] not in ids]
        for report in batch:
            self.transparency_log.append(
                {"sentAt": sent_at, "collector": self.collector, "status": outcome, "httpStatus": status, "report": report}
            )
        del self.transparency_log[:-100]


def retry_after_seconds(value: Optional[str]) -> float:
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# ---- a demonstration device-day ----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description="Record one day of browser statistics and send its report.")
    parser.add_argument("--collector", required=True, help="collector base URL")
    parser.add_argument("--registry", default=str(here / "../../packages/protocol/vectors/v1/registry.json"))
    parser.add_argument("--retry-base", type=float, default=5.0, help="first retry delay in seconds")
    parser.add_argument("--log", help="write the transparency log here as JSON")
    args = parser.parse_args(argv)

    registry = json.loads(Path(args.registry).read_text(encoding="utf-8"))
    # The device's clock is moved through one day: values recorded yesterday, sent today once the day ended.
    clock = {"now": datetime.now(timezone.utc) - timedelta(days=1)}
    client = CandorClient(
        registry,
        args.collector,
        app_version="3.4.1",
        system={"modelFamily": "pixel", "os": "android", "osMajor": 14, "language": "en"},
        consent="granted",
        now=lambda: clock["now"],
    )
    for url, ms in [
        ("https://www.wikipedia.org/wiki/Privacy?search=secret", 640),
        ("https://news.bbc.co.uk/sport", 1210),
        ("https://en.wikipedia.org/wiki/HPKE", 380),
        ("http://192.168.1.1/admin", 90),
    ]:
        client.record_site("page_load.time_by_site", url, ms)
        client.record("page_load.time", ms)
        client.add("page_load.count")
    client.add("search.engine_use", 2, label="duckduckgo")
    client.add("page_load.count", 5000)  # clamped to the day's bound
    client.set("settings.dark_mode", True)  # randomised on the device (ldp)
    client.set("ui.open_tabs", 4)
    client.crash("crash.app", "IllegalStateException", ["onClick@MainActivity.kt", "dispatch@EventBus.kt"])
    client.set_private(True)
    client.record_site("page_load.time_by_site", "https://private.example.com/", 100)  # recorded as nothing
    client.set_private(False)

    clock["now"] = datetime.now(timezone.utc)
    made = client.end_days()
    ok = client.upload(base_s=args.retry_base)
    for entry in client.transparency_log:
        report = entry["report"]
        print(f"transparency log: {entry['sentAt']} {entry['status']} {entry['httpStatus']} report for {report['day']}")
    if args.log:
        Path(args.log).write_text(json.dumps(client.transparency_log, indent=2), encoding="utf-8")
    print(f"{made} report(s) made; {'sent' if ok else 'NOT sent'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

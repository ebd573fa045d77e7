"""Authoritative test DNS for end-to-end tests: Knot DNS (Debian package knot) on ADDR@PORT.

    from knot import Knot
    dns = Knot(addr="127.0.20.1", port=5353, zones={"example.test": ZONE_TEXT})
    dns.start()            # raises RuntimeError (with knotd's log) if it does not come up
    ... dns.update("example.test", NEW_TEXT)   # rewrite a zone file and reload it
    dns.stop()             # also done at exit, by PID

DNSSEC: zones named in `signed=` are signed by knotd itself (automatic signing, an ECDSA P-256
key made at start in knot's own key database); `dns.trust_anchor(origin)` returns the zone's
DS records in zone-file syntax (knot's keymgr), which a validating resolver takes as its
trust anchor.

Zone texts are ordinary zone files; "$ORIGIN" and "$TTL" are added when missing. A minimal SOA
and NS are added when the text has no SOA, so a test only writes the records it cares about.
knotd runs in the foreground as our child process and is stopped by PID (never by name).
"""
import atexit
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
KNOTC = shutil.which("knotc") or "/usr/sbin/knotc"
KEYMGR = shutil.which("keymgr") or "/usr/sbin/keymgr"


def _with_defaults(origin, text):
    lines = []
    if "$ORIGIN" not in text:
        lines.append(f"$ORIGIN {origin}.")
    if "$TTL" not in text:
        lines.append("$TTL 300")
    if " SOA " not in text and "\tSOA\t" not in text:
        lines.append(f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300")
        lines.append(f"@ IN NS ns.{origin}.")
        lines.append("ns IN A 127.0.0.1")
    lines.append(text)
    return "\n".join(lines) + "\n"


def _soa_query(origin):
    """A minimal DNS query (RFC 1035 §4.1) for ORIGIN SOA, to probe readiness."""
    qname = b"".join(bytes([len(l)]) + l.encode() for l in origin.strip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", 0x4854, 0x0000, 1, 0, 0, 0) + qname + struct.pack(">HH", 6, 1)


class Knot:
    def __init__(self, addr, port, zones, workdir=None, signed=()):
        self.addr, self.port = addr, int(port)
        self.zones = dict(zones)
        self.signed = set(signed)
        self.dir = workdir or tempfile.mkdtemp(prefix="hearth-knot-")
        if workdir is None:
            atexit.register(shutil.rmtree, self.dir, True)
        self.conf = os.path.join(self.dir, "knot.conf")
        self.proc = None
        atexit.register(self.stop)

    def _write(self):
        for sub in ("run", "db", "zones"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        conf = [
            "server:",
            f'    rundir: "{self.dir}/run"',
            f"    listen: [ {self.addr}@{self.port} ]",
            "database:",
            f'    storage: "{self.dir}/db"',
            "log:",
            f"  - target: {self.dir}/knot.log",
            "    any: info",
            "policy:",
            "  - id: hearth-test",
            "    algorithm: ecdsap256sha256",
            "    single-type-signing: on",
            "template:",
            "  - id: default",
            f'    storage: "{self.dir}/zones"',
            "    semantic-checks: on",
            "    zonefile-sync: -1",
            "    zonefile-load: whole",
            "    journal-content: none",
            "zone:",
        ]
        if os.geteuid() == 0:
            conf.insert(2, "    user: root:root")
        for origin, text in self.zones.items():
            self._write_zone(origin, text)
            conf += [f"  - domain: {origin}", f'    file: "{origin}.zone"']
            if origin in self.signed:
                conf += ["    dnssec-signing: on", "    dnssec-policy: hearth-test"]
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")

    def _write_zone(self, origin, text):
        with open(os.path.join(self.dir, "zones", f"{origin}.zone"), "w") as f:
            f.write(_with_defaults(origin, text))

    def log(self):
        out = []
        for name in ("knot.log", "knotd.out"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out.append(f.read())
            except OSError:
                pass
        return "\n".join(out)

    def ready(self):
        """True when every zone answers its SOA over UDP."""
        for origin in self.zones:
            with socket.socket(socket.AF_INET6 if ":" in self.addr else socket.AF_INET,
                               socket.SOCK_DGRAM) as s:
                s.settimeout(0.3)
                try:
                    s.sendto(_soa_query(origin), (self.addr, self.port))
                    data = s.recv(4096)
                except OSError:
                    return False
                # RCODE 0 and at least one answer record.
                if len(data) < 12 or data[3] & 0x0F != 0 or struct.unpack(">H", data[6:8])[0] == 0:
                    return False
        return True

    def start(self, timeout=10.0):
        self._write()
        check = subprocess.run([KNOTC, "-c", self.conf, "conf-check"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"knot.conf rejected:\n{check.stdout}{check.stderr}")
        out = open(os.path.join(self.dir, "knotd.out"), "ab")
        self.proc = subprocess.Popen([KNOTD, "-c", self.conf], stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"knotd exited {self.proc.returncode}:\n{self.log()}")
            if self.ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"knotd did not serve the zones within {timeout}s:\n{self.log()}")

    def trust_anchor(self, origin):
        """The DS records of a signed zone's key, one per line, in zone-file syntax."""
        cp = subprocess.run([KEYMGR, "-c", self.conf, origin, "ds"], capture_output=True, text=True)
        if cp.returncode != 0 or " DS " not in cp.stdout:
            raise RuntimeError(f"keymgr ds {origin} failed:\n{cp.stdout}{cp.stderr}")
        return cp.stdout

    def update(self, origin, text):
        """Rewrites one zone (bump the SOA serial yourself if the text has one) and reloads."""
        self.zones[origin] = text
        self._write_zone(origin, text)
        subprocess.run([KNOTC, "-c", self.conf, "zone-reload", origin], capture_output=True,
                       check=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

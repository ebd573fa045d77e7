#!/usr/bin/python3
"""The HTTPS listener with a real client (curl): routing answers (404 for an unknown path),
keep-alive across two URLs, the header limit (431), path traversal refused (400), the headers
every response carries, the autoconfig routes wired by `serve`, the persistent auth secret,
and a clean SIGTERM.
"""
import os
import re
import stat
import subprocess

from hearth_test import Instance, check, finish

inst = Instance()
port = inst.port("https")
host = inst.hostname
base = f"https://{host}:{port}"


def curl(*args):
    """curl against the instance's https listener, trusting its dev CA; returns (rc, stdout, stderr)."""
    cmd = ["curl", "-sS", "--max-time", "15", "--cacert", inst.ca_file(),
           "--resolve", f"{host}:{port}:{inst.addr}", *args]
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return cp.returncode, cp.stdout, cp.stderr


def status_of(*args):
    rc, out, err = curl("-o", "/dev/null", "-w", "%{http_code}", *args)
    return out.strip() if rc == 0 else f"curl exit {rc}: {err.strip()}"


inst.start(wait_for="https")

# --- an unknown path: 404, with the headers every response carries ------------------------
rc, out, err = curl("-D", "-", "-o", "/dev/null", f"{base}/no/such/path")
head = out.lower()
check(rc == 0 and re.match(r"http/1\.1 404", head) is not None, f"unknown path answers 404 ({out.splitlines()[:1]})")
check("strict-transport-security: max-age=31536000" in head, "Strict-Transport-Security on the 404")
check(re.search(r"^date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d gmt", head, re.M) is not None, "Date in IMF-fixdate")
check(re.search(r"^content-length: \d+", head, re.M) is not None, "Content-Length present")
check(re.search(r"^server:", head, re.M) is None, "no Server header")

# --- two URLs in one curl run share one connection (keep-alive) ----------------------------
rc, out, err = curl("-v", "-o", "/dev/null", "-o", "/dev/null", f"{base}/first", f"{base}/second")
reused = re.search(r"Re-?using existing connection", err) is not None
check(rc == 0 and reused, "the second URL re-uses the first connection")
check(len(re.findall(r"< HTTP/1\.1 404", err)) == 2, "both requests answered on it")

# --- limits and refusals -------------------------------------------------------------------
big = "X-Big: " + "a" * (20 * 1024)
check(status_of("-H", big, f"{base}/") == "431", "a 20 KiB header answers 431")
check(status_of("--path-as-is", f"{base}/../etc/passwd") == "400", "/../etc/passwd answers 400")
check(status_of("--path-as-is", f"{base}/%2e%2e/etc/passwd") == "400", "/%2e%2e/etc/passwd answers 400")
check(status_of("-I", f"{base}/no/such/path") == "404", "HEAD of an unknown path answers 404")

# --- routes registered by serve (rfc6764 autoconfig) ---------------------------------------
tb = f"{base}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={inst.email}"
rc, out, err = curl(tb)
check(rc == 0 and "<clientConfig" in out, "the Thunderbird autoconfig route is served")
check(status_of("-X", "DELETE", tb) == "405", "a method the route lacks answers 405")

# --- the persistent auth secret -------------------------------------------------------------
secret_file = os.path.join(inst.dir, "data", "auth.secret")
mode = stat.S_IMODE(os.stat(secret_file).st_mode) if os.path.exists(secret_file) else None
check(mode == 0o600, f"auth.secret exists with mode 0600 (got {oct(mode) if mode is not None else None})")
with open(secret_file) as f:
    secret = f.read().strip()
check(re.fullmatch(r"[0-9a-f]{64}", secret) is not None, "auth.secret holds 32 bytes in hex")

# --- SIGTERM: exit 0; a restart keeps the secret ----------------------------------------------
rc, took = inst.stop()
check(rc == 0, f"SIGTERM: exit code 0 (got {rc})")
inst.start(wait_for="https")
check(status_of(f"{base}/again") == "404", "serving again after a restart")
with open(secret_file) as f:
    check(f.read().strip() == secret, "the restart reads the same auth.secret")
rc, took = inst.stop()
check(rc == 0, f"second SIGTERM: exit code 0 (got {rc})")
log = inst.log()
check(re.search(r"http conn=\S+ ip=\S+ method=GET path=/no/such/path status=404", log) is not None,
      "requests are logged one line each")
check(re.search(r"http\.refused .*status=431", log) is not None, "the 431 refusal is logged")

finish()

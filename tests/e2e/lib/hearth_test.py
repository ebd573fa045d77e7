"""Shared harness for Hearth's end-to-end tests.

Each test gets its own loopback network (HEARTH_TEST_NET, e.g. 127.0.7) from CTest, its own
temp directory, and starts `hearth` instances with `quickstart --dev ... --listen ADDR
--port-offset OFFSET`. Everything started is stopped by PID at exit, even on failure.
"""
import atexit
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HEARTH = os.environ.get("HEARTH_BIN", "build/hearth")
NET = os.environ.get("HEARTH_TEST_NET", "127.0.200")
SOURCE_DIR = os.environ.get("HEARTH_SOURCE_DIR", os.getcwd())
OFFSET = 20000

# Set by tests/e2e/lib/pg_cluster.py (CTest label `pg`): each Instance then keeps its stores in
# a database of its own on that cluster instead of SQLite files.
PG_URL = os.environ.get("HEARTH_TEST_PG_URL", "")
_pg_databases = 0

STANDARD_PORTS = {
    "smtp": 25, "submission": 587, "submissions": 465, "imap": 143, "imaps": 993,
    "pop3": 110, "pop3s": 995, "managesieve": 4190, "https": 443,
    "xmpp_client": 5222, "xmpps_client": 5223, "xmpp_server": 5269, "xmpps_server": 5270,
}

_procs = []
_failures = []
_passes = 0


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_cleanup)


def check(cond, what):
    """Records one assertion; the test fails at finish() if any failed."""
    global _passes
    if cond:
        _passes += 1
        print(f"ok   {what}", flush=True)
    else:
        _failures.append(what)
        print(f"FAIL {what}", flush=True)
    return cond


def finish():
    print(f"{_passes} passed, {len(_failures)} failed", flush=True)
    sys.exit(1 if _failures or _passes == 0 else 0)


def run(args, input=None, check_rc=True, env=None, timeout=60):
    """Runs the hearth binary with args; returns CompletedProcess (text)."""
    cp = subprocess.run([HEARTH] + args, input=input, capture_output=True, text=True,
                        timeout=timeout, env=env)
    if check_rc and cp.returncode != 0:
        raise RuntimeError(f"hearth {' '.join(args)} exited {cp.returncode}:\n{cp.stdout}\n{cp.stderr}")
    return cp


def wait_port(host, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_for(fn, timeout=30.0):
    """Calls fn every 0.2 s until it returns something true (returned), at most `timeout` s;
    then returns its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return fn()


def set_key(path, table, key, value):
    """Sets `key = value` (a TOML literal) in [table] of the config file, adding it if missing."""
    with open(path) as f:
        lines = f.read().split("\n")
    out, in_table, done = [], False, False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            if in_table and not done:
                out.append(f"{key} = {value}")
                done = True
            in_table = stripped == f"[{table}]"
        if in_table and not done and re.match(rf"^{re.escape(key)}\s*=", stripped):
            out.append(f"{key} = {value}")
            done = True
            continue
        out.append(line)
    if not done:
        if not in_table:
            out.append(f"[{table}]")
        out.append(f"{key} = {value}")
    with open(path, "w") as f:
        f.write("\n".join(out))


def pg_database():
    """A new, empty database on the test's PostgreSQL cluster (HEARTH_TEST_PG_URL); returns its
    libpq keyword string. Instances of one test (a sender and a receiver) must not share one."""
    global _pg_databases
    _pg_databases += 1
    name = f"hearth_{_pg_databases}"
    subprocess.run([_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", PG_URL, "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True, text=True, timeout=60)
    return re.sub(r"dbname=\S+", f"dbname={name}", PG_URL) if "dbname=" in PG_URL else f"{PG_URL} dbname={name}"


def _psql():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return found[-1] if found else "psql"


def pg_query(url, sql):
    """The first column of each row of `sql` on the PostgreSQL database `url` (an instance's
    database_url), as strings; [] when the table does not exist yet."""
    cp = subprocess.run([_psql(), "-X", "-q", "-A", "-t", url, "-c", sql], capture_output=True, text=True, timeout=60)
    if cp.returncode != 0:
        if "does not exist" in cp.stderr:
            return []
        raise RuntimeError(f"psql: {cp.stderr}")
    return [line for line in cp.stdout.split("\n") if line]


class Instance:
    """One hearth instance: quickstart into a temp dir, then serve on ADDR with OFFSET."""

    def __init__(self, email="demo@example.test", host=1, offset=OFFSET, hostname=None, extra=(), greylist=False):
        self.addr = f"{NET}.{host}"
        self.offset = offset
        self.email = email
        self.domain = email.split("@", 1)[1]
        self.hostname = hostname or f"mail.{self.domain}"
        self.dir = tempfile.mkdtemp(prefix="hearth-e2e-")
        if not os.environ.get("HEARTH_KEEP"): atexit.register(shutil.rmtree, self.dir, True)
        self.config = os.path.join(self.dir, "hearth.toml")
        self.database_url = pg_database() if PG_URL else ""
        db = ["--database-url", self.database_url] if self.database_url else []
        cp = run(["quickstart", "--dev", email, "--dir", self.dir, "--hostname", self.hostname,
                  "--listen", self.addr, "--port-offset", str(offset), *db, *extra])
        self.quickstart_output = cp.stdout
        # Greylisting is on by default in a real config; tests that deliver on port
        # 25 expect their first try to pass, so only the greylisting tests turn it on.
        if not greylist:
            set_key(self.config, "filter.greylist", "enabled", "false")
        self.password = None
        for line in cp.stdout.splitlines():
            if line.strip().lower().startswith("password:"):
                self.password = line.split(":", 1)[1].strip()
        self.proc = None
        self.log_path = os.path.join(self.dir, "serve.log")

    def port(self, service):
        return STANDARD_PORTS[service] + self.offset

    def cli(self, args, **kw):
        return run(["--config", self.config] + args, **kw)

    def cert_file(self):
        """The served certificate chain (leaf + dev CA)."""
        return os.path.join(self.dir, "data", "tls", f"{self.hostname}.crt")

    def ca_file(self):
        """The dev CA that clients must trust (quickstart --dev)."""
        return os.path.join(self.dir, "data", "tls", "ca.crt")

    def start(self, wait_for="submissions"):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([HEARTH, "--config", self.config, "serve"],
                                     stdout=log, stderr=subprocess.STDOUT)
        _procs.append(self.proc)
        # Generous: on PostgreSQL the first start runs every migration, which takes several
        # seconds when the 2-core machine runs other tests beside it.
        if not wait_port(self.addr, self.port(wait_for), timeout=30.0):
            raise RuntimeError(f"hearth did not start listening:\n{self.log()}")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends sig, waits; returns (exit code, seconds taken) or (None, timeout)."""
        if not self.proc:
            return None, 0.0
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, timeout
        return rc, time.monotonic() - t0

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

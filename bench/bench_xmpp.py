#!/usr/bin/env python3
"""XMPP benchmark: the same load program (build/bench/bench_xmpp, C++) against hearth,
Prosody and ejabberd, each started privately on a loopback address with a config written here,
accounts created with each server's own CLI (hearth user add, prosodyctl register,
ejabberdctl register).

Runs, per server:
  1. 100 logged-in clients in pairs exchanging MESSAGES_100 chat messages each way;
  2. 1 000 clients exchanging MESSAGES_1000 each, then IDLE (10 000) more connections that log
     in and bind a resource but send no presence: the server's RSS growth divided by their
     number is the memory per idle connection.
  3. group chat (XEP-0045, each server's own MUC with its room archive on): one room of
     100 occupants (BENCH_XMPP_MUC=100,1000 for more sizes), each sending BENCH_XMPP_MUC_MESSAGES
     groupchat messages at once (at 1 000 occupants a tenth as many each); messages/s counts every copy an occupant receives (fan-out).
Prints login rate, messages/s delivered, p50/p99 delivery latency and RSS per idle connection,
then hearth's ratio to each of the others (higher is better for hearth in every column: the
latency and memory ratios are other/hearth).

All three get the same terms: STARTTLS with the same ECDSA certificate, SCRAM-SHA-1 stored
credentials, message archiving (MAM) on for every message, offline storage, no rate limiting
or traffic shaping, no per-account session limit. 100 accounts: client i is account i % 100,
so the 1 000 clients are 10 resources per account and the idle ones 100 more.

usage: bench_xmpp.py [HEARTH_BIN]   (make bench passes build/hearth)
  env: BENCH_XMPP_MUC_ONLY=1 runs only the group chat part
  env: BENCH_XMPP_SERVERS=hearth,prosody,ejabberd  BENCH_XMPP_IDLE=10000
       BENCH_XMPP_EJABBERD_DB=mnesia|sql (ejabberd's storage: its default Mnesia, or SQLite)
Needs root (Prosody and ejabberd run as their own users; RLIMIT_NOFILE is raised).
Servers missing (packages prosody / ejabberd, scripts/packages/bench.txt) are skipped.
"""
import os
import pwd
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from packages import ensure_packages as ensure_listed  # noqa: E402

# The e2e harness's config editor (one copy of it: tests/e2e/lib/hearth_test.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
from hearth_test import set_key, wait_port  # noqa: E402

HEARTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/hearth")
BENCH = os.environ.get("BENCH_XMPP_BIN") or os.path.join(os.path.dirname(HEARTH), "bench", "bench_xmpp")
DOMAIN = "bench.test"
PASSWORD = "benchpw"
ACCOUNTS = 100
MESSAGES_100 = int(os.environ.get("BENCH_XMPP_MESSAGES_100", "20"))
MESSAGES_1000 = int(os.environ.get("BENCH_XMPP_MESSAGES_1000", "4"))
IDLE = int(os.environ.get("BENCH_XMPP_IDLE", "10000"))
SERVERS = os.environ.get("BENCH_XMPP_SERVERS", "hearth,prosody,ejabberd").split(",")
ADDR = {"hearth": "127.0.179.1", "prosody": "127.0.179.2", "ejabberd": "127.0.179.3"}
SRC_NET = {"hearth": 178, "prosody": 177, "ejabberd": 176}
OFFSET = 31000
PORT = 5222 + OFFSET
NODE = "hearthbench@localhost"
MUC_SIZES = [int(x) for x in os.environ.get("BENCH_XMPP_MUC", "100").split(",") if x]
MUC_MESSAGES = int(os.environ.get("BENCH_XMPP_MUC_MESSAGES", "10"))
MUC_ONLY = os.environ.get("BENCH_XMPP_MUC_ONLY") == "1"
MUC_ROOM = "bench@conference." + DOMAIN
# Seating a large room: BENCH_XMPP_SEAT=10000 logs in that many clients and joins them to one
# room that broadcasts only moderators' presence (muc#roomconfig_presencebroadcast), no
# messages; joins/s and the seconds to seat them all. Hearth only by default
# (BENCH_XMPP_SEAT_SERVERS): Prosody took 3 minutes to seat 1 000 in the group chat run.
SEAT = int(os.environ.get("BENCH_XMPP_SEAT", "0"))
SEAT_SERVERS = os.environ.get("BENCH_XMPP_SEAT_SERVERS", "hearth").split(",")


def ensure_packages():
    ensure_listed("xmpp-bench.list", services=("prosody", "ejabberd"))


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 200000
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def nofile(pid):
    """The server's soft RLIMIT_NOFILE: every server must get the same (printed at start)."""
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    return line.split()[3]
    except OSError:
        pass
    return "?"


def run_load(name, cafile, pid, n, messages, idle):
    args = [BENCH, ADDR[name], str(PORT), DOMAIN, cafile, PASSWORD, "u", str(n), "--messages", str(messages),
            "--accounts", str(ACCOUNTS), "--src", str(SRC_NET[name])]
    if idle:
        args += ["--idle", str(idle), "--pid", str(pid)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=900)
    out = r.stdout + r.stderr
    for line in out.strip().splitlines():
        print(f"  {name} n={n}: {line}")
    res = {}
    m = re.search(r"logins: (\d+)/(\d+) in [\d.]+ s \((\d+) logins/s\)", out)
    if m and m.group(1) == m.group(2):
        res["login"] = float(m.group(3))
    m = re.search(r"messages: (\d+)/(\d+) delivered in [\d.]+ s: (\d+) msg/s, latency p50 ([\d.]+) ms p99 ([\d.]+) ms", out)
    if m and m.group(1) == m.group(2):
        res["msgs"], res["p50"], res["p99"] = float(m.group(3)), float(m.group(4)), float(m.group(5))
    m = re.search(r"idle logins: (\d+)/(\d+) in [\d.]+ s \((\d+) logins/s\)", out)
    if m:
        res["idle_ok"] = int(m.group(1))
        res["idle_login"] = float(m.group(3))
    m = re.search(r"idle: (\d+) connections, server RSS (-?\d+) -> (-?\d+) kB: ([\d.-]+) kB per connection", out)
    if m:
        res["rss_before"], res["rss_after"], res["kb_per_conn"] = int(m.group(2)), int(m.group(3)), float(m.group(4))
    return res


def run_muc(name, cafile, n, messages):
    args = [BENCH, ADDR[name], str(PORT), DOMAIN, cafile, PASSWORD, "u", str(n), "--messages", str(messages),
            "--accounts", str(ACCOUNTS), "--src", str(SRC_NET[name]), "--muc", MUC_ROOM.replace("bench@", f"bench{n}@")]
    r = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    out = r.stdout + r.stderr
    for line in out.strip().splitlines():
        print(f"  {name} muc n={n}: {line}")
    res = {}
    m = re.search(r"muc messages: (\d+)/(\d+) delivered in [\d.]+ s: (\d+) msg/s, latency p50 ([\d.]+) ms p99 ([\d.]+) ms", out)
    if m:
        res["msgs"], res["p50"], res["p99"] = float(m.group(3)), float(m.group(4)), float(m.group(5))
        res["lost"] = int(m.group(2)) - int(m.group(1))
    return res


def run_seat(name, cafile, n):
    args = [BENCH, ADDR[name], str(PORT), DOMAIN, cafile, PASSWORD, "u", str(n), "--accounts", str(ACCOUNTS),
            "--src", str(SRC_NET[name]), "--muc", MUC_ROOM.replace("bench@", f"seat{n}@"), "--seat-only",
            "--no-presence", "--broadcast", "moderator"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    out = r.stdout + r.stderr
    for line in out.strip().splitlines():
        print(f"  {name} seat n={n}: {line}")
    m = re.search(r"muc joins: (\d+)/(\d+) in ([\d.]+) s \((\d+) joins/s\)", out)
    if not m or m.group(1) != m.group(2):
        return {}
    return {"joins": float(m.group(4)), "seconds": float(m.group(3))}


def make_cert(work):
    """One ECDSA P-256 CA and server certificate for bench.test, used by all three servers."""
    d = os.path.join(work, "tls")
    os.makedirs(d)
    ossl = ["openssl"]
    subprocess.run(ossl + ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt", "-subj", "/CN=bench CA", "-days", "2",
                           "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign"],
                   check=True, capture_output=True)
    subprocess.run(ossl + ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr", "-subj", f"/CN={DOMAIN}"],
                   check=True, capture_output=True)
    with open(f"{d}/ext", "w") as f:
        f.write(f"subjectAltName=DNS:{DOMAIN},DNS:*.{DOMAIN}\n")
    subprocess.run(ossl + ["x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
                           "-CAcreateserial", "-out", f"{d}/server.crt", "-days", "2", "-extfile", f"{d}/ext"],
                   check=True, capture_output=True)
    os.chmod(work, 0o755)
    os.chmod(d, 0o755)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return f"{d}/ca.crt", f"{d}/server.crt", f"{d}/server.key"


# ---------------------------------------------------------------- hearth

def start_hearth(work, cert, key):
    r = subprocess.run([HEARTH, "quickstart", "--dev", f"bench@{DOMAIN}", "--dir", work, "--listen", ADDR["hearth"],
                        "--port-offset", str(OFFSET)], capture_output=True, text=True)
    if r.returncode != 0:
        print("hearth quickstart failed:", r.stderr)
        return None
    cfg = os.path.join(work, "hearth.toml")
    # The same certificate as the others (the dev one is replaced in place).
    with open(cfg) as f:
        text = f.read()
    m_cert = re.search(r'(?m)^cert = "([^"]+)"', text)
    m_key = re.search(r'(?m)^key = "([^"]+)"', text)
    if not (m_cert and m_key):
        print("hearth: no [[tls.certificate]] cert/key in the quickstart config")
        return None
    shutil.copy(cert, os.path.join(work, m_cert.group(1)))
    shutil.copy(key, os.path.join(work, m_key.group(1)))
    set_key(cfg, "server", "max_connections_per_ip", "0")
    set_key(cfg, "xmpp", "max_resources", "100000")
    set_key(cfg, "xmpp", "stanzas_per_second", "0")
    set_key(cfg, "xmpp", "muc_messages_per_second", "0")
    set_key(cfg, "log", "level", '"warn"')
    for i in range(ACCOUNTS):
        r = subprocess.run([HEARTH, "--config", cfg, "user", "add", f"u{i}@{DOMAIN}", "--password-stdin"],
                           input=PASSWORD + "\n", capture_output=True, text=True)
        if r.returncode != 0:
            print("hearth user add failed:", r.stderr.strip())
            return None
    log = open(os.path.join(work, "serve.log"), "ab")
    p = subprocess.Popen([HEARTH, "--config", cfg, "serve"], stdout=log, stderr=subprocess.STDOUT)
    if not wait_port(ADDR["hearth"], PORT, timeout=60):
        p.kill()
        p.wait()
        print("hearth did not start")
        return None
    return p, p.pid, lambda: (p.send_signal(signal.SIGTERM), p.wait(timeout=30))


# ---------------------------------------------------------------- Prosody

PROSODY_CFG = """pidfile = "{w}/prosody.pid"
data_path = "{w}/data"
log = {{ warn = "{w}/prosody.log"; error = "{w}/prosody.err"; }}
network_backend = "epoll"
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; "carbons"; "pep"; "private";
  "vcard_legacy"; "blocklist"; "mam"; "smacks"; "csi_simple"; "time"; "version"; "uptime";
  "posix"; "offline"; "lastactivity"; }}
-- SQL storage (SQLite, like hearth's): Prosody's "internal" file store rewrites MAM archives
-- and runs at ~100 messages/s here.
modules_disabled = {{ "s2s"; }}
interfaces = {{ "{addr}" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{}}
s2s_ports = {{}}
http_ports = {{}}
https_ports = {{}}
c2s_require_encryption = true
allow_registration = false
authentication = "internal_hashed"
storage = "sql"
sql = {{ driver = "SQLite3"; database = "prosody.sqlite"; }}
default_archive_policy = true
certificates = "{w}/certs"
VirtualHost "{domain}"
Component "conference.{domain}" "muc"
  modules_enabled = {{ "muc_mam" }}
  muc_log_by_default = true
  muc_log_all_rooms = true
"""


def start_prosody(work, cert, key):
    if not shutil.which("prosody"):
        print("prosody: skipped (package prosody not installed)")
        return None
    os.makedirs(f"{work}/data")
    os.makedirs(f"{work}/certs")
    shutil.copy(cert, f"{work}/certs/{DOMAIN}.crt")
    shutil.copy(key, f"{work}/certs/{DOMAIN}.key")
    cfg = f"{work}/prosody.cfg.lua"
    with open(cfg, "w") as f:
        f.write(PROSODY_CFG.format(w=work, addr=ADDR["prosody"], port=PORT, domain=DOMAIN))
    subprocess.run(["chown", "-R", "prosody:prosody", work], check=True)
    os.chmod(work, 0o755)
    as_prosody = ["setpriv", "--reuid=prosody", "--regid=prosody", "--init-groups"]
    for i in range(ACCOUNTS):  # one at a time: they share one SQLite file
        r = subprocess.run(as_prosody + ["prosodyctl", "--config", cfg, "register", f"u{i}", DOMAIN, PASSWORD],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("prosodyctl register failed:", (r.stderr + r.stdout).strip()[:300])
            return None
    log = open(f"{work}/fg.out", "ab")
    p = subprocess.Popen(as_prosody + ["prosody", "--config", cfg, "-F"], stdout=log, stderr=subprocess.STDOUT)
    if not wait_port(ADDR["prosody"], PORT, timeout=60):
        p.kill()
        p.wait()
        print("prosody did not start")
        return None
    return p, p.pid, lambda: (p.send_signal(signal.SIGTERM), p.wait(timeout=30))


# ---------------------------------------------------------------- ejabberd

EJABBERD_YML = """hosts:
  - {domain}
loglevel: warning
certfiles:
  - "{w}/server.pem"
listen:
  -
    port: {port}
    ip: "{addr}"
    module: ejabberd_c2s
    max_stanza_size: 262144
    backlog: 1024
    starttls_required: true
    access: c2s
{storage}
auth_password_format: scram
auth_scram_hash: sha
shaper: {{}}
shaper_rules:
  max_user_sessions: 100000
  max_user_offline_messages: 1000
  c2s_shaper: none
acl:
  local:
    user_regexp: ""
access_rules:
  c2s:
    allow: all
  local:
    allow: local
modules:
  mod_roster: {{}}
  mod_disco: {{}}
  mod_caps: {{}}
  mod_ping: {{}}
  mod_offline: {{}}
  mod_carboncopy: {{}}
  mod_stream_mgmt: {{}}
  mod_client_state: {{}}
  mod_blocking: {{}}
  mod_privacy: {{}}
  mod_private: {{}}
  mod_vcard: {{}}
  mod_last: {{}}
  mod_time: {{}}
  mod_version: {{}}
  mod_mam:
    default: always
  mod_muc:
    host: "conference.@HOST@"
    access_create: all
    max_users: 5000
    default_room_options:
      mam: true
"""


# BENCH_XMPP_EJABBERD_DB=sql: every ejabberd store (accounts, roster, offline, MAM, ...) in
# one SQLite file, as Prosody and hearth keep theirs, instead of its default Mnesia (whose
# MAM archive is one bag per account and slows down as it grows). Needs erlang-p1-sqlite3
# and the sqlite3 CLI (the schema is ejabberd's own lite.sql).
EJABBERD_DB = os.environ.get("BENCH_XMPP_EJABBERD_DB", "mnesia")
EJABBERD_SQL_SCHEMA = "/usr/share/ejabberd/sql/lite.sql"
EJABBERD_STORAGE = {
    "mnesia": "auth_method: internal",
    "sql": 'auth_method: sql\ndefault_db: sql\nsql_type: sqlite\nsql_database: "{w}/spool/ejabberd.db"',
}


def beam_pid():
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"beam.smp") and NODE.encode() in cmd:
            return int(d)
    return 0


def epmd_running():
    return subprocess.run(["epmd", "-names"], capture_output=True).returncode == 0


def start_ejabberd(work, cert, key):
    if not shutil.which("ejabberdctl"):
        print("ejabberd: skipped (package ejabberd not installed)")
        return None
    with open(f"{work}/server.pem", "w") as f:
        f.write(open(cert).read() + open(key).read())
    with open(f"{work}/ejabberd.yml", "w") as f:
        f.write(EJABBERD_YML.format(w=work, addr=ADDR["ejabberd"], port=PORT, domain=DOMAIN,
                                    storage=EJABBERD_STORAGE[EJABBERD_DB].format(w=work)))
    with open(f"{work}/ejabberdctl.cfg", "w") as f:
        f.write(f'ERLANG_NODE={NODE}\nERL_MAX_PORTS=65536\nERL_PROCESSES=1000000\n')
    shutil.copy("/etc/ejabberd/inetrc", f"{work}/inetrc")
    os.makedirs(f"{work}/logs")
    os.makedirs(f"{work}/spool")
    if EJABBERD_DB == "sql":
        with open(EJABBERD_SQL_SCHEMA) as schema:
            subprocess.run(["sqlite3", f"{work}/spool/ejabberd.db"], stdin=schema, check=True, capture_output=True)
    subprocess.run(["chown", "-R", "ejabberd:ejabberd", work], check=True)
    os.chmod(work, 0o755)
    os.chmod(f"{work}/server.pem", 0o600)
    # ejabberdctl run by root switches to the ejabberd user with su, whose pam_limits session
    # resets the soft RLIMIT_NOFILE to 1024: beam then fails accept() with "too many open files"
    # near 1 000 connections. Start it as the ejabberd user ourselves (setpriv, no PAM, like
    # Prosody), so it keeps the limit raised above, the same one hearth and Prosody get; HOME is
    # the one su would set (the Erlang cookie lives there).
    as_ejabberd = ["setpriv", "--reuid=ejabberd", "--regid=ejabberd", "--init-groups", "env",
                   f"HOME={pwd.getpwnam('ejabberd').pw_dir}"]
    ctl = as_ejabberd + ["ejabberdctl", "--config-dir", work, "--config", f"{work}/ejabberd.yml", "--ctl-config",
                         f"{work}/ejabberdctl.cfg", "--logs", f"{work}/logs", "--spool", f"{work}/spool", "--node", NODE]
    had_epmd = epmd_running()
    log = open(f"{work}/fg.out", "ab")
    p = subprocess.Popen(ctl + ["foreground"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         cwd=f"{work}/spool")

    def stop():
        subprocess.run(ctl + ["stop"], capture_output=True, timeout=60, cwd=f"{work}/spool")
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pid = beam_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)
            p.wait(timeout=10)
        if not had_epmd:
            subprocess.run(["epmd", "-kill"], capture_output=True)

    # The listener can accept before the host's auth backend is up: `ejabberdctl started`
    # waits until the node reports ejabberd as started.
    if not wait_port(ADDR["ejabberd"], PORT, timeout=90) or subprocess.run(
            ctl + ["started"], capture_output=True, timeout=90, cwd=f"{work}/spool").returncode != 0:
        print("ejabberd did not start; see", f"{work}/logs")
        stop()
        return None
    # Four at a time. Each ejabberdctl call is a short-lived Erlang node named with 3 random hex
    # digits, so two concurrent calls can collide ("... seems to be in use by another Erlang
    # node"): such a call registered nothing and is run again.
    pending = [f"u{i}" for i in range(ACCOUNTS)]
    for attempt in range(5):
        failed = []
        for k in range(0, len(pending), 4):
            procs = [(u, subprocess.Popen(ctl + ["register", u, DOMAIN, PASSWORD], stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, cwd=f"{work}/spool")) for u in pending[k:k + 4]]
            for u, q in procs:
                out, err = q.communicate()
                msg = (err + out).decode().strip()
                if q.returncode == 0:
                    continue
                if "seems to be in use" not in msg:
                    print(f"ejabberdctl register {u} failed ({q.returncode}):", msg[:300])
                    stop()
                    return None
                failed.append(u)
        pending = failed
        if not pending:
            break
    if pending:
        print("ejabberdctl register failed (node name clashes):", " ".join(pending))
        stop()
        return None
    return p, beam_pid(), stop


# ---------------------------------------------------------------- main

def fmt(v, unit=""):
    return "-" if v is None else f"{v:.0f}{unit}" if v >= 100 else f"{v:.2f}{unit}"


def main():
    if os.geteuid() != 0:
        print("bench_xmpp.py: needs root (Prosody and ejabberd run as their own users); skipped")
        return 0
    if not os.access(BENCH, os.X_OK):
        print(f"bench_xmpp.py: {BENCH} missing (build the bench_xmpp target)")
        return 1
    ensure_packages()
    raise_nofile()
    results = {}
    starters = {"hearth": start_hearth, "prosody": start_prosody, "ejabberd": start_ejabberd}
    pki = tempfile.mkdtemp(prefix="bench-xmpp-pki-")
    ca, cert, key = make_cert(pki)
    for name in SERVERS:
        work = tempfile.mkdtemp(prefix=f"bench-xmpp-{name}-")
        try:
            started = starters[name](work, cert, key)
            if not started:
                continue
            proc, pid, stop = started
            try:
                print(f"{name}: pid {pid}, RSS {rss_kb(pid)} kB after start, open files limit {nofile(pid)}")
                results[name] = {}
                if not MUC_ONLY:
                    results[name]["r100"] = run_load(name, ca, pid, 100, MESSAGES_100, 0)
                    results[name]["r1000"] = run_load(name, ca, pid, 1000, MESSAGES_1000, IDLE)
                for size in MUC_SIZES:
                    # The same number of messages sent at every size (fan-out grows with the size).
                    results[name][f"muc{size}"] = run_muc(name, ca, size, max(1, MUC_MESSAGES * 100 // size))
                if SEAT and name in SEAT_SERVERS:
                    results[name]["seat"] = run_seat(name, ca, SEAT)
            finally:
                try:
                    stop()
                except subprocess.TimeoutExpired:
                    # A server still busy after its load (Prosody after 1 000 occupants) is
                    # killed, so the next one still runs.
                    print(f"{name}: did not stop in time, killed")
                    proc.kill()
                    proc.wait()
        finally:
            if os.environ.get("HEARTH_KEEP"):
                print(f"{name}: kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)

    rows = [("logins/s (100 clients)", "r100", "login", True), ("msg/s (100 clients)", "r100", "msgs", True),
            ("p50 ms (100 clients)", "r100", "p50", False), ("p99 ms (100 clients)", "r100", "p99", False),
            ("logins/s (1000 clients)", "r1000", "login", True), ("msg/s (1000 clients)", "r1000", "msgs", True),
            ("p50 ms (1000 clients)", "r1000", "p50", False), ("p99 ms (1000 clients)", "r1000", "p99", False),
            (f"logins/s ({IDLE} idle)", "r1000", "idle_login", True),
            ("kB RSS per idle conn", "r1000", "kb_per_conn", False)]
    if MUC_ONLY:
        rows = []
    for size in MUC_SIZES:
        rows += [(f"muc msg/s ({size} occupants)", f"muc{size}", "msgs", True),
                 (f"muc p50 ms ({size})", f"muc{size}", "p50", False),
                 (f"muc p99 ms ({size})", f"muc{size}", "p99", False)]
    if SEAT:
        rows += [(f"muc joins/s (seating {SEAT})", "seat", "joins", True),
                 (f"muc s to seat {SEAT}", "seat", "seconds", False)]
    names = [n for n in SERVERS if n in results]
    others = [n for n in names if n != "hearth"]
    print()
    print(f"{'':26}" + "".join(f"{n:>12}" for n in names) + "".join(f"{'hearth/' + o:>18}" for o in others))
    for label, run, key, higher in rows:
        vals = {n: results[n].get(run, {}).get(key) for n in names}
        line = f"{label:26}" + "".join(f"{fmt(vals[n]):>12}" for n in names)
        for o in others:
            h, v = vals.get("hearth"), vals[o]
            ratio = None
            if h and v:
                ratio = h / v if higher else v / h
            line += f"{('-' if ratio is None else f'{ratio:.2f}x'):>18}"
        print(line)
    print("(ratios: > 1 means hearth is better: faster, or lower latency/memory)")
    shutil.rmtree(pki, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

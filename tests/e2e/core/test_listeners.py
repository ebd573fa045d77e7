"""Every listener negotiates TLS with a real client (openssl s_client), SNI picks the right
certificate, SIGHUP reloads certificates, SIGTERM stops promptly, a bad config is refused.

While the protocols are placeholders, each session closes politely after TLS; the checks on
those closing words are the placeholders' contract and change when a protocol lands.
"""
import os
import re
import socket
import subprocess
import time
import tomllib

from hearth_test import Instance, check, finish, run

inst = Instance()
with open(inst.config, "rb") as f:
    conf = tomllib.load(f)
tls_dir = os.path.join(inst.dir, "data", "tls")
ca = os.path.join(tls_dir, "ca.crt")

# service -> (s_client -starttls value or None for implicit TLS, input sent after TLS, expected reply)
SERVICES = {
    "smtp": ("smtp", "EHLO client.test\nQUIT\n", "250-PIPELINING"),
    "submission": ("smtp", "EHLO client.test\nQUIT\n", "AUTH SCRAM-SHA-256"),
    "submissions": (None, "EHLO client.test\nQUIT\n", "AUTH SCRAM-SHA-256"),
    "imap": ("imap", "a1 CAPABILITY\na2 LOGOUT\n", "AUTH=PLAIN"),
    "imaps": (None, "a1 LOGOUT\n", "* OK [CAPABILITY IMAP4rev1"),
    "pop3": ("pop3", "CAPA\nQUIT\n", "SASL SCRAM"),
    "pop3s": (None, "QUIT\n", "+OK mail."),
    "managesieve": ("sieve", "CAPABILITY\nLOGOUT\n", "\"SASL\" \"SCRAM-SHA-256"),
    # "/" is the web console's page: a path nobody serves answers 404.
    "https": (None, "GET /no/such/path HTTP/1.1\nHost: x\nConnection: close\n\n", "HTTP/1.1 404"),
    # XMPP c2s: after TLS the stream offers SASL; the closing tag ends the session.
    "xmpp_client": ("xmpp", "XMPP_CLOSE", "<mechanism>SCRAM-SHA-256</mechanism>"),
    "xmpps_client": (None, "XMPP_CLOSE", "<mechanism>SCRAM-SHA-256</mechanism>"),
    # XMPP s2s: after TLS the stream offers dialback; the closing tag ends it.
    "xmpp_server": ("xmpp-server", "XMPP_CLOSE", "<dialback xmlns='urn:xmpp:features:dialback'/>"),
    "xmpps_server": (None, "XMPP_CLOSE", "<dialback xmlns='urn:xmpp:features:dialback'/>"),
}


def enabled_port(service):
    value = conf.get("listen", {}).get(service, 0)  # [listen] NAME = PORT, 0 = disabled
    return int(value) if isinstance(value, int) else 0


def stream_header(service):
    ns = "jabber:server" if "server" in service else "jabber:client"
    return (f"<stream:stream xmlns='{ns}' xmlns:stream='http://etherx.jabber.org/streams' "
            f"to='{inst.domain}' version='1.0'>\n")


def s_client(port, servername, cafile, starttls=None, data="", extra=()):
    args = ["openssl", "s_client", "-connect", f"{inst.addr}:{port}", "-servername", servername,
            "-CAfile", cafile, "-verify_hostname", servername, "-crlf", "-ign_eof", *extra]
    if starttls:
        args += ["-starttls", starttls]
        if starttls.startswith("xmpp"):
            args += ["-xmpphost", inst.domain]
    try:
        cp = subprocess.run(args, input=data, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired as e:
        return 124, (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
    return cp.returncode, cp.stdout + cp.stderr


def served_cert_pem(output):
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", output, re.S)
    return m.group(0) if m else ""


def file_first_pem(path):
    with open(path) as f:
        return served_cert_pem(f.read())


def wait_log(pattern, count, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(re.findall(pattern, inst.log())) >= count:
            return True
        time.sleep(0.05)
    return False


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)


# --- a bad config is refused with its line number (before anything listens) -----------------
with open(inst.config) as f:
    lines = f.read().split("\n")
idx = next(i for i, l in enumerate(lines) if l.strip() == "[server]")
bad_lines = lines[:idx + 1] + ["no_such_key = 1"] + lines[idx + 1:]
bad = os.path.join(inst.dir, "bad.toml")
with open(bad, "w") as f:
    f.write("\n".join(bad_lines))
cp = run(["--config", bad, "serve"], check_rc=False, timeout=10)
check(cp.returncode != 0, f"serve with an unknown key exits non-zero (got {cp.returncode})")
check(f"bad.toml:{idx + 2}:" in cp.stderr, f"the error names bad.toml line {idx + 2}: {cp.stderr.strip()!r}")

# --- every listener: TLS with the instance's CA, SNI and hostname verified -----------------
inst.start()
for service, (starttls, data, expect) in SERVICES.items():
    port = enabled_port(service)
    if not port:
        print(f"skip {service}: disabled in the config")
        continue
    if data is None:
        data = stream_header(service)
    elif data == "XMPP_CLOSE":
        data = stream_header(service) + "</stream:stream>\n"
    rc, out = s_client(port, inst.hostname, ca, starttls, data)
    check("Verify return code: 0 (ok)" in out, f"{service} port {port}: TLS verified")
    check(expect in out, f"{service}: answers {expect!r} after TLS")
    check(f"CN = {inst.hostname}" in out or f"CN={inst.hostname}" in out, f"{service}: certificate of {inst.hostname}")

# --- SNI: a second certificate added to the config, then SIGHUP ----------------------------
other = "other.example.test"
other_crt = os.path.join(inst.dir, "other.crt")
other_key = os.path.join(inst.dir, "other.key")
r = openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", f"/CN={other}", "-addext", f"subjectAltName=DNS:{other}", "-keyout", other_key, "-out", other_crt)
check(r.returncode == 0, "second self-signed certificate generated")
with open(inst.config, "a") as f:
    f.write(f'\n[[tls.certificate]]\nhosts = ["{other}"]\ncert = "{other_crt}"\nkey = "{other_key}"\n')
inst.proc.send_signal(1)  # SIGHUP
check(wait_log(r"reload tls=ok certificates=2", 1), "SIGHUP: reload tls=ok certificates=2 logged")
imaps = enabled_port("imaps")
rc, out = s_client(imaps, other, other_crt, None, "a1 LOGOUT\n")
check("Verify return code: 0 (ok)" in out and f"CN = {other}" in out, f"SNI {other} gets its own certificate")
rc, out = s_client(imaps, inst.hostname, ca, None, "a1 LOGOUT\n")
check("Verify return code: 0 (ok)" in out and f"CN = {inst.hostname}" in out, f"SNI {inst.hostname} still gets the default")

# --- SIGHUP after the first certificate is replaced (new serial) ----------------------------
cert_file, key_file = inst.cert_file(), inst.cert_file()[:-4] + ".key"
before = served_cert_pem(s_client(imaps, inst.hostname, ca, None, "a1 LOGOUT\n")[1])
new_key, new_csr, new_crt = (os.path.join(inst.dir, n) for n in ("new.key", "new.csr", "new.crt"))
r1 = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
             f"/CN={inst.hostname}", "-addext", f"subjectAltName=DNS:{inst.hostname},DNS:{inst.domain}",
             "-keyout", new_key, "-out", new_csr)
r2 = openssl("x509", "-req", "-in", new_csr, "-CA", ca, "-CAkey", os.path.join(tls_dir, "ca.key"),
             "-set_serial", "4242", "-days", "2", "-copy_extensions", "copy", "-out", new_crt)
if not check(r1.returncode == 0 and r2.returncode == 0, "replacement certificate signed by the dev CA"):
    print(r1.stderr, r2.stderr)
with open(new_crt) as f, open(ca) as g:
    chain = f.read() + g.read()
with open(new_key) as f:
    key = f.read()
with open(cert_file, "w") as f:
    f.write(chain)
with open(key_file, "w") as f:
    f.write(key)
inst.proc.send_signal(1)
check(wait_log(r"reload tls=ok certificates=2", 2), "second SIGHUP reloaded")
after_out = s_client(imaps, inst.hostname, ca, None, "a1 LOGOUT\n")[1]
after = served_cert_pem(after_out)
check("Verify return code: 0 (ok)" in after_out, "replaced certificate verifies")
check(after and after != before and after == file_first_pem(new_crt), "new connections get the replaced certificate")

# --- a broken certificate file: SIGHUP keeps the old set ------------------------------------
with open(other_key, "w") as f:
    f.write("garbage\n")
inst.proc.send_signal(1)
check(wait_log(r"reload tls=failed", 1), "SIGHUP with a broken key logs reload tls=failed")
rc, out = s_client(imaps, other, other_crt, None, "a1 LOGOUT\n")
check("Verify return code: 0 (ok)" in out, "after a failed reload the previous certificates still serve")

# --- SIGTERM with a client connected: exit 0 within 2 s -------------------------------------
held = socket.create_connection((inst.addr, enabled_port("imap") or inst.port("imap")), timeout=5)
greeting = held.recv(200)
check(greeting.startswith(b"* OK"), "an idle client is connected")
rc, took = inst.stop()
check(rc == 0, f"SIGTERM: exit code 0 (got {rc})")
check(took < 2.0, f"SIGTERM: stopped within 2 s ({took:.2f} s)")
held.close()
log = inst.log()
check("serve.start" in log and "serve.stop" in log, "serve.start and serve.stop logged")
check(re.search(r"listen service=smtp addr=\S+ tls=starttls", log) is not None, "listen lines logged")

finish()

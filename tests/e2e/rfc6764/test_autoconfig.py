"""Client autoconfiguration over real HTTPS with curl: the Thunderbird XML (both paths),
Autodiscover, the Apple profile (401 without credentials, 200 with the account's password),
the PACC JSON and the MTA-STS policy, with the instance's own (offset) ports, and 404 for a
domain the instance does not serve.
"""
import hashlib
import json
import os
import plistlib
import re
import subprocess
import tempfile
import tomllib
import xml.etree.ElementTree as ET

from hearth_test import Instance, check, finish

inst = Instance()
with open(inst.config, "rb") as f:
    conf = tomllib.load(f)
inst.start(wait_for="https")
HTTPS = inst.port("https")
NAMES = ["mail.example.test", "autoconfig.example.test", "mta-sts.example.test", "example.test"]
work = tempfile.mkdtemp(prefix="hearth-autoconfig-", dir=inst.dir)


def listen_port(service):
    value = conf.get("listen", {}).get(service, 0)
    return int(value) if isinstance(value, int) else 0


def curl(host, path, method="GET", data=None, user=None, host_header=None, content_type=None):
    """Returns (status, {lowercase header: value}, body bytes)."""
    body_file = os.path.join(work, "body")
    head_file = os.path.join(work, "head")
    args = ["curl", "-sS", "--max-time", "20", "--cacert", inst.ca_file(), "-X", method,
            "-o", body_file, "-D", head_file, "-w", "%{http_code}"]
    for n in NAMES:
        args += ["--resolve", f"{n}:{HTTPS}:{inst.addr}"]
    if data is not None:
        args += ["--data-binary", data]
    if content_type:
        args += ["-H", f"Content-Type: {content_type}"]
    if user:
        args += ["-u", user]
    if host_header:
        args += ["-H", f"Host: {host_header}"]
    args.append(f"https://{host}:{HTTPS}{path}")
    cp = subprocess.run(args, capture_output=True, text=True, timeout=30)
    if cp.returncode != 0:
        print(f"curl failed ({cp.returncode}): {cp.stderr.strip()}")
        return 0, {}, b""
    headers = {}
    with open(head_file, errors="replace") as f:
        for line in f.read().splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
    with open(body_file, "rb") as f:
        body = f.read()
    return int(cp.stdout.strip() or 0), headers, body


# ---- Thunderbird autoconfig ----
EXPECTED_TB = [  # (element, type, service, socketType) in the order the document lists them
    ("incomingServer", "imap", "imaps", "SSL"),
    ("incomingServer", "imap", "imap", "STARTTLS"),
    ("incomingServer", "pop3", "pop3s", "SSL"),
    ("outgoingServer", "smtp", "submissions", "SSL"),
    ("outgoingServer", "smtp", "submission", "STARTTLS"),
]
status, headers, body = curl("autoconfig.example.test", "/mail/config-v1.1.xml?emailaddress=demo%40example.test")
check(status == 200, f"thunderbird: 200 on autoconfig.example.test (got {status})")
check(headers.get("content-type", "").startswith("text/xml"), "thunderbird: Content-Type text/xml")
try:
    root = ET.fromstring(body)
except ET.ParseError as e:
    root = None
    check(False, f"thunderbird: XML parses ({e})")
if root is not None:
    check(root.tag == "clientConfig" and root.get("version") == "1.1", "thunderbird: clientConfig version 1.1")
    provider = root.find("emailProvider")
    check(provider is not None and provider.get("id") == "example.test", "thunderbird: emailProvider id")
    check(provider is not None and provider.findtext("domain") == "example.test", "thunderbird: <domain>")
    servers = [] if provider is None else [s for s in provider if s.tag in ("incomingServer", "outgoingServer")]
    expected = [e for e in EXPECTED_TB if listen_port(e[2])]
    check(len(servers) == len(expected), f"thunderbird: {len(expected)} servers listed (got {len(servers)})")
    for s, (tag, typ, svc, sock) in zip(servers, expected):
        what = f"thunderbird: {tag} {typ} {sock}"
        check(s.tag == tag and s.get("type") == typ, f"{what}: element and type")
        check(s.findtext("hostname") == inst.hostname, f"{what}: hostname {inst.hostname}")
        check(s.findtext("port") == str(listen_port(svc)), f"{what}: port {listen_port(svc)}")
        check(s.findtext("socketType") == sock, f"{what}: socketType")
        check(s.findtext("username") == "%EMAILADDRESS%", f"{what}: username %EMAILADDRESS%")
        check(s.findtext("authentication") == "password-cleartext", f"{what}: authentication password-cleartext")

status2, _, body2 = curl("example.test", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=demo%40example.test")
check(status2 == 200 and body2 == body, "thunderbird: the well-known path serves the same document")
status, _, _ = curl("autoconfig.example.test", "/mail/config-v1.1.xml?emailaddress=someone%40unknown.test")
check(status == 404, f"thunderbird: unknown domain is 404 (got {status})")

# ---- Autodiscover ----
REQ_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
RESP_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
request = (f'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{REQ_NS}"><Request>'
           f'<EMailAddress>demo@example.test</EMailAddress><AcceptableResponseSchema>{RESP_NS}'
           f'</AcceptableResponseSchema></Request></Autodiscover>')
status, headers, body = curl("example.test", "/autodiscover/autodiscover.xml", "POST", request, content_type="text/xml")
check(status == 200, f"autodiscover: 200 (got {status})")
try:
    ad = ET.fromstring(body)
    protocols = ad.findall(f"{{{RESP_NS}}}Response/{{{RESP_NS}}}Account/{{{RESP_NS}}}Protocol")
except ET.ParseError:
    protocols = []
by_type = {p.findtext(f"{{{RESP_NS}}}Type"): p for p in protocols}
for typ, svc in (("IMAP", "imaps"), ("SMTP", "submissions")):
    p = by_type.get(typ)
    check(p is not None, f"autodiscover: {typ} protocol present")
    if p is None:
        continue
    t = lambda name: p.findtext(f"{{{RESP_NS}}}{name}")
    check(t("Server") == inst.hostname and t("Port") == str(listen_port(svc)),
          f"autodiscover: {typ} {inst.hostname}:{listen_port(svc)}")
    check(t("LoginName") == "demo@example.test" and t("SSL") == "on" and t("SPA") == "off" and t("AuthRequired") == "on",
          f"autodiscover: {typ} LoginName, SSL on, SPA off, AuthRequired on")
status, _, _ = curl("example.test", "/autodiscover/autodiscover.xml", "POST", request.replace("example.test", "unknown.test"))
check(status == 404, f"autodiscover: unknown domain is 404 (got {status})")
status, _, body = curl("example.test", "/autodiscover/autodiscover.xml", "POST", "<not xml")
check(status == 400 and b"<ErrorCode>600</ErrorCode>" in body, f"autodiscover: malformed request is 400 with error 600 (got {status})")

# ---- Apple configuration profile ----
PROFILE = "/hearth/apple.mobileconfig"
status, headers, _ = curl("mail.example.test", PROFILE)
check(status == 401, f"mobileconfig: 401 without credentials (got {status})")
check(headers.get("www-authenticate", "").startswith('Basic realm="Hearth"'), "mobileconfig: WWW-Authenticate Basic")
status, _, _ = curl("mail.example.test", PROFILE, user="demo@example.test:wrong-password")
check(status == 401, f"mobileconfig: 401 with a wrong password (got {status})")
status, headers, body = curl("mail.example.test", PROFILE, user=f"demo@example.test:{inst.password}")
check(status == 200, f"mobileconfig: 200 with the account's password (got {status})")
check(headers.get("content-type") == "application/x-apple-aspen-config", "mobileconfig: Content-Type")
check(inst.password is not None and inst.password.encode() not in body, "mobileconfig: the password is not inside")
try:
    plist = plistlib.loads(body)
except Exception as e:  # plistlib raises several types on bad input
    plist = {}
    check(False, f"mobileconfig: plist parses ({e})")
check(plist.get("PayloadType") == "Configuration", "mobileconfig: PayloadType Configuration")
payloads = {p.get("PayloadType"): p for p in plist.get("PayloadContent", [])}
mail = payloads.get("com.apple.mail.managed", {})
check(mail.get("IncomingMailServerHostName") == inst.hostname and
      mail.get("IncomingMailServerPortNumber") == listen_port("imaps") and mail.get("IncomingMailServerUseSSL") is True,
      "mobileconfig: IMAP host, port, SSL")
check(mail.get("OutgoingMailServerPortNumber") == listen_port("submissions") and
      mail.get("OutgoingMailServerUsername") == "demo@example.test", "mobileconfig: SMTP port and user name")
for kind, key in (("caldav", "CalDAV"), ("carddav", "CardDAV")):
    p = payloads.get(f"com.apple.{kind}.account", {})
    check(p.get(f"{key}HostName") == inst.hostname and p.get(f"{key}Port") == HTTPS and p.get(f"{key}UseSSL") is True
          and p.get(f"{key}PrincipalURL") == f"/.well-known/{kind}" and p.get(f"{key}Username") == "demo@example.test",
          f"mobileconfig: {key} account")
status, _, body_again = curl("mail.example.test", PROFILE, user=f"demo@example.test:{inst.password}")
check(status == 200 and body_again == body, "mobileconfig: the same profile again (deterministic UUIDs)")

# ---- PACC (ua-auto-config.DOMAIN is not in the dev certificate: asked on the bare domain) ----
status, headers, body = curl("example.test", "/.well-known/user-agent-configuration.json")
check(status == 200 and headers.get("content-type") == "application/json", f"pacc: 200 application/json (got {status})")
try:
    pacc = json.loads(body)
except ValueError:
    pacc = {}
    check(False, "pacc: JSON parses")
protocols = pacc.get("protocols", {})
check(protocols.get("caldav", {}).get("url") == f"https://{inst.hostname}:{HTTPS}/.well-known/caldav",
      "pacc: caldav url with the https port")
check(protocols.get("carddav", {}).get("url") == f"https://{inst.hostname}:{HTTPS}/.well-known/carddav",
      "pacc: carddav url with the https port")
# The draft has no port member: with offset ports the mail services cannot be described.
check("imap" not in protocols and "submit" not in protocols, "pacc: no imap/submit off their standard ports")
check(pacc.get("authentication", {}).get("password") is True, "pacc: password authentication")
status, _, _ = curl("mail.example.test", "/.well-known/user-agent-configuration.json", host_header="ua-auto-config.unknown.test")
check(status == 404, f"pacc: unknown domain is 404 (got {status})")

# ---- MTA-STS ----
status, headers, body = curl("mta-sts.example.test", "/.well-known/mta-sts.txt")
check(status == 200 and headers.get("content-type", "").startswith("text/plain"), f"mta-sts: 200 text/plain (got {status})")
lines = body.decode(errors="replace").split("\r\n")
check(lines[:2] == ["version: STSv1", "mode: testing"] and f"mx: {inst.hostname}" in lines and
      any(l.startswith("max_age: ") for l in lines), "mta-sts: policy lines (RFC 8461 §3.2)")
zone = subprocess.run([os.environ.get("HEARTH_BIN", "build/hearth"), "--config", inst.config, "dns", "zone", "example.test"],
                      capture_output=True, text=True, timeout=60)
ids = re.findall(r"v=STSv1;\s*id=([A-Za-z0-9]+)", zone.stdout)
check(hashlib.sha256(body).hexdigest()[:20] in ids,
      f"mta-sts: the zone's _mta-sts id is the digest of the served policy (zone ids {ids})")
status, _, _ = curl("mail.example.test", "/.well-known/mta-sts.txt")
check(status == 404, f"mta-sts: not served on other hosts (got {status})")
status, _, _ = curl("mail.example.test", "/.well-known/mta-sts.txt", host_header="mta-sts.unknown.test")
check(status == 404, f"mta-sts: unknown domain is 404 (got {status})")

rc, _ = inst.stop()
check(rc == 0, f"serve stopped cleanly (rc {rc})")
finish()

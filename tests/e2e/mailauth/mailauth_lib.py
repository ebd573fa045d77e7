"""Shared set-up for the mail authentication e2e tests.

knotd on NET.1:5353 serves the zones; hearth instances use it as their only DNS server.
A (alice@a.test) on NET.2 and, when asked, B (bob@b.test) on NET.3, with the same port offset,
so A's smtp.outbound.port is B's MX port. A's zone publishes A's real DKIM keys (read with
`hearth dkim list`), an SPF record naming the address A sends from, and DMARC.
Independent tools check hearth's work: python3-dkim, python3-spf, python3-authres.
"""
import os
import re
import smtplib
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mail"))

import dns.resolver  # noqa: E402  (dnspython, a dependency of python3-dkim/python3-spf)
from hearth_test import NET, Instance, check, set_key  # noqa: E402,F401
from knot import Knot  # noqa: E402
from queue_lib import find, inbox, wait_for  # noqa: E402,F401

DNS_PORT = 5353
DNS_ADDR = f"{NET}.1"


def dkim_records(inst, domain):
    """{selector: TXT value} of the instance's keys, from `hearth dkim list DOMAIN`."""
    out = {}
    cp = inst.cli(["dkim", "list", domain])
    for m in re.finditer(r'^\s+(\S+)\._domainkey\.\S+ IN TXT (.*)$', cp.stdout, re.M):
        out[m.group(1)] = "".join(re.findall(r'"([^"]*)"', m.group(2)))
    return out


def txt_rdata(value):
    """A TXT value as zone-file character-strings of at most 255 octets."""
    return " ".join(f'"{value[i:i + 250]}"' for i in range(0, len(value), 250))


def configure(inst, outbound_port=None):
    set_key(inst.config, "dns", "servers", f'["{DNS_ADDR}:{DNS_PORT}"]')
    if outbound_port:
        set_key(inst.config, "smtp.outbound", "port", str(outbound_port))
    inst.cli(["config", "check"])


def use_knot_for_python():
    """dnspython (used by python3-spf and our dkim dnsfunc) asks knot."""
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [DNS_ADDR]
    r.port = DNS_PORT
    r.lifetime = 5
    dns.resolver.default_resolver = r
    return r


def knot_txt(name):
    """The TXT value at name as knot serves it (bytes, strings joined), or None."""
    try:
        ans = dns.resolver.resolve(name, "TXT")
    except Exception:
        return None
    return b"".join(b"".join(r.strings) for r in ans)


def dkim_dnsfunc(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    return knot_txt(n.rstrip(".")) or b""


def submit(inst, to, message, sender=None):
    """message (bytes) through inst's submission port with STARTTLS + AUTH."""
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    with smtplib.SMTP(inst.addr, inst.port("submission"), timeout=30) as s:
        s.ehlo("client.test")
        s.starttls(context=ctx)
        s.ehlo("client.test")
        s.login(inst.email, inst.password)
        return s.sendmail(sender or inst.email, [to], message)


def mx_send(inst, sender, to, message, source, helo="client.test"):
    """Sends to inst's MX port from the address `source`. Returns (code, text) of the DATA
    reply, or of the first refusal."""
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30, local_hostname=helo,
                      source_address=(source, 0)) as s:
        s.ehlo(helo)
        code, text = s.mail(sender)
        if code != 250:
            return code, text
        code, text = s.rcpt(to)
        if code != 250:
            return code, text
        return s.data(message)


def results_of(msg):
    """Our Authentication-Results fields of a stored message, parsed with python3-authres."""
    import authres
    out = []
    head = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    for m in re.finditer(r"^Authentication-Results:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.M | re.I):
        out.append(authres.AuthenticationResultsHeader.parse("Authentication-Results:" + m.group(1).replace("\r\n", "")))
    return out


def result_map(ar):
    """{method: [result, ...]} of one parsed header."""
    out = {}
    for r in ar.results:
        out.setdefault(r.method, []).append(r.result)
    return out


def dkimverify_cli(message, index=None):
    """Runs Debian's /usr/bin/dkimverify (python3-dkim) on message, with dnspython pointed at
    knot (the script itself is unchanged: it asks the default resolver). True when it prints
    "signature ok". `index` verifies the signature at that position (dkimverify --index)."""
    import subprocess
    boot = ("import sys, runpy, dns.resolver\n"
            "r = dns.resolver.Resolver(configure=False)\n"
            f"r.nameservers = ['{DNS_ADDR}']\nr.port = {DNS_PORT}\n"
            "dns.resolver.default_resolver = r\n"
            "sys.argv = ['dkimverify'] + sys.argv[1:]\n"
            "runpy.run_path('/usr/bin/dkimverify', run_name='__main__')\n")
    args = ["/usr/bin/python3", "-c", boot] + (["--index", str(index)] if index is not None else [])
    cp = subprocess.run(args, input=message, capture_output=True, timeout=30)
    return b"signature ok" in cp.stdout, (cp.stdout + cp.stderr).decode(errors="replace").strip()


def dkimsign_cli(message, selector, domain, keyfile, signalg="rsa-sha256", canon="relaxed"):
    """Debian's /usr/bin/dkimsign: returns the signed message."""
    import subprocess
    cp = subprocess.run(["/usr/bin/dkimsign", "--signalg", signalg, "--hcanon", canon, "--bcanon", canon,
                         selector, domain, keyfile], input=message, capture_output=True, timeout=30, check=True)
    return cp.stdout

"""Helpers shared by the backup, import and export tests: a second `hearth serve` on a data
directory that was not made by quickstart (a restore, an import target), and IMAP read-outs."""
import email
import hashlib
import imaplib
import os
import re
import shutil
import socket
import ssl

from hearth_test import Instance, NET


def instance_on(config_text, root, host):
    """An Instance serving `root`/hearth.toml (written from config_text, moved to 127.0.NET.host)."""
    inst = Instance.__new__(Instance)
    inst.addr = f"{NET}.{host}"
    m = re.search(r'^smtp = (\d+)$', config_text, re.M)
    inst.offset = int(m.group(1)) - 25
    inst.email = "demo@example.test"
    inst.domain = "example.test"
    inst.hostname = "mail.example.test"
    inst.dir = root
    inst.config = os.path.join(root, "hearth.toml")
    text = re.sub(r'^addresses = \[.*\]$', f'addresses = ["{inst.addr}"]', config_text, flags=re.M)
    with open(inst.config, "w") as f:
        f.write(text)
    inst.password = None
    inst.proc = None
    inst.log_path = os.path.join(root, "serve.log")
    return inst


class _IMAP(imaplib.IMAP4_SSL):
    """IMAPS to an address, checking the certificate against the server's host name (a restored
    instance serves the certificate made for another address)."""

    def __init__(self, addr, port, sni, ctx):
        self._sni = sni
        super().__init__(addr, port, ssl_context=ctx, timeout=30)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self._sni)


def imap_login(inst, password, user="demo@example.test", ca=None):
    ctx = ssl.create_default_context(cafile=ca or inst.ca_file())
    imap = _IMAP(inst.addr, inst.port("imaps"), inst.hostname, ctx)
    imap.login(user, password)
    return imap


def mutf7_encode(name):
    """RFC 3501 §5.1.3 modified UTF-7."""
    import base64
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + b + "-")
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(name):
    import base64

    def dec(m):
        s = m.group(1)
        if not s:
            return "&"
        s = s.replace(",", "/")
        s += "=" * (-len(s) % 4)
        return base64.b64decode(s).decode("utf-16-be")
    return re.sub(r"&([^-]*)-", dec, name)


def mailbox_names(imap):
    typ, data = imap.list()
    names = []
    for line in data or []:
        if not line:
            continue
        m = re.match(rb'\((.*?)\) (NIL|"[^"]*") (.*)$', line)
        if not m:
            continue
        name = m.group(3)
        if name.startswith(b'"'):
            name = name[1:-1].replace(b'\\"', b'"').replace(b'\\\\', b'\\')
        names.append(mutf7_decode(name.decode()))
    return names


def read_mailbox(imap, name):
    """[(message_id, sha256 of body, set of flags, internal date text)] in UID order."""
    typ, _ = imap.select('"' + mutf7_encode(name).replace('\\', '\\\\').replace('"', '\\"') + '"', readonly=True)
    if typ != "OK":
        return None
    typ, data = imap.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
    out = []
    if typ != "OK":
        return out
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta, body = item
        # \Recent is this IMAP4rev1 session's view (RFC 3501 §2.3.2), not a stored flag.
        flags = set(re.search(rb'FLAGS \(([^)]*)\)', meta).group(1).decode().split()) - {"\\Recent"}
        date = re.search(rb'INTERNALDATE "([^"]*)"', meta).group(1).decode()
        msg = email.message_from_bytes(body)
        out.append((msg.get("Message-ID", ""), hashlib.sha256(body).hexdigest(), flags, date))
    return out


def dav_client(inst, password, user="demo@example.test", ca=None):
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dav"))
    import davlib
    return davlib.Client(inst.addr, inst.port("https"), inst.hostname, ca or inst.ca_file(), user, password)


def dav_objects(client, path):
    """{UID: what identifies the object's content} of a collection: the VEVENT/VTODO blocks and
    the TZIDs of its time zones for calendars, the card without PRODID/REV for vCards."""
    r = client.propfind(path, ["<d:getetag/>"], depth="1")
    out = {}
    if r.status != 207:
        return None
    for href in r.responses():
        if href.rstrip("/") == path.rstrip("/"):
            continue
        g = client.request("GET", href)
        if g.status != 200:
            continue
        text = g.text.replace("\r\n", "\n")
        m = re.search(r"^UID:(.*)$", text, re.M)
        if "BEGIN:VCALENDAR" in text:
            blocks = re.findall(r"^BEGIN:(VEVENT|VTODO)$.*?^END:\1$", text, re.M | re.S)
            comps = re.findall(r"^BEGIN:(?:VEVENT|VTODO)$.*?^END:(?:VEVENT|VTODO)$", text, re.M | re.S)
            tzids = sorted(set(re.findall(r"^BEGIN:VTIMEZONE$\s*^TZID:(.*)$", text, re.M)))
            key = "\n".join(comps) + "\nTZ:" + ",".join(tzids)
        else:
            key = "\n".join(l for l in text.split("\n") if not re.match(r"(REV|PRODID):", l))
        out[m.group(1).strip() if m else href] = key
    return out

"""HTTP File Upload (XEP-0363) with slixmpp's xep_0363 plugin against one hearth: the service
found through disco on upload.DOMAIN with its size limit, a slot requested and the file PUT
to it over HTTPS, the link sent to another account that GETs it back (whole, by ranges, HEAD),
refusals (a file over the per-file limit, a PUT larger than its slot, a used slot, a forged
token, a wrong Content-Type, the per-user quota, an expired slot), the file counted in a
backup, and `hearth dns zone` naming upload.DOMAIN."""
import asyncio
import atexit
import hashlib
import http.client
import os
import shutil
import socket
import ssl
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import check, finish  # noqa: E402
from xmpp_util import instance_with_users, login, run, set_key  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

UPLOAD = "urn:xmpp:http:upload:0"
SLOT_SECONDS = 6
MIB = 1 << 20


def configure(i):
    set_key(i.config, "xmpp", "upload_max_file_mb", "2")
    set_key(i.config, "xmpp", "upload_quota_mb", "3")
    set_key(i.config, "xmpp", "upload_slot_seconds", str(SLOT_SECONDS))


inst, users = instance_with_users("bob", configure=configure)
ALICE, BOB = users["demo"], users["bob"]
SERVICE = "upload." + inst.domain
PLUGINS = ("xep_0030", "xep_0128", "xep_0363", "xep_0066")


class _Conn(http.client.HTTPSConnection):
    """HTTPS to the instance's address, presenting the URL's host name (SNI, Host and the
    certificate check): the test has no DNS for upload.DOMAIN."""

    def __init__(self, host, port):
        super().__init__(host, port, context=ssl.create_default_context(cafile=inst.ca_file()), timeout=30)

    def connect(self):
        sock = socket.create_connection((inst.addr, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def https(method, url, body=None, headers=None):
    """(status, headers dict with lowercase names, body bytes)."""
    u = urllib.parse.urlsplit(url)
    conn = _Conn(u.hostname, u.port or 443)
    try:
        conn.request(method, u.path + (("?" + u.query) if u.query else ""), body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


async def slot(c, name, size, ctype):
    """(put url, put headers, get url), or the error condition and the IqError."""
    try:
        iq = await c.plugin["xep_0363"].request_slot(SERVICE, name, size, ctype, timeout=10)
    except IqError as e:
        return None, e
    s = iq["http_upload_slot"]
    return (s["put"]["url"], {h["name"]: h["value"] for h in s["put"]["headers"]}, s["get"]["url"]), None


async def scenario():
    alice = await login(inst, *ALICE, resource="pc", plugins=PLUGINS)
    bob = await login(inst, *BOB, resource="phone", plugins=PLUGINS)

    # Discovery as XEP-0363 §3 describes it (slixmpp 1.8's find_upload_service does not run
    # under Python 3.11): the server's items, then the item with identity store/file.
    items = await alice.plugin["xep_0030"].get_items(jid=inst.domain, timeout=10)
    jids = [i[0] for i in items["disco_items"]["items"]]
    check(SERVICE in jids, f"the server's disco items list {SERVICE} ({jids})")
    info = await alice.plugin["xep_0030"].get_info(jid=SERVICE, timeout=10)
    check(("store", "file") in [(i[0], i[1]) for i in info["disco_info"]["identities"]] and
          UPLOAD in info["disco_info"]["features"], "it is a store/file service with urn:xmpp:http:upload:0")
    max_size = None
    for form in info["disco_info"].iterables:
        if form["values"].get("FORM_TYPE") == [UPLOAD]:
            max_size = form["values"].get("max-file-size")
    check(str(max_size) == str(2 * MIB), f"the service announces max-file-size 2 MiB ({max_size})")

    # A 1 MiB file: slot, PUT, link to bob, bob GETs it back.
    photo = os.urandom(MIB)
    s, err = await slot(alice, "très photo.jpg", len(photo), "image/jpeg")
    check(s is not None, f"a slot for 1 MiB ({err})")
    if s is None:
        return
    put_url, put_headers, get_url = s
    check(urllib.parse.urlsplit(put_url).hostname == SERVICE, f"the URL is on {SERVICE}: {put_url}")
    check("Authorization" in put_headers, "the slot carries the PUT's Authorization header")
    status, _, _ = https("PUT", put_url, photo, {**put_headers, "Content-Type": "image/jpeg"})
    check(status == 201, f"PUT answers 201 ({status})")
    alice.send_message(mto=BOB[0], mbody=get_url, mtype="chat")
    check(await bob.wait_until(lambda: any(m["body"] == get_url for m in bob.messages)), "bob receives the link")
    status, h, data = https("GET", get_url)
    check(status == 200 and data == photo, f"bob GETs the same bytes ({status}, {len(data)} octets)")
    check(h.get("content-type") == "image/jpeg", f"with the slot's Content-Type ({h.get('content-type')})")
    check(h.get("x-content-type-options") == "nosniff", "and nosniff")
    status, h, data = https("HEAD", get_url)
    check(status == 200 and h.get("content-length") == str(MIB) and data == b"", "HEAD gives the length, no body")
    status, h, data = https("GET", get_url, headers={"Range": "bytes=1000-1999"})
    check(status == 206 and data == photo[1000:2000], f"a range GET gives 206 and those octets ({status}, {len(data)})")
    check(h.get("content-range") == f"bytes 1000-1999/{MIB}", f"with Content-Range ({h.get('content-range')})")
    status, _, data = https("GET", get_url, headers={"Range": "bytes=-100"})
    check(status == 206 and data == photo[-100:], "a suffix range gives the last octets")
    status, h, _ = https("GET", get_url, headers={"Range": f"bytes={MIB}-"})
    check(status == 416 and h.get("content-range") == f"bytes */{MIB}", f"a range past the end is 416 ({status})")
    status, _, _ = https("GET", get_url.rsplit("/", 1)[0] + "/other.jpg")
    check(status == 404, f"the id with another name is 404 ({status})")

    # The same slot again, a forged token, a wrong type, a body larger than the slot.
    status, _, _ = https("PUT", put_url, photo, {**put_headers, "Content-Type": "image/jpeg"})
    check(status == 409, f"a used slot is refused with 409 ({status})")
    s2, _ = await slot(alice, "note.txt", 1000, "text/plain")
    forged = dict(s2[1])
    forged["Authorization"] = forged["Authorization"][:-4] + ("0000" if not forged["Authorization"].endswith("0000") else "1111")
    status, _, _ = https("PUT", s2[0], b"x" * 1000, {**forged, "Content-Type": "text/plain"})
    check(status == 403, f"a forged token is refused with 403 ({status})")
    status, _, _ = https("PUT", s2[0], b"x" * 1000, {**s2[1], "Content-Type": "image/png"})
    check(status == 400, f"another Content-Type than the slot's is refused with 400 ({status})")
    status, _, _ = https("PUT", s2[0], b"x" * 2000, {**s2[1], "Content-Type": "text/plain"})
    check(status == 413, f"a PUT larger than its slot is refused with 413 ({status})")
    status, _, _ = https("PUT", s2[0], b"x" * 1000, {**s2[1], "Content-Type": "text/plain"})
    check(status == 201, f"the right PUT to that slot still works ({status})")

    # Over the per-file limit: no slot, the limit in the error.
    s3, err = await slot(alice, "big.bin", 3 * MIB, "application/octet-stream")
    cond = err.iq["error"]["condition"] if err else None
    limit = err.iq.xml.find(f".//{{{UPLOAD}}}file-too-large/{{{UPLOAD}}}max-file-size") if err else None
    check(s3 is None and cond == "not-acceptable", f"a 3 MiB file gets no slot: not-acceptable ({cond})")
    check(limit is not None and limit.text == str(2 * MIB), "the error carries file-too-large with max-file-size")

    # The quota: 1 MiB + 1000 octets stored; 1.5 MiB more fits in 3 MiB, then 1 MiB does not.
    half = os.urandom(MIB + MIB // 2)
    s4, err = await slot(alice, "half.bin", len(half), "application/octet-stream")
    check(s4 is not None, f"a slot for 1.5 MiB within the quota ({err})")
    if s4:
        status, _, _ = https("PUT", s4[0], half, {**s4[1], "Content-Type": "application/octet-stream"})
        check(status == 201, f"its PUT answers 201 ({status})")
    s5, err = await slot(alice, "more.bin", MIB, "application/octet-stream")
    cond = err.iq["error"]["condition"] if err else None
    check(s5 is None and cond == "resource-constraint", f"over the quota: resource-constraint ({cond})")
    s6, err = await slot(bob, "bob.bin", MIB, "application/octet-stream")
    check(s6 is not None, "bob's quota is his own")

    # An expired slot.
    s7, _ = await slot(bob, "late.txt", 10, "text/plain")
    await asyncio.sleep(SLOT_SECONDS + 1)
    status, _, body = https("PUT", s7[0], b"y" * 10, {**s7[1], "Content-Type": "text/plain"})
    check(status == 403 and b"expired" in body, f"a PUT after the slot expired is refused with 403 ({status} {body!r})")

    # The uploaded file is in a backup snapshot (its blob is named from the database).
    dest = tempfile.mkdtemp(prefix="hearth-upload-backup-")
    atexit.register(shutil.rmtree, dest, True)
    inst.cli(["backup", dest])
    blob = hashlib.sha256(photo).hexdigest()
    check(os.path.exists(os.path.join(dest, "blobs", blob[:2], blob[2:])), "the backup holds the uploaded file's blob")
    for c in (alice, bob):
        c.disconnect()


run(scenario())
zone = inst.cli(["dns", "zone", inst.domain]).stdout
check(any(line.split()[:1] == [f"upload.{inst.domain}."] or line.startswith("upload ") for line in zone.splitlines()
          if "CNAME" in line), "hearth dns zone points upload.DOMAIN at the server")
finish()

"""curl against a started hearth Instance, for the DAV e2e tests that compare exact bodies."""
import hashlib
import os
import subprocess

from hearth_test import check

XML = ["Content-Type: application/xml; charset=utf-8"]
TC = ["Content-Type: text/calendar; charset=utf-8"]
TV = ["Content-Type: text/vcard; charset=utf-8"]
DECL = '<?xml version="1.0" encoding="utf-8"?>\n'
NSDECL = ('xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav"'
          ' xmlns:cs="http://calendarserver.org/ns/" xmlns:ical="http://apple.com/ns/ical/"')
ROOT = f"<d:multistatus {NSDECL}>"
ERR = f"<d:error {NSDECL}>"
OK = "<d:status>HTTP/1.1 200 OK</d:status>"
NF = "<d:status>HTTP/1.1 404 Not Found</d:status>"


def etag(data):
    """The server's strong ETag of a body, as it appears in XML (quotes escaped)."""
    return "&quot;" + hashlib.sha256(data.encode()).hexdigest()[:32] + "&quot;"


def esc(text):
    """As the server escapes text (CR as a character reference, so that it survives XML parsing)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\r", "&#13;"))


def exact(got, want, what):
    if got != want:
        print(f"--- got:\n{got}\n--- want:\n{want}")
    return check(got == want, what)


class Curl:
    def __init__(self, inst, user):
        self.inst, self.user = inst, user
        self.base = f"https://{inst.hostname}:{inst.port('https')}"
        self.resolve = f"{inst.hostname}:{inst.port('https')}:{inst.addr}"
        self.w = inst.dir

    def __call__(self, method, path, body=None, headers=(), user=None, password=None, extra=()):
        user = user or self.user
        password = password or self.inst.password
        w = self.w
        args = ["curl", "-sS", "--max-time", "60", "--resolve", self.resolve, "--cacert", self.inst.ca_file(), "-u",
                f"{user}:{password}", "-X", method, "-o", f"{w}/out", "-D", f"{w}/hdr", "-w", "%{http_code}", *extra]
        for h in headers:
            args += ["-H", h]
        if body is not None:
            with open(f"{w}/body", "wb") as f:
                f.write(body.encode() if isinstance(body, str) else body)
            args += ["--data-binary", f"@{w}/body"]
        cp = subprocess.run(args + [self.base + path], capture_output=True, text=True, timeout=90)
        code = int(cp.stdout.strip() or 0)
        out = open(f"{w}/out", "rb").read().decode("utf-8", "replace") if os.path.exists(f"{w}/out") else ""
        hdr = open(f"{w}/hdr").read() if os.path.exists(f"{w}/hdr") else ""
        for p in (f"{w}/out", f"{w}/hdr"):
            if os.path.exists(p):
                os.remove(p)
        return code, out, hdr

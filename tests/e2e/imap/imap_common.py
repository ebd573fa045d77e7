"""Helpers shared by the IMAP/POP3 end-to-end tests: a started instance and imaplib clients
that verify the dev certificate by the instance's host name while connecting by address."""
import atexit
import imaplib
import os
import select
import smtplib
import socket
import ssl
import sys
import time

import hearth_test
from hearth_test import Instance, SOURCE_DIR

_crashed = []


def _excepthook(*args):
    _crashed.append(True)
    sys.__excepthook__(*args)


def start(offset=20000, prepare=None):
    """A started instance; prepare(inst), when given, runs before the server starts (config
    keys, imports)."""
    inst = Instance(offset=offset)
    if prepare:
        prepare(inst)
    inst.start(wait_for="imaps")
    sys.excepthook = _excepthook

    def show_log():  # runs before the harness removes the folder
        if _crashed or hearth_test._failures:
            print(f"---- server exit status {inst.proc.poll()}; log (tail) ----\n" + inst.log()[-4000:])
    atexit.register(show_log)
    return inst


def tls_context(inst):
    return ssl.create_default_context(cafile=inst.ca_file())


class IMAP_TLS(imaplib.IMAP4_SSL):
    """Implicit TLS (993), certificate checked against the instance's host name."""

    def __init__(self, inst):
        self._name = inst.hostname
        super().__init__(inst.addr, inst.port("imaps"), ssl_context=tls_context(inst), timeout=20)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self._name)


class IMAP_STARTTLS(imaplib.IMAP4):
    """Port 143; starttls() verifies against the instance's host name."""

    def __init__(self, inst):
        self._name = inst.hostname
        self._ctx = tls_context(inst)
        super().__init__(inst.addr, inst.port("imap"), timeout=20)

    def starttls(self, ssl_context=None):
        real = self.host
        self.host = self._name
        try:
            return super().starttls(ssl_context=self._ctx)
        finally:
            self.host = real


def login(inst, starttls=False):
    if starttls:
        m = IMAP_STARTTLS(inst)
        m.starttls()
    else:
        m = IMAP_TLS(inst)
    m.login(inst.email, inst.password)
    return m


def write_mbox(path, messages):
    """An mbox file at path for `hearth import mbox`: one short message per (subject, id) of
    messages, from sender@example.org to demo@example.test, Message-ID <id@example.org>."""
    with open(path, "wb") as f:
        for subject, ident in messages:
            f.write(b"From sender@example.org Sat Dec  5 10:00:00 2026\n"
                    b"From: Sender <sender@example.org>\nTo: demo@example.test\n"
                    + f"Subject: {subject}\nMessage-ID: <{ident}@example.org>\n".encode()
                    + b"Date: Sat, 5 Dec 2026 10:00:00 +0000\n\nBody line\n\n")
    return path


def corpus(name):
    with open(os.path.join(SOURCE_DIR, "tests", "data", "mime", name), "rb") as f:
        return f.read()


def raw(m, line):
    """Sends one raw command line (no literals); returns the full response lines as bytes."""
    tag = m._new_tag()
    m.send(tag + b" " + line.encode() + b"\r\n")
    out = []
    while True:
        l = m._get_line()
        while l.endswith(b"}") and b"{" in l:  # a literal: its bytes, then the rest of the line
            n = int(l[l.rindex(b"{") + 1:-1].rstrip(b"+"))
            l = l + b"\r\n" + m.read(n) + m._get_line()
        out.append(l)
        if l.startswith(tag + b" "):
            return out


class Raw:
    """A raw IMAP session over implicit TLS, for bytes imaplib cannot send (literal8, UTF8
    APPEND, non-synchronizing literals): send() bytes, then until(tag) collects the answer."""

    def __init__(self, inst, login=True):
        s = socket.create_connection((inst.addr, inst.port("imaps")), timeout=20)
        self.sock = tls_context(inst).wrap_socket(s, server_hostname=inst.hostname)
        self.f = self.sock.makefile("rb")
        self.greeting = self.f.readline()
        if login:
            out = self.cmd(b"l0 LOGIN " + quote(inst.email) + b" " + quote(inst.password))
            if not out[-1].startswith(b"l0 OK"):
                raise RuntimeError(f"raw LOGIN failed: {out!r}")

    def send(self, data):
        self.sock.sendall(data)

    def until(self, tag, cont=False):
        """Lines (CRLF stripped, literals inlined) up to the tagged answer; with cont, also
        stops at a continuation request "+ ...". Stops at EOF or BYE."""
        out = []
        while True:
            l = self.f.readline()
            if not l:
                return out
            l = l.rstrip(b"\r\n")
            while l.endswith(b"}") and b"{" in l:
                n = int(l[l.rindex(b"{") + 1:-1].rstrip(b"+"))
                l = l + b"\r\n" + self.f.read(n) + self.f.readline().rstrip(b"\r\n")
            out.append(l)
            if l.startswith(tag + b" ") or l.startswith(b"* BYE") or (cont and l.startswith(b"+")):
                return out

    def cmd(self, line):
        """One command line without literals; `line` starts with its tag."""
        self.send(line + b"\r\n")
        return self.until(line.split(b" ", 1)[0])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def quote(s):
    b = s.encode() if isinstance(s, str) else s
    return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


# Helpers for tests that watch what a session hears unasked (IDLE, NOTIFY, CONTEXT=SEARCH).

def unbuffered(m):
    """Reads the session's lines straight from the TLS socket, so that select() on it sees every
    byte not yet read (imaplib's buffered file would hold lines select cannot see). Only the
    helpers here read after this; imaplib's own literal reads are not used."""
    m.file = m.sock.makefile("rb", buffering=0)
    return m


def raw_text(m, line, with_tag=False):
    """Sends one command (no literals); returns (untagged lines, tagged line) as text, with the
    command's tag first when with_tag (ESEARCH answers name it)."""
    tag = m._new_tag()
    m.send(tag + b" " + line.encode() + b"\r\n")
    untagged = []
    tagged = ""
    while True:
        got = m.readline()
        if not got:
            break
        text = got.decode(errors="replace").rstrip("\r\n")
        if got.startswith(tag + b" "):
            tagged = text[len(tag) + 1:]
            break
        untagged.append(text)
    return (tag.decode(), untagged, tagged) if with_tag else (untagged, tagged)


def heard(m, pred, timeout=10):
    """Lines the server sends unasked until one satisfies pred (bounded in time)."""
    seen = []
    sock = m.socket()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sock.pending():
            r, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
        line = m.readline()
        if not line:
            break
        seen.append(line.decode(errors="replace").rstrip("\r\n"))
        if pred(seen[-1]):
            break
    return seen


def deliver_subject(inst, subject, to=None):
    """One small message from alice@remote.test over port 25 with STARTTLS."""
    to = to or inst.email
    body = f"From: Alice <alice@remote.test>\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhello\r\n"
    with smtplib.SMTP(inst.addr, inst.port("smtp"), local_hostname="client.remote.test", timeout=20) as s:
        s.starttls(context=tls_context(inst))
        s.sendmail("alice@remote.test", [to], body)

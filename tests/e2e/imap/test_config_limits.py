"""The [imap] limits as config keys: max_line, max_literal (= the advertised
APPENDLIMIT), search_depth, max_errors and idle_timeout, each set low in hearth.toml and each
seen to bite; another session is unaffected."""
import socket
import ssl
import sys
from hearth_test import Instance, check, finish, set_key

inst = Instance(offset=20000)
for key, value in [("max_line", "8192"), ("max_literal", "65536"), ("search_depth", "4"),
                   ("max_errors", "3"), ("idle_timeout", "5")]:
    set_key(inst.config, "imap", key, value)
inst.start(wait_for="imaps")
ctx = ssl.create_default_context(cafile=inst.ca_file())


class conn:
    def __init__(self):
        self.s = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("imaps")), timeout=30),
                                 server_hostname=inst.hostname)
        self.f = self.s.makefile("rb")
        self.greeting = self.f.readline()

    def cmd(self, data, tag):
        self.s.sendall(data)
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                return lines
            lines.append(l.rstrip(b"\r\n"))
            if l.startswith(tag + b" ") or l.startswith(b"* BYE"):
                return lines

    def login(self):
        out = self.cmd(b"a LOGIN " + inst.email.encode() + b" " + inst.password.encode() + b"\r\n", b"a")
        check(out[-1].startswith(b"a OK"), "logged in")
        return out


try:
    c = conn()
    c.login()
    out = c.cmd(b"b CAPABILITY\r\n", b"b")
    check(b" APPENDLIMIT=65536" in out[0], f"APPENDLIMIT is imap.max_literal: {out[0][-200:]!r}")
    out = c.cmd(b"c NOOP " + b"x" * 9000 + b"\r\nd NOOP\r\n", b"d")
    check(any(b" BAD " in l for l in out) and out[-1].startswith(b"d OK"), f"a 9 KB line over max_line 8192: BAD ({[l[:40] for l in out]})")
    out = c.cmd(b"e STATUS " + b"x" * 7000 + b" (MESSAGES)\r\n", b"e")
    check(out[-1].startswith(b"e NO "), f"a 7 KB line is read and answered ({out[-1][:40]!r})")
    out = c.cmd(b"f APPEND INBOX {70000}\r\n", b"f")
    check(out[-1].startswith(b"f NO [TOOBIG]"), f"a 70 KB APPEND over max_literal: NO [TOOBIG] ({out[-1][:80]!r})")
    msg = b"Subject: small\r\n\r\n" + b"y" * 60000 + b"\r\n"
    out = c.cmd(b"g APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n", b"g")
    check(out[-1].startswith(b"g OK"), f"a 60 KB APPEND under it: OK ({out[-1][:80]!r})")
    c.cmd(b"h SELECT INBOX\r\n", b"h")
    out = c.cmd(b"i SEARCH " + b"(" * 3 + b"ALL" + b")" * 3 + b"\r\n", b"i")
    check(out[-1].startswith(b"i OK"), f"SEARCH nested 3 deep: OK ({out[-1][:80]!r})")
    out = c.cmd(b"j SEARCH " + b"(" * 6 + b"ALL" + b")" * 6 + b"\r\n", b"j")
    check(out[-1].startswith(b"j BAD"), f"SEARCH nested 6 deep over search_depth 4: BAD ({out[-1][:80]!r})")

    other = conn()
    other.login()

    # max_errors = 3: errors so far (the long line, the deep SEARCH...) count; at most three more
    # end the session (the default, 20, would not).
    bye_after = None
    for i in range(6):
        out = c.cmd(b"k%d FROBNICATE\r\n" % i, b"k%d" % i)
        if any(l.startswith(b"* BYE") for l in out):
            bye_after = i + 1
            break
    check(bye_after is not None and bye_after <= 3, f"BYE once max_errors is passed (after {bye_after} more)")

    # idle_timeout = 5 s: a silent logged-in session is closed with BYE (no time is asserted,
    # only that it happens well within the test's budget).
    out = other.cmd(b"", b"never")
    check(any(l.startswith(b"* BYE") for l in out), f"a silent session gets BYE after idle_timeout ({out!r})")
    third = conn()
    out = third.login()
    out = third.cmd(b"l IDLE\r\n", b"l")
    check(any(l.startswith(b"* BYE") for l in out) or out[-1].startswith(b"l OK"),
          f"IDLE also ends after idle_timeout ({out!r})")
    fourth = conn()
    fourth.login()
    out = fourth.cmd(b"m NOOP\r\n", b"m")
    check(out[-1].startswith(b"m OK"), "a new session works")
except Exception as e:  # report, with the server log, instead of a bare traceback
    check(False, f"exception: {e!r}")
    print(inst.log()[-3000:], file=sys.stderr)
finish()

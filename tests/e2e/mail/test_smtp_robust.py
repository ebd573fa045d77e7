"""SMTP robustness: garbage, 100 KB lines, NUL bytes, bare LF, 10 000 RCPTs, a disconnect in the
middle of DATA, too many errors; the server answers per RFC 5321, keeps serving other clients
and stores nothing partial."""
import socket
import smtplib
import ssl
import time

from hearth_test import Instance, check, finish
from mailbox import messages, wait_messages

a = Instance("demo@example.test", host=1)
a.start()
RCPT = "demo@example.test"


class Raw:
    def __init__(self):
        self.s = socket.create_connection((a.addr, a.port("smtp")), timeout=20)
        self.f = self.s.makefile("rb")
        self.banner = self.reply()

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                return lines
            lines.append(line.decode(errors="replace").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def close(self):
        self.f.close()  # the makefile object holds the socket open too
        self.s.close()


def code(lines):
    return int(lines[-1][:3]) if lines and lines[-1][:3].isdigit() else None


# A long-lived client that must keep being served while the others misbehave.
good = smtplib.SMTP(a.addr, a.port("smtp"), timeout=20)
good.ehlo("good.remote.test")

# --- garbage and over-long lines -------------------------------------------------------
r = Raw()
check(r.banner and r.banner[0].startswith("220 "), "greeting")
check(code(r.cmd("EHLO x.test")) == 250, "EHLO")
rep = r.cmd("HELLO WORLD")
check(code(rep) == 500 and "5.5.2" in rep[-1] or "5.5.1" in rep[-1], f"unknown command 500 ({rep})")
rep = r.cmd("MAIL FROM:<" + "x" * 100_000 + "@remote.test>")
check(code(rep) in (500, 501, 553), f"100 KB command line refused ({rep[-1][:60]})")
rep = r.cmd("MAIL FROM:<a\x00b@remote.test>")
check(code(rep) in (500, 501, 553), f"NUL in a command refused ({rep[-1][:60]})")
check(code(r.cmd("NOOP")) == 250, "still in sync after the bad lines")
r.close()

# --- bare LF, NUL and an over-long line inside DATA: 554 5.6.0, nothing stored ----------
for name, content in (("bare LF", b"Subject: x\r\n\r\nline one\nline two\r\n"),
                      ("NUL", b"Subject: x\r\n\r\nnul\x00here\r\n"),
                      ("long line", b"Subject: x\r\n\r\n" + b"y" * 2000 + b"\r\n")):
    r = Raw()
    r.cmd("EHLO x.test")
    r.cmd("MAIL FROM:<a@remote.test>")
    r.cmd("RCPT TO:<" + RCPT + ">")
    check(code(r.cmd("DATA")) == 354, f"{name}: 354")
    r.send(content + b".\r\n")
    rep = r.reply()
    check(code(rep) == 554 and "5.6.0" in rep[-1], f"{name}: refused 554 5.6.0 ({rep})")
    check(code(r.cmd("NOOP")) == 250, f"{name}: session continues")
    r.close()
check(len(messages(a, RCPT)) == 0, "no refused message stored")

# "\n.\n" smuggling attempt: the bare-LF dot is content, not the end (and refused as a whole).
r = Raw()
r.cmd("EHLO x.test")
r.cmd("MAIL FROM:<a@remote.test>")
r.cmd("RCPT TO:<" + RCPT + ">")
r.cmd("DATA")
r.send(b"Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<evil@remote.test>\r\n.\r\n")
rep = r.reply()
check(code(rep) == 554, f"smuggling attempt refused as one message ({rep})")
check(code(r.cmd("QUIT")) == 221, "QUIT after the attempt")
r.close()

# --- 10 000 RCPTs: the limit is 100 (452 4.5.3), then errors close the connection -------
r = Raw()
r.cmd("EHLO x.test")
r.cmd("MAIL FROM:<a@remote.test>")
batch = "".join(f"RCPT TO:<{RCPT}>\r\n" for _ in range(10_000))
r.s.settimeout(60)
r.send(batch)
codes = []
while len(codes) < 10_000:
    rep = r.reply()
    if not rep:
        break
    codes.append(code(rep))
    if codes[-1] == 421:
        break
check(codes[:100] == [250] * 100, "first 100 recipients accepted")
check(len(codes) > 100 and codes[100] == 452, f"recipient 101 gets 452 ({codes[100:101]})")
r.close()

# --- disconnect in the middle of DATA: nothing stored -----------------------------------
r = Raw()
r.cmd("EHLO x.test")
r.cmd("MAIL FROM:<a@remote.test>")
r.cmd("RCPT TO:<" + RCPT + ">")
r.cmd("DATA")
r.send(b"Subject: cut\r\n\r\n" + b"partial content\r\n" * 1000)
r.close()
time.sleep(0.5)
check("disconnect during DATA" in a.log(), "aborted DATA logged")
check(len(messages(a, RCPT)) == 0, "nothing of the cut message stored")

# --- too many errors: 421 and close -----------------------------------------------------
r = Raw()
last = None
for i in range(15):
    rep = r.cmd("BOGUS")
    last = code(rep)
    if last == 421 or not rep:
        break
check(last == 421, f"error limit closes with 421 ({last})")
r.close()

# --- the patient client is still served -------------------------------------------------
good.sendmail("ok@remote.test", [RCPT], "Subject: still fine\r\n\r\nserved\r\n")
good.quit()
msgs = wait_messages(a, RCPT, 1)
check(len(msgs) == 1 and b"Subject: still fine" in msgs[0], "other client served throughout; one message stored")

rc, _ = a.stop()
check(rc == 0, "server stops cleanly")
finish()

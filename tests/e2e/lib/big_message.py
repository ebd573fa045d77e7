"""Large messages for the tests that bound a server's memory, and its peak resident size.

    from big_message import lines_message, mail_of, remote_pair, vm_hwm_kib
    msg = lines_message(head_bytes, 40, seed=1)   # head + lines of words up to 40 MiB
    msg = mail_of("a@x.test", "<b@y.test>", "subject", 1, 40)   # the same with a header section
    dns, a, b = remote_pair()                     # knot, A (example.test), B (remote.test)
    imap = inbox(a, user, password)               # logged in over IMAPS, INBOX read-only
    submit(a, user, password, [rcpt], msg)        # over submission with STARTTLS: refused rcpts
    vm_hwm_kib(inst.proc.pid)                     # VmHWM of /proc/PID/status, in KiB
"""
import imaplib
import random
import smtplib
import ssl

from hearth_test import NET, PG_URL, Instance, set_key
from knot import Knot

WORDS = [b"alpha", b"beta", b"gamma", b"delta", b".dot", b"epsilon", b"zeta", b"..two", b"eta", b"theta"]


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def lines_message(head, size_mb, seed):
    """`head` (the header section, with its empty line) and lines of 12 random words until the
    message reaches size_mb MiB. Some lines start with "." or "..", so that SMTP's and POP3's
    dot-stuffing cross every piece the server cuts the message into."""
    rng = random.Random(seed)
    lines = []
    size = len(head)
    n = 0
    while size < size_mb * 1024 * 1024:
        line = b" ".join(rng.choice(WORDS) for _ in range(12)) + b" %d\r\n" % n
        lines.append(line)
        size += len(line)
        n += 1
    return head + b"".join(lines)


def mail_of(sender, to, subject, seed, size_mb):
    """A message from `sender` to `to` (the To: field's text) of size_mb MiB (lines_message)."""
    head = (f"From: <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{seed}@stream.test>\r\nDate: Mon, 07 Dec 2026 16:00:00 +0000\r\n\r\n").encode()
    return lines_message(head, size_mb, seed)


def remote_pair(remote="bob@remote.test"):
    """knot on NET.3 and two instances, not started: A (demo@example.test) on NET.1 and B
    (`remote`, at remote.test) on NET.2, each finding the other's MX through knot, A sending
    remote.test to B's port 25 through a route (its config may take more routes). Under the
    `pg` label the hosts are NET.11-13, so both variants of a test can share its network."""
    h = 10 if PG_URL else 0
    zones = {
        "example.test": f"@ MX 10 mail\nmail A {NET}.{h + 1}\n",
        "remote.test": f"@ MX 10 mail\nmail A {NET}.{h + 2}\n",
    }
    dns = Knot(addr=f"{NET}.{h + 3}", port=5353, zones=zones).start()
    a = Instance("demo@example.test", host=h + 1)
    b = Instance(remote, host=h + 2)
    for inst in (a, b):
        set_key(inst.config, "dns", "servers", f'["{NET}.{h + 3}:5353"]')
        set_key(inst.config, "smtp.queue", "bind_addresses", f'["{inst.addr}"]')
    with open(a.config, "a") as f:
        f.write(f'\n[[smtp.route]]\ndomains = ["remote.test"]\nrelay = "{b.addr}:{b.port("smtp")}"\n')
    return dns, a, b


def inbox(inst, user, password):
    """An IMAPS session of `user` on `inst` with its INBOX selected read-only (a long timeout:
    its FETCHes carry 40 MB)."""
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    imap = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=120)
    imap.login(user, password)
    imap.select("INBOX", readonly=True)
    return imap


def submit(inst, user, password, rcpts, msg, mail_options=()):
    """Sends `msg` from `user` to `rcpts` over `inst`'s submission port (STARTTLS, AUTH);
    returns smtplib's refused recipients ({} when all were taken)."""
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    with smtplib.SMTP(inst.addr, inst.port("submission"), timeout=300) as s:
        s.ehlo("client.example.test")
        s.starttls(context=ctx)
        s.ehlo("client.example.test")
        s.login(user, password)
        return s.sendmail(user, rcpts, msg, mail_options=list(mail_options))

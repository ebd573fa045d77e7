"""IDLE is driven by the event, not by a timer: sessions sitting in IDLE do not wake the server
(its threads' context switches, counted from /proc, barely move while 40 clients idle), and a
message delivered over SMTP reaches an idling imaplib client, as does each of a burst; a
client that vanishes in IDLE harms nobody."""
import glob
import select
import smtplib
import ssl
import time

from hearth_test import check, finish
from imap_common import login, start, tls_context

IDLERS = 40
WINDOW = 3.0  # seconds over which wake-ups are counted


def wakeups(pid):
    """Context switches of all the server's threads so far: each wake-up of a thread is one."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass  # a thread that just ended
    return total


def quiet_wakeups(pid):
    before = wakeups(pid)
    time.sleep(WINDOW)
    return wakeups(pid) - before


def enter_idle(m):
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    line = m.readline()
    return tag, line.startswith(b"+")


def read_until(m, pred, timeout):
    """Reads lines from an idling client until pred(line) or timeout; returns the lines seen."""
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
        seen.append(line)
        if pred(line):
            break
    return seen


inst = start()
pid = inst.proc.pid

# The server's own background wake-ups, with the same clients connected but not idling.
clients = [login(inst) for _ in range(IDLERS)]
for m in clients:
    m.select("INBOX")
time.sleep(0.5)
baseline = quiet_wakeups(pid)
for m in clients:
    tag, ok = enter_idle(m)
    m.idle_tag = tag
check(all(m.idle_tag for m in clients), f"{IDLERS} clients in IDLE")
time.sleep(0.5)
idling = quiet_wakeups(pid)
print(f"info server context switches over {WINDOW:.0f} s: {baseline} without IDLE, {idling} with {IDLERS} clients in IDLE")
# A timer per idle session would add several wake-ups per session and second; an event-driven
# IDLE adds none. The margin (one per session over the whole window) absorbs background noise.
check(idling - baseline < IDLERS, f"idle sessions do not wake the server ({idling} vs {baseline} context switches)")

# A client that vanishes in IDLE ends its session cleanly (reader and pusher both stop).
gone = login(inst)
gone.select("INBOX")
_, entered = enter_idle(gone)
gone.shutdown()
check(entered, "a client entered IDLE and then vanished")

# A delivery on the MX port reaches every idling client, without the client sending anything.
ctx = tls_context(inst)
body = "From: Alice <alice@remote.test>\r\nTo: demo@example.test\r\nSubject: pushed\r\n\r\nhello\r\n"
with smtplib.SMTP(inst.addr, inst.port("smtp"), local_hostname="client.remote.test", timeout=20) as s:
    s.starttls(context=ctx)
    s.sendmail("alice@remote.test", [inst.email], body)
heard = [read_until(m, lambda l: l == b"* 1 EXISTS\r\n", 10) for m in clients]
told = sum(1 for h in heard if h and h[-1] == b"* 1 EXISTS\r\n")
check(told == IDLERS, f"every idling client hears of the SMTP delivery: {told}/{IDLERS}")

# A burst: each message is announced (the last EXISTS names the total).
watcher = clients[0]
with smtplib.SMTP(inst.addr, inst.port("smtp"), local_hostname="client.remote.test", timeout=20) as s:
    s.starttls(context=ctx)
    for i in range(5):
        s.sendmail("alice@remote.test", [inst.email], body.replace("pushed", f"burst {i}"))
seen = read_until(watcher, lambda l: l == b"* 6 EXISTS\r\n", 10)
check(seen and seen[-1] == b"* 6 EXISTS\r\n", f"a burst of five deliveries reaches the idling client: {seen}")

# DONE still ends IDLE on every session, and the session goes on.
for m in clients:
    m.send(b"DONE\r\n")
ends = [read_until(m, lambda l, t=m.idle_tag: l.startswith(t), 10) for m in clients]
check(all(e and e[-1].startswith(m.idle_tag + b" OK") for e, m in zip(ends, clients)), "DONE ends IDLE on every session")
typ, data = watcher.select("INBOX")
check(typ == "OK" and data[0] == b"6", f"the session goes on after IDLE: {typ} {data}")
check(inst.proc.poll() is None, "the server is still running")
for m in clients:
    m.logout()
finish()

"""RFC 9585 INPROGRESS: on a mailbox of 3000 messages (imported with `hearth import mbox`), SEARCH,
UID SEARCH, SORT, THREAD and FETCH send `* OK [INPROGRESS ("tag" done goal)]` notes before their
tagged reply, with the command's own tag, the messages done and the goal; imaplib's own
commands still get their answers. The server is told to note at every check
(imap.progress_interval = 0), so the notes do not depend on how fast the machine is: one every
500 messages (the server's step)."""
import atexit
import os
import shutil
import tempfile

from hearth_test import check, finish, set_key
from imap_common import login, start, write_mbox

COUNT = 3000
STEP = 500  # server_env::progress_step

work = tempfile.mkdtemp(prefix="hearth-inprogress-")
atexit.register(shutil.rmtree, work, True)
mbox = write_mbox(os.path.join(work, "big.mbox"), [(f"message {i % 7}", f"m{i}") for i in range(COUNT)])


def prepare(inst):
    set_key(inst.config, "imap", "progress_interval", "0")
    cp = inst.cli(["import", "mbox", mbox, "--user", inst.email], check_rc=False)
    check(cp.returncode == 0 and f"{COUNT} messages read" in cp.stdout, f"{COUNT} messages imported ({cp.stdout.strip()})")


inst = start(prepare=prepare)

m = login(inst)
typ, data = m.select("INBOX")
check(typ == "OK" and int(data[0]) == COUNT, f"INBOX holds {COUNT} messages")
typ, caps = m.capability()
check(b" INPROGRESS" in caps[0], "CAPABILITY lists INPROGRESS (RFC 9585 §3)")


def raw(tag, command):
    """Sends one command; returns (notes, other untagged lines, tagged line)."""
    m.send(f"{tag} {command}\r\n".encode())
    notes, other = [], []
    for _ in range(COUNT * 3 + 100):
        line = m.readline()
        if not line:
            break
        if line.startswith(tag.encode() + b" "):
            return notes, other, line
        (notes if b"[INPROGRESS" in line else other).append(line)
    return notes, other, b""


def expected(tag, goal):
    return [f'* OK [INPROGRESS ("{tag}" {done} {goal})] Still working\r\n'.encode()
            for done in range(STEP, goal, STEP)]


for tag, command, goal in [("P1", "SEARCH ALL", COUNT),
                           ("P2", "UID SEARCH SUBJECT \"message 3\"", COUNT),
                           ("P3", "SORT (SUBJECT) UTF-8 ALL", COUNT),
                           ("P4", "THREAD ORDEREDSUBJECT UTF-8 ALL", COUNT),
                           ("P5", "FETCH 1:* (FLAGS)", COUNT),
                           ("P6", "FETCH 1:1200 (UID)", 1200)]:
    notes, other, done = raw(tag, command)
    check(done.startswith(f"{tag} OK".encode()), f"{command}: tagged OK ({done!r})")
    want = expected(tag, goal)
    check(notes == want, f"{command}: {len(want)} INPROGRESS notes, in order, before the reply ({notes[:2]!r}...)")

# A small command sends no note, and imaplib, which ignores untagged OK, still works.
notes, other, done = raw("P7", "FETCH 1:10 (FLAGS)")
check(done.startswith(b"P7 OK") and notes == [] and len(other) == 10, "FETCH of 10 messages: no note")
typ, data = m.search(None, "SUBJECT", '"message 3"')
hits = data[0].split()
check(typ == "OK" and len(hits) == len(range(3, COUNT, 7)), f"imaplib SEARCH finds {len(range(3, COUNT, 7))} messages")
m.logout()
finish()

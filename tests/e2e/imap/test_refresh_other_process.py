"""A write by another process on the same data directory (here `hearth import mbox`, run beside
the server) is seen by a session's very next command, although the server skips the refresh
read after a command when its own writers announced nothing (mail/imap/server/change_clock.hpp,
core/db/other_processes.hpp). A session of the server's own (APPEND) is seen likewise. Each
import follows quiet NOOPs, so that the refresh would skip its read if it did not know of the
other process."""
import atexit
import os
import shutil
import tempfile

from hearth_test import check, finish
from imap_common import login, raw, start, write_mbox

work = tempfile.mkdtemp(prefix="hearth-refresh-other-")
atexit.register(shutil.rmtree, work, True)


def mbox(name, count):
    return write_mbox(os.path.join(work, name), [(f"{name} {i}", f"{name}{i}") for i in range(count)])


def exists(lines):
    """The EXISTS count among a command's untagged lines, or None."""
    for l in lines:
        parts = l.split()
        if len(parts) == 3 and parts[0] == b"*" and parts[2] == b"EXISTS":
            return int(parts[1])
    return None


def quiet(m, what):
    for i in range(3):
        lines = raw(m, "NOOP")
        if len(lines) != 1:
            check(False, f"{what}: NOOP {i + 1} with nothing new answers only its tagged line ({lines})")
            return
    check(True, f"{what}: NOOPs with nothing new answer only their tagged line")


inst = start()
a = login(inst)
b = login(inst)
typ, data = a.select("INBOX")
check(typ == "OK" and int(data[0]) == 0, "INBOX is empty")
b.select("INBOX")
quiet(a, "before any write")

b.append("INBOX", None, None, b"From: b@example.org\r\nSubject: from b\r\n\r\nhello\r\n")
check(exists(raw(a, "NOOP")) == 1, "a session of the server's own: its APPEND is seen by the next NOOP")
quiet(a, "after the APPEND")

cp = inst.cli(["import", "mbox", mbox("first", 2), "--user", inst.email], check_rc=False)
check(cp.returncode == 0, f"hearth import beside the server ({cp.stdout.strip()} {cp.stderr.strip()})")
check(exists(raw(a, "NOOP")) == 3, "the import by another process is seen by the next NOOP")
quiet(a, "after the first import")

cp = inst.cli(["import", "mbox", mbox("second", 1), "--user", inst.email], check_rc=False)
check(cp.returncode == 0, "a second import")
lines = raw(a, "UID FETCH 1:* (UID)")
check(exists(lines) == 4, f"the second import is seen by the next command, a FETCH ({lines[-2:]})")
typ, data = b.status("INBOX", "(MESSAGES)")
check(typ == "OK" and b"MESSAGES 4" in data[0], "STATUS agrees")

a.logout()
b.logout()
finish()

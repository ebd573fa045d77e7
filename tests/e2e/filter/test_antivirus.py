"""Antivirus with Debian's clamav-daemon (clamd), started here on a private Unix socket with a
signature database this test writes (no signature download is possible): the EICAR test
file's MD5 in a .hdb. Over SMTP (port 25): EICAR in an attachment gets 554 5.7.0 naming the
signature and a log line; a clean message is delivered with X-Virus-Status: Clean; with
clamd stopped, 451 4.7.1; with filter.antivirus.on_error = "accept", accepted and marked
X-Virus-Status: Unchecked.
"""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import hearth_test
from hearth_test import NET, Instance, check, finish, set_key
from spam_lib import IMAP, deliver

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
if not os.path.exists(CLAMD):
    print("clamd is not installed (scripts/packages/filter.txt: clamav-daemon)")
    sys.exit(77)

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
work = tempfile.mkdtemp(prefix="hearth-clamd-")
if not os.environ.get("HEARTH_KEEP"):
    import atexit
    atexit.register(shutil.rmtree, work, True)
os.makedirs(f"{work}/db")
with open(f"{work}/db/eicar.hdb", "w") as f:
    f.write(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Eicar-Test-Signature\n")
sock = f"{work}/clamd.sock"
with open(f"{work}/clamd.conf", "w") as f:
    f.write(f"LocalSocket {sock}\nDatabaseDirectory {work}/db\nForeground yes\nLogFile {work}/clamd.log\n"
            f"PidFile {work}/clamd.pid\nStreamMaxLength 2M\nTemporaryDirectory {work}\n")
    if os.geteuid() == 0:
        f.write("User root\n")
clamd = subprocess.Popen([CLAMD, "-c", f"{work}/clamd.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
hearth_test._procs.append(clamd)
deadline = time.monotonic() + 60
while not os.path.exists(sock) and time.monotonic() < deadline and clamd.poll() is None:
    time.sleep(0.2)
check(os.path.exists(sock), "clamd started with the test's own signature database")

inst = Instance("demo@example.test")
# No resolver on the loopback: DNS answers fail at once (no lookups leave the machine).
set_key(inst.config, "dns", "servers", f'["{NET}.2:5353"]')
set_key(inst.config, "filter.antivirus", "clamd", f'"{sock}"')
# clamd's StreamMaxLength is 2M above: send no more than that.
set_key(inst.config, "filter.antivirus", "max_stream_bytes", str(1 << 20))
inst.cli(["config", "check"])
inst.start(wait_for="imaps")

virus = ("From: <x@sender.example>\r\nTo: <demo@example.test>\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
         "--zz\r\nContent-Type: application/octet-stream; name=invoice.com\r\nContent-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=invoice.com\r\n\r\n" + base64.b64encode(EICAR).decode() +
         "\r\n--zz--\r\n")
clean = "From: <x@sender.example>\r\nTo: <demo@example.test>\r\nSubject: clean one\r\n\r\nNothing to see.\r\n"

code, text = deliver(inst, virus, "x@sender.example")
check(code == 554 and text.startswith("5.7.0") and "Eicar-Test-Signature" in text,
      f"EICAR: 554 5.7.0 naming the signature ({code} {text})")
check("filter.virus " in inst.log() and "virus=Eicar-Test-Signature" in inst.log(), "a log line for the virus")
code, text = deliver(inst, clean, "x@sender.example")
check(code == 250, f"a clean message is accepted ({code} {text})")
im = IMAP(inst)
inbox = im.subjects("INBOX")
check("clean one" in inbox and b"X-Virus-Status: Clean" in inbox["clean one"], "delivered with X-Virus-Status: Clean")
check("invoice" not in inbox, "the virus was not stored")
# Large message: still scanned within clamd's StreamMaxLength (only the first part is sent).
big = clean.replace("clean one", "big one") + ("x" * 998 + "\r\n") * 3000
code, text = deliver(inst, big, "x@sender.example")
check(code == 250, f"a 3 MB message passes clamd's 2 MB StreamMaxLength (the first max_stream_bytes scanned) ({code} {text})")

clamd.terminate()
clamd.wait(timeout=20)
code, text = deliver(inst, clean.replace("clean one", "while down"), "x@sender.example")
check(code == 451 and text.startswith("4.7.1"), f"clamd stopped: 451 4.7.1 ({code} {text})")

inst.stop()
set_key(inst.config, "filter.antivirus", "on_error", '"accept"')
inst.start(wait_for="imaps")
code, text = deliver(inst, clean.replace("clean one", "unchecked one"), "x@sender.example")
check(code == 250, f"on_error = accept: accepted while clamd is down ({code} {text})")
im = IMAP(inst)
inbox = im.subjects("INBOX")
check("unchecked one" in inbox and b"X-Virus-Status: Unchecked" in inbox["unchecked one"],
      "and marked X-Virus-Status: Unchecked")
im.logout()
finish()

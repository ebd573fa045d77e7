"""ManageSieve with sieve-connect (Debian's Perl client, Authen::SASL + IO::Socket::SSL): it
verifies our certificate by name after STARTTLS, then uploads, lists, activates, downloads,
deactivates and deletes scripts; CHECKSCRIPT and PUTSCRIPT errors come back with the line number
from the Sieve compiler; quota refusals reach the user. Also: the zone names 4190 for
ManageSieve (the _sieve._tcp SRV record of RFC 5804 §1.8). Last, a redirect made by a script
crosses to a second instance (found through MX records served by knot) and is read there over
IMAP."""
import os
import subprocess
import tempfile

from hearth_test import check, finish
from ms_common import Raw, start

inst = start(quotas={"max_scripts": 2, "max_script_size": 1024})
user, pw = inst.email, inst.password
work = tempfile.mkdtemp(prefix="sieve-connect-")


def sc(*args):
    """Runs sieve-connect with the password on a pipe; returns (rc, stdout + stderr)."""
    rfd, wfd = os.pipe()
    os.write(wfd, (pw + "\n").encode())
    os.close(wfd)
    cmd = ["sieve-connect", "--nosrv", "-s", inst.addr, "-p", str(inst.port("managesieve")), "-u", user,
           "--tlscafile", inst.ca_file(), "--tlshostname", inst.hostname, "--passwordfd", str(rfd),
           "--authmech", "PLAIN", *args]
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=30, pass_fds=(rfd,))
    finally:
        os.close(rfd)
    return cp.returncode, cp.stdout + cp.stderr


def local(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


good = local("good.sieve", 'require "fileinto";\nif address :is "from" "boss@example.org" {\n  fileinto "Boss";\n}\n')
rc, out = sc("--upload", "--localsieve", good, "--remotesieve", "work")
check(rc == 0, f"upload: rc={rc} {out.strip()}")
rc, out = sc("--list")
check(rc == 0 and '"work"' in out and "ACTIVE" not in out, f"list shows it, inactive: {out.strip()}")
rc, out = sc("--activate", "--remotesieve", "work")
check(rc == 0, f"activate: {out.strip()}")
rc, out = sc("--list")
check('"work" ACTIVE' in out, f"list shows it active: {out.strip()}")
fetched = os.path.join(work, "fetched.sieve")
rc, out = sc("--download", "--remotesieve", "work", "--localsieve", fetched)
check(rc == 0 and open(fetched).read() == open(good).read(), f"download returns the same script: {out.strip()}")
rc, out = sc("--delete", "--remotesieve", "work")
check(rc != 0, f"the active script cannot be deleted: {out.strip()}")

bad = local("bad.sieve", 'require "fileinto";\n\nif header :contains "subject" "x" {\n  fileinto "A"\n}\n')
rc, out = sc("--checkscript", "--localsieve", bad)
check(rc != 0 and "line" in out.lower() and ("4" in out or "5" in out), f"checkscript error with a line number: {out.strip()}")
rc, out = sc("--upload", "--localsieve", bad, "--remotesieve", "broken")
check(rc != 0 and "line" in out.lower(), f"upload of a broken script refused with the line: {out.strip()}")
rc, out = sc("--checkscript", "--localsieve", good)
check(rc == 0, f"checkscript of a good script: {out.strip()}")

big = local("big.sieve", "# " + "x" * 2000 + "\nkeep;\n")
rc, out = sc("--upload", "--localsieve", big, "--remotesieve", "big")
check(rc != 0 and "QUOTA" in out.upper(), f"a too-big script is refused with QUOTA: {out.strip()}")
rc, out = sc("--upload", "--localsieve", good, "--remotesieve", "second")
check(rc == 0, "a second script fits")
rc, out = sc("--upload", "--localsieve", good, "--remotesieve", "third")
check(rc != 0 and "QUOTA" in out.upper(), f"a third script is over the count quota: {out.strip()}")

rc, out = sc("--deactivate")
check(rc == 0, f"deactivate: {out.strip()}")
rc, out = sc("--delete", "--remotesieve", "work")
check(rc == 0, f"delete once inactive: {out.strip()}")
rc, out = sc("--list")
check("work" not in out and "second" in out, f"list after delete: {out.strip()}")

# Wrong password: sieve-connect fails cleanly.
rfd, wfd = os.pipe()
os.write(wfd, b"wrong\n")
os.close(wfd)
cp = subprocess.run(["sieve-connect", "--nosrv", "-s", inst.addr, "-p", str(inst.port("managesieve")), "-u", user,
                     "--tlscafile", inst.ca_file(), "--tlshostname", inst.hostname, "--passwordfd", str(rfd),
                     "--authmech", "PLAIN", "--list"], capture_output=True, text=True, timeout=30, pass_fds=(rfd,))
os.close(rfd)
check(cp.returncode != 0, "a wrong password is refused")

# The zone announces ManageSieve where it listens.
zone = inst.cli(["dns", "zone", inst.domain]).stdout
line = next((l for l in zone.splitlines() if l.startswith("_sieve._tcp")), "")
check(line.split()[-2:] == [str(inst.port("managesieve")), inst.hostname + "."], f"zone: {line!r}")

# Plain connection: no AUTHENTICATE before STARTTLS, even on loopback.
r = Raw(inst)
r.response()
resp = r.plain(user, pw)
check(resp and resp[-1].startswith("NO (ENCRYPT-NEEDED)"), f"no AUTHENTICATE in the clear: {resp}")
r.close()


# --- A redirect to a second instance: A (alice@a.test) redirects to bob@b.test; B's IMAP has it.
import imaplib  # noqa: E402
import smtplib  # noqa: E402
import ssl  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mail"))
import queue_lib  # noqa: E402

dns, a, b = queue_lib.setup()
a.start()
b.start()
rpath = local("redirect.sieve", 'redirect "bob@b.test";\n')
cp = a.cli(["sieve", "put", "alice@a.test", "fwd", rpath, "--activate"], check_rc=False)
check(cp.returncode == 0, f"alice's redirect script stored on A: {cp.stdout.strip()} {cp.stderr.strip()}")
actx = ssl.create_default_context(cafile=a.ca_file())
actx.check_hostname = False
with smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20) as s:
    s.starttls(context=actx)
    s.sendmail("carol@remote.test", ["alice@a.test"],
               "From: carol@remote.test\r\nTo: alice@a.test\r\nSubject: cross-instance redirect\r\n\r\nhi\r\n")
got = queue_lib.wait_for(lambda: queue_lib.find(b, "bob@b.test", "cross-instance redirect"), timeout=30)
check(got is not None, "the redirected mail reached the second instance")
bctx = ssl.create_default_context(cafile=b.ca_file())
bctx.check_hostname = False
m = imaplib.IMAP4_SSL(b.addr, b.port("imaps"), ssl_context=bctx)
m.login(b.email, b.password)
typ, data = m.select("INBOX", readonly=True)
typ, hits = m.search(None, "SUBJECT", '"cross-instance redirect"')
check(typ == "OK" and hits[0].split(), "seen over IMAP on the second instance")
if hits[0].split():
    typ, data = m.fetch(hits[0].split()[-1], "(BODY.PEEK[HEADER])")
    head = data[0][1].decode(errors="replace")
    check(f"X-Hearth-Redirected-By: {a.hostname}" in head and "Return-Path: <SRS0=" in head and
          "=remote.test=carol@a.test>" in head,
          "with A's redirect marker and the envelope sender rewritten with SRS at a.test")
m.logout()
dns.stop()

finish()

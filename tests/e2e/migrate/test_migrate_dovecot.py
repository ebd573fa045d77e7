"""`hearth migrate imap` from a real Dovecot (Debian's dovecot-imapd, started here on loopback
with its own config and a private CA) seeded over IMAP with a Gmail-shaped account copied to a
server without Gmail's extension: INBOX, [Gmail]/All Mail holding every message, [Gmail]/Sent
Mail, [Gmail]/Starred, label folders holding the same messages again (nested and non-ASCII
names), flags and keywords, internal dates, one message twice in INBOX; 2 100 messages.

Checked over IMAP against Hearth, by Message-ID and body hash: each message exactly once in each
folder it was in (Sent Mail in Sent, Starred not copied, what only All Mail holds in Archive),
flags and internal dates equal; a --dry-run changes nothing; a second run copies nothing; a run
killed with SIGKILL halfway and started again ends with exactly the same content.
Hearth's data directory lives on /dev/shm when there is one: the test is about what is copied,
and every message is fsync'd (the benchmark runs on disk).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    tempfile.tempdir = "/dev/shm"

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test  # noqa: E402
from hearth_test import HEARTH, NET, Instance, check, finish  # noqa: E402
from imap_client import hearth_login  # noqa: E402
import dovecot  # noqa: E402

if os.geteuid() != 0:
    print("needs root to run Dovecot as its own user (CI runs as root)")
    sys.exit(77)

N = 2100
t_start = time.monotonic()
dv = dovecot.Dovecot(f"{NET}.2").start()
expected = dovecot.seed(dv, N)
print(f"seeded {N} messages in {time.monotonic() - t_start:.1f} s", flush=True)

inst = Instance(host=1)
inst.start(wait_for="imaps")
inst.cli(["user", "add", "kill@example.test", "--password-stdin"], input="kill-password-1\n")


def migrate(to, *extra, wait=True):
    args = [HEARTH, "--config", inst.config, "migrate", "imap", "--from", f"imaps://{dv.ip}:{dv.imaps_port}",
            "--login", dovecot.LOGIN, "--password-stdin", "--to", to, "--ca", dv.ca, *extra]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    p.stdin.write(dovecot.PASSWORD + "\n")
    p.stdin.close()
    if not wait:
        return p
    out = p.stdout.read()
    return p.wait(120), out


def content(email, password):
    c = hearth_login(inst, email, password)
    got = dovecot.read_hearth(c)
    c.logout()
    return {box: msgs for box, msgs in got.items() if msgs}


def compare(got, label):
    ok = True
    for box, want in expected.items():
        msgs = got.get(box, [])
        keys = [k for k, _, _ in msgs]
        if len(keys) != len(set(keys)):
            check(False, f"{label}: {box} holds no message twice ({len(keys) - len(set(keys))} duplicates)")
            ok = False
        if set(keys) != set(want):
            check(False, f"{label}: {box} has exactly its messages (missing {len(set(want) - set(keys))}, "
                         f"extra {len(set(keys) - set(want))})")
            ok = False
            continue
        bad_flags = [k for k, fl, _ in msgs if fl != want[k][0]]
        bad_dates = [k for k, _, d in msgs if d != want[k][1]]
        if bad_flags or bad_dates:
            ok = False
            sample = next((m for m in msgs if m[0] in (bad_flags + bad_dates)[:1]), None)
            check(False, f"{label}: {box} flags ({len(bad_flags)} differ) and dates ({len(bad_dates)} differ) "
                         f"equal; e.g. {sample} vs {want.get(sample[0]) if sample else None}")
    extra = set(got) - set(expected)
    if extra:
        check(False, f"{label}: no other folder has messages ({sorted(extra)})")
        ok = False
    return ok


# A dry run says what it would do and changes nothing.
rc, out = migrate(inst.email, "--dry-run")
check(rc == 0 and "would copy" in out and "[Gmail]/All Mail" in out, f"dry run reports the plan: {out[-600:]}")
check(content(inst.email, inst.password) == {}, "the dry run stored nothing")

t0 = time.monotonic()
rc, out = migrate(inst.email)
took = time.monotonic() - t0
check(rc == 0, f"first run succeeds in {took:.1f} s: {out[-800:]}")
total = sum(len(v) for v in expected.values())
got = content(inst.email, inst.password)
check(compare(got, "first run"), f"the account holds exactly the {total} expected copies in {len(expected)} folders, "
                                   "flags and internal dates equal")
check("Starred" not in got and "[Gmail]/Starred" not in got, "Gmail's virtual Starred folder is not copied")

rc, out = migrate(inst.email)
check(rc == 0 and " 0 copies stored" in out, f"a second run copies nothing: {out.strip().splitlines()[-1:]}")
check(compare(content(inst.email, inst.password), "second run"), "... and the account is unchanged")

# Killed halfway with SIGKILL, then run again: the same result, nothing twice.
# --bwlimit stretches the run over a few seconds so that the kill lands in its middle.
p = migrate("kill@example.test", "--parallel", "2", "--bwlimit", "800k", wait=False)
deadline = time.monotonic() + 60
stored = 0
while time.monotonic() < deadline and p.poll() is None:
    time.sleep(0.3)
    try:
        c = hearth_login(inst, "kill@example.test", "kill-password-1")
        stored = sum(int(c.status(b, "(MESSAGES)")[1][0].split()[-1].rstrip(b")")) for b in ["INBOX", "Archive", "Work"])
        c.logout()
    except Exception:
        continue
    if stored > total // 4:
        break
running = p.poll() is None
p.send_signal(signal.SIGKILL)
p.wait()
check(running and 0 < stored, f"the run was killed halfway ({stored} copies in three folders)")
rc, out = migrate("kill@example.test")
check(rc == 0, f"the run after the kill succeeds: {out[-400:]}")
check(compare(content("kill@example.test", "kill-password-1"), "after kill -9"),
      "after kill -9 and a new run: exactly the expected copies, nothing twice")

# --folders and --since pick what is copied: Work only, messages received from a given day.
inst.cli(["user", "add", "some@example.test", "--password-stdin"], input="some-password-1\n")
cut = 300
day = time.strftime("%Y-%m-%d", time.gmtime(dovecot.date_of(cut)))
rc, out = migrate("some@example.test", "--folders", "Wor?", "--since", day)
got = content("some@example.test", "some-password-1")
day_start = time.mktime(time.strptime(day, "%Y-%m-%d")) - time.timezone
want_work = {k for k, (fl, d) in expected["Work"].items() if d >= day_start}
check(rc == 0 and set(got) == {"Work"} and {k for k, _, _ in got["Work"]} == want_work,
      f"--folders Wor? --since {day}: only Work's {len(want_work)} messages from that day ({ {b: len(v) for b, v in got.items()} })")

# A full quota stops the run with an error that names the folder and the UID.
inst.cli(["user", "add", "small@example.test", "--password-stdin", "--quota", "60000"], input="small-password-1\n")
rc, out = migrate("small@example.test", "--parallel", "1")
check(rc == 1 and "over its quota" in out and "UID " in out and "folder \"" in out,
      f"quota: {[l for l in out.splitlines() if 'quota' in l][:1]}")

# A wrong password is a clear error naming the login.
p = subprocess.run([HEARTH, "--config", inst.config, "migrate", "imap", "--from", f"imaps://{dv.ip}:{dv.imaps_port}",
                    "--login", dovecot.LOGIN, "--password-stdin", "--to", inst.email, "--ca", dv.ca],
                   input="wrong\n", capture_output=True, text=True, timeout=60)
check(p.returncode == 1 and "login as " + dovecot.LOGIN + " refused" in p.stderr, f"bad password: {p.stderr.strip()}")
# Without --ca the private CA is not trusted, and the error says so.
p = subprocess.run([HEARTH, "--config", inst.config, "migrate", "imap", "--from", f"imaps://{dv.ip}:{dv.imaps_port}",
                    "--login", dovecot.LOGIN, "--password-stdin", "--to", inst.email],
                   input=dovecot.PASSWORD + "\n", capture_output=True, text=True, timeout=60)
check(p.returncode == 1 and "not trusted" in p.stderr, f"untrusted certificate: {p.stderr.strip()}")
# STARTTLS on port 143 works the same way (and verifies the certificate); as another source,
# it reads every message again and finds each one already there.
p = subprocess.run([HEARTH, "--config", inst.config, "migrate", "imap", "--from", f"imap://{dv.ip}:{dv.imap_port}",
                    "--login", dovecot.LOGIN, "--password-stdin", "--to", inst.email, "--ca", dv.ca],
                   input=dovecot.PASSWORD + "\n", capture_output=True, text=True, timeout=120)
check(p.returncode == 0 and " 0 copies stored" in p.stdout, f"STARTTLS run: {p.stdout.strip()[-300:]} {p.stderr[-300:]}")
print(f"total {time.monotonic() - t_start:.1f} s")
finish()

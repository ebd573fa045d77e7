"""Real Thunderbird against a test instance: a fresh profile (mkprofile.sh: prefs.js, the dev CA
in its NSS db, the password in logins.json), Thunderbird started with its own protocol log
(MOZ_LOG) and, for the headless tests, Marionette to drive it through its own APIs.

Thunderbird connects to the instance by address (the dev certificate has an IP SAN for the
listen address). Everything runs with HOME inside the instance's temp folder; Thunderbird is
stopped by PID (SIGTERM first: it writes prefs.js and its caches on exit).
"""
import atexit
import email.utils
import json
import os
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import sys
import time

import hearth_test
from hearth_test import check
from marionette import Marionette

HERE = os.path.dirname(os.path.abspath(__file__))
_running = []


def _cleanup():
    for p in _running:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_cleanup)


def artifacts(name):
    """A folder kept after the test (screenshots, logs): beside the test's working directory."""
    d = os.path.join(os.getcwd(), "thunderbird-artifacts", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    return d


def submit(inst, subject, body="Hello Thunderbird.\r\n"):
    """One message from the account to itself over submissions (465), like any mail client."""
    msg = (f"From: {inst.email}\r\nTo: {inst.email}\r\nSubject: {subject}\r\n"
           f"Date: {email.utils.formatdate()}\r\nMessage-ID: {email.utils.make_msgid(domain=inst.domain)}\r\n\r\n{body}")
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    with smtplib.SMTP_SSL(inst.addr, inst.port("submissions"), context=ctx, timeout=30) as s:
        s.login(inst.email, inst.password)
        s.sendmail(inst.email, [inst.email], msg.encode())


def wait_for(fn, timeout, step=0.3):
    """Calls fn until it returns a true value or timeout seconds pass; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


class Thunderbird:
    def __init__(self, inst, name, caldav=False, empty=False, prefs=None):
        self.inst = inst
        self.work = os.path.join(inst.dir, "tb-" + name)
        self.profile = os.path.join(self.work, "profile")
        self.log_base = os.path.join(self.work, "tb")
        self.home = os.path.join(self.work, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ, HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                        XDG_CACHE_HOME=os.path.join(self.home, ".cache"),
                        TB_USER=inst.email, TB_PASS=inst.password or "", TB_CA=inst.ca_file(), TB_HOST=inst.addr,
                        TB_IMAPS_PORT=str(inst.port("imaps")), TB_SMTP_PORT=str(inst.port("submissions")),
                        TB_HTTPS_PORT=str(inst.port("https")), TB_WORK=self.work)
        args = [self.profile, "--marionette"] + (["--caldav"] if caldav else []) + (["--empty"] if empty else [])
        cp = subprocess.run(["bash", os.path.join(HERE, "mkprofile.sh")] + args, env=self.env,
                            capture_output=True, text=True, timeout=60)
        if cp.returncode != 0:
            raise RuntimeError(f"mkprofile.sh failed:\n{cp.stdout}\n{cp.stderr}")
        with open(os.path.join(self.profile, "prefs.js"), "a") as f:
            for k, v in (prefs or {}).items():
                f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")
        self.proc = None
        self.m = None

    def start(self, headless=True, extra=()):
        env = dict(self.env, MOZ_LOG="IMAP:4,SMTP:4,nsHttp:3,timestamp,sync", MOZ_LOG_FILE=self.log_base)
        args = ["thunderbird"] + (["--headless"] if headless else []) + [
            "--marionette", "-remote-allow-system-access", "--profile", self.profile, "--no-remote", *extra]
        self.out = open(os.path.join(self.work, "stdout.txt"), "ab")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        _running.append(self.proc)
        try:
            self.m = Marionette(self.profile)
        except Exception as e:
            # An alert (an IMAP error, say) keeps Thunderbird's window from finishing its start,
            # and Marionette's session waits for that window: say what the server answered.
            check(False, f"a Marionette session with Thunderbird ({e}); IMAP errors: {self.imap_errors()}")
            raise
        return self

    def js(self, script, *args, timeout=60):
        return self.m.js(script, args, timeout_ms=int(timeout * 1000))

    def stop(self):
        """SIGTERM (Thunderbird writes its caches and prefs.js), then SIGKILL after 10 s."""
        if self.m:
            try:
                self.m.close()
            except Exception:
                pass
            self.m = None
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        """Thunderbird's protocol log (the main process's MOZ_LOG file)."""
        try:
            with open(self.log_base + ".moz_log", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def imap_errors(self):
        return imap_errors(self.log())

    def http_errors(self):
        return http_errors(self.log())

    def keep(self, name):
        """Copies the logs and screenshots into the kept artifacts folder; returns it."""
        d = artifacts(name)
        for f in os.listdir(self.work):
            p = os.path.join(self.work, f)
            if os.path.isfile(p):
                shutil.copy(p, d)
        return d


def imap_errors(log):
    """Every NO/BAD answer, BYE and [ALERT] the server sent Thunderbird in a MOZ_LOG=IMAP:4 log,
    with the command that got it (tags are per connection: connection pointer + tag)."""
    sent, errors = {}, []
    for line in log.splitlines():
        m = re.search(r"I/IMAP (\w+):.*SendData: (\S+) (.*)", line)
        if m:
            sent[(m.group(1), m.group(2))] = sent[(m.group(1), "last")] = m.group(3)[:120]
            continue
        m = re.search(r"I/IMAP (\w+):.*CreateNewLineFromSocket: (\S+) (NO|BAD|BYE)\b(.*)", line)
        # The BYE that answers LOGOUT is no error.
        if m and not (m.group(3) == "BYE" and "logout" in sent.get((m.group(1), "last"), "").lower()):
            errors.append(f"{sent.get((m.group(1), m.group(2)), '?')} -> {m.group(2)} {m.group(3)}{m.group(4)[:120]}")
        elif "CreateNewLineFromSocket:" in line and "[ALERT]" in line:
            errors.append(line.split("CreateNewLineFromSocket:", 1)[1].strip()[:160])
    return errors


def http_errors(log):
    """Requests answered with 4xx/5xx in a MOZ_LOG=nsHttp log (status lines are logged at every
    level); Basic auth's 401 before the password is sent is left out."""
    out = []
    for line in log.splitlines():
        m = re.search(r"[\s\[](HTTP/1\.1|HTTP/2) ([45]\d\d)\b", line)
        if m and m.group(2) != "401" and "ParseLine" in line:
            out.append(line.strip()[-160:])
    return out


def show_on_failure(tb, name):
    """At exit: when a check failed, keep Thunderbird's logs and print where they are."""
    def show():
        if hearth_test._failures:
            d = tb.keep(name)
            print(f"---- Thunderbird logs kept in {d}")
            print("---- IMAP errors seen by Thunderbird:\n" + "\n".join(tb.imap_errors()[-20:]))
            # The kept folder is overwritten by the next run; CTest's log keeps what is printed,
            # so the last protocol exchanges go there too.
            wire = [l.strip()[-200:] for l in tb.log().splitlines()
                    if "SendData:" in l or "CreateNewLineFromSocket:" in l or "/SMTP " in l]
            print("---- Thunderbird's last IMAP/SMTP lines:\n" + "\n".join(wire[-60:]))
    atexit.register(show)

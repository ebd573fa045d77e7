"""Thunderbird's Account Hub from an empty profile, under Xvfb, as a new user meets it: name and
address typed, the settings found by autoconfig (https://autoconfig.DOMAIN on port 443), the
password typed, then the calendars and address books it discovers accepted. Runs
autoconfig_xvfb.sh, which needs root: it makes a private mount namespace whose /etc/hosts maps
the domain's names to this test's address and forwards port 443 there with socat (nothing
outside the namespace changes). Screenshots of every step are kept in
thunderbird-artifacts/account_hub/ beside the test's working directory."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "imap"))
from hearth_test import check, finish  # noqa: E402
from imap_common import start  # noqa: E402
from tblib import HERE, artifacts, http_errors, imap_errors  # noqa: E402

if os.geteuid() != 0:
    print("SKIP the Account Hub test needs root (unshare --mount, port 443)")
    sys.exit(77)  # SKIP_RETURN_CODE in tests.cmake

inst = start()
work = artifacts("account_hub")
env = dict(os.environ, TB_USER=inst.email, TB_PASS=inst.password, TB_CA=inst.ca_file(), TB_IP=inst.addr,
           TB_HTTPS_PORT=str(inst.port("https")), TB_WORK=work, TB_DISPLAY=inst.addr.split(".")[2], HOME=os.path.join(inst.dir, "tb-home"))
env.pop("DISPLAY", None)
os.makedirs(env["HOME"], exist_ok=True)
cp = subprocess.run(["bash", os.path.join(HERE, "autoconfig_xvfb.sh")], env=env, capture_output=True, text=True,
                    timeout=240)
print(cp.stdout + cp.stderr[-2000:])
for line in cp.stdout.splitlines():
    if line.startswith("ok ") or line.startswith("FAIL "):
        check(line.startswith("ok "), line.split(" ", 1)[1])
check(cp.returncode == 0, f"autoconfig_xvfb.sh exited {cp.returncode}")
try:
    with open(os.path.join(work, "profile-empty", "prefs.js")) as f:
        prefs = f.read()
except OSError:
    prefs = ""
check(f'carddav.url", "https://{inst.domain}/dav/addressbooks/{inst.email}/contacts/"' in prefs,
      "the hub subscribed the CardDAV address book it discovered")
try:
    with open(os.path.join(work, "ac.mozlog.moz_log"), errors="replace") as f:
        log = f.read()
except OSError:
    log = ""
errors = imap_errors(log)
check(not errors, "no NO, BAD or [ALERT] in Thunderbird's IMAP log" + "".join("\n  " + e for e in errors))
# Its calendar probe also tries HEAD, GET and PUT on https://DOMAIN/ and takes a 404 as "no
# calendar here"; a 5xx would be our failure.
errors = [e for e in http_errors(log) if re.search(r"HTTP/\S+ 5\d\d", e)]
check(not errors, "no 5xx in Thunderbird's HTTP log" + "".join("\n  " + e for e in errors))
finish()

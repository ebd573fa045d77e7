"""gloox (C++ client) against hearth: SCRAM-SHA-1 login over STARTTLS with a verified
certificate, roster, mutual subscription, messages both ways, offline delivery; the same with
PLAIN; and RFC 5802 downgrade protection: gloox restricted to SCRAM-SHA-1 sends the gs2 flag
"y" (it could bind, thinks the server cannot) while the server advertises -PLUS: refused."""
import os
import subprocess
import sys

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import instance_with_users, set_key  # noqa: E402

# -PLUS is off by default (auth.scram_plus); the downgrade check below needs it advertised.
inst, users = instance_with_users("bob", "carol", "dave", "erin", "frank",
                                  configure=lambda i: set_key(i.config, "auth", "scram_plus", '["xmpp"]'))
client = os.environ["GLOOX_CLIENT"]


def gloox(mech, a, b):
    cp = subprocess.run([client, inst.addr, str(inst.port("xmpp_client")), a[0], a[1], b[0], b[1], inst.ca_file(),
                         "--mech", mech, "--timeout", "15"], capture_output=True, text=True, timeout=120)
    print(cp.stdout)
    return cp


# Each run uses fresh accounts: the subscription step needs rosters without each other.
# "any" lets gloox choose: SCRAM-SHA-1 (its strongest that works here).
for mech, a, b in (("any", users["demo"], users["bob"]), ("plain", users["carol"], users["dave"])):
    cp = gloox(mech, a, b)
    for line in cp.stdout.splitlines():
        if line.startswith("ok   ") or line.startswith("FAIL "):
            check(line.startswith("ok"), f"gloox {mech}: {line[5:]}")
    check(cp.returncode == 0, f"gloox {mech}: every step passed (exit {cp.returncode})")
log = inst.log()
check(f"auth.ok proto=xmpp user={users['demo'][0]} ip=" in log and "mech=SCRAM-SHA-1" in log,
      "gloox logged in with SCRAM-SHA-1 (server log)")
check(f"user={users['carol'][0]}" in log and "mech=PLAIN" in log, "gloox logged in with PLAIN (server log)")

cp = gloox("scram", users["erin"], users["frank"])
check(cp.returncode != 0 and "FAIL login" in cp.stdout, "gs2 flag 'y' while -PLUS is advertised: login refused")
check("reason=channel_binding" in inst.log(), "the refusal is logged as reason=channel_binding")
finish()

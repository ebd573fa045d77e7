"""External services (XEP-0215) against Debian's coturn on loopback: hearth announces the
configured STUN/TURN server to a slixmpp user with TURN REST credentials (user name with an
expiry, password an HMAC under coturn's static-auth-secret); coturn's own test client
(turnutils_uclient) allocates a relay and sends through it with those credentials, and is
refused with a tampered password. The service list and the credentials query are checked for
their form; the feature is in the server's disco."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import NET, check, finish, _procs  # noqa: E402
from xmpp_util import instance_with_users, login, raw_iq, run, set_key  # noqa: E402

EXT = "urn:xmpp:extdisco:2"
SECRET = "turn-shared-" + os.urandom(8).hex()
TURN_ADDR = f"{NET}.2"
TURN_PORT = 34780

if not shutil.which("turnserver") or not shutil.which("turnutils_uclient"):
    print("coturn is not installed (scripts/packages/xmpp.txt): skipped")
    sys.exit(77)


def configure(i):
    set_key(i.config, "xmpp", "turn_host", f'"{TURN_ADDR}"')
    set_key(i.config, "xmpp", "turn_port", str(TURN_PORT))
    set_key(i.config, "xmpp", "turn_secret", f'"{SECRET}"')


inst, users = instance_with_users(configure=configure)
work = tempfile.mkdtemp(prefix="hearth-coturn-")
turn = subprocess.Popen(["turnserver", f"--listening-ip={TURN_ADDR}", f"--listening-port={TURN_PORT}",
                         f"--relay-ip={TURN_ADDR}", "--use-auth-secret", f"--static-auth-secret={SECRET}",
                         "--realm=" + inst.domain, "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
                         "--min-port=49160", "--max-port=49300", "--log-file=stdout", "--simple-log",
                         f"--pidfile={work}/turnserver.pid"],
                        stdout=open(os.path.join(work, "turn.log"), "wb"), stderr=subprocess.STDOUT)
_procs.append(turn)


def uclient(user, password):
    """coturn's client: allocate a relay, 3 messages client to client through it."""
    cp = subprocess.run(["turnutils_uclient", "-y", "-n", "3", "-u", user, "-w", password, "-p", str(TURN_PORT),
                         "-L", f"{NET}.3", TURN_ADDR], capture_output=True, text=True, timeout=60)
    return cp.returncode, cp.stdout + cp.stderr


async def scenario():
    c = await login(inst, *users["demo"], resource="calls")
    info = await raw_iq(c, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=inst.domain)
    feats = {f.get("var") for f in info.xml.iter("{http://jabber.org/protocol/disco#info}feature")}
    check(EXT in feats, "the server's disco#info lists urn:xmpp:extdisco:2")
    res = await raw_iq(c, "get", f"<services xmlns='{EXT}'/>", to=inst.domain)
    services = list(res.xml.iter(f"{{{EXT}}}service"))
    kinds = {(s.get("type"), s.get("transport")) for s in services}
    check({("stun", "udp"), ("turn", "udp"), ("turn", "tcp")} <= kinds, f"STUN and TURN are announced ({sorted(kinds)})")
    turn_udp = next((s for s in services if s.get("type") == "turn" and s.get("transport") == "udp"), None)
    check(turn_udp is not None and turn_udp.get("host") == TURN_ADDR and turn_udp.get("port") == str(TURN_PORT),
          "at the configured host and port")
    stun = next((s for s in services if s.get("type") == "stun"), None)
    check(stun is not None and stun.get("password") is None, "STUN without credentials")
    user, password = turn_udp.get("username"), turn_udp.get("password")
    expiry = int(user.split(":", 1)[0]) if user and ":" in user else 0
    check(user and user.endswith(":" + users["demo"][0]) and expiry > time.time(),
          f"the TURN user name is EXPIRY:JID with an expiry ahead ({user})")
    check(turn_udp.get("expires") is not None and turn_udp.get("restricted") == "1", "with expires and restricted")
    only_turn = await raw_iq(c, "get", f"<services xmlns='{EXT}' type='turn'/>", to=inst.domain)
    check({s.get("type") for s in only_turn.xml.iter(f"{{{EXT}}}service")} == {"turn"}, "type='turn' filters")
    cred = await raw_iq(c, "get", f"<credentials xmlns='{EXT}'><service host='{TURN_ADDR}' type='turn'/></credentials>",
                        to=inst.domain)
    check(any(s.get("password") for s in cred.xml.iter(f"{{{EXT}}}service")), "a credentials query answers the TURN service")

    rc, out = uclient(user, password)
    check(rc == 0 and "Total lost packets 0" in out, f"coturn accepts the credentials and relays (rc {rc})")
    rc, out = uclient(user, password[:-4] + ("AAAA" if not password.endswith("AAAA") else "BBBB"))
    check(rc != 0, f"coturn refuses a tampered password (rc {rc})")
    c.disconnect()


run(scenario())
turn.terminate()
try:
    turn.wait(5)
except subprocess.TimeoutExpired:
    turn.kill()
shutil.rmtree(work, True)
finish()

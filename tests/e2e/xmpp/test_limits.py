"""The [xmpp] limits in hearth.toml are the ones the sessions apply, and XMPP logs in through
the one shared authenticator (app passwords work, a block earned over XMPP holds for IMAP).

Every limit is set well below its default, and each check uses a load the default would
accept, so a key that was not wired in fails its check:
  max_stanza_size 8192 (a 10 KB stanza), max_depth 16 (20 nested elements),
  max_unauthenticated_bytes 4096 (5 KB before SASL), max_resources 2 (a third bind),
  offline_queue 2 (a third offline message), stanzas_per_second 2 (40 pings: under the
  default burst of 200)."""
import imaplib
import os
import re
import ssl
import sys
import time

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import Raw, instance_with_users, set_key  # noqa: E402


def configure(inst):
    for key, value in [("max_stanza_size", 8192), ("max_depth", 16), ("max_unauthenticated_bytes", 4096),
                       ("max_resources", 2), ("offline_queue", 2), ("stanzas_per_second", 2)]:
        set_key(inst.config, "xmpp", key, str(value))
    set_key(inst.config, "auth", "block_after", "3")
    set_key(inst.config, "auth", "delay_after", "100")


inst, users = instance_with_users("bob", "carol", configure=configure)
A, B, C = users["demo"], users["bob"], users["carol"]


def stream_error(r, what, expect="policy-violation"):
    out = r.recv_until("</stream:stream>", timeout=20)
    check(f"<{expect} " in out or f"<{expect}/>" in out, f"{what}: stream error {expect}")
    r.close()


def alive(what):
    r = Raw(inst)
    try:
        r.login(*B, resource="probe")
        r.send("<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>")
        check("type='result'" in r.recv_until("alive"), f"after {what}: the server still serves")
    except Exception as e:  # noqa: BLE001
        check(False, f"after {what}: the server still serves ({e})")
    finally:
        r.close()


# --- xmpp.max_stanza_size = 8192: a 10 KB message is a policy violation ---
r = Raw(inst)
r.login(*A, resource="big")
r.send(f"<message to='{B[0]}' type='chat'><body>" + "x" * 10240 + "</body></message>")
stream_error(r, "a 10 KB stanza over max_stanza_size 8192")
alive("max_stanza_size")

# --- xmpp.max_depth = 16: 20 nested elements ---
r = Raw(inst)
r.login(*A, resource="deep")
r.send(f"<message to='{B[0]}'>" + "<a>" * 20 + "</a>" * 20 + "</message>")
stream_error(r, "20 nested elements over max_depth 16")

# --- xmpp.max_unauthenticated_bytes = 4096: 5 KB of whitespace before SASL ---
r = Raw(inst)
r.starttls()
try:
    r.send(" " * 5120)
except OSError:
    pass
stream_error(r, "5 KB before authentication over max_unauthenticated_bytes 4096")
alive("max_unauthenticated_bytes")

# --- xmpp.max_resources = 2: the third resource of one account is refused ---
r1, r2, r3 = Raw(inst), Raw(inst), Raw(inst)
r1.login(*C, resource="one")
r2.login(*C, resource="two")
try:
    r3.login(*C, resource="three")
    third = "bound"
except RuntimeError as e:
    third = str(e)
check("resource-constraint" in third, f"a third resource is refused with resource-constraint ({third[:120]})")
for r in (r1, r2, r3):
    r.close()

# --- xmpp.offline_queue = 2: the third message to an offline account bounces ---
# carol is offline now (her sessions above are closed; a second for the server to see it).
r = Raw(inst, timeout=20)
r.login(*A, resource="offline")
time.sleep(1)
for i in range(3):
    r.send(f"<message to='{C[0]}' type='chat' id='off{i}'><body>offline {i}</body></message>")
out = r.recv_until("id='off2'", timeout=10)
out += r.recv_until("</message>", timeout=5)
check(re.search(r"id='off2'[^>]*type='error'|type='error'[^>]*id='off2'", out) is not None
      and "resource-constraint" in out, "the third offline message bounces with resource-constraint")
check("id='off0'" not in out and "id='off1'" not in out, "the first two offline messages are stored")
r.close()

# --- xmpp.stanzas_per_second = 2: 40 pings are throttled (the default allows a burst of 200) ---
r = Raw(inst, timeout=120)
r.login(*A, resource="flood")
r.send("".join(f"<iq type='get' id='f{i}'><ping xmlns='urn:xmpp:ping'/></iq>" for i in range(40)))
alive("a throttled client")
out = r.recv_until("id='f39'", timeout=60)
check("id='f39'" in out, "every throttled ping is answered")
check("xmpp.throttle" in inst.log(), "40 pings at stanzas_per_second 2 were throttled (xmpp.throttle logged)")
r.close()

# --- the shared authenticator: an app password logs in over XMPP ---
cp = inst.cli(["user", "app-password", "add", B[0], "chat"])
m = re.search(r"password: (\S+)", cp.stdout)
check(m is not None, "app password created")
if m:
    r = Raw(inst)
    try:
        check(bool(r.login(B[0].split("@")[0], m.group(1), resource="app")), "XMPP login with an app password")
    except RuntimeError as e:
        check(False, f"XMPP login with an app password ({e})")
    r.close()

# --- the shared authenticator: failures over XMPP block the account's IMAP login too ---
for i in range(4):
    r = Raw(inst)
    try:
        r.login(C[0], "wrong-password", resource="x")
    except RuntimeError:
        pass
    r.close()
ctx = ssl.create_default_context(cafile=inst.ca_file())
try:
    im = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx)
    try:
        im.login(*C)
        blocked = False
    except imaplib.IMAP4.error:
        blocked = True
    check(blocked, "after failed XMPP logins, IMAP refuses the right password (one throttle for all protocols)")
    im.logout()
except OSError as e:
    check(False, f"IMAP reachable ({e})")
check("proto=xmpp" in inst.log() and "auth.block" in inst.log(), "the block is logged by the shared authenticator")
finish()

"""Debian 12's slixmpp (1.8.3) logs in with its default SASL choice, over STARTTLS and direct
TLS, again and again: -PLUS is not offered by default, so it uses SCRAM-SHA-256. Where an
administrator turns -PLUS on for XMPP (auth.scram_plus), slixmpp cannot complete it (tls-unique
under TLS 1.3, then the gs2 flag "y"), and those refusals are not counted as failed passwords:
the same address and account still log in at once afterwards. Where -PLUS is offered, the
stream features name tls-exporter (XEP-0440)."""
import asyncio
import os
import sys

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import Raw, instance_with_users, login, run, set_key  # noqa: E402

ROUNDS = 5  # each refused default login is two or three channel-binding refusals

plain, users = instance_with_users(host=1)
plus, plus_users = instance_with_users(host=2, configure=lambda i: set_key(i.config, "auth", "scram_plus", '["xmpp"]'))


async def try_login(inst, jid, pw, **kw):
    try:
        c = await login(inst, jid, pw, presence=False, roster=False, timeout=10, **kw)
    except RuntimeError:
        return False
    c.disconnect()
    await asyncio.sleep(0.1)
    return True


async def scenario():
    jid, pw = users["demo"]
    for i in range(ROUNDS):
        for direct in (False, True):
            ok = await try_login(plain, jid, pw, direct_tls=direct, sasl_mech=None)
            check(ok, f"slixmpp with its default mechanism logs in ({'direct TLS' if direct else 'STARTTLS'}, round {i + 1})")
    log = plain.log()
    check("auth.fail" not in log, "no refused attempt before those logins")
    check(log.count("mech=SCRAM-SHA-256") >= 2 * ROUNDS, "slixmpp chose SCRAM-SHA-256")

    jid, pw = plus_users["demo"]
    refused = 0
    for i in range(ROUNDS):
        refused += not await try_login(plus, jid, pw, sasl_mech=None)
    log = plus.log()
    print(f"info with -PLUS offered, {refused} of {ROUNDS} default slixmpp logins failed; "
          f"{log.count('reason=channel_binding')} channel-binding refusals logged")
    check(log.count("reason=channel_binding") >= 10, "the -PLUS attempts were refused on their channel binding")
    check(await try_login(plus, jid, pw, sasl_mech="PLAIN"), "the same client and account then log in with PLAIN")
    log = plus.log()
    check("auth.block" not in log, "channel-binding refusals did not block the address or the account")
    last = [l for l in log.splitlines() if " auth.ok " in l][-1:]
    check(bool(last) and "mech=PLAIN" in last[0], f"the PLAIN login succeeded: {last}")


run(scenario())

# XEP-0440: the channel-binding type is announced exactly where -PLUS is offered.
for inst, offered in ((plain, False), (plus, True)):
    feats = Raw(inst, direct_tls=True)
    feats.send(feats.header())
    out = feats.recv_until("</stream:features>")
    feats.sock.close()
    has_plus = "SCRAM-SHA-256-PLUS" in out
    has_cb = "urn:xsf:sasl-cb:0" in out and "<channel-binding type='tls-exporter'/>" in out
    check("<mechanisms" in out and has_plus == offered and has_cb == offered,
          f"-PLUS and XEP-0440 tls-exporter {'offered' if offered else 'absent'}: {out[-400:]}")
finish()

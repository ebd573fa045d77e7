"""A large room (XEP-0045): 10 000 occupants seated in one room, and a slow occupant.

The crowd: alice (slixmpp) creates big@conference.DOMAIN and configures it for 10 000 occupants
broadcasting only moderators' presence (muc#roomconfig_presencebroadcast), so a join costs the
newcomer's own presence and not one per occupant each way. bench_xmpp (our C++ load client, 16
threads, SCRAM over STARTTLS) seats 9 999 more occupants (9 accounts of 1 111 resources, and one);
meanwhile bob and carol chat one to one. Then alice's message reaches a sample of 20 occupants
spread over the room, the 10 001st join is refused with service-unavailable, and the server
still serves everyone.

The slow occupant: in a small room, a raw client joins and then never reads. alice floods the
room with large messages; once its queue passes xmpp.max_queue, that session is dropped (the
others see it leave, the log says why) while alice, who reads, gets every message and the room
goes on serving her. alice sends each batch of the flood only once she has read her own copy
of the previous one: she is a client that reads, however slowly this machine runs her, so
that the only queue to pass xmpp.max_queue is the slow occupant's."""
import asyncio
import os
import re
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import NET, check, finish  # noqa: E402
from xmpp_util import Raw, instance_with_users, login, raw_iq, run, set_key  # noqa: E402

BENCH = os.environ.get("BENCH_XMPP", "")
CROWD = 9999          # + alice = 10 000 occupants
ACCOUNTS = 10         # crowd0 (the first client) and crowd1..crowd9 (1 111 resources each)
CROWD_PW = "pw-crowd-secret"
MAX_QUEUE = 64
PLUGINS = ("xep_0030", "xep_0045", "xep_0004")


def configure(inst):
    set_key(inst.config, "server", "max_connections_per_ip", "0")
    set_key(inst.config, "xmpp", "max_resources", "2000")
    set_key(inst.config, "xmpp", "max_queue", str(MAX_QUEUE))
    set_key(inst.config, "xmpp", "stanzas_per_second", "0")
    set_key(inst.config, "xmpp", "muc_messages_per_second", "0")
    set_key(inst.config, "log", "level", '"warn"')
    for i in range(ACCOUNTS):
        inst.cli(["user", "add", f"crowd{i}@example.test", "--password-stdin"], input=CROWD_PW + "\n")


# 10 000 connections on each side: the server and bench_xmpp inherit this process's limit.
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
except (ValueError, OSError):  # not root: as far as the hard limit allows
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < CROWD + 500:
    print(f"needs {CROWD + 500} open files per process, the limit is {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} "
          "and cannot be raised here: skipped")
    sys.exit(77)

if not BENCH or not os.access(BENCH, os.X_OK):
    print(f"bench_xmpp not built ({BENCH!r}): build the bench_xmpp target")
    sys.exit(1)

inst, users = instance_with_users("bob", "carol", configure=configure)
ALICE, BOB, CAROL = users["demo"], users["bob"], users["carol"]
SERVICE = "conference." + inst.domain
BIG = "big@" + SERVICE
SLOW = "slow@" + SERVICE


def owner_form(fields):
    values = "".join(f"<field var='{k}'>" + "".join(f"<value>{v}</value>" for v in (vs if isinstance(vs, list) else [vs]))
                     + "</field>" for k, vs in fields.items())
    return ("<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
            "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
            f"{values}</x></query>")


async def make_room(c, room, nick, fields):
    await c.plugin["xep_0045"].join_muc_wait(room, nick, timeout=10)
    await raw_iq(c, "set", owner_form(fields), to=room)


async def chat_works(a, b, text):
    """a sends b a chat message; True when b has it."""
    a.send_message(mto=b.boundjid.bare, mbody=text, mtype="chat")
    return await b.wait_until(lambda: any(m["body"] == text for m in b.messages), timeout=20)


async def crowd():
    loop = asyncio.get_event_loop()
    alice = await login(inst, *ALICE, resource="pc", plugins=PLUGINS)
    room_presences = []
    alice.add_event_handler("groupchat_presence", lambda p: room_presences.append(p))
    bob = await login(inst, *BOB, resource="pc")
    carol = await login(inst, *CAROL, resource="pc")
    await make_room(alice, BIG, "alice", {"muc#roomconfig_maxusers": "10000",
                                          "muc#roomconfig_presencebroadcast": ["moderator"],
                                          "muc#roomconfig_enablelogging": "0"})
    form = await raw_iq(alice, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>", to=BIG)
    check("muc#roomconfig_presencebroadcast" in str(form) and
          re.search(r"presencebroadcast.*?<value>moderator</value>", str(form), re.S) is not None,
          "the room's configuration form has muc#roomconfig_presencebroadcast, set to moderator")

    t0 = time.monotonic()
    bench = subprocess.Popen([BENCH, inst.addr, str(inst.port("xmpp_client")), inst.domain, inst.ca_file(), CROWD_PW,
                              "crowd", str(CROWD), "--accounts", str(ACCOUNTS), "--src", NET.split(".")[-1],
                              "--no-presence", "--muc", BIG, "--probe", "hello crowd 4242", "--sample", "20"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        def next_line():
            """The next line bench_xmpp prints (without its newline); None at its end."""
            line = bench.stdout.readline()
            if not line:
                return None
            lines.append(line.rstrip())
            print("bench_xmpp:", lines[-1], flush=True)
            return lines[-1]

        # One to one while the crowd logs in and joins (an unrelated user is served meanwhile).
        chatted = await chat_works(bob, carol, "are you there, carol?")
        seated = ""
        while True:
            line = await loop.run_in_executor(None, next_line)
            if line is None or line.startswith("muc seated"):
                break
            if line.startswith("muc joins"):
                seated = line
        check(chatted, "bob's chat message reaches carol while 9 999 occupants log in and join")
        m = re.search(r"muc joins: (\d+)/(\d+) in ([\d.]+) s \((\d+) joins/s\)", seated)
        check(m is not None and m.group(1) == m.group(2) == str(CROWD),
              f"9 999 occupants join the room besides alice: 10 000 in all ({seated or lines[-3:]})")
        if m:
            print(f"seated {CROWD + 1} occupants; joins: {m.group(3)} s, {m.group(4)} joins/s; "
                  f"with logins {time.monotonic() - t0:.1f} s")
        # Nobody's join was broadcast to alice: the crowd are participants.
        crowd_seen = [p for p in room_presences + alice.presences if str(p["from"]).startswith(BIG + "/n")]
        check(not crowd_seen, f"alice (a moderator) is sent none of the participants' presences ({len(crowd_seen)})")

        alice.send_message(mto=BIG, mbody="hello crowd 4242", mtype="groupchat")
        sample = ""
        while True:
            line = await loop.run_in_executor(None, next_line)
            if line is None:
                break
            if line.startswith("muc sample"):
                sample = line
            if line.startswith("muc over capacity"):
                break
        check(sample == "muc sample: 20/20 received", f"a sample of 20 occupants receives alice's message ({sample})")
        got_own = await alice.wait_until(lambda: any(m["body"] == "hello crowd 4242" for m in alice.messages), timeout=30)
        check(got_own, "alice gets her own message reflected by the room of 10 000")
        over = lines[-1] if lines else ""
        check(over == "muc over capacity: refused service-unavailable",
              f"the 10 001st join is refused with service-unavailable ({over})")
        check(await chat_works(carol, bob, "the big room is full"), "one-to-one chat still works with the room full")
    finally:
        try:
            bench.wait(timeout=10)
        except subprocess.TimeoutExpired:
            bench.kill()
            bench.wait()
    check(bench.returncode == 0, f"bench_xmpp exits 0 ({bench.returncode})")
    await slow_occupant(alice, room_presences)
    for c in (alice, bob, carol):
        c.disconnect()
    await asyncio.sleep(0.3)


async def slow_occupant(alice, room_presences):
    import socket
    loop = asyncio.get_event_loop()
    await make_room(alice, SLOW, "alice", {"muc#roomconfig_enablelogging": "0"})
    slow = Raw(inst)
    # A small receive buffer: the server's writes to it block after a few hundred KB.
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    await loop.run_in_executor(None, slow.login, *CAROL, "slow")
    slow.send(f"<presence to='{SLOW}/slowpoke'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
    joined = await loop.run_in_executor(None, slow.recv_until, "</subject>")
    check("</subject>" in joined or "<subject/>" in joined, "the slow occupant joins the small room")
    # From now on it reads nothing. 100 KB messages fill the socket buffers, then its queue.
    body = "x" * 100_000
    gone = lambda: any(str(p["from"]) == SLOW + "/slowpoke" and p["type"] == "unavailable"  # noqa: E731
                       for p in room_presences)
    def has_own(n):
        prefix = f"flood {n} "
        return lambda: any(str(m["body"]).startswith(prefix) for m in alice.messages[-40:])

    sent = 0
    while sent < 600 and not gone():
        for _ in range(20):
            alice.send_message(mto=SLOW, mbody=f"flood {sent} {body}", mtype="groupchat")
            sent += 1
        # The room reflects each message to its sender: alice reads hers before the next batch.
        if not await alice.wait_until(has_own(sent - 1), timeout=30):
            break
    dropped = await alice.wait_until(gone, timeout=30)
    check(dropped, f"the occupant that does not read is dropped from the room once its queue overflows ({sent} sent)")
    check(re.search(r"xmpp\.overflow .*jid=carol@example\.test/slow", inst.log()) is not None,
          "the server's log says which session overflowed")
    alice.send_message(mto=SLOW, mbody="after the flood", mtype="groupchat")
    got = await alice.wait_until(lambda: any(m["body"] == "after the flood" for m in alice.messages), timeout=30)
    check(got, "the room goes on serving the others after the drop")
    slow.close()


run(crowd(), timeout=240)
inst.stop()
finish()

"""Outgoing s2s retries back off and give up: a remote server that authenticates our stream and
then closes it before we could write anything must not be reconnected to in a busy loop, and
the sender must get a stanza error once hearth gives up (RFC 6120 §8.3.3.16
remote-server-timeout).

The remote is a fake XMPP server in this file, on its own loopback address, found through knot
(_xmpp-server._tcp.far.test). It is fake because no real server (hearth included) can be made
to close a stream at exactly that point: it does STARTTLS, answers our dialback key "valid" and
sends its stream close in the same write, then drops the connection. It counts connections.
A second fake (shut.test) sends its stream header and closes: that attempt fails during the
handshake, which must bounce at once after one connection (remote-server-not-found).

Hosts on the test's NET: .10 knot, .11 hearth, .12 and .13 the fake remotes."""
import asyncio
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

from hearth_test import NET, check, finish
from knot import Knot

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import Instance  # noqa: E402
from xmpp_util import login, run, set_key, stanza_error_condition  # noqa: E402

S2S_PORT = 5269 + 20000
GIVE_UP = 4  # xmpp.s2s_give_up for this test: seconds of failed attempts before the bounce
REMOTE = "far.test"
REMOTE_ADDR = f"{NET}.12"
SHUT = "shut.test"
SHUT_ADDR = f"{NET}.13"

dns = Knot(addr=f"{NET}.10", port=5353,
           zones={REMOTE: f"_xmpp-server._tcp SRV 0 5 {S2S_PORT} xmpp\nxmpp A {REMOTE_ADDR}\n",
                  SHUT: f"_xmpp-server._tcp SRV 0 5 {S2S_PORT} xmpp\nxmpp A {SHUT_ADDR}\n"}).start()

inst = Instance("alice@a.test", host=11)
set_key(inst.config, "dns", "servers", f'["{NET}.10:5353"]')
set_key(inst.config, "xmpp", "s2s_give_up", str(GIVE_UP))
inst.cli(["config", "check"])
inst.start(wait_for="xmpp_client")

# The fake remote's certificate: self-signed, so hearth authenticates it by dialback, which the
# fake answers "valid" without asking anyone.
cert = os.path.join(inst.dir, "far.crt")
key = os.path.join(inst.dir, "far.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={REMOTE}",
                "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls_ctx.load_cert_chain(cert, key)


class FakeRemote:
    """Accepts s2s connections on addr; each one gets as far as a valid dialback result,
    immediately followed by </stream:stream>, and is closed (with header_only, as far as the
    stream header). Counts connections and how many reached the dialback answer."""

    def __init__(self, addr, header_only=False):
        self.header_only = header_only
        self.connections = []  # monotonic time of each accept
        self.authenticated = 0
        self.lock = threading.Lock()
        self.sock = socket.create_server((addr, S2S_PORT))
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            with self.lock:
                self.connections.append(time.monotonic())
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _recv_until(s, needle):
        buf = ""
        while needle not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk.decode(errors="replace")
        return buf

    def _serve(self, conn):
        hdr = ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
               "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
               f"from='{REMOTE}' to='a.test' id='fake-{id(conn)}' version='1.0'>")
        try:
            conn.settimeout(10)
            self._recv_until(conn, "version='1.0'>")
            if self.header_only:
                conn.sendall(hdr.encode())
                return
            conn.sendall((hdr + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
                          "</starttls></stream:features>").encode())
            self._recv_until(conn, "<starttls")
            conn.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            tls = tls_ctx.wrap_socket(conn, server_side=True)
            self._recv_until(tls, "version='1.0'>")
            tls.sendall((hdr + "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"
                         "</stream:features>").encode())
            self._recv_until(tls, "</db:result>")
            with self.lock:
                self.authenticated += 1
            # The answer and the close in one write: hearth sees the stream end before it has
            # written any of the queued stanzas.
            tls.sendall(f"<db:result from='{REMOTE}' to='a.test' type='valid'/></stream:stream>".encode())
            tls.close()
        except (OSError, ConnectionError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def count(self):
        with self.lock:
            return len(self.connections)

    def stop(self):
        self.stopping = True
        self.sock.close()
        self.thread.join(timeout=2)


remote = FakeRemote(REMOTE_ADDR)
shut = FakeRemote(SHUT_ADDR, header_only=True)


async def scenario():
    a = await login(inst, inst.email, inst.password, resource="pc")
    t0 = time.monotonic()
    a.send_message(mto=f"someone@{REMOTE}", mbody="anyone there?", mtype="chat")

    def bounced():
        return next((m for m in a.all_messages if m["type"] == "error" and m["from"].bare == f"someone@{REMOTE}"),
                    None)

    await a.wait_until(lambda: time.monotonic() - t0 >= 5, timeout=6)
    in_5s = remote.count()
    check(remote.authenticated >= 1, f"the fake remote was reached and answered dialback ({remote.authenticated} times)")
    check(1 <= in_5s <= 5, f"at most 5 connections to the closing remote in 5 s ({in_5s})")

    got = await a.wait_until(lambda: bounced() is not None, timeout=GIVE_UP + 10)
    check(got, f"the sender gets an error after the give-up time ({time.monotonic() - t0:.1f} s)")
    err = bounced()
    check(err is not None and stanza_error_condition(err) == "remote-server-timeout",
          f"the bounce is remote-server-timeout ({err is not None and stanza_error_condition(err)})")

    # Given up: nothing more is attempted for that stanza.
    after = remote.count()
    await asyncio.sleep(3)
    check(remote.count() == after, f"no connection after the bounce ({after} then {remote.count()})")

    # A new stanza starts afresh, and is delivered to nobody but bounced again the same way.
    n0 = remote.count()
    a.send_message(mto=f"someone@{REMOTE}", mbody="still there?", mtype="chat")
    got = await a.wait_until(lambda: sum(1 for m in a.all_messages if m["type"] == "error") >= 2, timeout=GIVE_UP + 10)
    check(got and remote.count() - n0 <= 5, f"a later stanza is retried and bounced again ({remote.count() - n0} connections)")

    # A remote that closes during the handshake: one connection, then the bounce.
    t1 = time.monotonic()
    a.send_message(mto=f"someone@{SHUT}", mbody="hello?", mtype="chat")
    got = await a.wait_until(lambda: any(m["type"] == "error" and m["from"].bare == f"someone@{SHUT}"
                                         for m in a.all_messages), timeout=10)
    check(got, f"a stanza to a remote that closes during the handshake bounces ({time.monotonic() - t1:.1f} s)")
    err = next((m for m in a.all_messages if m["type"] == "error" and m["from"].bare == f"someone@{SHUT}"), None)
    check(err is not None and stanza_error_condition(err) == "remote-server-not-found",
          f"that bounce is remote-server-not-found ({err is not None and stanza_error_condition(err)})")
    await asyncio.sleep(2)
    check(shut.count() == 1, f"one connection to the remote that closes during the handshake ({shut.count()})")
    a.disconnect()
    await asyncio.sleep(0.3)


run(scenario())
remote.stop()
shut.stop()
total = remote.count()
retries = len(re.findall(r"xmpp\.s2s\.out\.retry .*to=far\.test", inst.log()))
check(0 < retries <= total, f"one xmpp.s2s.out.retry log line per retried attempt ({retries} lines, {total} connections)")
check(re.search(r"xmpp\.s2s\.out\.give_up .*to=far\.test.*condition=remote-server-timeout", inst.log()) is not None,
      "the give-up is logged (xmpp.s2s.out.give_up)")
finish()

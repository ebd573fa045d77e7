"""A minimal SMTP server standing for a remote MTA in tests (the real one cannot run here):
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. Each read has a timeout, each line a length
limit, each message a size limit.

A message counts as received when its final "." arrives, before the 250 is sent: that is when
a real MTA has it and may deliver it, whether or not its reply reaches the sender (the case
RFC 5321 §4.1.1.4 leaves to duplicates). `hold(predicate)` makes the sink keep the 250 of the
messages it matches until release() (or `hold_limit` seconds), so a test can act while the
sender waits for it.
"""
import socket
import threading
import time


class Sink:
    def __init__(self, addr, port, hold_limit=60.0):
        self.messages = []   # (peer address, bytes), in the order received
        self.held = []       # the same, for messages whose reply is being held
        self._hold = None
        self._released = threading.Event()
        self._hold_limit = hold_limit
        self._lock = threading.Lock()
        self.sock = socket.create_server((addr, port))
        self.sock.settimeout(0.5)
        self.stopping = False
        threading.Thread(target=self._serve, daemon=True).start()

    def hold(self, predicate):
        """Holds the 250 of every later message for which predicate(bytes) is true."""
        self._released.clear()
        self._hold = predicate

    def release(self):
        self._hold = None
        self._released.set()

    def stop(self):
        self.stopping = True
        self.release()
        self.sock.close()

    def count(self, needle):
        with self._lock:
            return sum(1 for _, m in self.messages if needle in m)

    def senders(self, needle):
        """The peer addresses that sent a message containing needle, one per copy."""
        with self._lock:
            return [peer for peer, m in self.messages if needle in m]

    def _serve(self):
        while not self.stopping:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._session, args=(conn, peer[0]), daemon=True).start()

    def _session(self, conn, peer):
        conn.settimeout(30)
        f = conn.makefile("rb")

        def say(text):
            conn.sendall(text.encode() + b"\r\n")

        try:
            say("220 sink.remote.test ESMTP")
            for _ in range(100):
                line = f.readline(2048)
                if not line:
                    return
                verb = line.decode("latin-1").strip()[:4].upper()
                if verb in ("EHLO", "HELO"):
                    say("250 sink.remote.test")
                elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                    say("250 2.0.0 ok")
                elif verb == "DATA":
                    say("354 go on")
                    data = b""
                    while len(data) < 1_000_000:
                        l = f.readline(4096)
                        if not l or l == b".\r\n":
                            break
                        data += l
                    with self._lock:
                        self.messages.append((peer, data))
                    hold = self._hold
                    if hold and hold(data):
                        with self._lock:
                            self.held.append((peer, data))
                        deadline = time.monotonic() + self._hold_limit
                        while not self._released.wait(0.2) and time.monotonic() < deadline and not self.stopping:
                            pass
                    say("250 2.0.0 queued")
                elif verb == "QUIT":
                    say("221 2.0.0 bye")
                    return
                else:
                    say("500 5.5.2 what")
        except OSError:
            return
        finally:
            conn.close()

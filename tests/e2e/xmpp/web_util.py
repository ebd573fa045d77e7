"""A small hand-written WebSocket client (RFC 6455) over TLS for the XMPP-over-WebSocket tests
(RFC 7395): the framing is written out here so that tests can also send what a library would
refuse to (unmasked, oversize, malformed frames)."""
import base64
import os
import re
import socket
import ssl
import struct
import time


def tls_socket(inst, timeout=10.0):
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    raw = socket.create_connection((inst.addr, inst.port("https")), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname=inst.hostname)


def frame(op, payload, fin=True, mask=True, rsv=0, length=None):
    """A client frame; `length` overrides the length in the header (lies allowed)."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv | op])
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n <= 0xFFFF:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class WebSocket:
    def __init__(self, inst, origin=None, protocol="xmpp", path="/xmpp-websocket", timeout=10.0):
        self.sock = tls_socket(inst, timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {inst.hostname}:{inst.port('https')}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n")
        if protocol:
            req += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        if origin:
            req += f"Origin: {origin}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode(errors="replace")
        self.status = int(self.head.split(" ")[1]) if self.head.startswith("HTTP/1.1 ") else 0
        if self.status != 101:
            m = re.search(r"Content-Length: (\d+)", self.head, re.I)
            want = int(m.group(1)) if m else 0
            while len(self.buf) < want:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
            self.body = self.buf.decode(errors="replace")
        self.closed = None  # (code, reason) of the server's close frame

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, text):
        self.sock.sendall(frame(1, text))

    def _read(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError, OSError):
                return False
            if not chunk:
                return False
            self.buf += chunk
        return True

    def recv_frame(self, timeout=10.0):
        """(opcode, payload bytes), or None on close/timeout."""
        deadline = time.monotonic() + timeout
        if not self._read(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n, head = b1 & 0x7F, 2
        if n == 126:
            if not self._read(4, deadline):
                return None
            n, head = struct.unpack(">H", self.buf[2:4])[0], 4
        elif n == 127:
            if not self._read(10, deadline):
                return None
            n, head = struct.unpack(">Q", self.buf[2:10])[0], 10
        if b1 & 0x80:
            raise AssertionError("the server masked a frame")
        if not self._read(head + n, deadline):
            return None
        payload, self.buf = self.buf[head:head + n], self.buf[head + n:]
        op = b0 & 0x0F
        if op == 8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            self.closed = (code, payload[2:].decode(errors="replace"))
        return op, payload

    def recv(self, timeout=10.0):
        """The next text message as a string, or None (close frame or timeout)."""
        while True:
            f = self.recv_frame(timeout)
            if f is None or f[0] == 8:
                return None
            if f[0] == 1:
                return f[1].decode()

    def recv_until(self, needle, timeout=10.0):
        """Messages until one contains needle; returns them all joined."""
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(deadline - time.monotonic())
            if m is None:
                break
            out.append(m)
            if needle in m:
                break
        return "\n".join(out)

    def wait_close(self, timeout=10.0):
        """Reads until the server's close frame; returns its (code, reason) or None."""
        deadline = time.monotonic() + timeout
        while self.closed is None and time.monotonic() < deadline:
            if self.recv_frame(deadline - time.monotonic()) is None:
                break
        return self.closed

    def eof(self, timeout=5.0):
        """Whether the server closed the TCP connection within timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return False
            except OSError:
                return True
            if not chunk:
                return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


OPEN = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{}' version='1.0'/>"
CLOSE = "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"


def ws_login(inst, jid, password, resource="web", origin=None):
    """Opens, authenticates with PLAIN, binds; returns (ws, full jid)."""
    domain = jid.split("@", 1)[1]
    ws = WebSocket(inst, origin=origin)
    assert ws.status == 101, ws.head
    ws.send(OPEN.format(domain))
    feats = ws.recv_until("</stream:features>")
    assert "<mechanism>PLAIN</mechanism>" in feats, feats
    cred = base64.b64encode(f"\0{jid.split('@')[0]}\0{password}".encode()).decode()
    ws.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
    res = ws.recv()
    assert res and "<success" in res, res
    ws.send(OPEN.format(domain))
    feats = ws.recv_until("</stream:features>")
    assert "urn:ietf:params:xml:ns:xmpp-bind" in feats, feats
    ws.send(f"<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
            f"<resource>{resource}</resource></bind></iq>")
    bound = ws.recv_until("</iq>")
    m = re.search(r"<jid>([^<]+)</jid>", bound)
    assert m, bound
    return ws, m.group(1), feats

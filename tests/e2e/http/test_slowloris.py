"""Slow HTTPS clients cannot hold the listener: a request head trickled a byte
at a time is cut at http.header_timeout, a body trickled below http.body_min_rate at
http.body_timeout, while a body that keeps up the rate may take longer than body_timeout; and a
client over server.max_connections_per_ip gets 503 with Retry-After, not a reset. The test
shortens the deadlines (2 s) to stay quick."""
import re
import socket
import ssl
import time

from hearth_test import NET, Instance, check, finish, set_key

inst = Instance(host=1)
set_key(inst.config, "http", "header_timeout", "2")
set_key(inst.config, "http", "body_timeout", "2")
set_key(inst.config, "http", "body_min_rate", "500")
set_key(inst.config, "server", "max_connections_per_ip", "5")
inst.start(wait_for="https")
ctx = ssl.create_default_context(cafile=inst.ca_file())
CLIENT = f"{NET}.2"
port = inst.port("https")


def tcp():
    s = socket.create_connection((inst.addr, port), 10, source_address=(CLIENT, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def tls():
    return ctx.wrap_socket(tcp(), server_hostname=inst.hostname)


def trickle(s, data, interval, limit):
    """Sends data one byte per interval until the server closes; returns (seconds, bytes sent, reply)."""
    t0 = time.monotonic()
    sent = 0
    s.settimeout(interval)
    reply = b""
    while time.monotonic() - t0 < limit:
        try:
            s.sendall(data[sent % len(data):sent % len(data) + 1])
            sent += 1
        except OSError:
            break
        try:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            break
    return time.monotonic() - t0, sent, reply


def request(s, raw):
    """Sends raw, returns the whole response (head and Content-Length body)."""
    s.settimeout(10)
    s.sendall(raw)
    out = b""
    while b"\r\n\r\n" not in out:
        chunk = s.recv(4096)
        if not chunk:
            return out
        out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
    while m and len(body) < int(m.group(1)):
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


# --- a normal request is answered -----------------------------------------------------------
s = tls()
reply = request(s, f"GET /no/such/path HTTP/1.1\r\nHost: {inst.hostname}\r\n\r\n".encode())
check(reply.startswith(b"HTTP/1.1 404"), f"a normal request is answered ({reply[:20]!r})")
s.close()

# --- slowloris on the head: one byte every 0.5 s --------------------------------------------
s = tls()
took, sent, reply = trickle(s, f"GET / HTTP/1.1\r\nHost: {inst.hostname}\r\nX-Slow: ".encode() + b"a" * 10000,
                            0.5, 12)
s.close()
check(1.5 <= took <= 5, f"a trickled head is cut after header_timeout ({took:.1f} s, {sent} bytes)")
check(reply == b"", "without an answer")

# --- the same on a keep-alive connection's second request ------------------------------------
s = tls()
reply = request(s, f"GET /a HTTP/1.1\r\nHost: {inst.hostname}\r\n\r\n".encode())
check(reply.startswith(b"HTTP/1.1 404"), "first request of a keep-alive connection answered")
time.sleep(2.5)  # idle between requests is allowed longer than header_timeout
took, sent, reply = trickle(s, b"GET /b HTTP/1.1\r\nX-Slow: " + b"a" * 10000, 0.5, 12)
s.close()
check(reply == b"" and 1.5 <= took <= 5, f"a trickled second head is cut after header_timeout ({took:.1f} s)")

# --- slow body: one byte every 0.5 s of a 10 000-byte body ----------------------------------
s = tls()
s.sendall(f"PUT /dav/x HTTP/1.1\r\nHost: {inst.hostname}\r\nContent-Length: 10000\r\n\r\n".encode())
took, sent, reply = trickle(s, b"x" * 10000, 0.5, 12)
s.close()
check(1.5 <= took <= 5 and reply == b"", f"a trickled body is cut after body_timeout ({took:.1f} s, {sent} bytes)")

# --- a body that keeps up the rate may take longer than body_timeout ------------------------
s = tls()
s.sendall(f"PUT /dav/x HTTP/1.1\r\nHost: {inst.hostname}\r\nContent-Length: 30000\r\n\r\n".encode())
t0 = time.monotonic()
for _ in range(30):  # 1000 bytes every 0.1 s: 10 000 B/s, 3 s in all
    s.sendall(b"y" * 1000)
    time.sleep(0.1)
reply = request(s, b"")
took = time.monotonic() - t0
s.close()
check(took > 2.5 and reply.startswith(b"HTTP/1.1 "), f"a body at 10 kB/s over {took:.1f} s is answered ({reply[:12]!r})")
check("http.timeout" in inst.log() and "stage=head" in inst.log() and "stage=body" in inst.log(),
      "cut requests are logged with their stage")

# --- over the per-address cap: 503 with Retry-After, not a reset ----------------------------
held = [tcp() for _ in range(5)]  # plain TCP, no handshake yet: each holds a slot
time.sleep(0.3)
for i in range(2):
    try:
        s = tls()
        reply = request(s, f"GET / HTTP/1.1\r\nHost: {inst.hostname}\r\n\r\n".encode())
        s.close()
    except (OSError, ssl.SSLError) as e:
        reply = f"error {e}".encode()
    check(reply.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 10\r\n" in reply,
          f"connection {6 + i} from the address: 503 with Retry-After ({reply[:40]!r})")
check("http.busy" in inst.log(), "the 503 is logged")
for h in held:
    h.close()
time.sleep(0.5)
s = tls()
reply = request(s, f"GET /no/such/path HTTP/1.1\r\nHost: {inst.hostname}\r\n\r\n".encode())
s.close()
check(reply.startswith(b"HTTP/1.1 404"), f"once the address is under the cap again: served ({reply[:20]!r})")

rc, _ = inst.stop()
check(rc == 0, "server stopped cleanly")
finish()

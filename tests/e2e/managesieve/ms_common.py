"""Helpers for the ManageSieve tests: a raw line-level client for what the real clients hide
(exact responses, SCRAM, pipelining), on top of the shared harness."""
import base64
import hashlib
import hmac
import os
import re
import socket
import ssl

from hearth_test import Instance, set_key


def start(host=1, offset=20000, quotas=None):
    inst = Instance(host=host, offset=offset)
    for key, value in (quotas or {}).items():
        set_key(inst.config, "managesieve", key, str(value))
    return inst.start(wait_for="managesieve")


class Raw:
    """A ManageSieve connection spoken by hand."""

    def __init__(self, inst):
        self.inst = inst
        self.sock = socket.create_connection((inst.addr, inst.port("managesieve")), timeout=20)
        self.f = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        return self.f.readline().decode("utf-8", "replace")

    def response(self):
        """Lines up to and including the OK/NO/BYE line; literals are read whole."""
        lines = []
        while True:
            l = self.line()
            if not l:
                return lines
            m = re.search(r"\{(\d+)\+?\}\r\n$", l)
            if m:
                l += self.f.read(int(m.group(1))).decode("utf-8", "replace") + self.line()
            lines.append(l)
            if re.match(r"^(OK|NO|BYE)\b", l):
                return lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.response()

    def starttls(self):
        r = self.cmd("STARTTLS")
        assert r[-1].startswith("OK"), r
        ctx = ssl.create_default_context(cafile=self.inst.ca_file())
        self.sock = ctx.wrap_socket(self.sock, server_hostname=self.inst.hostname)
        self.f = self.sock.makefile("rb")
        return self.response()

    def plain(self, user, password):
        ir = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        return self.cmd(f'AUTHENTICATE "PLAIN" "{ir}"')

    def scram(self, user, password, algo="sha256"):
        """RFC 5802 client over RFC 5804 §2.1 framing; returns the final response lines."""
        mech = "SCRAM-SHA-256" if algo == "sha256" else "SCRAM-SHA-1"
        nonce = base64.b64encode(os.urandom(18)).decode()
        bare = f"n={user},r={nonce}"
        first = base64.b64encode(("n,," + bare).encode()).decode()
        self.send(f'AUTHENTICATE "{mech}" "{first}"\r\n')
        chal = self.line().strip()
        if not chal.startswith('"'):
            return [chal]
        server_first = base64.b64decode(chal.strip('"')).decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        salt = base64.b64decode(attrs["s"])
        salted = hashlib.pbkdf2_hmac(algo, password.encode(), salt, int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", algo).digest()
        stored = hashlib.new(algo, client_key).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth_msg = f"{bare},{server_first},{without_proof}".encode()
        sig = hmac.new(stored, auth_msg, algo).digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig))).decode()
        final = base64.b64encode(f"{without_proof},p={proof}".encode()).decode()
        self.send(f'"{final}"\r\n')
        resp = self.response()
        server_key = hmac.new(salted, b"Server Key", algo).digest()
        expect = base64.b64encode(hmac.new(server_key, auth_msg, algo).digest()).decode()
        m = re.search(r'\(SASL "([^"]+)"\)', resp[-1]) if resp else None
        self.server_signature_ok = bool(m) and base64.b64decode(m.group(1)).decode() == f"v={expect}"
        return resp

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

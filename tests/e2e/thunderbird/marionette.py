"""A minimal Marionette client: runs JavaScript in Thunderbird's chrome context.

Thunderbird started with `--marionette` and the pref `marionette.port` = 0 listens on a free
loopback port and writes it to PROFILE/MarionetteActivePort. The wire format is
"<length>:<json>"; a command is [0, id, name, params], its answer [1, id, error, result].
This is how the tests make Thunderbird mark, move and delete messages and create events
through its own APIs (no GUI needed, so it works with --headless).
"""
import json
import os
import socket
import time


class Marionette:
    def __init__(self, profile, timeout=60.0):
        port_file = os.path.join(profile, "MarionetteActivePort")
        deadline = time.monotonic() + timeout
        self.sock = None
        while time.monotonic() < deadline:
            try:
                with open(port_file) as f:
                    port = int(f.read().strip())
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except (OSError, ValueError):
                time.sleep(0.25)
        if self.sock is None:
            raise RuntimeError(f"Marionette did not start (no {port_file} within {timeout} s)")
        self.buf = b""
        self.id = 0
        self._read()  # {"applicationType": "gecko", "marionetteProtocol": 3}
        self.call("WebDriver:NewSession", {"capabilities": {}})
        self.call("Marionette:SetContext", {"value": "chrome"})

    def _read(self):
        while b":" not in self.buf:
            self._more()
        n, _, rest = self.buf.partition(b":")
        self.buf = rest
        n = int(n)
        while len(self.buf) < n:
            self._more()
        msg, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(msg)

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("Marionette closed the connection")
        self.buf += chunk

    def call(self, name, params):
        self.id += 1
        data = json.dumps([0, self.id, name, params]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            msg = self._read()
            if isinstance(msg, list) and msg[0] == 1 and msg[1] == self.id:
                if msg[2]:
                    raise RuntimeError(f"{name}: {msg[2].get('error')}: {msg[2].get('message')}")
                return msg[3]

    def js(self, script, args=(), timeout_ms=60000):
        """Runs `script` as the body of an async function in the chrome context (it may await)
        and returns what it returns (JSON values)."""
        wrapped = ("const [args, done] = [Array.from(arguments).slice(0, -1), arguments[arguments.length - 1]];"
                   "(async () => {" + script + "})().then(v => done({ok: v}), e => done({err: String(e) + '\\n' + (e && e.stack || '')}));")
        self.call("WebDriver:SetTimeouts", {"script": timeout_ms})
        r = self.call("WebDriver:ExecuteAsyncScript", {"script": wrapped, "args": list(args), "newSandbox": True})
        v = r.get("value") if isinstance(r, dict) else r
        if isinstance(v, dict) and "err" in v:
            raise RuntimeError("script failed: " + v["err"])
        return v.get("ok") if isinstance(v, dict) else v

    def close(self):
        try:
            self.call("WebDriver:DeleteSession", {})
        except Exception:
            pass
        self.sock.close()

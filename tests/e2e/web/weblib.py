"""curl against the web console's API (/api/v1) of one instance, trusting its dev CA."""
import json
import os
import subprocess
import tempfile


class Api:
    def __init__(self, inst):
        self.inst = inst
        self.host, self.port = inst.hostname, inst.port("https")
        self.base = f"https://{self.host}:{self.port}"

    def request(self, method, path, body=None, cookie=None, csrf=None, ctype="application/json", raw=None,
                source=None, headers=()):
        """(status, headers as a dict of lowercase names -> list of values, parsed JSON or text)."""
        with tempfile.TemporaryDirectory() as tmp:
            hdr, out = os.path.join(tmp, "h"), os.path.join(tmp, "b")
            cmd = ["curl", "-sS", "--max-time", "20", "--cacert", self.inst.ca_file(),
                   "--resolve", f"{self.host}:{self.port}:{self.inst.addr}", "-X", method,
                   "-D", hdr, "-o", out, "-w", "%{http_code}"]
            if source:
                cmd += ["--interface", source]
            if cookie:
                cmd += ["-H", f"Cookie: {cookie}"]
            if csrf:
                cmd += ["-H", f"X-CSRF-Token: {csrf}"]
            for h in headers:
                cmd += ["-H", h]
            data = raw if raw is not None else (json.dumps(body) if body is not None else None)
            if data is not None:
                path_in = os.path.join(tmp, "in")
                with open(path_in, "wb") as f:
                    f.write(data.encode() if isinstance(data, str) else data)
                cmd += ["-H", f"Content-Type: {ctype}", "--data-binary", f"@{path_in}"]
            cp = subprocess.run(cmd + [self.base + path], capture_output=True, text=True, timeout=60)
            if cp.returncode != 0:
                return 0, {}, cp.stderr.strip()
            heads = {}
            with open(hdr, errors="replace") as f:
                for line in f.read().splitlines()[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        heads.setdefault(k.strip().lower(), []).append(v.strip())
            text = ""
            if os.path.exists(out):  # curl writes no file for an empty body (204, 304)
                with open(out, "rb") as f:
                    text = f.read().decode(errors="replace")
            try:
                parsed = json.loads(text) if text else None
            except ValueError:
                parsed = text
            return int(cp.stdout.strip() or 0), heads, parsed

    def sign_in(self, address, password, **kw):
        """(status, cookie 'name=value' or None, answer)."""
        st, h, body = self.request("POST", "/api/v1/session", {"address": address, "password": password, **kw})
        cookie = None
        for c in h.get("set-cookie", []):
            cookie = c.split(";", 1)[0]
        return st, cookie, body


def error_code(body):
    """The stable code of an API error answer, or None."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return None

"""Roundcube 1.6 from Debian as a peer: a private configuration (config dir, SQLite database,
logs and temp folder in a throw-away directory) pointing at a hearth instance over IMAPS,
submission with STARTTLS and ManageSieve with STARTTLS, each verifying hearth's certificate
against the dev CA; served by PHP's built-in web server on a loopback address. Nothing under
/etc/roundcube is changed."""
import atexit
import os
import shutil
import sqlite3
import signal
import subprocess
import tempfile

from hearth_test import wait_port

ROOT = "/var/lib/roundcube/public_html"
SQL = "/usr/share/roundcube/SQL/sqlite.initial.sql"


def available():
    return os.path.isdir(ROOT) and os.path.exists(SQL) and shutil.which("php")


def _php_str(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Roundcube:
    def __init__(self, inst, addr, port, plugins=("managesieve", "markasjunk")):
        self.inst = inst
        self.url = f"http://{addr}:{port}/"
        self.dir = tempfile.mkdtemp(prefix="roundcube-")
        for sub in ("config", "logs", "temp"):
            os.makedirs(os.path.join(self.dir, sub))
        # Roundcube reads its defaults from the same folder as the configuration.
        for name in ("defaults.inc.php", "mimetypes.php"):
            if os.path.exists(os.path.join("/etc/roundcube", name)):
                os.symlink(os.path.join("/etc/roundcube", name), os.path.join(self.dir, "config", name))
        db = os.path.join(self.dir, "roundcube.db")
        with open(SQL) as f, sqlite3.connect(db) as c:
            c.executescript(f.read())
        tls = ("['ssl' => ['verify_peer' => true, 'verify_peer_name' => true, "
               f"'peer_name' => {_php_str(inst.hostname)}, 'cafile' => {_php_str(inst.ca_file())}]]")
        conf = {
            "db_dsnw": f"sqlite:///{db}?mode=0640",
            "imap_host": f"ssl://{inst.addr}:{inst.port('imaps')}",
            "smtp_host": f"tls://{inst.addr}:{inst.port('submission')}",
            "smtp_user": "%u",
            "smtp_pass": "%p",
            "managesieve_host": f"tls://{inst.addr}:{inst.port('managesieve')}",
            "managesieve_vacation": 1,
            "markasjunk_learning_driver": None,
            "log_dir": os.path.join(self.dir, "logs") + "/",
            "temp_dir": os.path.join(self.dir, "temp") + "/",
            "des_key": "hearth-e2e-roundcube-24",
            "skin": "elastic",
            "product_name": "Roundcube",
            "imap_debug": True,
            "smtp_debug": True,
            "managesieve_debug": True,
            "enable_spellcheck": False,
            "support_url": "",
        }
        lines = ["<?php", "$config = [];"]
        for k, v in conf.items():
            if isinstance(v, bool):
                pv = "true" if v else "false"
            elif isinstance(v, int):
                pv = str(v)
            elif v is None:
                pv = "null"
            else:
                pv = _php_str(v)
            lines.append(f"$config[{_php_str(k)}] = {pv};")
        for k in ("imap_conn_options", "smtp_conn_options", "managesieve_conn_options"):
            lines.append(f"$config['{k}'] = {tls};")
        lines.append("$config['plugins'] = [" + ", ".join(_php_str(p) for p in plugins) + "];")
        with open(os.path.join(self.dir, "config", "config.inc.php"), "w") as f:
            f.write("\n".join(lines) + "\n")
        env = dict(os.environ, ROUNDCUBE_CONFIG_DIR=os.path.join(self.dir, "config"), PHP_CLI_SERVER_WORKERS="4")
        self.log = open(os.path.join(self.dir, "logs", "php-server.log"), "ab")
        self.proc = subprocess.Popen(["php", "-S", f"{addr}:{port}", "-t", ROOT], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        atexit.register(self.stop)
        if not wait_port(addr, port, timeout=20):
            raise RuntimeError("php -S did not start")

    def logs(self):
        out = []
        d = os.path.join(self.dir, "logs")
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), errors="replace") as f:
                out.append(f"== {name}\n" + f.read()[-4000:])
        return "\n".join(out)

    def stop(self):
        # PHP_CLI_SERVER_WORKERS forks workers: stop the whole process group.
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

"""A private PostgreSQL cluster for tests: Debian's postgresql server, initdb'd into a temporary
directory, reachable only through a Unix socket in that directory (or a loopback address when
asked), stopped and removed afterwards.

    with PgCluster() as pg:
        conninfo = pg.url          # libpq keyword form: "host=/tmp/... port=... user=... dbname=..."

As a command, it wraps another one and passes the URL in HEARTH_TEST_PG_URL:

    python3 pg_cluster.py run -- build/core/pg/hearth_pg_test

PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres` user
the Debian package creates. Exit status 77 (skip) only when the server is not installed.
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def _bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


class PgCluster:
    def __init__(self, listen="", port=5432, fsync=True):
        self.listen = listen   # "" = Unix socket only; "127.0.NET.1" for tests with several nodes
        self.port = port
        self.fsync = fsync
        self.dir = None
        self.url = None

    @staticmethod
    def available():
        return _bin("initdb") is not None and _bin("pg_ctl") is not None

    def _as_server_user(self, argv):
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", "postgres", "--"] + argv

    def start(self):
        if not self.available():
            raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
        self.dir = tempfile.mkdtemp(prefix="hearth-pg-")
        os.chmod(self.dir, 0o755)
        data = os.path.join(self.dir, "data")
        os.mkdir(data, 0o700)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chown(data, pw.pw_uid, pw.pw_gid)
        subprocess.run(self._as_server_user([_bin("initdb"), "-D", data, "-A", "trust", "-U", "hearth",
                                             "-E", "UTF8", "--no-sync", "--locale=C"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        opts = (f"-c listen_addresses='{self.listen}' -c port={self.port} "
                f"-c unix_socket_directories='{self.dir}' -c fsync={'on' if self.fsync else 'off'} "
                f"-c max_connections=200")
        subprocess.run(self._as_server_user([_bin("pg_ctl"), "-D", data, "-w", "-t", "60", "-o", opts,
                                             "-l", os.path.join(self.dir, "server.log"), "start"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=90)
        self.url = f"host={self.dir} port={self.port} user=hearth dbname=postgres"
        return self

    def stop(self):
        if not self.dir:
            return
        data = os.path.join(self.dir, "data")
        subprocess.run(self._as_server_user([_bin("pg_ctl"), "-D", data, "-m", "immediate", "-w", "-t", "30",
                                             "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print("usage: pg_cluster.py run -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    if not PgCluster.available():
        print("PostgreSQL server not installed (Debian package postgresql): skipped", file=sys.stderr)
        return SKIP
    with PgCluster() as pg:
        env = dict(os.environ, HEARTH_TEST_PG_URL=pg.url)
        rc = subprocess.run(argv[2:], env=env, timeout=600).returncode
        if rc != 0:
            sys.stderr.write(pg.log()[-4000:])
        return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

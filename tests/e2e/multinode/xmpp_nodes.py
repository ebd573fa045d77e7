"""A second node for the XMPP tests across nodes (README "Several nodes"): the same
configuration as instance A with its own data directory and address, started as `hearth serve`."""
import os
import shutil
import subprocess
import sys

import hearth_test as ht
from hearth_test import NET, Instance, set_key
from pg_cluster import SKIP, PgCluster

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xmpp"))  # xmpp_util

ALICE = "alice@home.test"  # the instance's own account
BOB = "bob@home.test"
BOB_PW = "pw-bob-secret"


def require_postgres():
    """Exits with the skip code when Debian's postgresql is not installed."""
    if not PgCluster.available():
        print("PostgreSQL server not installed (Debian package postgresql)")
        raise SystemExit(SKIP)


class Node:
    """Node B: the same configuration as A with its own data directory and address."""

    def __init__(self, a, host):
        self.a = a
        self.addr = f"{NET}.{host}"
        self.dir = os.path.join(a.dir, f"node-{host}")
        os.makedirs(os.path.join(self.dir, "data"))
        shutil.copytree(os.path.join(a.dir, "data", "tls"), os.path.join(self.dir, "data", "tls"))
        self.config = os.path.join(self.dir, "hearth.toml")
        shutil.copy2(a.config, self.config)
        set_key(self.config, "server", "data_dir", f'"{os.path.join(self.dir, "data")}"')
        set_key(self.config, "listen", "addresses", f'["{self.addr}"]')
        self.log_path = os.path.join(self.dir, "serve.log")
        self.proc = None

    def start(self):
        shutil.copy2(os.path.join(self.a.dir, "data", "auth.secret"), os.path.join(self.dir, "data", "auth.secret"))
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([ht.HEARTH, "--config", self.config, "serve"], stdout=log,
                                     stderr=subprocess.STDOUT)
        ht._procs.append(self.proc)
        if not ht.wait_port(self.addr, self.a.port("xmpp_client"), timeout=30):
            raise RuntimeError("node B did not start listening")

    # What xmpp_util.login needs of an instance.
    def port(self, service):
        return self.a.port(service)

    def ca_file(self):
        return self.a.ca_file()

    def node_id(self):
        with open(os.path.join(self.dir, "data", "node-id")) as f:
            return f.read().strip()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


def start_two_nodes(configure=None, a_env=None):
    """Starts a private PostgreSQL on NET.10, instance A on NET.1 (alice, bob added) and node
    B on NET.2; returns (pg, url, a, b). `configure(a)` may edit A's configuration before B
    copies it; `a_env` adds environment variables to A's process only (test hooks). The caller
    stops pg."""
    pg = PgCluster(listen=f"{NET}.10").start()
    url = f"host={NET}.10 port=5432 user=hearth dbname=postgres"
    ht.PG_URL = ""  # these tests make their own database choice
    a = Instance(ALICE, host=1, extra=["--database-url", url])
    a.cli(["user", "add", BOB, "--password-stdin"], input=BOB_PW + "\n")
    if configure:
        configure(a)
    b = Node(a, 2)
    saved = dict(os.environ)
    os.environ.update(a_env or {})
    try:
        a.start(wait_for="xmpp_client")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    b.start()
    return pg, url, a, b


def run_killing_a(scenario, configure=None, timeout=150, a_env=None):
    """Runs `scenario(a, b)` (a coroutine that kills node A) on two fresh nodes, then checks
    that B stops cleanly, stops PostgreSQL and reports."""
    from xmpp_util import run  # after require_postgres(): it imports slixmpp
    pg, _, a, b = start_two_nodes(configure, a_env)
    try:
        run(scenario(a, b), timeout=timeout)
        b.proc.terminate()
        ht.check(b.proc.wait(timeout=30) == 0, "B stops cleanly")
    finally:
        pg.stop()
    ht.finish()

#!/usr/bin/python3
"""The `hearth` command line: quickstart, domain, user, alias, app passwords.

What the commands store is checked independently of Hearth's own code: the Argon2id hash
with python3-argon2, the SCRAM keys recomputed with hashlib (RFC 5802 §3), the DKIM public
keys and the dev certificate with the openssl CLI.
"""
import base64
import hashlib
import hmac
import os
import re
import sqlite3
import subprocess

import argon2

import hearth_test as ht
from hearth_test import check

# --- the binary itself -------------------------------------------------------------------
cp = ht.run(["--help"])
check("quickstart" in cp.stdout and "user" in cp.stdout and "alias" in cp.stdout, "hearth --help lists the commands")
for sub in ["quickstart", "serve", "domain", "user", "alias", "dns", "config"]:
    cp = ht.run([sub, "--help"], check_rc=False)
    check(cp.returncode == 0 and "usage" in cp.stdout, f"hearth {sub} --help")
cp = ht.run(["frobnicate"], check_rc=False)
check(cp.returncode == 2 and "unknown command" in cp.stderr, "unknown command exits 2")
cp = ht.run(["--config", "/nonexistent/hearth.toml", "user", "list"], check_rc=False)
check(cp.returncode != 0 and "/nonexistent/hearth.toml" in cp.stderr, "missing config file is named, non-zero exit")

# --- quickstart ---------------------------------------------------------------------------
inst = ht.Instance("demo@example.test")
out = inst.quickstart_output
check(inst.password is not None and len(inst.password) >= 20, "quickstart prints a generated password")
check(str(inst.port("imaps")) in out and str(inst.port("submissions")) in out, "quickstart prints client ports with the offset")
check(os.path.exists(inst.config), "quickstart writes hearth.toml")
check(oct(os.stat(os.path.join(inst.dir, "data")).st_mode & 0o777) == "0o700", "data directory is private")
check(ht.run(["--config", inst.config, "config", "check"], check_rc=False).returncode == 0, "the written config checks")
with open(inst.config) as f:
    conf_text = f.read()
check(f"smtp = {25 + inst.offset}" in conf_text and f'"{inst.addr}"' in conf_text, "config carries offset ports and the listen address")
cp = ht.run(["quickstart", "--dev", "demo@example.test", "--dir", inst.dir], check_rc=False)
check(cp.returncode == 1 and "exists" in cp.stderr, "a second quickstart into the same dir refuses")
with open(inst.config) as f:
    check(f.read() == conf_text, "... and leaves the config as it was")
cp = ht.run(["quickstart", "not-an-address", "--dir", inst.dir + "-x"], check_rc=False)
check(cp.returncode == 2, "quickstart with a bad address is a usage error")

tls_dir = os.path.join(inst.dir, "data", "tls")
v = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(tls_dir, "ca.crt"), "-verify_hostname",
                    "mail.example.test", inst.cert_file()], capture_output=True, text=True)
check(v.returncode == 0, "dev certificate verifies against the dev CA for mail.example.test")
v = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(tls_dir, "ca.crt"), "-verify_hostname",
                    "example.test", inst.cert_file()], capture_output=True, text=True)
check(v.returncode == 0, "dev certificate also covers the domain (XMPP checks the JID's domain)")
check(oct(os.stat(os.path.join(tls_dir, "mail.example.test.key")).st_mode & 0o777) == "0o600", "TLS key is 0600")

db_path = os.path.join(inst.dir, "data", "hearth.db")


def db():
    return sqlite3.connect(db_path, timeout=10)


def row(sql, *args):
    with db() as c:
        return c.execute(sql, args).fetchone()


def scram_ok(entry, password, name):
    """RFC 5802 §3: StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key")."""
    fields = dict(part.split("=", 1) for part in entry.split(","))
    salt = base64.b64decode(fields["s"])
    salted = hashlib.pbkdf2_hmac(name, password.encode(), salt, int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", name).digest()
    stored = hashlib.new(name, client_key).digest()
    server = hmac.new(salted, b"Server Key", name).digest()
    return base64.b64decode(fields["k"]) == stored and base64.b64decode(fields["v"]) == server and int(fields["i"]) >= 4096


def password_ok(table, where, value, password):
    r = row(f"SELECT argon2id, scram_sha1, scram_sha256 FROM {table} WHERE {where} = ?", value)
    if not r:
        return False
    try:
        argon_ok = r[0].startswith("$argon2id$") and argon2.PasswordHasher().verify(r[0], password)
    except argon2.exceptions.VerificationError:
        argon_ok = False
    return argon_ok and scram_ok(r[1], password, "sha1") and scram_ok(r[2], password, "sha256")


check(password_ok("accounts", "address", "demo@example.test", inst.password), "stored Argon2id + SCRAM keys match the printed password")
check(not password_ok("accounts", "address", "demo@example.test", inst.password + "x"), "... and not a wrong one")

cp = inst.cli(["alias", "list"])
check("postmaster@example.test -> demo@example.test" in cp.stdout and "abuse@example.test -> demo@example.test" in cp.stdout,
      "postmaster@ and abuse@ are aliases of the first account")

# DKIM: every printed record's p= is the public half of a stored private key.
records = re.findall(r'(\S+)\._domainkey\.example\.test\. TXT (.*)', out)
check(len(records) == 2, "quickstart prints two DKIM records (RSA and Ed25519)")
for selector, txt in records:
    value = "".join(re.findall(r'"([^"]*)"', txt))
    check(all(len(s) <= 255 for s in re.findall(r'"([^"]*)"', txt)), f"DKIM {selector}: TXT strings of at most 255 octets")
    pem, alg = row("SELECT private_pem, algorithm FROM dkim_keys WHERE selector = ?", selector)
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem.encode(), capture_output=True).stdout
    expect = der[-32:] if alg == "ed25519-sha256" else der  # RFC 8463: raw key; RSA: SPKI
    check(value.endswith("p=" + base64.b64encode(expect).decode()), f"DKIM {selector} ({alg}) p= is the stored key's public half")

# --- users ----------------------------------------------------------------------------------
cp = inst.cli(["user", "add", "Bob@Example.TEST", "--name", "Bob B", "--password-stdin"], input="s3cret-Pass\n")
check("added bob@example.test" in cp.stdout, "user add with the password on stdin, address normalized")
check(password_ok("accounts", "address", "bob@example.test", "s3cret-Pass"), "bob's stdin password is stored")
cp = inst.cli(["user", "add", "BOB@example.test", "--password-stdin"], input="x\n", check_rc=False)
check(cp.returncode == 1, "duplicate account (other case) refused")
cp = inst.cli(["user", "add", "x@unknown.test", "--password-stdin"], input="x\n", check_rc=False)
check(cp.returncode == 1 and "domain" in cp.stderr, "account in an unknown domain refused")
cp = inst.cli(["user", "add", "carol@example.test"], input="")
m = re.search(r"password: (\S+)", cp.stdout)
check(m is not None and password_ok("accounts", "address", "carol@example.test", m.group(1)),
      "user add without a password generates and prints one")
cp = inst.cli(["user", "list"])
check(all(a in cp.stdout.split() for a in ["demo@example.test", "bob@example.test", "carol@example.test"]), "user list shows all accounts")
cp = inst.cli(["user", "passwd", "bob@example.test", "--password-stdin"], input="n3w-Pass\n")
check(password_ok("accounts", "address", "bob@example.test", "n3w-Pass") and
      not password_ok("accounts", "address", "bob@example.test", "s3cret-Pass"), "user passwd replaces the password")

# --- app passwords ----------------------------------------------------------------------------
cp = inst.cli(["user", "app-password", "add", "bob@example.test", "phone"])
m = re.search(r"password: (\S+)", cp.stdout)
check(m is not None, "app password printed once")
app_pw = m.group(1)
check(password_ok("app_passwords", "name", "phone", app_pw), "app password stored as its own credential")
salt_app = row("SELECT scram_sha256 FROM app_passwords WHERE name='phone'")[0].split(",")[1]
salt_acc = row("SELECT scram_sha256 FROM accounts WHERE address='bob@example.test'")[0].split(",")[1]
check(salt_app == salt_acc, "app password shares the account's SCRAM salt (one salt per SCRAM user)")
check("phone" in inst.cli(["user", "app-password", "list", "bob@example.test"]).stdout, "app password listed")
check(inst.cli(["user", "app-password", "add", "bob@example.test", "phone"], check_rc=False).returncode == 1,
      "app password names are unique per account")
inst.cli(["user", "app-password", "del", "bob@example.test", "phone"])
check(row("SELECT count(*) FROM app_passwords")[0] == 0, "app password revoked")

inst.cli(["user", "disable", "carol@example.test"])
check(row("SELECT disabled FROM accounts WHERE address='carol@example.test'")[0] == 1, "user disable")
check("(disabled)" in inst.cli(["user", "list"]).stdout, "user list marks disabled accounts")
inst.cli(["user", "enable", "carol@example.test"])
check(row("SELECT disabled FROM accounts WHERE address='carol@example.test'")[0] == 0, "user enable")
cp = inst.cli(["user", "show", "demo@example.test"])
check("alias:     postmaster@example.test" in cp.stdout, "user show lists the account's aliases")

# --- aliases and catch-all ------------------------------------------------------------------
inst.cli(["alias", "add", "team@example.test", "demo@example.test", "bob@example.test"])
inst.cli(["alias", "add", "@example.test", "carol@example.test"])
cp = inst.cli(["alias", "list", "example.test"])
check("team@example.test -> demo@example.test bob@example.test" in cp.stdout, "alias with two targets")
check("@example.test -> carol@example.test" in cp.stdout, "catch-all alias")
cp = inst.cli(["alias", "add", "bob@example.test", "demo@example.test"], check_rc=False)
check(cp.returncode == 1, "an account's own address cannot become an alias")
inst.cli(["alias", "del", "@example.test"])
check(not any(l.startswith("@example.test ") for l in inst.cli(["alias", "list"]).stdout.splitlines()), "catch-all deleted")

# --- IDN domain -------------------------------------------------------------------------------
cp = inst.cli(["domain", "add", "bücher.example"])
check("xn--bcher-kva.example" in cp.stdout and "_domainkey.xn--bcher-kva.example" in cp.stdout,
      "IDN domain stored in ACE form, DKIM keys made")
check("bücher.example (xn--bcher-kva.example)" in inst.cli(["domain", "list"]).stdout, "domain list shows Unicode and ACE")
inst.cli(["user", "add", "Anna@BÜCHER.example", "--password-stdin"], input="pw-anna-1\n")
check(row("SELECT count(*) FROM accounts WHERE address='anna@xn--bcher-kva.example'")[0] == 1, "account in IDN domain normalized")
check("postmaster@xn--bcher-kva.example -> anna@xn--bcher-kva.example" in inst.cli(["alias", "list"]).stdout,
      "postmaster@ made for the new domain's first account")

# --- deletions -------------------------------------------------------------------------------
cp = inst.cli(["domain", "del", "example.test"], check_rc=False)
check(cp.returncode == 1, "a domain with accounts cannot be deleted")
inst.cli(["user", "del", "bob@example.test"])
check(row("SELECT count(*) FROM accounts WHERE address='bob@example.test'")[0] == 0, "user del")
check("team@example.test -> demo@example.test\n" in inst.cli(["alias", "list"]).stdout, "deleted account dropped from alias targets")

# --- the same database while serve runs ------------------------------------------------------
inst.start()
cp = inst.cli(["user", "add", "dave@example.test", "--password-stdin"], input="pw-dave-1\n")
check("added dave@example.test" in cp.stdout, "user add while serve runs")
check(password_ok("accounts", "address", "dave@example.test", "pw-dave-1"), "... stored in the database serve uses")
rc, secs = inst.stop()
check(rc == 0, "serve exits 0 on SIGTERM")
check("serve.directory" in inst.log(), "serve opened the directory at start")
ht.finish()

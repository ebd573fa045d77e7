"""ManageSieve (RFC 5804) with python3-sievelib, the client library Debian ships, plus a raw
client for exact responses: STARTTLS required before AUTHENTICATE, PLAIN and SCRAM after it,
app passwords, PUTSCRIPT/LISTSCRIPTS/SETACTIVE/GETSCRIPT/RENAMESCRIPT/DELETESCRIPT/CHECKSCRIPT,
HAVESPACE and the quota codes, NONEXISTENT/ALREADYEXISTS/ACTIVE, NOOP with a tag,
UNAUTHENTICATE, literals in both forms, and a script store that survives a restart."""
import re

from sievelib.managesieve import Client

from hearth_test import check, finish
from ms_common import Raw, start

inst = start(quotas={"max_scripts": 3, "max_script_size": 2048, "max_total_size": 4096})
user, pw = inst.email, inst.password

# --- Before TLS: capabilities say STARTTLS and offer no mechanism; AUTHENTICATE is refused.
r = Raw(inst)
greeting = "".join(r.response())
check('"IMPLEMENTATION" "Hearth"' in greeting, "greeting names the implementation")
check('"SASL" ""' in greeting and '"STARTTLS"' in greeting, "no SASL mechanism before STARTTLS, STARTTLS offered")
check('"VERSION" "1.0"' in greeting and '"SIEVE" ' in greeting, "VERSION 1.0 and SIEVE")
resp = r.plain(user, pw)
check(resp and resp[-1].startswith("NO (ENCRYPT-NEEDED)"), f"AUTHENTICATE before STARTTLS refused: {resp}")
resp = r.cmd("LISTSCRIPTS")
check(resp and resp[-1].startswith("NO"), "LISTSCRIPTS before login refused")
resp = r.cmd('NOOP "t1"')
check(resp and resp[-1].startswith('OK (TAG "t1")'), f"NOOP with a tag: {resp}")
after = "".join(r.starttls())
check('"STARTTLS"' not in after and "PLAIN" in after and "SCRAM-SHA-256" in after,
      "capabilities re-sent after STARTTLS, with PLAIN and SCRAM")
resp = r.plain(user, "wrong")
check(resp and resp[-1].startswith("NO"), "wrong password refused")
resp = r.scram(user, pw)
check(resp and resp[-1].startswith("OK") and r.server_signature_ok, f"SCRAM-SHA-256 with the server signature: {resp}")
caps = "".join(r.cmd("CAPABILITY"))
check(f'"OWNER" "{user}"' in caps, "OWNER after login")
# Literals: the synchronizing {N} form is accepted like {N+}.
resp = r.cmd('PUTSCRIPT "raw" {7}\r\nkeep;\r\n')
check(resp and resp[-1].startswith("OK"), f"PUTSCRIPT with a {{N}} literal: {resp}")
resp = r.cmd('HAVESPACE "big" 3000')
check(resp and resp[-1].startswith("NO (QUOTA/MAXSIZE)"), f"HAVESPACE over the script size: {resp}")
resp = r.cmd('HAVESPACE "small" 100')
check(resp and resp[-1].startswith("OK"), "HAVESPACE within quota")
resp = r.cmd('GETSCRIPT "nope"')
check(resp and resp[-1].startswith("NO (NONEXISTENT)"), f"GETSCRIPT of a missing script: {resp}")
resp = r.cmd("UNAUTHENTICATE")
check(resp and resp[-1].startswith("OK"), "UNAUTHENTICATE")
resp = r.cmd("LISTSCRIPTS")
check(resp and resp[-1].startswith("NO"), "after UNAUTHENTICATE, LISTSCRIPTS needs a login again")
resp = r.cmd('DELETESCRIPT "raw"')
resp = r.scram(user, pw, "sha1")
check(resp and resp[-1].startswith("OK"), "SCRAM-SHA-1 after UNAUTHENTICATE")
check(r.cmd('DELETESCRIPT "raw"')[-1].startswith("OK"), "DELETESCRIPT")
resp = r.cmd("LOGOUT")
check(resp and resp[-1].startswith("OK"), "LOGOUT")
r.close()

# --- An app password logs in too.
cp = inst.cli(["user", "app-password", "add", user, "sieve-client"])
m = re.search(r"^password: (\S+)$", cp.stdout, re.M)
app_pw = m.group(1) if m else ""
r = Raw(inst)
r.response()
r.starttls()
resp = r.plain(user, app_pw)
check(app_pw and resp and resp[-1].startswith("OK"), "an app password logs in")
r.close()

# --- sievelib: the whole cycle.
c = Client(inst.addr, inst.port("managesieve"))
ok = c.connect(user, pw, starttls=True, authmech="PLAIN")
check(ok, "sievelib connects with STARTTLS and PLAIN")
check(c.get_implementation() == "Hearth", f"sievelib reads IMPLEMENTATION ({c.get_implementation()})")
s1 = 'require ["fileinto"];\r\nif header :contains "subject" "lists" {\r\n  fileinto "Lists";\r\n}\r\n'
check(c.putscript("filters", s1), "putscript filters")
check(c.putscript("vacation", "keep;\r\n"), "putscript vacation")
active, others = c.listscripts()
check(active is None and sorted(others) == ["filters", "vacation"], f"listscripts: {active} {others}")
check(c.setactive("filters"), "setactive filters")
active, others = c.listscripts()
check(active == "filters" and others == ["vacation"], f"listscripts shows the active one: {active} {others}")
got = c.getscript("filters")
check(got is not None and got.replace("\r\n", "\n").rstrip("\n") == s1.replace("\r\n", "\n").rstrip("\n"),
      f"getscript returns the script as stored: {got!r}")
check(not c.deletescript("filters") and c.errcode == b"ACTIVE", f"the active script cannot be deleted ({c.errcode})")
check(not c.renamescript("vacation", "filters") and c.errcode == b"ALREADYEXISTS", f"rename onto an existing name ({c.errcode})")
check(c.renamescript("vacation", "away"), "renamescript")
check(not c.getscript("vacation") and c.errcode == b"NONEXISTENT", "the old name is gone")
check(c.putscript("third", "keep;"), "a third script fits")
check(not c.putscript("fourth", "keep;") and c.errcode == b"QUOTA/MAXSCRIPTS", f"a fourth is over quota ({c.errcode})")
check(not c.putscript("huge", "#" * 3000) and c.errcode == b"QUOTA/MAXSIZE", f"a too-big script is refused ({c.errcode})")
check(c.havespace("third", 100), "havespace for a replacement")
check(c.setactive(""), 'setactive "" deactivates')
active, others = c.listscripts()
check(active is None, "nothing active")
check(c.setactive("away"), "setactive away")
check(c.deletescript("filters"), "deletescript of an inactive script")
c.logout()

# --- Scripts are durable: a restart keeps them.
inst.stop()
inst.start(wait_for="managesieve")
c = Client(inst.addr, inst.port("managesieve"))
check(c.connect(user, pw, starttls=True, authmech="PLAIN"), "reconnect after restart")
active, others = c.listscripts()
check(active == "away" and others == ["third"], f"scripts survive a restart: {active} {others}")
c.logout()

finish()

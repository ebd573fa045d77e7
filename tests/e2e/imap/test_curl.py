"""curl as an IMAP client: imap:// with STARTTLS required (--ssl-reqd) and imaps://; list
mailboxes, fetch a message by UID, search; plaintext login refused without TLS."""
import subprocess

from hearth_test import check, finish
from imap_common import corpus, login, start

inst = start()
m = login(inst)
m.append("INBOX", None, None, corpus("forwarded.eml"))
m.create("Lists")
m.logout()


def curl(url, *extra):
    # curl checks the certificate against the URL's host: resolve the name to our address.
    args = ["curl", "-sS", "--max-time", "20", "--cacert", inst.ca_file(), "--resolve",
            f"{inst.hostname}:{inst.port('imap')}:{inst.addr}", "--resolve",
            f"{inst.hostname}:{inst.port('imaps')}:{inst.addr}", "-u", f"{inst.email}:{inst.password}", *extra, url]
    cp = subprocess.run(args, capture_output=True, timeout=30)
    return cp.returncode, cp.stdout.decode(errors="replace"), cp.stderr.decode(errors="replace")


base_imap = f"imap://{inst.hostname}:{inst.port('imap')}"
base_imaps = f"imaps://{inst.hostname}:{inst.port('imaps')}"

rc, out, err = curl(base_imap + "/", "--ssl-reqd")
check(rc == 0 and ' INBOX' in out and '"Lists"' in out, f"curl imap:// STARTTLS LIST (rc {rc}): {out!r} {err!r}")
rc, out, err = curl(base_imaps + "/INBOX/;UID=1")
check(rc == 0 and "Subject: Fwd: original" in out and "The original text." in out,
      f"curl imaps:// fetch UID 1 (rc {rc}): {out[:80]!r} {err!r}")
rc, out, err = curl(base_imaps + "/INBOX/;UID=1/;SECTION=2.TEXT")
check(rc == 0 and out.strip() == "The original text.", f"curl SECTION=2.TEXT: {out!r}")
rc, out, err = curl(base_imaps + "/INBOX?SUBJECT%20original")
check(rc == 0 and "* SEARCH 1" in out, f"curl SEARCH: {out!r}")
rc, out, err = curl(base_imaps + "/INBOX", "-X", "EXAMINE INBOX")
check(rc == 0 and "1 EXISTS" in out, f"curl custom EXAMINE: {out!r}")
rc, out, err = curl(base_imap + "/")
check(rc != 0, f"curl without TLS cannot log in (rc {rc}): {err.strip()!r}")
finish()

"""Exact ENVELOPE, BODYSTRUCTURE and BODY for every message of the MIME corpus
(tests/data/mime/*.eml: nested multipart/alternative + related + mixed, RFC 2231 names,
message/rfc822, 8-bit ISO-8859-1, malformed MIME, address groups) against the expectations in
tests/data/mime/*.imap, plus BODY[section] and BINARY of selected parts.

The .imap files were written by hand-checking the server's answers against RFC 9051 §7.5.2;
HEARTH_WRITE_EXPECTED=1 rewrites them from the server (the test still fails on that run, so
a rewrite is never taken for a pass)."""
import glob
import os
import re

from hearth_test import SOURCE_DIR, check, finish
from imap_common import login, raw, start

DATA = os.path.join(SOURCE_DIR, "tests", "data", "mime")
files = sorted(glob.glob(os.path.join(DATA, "*.eml")))
inst = start()
m = login(inst)
for f in files:
    with open(f, "rb") as fh:
        m.append("INBOX", None, '"01-Nov-2026 10:00:00 +0000"', fh.read())
m.select("INBOX")

rewrite = os.environ.get("HEARTH_WRITE_EXPECTED") == "1"
for seq, f in enumerate(files, 1):
    name = os.path.basename(f)
    got = {}
    for item in ["ENVELOPE", "BODYSTRUCTURE", "BODY"]:
        out = raw(m, f"FETCH {seq} ({item})")
        mt = re.match(rb"\* %d FETCH \(%s (.*)\)$" % (seq, item.encode()), out[0], re.S)
        got[item] = mt.group(1).decode("utf-8", "replace") if mt else f"no match: {out!r}"
    expected_file = f[:-4] + ".imap"
    if rewrite:
        with open(expected_file, "w") as fh:
            for k, v in got.items():
                fh.write(f"{k} {v}\n")
        check(False, f"{name}: expectations rewritten, check them by hand")
        continue
    if not os.path.exists(expected_file):
        check(False, f"{name}: {expected_file} is missing; server said {got}")
        continue
    with open(expected_file) as fh:
        want = dict(line.rstrip("\n").split(" ", 1) for line in fh if line.strip())
    for k in ["ENVELOPE", "BODYSTRUCTURE", "BODY"]:
        if not check(got[k] == want.get(k), f"{name} {k} as in {os.path.basename(expected_file)}"):
            print(f"  want {want.get(k)}\n  got  {got[k]}")

seqs = {os.path.basename(f): i for i, f in enumerate(files, 1)}


def fetch(seq, item):
    typ, data = m.fetch(str(seq), f"({item})")
    return data[0][1] if data and isinstance(data[0], tuple) else data


check(fetch(seqs["latin1.eml"], "BINARY.PEEK[1]") == "Un caf\xe9 cr\xe8me, s'il vous pla\xeet.\r\n".encode("latin-1"),
      "8-bit body served byte for byte")
check(fetch(seqs["rfc2231.eml"], "BINARY.PEEK[2]") == b"%PDF-1.4\n", "BINARY[2] decodes base64")
check(fetch(seqs["nested.eml"], "BODY.PEEK[2.MIME]").startswith(b"Content-Type: text/csv"), "BODY[2.MIME]")
check(fetch(seqs["forwarded.eml"], "BODY.PEEK[2.HEADER.FIELDS (Subject)]") == b"Subject: original\r\n\r\n",
      "BODY[2.HEADER.FIELDS] of message/rfc822")
out = raw(m, f"FETCH {seqs['malformed.eml']} BINARY.PEEK[1]")
check(b"UNKNOWN-CTE" in out[-1], f"BINARY of an unknown transfer encoding: {out[-1]!r}")
out = raw(m, f"FETCH {seqs['nested.eml']} BODY.PEEK[9]")
check(out[0].endswith(b"BODY[9] NIL)"), f"absent part: NIL ({out[0]!r})")
m.logout()
finish()

"""Thunderbird under Xvfb sends a message as a user does: its compose window (opened prefilled
with -compose) gets Ctrl+Enter from xdotool. The message must reach the recipient's INBOX over
SMTP and Thunderbird's copy must land in Sent (its `APPEND "Sent" (\\Seen) UTF8 (~{n+}` after
ENABLE UTF8=ACCEPT), with no NO/BAD/[ALERT] in its IMAP log. Screenshots are kept in
thunderbird-artifacts/send/ beside the test's working directory."""
import os
import subprocess
import sys
import time

if not os.environ.get("DISPLAY"):
    # xvfb-run -a takes the first free display from -n on; starting each test at its own NET
    # number keeps two tests that start at the same moment from racing for the same one.
    first = os.environ.get("HEARTH_TEST_NET", "127.0.99").rsplit(".", 1)[-1]
    os.execvp("xvfb-run", ["xvfb-run", "-a", "-n", first, "-s", "-screen 0 1280x900x24", sys.executable] + sys.argv)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "imap"))
from hearth_test import check, finish  # noqa: E402
from imap_common import login, start  # noqa: E402
from tblib import Thunderbird, artifacts, show_on_failure, wait_for  # noqa: E402

inst = start()
subject = "tb-send-%d" % time.time()
shots = artifacts("send")


def shot(name):
    subprocess.run(["import", "-window", "root", os.path.join(shots, name + ".png")], timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


tb = Thunderbird(inst, "send")
show_on_failure(tb, "send")
tb.start(headless=False, extra=["-compose", f"to='{inst.email}',subject='{subject}',body='hello from thunderbird'"])
t0 = time.monotonic()
win = subprocess.run(["timeout", "60", "xdotool", "search", "--sync", "--name", f"Write: {subject}"],
                     capture_output=True, text=True).stdout.split()
check(bool(win), f"the compose window opened ({time.monotonic() - t0:.1f} s)")
if not win:
    shot("no-compose")
    tb.stop()
    finish()
time.sleep(4)  # the editor must finish loading, or the key goes nowhere
subprocess.run(["xdotool", "windowfocus", "--sync", win[0]], timeout=30)
time.sleep(0.5)
shot("compose")
t0 = time.monotonic()
subprocess.run(["xdotool", "key", "--window", win[0], "--clearmodifiers", "ctrl+Return"], timeout=30)

m = login(inst)


def count(box):
    m.select(f'"{box}"', readonly=True)
    typ, data = m.search(None, "SUBJECT", f'"{subject}"')
    return len(data[0].split()) if typ == "OK" and data[0] else 0


check(wait_for(lambda: count("INBOX") == 1, 60), f"the message reached the INBOX over SMTP ({time.monotonic() - t0:.1f} s)")
check(wait_for(lambda: count("Sent") == 1, 60), f"Thunderbird's copy is in Sent ({time.monotonic() - t0:.1f} s)")
m.select("Sent", readonly=True)
typ, data = m.search(None, "SUBJECT", f'"{subject}"')
if typ == "OK" and data[0]:
    typ, data = m.fetch(data[0].split()[0], "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    check(b"\\Seen" in data[0][0] and subject.encode() in data[0][1], f"the Sent copy is \\Seen and has the Subject: {data[0][0]!r}")
m.logout()
time.sleep(1)
shot("after-send")
# The issue users saw was a dialog after each send; a successful send leaves only the main
# window (the compose window closes; an error would leave it and open a prompt).
windows = wait_for(lambda: (lambda w: w if w == ["mail:3pane"] else None)(tb.js("""
return [...Services.wm.getEnumerator(null)].map(w => w.document.documentElement.getAttribute("windowtype"));
""")), 15) or tb.js("""
return [...Services.wm.getEnumerator(null)].map(w => w.document.documentElement.getAttribute("windowtype") + ": " +
  (w.document.querySelector("dialog, #infoBody")?.textContent || w.document.title).trim().slice(0, 200));
""")
check(windows == ["mail:3pane"], f"no dialog or compose window left open after sending: {windows}")
tb.stop()
appends = [l.split("SendData: ", 1)[1][:80] for l in tb.log().splitlines() if "SendData:" in l and " append " in l.lower()]
check(any("UTF8 (~{" in a for a in appends), f"Thunderbird used APPEND ... UTF8 (~{{n+}}): {appends}")
errors = tb.imap_errors()
check(not errors, "no NO, BAD or [ALERT] in Thunderbird's IMAP log" + "".join("\n  " + e for e in errors))
finish()

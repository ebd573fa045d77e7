"""Thunderbird (headless) as an IMAP client: it fetches a message the test submitted, marks it
read and flagged, creates a folder, moves the message there and deletes it (to Trash), each
through Thunderbird's own folder APIs over Marionette; after each step the server's state is
checked over imaplib, and Thunderbird's IMAP log (MOZ_LOG) must show no NO, BAD or [ALERT]."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "imap"))
from hearth_test import check, finish  # noqa: E402
from imap_common import login, start  # noqa: E402
from tblib import Thunderbird, show_on_failure, submit, wait_for  # noqa: E402

inst = start()
subject = "tb-mail-%d" % time.time()
submit(inst, subject)

tb = Thunderbird(inst, "mail")
show_on_failure(tb, "mail")
tb.start()

PRELUDE = """
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const root = MailServices.accounts.defaultAccount.incomingServer.rootFolder;
const sleep = ms => new Promise(r => setTimeout(r, ms));
const find = (folder, subject) => [...folder.messages].find(h => h.mime2DecodedSubject == subject);
// Waits (up to `secs`) for the message in `folder`, asking the server again every 2 s.
async function waitMessage(folder, subject, secs) {
  for (let i = 0; i < secs * 4; i++) {
    if (i % 8 == 0) folder.updateFolder(null);
    const h = find(folder, subject);
    if (h) return h;
    await sleep(250);
  }
  return null;
}
function copyListener(resolve, reject) {
  const done = status => (status == 0 ? resolve() : reject(new Error("copy status " + status)));
  return {
    QueryInterface: ChromeUtils.generateQI(["nsIMsgCopyServiceListener"]),
    onStartCopy() {}, onProgress() {}, setMessageKey() {}, getMessageId() { return ""; },
    onStopCopy: done,
  };
}
"""

# 1. Thunderbird fetches the message.
t0 = time.monotonic()
got = tb.js(PRELUDE + """
const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
const h = await waitMessage(inbox, args[0], 30);
return h ? h.mime2DecodedAuthor : null;
""", subject)
check(got is not None and inst.email in got, f"Thunderbird shows the submitted message in INBOX ({time.monotonic() - t0:.1f} s): {got}")

m = login(inst)


def server_flags(box, subj):
    """The FLAGS of the message with Subject subj in box, as seen over imaplib; None if absent."""
    m.select(f'"{box}"', readonly=True)
    typ, data = m.uid("SEARCH", None, "SUBJECT", f'"{subj}"')
    uids = data[0].split() if typ == "OK" and data[0] else []
    if not uids:
        return None
    typ, data = m.uid("FETCH", uids[0], "(FLAGS)")
    return data[0].decode() if typ == "OK" and data and data[0] else ""


# 2. Read and flagged.
tb.js(PRELUDE + """
const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
const h = find(inbox, args[0]);
inbox.markMessagesRead([h], true);
inbox.markMessagesFlagged([h], true);
""", subject)
flags = wait_for(lambda: (lambda f: f if f and "\\Seen" in f and "\\Flagged" in f else None)(server_flags("INBOX", subject)), 20)
check(flags is not None, f"the server has \\Seen and \\Flagged set by Thunderbird: {server_flags('INBOX', subject)}")

# 3. A new folder, and the message moved into it.
created = tb.js(PRELUDE + """
root.createSubfolder("Projects", null);
for (let i = 0; i < 80 && !root.getChildNamed("Projects"); i++) await sleep(250);
return !!root.getChildNamed("Projects");
""")
check(created, "Thunderbird created the folder Projects")
check(wait_for(lambda: any(b'"Projects"' in l or l.endswith(b" Projects") for l in m.list()[1]), 10),
      "the server lists Projects")
tb.js(PRELUDE + """
const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
const dest = root.getChildNamed("Projects");
const h = find(inbox, args[0]);
await new Promise((resolve, reject) =>
  MailServices.copy.copyMessages(inbox, [h], dest, true, copyListener(resolve, reject), null, false));
""", subject)
moved = wait_for(lambda: server_flags("Projects", subject), 20)
check(moved is not None and "\\Seen" in moved and "\\Flagged" in moved,
      f"the message is in Projects with its flags: {moved}")
check(wait_for(lambda: server_flags("INBOX", subject) is None, 10), "and no longer in INBOX")

# 4. Deleted: Thunderbird's default for IMAP moves it to Trash.
trash_name = tb.js(PRELUDE + """
const dest = root.getChildNamed("Projects");
const h = await waitMessage(dest, args[0], 20);
if (!h) throw new Error("the moved message never showed up in Projects");
await new Promise((resolve, reject) =>
  dest.deleteMessages([h], null, false, false, copyListener(resolve, reject), false));
return root.getFolderWithFlags(Ci.nsMsgFolderFlags.Trash).name;
""", subject)
check(wait_for(lambda: server_flags(trash_name, subject) is not None, 20), f"after Delete the message is in {trash_name}")
check(wait_for(lambda: server_flags("Projects", subject) is None, 10), "and gone from Projects")
m.logout()

tb.stop()
errors = tb.imap_errors()
check(not errors, "no NO, BAD or [ALERT] in Thunderbird's IMAP log" + ("".join("\n  " + e for e in errors)))
commands = [l.split("SendData: ", 1)[1].split(" ", 2)[1].upper() for l in tb.log().splitlines()
            if "SendData: " in l and len(l.split("SendData: ", 1)[1].split(" ")) > 1]
check(len(commands) > 5, f"the IMAP log was read ({len(commands)} commands)")
print("# Thunderbird sent: " + " ".join(sorted(set(commands))))
finish()

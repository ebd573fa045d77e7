"""Thunderbird (headless) as an IMAP client: it fetches a message the test submitted, marks it
read and flagged, creates a folder, moves the message there and deletes it (to Trash), marks
another as junk and archives a third, each through Thunderbird's own folder APIs over Marionette; after each step
the server's state is checked over imaplib. A message submitted while it sits in INBOX must
show up by IDLE alone, and Thunderbird's IMAP log (MOZ_LOG) must show no NO, BAD or [ALERT]."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "imap"))
from hearth_test import check, finish  # noqa: E402
from imap_common import login, start  # noqa: E402
from tblib import Thunderbird, show_on_failure, submit, wait_for  # noqa: E402

inst = start()
m = login(inst)

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


def server_flags(box, subj):
    """The FLAGS of the message with Subject subj in box, as seen over imaplib; None if absent."""
    if m.select(f'"{box}"', readonly=True)[0] != "OK":
        return None
    typ, data = m.uid("SEARCH", None, "SUBJECT", f'"{subj}"')
    uids = data[0].split() if typ == "OK" and data[0] else []
    if not uids:
        return None
    typ, data = m.uid("FETCH", uids[0], "(FLAGS)")
    return data[0].decode() if typ == "OK" and data and data[0] else ""


def scenario(variant, prefs):
    """The whole session with a fresh profile; `variant` names its folder and subjects."""
    subject = "tb-mail-%s-%d" % (variant, time.time())
    folder = "Projects-" + variant

    def ck(cond, what):
        return check(cond, f"[{variant}] {what}")
    submit(inst, subject)

    tb = Thunderbird(inst, "mail-" + variant, prefs=prefs)
    show_on_failure(tb, "mail-" + variant)
    tb.start()

    # 1. Thunderbird fetches the message.
    t0 = time.monotonic()
    got = tb.js(PRELUDE + """
    const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    const h = await waitMessage(inbox, args[0], 30);
    return h ? h.mime2DecodedAuthor : null;
    """, subject)
    ck(got is not None and inst.email in got, f"Thunderbird shows the submitted message in INBOX ({time.monotonic() - t0:.1f} s): {got}")

    # 2. Read and flagged.
    tb.js(PRELUDE + """
    const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    const h = find(inbox, args[0]);
    inbox.markMessagesRead([h], true);
    inbox.markMessagesFlagged([h], true);
    """, subject)
    flags = wait_for(lambda: (lambda f: f if f and "\\Seen" in f and "\\Flagged" in f else None)(server_flags("INBOX", subject)), 20)
    ck(flags is not None, f"the server has \\Seen and \\Flagged set by Thunderbird: {server_flags('INBOX', subject)}")

    # 3. A new folder, and the message moved into it.
    created = tb.js(PRELUDE + """
    root.createSubfolder(args[0], null);
    for (let i = 0; i < 80 && !root.getChildNamed(args[0]); i++) await sleep(250);
    return !!root.getChildNamed(args[0]);
    """, folder)
    ck(created, f"Thunderbird created the folder {folder}")
    ck(wait_for(lambda: any(l.endswith(f' "{folder}"'.encode()) for l in m.list()[1]), 10),
          f"the server lists {folder}")
    tb.js(PRELUDE + """
    const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    const dest = root.getChildNamed(args[1]);
    const h = find(inbox, args[0]);
    await new Promise((resolve, reject) =>
      MailServices.copy.copyMessages(inbox, [h], dest, true, copyListener(resolve, reject), null, false));
    """, subject, folder)
    moved = wait_for(lambda: server_flags(folder, subject), 20)
    ck(moved is not None and "\\Seen" in moved and "\\Flagged" in moved,
          f"the message is in {folder} with its flags: {moved}")
    ck(wait_for(lambda: server_flags("INBOX", subject) is None, 10), "and no longer in INBOX")

    # 4. Deleted: Thunderbird's default for IMAP moves it to Trash.
    trash_name = tb.js(PRELUDE + """
    const dest = root.getChildNamed(args[1]);
    const h = await waitMessage(dest, args[0], 20);
    if (!h) throw new Error("the moved message never showed up in " + args[1]);
    await new Promise((resolve, reject) =>
      dest.deleteMessages([h], null, false, false, copyListener(resolve, reject), false));
    return root.getFolderWithFlags(Ci.nsMsgFolderFlags.Trash).name;
    """, subject, folder)
    ck(wait_for(lambda: server_flags(trash_name, subject) is not None, 20), f"after Delete the message is in {trash_name}")
    ck(wait_for(lambda: server_flags(folder, subject) is None, 10), f"and gone from {folder}")

    # 5. Junk: Thunderbird keeps its verdict in keywords on the server.
    junk = subject + "-junk"
    submit(inst, junk)
    tb.js(PRELUDE + """
    const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    const h = await waitMessage(inbox, args[0], 30);
    if (!h) throw new Error("the junk candidate never arrived");
    inbox.setJunkScoreForMessages([h], "100", "user", -1);
    """, junk)
    flags = wait_for(lambda: (lambda f: f if f and "Junk" in f else None)(server_flags("INBOX", junk)), 20)
    ck(flags is not None and "NonJunk" not in flags, f"Thunderbird's junk mark is a keyword on the server: {server_flags('INBOX', junk)}")

    # 6. New mail while Thunderbird sits in INBOX arrives by IDLE: nothing asks the server again.
    idle = subject + "-idle"
    def idling():
        """True when Thunderbird's last command on its INBOX connection is IDLE (not DONE)."""
        sent = [l for l in tb.log().splitlines() if ":S-INBOX:SendData: " in l]
        return bool(sent) and sent[-1].split("SendData: ", 1)[1].split(" ")[1:2] == ["IDLE"]
    ck(wait_for(idling, 20), "Thunderbird waits in IDLE on INBOX")
    t0 = time.monotonic()
    submit(inst, idle)
    seen = tb.js(PRELUDE + """
    const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    for (let i = 0; i < 60; i++) {
      if (find(inbox, args[0])) return true;
      await sleep(250);
    }
    return false;
    """, idle)
    ck(seen, f"a new message shows in Thunderbird through IDLE ({time.monotonic() - t0:.1f} s)")

    # 7. Archive (the A key): Thunderbird files it under the \Archive folder, one subfolder a year.
    archive = tb.js(PRELUDE + """
    const { MessageArchiver } = ChromeUtils.importESModule("resource:///modules/MessageArchiver.sys.mjs");
    const inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    const h = find(inbox, args[0]);
    const archiver = new MessageArchiver();
    await new Promise(resolve => { archiver.oncomplete = resolve; archiver.archiveMessages([h]); });
    return root.getFolderWithFlags(Ci.nsMsgFolderFlags.Archive).name;
    """, idle)

    def archived():
        for line in m.list('""', f'"{archive}/*"')[1] or []:
            name = line.decode().rsplit(' "/" ', 1)[-1].strip('"') if line else ""
            if name and server_flags(name, idle) is not None:
                return name
        return None
    where = wait_for(archived, 20)
    ck(where is not None, f"Archive put the message in a yearly folder under {archive} on the server: {where}")
    ck(wait_for(lambda: server_flags("INBOX", idle) is None, 10), "and took it out of INBOX")

    tb.stop()
    errors = tb.imap_errors()
    ck(not errors, "no NO, BAD or [ALERT] in Thunderbird's IMAP log" + ("".join("\n  " + e for e in errors)))
    commands = [l.split("SendData: ", 1)[1].split(" ", 2)[1].upper() for l in tb.log().splitlines()
                if "SendData: " in l and len(l.split("SendData: ", 1)[1].split(" ")) > 1]
    ck(len(commands) > 5, f"the IMAP log was read ({len(commands)} commands)")
    print(f"# Thunderbird ({variant}) sent: " + " ".join(sorted(set(commands))))


scenario("default", {})
# CONDSTORE is off by default in Thunderbird; users turn it on for large mailboxes.
scenario("condstore", {"mail.server.default.use_condstore": True})
m.logout()
finish()

"""The learning spam filter learns from what users do in IMAP (Python imaplib) and sorts new
mail arriving over SMTP by it:
- MOVE into Junk and the markasjunk keywords ($Junk, $NotJunk) teach spam and ham; a message
  APPENDed into Junk then moved out is unlearnt as spam and learnt as ham (never counted
  twice); a move from Junk to Trash teaches nothing, and a spam APPENDed or moved into Junk
  and at once thrown into Trash is still learnt (the server runs with HEARTH_TEST_LEARN_DELAY_MS,
  so the learner reads each lesson's messages after the next command has moved them on);
- a new spam like the trained ones lands in Junk with BAYES_99 in X-Spam-Status, a new ham in
  the INBOX with BAYES_00;
- mail from a CardDAV contact, and from an address the user wrote to (Sent), is not sent to
  Junk by the classifier (KNOWN_SENDER), however spammy;
- a false positive moved out of Junk flips the next similar message to the INBOX.
"""
import os
import re
import time

from hearth_test import NET, Instance, check, finish, set_key
from spam_lib import IMAP, ham_message, put_contact, spam_message, deliver, stats, wait_stats

USER = "demo@example.test"
inst = Instance(USER)
# No resolver on the loopback: DNS answers fail at once (no lookups leave the machine).
set_key(inst.config, "dns", "servers", f'["{NET}.2:5353"]')
set_key(inst.config, "filter.bayes", "min_spam", "5")
set_key(inst.config, "filter.bayes", "min_ham", "5")
inst.cli(["config", "check"])
os.environ["HEARTH_TEST_LEARN_DELAY_MS"] = "150"
inst.start(wait_for="imaps")
im = IMAP(inst)


def move(src, uids, dst):
    im.select(src)
    typ, data = im.uid("MOVE", ",".join(str(u) for u in uids), dst)
    assert typ == "OK", data


# Spam: 8 moved into Junk, 4 flagged $Junk in the INBOX (Roundcube's markasjunk, K-9).
uids = [im.append_msg("INBOX", spam_message(i)) for i in range(8)]
move("INBOX", uids, "Junk")
uids = [im.append_msg("INBOX", spam_message(i)) for i in range(8, 12)]
im.select("INBOX")
typ, _ = im.uid("STORE", ",".join(map(str, uids)), "+FLAGS", "($Junk)")
check(typ == "OK", "STORE +FLAGS ($Junk)")
# Ham: 6 flagged $NotJunk; 3 put in Junk by mistake (learnt as spam) and moved back out.
uids = [im.append_msg("INBOX", ham_message(i)) for i in range(6)]
im.select("INBOX")
im.uid("STORE", ",".join(map(str, uids)), "+FLAGS", "($NotJunk)")
uids = [im.append_msg("Junk", ham_message(i)) for i in range(6, 9)]
got = wait_stats(inst, USER, (15, 6))
check(got == (15, 6), f"12 spam and 6 ham learnt; 3 hams APPENDed into Junk learnt as spam at first ({got})")
move("Junk", uids, "INBOX")
# A spam thrown away from Junk into Trash stays learnt as spam (no ham lesson), however soon:
# one APPENDed into Junk, one moved there from the INBOX.
uid = im.append_msg("Junk", spam_message(12))
move("Junk", [uid], "Trash")
uid = im.append_msg("INBOX", spam_message(13))
move("INBOX", [uid], "Junk")
im.select("Junk")
typ, data = im.uid("SEARCH", None, "SUBJECT", '"13"')
move("Junk", [int(u) for u in data[0].split()], "Trash")
got = wait_stats(inst, USER, (14, 9))
check(got == (14, 9), f"learnt 14 spam and 9 ham, the 3 moved out of Junk unlearnt as spam ({got})")
check(stats(inst) == (14, 9), f"and counted site-wide too ({stats(inst)})")
# The same message moved again teaches nothing new.
im.select("INBOX")
typ, data = im.uid("SEARCH", None, "ALL")
first_ham = data[0].split()[-1].decode()
im.uid("STORE", first_ham, "+FLAGS", "($NotJunk)")
time.sleep(1)
check(stats(inst, USER) == (14, 9), "a message learnt the same way again is not counted twice")

# New mail over SMTP.
code, text = deliver(inst, spam_message(100), "deals@pharma-offers.example")
check(code == 250, f"new spam accepted ({code} {text})")
code, text = deliver(inst, ham_message(100), "bob@partner.example")
check(code == 250, f"new ham accepted ({code} {text})")
junk = im.subjects("Junk")
inbox = im.subjects("INBOX")
spam_subj = [s for s in junk if s.endswith(" 100")]
ham_subj = [s for s in inbox if s.endswith(" 100")]
check(len(spam_subj) == 1 and b"BAYES_99(6)" in junk[spam_subj[0]], "the new spam landed in Junk with BAYES_99(6)")
check(len(ham_subj) == 1 and re.search(rb"BAYES_0[05]\(-", inbox[ham_subj[0]]), "the new ham landed in the INBOX with BAYES_00")

# Known senders: a CardDAV contact, and someone the user wrote to.
check(put_contact(inst, "friend", "Friend@Pharma-Offers.example") in (201, 204), "contact added over CardDAV")
code, _ = deliver(inst, spam_message(101, sender="friend@pharma-offers.example"), "friend@pharma-offers.example")
im.append_msg("Sent", "From: demo@example.test\r\nTo: Pal <pal@pharma-offers.example>\r\nSubject: hi pal\r\n\r\nhello\r\n")
code2, _ = deliver(inst, spam_message(102, sender="pal@pharma-offers.example"), "pal@pharma-offers.example")
inbox = im.subjects("INBOX")
for n, who in ((101, "a CardDAV contact"), (102, "an address the user wrote to")):
    s = [k for k in inbox if k.endswith(f" {n}")]
    check(len(s) == 1 and b"KNOWN_SENDER(-6)" in inbox[s[0]] and b"BAYES_99(6)" in inbox[s[0]],
          f"spammy mail from {who} stays in the INBOX (BAYES_99 taken back by KNOWN_SENDER)")


# A false positive: a newsletter that shares words with the spam.
def newsletter(i):
    return (f"From: Kernel News <news@kernel-letters.example>\r\nTo: {USER}\r\nSubject: weekly digest {i}\r\n"
            f"List-Id: <digest.kernel-letters.example>\r\nContent-Type: text/html\r\n\r\n"
            f"<html><body><font color=red>exclusive offer bonus limited winner guaranteed</font> "
            f"scheduler ext4 btrfs mainline maintainers rcu lockdep bisect regression tracepoint "
            f"ebpf io_uring</body></html>\r\n")


deliver(inst, newsletter(1), "news@kernel-letters.example")
junk = im.subjects("Junk")
check("weekly digest 1" in junk, "the newsletter was first taken for spam (Junk)")
im.select("Junk")
typ, data = im.uid("SEARCH", None, "SUBJECT", '"weekly digest 1"')
move("Junk", [int(u) for u in data[0].split()], "INBOX")
got = wait_stats(inst, USER, (14, 10))
check(got == (14, 10), f"moving it out of Junk taught ham ({got})")
deliver(inst, newsletter(2), "news@kernel-letters.example")
inbox = im.subjects("INBOX")
check("weekly digest 2" in inbox, "the next newsletter lands in the INBOX")
check("spam.learn user=demo@example.test as=ham verb=move" in inst.log(), "the log says what was learnt")
im.logout()

# The CLI: train from a mailbox (only what is new counts), classify a file, forget a user.
out = inst.cli(["spam", "train", "--user", USER, "--spam", "Junk"]).stdout
check("Junk: 9 messages as spam (1 new, 0 flipped, 8 already learnt)" in out, f"spam train --spam Junk: {out.strip()}")
path = os.path.join(inst.dir, "new-spam.eml")
with open(path, "w") as f:
    f.write(spam_message(200))
out = inst.cli(["spam", "classify", path, "--user", USER]).stdout
check("verdict: spam" in out and "test: BAYES_99" in out and re.search(r"spam=\d+ +ham=0 +\S", out),
      "spam classify shows the verdict, the test and the strongest tokens" + ("" if "BAYES_99" in out else "\n" + out))
# An APPEND carrying $Junk teaches spam too (a client that files a copy with the keyword).
im = IMAP(inst)
im.append_msg("INBOX", spam_message(300), "($Junk)")
im.logout()
got = wait_stats(inst, USER, (16, 10))
check(got == (16, 10), f"APPEND with $Junk learnt as spam ({got})")
out = inst.cli(["spam", "forget", "--user", USER]).stdout
check(f"{USER}: forgot 26 messages" in out, f"spam forget --user: {out.strip()}")
check(stats(inst, USER) == (0, 0) and stats(inst) == (0, 0), "the user's share of the site-wide counts went too")
finish()

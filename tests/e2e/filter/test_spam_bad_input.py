"""Bad input for the learning spam filter, through the real paths (SMTP on port 25 with the
classifier voting, IMAP APPEND into Junk for the learner, `hearth spam classify`): a 40 MB
message of millions of distinct words, an HTML bomb (deeply nested tags, endless scripts),
10 MB of random base64 in a text part. Each is handled in bounded time, the server's memory
stays bounded, and nothing is lost: every message is stored.
"""
import base64
import os
import random
import time

from hearth_test import NET, Instance, check, finish, set_key
from spam_lib import IMAP, deliver, ham_message, spam_message, wait_stats

USER = "demo@example.test"
inst = Instance(USER)
# No resolver on the loopback: DNS answers fail at once (no lookups leave the machine).
set_key(inst.config, "dns", "servers", f'["{NET}.2:5353"]')
set_key(inst.config, "filter.bayes", "min_spam", "1")
set_key(inst.config, "filter.bayes", "min_ham", "1")
inst.start(wait_for="imaps")
im = IMAP(inst)
im.append_msg("Junk", spam_message(1))
uid = im.append_msg("INBOX", ham_message(1))
im.select("INBOX")
im.uid("STORE", str(uid), "+FLAGS", "($NotJunk)")
check(wait_stats(inst, USER, (1, 1)) == (1, 1), "trained enough to vote")


def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return 0


head = f"From: <x@sender.example>\r\nTo: <{USER}>\r\n"
rnd = random.Random(7)
words = " ".join(f"w{rnd.getrandbits(40):x}" for _ in range(3_000_000))
cases = {
    "distinct words 40MB": head + "Subject: distinct words 40MB\r\n\r\n" +
        "\r\n".join(words[i:i + 900] for i in range(0, len(words), 900))[:40 << 20] + "\r\n",
    "html bomb": head + "Subject: html bomb\r\nContent-Type: text/html\r\n\r\n" +
        ("<div><span><script>" * 40 + "\r\n") * 12000 + ("<" * 900 + "\r\n") * 3000,
    "random base64": head + "Subject: random base64\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
        "\r\n".join(base64.b64encode(os.urandom(57)).decode() for _ in range(180000)) + "\r\n",
}
base = rss_mb(inst.proc.pid)
for name, msg in cases.items():
    t0 = time.monotonic()
    code, text = deliver(inst, msg, "x@sender.example")
    took = time.monotonic() - t0
    check(code == 250 and took < 40, f"{name} ({len(msg) >> 20} MB) over SMTP: {code} in {took:.1f} s")
    with open(os.path.join(inst.dir, "bad.eml"), "w") as f:
        f.write(msg)
    t0 = time.monotonic()
    cp = inst.cli(["spam", "classify", os.path.join(inst.dir, "bad.eml")])
    took = time.monotonic() - t0
    check(cp.returncode == 0 and "score:" in cp.stdout and took < 10, f"{name}: hearth spam classify in {took:.1f} s")
peak = rss_mb(inst.proc.pid, "VmHWM")
check(peak - base < 600, f"server memory stays bounded (RSS {base} MB at start, peak {peak} MB)")

# The learner reads at most the first MiB of a huge message.
im.append_msg("Junk", cases["distinct words 40MB"].replace("distinct words 40MB", "learn huge"))
check(wait_stats(inst, USER, (2, 1), timeout=30) == (2, 1), "a 40 MB message moved to Junk is learnt")
inbox = im.subjects("INBOX")
for name in cases:
    check(name in inbox or name in im.subjects("Junk"), f"{name}: stored, nothing lost")
im.logout()
finish()

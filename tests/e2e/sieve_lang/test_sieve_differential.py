"""Differential test of the Sieve interpreter against Dovecot Pigeonhole.

For every (script, message) pair of the corpus in tests/data/sieve (scripts/*.sieve x
messages/*.eml), runs `hearth sieve test` and Pigeonhole's `sieve-test` (Debian's
dovecot-sieve, in its default dry-run mode that prints the result without delivering) and
compares the actions after normalising both outputs to one form:

    store MAILBOX [flags=...] [create]     keep, fileinto and the implicit keep ("implicit ...")
    redirect ADDRESS | discard | reject REASON
    vacation seconds=N reason=TEXT | notify SCHEME importance=N
    error                                  a runtime error (both then keep into INBOX)
    compile-error                          the script does not compile

Nothing is faked: both are the real programs. Known, documented differences (the list
KNOWN_DIFFERENCES below, each with its reason) are reported but do not fail the test.
"""
import concurrent.futures
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

from hearth_test import HEARTH, SOURCE_DIR, check, finish

DATA = os.path.join(SOURCE_DIR, "tests", "data", "sieve")
USER = "bob@home.test"

# (script, message) -> why Pigeonhole differs. A pair listed here is compared, and a difference
# is reported as "known", not as a failure.
KNOWN_DIFFERENCES = {}
# RFC 5183 §4: Hearth runs scripts at delivery, so "location" is "MDA" and "phase" "during";
# sieve-test describes itself as "MS" / "post".
for _m in ("auto.eml", "bounce.eml", "list.eml", "mime.eml", "personal.eml", "spam.eml"):
    KNOWN_DIFFERENCES[("26-environment.sieve", _m)] = "environment items of sieve-test (location MS, phase post)"
# Pigeonhole 0.5.19's :matches accepts a pattern of "?", then literal text, then a final "*"
# for any value ("?unch*" matches "Caf\u00e9 menu and photos"); RFC 5228 §2.7.1 says the literal
# text must be there. Hearth follows the RFC.
for _m in ("bounce.eml", "mime.eml", "spam.eml"):
    KNOWN_DIFFERENCES[("27-matches-wildcards.sieve", _m)] = "Pigeonhole :matches bug with \"?text*\""
# An unset variable makes the mailbox name empty: Hearth refuses `fileinto ""` as a runtime
# error (the message is kept in INBOX); sieve-test's dry run shows a store into "", which fails
# when Pigeonhole really delivers.
for _m in ("mime.eml", "personal.eml"):
    KNOWN_DIFFERENCES[("36-include-once-return.sieve", _m)] = "fileinto an empty mailbox name"
# Notes on the comparison itself (not differences):
# - Pigeonhole's dry run prints the vacation action without applying RFC 3834's rules (it checks
#   them only when really sending); Hearth decides at run time and prints "note: vacation not
#   sent: ..."; such a pair compares the Pigeonhole vacation as "vacation (suppressed)".
# - sieve-test cannot express the null reverse-path (-f "" is refused and without -f it takes
#   the From address), so a message with "Return-Path: <>" runs with its From address as the
#   envelope sender in both programs.

PIGEONHOLE_CONF = """
mail_location = maildir:{home}/Maildir
plugin {{
  sieve = file:{personal};active={home}/.dovecot.sieve
  sieve_global = {global_dir}
  sieve_extensions = +vacation-seconds +editheader +spamtest +spamtestplus
  sieve_spamtest_status_type = score
  sieve_spamtest_status_header = X-Spam-Score
  sieve_spamtest_max_value = 10
  sieve_vacation_min_period = 1s
}}
"""


def envelope_from(message_path):
    with open(message_path, "rb") as f:
        head = f.read().split(b"\r\n\r\n", 1)[0].decode("latin-1")
    m = re.search(r"^Return-Path:\s*<([^>]*)>", head, re.M | re.I)
    if m and m.group(1):
        return m.group(1)
    m = re.search(r"^From:.*<([^>]*)>", head, re.M | re.I)
    return m.group(1) if m else ""


def spam_options(message_path):
    """The spam verdict as Hearth's delivery would pass it, from the X-Spam-Score header that
    Pigeonhole is configured to read (a score out of 10): spamtest 1 + 9 * score / 10,
    :percent 10 * score; no header = not tested."""
    with open(message_path, "rb") as f:
        head = f.read().split(b"\r\n\r\n", 1)[0].decode("latin-1")
    m = re.search(r"^X-Spam-Score:\s*([0-9.]+)", head, re.M | re.I)
    if not m:
        return []
    score = float(m.group(1))
    return ["--spam-score", str(int(1 + 9 * score / 10)), "--spam-percent", str(int(score * 10))]


def collapse(s):
    return " ".join(s.split())


def norm_flags(flags):
    return sorted(f.lower() for f in flags)


def store_line(prefix, mailbox, flags, create):
    line = f"{prefix}store {mailbox}"
    if flags:
        line += " flags=" + ",".join(norm_flags(flags))
    if create:
        line += " create"
    return line


def unq(s):
    return re.sub(r'\\(.)', r'\1', s)


def normalise_hearth(rc, out):
    if rc == 1 and re.match(r"^\S+:\d+:\d+: ", out):
        return ["compile-error"]
    result = []
    for line in out.splitlines():
        if line.startswith("error: "):
            result.append("error")
            continue
        if line.startswith("note: vacation not sent"):
            result.append("vacation (suppressed)")
            continue
        if line.startswith(("note: ", "addheader ", "deleteheader ")):
            continue
        flags = []
        m = re.search(r' :flags \[(.*?)\]', line)
        if m:
            flags = [unq(x) for x in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))]
        if line.startswith("keep (implicit)"):
            result.append(store_line("implicit ", "INBOX", flags, False))
        elif line.startswith("keep"):
            result.append(store_line("", "INBOX", flags, False))
        elif line.startswith("fileinto"):
            mailbox = unq(re.findall(r'"((?:[^"\\]|\\.)*)"', line)[-1])
            result.append(store_line("", mailbox, flags, " :create" in line))
        elif line.startswith("redirect"):
            result.append("redirect " + unq(re.findall(r'"((?:[^"\\]|\\.)*)"', line)[-1]))
        elif line == "discard":
            result.append("discard")
        elif line.startswith(("reject", "ereject")):
            result.append("reject " + collapse(unq(line.split(" ", 1)[1][1:-1])))
        elif line.startswith("vacation"):
            seconds = re.search(r":seconds (\d+)", line).group(1)
            reason = unq(re.findall(r'"((?:[^"\\]|\\.)*)"', line)[-1])
            result.append(f"vacation seconds={seconds} reason={collapse(reason)}")
        elif line.startswith("notify"):
            scheme = re.match(r'notify "([a-z]+):', line).group(1)
            importance = re.search(r":importance (\d)", line).group(1)
            result.append(f"notify {scheme} importance={importance}")
        else:
            result.append("unknown: " + line)
    # sieve-test prints the implicit keep in its own section after the actions: same order here.
    return [x for x in result if not x.startswith("implicit ")] + [x for x in result if x.startswith("implicit ")]


def normalise_pigeonhole(rc, out, err):
    if "failed to compile sieve script" in err:
        return ["compile-error"]
    if "resolved with successful implicit keep" in err and "Performed actions" not in out:
        return ["error", "implicit store INBOX"]
    result = []
    section = None
    current = None  # the action being described by "+" and "=>" lines

    def close():
        nonlocal current
        if current is None:
            return
        kind = current["kind"]
        if kind == "store":
            result.append(store_line(current["prefix"], current["mailbox"], current["flags"], current["create"]))
        elif kind == "vacation":
            result.append(f"vacation seconds={current['seconds']} reason={collapse(current['body'])}")
        elif kind == "notify":
            result.append(f"notify {current['scheme']} importance={current['importance']}")
        else:
            result.append(current["text"])
        current = None

    lines = out.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("Performed actions:"):
            close()
            section = ""
            continue
        if line.startswith("Implicit keep:"):
            close()
            section = "implicit "
            continue
        if section is None:
            continue
        m = re.match(r"^ \* (.*)$", line)
        if m:
            close()
            text = m.group(1)
            if text.startswith("store message in folder: "):
                current = {"kind": "store", "prefix": section, "mailbox": text[len("store message in folder: "):],
                           "flags": [], "create": False}
            elif text.startswith("redirect message to: "):
                current = {"kind": "other", "text": "redirect " + text[len("redirect message to: "):].strip("<>")}
            elif text == "discard":
                current = {"kind": "other", "text": "discard"}
            elif text.startswith("reject message with reason: "):
                # sieve-test prints each CR and LF of the reason as "?".
                reason = text[len("reject message with reason: "):].replace("??", " ")
                current = {"kind": "other", "text": "reject " + collapse(reason)}
            elif text.startswith("send vacation message"):
                current = {"kind": "vacation", "seconds": "?", "body": ""}
            elif text.startswith("send notification with method '"):
                current = {"kind": "notify", "scheme": text.split("'")[1].rstrip(":"), "importance": "2"}
            else:
                current = {"kind": "other", "text": "unknown: " + text}
            continue
        s = line.strip()
        if current is None:
            continue
        if current["kind"] == "store":
            if s.startswith("+ add IMAP flags: "):
                current["flags"] = s[len("+ add IMAP flags: "):].split()
            elif s.startswith("+ create mailbox"):
                current["create"] = True
        elif current["kind"] == "vacation":
            if s.startswith("=> seconds :"):
                current["seconds"] = s.split(":", 1)[1].strip()
            elif s == "START MESSAGE":
                body = []
                while i < len(lines) and lines[i].strip() != "END MESSAGE":
                    body.append(lines[i])
                    i += 1
                i += 1
                current["body"] = "\n".join(body)
        elif current["kind"] == "notify":
            if s.startswith("=> importance"):
                current["importance"] = s.split(":", 1)[1].strip()
    close()
    if "resolved with successful implicit keep" in err:
        result = ["error", "implicit store INBOX"]
    return result


def main():
    if not shutil.which("sieve-test"):
        print("sieve-test (Debian dovecot-sieve) is not installed; see scripts/packages/sieve.txt")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="hearth-sieve-diff-")
    os.chmod(work, 0o755)
    home = os.path.join(work, "home")
    os.mkdir(home)
    personal = os.path.join(DATA, "personal")
    global_dir = os.path.join(DATA, "global")
    conf = os.path.join(work, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(PIGEONHOLE_CONF.format(home=home, personal=personal, global_dir=global_dir))
    os.chmod(conf, 0o644)
    # Pigeonhole refuses to run as root; drop to nobody for it (CI runs as root).
    drop = []
    env = dict(os.environ, HOME=home)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        drop = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        env["USER"] = "nobody"
    scripts_dir = os.path.join(work, "scripts")
    os.mkdir(scripts_dir)
    os.chmod(scripts_dir, 0o755)
    scripts = sorted(os.listdir(os.path.join(DATA, "scripts")))
    messages = sorted(os.listdir(os.path.join(DATA, "messages")))
    def run_script(script):
        # Pigeonhole writes a compiled .svbin beside the script: give it a writable copy.
        src = os.path.join(scripts_dir, script)
        shutil.copy(os.path.join(DATA, "scripts", script), src)
        os.chmod(src, 0o644)
        rows = []
        for message in messages:
            mpath = os.path.join(DATA, "messages", message)
            sender = envelope_from(mpath)
            h = subprocess.run([HEARTH, "sieve", "test", "--user", USER, "--to", USER, "--from", sender,
                                "--include-dir", personal, "--global-dir", global_dir, "--script", src]
                               + spam_options(mpath) + [mpath],
                               capture_output=True, text=True, timeout=30)
            p = subprocess.run(drop + ["sieve-test", "-c", conf, "-f", sender, "-r", USER, "-a", USER,
                                       src, mpath], capture_output=True, text=True, timeout=30, env=env)
            rows.append((script, message, h, p))
        return rows

    if drop:
        os.chown(scripts_dir, pwd.getpwnam("nobody").pw_uid, -1)
    # Scripts run side by side (each has its own .svbin); the messages of one script in turn.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = [row for rows in pool.map(run_script, scripts) for row in rows]
    pairs = same = known = 0
    for script, message, h, p in results:
        hn = normalise_hearth(h.returncode, h.stdout)
        pn = normalise_pigeonhole(p.returncode, p.stdout, p.stderr)
        # The suppressed vacation (see the notes above): Pigeonhole's dry run shows it.
        if "vacation (suppressed)" in hn:
            pn = ["vacation (suppressed)" if x.startswith("vacation ") else x for x in pn]
        pairs += 1
        key = (script, message)
        if hn == pn:
            same += 1
            check(True, f"{script} x {message}: {hn}")
        elif key in KNOWN_DIFFERENCES:
            known += 1
            print(f"known {script} x {message}: hearth={hn} pigeonhole={pn} ({KNOWN_DIFFERENCES[key]})")
        else:
            check(False, f"{script} x {message}: hearth={hn} pigeonhole={pn}\n"
                         f"--- hearth\n{h.stdout}{h.stderr}--- sieve-test\n{p.stdout}{p.stderr}")
    # `hearth sieve check`: FILE:LINE:COLUMN for a broken script (exit 1), silence for a good one.
    bad = os.path.join(DATA, "scripts", "31-syntax-error.sieve")
    c = subprocess.run([HEARTH, "sieve", "check", bad], capture_output=True, text=True, timeout=30)
    check(c.returncode == 1 and c.stdout.startswith(bad + ":4:1: "), f"sieve check reports line 4 column 1: {c.stdout!r}")
    good = os.path.join(DATA, "scripts", "07-variables.sieve")
    c = subprocess.run([HEARTH, "sieve", "check", good], capture_output=True, text=True, timeout=30)
    check(c.returncode == 0 and c.stdout == "", "sieve check accepts a good script")
    check(pairs >= 100, f"the corpus has at least 100 pairs ({pairs}: {same} same, {known} known differences)")
    shutil.rmtree(work, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()

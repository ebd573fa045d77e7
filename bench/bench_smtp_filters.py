#!/usr/bin/env python3
"""What filtering at delivery costs inbound SMTP: the same load (Postfix's smtp-source, 10 KB
messages to one local account, 1 and 20 connections) against one hearth with, in turn, no
filter, a 50-rule Sieve script (the shape Roundcube writes) active, the learning spam filter
voting (trained on 300 + 300 generated messages), and both. Prints messages/s per row, the server's
CPU time per message (steadier than wall time on a busy machine) and its difference against no
filter. Asserts nothing.

usage: bench_smtp_filters.py [HEARTH_BIN]   (make bench passes build/hearth)
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "lib"))
from hearth_test import set_key, wait_port  # noqa: E402

HEARTH = sys.argv[1] if len(sys.argv) > 1 else "build/hearth"
ADDR = "127.0.251.1"
OFFSET = 31000
SIZE = 10 * 1024
LOADS = [(1, 300), (20, 2000)]
USER = "bench@bench.test"


def fifty_rules():
    rules = ['require ["fileinto", "imap4flags", "variables", "relational", "comparator-i;ascii-numeric",'
             ' "regex", "body", "envelope", "subaddress", "copy", "mailbox"];']
    for i in range(50):
        k = i % 10
        rules.append([
            f'if header :contains "subject" "project-{i}" {{ fileinto :create "Projects/{i}"; stop; }}',
            f'if address :domain :is "from" "vendor{i}.example" {{ fileinto :create "Vendors"; }}',
            f'if header :matches "list-id" "*<list{i}.*>" {{ fileinto :create "Lists/${{1}}"; stop; }}',
            f'if anyof (header :is "x-mailer" "bulk{i}", address :localpart "to" "noreply{i}") {{ addflag "$Bulk"; }}',
            f'if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "{20 + i}" {{ fileinto "Junk"; stop; }}',
            f'if address :detail "to" "tag{i}" {{ fileinto :copy :create "Tagged"; }}',
            f'if header :regex "subject" "^\\\\[ticket-{i}\\\\] #[0-9]+" {{ fileinto :create "Tickets"; }}',
            f'if envelope :is "from" "robot{i}@example.net" {{ discard; stop; }}',
            f'if allof (exists "x-priority", header :is "x-priority" "{i}") {{ addflag "\\\\Flagged"; }}',
            f'if size :over {1000 + i}K {{ fileinto :create "Large"; }}',
        ][k])
    return "\n".join(rules) + "\n"


def training_mbox(path, spam):
    words = (["viagra", "lottery", "winner", "crypto", "offer", "click", "free", "prize", "urgent", "bitcoin"]
             if spam else ["meeting", "lunch", "report", "project", "family", "weekend", "invoice", "draft",
                           "minutes", "school"])
    with open(path, "w") as f:
        for i in range(300):
            sender = f"{'promo' if spam else 'friend'}{i % 17}@{'spam' if spam else 'ham'}.example"
            body = " ".join(words[(i + j) % len(words)] for j in range(60))
            f.write(f"From {sender} Sun Dec  6 12:00:00 2026\nFrom: {sender}\nTo: {USER}\n"
                    f"Subject: {words[i % len(words)]} {words[(i * 3) % len(words)]} {i}\n\n{body}\n\n")


def cpu_seconds(pid):
    """User + system CPU time of the server so far: on a loaded machine, a steadier measure of
    the work per message than wall time."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(port, sessions, n):
    t0 = time.monotonic()
    r = subprocess.run(["smtp-source", "-m", str(n), "-s", str(sessions), "-l", str(SIZE),
                        "-f", "load@remote.test", "-t", USER, f"{ADDR}:{port}"],
                       capture_output=True, text=True, timeout=600)
    secs = time.monotonic() - t0
    return n / secs if r.returncode == 0 else float("nan")


def run_mode(work, sieve, bayes):
    cfg = os.path.join(work, "hearth.toml")
    set_key(cfg, "filter.bayes", "enabled", "true" if bayes else "false")
    cli = [HEARTH, "--config", cfg]
    if sieve:
        subprocess.run(cli + ["sieve", "activate", USER, "rules"], check=True, capture_output=True)
    else:
        subprocess.run(cli + ["sieve", "deactivate", USER], check=True, capture_output=True)
    log = open(os.path.join(work, "serve.log"), "ab")
    p = subprocess.Popen(cli + ["serve"], stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_port(ADDR, 25 + OFFSET, timeout=20):
            print("hearth did not start; see", os.path.join(work, "serve.log"))
            return None
        out = {}
        for s, n in LOADS:
            c0 = cpu_seconds(p.pid)
            out[s] = load(25 + OFFSET, s, n)
            out[("cpu", s)] = (cpu_seconds(p.pid) - c0) / n * 1e6
        return out
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)


def main():
    work = tempfile.mkdtemp(prefix="bench-filters-")
    r = subprocess.run([HEARTH, "quickstart", "--dev", USER, "--dir", work, "--listen", ADDR,
                        "--port-offset", str(OFFSET)], capture_output=True, text=True)
    if r.returncode != 0:
        print("hearth quickstart failed:", r.stderr)
        return 1
    cfg = os.path.join(work, "hearth.toml")
    for table in ("server", "smtp"):
        set_key(cfg, table, "max_connections_per_ip", "0")
    set_key(cfg, "filter.greylist", "enabled", "false")
    set_key(cfg, "filter.bayes", "min_spam", "100")
    set_key(cfg, "filter.bayes", "min_ham", "100")
    cli = [HEARTH, "--config", cfg]
    script = os.path.join(work, "rules.sieve")
    with open(script, "w") as f:
        f.write(fifty_rules())
    subprocess.run(cli + ["sieve", "put", USER, "rules", script], check=True, capture_output=True)
    spam, ham = os.path.join(work, "spam.mbox"), os.path.join(work, "ham.mbox")
    training_mbox(spam, True)
    training_mbox(ham, False)
    subprocess.run(cli + ["spam", "train", "--spam-mbox", spam, "--ham-mbox", ham], check=True, capture_output=True)

    modes = [("no filter", False, False), ("50-rule Sieve script", True, False),
             ("learning spam filter", False, True), ("both", True, True)]
    results = {}
    for name, sieve, bayes in modes:
        results[name] = run_mode(work, sieve, bayes)
    print(f"inbound SMTP with filters at delivery (10 KB messages, smtp-source; {work})")
    print(f"{'':24}" + "".join(f"{f'{s} conn msg/s':>16}{'CPU µs/msg':>12}{'extra':>8}" for s, _ in LOADS))
    base = results["no filter"]
    for name, _, _ in modes:
        row = results[name]
        if row is None:
            print(f"{name:24} failed")
            continue
        cells = ""
        for s, _ in LOADS:
            cpu = row[("cpu", s)]
            extra = cpu - base[("cpu", s)] if base else float("nan")
            cells += f"{row[s]:16.0f}{cpu:12.0f}{extra:8.0f}"
        print(f"{name:24}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

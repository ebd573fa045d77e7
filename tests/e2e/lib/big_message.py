"""Large messages for the tests that bound a server's memory, and its peak resident size.

    from big_message import lines_message, vm_hwm_kib
    msg = lines_message(head_bytes, 40, seed=1)   # head + lines of words up to 40 MiB
    vm_hwm_kib(inst.proc.pid)                     # VmHWM of /proc/PID/status, in KiB
"""
import random

WORDS = [b"alpha", b"beta", b"gamma", b"delta", b".dot", b"epsilon", b"zeta", b"..two", b"eta", b"theta"]


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def lines_message(head, size_mb, seed):
    """`head` (the header section, with its empty line) and lines of 12 random words until the
    message reaches size_mb MiB. Some lines start with "." or "..", so that SMTP's and POP3's
    dot-stuffing cross every piece the server cuts the message into."""
    rng = random.Random(seed)
    lines = []
    size = len(head)
    n = 0
    while size < size_mb * 1024 * 1024:
        line = b" ".join(rng.choice(WORDS) for _ in range(12)) + b" %d\r\n" % n
        lines.append(line)
        size += len(line)
        n += 1
    return head + b"".join(lines)

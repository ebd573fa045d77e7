"""Installs what a benchmark compares hearth with (scripts/packages/NAME.list) when it is
missing. Those packages are for `make bench` only, not for `make test`; the system services
they enable are disabled and stopped, since each benchmark starts private instances."""
import os
import subprocess


def ensure_packages(list_name, services=()):
    lst = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "packages", list_name)
    try:
        with open(lst) as f:
            pkgs = [w for line in f for w in line.split("#")[0].split()]
    except OSError:
        return
    missing = [p for p in pkgs if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    print(f"{list_name}: installing", " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{list_name}: apt-get failed:", r.stderr.strip()[-300:])
    for svc in services:
        subprocess.run(["systemctl", "disable", "--now", svc], capture_output=True)

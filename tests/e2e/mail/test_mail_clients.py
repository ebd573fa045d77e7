"""Debian's mail clients send with their default settings: mutt and neomutt (Cyrus SASL picks the
strongest mechanism offered and cannot do -PLUS without a channel binding, which they never give
it), msmtp (GNU SASL) and s-nail, each over 587 (STARTTLS) and 465 (implicit TLS), plus Python
smtplib with PLAIN and LOGIN. mutt's IMAP (its Sent copy) logs in with SCRAM-SHA-256, its first
choice, and neomutt's (reading INBOX under tmux) at its first try. Every message must reach
the INBOX."""
import imaplib
import os
import re
import smtplib
import ssl
import subprocess
import tempfile
import time

from hearth_test import Instance, check, finish

inst = Instance("demo@example.test", host=1)
inst.start()
ca = inst.ca_file()
ctx = ssl.create_default_context(cafile=ca)
user, pw, host = inst.email, inst.password, inst.addr
p587, p465, p993 = inst.port("submission"), inst.port("submissions"), inst.port("imaps")
work = tempfile.mkdtemp(prefix="hearth-clients-")
env = dict(os.environ, HOME=work, TERM="dumb", LC_ALL="C.UTF-8")
sent = []  # subjects that must arrive


def message(subject):
    return f"From: {user}\r\nTo: {user}\r\nSubject: {subject}\r\n\r\nsent by a test client\r\n"


def log_lines(kind):
    """The server's log lines of one kind ("auth.ok", "auth.fail"), in order."""
    return [l for l in inst.log().splitlines() if f" {kind} " in l]


def last_smtp_mech():
    smtp_ok = [l for l in log_lines("auth.ok") if "proto=smtp" in l]
    return re.search(r"mech=(\S+)", smtp_ok[-1]).group(1) if smtp_ok else "?"


def run_client(name, args, stdin, timeout=60):
    before = len(log_lines("auth.fail"))
    try:
        cp = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, env=env)
        rc, out = cp.returncode, cp.stdout + cp.stderr
    except subprocess.TimeoutExpired:
        rc, out = None, "timed out"
    fails = log_lines("auth.fail")[before:]
    check(rc == 0, f"{name}: sent ({rc}: {out.strip()[-300:]})")
    check(not fails, f"{name}: no failed login on the way (auth.fail lines: {fails})")
    return rc == 0


def muttrc(path, smtp_url):
    # Default authenticators: Cyrus SASL chooses from what the server offers.
    with open(path, "w") as f:
        f.write(f"""set certificate_file="{ca}"
set ssl_force_tls=yes
set from="{user}"
set use_from=yes
set smtp_url="{smtp_url}"
set smtp_pass="{pw}"
set imap_user="{user}"
set imap_pass="{pw}"
set folder="imaps://{host}:{p993}/"
set record="+Sent"
set copy=yes
set header_cache=""
set message_cachedir=""
set timeout=15
set connect_timeout=15
set confirmappend=no
""")


# --- mutt and neomutt, batch mode ------------------------------------------------------
for prog in ("mutt", "neomutt"):
    for label, url in (("587", f"smtp://{user}@{host}:{p587}/"), ("465", f"smtps://{user}@{host}:{p465}/")):
        rc_path = os.path.join(work, f"{prog}-{label}.rc")
        muttrc(rc_path, url)
        subject = f"{prog} over {label}"
        imap_ok = len([l for l in log_lines("auth.ok") if "proto=imap" in l])
        if run_client(f"{prog} {label}", [prog, "-n", "-F", rc_path, "-s", subject, "--", user], "body\n"):
            sent.append(subject)
        print(f"info {prog} {label}: SMTP AUTH mechanism {last_smtp_mech()}")
        if prog == "mutt":  # neomutt does not copy to IMAP in batch mode: read under tmux below
            imap_logins = [l for l in log_lines("auth.ok") if "proto=imap" in l][imap_ok:]
            check(len(imap_logins) >= 1 and all("mech=SCRAM-SHA-256" in l for l in imap_logins),
                  f"mutt {label}: the Sent copy's IMAP login used SCRAM-SHA-256, its first choice: {imap_logins}")

# --- neomutt reading INBOX over IMAP, under tmux (its own server socket, killed after) ------
sock = f"hearth-test-{os.getpid()}"
before_ok = len([l for l in log_lines("auth.ok") if "proto=imap" in l])
before_fail = len(log_lines("auth.fail"))
subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "120", "-y", "40",
                f"neomutt -n -F {os.path.join(work, 'neomutt-587.rc')} -f imaps://{host}:{p993}/INBOX"],
               env=env, check=True, timeout=10)
try:
    logins = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not logins:
        time.sleep(0.5)
        logins = [l for l in log_lines("auth.ok") if "proto=imap" in l][before_ok:]
finally:
    subprocess.run(["tmux", "-L", sock, "kill-server"], timeout=10)
# neomutt tries its own PLAIN before Cyrus SASL; what matters is that its first try succeeds.
check(len(logins) == 1 and len(log_lines("auth.fail")) == before_fail,
      f"neomutt logs in over IMAP at its first try: {logins}")

# --- msmtp (GNU SASL), its own defaults apart from where to go and whom to trust ----------
for label, starttls in (("587", "on"), ("465", "off")):
    port = p587 if label == "587" else p465
    conf = os.path.join(work, f"msmtprc-{label}")
    with open(conf, "w") as f:
        f.write(f"account default\nhost {host}\nport {port}\nfrom {user}\nauth on\nuser {user}\n"
                f"password {pw}\ntls on\ntls_starttls {starttls}\ntls_trust_file {ca}\n")
    os.chmod(conf, 0o600)
    subject = f"msmtp over {label}"
    if run_client(f"msmtp {label}", ["msmtp", "-C", conf, user], message(subject)):
        sent.append(subject)
    print(f"info msmtp {label}: SMTP AUTH mechanism {last_smtp_mech()}")

# --- s-nail ------------------------------------------------------------------------------
# s-nail matches the certificate against DNS names only, so it connects to the host name, which
# a private /etc/hosts (bind-mounted in a mount namespace of its own) maps to the instance.
hosts = os.path.join(work, "hosts")
with open(hosts, "w") as f:
    f.write(f"127.0.0.1 localhost\n{host} {inst.hostname}\n")
for label, url, extra in (("587", f"smtp://{inst.hostname}:{p587}", ["-S", "smtp-use-starttls"]),
                          ("465", f"smtps://{inst.hostname}:{p465}", [])):
    subject = f"s-nail over {label}"
    args = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            f'mount --bind {hosts} /etc/hosts && exec "$@"', "sh",
            "s-nail", "-:/", "-S", "v15-compat", "-S", f"mta={url}", "-S", f"user={user}",
            "-S", f"password={pw}", "-S", f"tls-ca-file={ca}", "-S", "tls-ca-no-defaults",
            "-S", f"from={user}", "-S", "sendwait", *extra, "-s", subject, user]
    if run_client(f"s-nail {label}", args, "body\n"):
        sent.append(subject)

# --- smtplib PLAIN and LOGIN (what Thunderbird uses) -------------------------------------
for mech in ("PLAIN", "LOGIN"):
    subject = f"smtplib {mech}"
    s = smtplib.SMTP(host, p587, timeout=20)
    s.starttls(context=ctx)
    s.ehlo()
    offered = s.esmtp_features.get("auth", "").split()
    check("SCRAM-SHA-256-PLUS" not in offered and {"PLAIN", "LOGIN", "SCRAM-SHA-256"} <= set(offered),
          f"587 offers no -PLUS by default, and PLAIN, LOGIN, SCRAM: {offered}")
    s.user, s.password = user, pw
    code, _ = s.auth(mech, getattr(s, "auth_" + mech.lower()))
    check(code == 235, f"smtplib AUTH {mech}: {code}")
    s.sendmail(user, [user], message(subject))
    s.quit()
    sent.append(subject)

# --- everything arrived -------------------------------------------------------------------
m = imaplib.IMAP4_SSL(host, p993, ssl_context=ssl.create_default_context(cafile=ca))
m.sock.settimeout(20)
m.login(user, pw)
m.select("INBOX", readonly=True)
typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
got = {part[1].decode().split(":", 1)[1].strip() for part in data if isinstance(part, tuple)}
m.logout()
for subject in sent:
    check(subject in got, f"'{subject}' is in the INBOX")
check(len(sent) == 10, f"all ten sends succeeded ({len(sent)})")
finish()

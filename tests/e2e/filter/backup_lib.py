"""Three real `hearth` instances for the backup MX tests, found through knot:
  primary  demo@example.test on NET.2 (mail.example.test, MX 10 of example.test)
  backup   ops@backup.test   on NET.3 (host name mx2.example.test, MX 20 of example.test),
           backup_mx.domains = ["example.test"]
  sender   alice@s.test      on NET.4 (MX of s.test): its queue picks example.test's MX hosts
           by preference, so with the primary down the mail goes to the backup.
All use the same port offset, so smtp.outbound.port is everyone's MX port. Nothing is started.
"""
import ssl
import smtplib

from hearth_test import NET, Instance, set_key, wait_for  # noqa: F401 (wait_for re-exported)
from knot import Knot

DNS_PORT = 5353


def setup(retention, backup_greylist=False, primary_greylist=False):
    zones = {
        "example.test": f"@ MX 10 mail\n@ MX 20 mx2\nmail A {NET}.2\nmx2 A {NET}.3\n",
        "s.test": f"@ MX 10 mail\nmail A {NET}.4\n",
        "backup.test": f"@ MX 10 mx2.example.test.\n",
    }
    dns = Knot(addr=f"{NET}.1", port=DNS_PORT, zones=zones).start()
    primary = Instance("demo@example.test", host=2, greylist=primary_greylist)
    backup = Instance("ops@backup.test", host=3, hostname="mx2.example.test", greylist=backup_greylist)
    sender = Instance("alice@s.test", host=4)
    for inst in (primary, backup, sender):
        set_key(inst.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
        set_key(inst.config, "smtp.outbound", "port", str(primary.port("smtp")))
        set_key(inst.config, "smtp.queue", "first_retry", "1")
        set_key(inst.config, "smtp.queue", "max_retry", "2")
    set_key(backup.config, "backup_mx", "domains", '["example.test"]')
    set_key(backup.config, "backup_mx", "retention", str(retention))
    for inst in (primary, backup, sender):
        inst.cli(["config", "check"])
    return dns, primary, backup, sender


def submit(inst, to, subject, body="Hello through the backup MX.\r\n"):
    msg = (f"From: <{inst.email}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject.replace(' ', '.')}@{inst.domain}>\r\n\r\n{body}")
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    with smtplib.SMTP(inst.addr, inst.port("submission"), timeout=30) as s:
        s.ehlo("client.test")
        s.starttls(context=ctx)
        s.ehlo("client.test")
        s.login(inst.email, inst.password)
        return s.sendmail(inst.email, [to], msg.encode())


def lines(inst, *needles):
    return [l for l in inst.log().splitlines() if all(n in l for n in needles)]

"""Shared pieces of the reports e2e tests.

Report messages shaped like the ones Google, Microsoft and others send: a short text part and
the report attached as XML, gzip or zip (DMARC, RFC 7489 §7.2.1.1) or as
application/tlsrpt+json / +gzip (TLS-RPT, RFC 8460 §5.3). Mailboxes are read over IMAP.
"""
import gzip
import imaplib
import io
import os
import ssl
import sys
import zipfile
from email.message import EmailMessage

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mailauth"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mail"))

from hearth_test import SOURCE_DIR  # noqa: E402

DATA = os.path.join(SOURCE_DIR, "tests", "data", "reports")


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def dmarc_xml(org, report_id, domain, begin, records, policy="quarantine"):
    """A DMARC aggregate report: records are (ip, count, disposition, dkim, spf, header_from)."""
    rows = "".join(
        f"<record><row><source_ip>{ip}</source_ip><count>{n}</count><policy_evaluated>"
        f"<disposition>{disp}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated></row>"
        f"<identifiers><header_from>{hf}</header_from></identifiers><auth_results>"
        f"<dkim><domain>{hf}</domain><result>{'pass' if dkim == 'pass' else 'fail'}</result></dkim>"
        f"<spf><domain>{hf}</domain><result>{spf}</result></spf></auth_results></record>\n"
        for ip, n, disp, dkim, spf, hf in records)
    return (f'<?xml version="1.0" encoding="UTF-8" ?>\n<feedback><version>1.0</version><report_metadata>'
            f"<org_name>{org}</org_name><email>noreply-dmarc@{org}</email><report_id>{report_id}</report_id>"
            f"<date_range><begin>{begin}</begin><end>{begin + 86399}</end></date_range></report_metadata>"
            f"<policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>{policy}</p>"
            f"<sp>{policy}</sp><pct>100</pct></policy_published>\n{rows}</feedback>\n").encode()


def zipped(name, content):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, content)
    return buf.getvalue()


def report_message(sender, to, subject, maintype, subtype, filename, payload, tls=False):
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{abs(hash(subject))}@{sender.split('@')[1]}>"
    m.set_content("This is an aggregate report.\n")
    m.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    if tls:
        # RFC 8460 §5.3: multipart/report; report-type="tlsrpt".
        m.replace_header("Content-Type", m["Content-Type"].replace("multipart/mixed", "multipart/report") +
                         '; report-type="tlsrpt"')
    return m.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def imap_messages(inst, user=None, password=None, mailbox="INBOX"):
    """Every message of the mailbox, over IMAP with STARTTLS (as bytes, in UID order)."""
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    out = []
    with imaplib.IMAP4(inst.addr, inst.port("imap"), timeout=30) as c:
        c.starttls(ssl_context=ctx)
        c.login(user or inst.email, password or inst.password)
        c.select(mailbox, readonly=True)
        typ, data = c.uid("SEARCH", None, "ALL")
        for uid in data[0].split():
            typ, parts = c.uid("FETCH", uid, "(BODY.PEEK[])")
            for p in parts:
                if isinstance(p, tuple):
                    out.append(p[1])
    return out


def gz(b):
    return gzip.compress(b, mtime=0)

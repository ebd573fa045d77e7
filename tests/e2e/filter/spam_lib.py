"""Helpers of the spam filter e2e tests: generated spam and ham in two vocabularies, an
imaplib client that checks the dev certificate, a CardDAV PUT, SMTP delivery on port 25."""
import base64
import http.client
import imaplib
import random
import re
import smtplib
import socket
import ssl
import time

SPAM_WORDS = ("viagra cialis pharmacy discount pills cheapest prescription bonus casino jackpot winner "
              "lottery unclaimed prize wire transfer investment guaranteed income refinance mortgage rolex "
              "replica weightloss miracle offer limited exclusive unsubscribe clickhere freegift").split()
HAM_WORDS = ("meeting agenda quarterly report budget review draft minutes project milestone deadline "
             "schedule conference slides feedback proposal invoice colleague lunch tomorrow sprint "
             "retrospective roadmap design document release notes kernel patch").split()


def spam_message(i, sender="deals@pharma-offers.example", extra=""):
    rnd = random.Random(i)
    words = " ".join(rnd.choice(SPAM_WORDS) for _ in range(60))
    subj = " ".join(rnd.choice(SPAM_WORDS) for _ in range(4))
    return (f"From: Best Deals <{sender}>\r\nTo: demo@example.test\r\nSubject: {subj} {i}\r\n"
            f"Message-ID: <spam{i}.{rnd.randrange(1 << 30)}@pharma-offers.example>\r\n"
            f"Content-Type: text/html; charset=us-ascii\r\n\r\n"
            f"<html><body><font color=red>{words}</font> <a href=\"http://www.pharma-offers.example/buy\">"
            f"click</a> {extra}</body></html>\r\n")


def ham_message(i, sender="bob@partner.example", extra=""):
    rnd = random.Random(10000 + i)
    words = " ".join(rnd.choice(HAM_WORDS) for _ in range(60))
    subj = " ".join(rnd.choice(HAM_WORDS) for _ in range(4))
    return (f"From: Bob <{sender}>\r\nTo: demo@example.test\r\nSubject: {subj} {i}\r\n"
            f"Message-ID: <ham{i}.{rnd.randrange(1 << 30)}@partner.example>\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{words}\r\n{extra}\r\n")


class IMAP(imaplib.IMAP4_SSL):
    """Implicit TLS, the certificate checked against the instance's host name."""

    def __init__(self, inst):
        self._name = inst.hostname
        ctx = ssl.create_default_context(cafile=inst.ca_file())
        super().__init__(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=20)
        self.login(inst.email, inst.password)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self._name)

    def append_msg(self, mailbox, msg, flags=None):
        typ, data = self.append(mailbox, flags, None, msg.encode())
        assert typ == "OK", data
        m = re.search(rb"APPENDUID \d+ (\d+)", data[0])
        return int(m.group(1))

    def subjects(self, mailbox):
        """Subject -> the header section, of every message in the mailbox."""
        self.select(mailbox)
        typ, data = self.uid("SEARCH", None, "ALL")
        out = {}
        for uid in data[0].split():
            typ, d = self.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
            body = d[0][1]
            m = re.search(rb"^Subject: (.*?)\r\n", body, re.M)
            if m:
                out[m.group(1).decode()] = body
        return out


def put_contact(inst, name, email):
    """Adds a vCard to the user's default CardDAV address book."""
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    conn = http.client.HTTPSConnection(inst.hostname, inst.port("https"), context=ctx, timeout=20)
    sock = socket.create_connection((inst.addr, inst.port("https")), 10)
    conn.sock = ctx.wrap_socket(sock, server_hostname=inst.hostname)
    tok = base64.b64encode(f"{inst.email}:{inst.password}".encode()).decode()
    card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{name}\r\nFN:{name}\r\nitem1.EMAIL;TYPE=INTERNET:{email}\r\nEND:VCARD\r\n"
    conn.request("PUT", f"/dav/addressbooks/{inst.email}/contacts/{name}.vcf", body=card.encode(),
                 headers={"Authorization": "Basic " + tok, "Content-Type": "text/vcard"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status


def deliver(inst, msg, sender, source=None, rcpt="demo@example.test"):
    """Port 25: returns (code, text) of DATA (or of the refusal)."""
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=60,
                      source_address=(source, 0) if source else None) as s:
        s.ehlo("client.example.net")
        s.mail(sender)
        code, text = s.rcpt(rcpt)
        if code != 250:
            return code, text.decode()
        try:
            code, text = s.data(msg.encode() if isinstance(msg, str) else msg)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()
        return code, text.decode()


def stats(inst, user=None):
    """(spam, ham) the store holds for user ('' = site)."""
    out = inst.cli(["spam", "stats"] + (["--user", user] if user else [])).stdout
    who = user or "site"
    m = re.search(rf"^{re.escape(who)}: (\d+) spam, (\d+) ham", out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def wait_stats(inst, user, want, timeout=20.0):
    deadline = time.monotonic() + timeout
    got = stats(inst, user)
    while got != want and time.monotonic() < deadline:
        time.sleep(0.2)
        got = stats(inst, user)
    return got

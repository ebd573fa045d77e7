"""Helpers of the web console's admin tests: the API with an admin token (curl, through the
web tests' weblib.Api), and IMAP logins and searches (imaplib)."""
import imaplib
import os
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from weblib import Api, error_code  # noqa: E402,F401 (error_code re-exported)


class TokenApi:
    """Calls with "Authorization: Bearer TOKEN"; returns (status, parsed JSON body)."""

    def __init__(self, inst, token):
        self.api, self.token = Api(inst), token

    def call(self, method, path, body=None, raw=None, token=None, query=""):
        st, _, b = self.api.request(method, path + query, body=body, raw=raw,
                                    headers=[f"Authorization: Bearer {token or self.token}"])
        return st, b


def _imap(inst):
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    return imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=20)


def imap_login(inst, user, password):
    """True when IMAPS LOGIN as user succeeds on inst."""
    try:
        with _imap(inst) as m:
            m.login(user, password)
            return True
    except imaplib.IMAP4.error:
        return False


def imap_find(inst, user, password, needle):
    """True when user's INBOX (over IMAPS) holds a message whose text contains needle."""
    with _imap(inst) as m:
        m.login(user, password)
        m.select("INBOX", readonly=True)
        _, data = m.search(None, "TEXT", f'"{needle}"')
        return bool(data and data[0].split())

"""imaplib against a Hearth instance over implicit TLS, verifying the dev certificate by the
instance's host name while connecting by address."""
import imaplib
import socket
import ssl


class _TLS(imaplib.IMAP4_SSL):
    def __init__(self, inst):
        self._name = inst.hostname
        ctx = ssl.create_default_context(cafile=inst.ca_file())
        super().__init__(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=30)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self._name)


def hearth_login(inst, email, password):
    c = _TLS(inst)
    c.login(email, password)
    return c

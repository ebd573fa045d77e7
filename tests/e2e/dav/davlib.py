"""A small raw WebDAV client for the DAV e2e tests: HTTP/1.1 over TLS with SNI and the dev CA,
Basic sent preemptively (as DAVx5 does), one keep-alive connection, XML parsed with
ElementTree so that prefixes never matter."""
import base64
import http.client
import socket
import ssl
import xml.etree.ElementTree as ET

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav", "card": "urn:ietf:params:xml:ns:carddav",
      "cs": "http://calendarserver.org/ns/", "ical": "http://apple.com/ns/ical/"}


class _Conn(http.client.HTTPSConnection):
    def __init__(self, addr, port, sni, ctx):
        super().__init__(sni, port, context=ctx, timeout=30)
        self._addr = addr

    def connect(self):
        sock = socket.create_connection((self._addr, self.port), 10)
        # http.client sends the header and the body in two writes: without TCP_NODELAY the body
        # waits for the server's delayed ACK (as most real clients, set it).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Client:
    def __init__(self, addr, port, sni, cafile, user=None, password=None):
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.addr, self.port, self.sni = addr, port, sni
        self.user, self.password = user, password
        self.conn = None

    def request(self, method, path, body=None, headers=None, auth=True):
        h = {"Content-Type": "application/xml; charset=utf-8"} if body is not None else {}
        if auth and self.user is not None:
            tok = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            h["Authorization"] = "Basic " + tok
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        for attempt in range(2):
            if self.conn is None:
                self.conn = _Conn(self.addr, self.port, self.sni, self.ctx)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return Response(r.status, dict((k.lower(), v) for k, v in r.getheaders()), data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def propfind(self, path, props, depth="0"):
        inner = "".join(props)
        body = (f'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:c="{NS["c"]}" '
                f'xmlns:card="{NS["card"]}" xmlns:cs="{NS["cs"]}" xmlns:ical="{NS["ical"]}"><d:prop>{inner}</d:prop></d:propfind>')
        return self.request("PROPFIND", path, body, {"Depth": depth})

    def report(self, path, body, depth="1"):
        return self.request("REPORT", path, body, {"Depth": depth})


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self._xml = None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def xml(self):
        if self._xml is None:
            self._xml = ET.fromstring(self.body)
        return self._xml

    def responses(self):
        """{href: {"{ns}prop": element} of the 200 propstat, plus "status" for bare 404s}."""
        out = {}
        for r in self.xml().findall("d:response", NS):
            href = r.find("d:href", NS).text
            props = {}
            st = r.find("d:status", NS)
            if st is not None:
                props["status"] = st.text
            for ps in r.findall("d:propstat", NS):
                if ps.find("d:status", NS).text.strip() == "HTTP/1.1 200 OK":
                    for p in ps.find("d:prop", NS):
                        props[p.tag] = p
                else:
                    for p in ps.find("d:prop", NS):
                        props.setdefault("missing", []).append(p.tag)
            out[href] = props
        return out


def tag(prefix, local):
    return "{%s}%s" % (NS[prefix], local)


def href_in(elem):
    h = elem.find("d:href", NS) if elem is not None else None
    return h.text.strip() if h is not None else None

"""An HTTPS endpoint that records what a phone-home server would receive, parsed with that server's own code."""

from __future__ import annotations

import base64
import contextlib
import http.server
import ssl
import sys
import threading

from playbook import REPO

sys.path.insert(0, str(REPO / 'roles' / 'phone_home_server' / 'files'))
from junos_ztp_phs.notifications import parse_legacy  # noqa: E402  pylint: disable=wrong-import-position
from junos_ztp_phs.tls import write_self_signed  # noqa: E402  pylint: disable=wrong-import-position


class NotificationSink(http.server.ThreadingHTTPServer):
    """Records each POST: path, Basic-auth user and password, content type, and the (type, message) the PHS parses."""

    def __init__(self, directory):
        self.cert, key = directory / 'cert.pem', directory / 'key.pem'
        write_self_signed(str(self.cert), str(key), ['127.0.0.1'])
        self.received = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                user, unused_colon, password = base64.b64decode(self.headers['Authorization'].split()[1]).decode().partition(':')
                sink.received.append({'path': self.path, 'auth': user, 'password': password, 'content_type': self.headers['Content-Type'],
                                      'notification': parse_legacy(body)})
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(('127.0.0.1', 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(key))
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def url(self):
        return 'https://127.0.0.1:%d/restconf/data/juniper-zerotouch-bootstrap-server:devices' % self.server_address[1]

    @classmethod
    @contextlib.contextmanager
    def running(cls, directory):
        sink = cls(directory)
        thread = threading.Thread(target=sink.serve_forever, daemon=True)
        thread.start()
        try:
            yield sink
        finally:
            sink.shutdown()
            sink.server_close()

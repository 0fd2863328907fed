# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""junos-ztp-phs: run the phone-home server.

    python -m junos_ztp_phs --records DIR --db FILE --cert PEM --key PEM [--listen HOST:PORT]
"""

from __future__ import annotations

import argparse
import logging
import ssl
import sys

import uvloop
from aiohttp import web

from .app import AccessLogger, create_app
from .store import SQLiteStore


def _listen(text):
    host, _colon, port = text.rpartition(':')
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError('expected HOST:PORT, got %r' % text)
    return host.strip('[]'), int(port)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='junos-ztp-phs', description='Serve junos.ztp phone-home records to Juniper phone-home clients.')
    parser.add_argument('--records', required=True, help='records directory written by junos.ztp.phs_records')
    parser.add_argument('--db', required=True, help='SQLite file for notifications (created if missing)')
    parser.add_argument('--cert', required=True, help='PEM certificate (chain) the server presents')
    parser.add_argument('--key', required=True, help='PEM private key of the certificate')
    parser.add_argument('--listen', type=_listen, default=('0.0.0.0', 8443), help='HOST:PORT to listen on (default 0.0.0.0:8443)')
    parser.add_argument('--redirect', action='store_true',
                        help="answer as a redirector: send each device to the phone-home server its record names (labs without Juniper's)")
    parser.add_argument('--status-token-file', help='file holding a bearer token the /status API then requires')
    parser.add_argument('--status-open', action='store_true',
                        help='answer the /status API without a token from any address (default: only from loopback)')
    parser.add_argument('--reload-interval', type=float, default=2.0, help='seconds between checks of the records directory')
    parser.add_argument('--log-level', default='info', choices=['debug', 'info', 'warning', 'error'])
    parser.add_argument('--no-access-log', action='store_true', help='do not log one line per request')
    return parser.parse_args(argv)


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format='%(asctime)s %(name)s %(levelname)s %(message)s')
    token = None
    if args.status_token_file:
        with open(args.status_token_file, encoding='utf-8') as stream:
            token = stream.read().strip()
    app = create_app(args.records, SQLiteStore(args.db), redirect=args.redirect, status_token_value=token,
                     reload_interval=args.reload_interval, status_open=args.status_open)
    host, port = args.listen
    logging.getLogger('junos_ztp_phs').info('listening on https://%s:%d', host, port)
    # uvloop: about twice the TLS handshakes per second of the standard event loop (docs/phone-home.md, Measured).
    web.run_app(app, host=host, port=port, ssl_context=tls_context(args.cert, args.key), print=None, loop=uvloop.new_event_loop(),
                access_log=None if args.no_access_log else logging.getLogger('junos_ztp_phs.access'),
                access_log_class=AccessLogger)


if __name__ == '__main__':
    main()

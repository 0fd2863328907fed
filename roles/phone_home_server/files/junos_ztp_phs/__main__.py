# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""junos-ztp-phs: run the phone-home server.

    python -m junos_ztp_phs --records DIR (--db FILE | --postgres DSN) --cert PEM --key PEM [--listen HOST:PORT] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import ssl
import sys
from urllib.parse import parse_qs, urlsplit

import uvloop
from aiohttp import web

from .app import AccessLogger, create_app
from .store import PostgresStore, SQLiteStore


def _listen(text):
    host, _colon, port = text.rpartition(':')
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError('expected HOST:PORT, got %r' % text)
    return host.strip('[]'), int(port)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='junos-ztp-phs', description='Serve junos.ztp phone-home records to Juniper phone-home clients.')
    parser.add_argument('--records', required=True, help='records directory written by junos.ztp.phs_records')
    database = parser.add_mutually_exclusive_group(required=True)
    database.add_argument('--db', help='SQLite file for notifications (created if missing)')
    database.add_argument('--postgres', metavar='DSN',
                          help='PostgreSQL database shared by several servers, e.g. postgresql://phs@db.example.net/phs '
                               '(no password in it: use --postgres-password-file or PGPASSWORD)')
    parser.add_argument('--postgres-password-file', help='file holding the PostgreSQL password')
    parser.add_argument('--workers', type=int, default=1,
                        help='processes serving the same port (SO_REUSEPORT), e.g. one per core (default 1)')
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
    args = parser.parse_args(argv)
    if args.postgres and not args.postgres.startswith(('postgresql://', 'postgres://')):
        parser.error('--postgres: expected a URL, postgresql://USER@HOST:PORT/DATABASE')
    if args.postgres and postgres_password_in(args.postgres):
        parser.error('--postgres: the DSN must not carry a password (it would show in the process list); '
                     'use --postgres-password-file or the PGPASSWORD environment variable')
    if args.postgres_password_file and not args.postgres:
        parser.error('--postgres-password-file needs --postgres')
    if args.workers < 1:
        parser.error('--workers must be 1 or more')
    return args


def postgres_password_in(dsn):
    """True when a postgresql:// URL carries a password (user:password@ or ?password=)."""
    parts = urlsplit(dsn)
    return parts.password is not None or 'password' in parse_qs(parts.query)


def open_store(args):
    if not args.postgres:
        return SQLiteStore(args.db)
    password = None
    if args.postgres_password_file:
        with open(args.postgres_password_file, encoding='utf-8') as stream:
            password = stream.read().strip()
    store = PostgresStore(args.postgres, password=password)
    logging.getLogger('junos_ztp_phs').info('notifications in PostgreSQL at %s', store.target)
    return store


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    # No TLS 1.3 session tickets (OpenSSL sends two after every handshake, 10% of a fetch's instructions): a device opens a
    # few connections per attempt, minutes apart and across reboots, and the clients we know never resume; one that
    # tries simply makes a full handshake.
    context.num_tickets = 0
    return context


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format='%(asctime)s %(name)s %(levelname)s %(message)s')
    token = None
    if args.status_token_file:
        with open(args.status_token_file, encoding='utf-8') as stream:
            token = stream.read().strip()
    sys.exit(serve(args, token) if args.workers == 1 else supervise(args, token))


def serve(args, token, reuse_port=None):
    """Serve until told to stop; the exit status (1 when the certificate cannot be used or the address listened on)."""
    app = create_app(args.records, open_store(args), redirect=args.redirect, status_token_value=token,
                     reload_interval=args.reload_interval, status_open=args.status_open)
    # uvloop: about twice the TLS handshakes per second of the standard event loop (docs/phone-home.md, Measured).
    return uvloop.run(_serve(app, args, reuse_port))


async def _serve(app, args, reuse_port):
    """Serve until SIGTERM or SIGINT, then stop accepting, finish the requests under way and close the store."""
    log = logging.getLogger('junos_ztp_phs')
    try:
        context = tls_context(args.cert, args.key)
    except OSError as exc:  # missing, unreadable, or not a matching certificate and key (ssl.SSLError)
        log.error('cannot use the certificate %s and key %s (%s)', args.cert, args.key, exc)
        return 1
    runner = web.AppRunner(app, handle_signals=False, access_log=None if args.no_access_log else logging.getLogger('junos_ztp_phs.access'),
                           access_log_class=AccessLogger)
    await runner.setup()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    host, port = args.listen
    try:
        try:
            server = await loop.create_server(lambda: AckedHandshake(runner.server()), host, port, ssl=context, reuse_port=reuse_port)
        except OSError as exc:  # in use, or not an address of this host
            log.error('cannot listen on %s:%d (%s)', host, port, exc)
            return 1
        log.info('listening on https://%s:%d', host, port)
        await stopping.wait()
        server.close()
        return 0
    finally:
        await runner.cleanup()


class AckedHandshake(asyncio.Protocol):
    """aiohttp's protocol for one connection, which first acknowledges the client's end of the TLS handshake at once.

    A TLS 1.3 client sends its Finished message and then its request in two writes. Unless it disabled Nagle's
    algorithm, the request waits for the Finished to be acknowledged, and Linux delays that acknowledgement by
    about 40 ms when the server has nothing to send (no session tickets: see tls_context). TCP_QUICKACK sends the
    pending acknowledgement now: 2 ms instead of 44 per fetch for such a client (docs/performance.md).
    """

    __slots__ = ('_handler',)

    def __init__(self, handler):
        self._handler = handler

    def connection_made(self, transport):
        tcp = transport.get_extra_info('socket')
        if tcp is not None and hasattr(socket, 'TCP_QUICKACK'):  # Linux only
            tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        self._handler.connection_made(transport)

    def data_received(self, data):
        self._handler.data_received(data)

    def eof_received(self):
        return self._handler.eof_received()

    def connection_lost(self, exc):
        self._handler.connection_lost(exc)

    def pause_writing(self):
        self._handler.pause_writing()

    def resume_writing(self):
        self._handler.resume_writing()


def supervise(args, token):
    """Fork --workers servers on one port (the kernel spreads connections over them); stop them all when one dies or we are told to."""
    children = set()
    for _number in range(args.workers):
        pid = os.fork()
        if pid == 0:
            status = 1  # a worker that fails makes the supervisor fail, with what went wrong logged first
            try:
                status = serve(args, token, reuse_port=True)
            except Exception:  # pylint: disable=broad-exception-caught
                logging.getLogger('junos_ztp_phs').exception('worker %d failed', os.getpid())
            finally:
                os._exit(status)  # pylint: disable=protected-access
        children.add(pid)

    def stop(signum=signal.SIGTERM, _frame=None):
        for child in children:
            os.kill(child, signum)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while children:
        pid, code = os.wait()
        children.discard(pid)
        if code and not status:  # one worker failed: take the others down so the service manager restarts the whole
            status = 1
            stop()
    return status


if __name__ == '__main__':
    main()

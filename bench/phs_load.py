"""Devices phoning home at once: the junos.ztp phone-home server under load, on loopback only.

    .venv/bin/python bench/phs_load.py [--clients 1000] [--concurrency 50]

Starts the server (as its service does) with records for --clients devices, then every simulated
device opens a NEW TLS connection (certificate verified), fetches its record (legacy GET) and posts
3 notifications (the last bootstrap-complete), first all four on that one connection, then again
with a new TLS connection per request.  Bounded in count (--clients) and time (--max-seconds).
Prints requests/s and p50/p99 latency per mode, and checks every notification was stored.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SERVER_SOURCE = REPO / 'roles' / 'phone_home_server' / 'files'
sys.path.insert(0, str(REPO / '.build' / 'collections'))
sys.path.insert(0, str(SERVER_SOURCE))

from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_fleet  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import render_records  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import write_version  # noqa: E402
from junos_ztp_phs.tls import write_self_signed  # noqa: E402
from phs_render import SHARED, fleet  # noqa: E402

DEVICE = '/restconf/data/juniper-zerotouch-bootstrap-server:devices/device=%s'
NOTIFICATIONS = ('vc-member-image-installed', 'vc-member-upgrade-success', 'bootstrap-complete')


async def http(reader, writer, method, path, serial, body=b''):
    """One HTTP/1.1 request on an open connection; returns the status code."""
    auth = base64.b64encode(('%s:' % serial).encode()).decode()
    writer.write(('%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\nContent-Type: application/yang.data+xml\r\n'
                  'Content-Length: %d\r\n\r\n' % (method, path, auth, len(body))).encode() + body)
    head = await reader.readuntil(b'\r\n\r\n')
    status = int(head.split(b' ', 2)[1])
    length = 0
    for line in head.split(b'\r\n'):
        if line.lower().startswith(b'content-length:'):
            length = int(line.split(b':', 1)[1])
    await reader.readexactly(length)
    return status


def write_records(directory, devices):
    """Render the records of a fleet of this many devices (the group variables of bench/phs_render.py) into directory; its models."""
    models = validate_fleet({host: dict(SHARED, **hostvars) for host, hostvars in fleet(devices).items()})
    write_version(str(directory), render_records(models, {h: {'configuration': m['ztp_configuration']['content']} for h, m in models.items()}))
    return models


def _requests(serial):
    yield 'fetch', 'GET', DEVICE % serial, b''
    for kind in NOTIFICATIONS:
        body = ('<notification xmlns="http://juniper.net/zerotouch-bootstrap-server"><notification-type>%s</notification-type>'
                '<message>%s</message></notification>' % (kind, serial)).encode()
        yield 'notify', 'POST', (DEVICE % serial) + '/notification', body


async def device(serial, port, context, per_request, latencies, failures):
    connection = None
    for kind, method, path, body in _requests(serial):
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection('127.0.0.1', port, ssl=context)
            status = await http(*connection, method, path, serial, body)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            failures.append('%s %s: %s' % (serial, kind, exc))
            connection = None
            continue
        latencies[kind].append(time.perf_counter() - started)
        if status not in (200, 201):
            failures.append('%s %s: HTTP %d' % (serial, kind, status))
        if per_request:
            connection[1].close()
            connection = None
    if connection is not None:
        connection[1].close()


async def load(serials, port, context, concurrency, per_request, max_seconds):
    latencies, failures = {'fetch': [], 'notify': []}, []
    semaphore = asyncio.Semaphore(concurrency)

    async def one(serial):
        async with semaphore:
            await device(serial, port, context, per_request, latencies, failures)
    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(s) for s in serials)), max_seconds)
    return time.perf_counter() - started, latencies, failures


def free_port():
    """A loopback port free at this moment."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def wait_listening(port, process, log):
    """Return once the server started as ``process`` (writing ``log``) accepts connections on ``port``."""
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError('server exited:\n' + Path(log).read_text())
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--clients', type=int, default=1000)
    parser.add_argument('--concurrency', default='10,25,50,100', help='devices talking at the same moment (comma-separated levels)')
    parser.add_argument('--max-seconds', type=float, default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix='phs-load-', dir=REPO / '.build'))
    cert, key = workdir / 'cert.pem', workdir / 'key.pem'
    write_self_signed(str(cert), str(key), ['127.0.0.1'])
    models = write_records(workdir / 'records', args.clients)
    serials = [m['serial_number'] for model in models.values() for m in model['ztp_members']]
    port = free_port()
    log = open(workdir / 'server.log', 'wb')
    command = [sys.executable, '-m', 'junos_ztp_phs', '--records', str(workdir / 'records'), '--db', str(workdir / 'n.db'),
               '--cert', str(cert), '--key', str(key), '--listen', '127.0.0.1:%d' % port]
    server = subprocess.Popen(command, env=dict(os.environ, PYTHONPATH=str(SERVER_SOURCE)), stdout=log, stderr=subprocess.STDOUT)
    context = ssl.create_default_context(cafile=str(cert))
    try:
        wait_listening(port, server, workdir / 'server.log')
        time.sleep(1)  # records loaded
        rows = []
        for concurrency in [int(level) for level in args.concurrency.split(',')]:
            for label, per_request in (('per device', False), ('per request', True)):
                elapsed, latencies, failures = uvloop.run(load(serials, port, context, concurrency, per_request, args.max_seconds))
                requests = len(latencies['fetch']) + len(latencies['notify'])
                rows.append((concurrency, label, requests, elapsed, requests / elapsed, len(latencies['fetch']) / elapsed,
                             percentile(latencies['fetch'], .5), percentile(latencies['fetch'], .99),
                             percentile(latencies['notify'], .5), percentile(latencies['notify'], .99), len(failures)))
                if failures:
                    print('failures (first 5):', failures[:5])
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    with sqlite3.connect(workdir / 'n.db') as database:
        stored = database.execute("SELECT count(*) FROM events WHERE source = 'legacy'").fetchone()[0]
    shutil.rmtree(workdir)
    print('%d devices, fetch + %d notifications each, a new verified TLS connection per device or per request;'
          ' loopback, 2 cores shared by server and load generator' % (args.clients, len(NOTIFICATIONS)))
    columns = ('at once', 'TLS conn.', 'requests', 'seconds', 'req/s', 'fetch/s', 'fetch p50', 'fetch p99', 'notif p50', 'notif p99',
               'failures', 'vs 300/s', 'vs 100ms')
    print('%7s %-11s %8s %7s %6s %7s %9s %9s %9s %9s %8s %8s %8s' % columns)
    for row in rows:
        print('%7d %-11s %8d %7.2f %6.0f %7.0f %7.1fms %7.1fms %7.1fms %7.1fms %8d %7.2fx %7.2fx' % (row + (row[5] / 300, 100 / row[7])))
    print('notifications stored durably: %d of %d sent' % (stored, len(rows) * len(serials) * len(NOTIFICATIONS)))


if __name__ == '__main__':
    main()

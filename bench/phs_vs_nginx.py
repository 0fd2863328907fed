"""The phone-home server's record fetches against the limit: nginx serving the same records over TLS.

    .venv/bin/python bench/phs_vs_nginx.py [--requests 3000] [--concurrency 10,25,50,100] [--workers 1,2] [--rounds 3] [--tls12]

Load comes from ApacheBench (`ab`, C, Debian's apache2-utils), which opens a NEW TLS connection for every
request (no keep-alive) and counts the handshake in each request's time, as a device sees it when it phones
home.  (h2load reuses its connections unless the server closes them, and leaves the handshake out of a
request's time.)  The servers present the same self-signed ECDSA P-256 certificate, negotiate TLS 1.3
(X25519) and serve the same record file for the same URL (nginx: a static file; ours: from memory, after
checking the device's credentials and queueing a record-fetched event), on loopback only, access logs off.

nginx runs twice: with no session tickets, the same handshake as ours (see docs/phone-home.md), and with its
default of two tickets per handshake.  ab sends its request right after its TLS Finished without disabling
Nagle's algorithm, so the request waits for the server to acknowledge the Finished.  With tickets, those carry
the acknowledgement; without, Linux delays it ~40 ms.  Ours acknowledges at once (TCP_QUICKACK), nginx has no
such setting.  So nginx's best rate is the better of its two runs at each level, and that is what ours is
compared with; CPU per fetch is compared with nginx on the same handshake.  nginx runs with as many worker
processes as ours (--workers N, SO_REUSEPORT).  ab itself is one process and needs about as much CPU per
fetch as the servers (its CPU is printed too), on the same two cores.  Bounded in count (--requests per level)
and time (ab -t).
"""

from __future__ import annotations

import argparse
import base64
import getpass
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SERVER_SOURCE = REPO / 'roles' / 'phone_home_server' / 'files'
sys.path.insert(0, str(REPO / '.build' / 'collections'))
sys.path.insert(0, str(SERVER_SOURCE))

from junos_ztp_phs.tls import write_self_signed  # noqa: E402
from phs_load import free_port, wait_listening, write_records  # noqa: E402

NAMES = ('junos-ztp-phs', 'nginx', 'nginx-tickets')
PREFIX = '/restconf/data/juniper-zerotouch-bootstrap-server:devices/device='
NGINX = """
daemon off;
user %(user)s;
worker_processes %(workers)d;
pid %(dir)s/nginx.pid;
error_log %(dir)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(dir)s/tmp; proxy_temp_path %(dir)s/tmp; fastcgi_temp_path %(dir)s/tmp;
    uwsgi_temp_path %(dir)s/tmp; scgi_temp_path %(dir)s/tmp;
    ssl_protocols TLSv1.2 TLSv1.3;
    %(tickets)s
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        location ~ "^/restconf/data/juniper-zerotouch-bootstrap-server:devices/device=([A-Za-z0-9]+)$" {
            default_type application/yang.data+xml;
            alias %(records)s/devices/$1.xml;
        }
    }
}
"""


def cpu_seconds(pid):
    """User + system CPU seconds of a process and its children (nginx's or our workers)."""
    pids = [pid] + [int(child) for child in Path('/proc/%d/task/%d/children' % (pid, pid)).read_text().split()]
    ticks = 0
    for one in pids:
        fields = Path('/proc/%d/stat' % one).read_text().rpartition(')')[2].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf('SC_CLK_TCK')


def ab(port, serial, requests, concurrency, protocol=()):
    """(requests/s, p50 ms, p99 ms, failed, ab's CPU ms per request) from one ab run: a new TLS connection per request."""
    auth = base64.b64encode(('%s:' % serial).encode()).decode()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # -t before -n: ab's -t alone means 50,000 requests.
    out = subprocess.run(['ab', *protocol, '-q', '-t', '120', '-n', str(requests), '-c', str(concurrency), '-s', '30',
                          '-H', 'Authorization: Basic ' + auth, 'https://127.0.0.1:%d%s%s' % (port, PREFIX, serial)],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r'Requests per second:\s+([\d.]+)', out).group(1))
    p50 = float(re.search(r'^\s+50%\s+(\d+)', out, re.M).group(1))
    p99 = float(re.search(r'^\s+99%\s+(\d+)', out, re.M).group(1))
    failed = int(re.search(r'Failed requests:\s+(\d+)', out).group(1)) + int((re.search(r'Non-2xx responses:\s+(\d+)', out) or [0, 0])[1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = int(re.search(r'Complete requests:\s+(\d+)', out).group(1))
    client_cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / max(done, 1)
    return rate, p50, p99, failed, client_cpu


def start(name, workers, workdir, cert, key, records, serial):
    """(port, process) of nginx or our server with this many worker processes, listening."""
    port = free_port()
    log = workdir / ('%s-%d.log' % (name, workers))
    if name.startswith('nginx'):
        config = workdir / ('%s.conf' % name)
        # as ourselves, so nginx reads what we can (the records are private to their writer)
        config.write_text(NGINX % {'user': getpass.getuser(), 'workers': workers, 'dir': workdir / name, 'port': port, 'cert': cert, 'key': key,
                                   'records': records, 'tickets': '' if name == 'nginx-tickets' else 'ssl_conf_command NumTickets 0;'})
        (workdir / name / 'tmp').mkdir(parents=True, exist_ok=True)
        command = ['nginx', '-c', str(config), '-e', str(workdir / name / 'nginx-error.log')]
        env = os.environ
    else:
        command = [sys.executable, '-m', 'junos_ztp_phs', '--records', records, '--db', str(workdir / 'n.db'), '--cert', str(cert),
                   '--key', str(key), '--listen', '127.0.0.1:%d' % port, '--no-access-log', '--workers', str(workers)]
        env = dict(os.environ, PYTHONPATH=str(SERVER_SOURCE))
    with open(log, 'wb') as stream:
        process = subprocess.Popen(command, env=env, stdout=stream, stderr=subprocess.STDOUT)
    wait_listening(port, process, log)
    time.sleep(1)  # records loaded
    ab(port, serial, 100, 10)  # warm-up
    return port, process


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--requests', type=int, default=3000, help='fetches per level and server')
    parser.add_argument('--concurrency', default='10,25,50,100', help='devices connecting at the same moment (comma-separated)')
    parser.add_argument('--workers', default='1,2', help='processes of each server (comma-separated)')
    parser.add_argument('--rounds', type=int, default=3, help='ab runs per server and level, alternating; the median is shown')
    parser.add_argument('--tls12', action='store_true', help="TLS 1.2 instead of 1.3 (its handshake has no delayed-acknowledgement wait)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix='phs-nginx-', dir='/tmp'))
    cert, key = workdir / 'cert.pem', workdir / 'key.pem'
    write_self_signed(str(cert), str(key), ['127.0.0.1'])
    models = write_records(workdir / 'records', 40)
    records = os.path.realpath(workdir / 'records')
    serial = next(m['serial_number'] for model in models.values() for m in model['ztp_members'])
    levels = [int(level) for level in args.concurrency.split(',')]
    load_before = os.getloadavg()
    rows = []
    try:
        for workers in [int(w) for w in args.workers.split(',')]:
            servers = {}
            try:
                for name in NAMES:
                    servers[name] = start(name, workers, workdir, cert, key, records, serial)
                # Alternate the two at each level and keep the medians of --rounds: a busy machine slows both alike.
                for level in levels:
                    runs = {name: [] for name in NAMES}
                    for _round in range(args.rounds):
                        for name in NAMES:
                            port, process = servers[name]
                            cpu = cpu_seconds(process.pid)
                            result = ab(port, serial, args.requests, level, ('-f', 'TLS1.2') if args.tls12 else ())
                            runs[name].append(result + ((cpu_seconds(process.pid) - cpu) * 1000 / args.requests,))
                    rows.append((workers, level, [[statistics.median(column) for column in zip(*runs[name])] for name in NAMES]))
            finally:
                for _port, process in servers.values():
                    process.terminate()
                    process.wait(timeout=30)
    finally:
        shutil.rmtree(workdir)
    print('ab -n %d -c <at once>, medians of %d alternating runs per level; a new TLS %s connection (ECDSA P-256, X25519) per fetch;'
          ' loopback; 2 cores shared by the servers and ab' % (args.requests, args.rounds, '1.2' if args.tls12 else '1.3'))
    print('load average at the start: %s; at the end: %s' % (' '.join('%.2f' % v for v in load_before), ' '.join('%.2f' % v for v in os.getloadavg())))
    print('ours and nginx without session tickets (the same handshake), nginx with its default two tickets; "best" is the faster nginx')
    print('%7s %7s | %-34s | %-34s | %-34s | %10s %9s | %13s' % (
        'workers', 'at once', 'ours: fetch/s p50 p99 CPU/fetch', 'nginx: fetch/s p50 p99 CPU/fetch', 'nginx-tickets: fetch/s p50 p99 CPU',
        'rate/best', 'CPU ratio', 'ab CPU/fetch'))
    for workers, level, servers in rows:
        ours, nginx, _tickets = servers
        best = max(nginx[0], servers[2][0])
        print('%7d %7d | %s | %s | %s | %9.2fx %8.2fx | %s' % (
            workers, level, *('%7.0f %4.0fms %4.0fms %6.2fms%s' % (s[0], s[1], s[2], s[5], ' %d failed' % s[3] if s[3] else '') for s in servers),
            ours[0] / best, ours[5] / nginx[5], ' / '.join('%4.2f' % s[4] for s in servers)))
    rate_met = all(servers[0][0] >= 0.9 * max(servers[1][0], servers[2][0]) for _w, _l, servers in rows)
    p99_at_50 = [servers[0][2] for _w, level, servers in rows if level == 50]
    print('rate >= 0.9x the best nginx at every level and worker count: %s; ours p99 < 100 ms at 50 at once: %s' % (
        'met' if rate_met else 'NOT met', ('met' if max(p99_at_50) < 100 else 'NOT met') if p99_at_50 else 'not measured'))


if __name__ == '__main__':
    main()

"""The phone-home server's record fetches against the limit: nginx serving the same records over TLS.

    .venv/bin/python bench/phs_vs_nginx.py [--requests 3000] [--concurrency 10,25,50,100] [--workers 1,2] [--rounds 3]

Load comes from ApacheBench (`ab`, C, Debian's apache2-utils), which opens a NEW TLS connection for every
request (no keep-alive) and counts the handshake in each request's time, as a device sees it when it phones
home.  (h2load reuses its connections unless the server closes them, and leaves the handshake out of a
request's time.)  Both servers present the same self-signed ECDSA P-256 certificate, negotiate the same
TLS 1.3 handshake (X25519, no session tickets: see docs/phone-home.md) and serve the same record file for
the same URL (nginx: a static file; ours: from memory, after checking the device's credentials and queueing
a record-fetched event), on loopback only, access logs off.  nginx runs with as many worker processes as
ours, so the ratio compares like with like; ours runs with --workers N (SO_REUSEPORT).  ab itself is one
process and needs about as much CPU per fetch as the servers (its CPU is printed too), on the same two
cores.  Bounded in count (--requests per level) and time (ab -t).
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

NAMES = ('junos-ztp-phs', 'nginx')
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
    ssl_conf_command NumTickets 0;   # as ours: no TLS 1.3 session tickets
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


def ab(port, serial, requests, concurrency):
    """(requests/s, p50 ms, p99 ms, failed, ab's CPU ms per request) from one ab run: a new TLS connection per request."""
    auth = base64.b64encode(('%s:' % serial).encode()).decode()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # -t before -n: ab's -t alone means 50,000 requests.
    out = subprocess.run(['ab', '-q', '-t', '120', '-n', str(requests), '-c', str(concurrency), '-s', '30',
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
    if name == 'nginx':
        config = workdir / 'nginx.conf'
        # as ourselves, so nginx reads what we can (the records are private to their writer)
        config.write_text(NGINX % {'user': getpass.getuser(), 'workers': workers, 'dir': workdir, 'port': port, 'cert': cert, 'key': key,
                                   'records': records})
        command = ['nginx', '-c', str(config), '-e', str(workdir / 'nginx-error.log')]
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
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix='phs-nginx-', dir='/tmp'))
    (workdir / 'tmp').mkdir()
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
                            result = ab(port, serial, args.requests, level)
                            runs[name].append(result + ((cpu_seconds(process.pid) - cpu) * 1000 / args.requests,))
                    ours, theirs = ([statistics.median(column) for column in zip(*runs[name])] for name in NAMES)
                    rows.append((workers, level, ours, theirs))
            finally:
                for _port, process in servers.values():
                    process.terminate()
                    process.wait(timeout=30)
    finally:
        shutil.rmtree(workdir)
    print('ab -n %d -c <at once>, medians of %d alternating runs per level; a new TLS 1.3 connection (ECDSA P-256, X25519, no tickets)'
          ' per fetch; loopback; 2 cores shared by both servers and ab' % (args.requests, args.rounds))
    print('load average at the start: %s; at the end: %s' % (' '.join('%.2f' % v for v in load_before), ' '.join('%.2f' % v for v in os.getloadavg())))
    print('%7s %7s | %7s %6s %6s %6s %8s | %7s %6s %6s %6s %8s | %6s %9s | %13s' % (
        'workers', 'at once', 'ours/s', 'p50', 'p99', 'failed', 'CPU/fetch', 'nginx/s', 'p50', 'p99', 'failed', 'CPU/fetch', 'rate', 'CPU ratio',
        'ab CPU/fetch'))
    for workers, level, ours, theirs in rows:
        print('%7d %7d | %7.0f %4.0fms %4.0fms %6d %6.2fms | %7.0f %4.0fms %4.0fms %6d %6.2fms | %5.2fx %8.2fx | %4.2f / %4.2fms' % (
            workers, level, ours[0], ours[1], ours[2], ours[3], ours[5], theirs[0], theirs[1], theirs[2], theirs[3], theirs[5],
            ours[0] / theirs[0], ours[5] / theirs[5], ours[4], theirs[4]))
    rate_met = all(ours[0] >= 0.9 * theirs[0] for _w, _l, ours, theirs in rows)
    p99_at_50 = [ours[2] for _w, level, ours, _theirs in rows if level == 50]
    print('rate >= 0.9x nginx at every level and worker count: %s; ours p99 < 100 ms at 50 at once: %s' % (
        'met' if rate_met else 'NOT met', ('met' if max(p99_at_50) < 100 else 'NOT met') if p99_at_50 else 'not measured'))


if __name__ == '__main__':
    main()

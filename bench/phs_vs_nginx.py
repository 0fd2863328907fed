"""The phone-home server's record fetches against the limit: nginx serving the same records over TLS.

    .venv/bin/python bench/phs_vs_nginx.py [--requests 3000] [--concurrency 10,25,50,100] [--workers 1,2]

Load comes from ApacheBench (`ab`, C, Debian's apache2-utils), which opens a NEW TLS connection for every
request (no keep-alive), as a device does when it phones home, so the load generator is not the
bottleneck a Python client was.  Both servers present the same self-signed ECDSA certificate, serve
the same record file for the same URL (nginx: a static file; ours: from memory, after checking the
device's credentials and storing a record-fetched event), on loopback only.  nginx runs with as many
worker processes as ours, so the ratio compares like with like; ours runs with --workers N (SO_REUSEPORT).
Bounded in count (--requests per level) and time (ab -t).
"""

from __future__ import annotations

import argparse
import base64
import getpass
import os
import re
import shutil
import socket
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

from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_fleet  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import render_records  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import write_version  # noqa: E402
from junos_ztp_phs.tls import write_self_signed  # noqa: E402
from phs_render import fleet  # noqa: E402

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


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def wait_listening(port, process, log):
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


def cpu_seconds(pid):
    """User + system CPU seconds of a process and its children (nginx's or our workers)."""
    pids = [pid] + [int(child) for child in Path('/proc/%d/task/%d/children' % (pid, pid)).read_text().split()]
    ticks = 0
    for one in pids:
        fields = Path('/proc/%d/stat' % one).read_text().rpartition(')')[2].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf('SC_CLK_TCK')


def ab(port, serial, requests, concurrency):
    """(requests/s, p50 ms, p99 ms, failed) from one ab run: a new TLS connection per request."""
    auth = base64.b64encode(('%s:' % serial).encode()).decode()
    # -t before -n: ab's -t alone means 50,000 requests.
    out = subprocess.run(['ab', '-q', '-t', '120', '-n', str(requests), '-c', str(concurrency), '-s', '30',
                          '-H', 'Authorization: Basic ' + auth, 'https://127.0.0.1:%d%s%s' % (port, PREFIX, serial)],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r'Requests per second:\s+([\d.]+)', out).group(1))
    p50 = float(re.search(r'^\s+50%\s+(\d+)', out, re.M).group(1))
    p99 = float(re.search(r'^\s+99%\s+(\d+)', out, re.M).group(1))
    failed = int(re.search(r'Failed requests:\s+(\d+)', out).group(1)) + int((re.search(r'Non-2xx responses:\s+(\d+)', out) or [0, 0])[1])
    return rate, p50, p99, failed


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
    models = validate_fleet(fleet(40))
    write_version(str(workdir / 'records'), render_records(models, {h: {'configuration': m['ztp_configuration']['content']} for h, m in models.items()}))
    records = os.path.realpath(workdir / 'records')
    serial = next(m['serial_number'] for model in models.values() for m in model['ztp_members'])
    levels = [int(level) for level in args.concurrency.split(',')]
    rows = []
    try:
        for workers in [int(w) for w in args.workers.split(',')]:
            servers = {}
            try:
                for name in ('nginx', 'junos-ztp-phs'):
                    servers[name] = start(name, workers, workdir, cert, key, records, serial)
                # Alternate the two at each level and keep the median of --rounds: a busy machine slows both alike.
                for level in levels:
                    runs = {'junos-ztp-phs': [], 'nginx': []}
                    for _round in range(args.rounds):
                        for name in ('junos-ztp-phs', 'nginx'):
                            port, process = servers[name]
                            cpu = cpu_seconds(process.pid)
                            result = ab(port, serial, args.requests, level)
                            runs[name].append(result + ((cpu_seconds(process.pid) - cpu) * 1000 / args.requests,))
                    ours, theirs = (sorted(runs[name])[len(runs[name]) // 2] for name in ('junos-ztp-phs', 'nginx'))
                    rows.append((workers, level) + ours + theirs + (ours[0] / theirs[0], theirs[4] / ours[4]))
            finally:
                for _port, process in servers.values():
                    process.terminate()
                    process.wait(timeout=30)
    finally:
        shutil.rmtree(workdir)
    print('ab -n %d, median of %d alternating runs per level, a new TLS connection (ECDSA P-256) per fetch, loopback, 2 cores shared by server and ab;'
          ' load average at the end: %s' % (args.requests, args.rounds, ' '.join('%.2f' % v for v in os.getloadavg())))
    print('%7s %7s | %8s %8s %8s %6s %8s | %8s %8s %8s %6s %8s | %6s %9s' % (
        'workers', 'at once', 'ours/s', 'p50', 'p99', 'failed', 'CPU/req', 'nginx/s', 'p50', 'p99', 'failed', 'CPU/req', 'rate', 'CPU ratio'))
    for row in rows:
        print('%7d %7d | %8.0f %6.0fms %6.0fms %6d %6.2fms | %8.0f %6.0fms %6.0fms %6d %6.2fms | %5.2fx %8.2fx' % row)


if __name__ == '__main__':
    main()

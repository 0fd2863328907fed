"""A throw-away PostgreSQL (Debian's package) for the tests: initdb in a temporary directory, run as an
unprivileged user (``nobody`` when the tests run as root), listening on a unix socket in that directory
and on a loopback port, password authentication over TCP.  ``stop()``/``start()`` take it away and bring
it back on the same data, as an outage would.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from loopback import reserve_port

USER = 'phs'
PASSWORD = 'pg-test-password'
DATABASE = 'phs'


def postgres_bin():
    """Directory of the newest installed server (postgresql-NN from tools/install-debian-packages.sh)."""
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/postgres'), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError('PostgreSQL is not installed: run tools/install-debian-packages.sh')
    return Path(found[-1]).parent


class Postgres:
    def __init__(self):
        self.bin = postgres_bin()
        # Not under pytest's tmp_path: that is private to root, and the server runs as nobody.
        self.directory = Path(tempfile.mkdtemp(prefix='junos-ztp-pg-'))
        self.data = self.directory / 'data'
        self.password_file = self.directory / 'password'
        self.password_file.write_text(PASSWORD + '\n')
        self.run_as = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam('nobody')
            self.run_as = {'user': nobody.pw_uid, 'group': nobody.pw_gid, 'extra_groups': []}
            os.chown(self.directory, nobody.pw_uid, nobody.pw_gid)
            os.chown(self.password_file, nobody.pw_uid, nobody.pw_gid)
        # Held until remove(), so that no other process takes the port before the server starts or while it is stopped.
        self._reservation = reserve_port()
        self.port = self._reservation.getsockname()[1]
        self.process = None
        self.log = self.directory / 'postgres.log'
        self._run([self.bin / 'initdb', '-D', self.data, '-U', USER, '--pwfile', self.password_file, '--auth-local=trust',
                   '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8'])
        self.start()
        self._run([self.bin / 'createdb', '-h', self.directory, '-p', str(self.port), '-U', USER, DATABASE])

    @property
    def dsn(self):
        return 'postgresql://%s@127.0.0.1:%d/%s' % (USER, self.port, DATABASE)

    def _run(self, command):
        subprocess.run([str(c) for c in command], check=True, capture_output=True, cwd=self.directory, **self.run_as)

    def start(self):
        with open(self.log, 'ab') as log:
            self.process = subprocess.Popen(
                [str(self.bin / 'postgres'), '-D', str(self.data), '-k', str(self.directory), '-h', '127.0.0.1', '-p', str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.directory, **self.run_as)
        deadline = time.monotonic() + 30
        while subprocess.run([str(self.bin / 'pg_isready'), '-q', '-h', str(self.directory), '-p', str(self.port)], check=False).returncode:
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, 'PostgreSQL did not start:\n' + self.log.read_text()
            time.sleep(0.1)
        return self

    def stop(self):
        """Fast shutdown (SIGINT; SIGTERM would wait for every client to leave): committed data stays."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)

    def psql(self, sql):
        return subprocess.run([str(self.bin / 'psql'), '-h', str(self.directory), '-p', str(self.port), '-U', USER,
                               '-d', DATABASE, '-Atc', sql], check=True, capture_output=True, text=True, **self.run_as).stdout

    def remove(self):
        self.stop()
        self._reservation.close()
        shutil.rmtree(self.directory, ignore_errors=True)

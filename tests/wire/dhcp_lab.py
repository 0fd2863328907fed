"""A DHCP lab for wire tests: a real ISC dhcpd or Kea in one network namespace, a Juniper-like client in another.

Fixtures (registered in tests/wire/conftest.py):

- ``dhcp_lab``: factory ``dhcp_lab(ipv4='10.10.0.1/24', ipv6='2001:db8:10::1/64') -> DhcpLab``. Two new
  network namespaces with unique names, joined by a veth pair; the server end is called ``eth1`` inside
  its namespace (the interface name the rendered Kea files use) and holds both addresses; the client
  end is ``lab.client_interface``. DAD is off on both ends, so DHCPv6 works at once. Everything (servers,
  the client thread, namespaces) is torn down after the test, whatever happens. Skips only without root.

``DhcpLab``:

- ``start(output, text)``: start the real server for output ``isc4``/``isc6`` (``dhcpd -4``/``-6``) or
  ``kea4``/``kea6`` (``kea-dhcp4``/``kea-dhcp6``) on ``text``, a file rendered by the collection, and wait
  until it is ready. The file is used as rendered, except that a Kea lease database is not persisted
  and a Kea DHCPv6 server DUID are not persisted (no file outside the test) and ISC gets its lease and pid files in the test's directory.
  A previous server is stopped first. ``stop()`` stops it; ``server_log()`` is what it printed.
- ``request_v4(mac, model, hostname=None, client_id=None, timeout=10.0, vendor_class=None)`` and
  ``request_v6(mac, model, duid=None, timeout=10.0)``: ``vcsim.dhcp_client``'s exchanges, run on the
  client end by a thread that has entered the client namespace; they return its ``DhcpAnswer``.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from vcsim import dhcp_client
from vcsim.ztp import enter_netns

SERVER_INTERFACE = 'eth1'
READY = {'isc4': 'Server starting service.', 'isc6': 'Server starting service.', 'kea4': 'DHCP4_STARTED', 'kea6': 'DHCP6_STARTED'}


def _ip(*args, check=True):
    return subprocess.run(['ip'] + list(args), capture_output=True, text=True, check=check)


class DhcpLab:
    def __init__(self, workdir, ipv4, ipv6):
        self.workdir = Path(workdir)
        suffix = secrets.token_hex(3)
        self.server_namespace, self.client_namespace = 'jzs' + suffix, 'jzc' + suffix
        self.client_interface = 'jzc' + suffix
        self.ipv4, self.ipv6 = ipv4, ipv6
        self._process = None
        self._log = None
        self._client = None

    def create(self):
        server_end = 'jzs' + self.client_interface[3:]
        _ip('netns', 'add', self.server_namespace)
        _ip('netns', 'add', self.client_namespace)
        _ip('link', 'add', server_end, 'type', 'veth', 'peer', 'name', self.client_interface)
        _ip('link', 'set', server_end, 'netns', self.server_namespace)
        _ip('link', 'set', self.client_interface, 'netns', self.client_namespace)
        _ip('-n', self.server_namespace, 'link', 'set', server_end, 'name', SERVER_INTERFACE)
        for namespace, interface in ((self.server_namespace, SERVER_INTERFACE), (self.client_namespace, self.client_interface)):
            subprocess.run(['ip', 'netns', 'exec', namespace, 'sysctl', '-q', '-w', 'net.ipv6.conf.%s.accept_dad=0' % interface],
                           check=True, capture_output=True)
            _ip('-n', namespace, 'link', 'set', 'lo', 'up')
            _ip('-n', namespace, 'link', 'set', interface, 'up')
        _ip('-n', self.server_namespace, 'addr', 'add', self.ipv4, 'dev', SERVER_INTERFACE)
        _ip('-n', self.server_namespace, '-6', 'addr', 'add', self.ipv6, 'dev', SERVER_INTERFACE, 'nodad')
        self._client = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix='dhcp-lab-client',
                                                             initializer=enter_netns, initargs=(self.client_namespace,))
        return self

    def _command(self, output, config):
        if output.startswith('isc'):
            family = output[-1]
            leases = self.workdir / ('dhcpd%s.leases' % family)
            leases.write_text('')
            return ['dhcpd', '-' + family, '-f', '-d', '-cf', str(config), '-lf', str(leases),
                    '-pf', str(self.workdir / ('dhcpd%s.pid' % family)), SERVER_INTERFACE]
        return ['kea-dhcp%s' % output[-1], '-c', str(config)]

    def start(self, output, text, timeout=30.0):
        self.stop()
        if output.startswith('kea'):
            config = json.loads(text)
            for dhcp in config.values():
                dhcp['lease-database'] = {'type': 'memfile', 'persist': False}
                if 'subnet6' in dhcp:
                    dhcp['server-id'] = {'type': 'LLT', 'persist': False}
            text = json.dumps(config, indent=2)
        config_file = self.workdir / ('%s.conf' % output)
        config_file.write_text(text)
        log_file = self.workdir / ('%s.log' % output)
        self._log = log_file
        env = dict(os.environ, KEA_PIDFILE_DIR=str(self.workdir), KEA_LOCKFILE_DIR=str(self.workdir))
        with open(log_file, 'w', encoding='utf-8') as log:
            self._process = subprocess.Popen(['ip', 'netns', 'exec', self.server_namespace] + self._command(output, config_file),
                                             stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while READY[output] not in self.server_log():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError('%s did not start:\n%s' % (output, self.server_log()[-3000:]))
            time.sleep(0.05)

    def server_log(self):
        return self._log.read_text(errors='replace') if self._log and self._log.exists() else ''

    def stop(self):
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def request_v4(self, mac, model, hostname=None, client_id=None, timeout=10.0, vendor_class=None):
        return self._client.submit(dhcp_client.request_v4, self.client_interface, mac, model, hostname, client_id, timeout,
                                   vendor_class).result()

    def request_v6(self, mac, model, duid=None, timeout=10.0):
        return self._client.submit(dhcp_client.request_v6, self.client_interface, mac, model, duid, timeout).result()

    def destroy(self):
        try:
            self.stop()
        finally:
            if self._client is not None:
                self._client.shutdown(wait=True)
            for namespace in (self.server_namespace, self.client_namespace):
                _ip('netns', 'delete', namespace, check=False)
            _ip('link', 'delete', self.client_interface, check=False)  # still here only if create() failed before moving it


@pytest.fixture
def dhcp_lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip('network namespaces need root')
    labs = []

    def factory(ipv4='10.10.0.1/24', ipv6='2001:db8:10::1/64'):
        workdir = tmp_path / ('lab%d' % len(labs))
        workdir.mkdir()
        lab = DhcpLab(workdir, ipv4, ipv6)
        labs.append(lab)
        return lab.create()

    yield factory
    for lab in labs:
        lab.destroy()

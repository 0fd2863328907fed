"""A simulated factory-default switch runs DHCP ZTP (tests/vcsim/ztp.py) from what the collection renders.

The DHCP lab (tests/wire/dhcp_lab.py) joins a server and a client network namespace; the server namespace holds
the real DHCP server started on the rendered file, and real file servers for every transfer mode: http on 80
and https on 8443 (the standard library's server, IPv4 and IPv6), tftp (Debian's tftpd-hpa) and anonymous ftp
(pyftpdlib). The client namespace is an access switch (a bridge) with one namespace per simulated switch cabled
to it: a factory-default standalone EX whose DHCP client and fetches run on its me0. All switches of one DHCP
server run at once; each test asserts what its switch received (the decoded answer in
ztp_dhcp_bound) and what it ended up running (version, committed configuration, the order of its events).
"""

from __future__ import annotations

import functools
import http.server
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._dhcp import OUTPUTS, Settings, build_plan
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_render import render
from conftest import _throwaway_ca_and_server_cert
from dhcp_lab import SERVER_INTERFACE, DhcpLab
from vcsim import Simulator, make_image
from vcsim.ztp import enter_netns

SERVER_V4, SERVER_V6 = '10.99.0.1', '2001:db8:99::1'
HTTPS_PORT = 8443
OLD, NEW = '21.4R3-S5.4', '22.4R3-S2.11'
TIME_SCALE = 1.0 / 3000        # an install (600 s) takes 0.2 s, a reboot 0.1 s, a restart delay 5 ms
SUBNETS = {4: [{'subnet': '10.99.0.0/24', 'pools': ['10.99.0.100 - 10.99.0.200'], 'routers': [SERVER_V4]}],
           6: [{'subnet': '2001:db8:99::/64', 'pools': ['2001:db8:99::1000 - 2001:db8:99::1fff']}]}
ZTP_EVENTS = ('ztp_start', 'ztp_dhcp_bound', 'ztp_dhcp_failed', 'ztp_fetch', 'install_start', 'install_end', 'install_fail',
              'ztp_install_skipped', 'script_run', 'config_commit', 'ztp_commit_failed', 'ztp_restart', 'ztp_done', 'ztp_gave_up',
              'reboot_start', 'member_rejoin')
FINAL_EVENTS = ('member_rejoin', 'ztp_gave_up')


def _server(mode, port=None, address=SERVER_V4):
    server = {'address': address, 'transfer_mode': mode, 'image_path': '/images', 'config_path': '/configs'}
    return dict(server, port=port) if port else server


def _software(model_glob, file_name, version=NEW, symlink=False):
    return {'version': version, 'images': [{'models': [model_glob], 'file': file_name, 'url': 'http://192.0.2.10/%s' % file_name,
                                            'sha256': 'a' * 64, 'symlink': symlink}]}


def _host(index, model, server, software=None, configuration=None, method='dhcp-ztp'):
    variables = {'ztp_bootstrap_method': method, 'ztp_file_server': server,
                 'ztp_management': {'ipv4_address': '10.99.0.%d' % (20 + index), 'ipv6_address': '2001:db8:99::%d' % (20 + index)},
                 'ztp_members': [{'serial_number': 'HWZTP%04d' % index, 'model': model, 'mac_address': '02:00:00:00:99:%02x' % index}]}
    if software:
        variables['ztp_software'] = software
    if configuration:
        variables['ztp_configuration'] = configuration
    return variables


def _text(hostname):
    """Junos text configuration, what DHCP ZTP loads (the ZTP document), merged onto the factory default."""
    return 'system {\n    host-name %s;\n    delete: autoinstallation;\n}\n' % hostname


# One switch per case of the ZTP document's workflow; what its file server holds is written by _publish.
FLEET = {
    'sw-full': _host(1, 'ex4300-48p', _server('http'), _software('ex4300-*', 'jinstall-ex-4300-%s-signed.tgz' % NEW),
                     {'content': _text('sw-full')}),
    'sw-image': _host(2, 'ex2300-24p', _server('https', HTTPS_PORT), _software('ex2300-*', 'junos-arm-32-current.tgz', symlink=True)),
    'sw-config': _host(3, 'ex4300-48p', _server('tftp'), configuration={'content': _text('sw-config'), 'file_name': 'sw-config.conf'}),
    'sw-same': _host(4, 'ex4300-48p', _server('ftp'), _software('ex4300-*', 'jinstall-ex-4300-%s-signed.tgz' % OLD, OLD),
                     {'content': _text('sw-same')}),
    'sw-corrupt': _host(5, 'ex4300-48p', _server('http'), _software('ex4300-*', 'jinstall-ex-4300-%s-corrupt.tgz' % NEW),
                        {'content': _text('sw-corrupt')}),
    'sw-badconfig': _host(6, 'ex4300-48p', _server('http'), configuration={'content': _text('bad-config'), 'file_name': 'bad.conf'}),
    'sw-script': _host(7, 'ex4300-48p', _server('http'), configuration={'content': '#!/bin/sh\necho provisioning by script\n'}),
    'sw-phone-home': _host(8, 'ex4300-48p', _server('http'), method='phone-home'),
    'sw-missing': _host(10, 'ex4300-48p', _server('ftp'), _software('ex4300-*', 'jinstall-ex-4300-%s-missing.tgz' % NEW)),
    'sw-xml': _host(11, 'ex4300-48p', _server('http'), configuration={'content': _text('sw-xml')}),
}
# DHCPv6 (options 59 and 17) from an IPv6 file server.
FLEET_V6 = {'sw-v6': _host(9, 'ex4300-48p', _server('http', address=SERVER_V6), _software('ex4300-*', 'jinstall-ex-4300-%s-signed.tgz' % NEW),
                           {'content': _text('sw-v6')})}
# What is on the file server besides the rendered contents: a text configuration, one that does not commit, and the
# Junos XML the collection used to hand DHCP ZTP hosts (a text load of it fails on the device).
TEXT_CONFIGURATION = 'system {\n    host-name sw-config;\n    services {\n        netconf {\n            ssh;\n        }\n    }\n}\n'
BAD_CONFIGURATION = 'system {\n    host-name "not a valid host name!";\n}\n'
XML_CONFIGURATION = '<configuration><system><host-name>sw-xml</host-name><autoinstallation delete="delete"/></system></configuration>\n'


# -- the network ----------------------------------------------------------------------------------------------


def _ip(*args, namespace=None):
    subprocess.run(['ip'] + (['-n', namespace] if namespace else []) + list(args), capture_output=True, text=True, check=True)


def _sysctl(namespace, *settings):
    subprocess.run(['ip', 'netns', 'exec', namespace, 'sysctl', '-qw'] + list(settings), check=True)


class AccessSwitch:
    """A bridge in the lab's client namespace, and one namespace per simulated switch cabled to it (its me0).

    Each switch has a namespace of its own so that its address, routes and connections are its own alone.
    """

    BRIDGE = 'ztpbr'

    def __init__(self, lab):
        self.lab = lab
        self.namespaces = {}
        _ip('link', 'add', self.BRIDGE, 'type', 'bridge', 'forward_delay', '0', namespace=lab.client_namespace)
        _ip('link', 'set', lab.client_interface, 'master', self.BRIDGE, namespace=lab.client_namespace)
        _ip('link', 'set', self.BRIDGE, 'up', namespace=lab.client_namespace)

    def cable(self, host):
        """A new namespace for ``host`` whose me0 is cabled to the bridge; returns the namespace's name."""
        index = len(self.namespaces)
        namespace = '%s-%d' % (self.lab.client_namespace, index)
        port, peer = '%sp%d' % (self.lab.client_namespace, index), '%sq%d' % (self.lab.client_namespace, index)
        _ip('netns', 'add', namespace)
        self.namespaces[host] = namespace
        _ip('link', 'add', port, 'type', 'veth', 'peer', 'name', peer)
        _ip('link', 'set', port, 'netns', self.lab.client_namespace)
        _ip('link', 'set', peer, 'netns', namespace)
        _ip('link', 'set', peer, 'name', 'me0', namespace=namespace)
        _sysctl(namespace, 'net.ipv6.conf.me0.accept_dad=0')
        _ip('link', 'set', port, 'master', self.BRIDGE, 'up', namespace=self.lab.client_namespace)
        for interface in ('me0', 'lo'):
            _ip('link', 'set', interface, 'up', namespace=namespace)
        return namespace

    def close(self):
        for namespace in self.namespaces.values():
            subprocess.run(['ip', 'netns', 'delete', namespace], capture_output=True, check=False)


# -- the file servers -----------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _DualStackServer(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6     # bound to '::', it answers IPv4 too


class HttpServer:
    """http.server bound inside the server namespace (the socket keeps its namespace), served from a thread."""

    def __init__(self, namespace, port, directory, tls_files=None):
        created = {}

        def create():
            enter_netns(namespace)
            server = _DualStackServer(('::', port), functools.partial(_QuietHandler, directory=str(directory)))
            if tls_files:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(*tls_files)
                server.socket = context.wrap_socket(server.socket, server_side=True)
            created['server'] = server

        binder = threading.Thread(target=create)
        binder.start()
        binder.join()
        self.server = created['server']
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _wait_for_port(namespace, protocol, port, timeout=60.0):
    """A daemon started in the namespace listens (ss from iproute2 sees the socket)."""
    flag = '-ltn' if protocol == 'tcp' else '-lun'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = subprocess.run(['ip', 'netns', 'exec', namespace, 'ss', '-H', flag, 'sport = :%d' % port],
                                 capture_output=True, text=True, check=False).stdout
        if listing.strip():
            return
        time.sleep(0.05)
    raise TimeoutError('nothing listens on %s port %d in %s' % (protocol, port, namespace))


def _daemon(namespace, command, log):
    with open(log, 'w', encoding='utf-8') as handle:
        return subprocess.Popen(['ip', 'netns', 'exec', namespace] + command, stdout=handle, stderr=subprocess.STDOUT)


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _publish(root, plan, fleet):
    """The files each switch's answer names, where the rendered records say they are (plan.ztp_files)."""
    for host, names in plan.ztp_files.items():
        if names['image'] and host != 'sw-missing':
            image = root / names['image'].lstrip('/')
            image.parent.mkdir(parents=True, exist_ok=True)
            model = fleet[host]['ztp_members'][0]['model']
            software = fleet[host]['ztp_software']
            if software['images'][0]['symlink']:   # the name is a link to the versioned file, as the record says
                target = image.with_name(image.name.replace('current', software['version']))
                make_image(target, software['version'], 'ex-' + model[2:6], 64 * 1024)
                image.symlink_to(target.name)
            else:
                make_image(image, software['version'], 'ex-' + model[2:6], 64 * 1024)
            if 'corrupt' in names['image']:
                data = bytearray(image.read_bytes())
                data[len(data) // 2] ^= 0xFF
                image.write_bytes(bytes(data))
        if names['configuration']:
            target = root / names['configuration'].lstrip('/')
            target.parent.mkdir(parents=True, exist_ok=True)
            content = fleet[host]['ztp_configuration']['content']
            target.write_text({'sw-config': TEXT_CONFIGURATION, 'sw-badconfig': BAD_CONFIGURATION, 'sw-xml': XML_CONFIGURATION}.get(host, content))
    for path in [root] + list(root.rglob('*')):
        path.chmod(0o755 if path.is_dir() else 0o644)   # tftpd-hpa reads as nobody after its chroot


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The DHCP lab's namespaces and the four file servers, once for the module; torn down whatever happens."""
    if os.geteuid() != 0:
        pytest.skip('network namespaces need root')
    work = tmp_path_factory.mktemp('dhcp-ztp')
    root = work / 'files'
    root.mkdir()
    _publish(root, build_plan(FLEET, Settings('isc4', subnets=SUBNETS[4])), FLEET)
    _publish(root, build_plan(FLEET_V6, Settings('isc6', subnets=SUBNETS[6])), FLEET_V6)
    site = DhcpLab(work, SERVER_V4 + '/24', SERVER_V6 + '/64')
    stoppers = [site.destroy]
    try:
        site.create()
        access = AccessSwitch(site)
        stoppers.append(access.close)
        site.switch_namespaces = {host: access.cable(host) for host in sorted(FLEET) + sorted(FLEET_V6)}
        ca_file, cert_file, key_file = _throwaway_ca_and_server_cert(work, SERVER_V4)
        site.ca_file = ca_file
        for server in (HttpServer(site.server_namespace, 80, root), HttpServer(site.server_namespace, HTTPS_PORT, root, (cert_file, key_file))):
            stoppers.append(server.stop)
        tftp = _daemon(site.server_namespace, ['in.tftpd', '--foreground', '--secure', str(root), '--address', '%s:69' % SERVER_V4],
                       work / 'tftpd.log')
        stoppers.append(functools.partial(_stop, tftp))
        ftp = _daemon(site.server_namespace, [sys.executable, '-m', 'pyftpdlib', '--interface', SERVER_V4, '--port', '21',
                                              '--directory', str(root)], work / 'ftpd.log')
        stoppers.append(functools.partial(_stop, ftp))
        _wait_for_port(site.server_namespace, 'udp', 69)
        _wait_for_port(site.server_namespace, 'tcp', 21)
        site.work = work
        yield site
    finally:
        for stop in reversed(stoppers):
            stop()


# -- the DHCP server and the switches -------------------------------------------------------------------------


def _start_dhcp_server(site, output, fleet):
    """The real server on the file the collection renders for the fleet (the lab waits until it serves)."""
    family = OUTPUTS[output].family
    settings = {'subnets': SUBNETS[family]}
    if output.startswith('kea'):
        settings['interfaces'] = [SERVER_INTERFACE]
    if output == 'kea6':   # Kea answers a DHCPv6 client on the link only from a subnet bound to that interface
        settings['subnets'] = [dict(subnet, interface=SERVER_INTERFACE) for subnet in SUBNETS[6]]
    site.start(output, render(build_plan(fleet, Settings(output, **settings))))


def _switch_spec(site, fleet, family):
    vcs = []
    for host, variables in sorted(fleet.items()):
        member = variables['ztp_members'][0]
        gives_up = host in ('sw-corrupt', 'sw-badconfig', 'sw-phone-home', 'sw-missing', 'sw-xml')
        vcs.append({'name': host, 'initial_config': 'factory-default', 'ca_file': site.ca_file,
                    'members': [{'id': 0, 'serial': member['serial_number'], 'model': member['model'], 'mac': member['mac_address'],
                                 'version': OLD}],
                    'dhcp_ztp': {'netns': site.switch_namespaces[host], 'interface': 'me0', 'family': family,
                                 'max_attempts': 2 if gives_up else 3}})
    return {'time_scale': TIME_SCALE, 'vcs': vcs}


def _run_ztp(site, output, fleet):
    """Every switch of the fleet, started factory-default with DHCP ZTP, run to its end against one real DHCP server."""
    _start_dhcp_server(site, output, fleet)
    try:
        with Simulator(_switch_spec(site, fleet, OUTPUTS[output].family), site.work / output) as sim:
            for vc in sim.vcs:
                # ztp_done says whether a reboot follows (it is logged just before the reboot starts).
                vc.wait_until(lambda vc: vc.events(FINAL_EVENTS) or vc.events('ztp_done', reboot=False), timeout=120)
            yield sim
    finally:
        site.stop()


@pytest.fixture(scope='module', params=['isc4', 'kea4'])
def provisioned(request, site):
    yield from _run_ztp(site, request.param, FLEET)


@pytest.fixture(scope='module', params=['isc6', 'kea6'])
def provisioned_v6(request, site):
    yield from _run_ztp(site, request.param, FLEET_V6)


def _answer(vc):
    """The decoded answer the switch acted on, as its ztp_dhcp_bound event records it."""
    bound = vc.events('ztp_dhcp_bound')[0]
    return {key: bound[key] for key in ('family', 'address', 'file_server', 'transfer_mode', 'image', 'image_port', 'config', 'config_port')}


def _story(vc):
    """The switch's ZTP events in order: names, with the file fetched for ztp_fetch."""
    return [event['event'] + ('(%s)' % event['kind'] if event['event'] == 'ztp_fetch' else '') for event in vc.events(ZTP_EVENTS)]


def _hostname(vc):
    return vc.committed_config().findtext('system/host-name')


def test_image_and_configuration_over_http(provisioned):
    vc = provisioned.vc('sw-full')
    assert _answer(vc) == {'family': 4, 'address': '10.99.0.21', 'file_server': SERVER_V4, 'transfer_mode': 'http',
                           'image': '/images/jinstall-ex-4300-%s-signed.tgz' % NEW, 'image_port': None, 'config': '/configs/sw-full.conf',
                           'config_port': None}
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(image)', 'install_start', 'install_end', 'ztp_fetch(configuration)',
                          'config_commit', 'ztp_done', 'reboot_start', 'member_rejoin']
    assert vc.member(0).version == NEW
    assert _hostname(vc) == 'sw-full'
    assert vc.committed_config().find('system/phone-home') is not None   # merged onto the factory default


def test_image_only_over_https_on_a_non_default_port_by_a_symbolic_link(provisioned):
    vc = provisioned.vc('sw-image')
    assert _answer(vc)['transfer_mode'] == 'https' and _answer(vc)['image_port'] == HTTPS_PORT
    assert _answer(vc)['image'] == '/images/junos-arm-32-current.tgz' and _answer(vc)['config'] is None
    assert vc.events('ztp_dhcp_bound')[0]['image_is_symlink'] is True
    assert vc.events('ztp_fetch')[0]['source'] == 'https://%s:%d/images/junos-arm-32-current.tgz' % (SERVER_V4, HTTPS_PORT)
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(image)', 'install_start', 'install_end', 'ztp_done',
                          'reboot_start', 'member_rejoin']
    assert vc.member(0).version == NEW
    assert _hostname(vc) is None and not vc.events('config_commit')


def test_a_text_configuration_only_over_tftp(provisioned):
    vc = provisioned.vc('sw-config')
    assert _answer(vc) == {'family': 4, 'address': '10.99.0.23', 'file_server': SERVER_V4, 'transfer_mode': 'tftp',
                           'image': None, 'image_port': None, 'config': '/configs/sw-config.conf', 'config_port': None}
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(configuration)', 'config_commit', 'ztp_done']
    assert vc.member(0).version == OLD
    assert _hostname(vc) == 'sw-config'
    assert vc.committed_config().find('system/services/netconf/ssh') is not None


def test_the_same_version_over_ftp_skips_the_install(provisioned):
    vc = provisioned.vc('sw-same')
    assert _answer(vc)['transfer_mode'] == 'ftp' and _answer(vc)['image'] == '/images/jinstall-ex-4300-%s-signed.tgz' % OLD
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(image)', 'ztp_install_skipped', 'ztp_fetch(configuration)',
                          'config_commit', 'ztp_done']
    assert vc.member(0).version == OLD and _hostname(vc) == 'sw-same'


def test_a_corrupted_image_fails_to_install_and_ztp_restarts(provisioned):
    vc = provisioned.vc('sw-corrupt')
    attempt = ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(image)', 'install_fail', 'ztp_restart']
    assert _story(vc) == attempt * 2 + ['ztp_gave_up']
    assert 'signature/validation failed' in vc.events('install_fail')[0]['reason']
    assert [event['reason'].split(':')[0] for event in vc.events('ztp_restart')] == ['image installation failed'] * 2
    assert vc.member(0).version == OLD and _hostname(vc) is None


def test_an_image_that_cannot_be_fetched_restarts_ztp(provisioned):
    vc = provisioned.vc('sw-missing')
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(image)', 'ztp_restart'] * 2 + ['ztp_gave_up']
    fetch = vc.events('ztp_fetch')[0]
    assert not fetch['ok'] and fetch['source'] == 'ftp://%s/images/jinstall-ex-4300-%s-missing.tgz' % (SERVER_V4, NEW)
    assert vc.events('ztp_restart')[0]['reason'] == 'request for the image file failed: fetch: %s: 550 No such file or directory.' % fetch['source']
    assert vc.files() == [] and vc.member(0).version == OLD


def test_a_configuration_that_does_not_commit_restarts_ztp(provisioned):
    vc = provisioned.vc('sw-badconfig')
    assert _answer(vc)['config'] == '/configs/bad.conf' and _answer(vc)['image'] is None
    attempt = ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(configuration)', 'ztp_commit_failed', 'ztp_restart']
    assert _story(vc) == attempt * 2 + ['ztp_gave_up']
    assert 'Invalid hostname' in vc.events('ztp_commit_failed')[0]['error']
    assert _hostname(vc) is None and vc.config.candidate('dhcp-ztp').findtext('system/host-name') is None


def test_a_junos_xml_configuration_file_does_not_commit_and_ztp_restarts(provisioned):
    # [doc] a file that is not a script is loaded "as a configuration in text format": XML there does not parse.
    vc = provisioned.vc('sw-xml')
    assert _answer(vc)['config'] == '/configs/sw-xml.conf'
    attempt = ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(configuration)', 'ztp_commit_failed', 'ztp_restart']
    assert _story(vc) == attempt * 2 + ['ztp_gave_up']
    assert 'syntax error' in vc.events('ztp_commit_failed')[0]['error']
    assert vc.events('ztp_restart')[0]['reason'].startswith('the configuration /var/tmp/sw-xml.conf does not commit: syntax error')
    assert _hostname(vc) is None and not vc.events('config_commit')


def test_a_script_is_executed_not_loaded(provisioned):
    vc = provisioned.vc('sw-script')
    assert _answer(vc)['config'] == '/configs/sw-script.sh'
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(configuration)', 'script_run', 'ztp_done']
    run = vc.events('script_run')[0]
    assert (run['path'], run['interpreter'], run['exit_status']) == ('/var/tmp/sw-script.sh', '/bin/sh', 0)
    assert _hostname(vc) is None and not vc.events('config_commit')


def test_no_file_server_information_restarts_ztp(provisioned):
    # A phone-home switch's record carries its address and no ZTP option: the ZTP it also runs finds no file server.
    vc = provisioned.vc('sw-phone-home')
    assert _answer(vc) == {'family': 4, 'address': '10.99.0.28', 'file_server': None, 'transfer_mode': 'tftp',
                           'image': None, 'image_port': None, 'config': None, 'config_port': None}
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_restart'] * 2 + ['ztp_gave_up']
    assert vc.events('ztp_restart')[0]['reason'] == 'no file server information'
    restarts = vc.events(('ztp_restart', 'ztp_start'))
    assert restarts[2]['sim_ts'] - restarts[1]['sim_ts'] >= 15   # the document's 15 to 30 seconds, on the simulated clock


def test_dhcpv6_image_and_configuration_from_an_ipv6_file_server(provisioned_v6):
    vc = provisioned_v6.vc('sw-v6')
    assert _answer(vc) == {'family': 6, 'address': '2001:db8:99::29', 'file_server': SERVER_V6, 'transfer_mode': 'http',
                           'image': '/images/jinstall-ex-4300-%s-signed.tgz' % NEW, 'image_port': None, 'config': '/configs/sw-v6.conf',
                           'config_port': None}
    assert [event['source'] for event in vc.events('ztp_fetch')] == [
        'http://[%s]/images/jinstall-ex-4300-%s-signed.tgz' % (SERVER_V6, NEW), 'http://[%s]/configs/sw-v6.conf' % SERVER_V6]
    assert _story(vc) == ['ztp_start', 'ztp_dhcp_bound', 'ztp_fetch(image)', 'install_start', 'install_end', 'ztp_fetch(configuration)',
                          'config_commit', 'ztp_done', 'reboot_start', 'member_rejoin']
    assert vc.member(0).version == NEW and _hostname(vc) == 'sw-v6'

"""Every host of two whole sites asks a real DHCP server, and gets what the ZTP document requires for it.

The sites: the example inventory (playbooks/inventory/example) and tests/inventories/rtm2 (Virtual Chassis keyed
by MAC, by serial number in option 12 and by option 61; standalone switches under dhcp-ztp over http, https on
port 8443, tftp and ftp, a script, a pool address, IPv6-only file servers). The role renders the four outputs of
a site once, as users run it; each output is served once by the real server (ISC dhcpd or Kea, in the DHCP lab of
dhcp_lab.py) and every member of every host runs a full exchange with vcsim.dhcp_client.

``seed_expectation`` says what each host must receive, written from the ZTP document and the data model's
documented defaults (never from plugins/module_utils/_dhcp.py): on DHCPv4 option 43 suboptions 00/01/02/03/04/08,
option 150 or 66, 7, 42 and 12; on DHCPv6 option 59 and option 17 (enterprise 2636) suboptions 00/01/02/05/08;
every value within 255 octets, every HTTP URL within 256 characters. Hosts under phone-home get no option that
starts DHCP ZTP, and the proxy that phone-home needs.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import ipaddress
import json
import posixpath
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from playbook import run_dhcp_records_role
from vcsim.dhcp_client import DhcpAnswer, ipv4_addresses

REPO = Path(__file__).resolve().parents[2]
ZTP_SUBOPTIONS = {0, 1, 2, 3, 4, 5}  # what makes a device start DHCP ZTP (image, configuration, type, mode, port)
SCRIPT_SUFFIXES = {'/bin/sh': '.sh', '/usr/libexec/ui/cscript': '.slax', '/usr/bin/python': '.py'}  # data model default names
MAX_OCTETS, MAX_URL = 255, 256


@dataclasses.dataclass
class Site:
    inventory: Path
    outputs_file: Path
    ipv4: str  # the server's address on the lab link
    ipv6: str


SITES = {
    'example': Site(REPO / 'playbooks' / 'inventory' / 'example', REPO / 'tests' / 'golden' / 'dhcp' / 'outputs.yml',
                    '10.10.0.1/24', '2001:db8:10::1/64'),
    'rtm2': Site(REPO / 'tests' / 'inventories' / 'rtm2', REPO / 'tests' / 'inventories' / 'rtm2-dhcp-outputs.yml',
                 '10.20.0.1/24', '2001:db8:20::1/64'),
}


@pytest.fixture(scope='module')
def rendered_sites(tmp_path_factory):
    """site -> (files {output: text}, outputs {output: role entry}, hostvars): the role runs once per site."""
    cache = {}

    def get(name):
        if name not in cache:
            site, tmp = SITES[name], tmp_path_factory.mktemp(name)
            run, out = run_dhcp_records_role(tmp, site.inventory, site.outputs_file)
            assert run.returncode == 0, run.output[-4000:]
            outputs = {entry['type']: entry for entry in yaml.safe_load(site.outputs_file.read_text())}
            files = {output: (out / entry['dest']).read_text() for output, entry in outputs.items()}
            listed = subprocess.run([str(Path(sys.executable).with_name('ansible-inventory')), '-i', str(site.inventory), '--list'],
                                    capture_output=True, text=True, check=True)
            cache[name] = files, outputs, json.loads(listed.stdout)['_meta']['hostvars']
        return cache[name]

    return get


# What the ZTP document requires ----------------------------------------------------------------------------


def _family(address):
    return ipaddress.ip_address(address).version


def _config_name(host, configuration):
    content = configuration.get('content') or ''
    if configuration.get('file_name'):
        return configuration['file_name']
    if content.startswith('#!'):
        return host + SCRIPT_SUFFIXES[content.splitlines()[0][2:].strip().split(' ')[0]]
    return host + '.conf'


def _image(software, model):
    for image in software.get('images') or []:
        if any(fnmatch.fnmatch(model, pattern) for pattern in image['models']):
            return image
    return None


def seed_expectation(host, hostvars, output):
    """{'address': str or None (a pool address), 'options': {code: value}, 'suboptions': {code: bytes}} for this host.

    DHCPv4 options are compared decoded (7, 42, 150 as address lists, 12 and 66 as text); DHCPv6 option 59 as text.
    """
    family, settings = int(output['type'][-1]), output
    management = hostvars.get('ztp_management') or {}
    dhcp_options = hostvars.get('ztp_dhcp_options') or {}
    options, suboptions = {}, {}
    if dhcp_options.get('proxy'):
        suboptions[8] = dhcp_options['proxy'].encode()  # the phone-home client's proxy (suboption 08), to every host
    if family == 4:
        if management.get('hostname'):
            options[12] = management['hostname']
        for code, key in ((7, 'syslog_servers'), (42, 'ntp_servers')):
            addresses = [a for a in dhcp_options.get(key) or [] if _family(a) == 4]
            if addresses:
                options[code] = addresses
    server = hostvars.get('ztp_file_server') or {}
    if hostvars.get('ztp_bootstrap_method', 'phone-home') == 'dhcp-ztp' and _family(server['address']) == family:
        mode = server.get('transfer_mode', 'http')
        port = server.get('port') if mode in ('http', 'https') else None
        image = _image(hostvars.get('ztp_software') or {}, hostvars['ztp_members'][0]['model'])
        image_name = posixpath.join('/' + server.get('image_path', '/').strip('/'), image['file']) if image else None
        config_name = None
        if hostvars.get('ztp_configuration'):
            config_name = posixpath.join('/' + server.get('config_path', '/').strip('/'), _config_name(host, hostvars['ztp_configuration']))
        if family == 4:
            suffix = ':%d' % port if port else ''  # "append the port number to the image or configuration name"
            for code in (150, 66):
                if code in settings.get('file_server_options', [150]):
                    options[code] = [server['address']] if code == 150 else server['address']
            for code in ('00', '04'):
                if image_name and code in settings.get('image_suboptions', ['00']):
                    suboptions[int(code)] = (image_name + suffix).encode()
            if config_name:
                suboptions[1] = (config_name + suffix).encode()
            suboptions[3] = mode.encode()
        else:
            in_59 = '59' in settings.get('v6_image_options', ['59'])
            options[59] = '%s://[%s]%s' % (mode, server['address'], image_name if in_59 and image_name else '')
            if image_name and '17' in settings.get('v6_image_options', ['59']):
                suboptions[0] = image_name.encode()
            if config_name:
                suboptions[1] = config_name.encode()
            if port:
                suboptions[5] = str(port).encode()  # option 17's port wins over option 59's
        if image and image.get('symlink'):
            suboptions[2] = b'symlink'
    return {'address': management.get('ipv%d_address' % family), 'options': options, 'suboptions': dict(sorted(suboptions.items()))}


def _received(answer, family):
    """The answer decoded the way the expectation is written."""
    options = {}
    if family == 4:
        for code in (7, 42, 150):
            if code in answer.options:
                options[code] = ipv4_addresses(answer.options[code])
        for code in (12, 66, 67):
            if code in answer.options:
                options[code] = answer.options[code].decode()
    elif 59 in answer.options:
        options[59] = answer.options[59].decode()
    return options, answer.vendor_suboptions()


def _limit_problems(answer, family, options, suboptions):
    problems = ['suboption %02d is %d octets' % (code, len(value)) for code, value in suboptions.items() if len(value) > MAX_OCTETS]
    if family == 4:
        problems += ['option %d is %d octets' % (code, len(value)) for code, value in answer.options.items() if len(value) > MAX_OCTETS]
        if 3 in suboptions and suboptions[3] in (b'http', b'https'):
            server = (options.get(150) or [options.get(66)])[0]
            for code in (0, 1, 4):
                if code in suboptions:
                    name, _sep, port = suboptions[code].decode().partition(':')
                    url = '%s://%s%s%s' % (suboptions[3].decode(), server, ':' + port if port else '', name)
                    if len(url) > MAX_URL:
                        problems.append('suboption %02d makes a %d-character URL' % (code, len(url)))
    elif len(options.get(59, '')) > MAX_URL:
        problems.append('option 59 is a %d-character URL' % len(options[59]))
    return problems


# The exchanges ---------------------------------------------------------------------------------------------


def _ask(lab, family, hostvars, member, timeout):
    """One exchange as this member would run it: keyed by MAC, serial (option 12), option 61 or DUID."""
    match = (hostvars.get('ztp_management') or {}).get('dhcp_match', 'mac')
    mac = member['mac_address']
    if family == 6:
        return lab.request_v6(mac, member['model'], duid=member.get('duid'), timeout=timeout)
    if match == 'serial_number':
        return lab.request_v4(mac, member['model'], hostname=member['serial_number'], timeout=timeout)
    if match == 'client_identifier':
        return lab.request_v4(mac, member['model'], client_id=b'\x00' + member['serial_number'].encode(), timeout=timeout)
    return lab.request_v4(mac, member['model'], timeout=timeout)


def _in_pool(address, output):
    for subnet in output['subnets']:
        for pool in subnet.get('pools', []):
            first, _sep, last = pool.partition('-')
            if ipaddress.ip_address(first.strip()) <= ipaddress.ip_address(address) <= ipaddress.ip_address(last.strip()):
                return True
    return False


def _member_expectation(server, family, host, hostvars, index, want):
    """The address and option 12 this member gets, where one server's documented behaviour decides it."""
    address, options = want['address'], dict(want['options'])
    match = (hostvars.get('ztp_management') or {}).get('dhcp_match', 'mac')
    if server == 'kea' and family == 4 and match == 'serial_number':
        # Kea echoes the option 12 the device sent (lower-cased) instead of the inventory host name.
        options[12] = hostvars['ztp_members'][index]['serial_number'].lower()
    if server == 'kea' and address and index:
        # Kea leases an address to one client at a time: the first member holds the Virtual Chassis address.
        address = 'no answer' if family == 4 and match == 'serial_number' else 'pool'
    return address, options


@pytest.mark.parametrize('output', ['isc4', 'isc6', 'kea4', 'kea6'])
@pytest.mark.parametrize('site', sorted(SITES))
def test_every_host_of_the_site_gets_what_the_seed_requires(site, output, dhcp_lab, rendered_sites):
    files, outputs, hostvars = rendered_sites(site)
    family, server = int(output[-1]), output[:3]
    lab = dhcp_lab(SITES[site].ipv4, SITES[site].ipv6)
    lab.start(output, files[output])
    mismatches, asked = [], 0
    for host in sorted(hostvars):
        want = seed_expectation(host, hostvars[host], outputs[output])
        members = hostvars[host]['ztp_members']
        for index, member in enumerate(members):
            address, want_options = _member_expectation(server, family, host, hostvars[host], index, want)
            where = '%s ztp_members[%d] (%s, %s)' % (host, index, output, member['serial_number'])
            try:
                # 'no answer' is Kea's decision, not a matter of time: it answers on this link within milliseconds or
                # not at all. A busy machine can only delay an answer, never make one, so 1.5 s (the request and one
                # retransmission) cannot make this check fail; 10 s elsewhere only bounds a lost exchange.
                answer = _ask(lab, family, hostvars[host], member, timeout=1.5 if address == 'no answer' else 10.0)
            except TimeoutError:
                answer = None
            asked += 1
            if address == 'no answer':
                if answer is not None:
                    mismatches.append('%s: got %s, want no answer while member 0 holds the address' % (where, answer.address))
                continue
            if answer is None:
                mismatches.append('%s: no answer' % where)
                continue
            options, suboptions = _received(answer, family)
            if address in (None, 'pool'):
                if not _in_pool(answer.address, outputs[output]):
                    mismatches.append('%s: address %s is not a pool address' % (where, answer.address))
            elif answer.address != address:
                mismatches.append('%s: address %s, want %s' % (where, answer.address, address))
            if options != want_options:
                mismatches.append('%s: options %s, want %s' % (where, options, want_options))
            if suboptions != want['suboptions']:
                mismatches.append('%s: suboptions %s, want %s' % (where, suboptions, want['suboptions']))
            if hostvars[host].get('ztp_bootstrap_method', 'phone-home') == 'phone-home' and (
                    ZTP_SUBOPTIONS & set(suboptions) or {59, 66, 67, 150} & set(answer.options)):
                mismatches.append('%s: a phone-home member got an option that starts DHCP ZTP' % where)
            mismatches += ['%s: %s' % (where, problem) for problem in _limit_problems(answer, family, options, suboptions)]
            if index == 0 and address:
                again = _ask(lab, family, hostvars[host], member, timeout=10.0)
                if again.address != answer.address:
                    mismatches.append('%s: asked again, got %s, first %s' % (where, again.address, answer.address))
    assert asked >= len(hostvars)
    assert not mismatches, '\n'.join(mismatches) + '\n\nserver log:\n' + lab.server_log()[-3000:]


def test_the_client_command_line_prints_the_answer(dhcp_lab, rendered_sites):
    files, _outputs, _hostvars = rendered_sites('example')
    lab = dhcp_lab()
    lab.start('isc4', files['isc4'])
    completed = subprocess.run(['ip', 'netns', 'exec', lab.client_namespace, sys.executable, '-m', 'vcsim.dhcp_client', 'v4',
                                '--interface', lab.client_interface, '--mac', 'f4:cc:55:21:00:42', '--model', 'ex2300-24p'],
                               capture_output=True, text=True, timeout=60, check=True, cwd=REPO / 'tests')
    answer = DhcpAnswer.from_json(completed.stdout)
    assert answer.family == 4 and answer.address == '10.10.0.21' and answer.server == '10.10.0.1'
    assert answer.vendor_suboptions()[1] == b'/configs/ams1-sw1.conf'
    assert json.loads(completed.stdout)['options']['150'] == 'c000020a'

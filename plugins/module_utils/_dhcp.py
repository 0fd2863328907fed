# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DHCP records for Juniper ZTP and the phone-home client, for the whole fleet at once.

PRIVATE to the junos.ztp collection; not a public API.

``build_plan`` turns the normalized data model of every host into one ``Plan`` per output file:
the records (one per Virtual Chassis member), the model-wide classes, what each dhcp-ztp host is
told to fetch, and the warnings. Every rule of the ZTP document is checked here and every broken
one is reported at once, naming host and field; ``_dhcp_render`` turns a plan into server syntax.

What a host gets (docs/dhcp.md explains why):

- every host: its fixed address, host name (option 12), syslog (7) and NTP (42) servers, and the
  phone-home proxy (option 43 / 17 suboption 08);
- ``dhcp-ztp`` hosts, standalone only, in addition: image (suboption 00, or 04), image type (02,
  when the image is a symbolic link), configuration or script (01), transfer mode (03, DHCPv4) and the file server (150 or 66 for DHCPv4, option 59 for
  DHCPv6, with the HTTP port in suboption 05);
- ``phone-home`` hosts never get a ZTP option: when both processes start at factory default, ZTP
  wins as soon as its options are present, and ZTP does not support a Virtual Chassis.
"""

from __future__ import annotations

import copy
import functools
import posixpath
import re

from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    MAX_URL_LENGTH,
    PLAIN_IPV4,
    InventoryError,
    Problem,
    image_for_model,
    is_script,
    require_netaddr,
    validate_fleet,
    validate_host,
)

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # pragma: no cover - build_plan reports it (require_netaddr)
    HAS_NETADDR = False


class Output:
    """One kind of output file: which server reads it, for which IP family, how it is checked."""

    def __init__(self, name, family, server, service, check_command):
        self.name = name
        self.family = family
        self.server = server
        self.service = service
        self.check_command = check_command


OUTPUTS = {
    'isc4': Output('isc4', 4, 'isc', 'isc-dhcp-server', ('dhcpd', '-t', '-cf')),
    'isc6': Output('isc6', 6, 'isc', 'isc-dhcp-server', ('dhcpd', '-6', '-t', '-cf')),
    'kea4': Output('kea4', 4, 'kea', 'kea-dhcp4-server', ('kea-dhcp4', '-t')),
    'kea6': Output('kea6', 6, 'kea', 'kea-dhcp6-server', ('kea-dhcp6', '-t')),
}

# Option 43 (DHCPv4) and option 17 (DHCPv6, enterprise 2636) suboptions this collection sends.
IMAGE, CONFIG, IMAGE_TYPE, TRANSFER_MODE, ALT_IMAGE, PORT, PROXY = 0, 1, 2, 3, 4, 5, 8
SUBOPTION_NAMES = {
    IMAGE: 'image-file-name',
    CONFIG: 'config-file-name',
    IMAGE_TYPE: 'image-file-type',
    TRANSFER_MODE: 'transfer-mode',
    ALT_IMAGE: 'alt-image-file-name',
    PORT: 'port',
    PROXY: 'proxy-server',
}
SUBOPTIONS = {4: (IMAGE, CONFIG, IMAGE_TYPE, TRANSFER_MODE, ALT_IMAGE, PROXY), 6: (IMAGE, CONFIG, IMAGE_TYPE, PORT, PROXY)}
# Suboptions that make the device start ZTP: never for a phone-home host.
ZTP_SUBOPTIONS = (IMAGE, CONFIG, IMAGE_TYPE, TRANSFER_MODE, ALT_IMAGE, PORT)
SYMLINK = 'symlink'  # suboption 02's value for an image file name that is a symbolic link
JUNIPER_ENTERPRISE = 2636
VENDOR_CLASS_PREFIX = 'Juniper-'
MAX_SUBOPTION_OCTETS = 255
MAX_OPTION43_OCTETS = 255  # one DHCPv4 option; we do not rely on RFC 3396 splitting by the device
DEFAULT_PORTS = {'http': 80, 'https': 443}

# Table 1 of the ZTP document: the interpreters ZTP runs a script with, and our default file suffix.
SCRIPT_INTERPRETERS = {'/bin/sh': '.sh', '/usr/libexec/ui/cscript': '.slax', '/usr/bin/python': '.py'}
PYTHON_INTERPRETER = '/usr/bin/python'

# [guess] Junos OS Evolved sends the chassis serial number in option 61; the public documents do not
# show the octets. We assume RFC 2132 section 9.14: type 0 (not a hardware address), then the serial in ASCII.
CLIENT_ID_TYPE = b'\x00'

# Characters that need no quoting in ISC dhcpd text, in Kea option data (where ',' separates values)
# nor in an HTTP URL: anything else is refused with the field named, never escaped differently per server.
_SAFE_NAME = re.compile(r'^[A-Za-z0-9._~%+=@/:-]+$')
_SAFE_HOSTNAME = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$')
_SAFE_SERIAL = re.compile(r'^[A-Za-z0-9-]+$')
_SAFE_MODEL = re.compile(r'^[a-z0-9][a-z0-9.+-]*$')
_PROXY = re.compile(r'^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})$')
_COLON_MAC = re.compile(r'^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$')
_DUID = re.compile(r'^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){2,129}$')


class Subnet:
    """One subnet an output declares (``subnets`` option), parsed."""

    def __init__(self, network, pools, routers, interface, subnet_id):
        self.network = network
        self.pools = pools
        self.routers = routers
        self.interface = interface
        self.id = subnet_id

    def pool_containing(self, address):
        for first, last in self.pools:
            if first <= address <= last:
                return '%s - %s' % (first, last)
        return None


class Settings:
    """The options of one output file (the action's arguments other than hosts and dest)."""

    def __init__(self, output, subnets=(), interfaces=None, model_classes=(), file_server_options=(150,),
                 image_suboptions=('00',), v6_image_options=('59',)):
        self.output = OUTPUTS[output]
        self.raw_subnets = list(subnets or [])
        self.interfaces = interfaces
        self.model_classes = [model.lower() for model in model_classes or []]
        self.file_server_options = sorted(set(file_server_options), reverse=True)  # 150 first
        self.image_suboptions = sorted(int(code) for code in set(image_suboptions))
        self.v6_image_options = sorted(set(v6_image_options))
        self.subnets = []

    @property
    def owner(self):
        """The name problems with these settings are reported under."""
        return 'output %s' % self.output.name


class Record:
    """What one member (one DHCP client) is given, keyed by what identifies it."""

    def __init__(self, host, index, serial, key_kind, key_value, address, hostname, options, suboptions):
        self.host = host
        self.index = index
        self.serial = serial
        self.key_kind = key_kind  # 'hw-address', 'host-name' (option 12), 'client-id' (option 61) or 'duid'
        self.key_value = key_value
        self.address = address
        self.hostname = hostname
        self.options = options  # 'log-servers', 'ntp-servers', 'file-server' (150), 'tftp-server-name' (66), 'bootfile-url' (59)
        self.suboptions = suboptions  # code -> text, in code order

    def is_empty(self):
        return self.address is None and not (self.hostname or self.options or self.suboptions)


class ModelClass:
    """Options every client sending option 60 ``Juniper-<model>`` gets, in or out of the inventory."""

    def __init__(self, model, options, suboptions):
        self.model = model
        self.vendor_class = VENDOR_CLASS_PREFIX + model
        self.options = options
        self.suboptions = suboptions


class Plan:
    """Everything one output file says, ready to render."""

    def __init__(self, settings, records, model_classes, ztp_files, warnings):
        self.settings = settings
        self.output = settings.output
        self.records = records
        self.model_classes = model_classes
        self.ztp_files = ztp_files
        self.warnings = warnings

    def records_in(self, subnet):
        return [r for r in self.records if r.address is not None and r.address in subnet.network]

    def records_by_host(self):
        """The records grouped by inventory host, in order (a host's records are consecutive)."""
        groups = []
        for record in self.records:
            if not groups or groups[-1][0].host != record.host:
                groups.append([])
            groups[-1].append(record)
        return groups


class _Notes:
    """Warnings, one line per kind however many hosts share it (a 10,000-host fleet stays readable)."""

    SHOWN = 5

    def __init__(self):
        self._by_kind = {}

    def add(self, kind, text):
        self._by_kind.setdefault(kind, []).append(text)

    def lines(self):
        lines = []
        for texts in self._by_kind.values():
            lines.extend(texts[:self.SHOWN])
            if len(texts) > self.SHOWN:
                lines.append('... and %d more like the above' % (len(texts) - self.SHOWN))
        return lines


@functools.lru_cache(maxsize=None)
def _ip(text):
    """The address, or None; cached because a fleet repeats the same servers on every host."""
    if PLAIN_IPV4.fullmatch(text):  # parsed here, as netaddr would, at a fraction of its cost: every host has one
        return netaddr.IPAddress(int.from_bytes(bytes(int(octet) for octet in text.split('.')), 'big'), 4)
    try:
        return netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


def _mac(text, plus=0):
    """A MAC address (already validated by the data model) as lower-case colon-separated hex, plus an offset."""
    if not plus and _COLON_MAC.match(text):
        return text.lower()
    parts = re.split(r'[:.-]', text)
    width = {6: 2, 3: 4, 2: 6, 1: 12}[len(parts)]  # aa:bb:cc:dd:ee:ff, aabb.ccdd.eeff, aabbcc-ddeeff, aabbccddeeff
    digits = '%012x' % (int(''.join(part.zfill(width) for part in parts), 16) + plus)
    return ':'.join(digits[i:i + 2] for i in range(0, 12, 2))


def _text_problems(host, field, value, pattern=_SAFE_NAME, what='letters, digits and . _ ~ % + = @ / : -'):
    problems = []
    if not pattern.match(value):
        problems.append(Problem(host, field, 'contains characters DHCP text cannot carry safely (%r); use %s' % (value, what)))
    elif len(value.encode('ascii')) > MAX_SUBOPTION_OCTETS:
        problems.append(Problem(host, field, 'is %d octets; a DHCP option carries at most %d' % (len(value), MAX_SUBOPTION_OCTETS)))
    return problems


# Settings (the action's arguments) ------------------------------------------------------------


def _pool(text, network):
    first, sep, last = text.partition('-')
    if not sep:
        first = last = text
    first, last = _ip(first.strip()), _ip(last.strip())
    if first is None or last is None:
        return None, 'is not a range "first - last": %r' % text
    if first not in network or last not in network or first > last:
        return None, 'range %r is not inside subnet %s in ascending order' % (text, network)
    return (first, last), None


def settings_problems(settings):
    """Parse and check the output's own options; fills settings.subnets."""
    problems = []
    owner, output = settings.owner, settings.output
    for index, subnet in enumerate(settings.raw_subnets):
        path = 'subnets[%d]' % index
        try:
            network = netaddr.IPNetwork(subnet['subnet'])
        except (netaddr.AddrFormatError, ValueError, TypeError):
            problems.append(Problem(owner, path + '.subnet', 'is not a subnet in CIDR notation: %r' % subnet['subnet']))
            continue
        if network.version != output.family:
            problems.append(Problem(owner, path + '.subnet', '%s is not an IPv%d subnet (output %s)' % (network, output.family, output.name)))
            continue
        pools = []
        for pool_index, text in enumerate(subnet.get('pools') or []):
            pool, message = _pool(text, network)
            if message:
                problems.append(Problem(owner, '%s.pools[%d]' % (path, pool_index), message))
            else:
                pools.append(pool)
        routers = subnet.get('routers') or []
        if routers and output.family == 6:
            problems.append(Problem(owner, path + '.routers', 'DHCPv6 has no router option; routers come from router advertisements'))
        for router_index, router in enumerate(routers):
            if _ip(router) is None or _ip(router).version != 4:
                problems.append(Problem(owner, '%s.routers[%d]' % (path, router_index), 'is not an IPv4 address: %r' % router))
        settings.subnets.append(Subnet(network, pools, routers, subnet.get('interface'), subnet.get('id') or index + 1))
    if output.server == 'kea' and not settings.raw_subnets:
        problems.append(Problem(owner, 'subnets', 'is required for Kea: Kea answers only clients of a subnet it declares'))
    if output.server == 'isc' and settings.interfaces is not None:
        problems.append(Problem(owner, 'interfaces', 'applies to Kea only; ISC dhcpd takes its interfaces from its command line'))
    if output.family == 6 and settings.model_classes:
        problems.append(Problem(owner, 'model_classes', 'applies to DHCPv4 only: the model is matched in option 60'))
    for name, chosen in (('file_server_options', settings.file_server_options), ('image_suboptions', settings.image_suboptions),
                         ('v6_image_options', settings.v6_image_options)):
        if not chosen:
            problems.append(Problem(owner, name, 'needs at least one choice, or devices are not told where to fetch from'))
    for index, model in enumerate(settings.model_classes):
        if not _SAFE_MODEL.match(model):
            problems.append(Problem(owner, 'model_classes[%d]' % index, 'is not a Junos model name such as ex4300-48p: %r' % model))
    return problems


def settings_warnings(settings):
    """The ZTP document's precedence rules, when the chosen encodings send a value twice."""
    warnings = []
    if settings.output.family == 4 and len(settings.file_server_options) > 1:
        warnings.append('output %s: options 150 and 66 both carry the file server; Juniper devices use 150 and ignore 66' % settings.output.name)
    if settings.output.family == 4 and len(settings.image_suboptions) > 1:
        warnings.append('output %s: suboptions 00 and 04 both carry the image name; devices ignore 04 when 00 is set' % settings.output.name)
    if settings.output.family == 6 and len(settings.v6_image_options) > 1:
        warnings.append('output %s: option 59 and option 17 suboption 00 both carry the image name; devices use option 17' % settings.output.name)
    return warnings


# One host -------------------------------------------------------------------------------------


def _joined(directory, name):
    return posixpath.join('/' + (directory or '/').strip('/'), name)


def configuration_file(host, configuration):
    """(file name, kind, interpreter or None) of a host's configuration as DHCP ZTP hands it out.

    The kind follows the ZTP document: a first line of #! and an interpreter path makes a script, anything
    else is loaded as Junos text configuration. A template is named before it is rendered: a configuration
    unless ``file_name`` says otherwise (the device tells a script by its first line, not by its name).
    """
    content = configuration.get('content') or ''
    interpreter = None
    if is_script(content):
        interpreter = content.splitlines()[0][2:].strip().split(' ')[0]
        suffix = SCRIPT_INTERPRETERS.get(interpreter, '.script')
        kind = 'script'
    else:
        suffix, kind = '.conf', 'configuration'
    return configuration.get('file_name') or host + suffix, kind, interpreter


def configuration_path(host, model):
    """Where a dhcp-ztp host's configuration file is on its file server: what option 43 / 17 suboption 01 names."""
    return _joined(model['ztp_file_server']['config_path'], configuration_file(host, model['ztp_configuration'])[0])


class _ZtpValues:
    """What a dhcp-ztp host fetches, from where, resolved once per host."""

    def __init__(self, mode, server, port, image, image_field, config, config_field, config_kind):
        self.mode = mode
        self.server = server
        self.port = port
        self.image = image
        self.image_field = image_field
        self.config = config
        self.config_field = config_field
        self.config_kind = config_kind
        self.image_type = None  # SYMLINK when the image file is a symbolic link

    def url(self, name, with_port=True):
        server = '[%s]' % self.server if self.server.version == 6 else str(self.server)
        port = ':%d' % self.port if with_port and self.port else ''
        return '%s://%s%s%s' % (self.mode, server, port, name or '')

    def same_image_source(self, other):
        return (self.mode, self.server, self.port, self.image, self.image_type) == (other.mode, other.server, other.port, other.image, other.image_type)


def _ztp_values(host, model, problems, notes, shared):
    """Image, configuration and file server of a dhcp-ztp host, with the ZTP document's rules.

    What does not depend on the host (file server, image, kind of configuration) is worked out once for the hosts that
    share the same values (group variables) and model; only the configuration's file name is the host's own.
    """
    file_server, software, configuration = model['ztp_file_server'], model['ztp_software'], model['ztp_configuration']
    member_model = (model['ztp_members'] or [{}])[0].get('model')
    key = (id(file_server), id(software), id(configuration), member_model)  # the models outlive the plan: ids are not reused
    if key not in shared:
        shared_problems = []
        shared[key] = _shared_ztp_values(host, file_server, software, configuration, member_model, shared_problems), shared_problems
    template, shared_problems = shared[key]
    problems.extend(problem.for_host(host) for problem in shared_problems)
    if template is None:
        return None
    values = copy.copy(template)
    if configuration:
        values.config = configuration_path(host, model)
        if values.config_kind == 'script (#!%s)' % PYTHON_INTERPRETER:
            notes.add('python', '%s: ztp_configuration.content is a Python script; only Junos OS with Enhanced Automation and '
                      'Junos OS Evolved run unsigned Python scripts' % host)
        problems.extend(_name_problems(host, values, values.config_field, values.config))
    return values


def _shared_ztp_values(host, file_server, software, configuration, member_model, problems):
    if not software and not configuration:
        problems.append(Problem(host, 'ztp_bootstrap_method', 'dhcp-ztp needs ztp_software or ztp_configuration: '
                                'with neither image nor configuration file, ZTP restarts on every interface forever'))
    if not file_server:
        problems.append(Problem(host, 'ztp_file_server', 'is required with dhcp-ztp: the device reads the file server from option 150 or 66'))
        return None
    mode, port = file_server['transfer_mode'], file_server.get('port')
    if port is not None and mode not in DEFAULT_PORTS:
        problems.append(Problem(host, 'ztp_file_server.port', 'a port is used with http or https only; %s uses its standard port' % mode))
    if port is not None and not 0 < port < 65536:
        problems.append(Problem(host, 'ztp_file_server.port', 'must be 1 to 65535, got %d' % port))
    values = _ZtpValues(mode, _ip(file_server['address']), port if mode in DEFAULT_PORTS else None,
                        None, None, None, None, None)
    if software:
        image = image_for_model(software, member_model) if member_model else None
        if not member_model:
            problems.append(Problem(host, 'ztp_members[0].model', 'is required with dhcp-ztp and ztp_software: it chooses the image in ztp_software.images'))
        elif image is not None:
            values.image_field = 'ztp_software.images[%d].file' % software['images'].index(image)
            values.image = _joined(file_server['image_path'], image['file'])
            values.image_type = SYMLINK if image.get('symlink') else None
    if configuration:
        kind, interpreter = configuration_file(host, configuration)[1:]
        values.config_field = 'ztp_configuration.file_name'
        values.config_kind = kind if interpreter is None else 'script (#!%s)' % interpreter
        if interpreter is not None and interpreter not in SCRIPT_INTERPRETERS:
            problems.append(Problem(host, 'ztp_configuration.content', 'is a script for %s; ZTP runs scripts with %s only (ZTP document, Table 1)'
                                    % (interpreter, ', '.join(SCRIPT_INTERPRETERS))))
    if values.image is not None:
        problems.extend(_name_problems(host, values, values.image_field, values.image))
    return values


def _name_problems(host, values, field, name):
    """A file name DHCP ZTP hands out must be safe DHCP text and make a URL the device accepts."""
    problems = _text_problems(host, field, name)
    if values.mode in DEFAULT_PORTS:
        url = values.url(name)
        if len(url) > MAX_URL_LENGTH:
            problems.append(Problem(host, field, 'makes the URL %s, %d characters; devices accept HTTP URLs of at most %d'
                                    % (url, len(url), MAX_URL_LENGTH)))
    return problems


def _ztp_options(values, settings):
    """(options, suboptions) that carry a dhcp-ztp host's values in this output's IP family."""
    options, suboptions = {}, {}
    if settings.output.family == 4:
        image = values.image and (values.image + (':%d' % values.port if values.port else ''))  # "append :port" (ZTP document)
        config = values.config and (values.config + (':%d' % values.port if values.port else ''))
        if 150 in settings.file_server_options:
            options['file-server'] = [str(values.server)]
        if 66 in settings.file_server_options:
            options['tftp-server-name'] = str(values.server)
        if image:
            for code in settings.image_suboptions:
                suboptions[code] = image
        if config:
            suboptions[CONFIG] = config
        suboptions[TRANSFER_MODE] = values.mode
    else:
        in_option59 = '59' in settings.v6_image_options
        options['bootfile-url'] = values.url(values.image if in_option59 else None, with_port=False)
        if values.image and '17' in settings.v6_image_options:
            suboptions[IMAGE] = values.image
        if values.config:
            suboptions[CONFIG] = values.config
        if values.port:
            suboptions[PORT] = str(values.port)  # option 17 wins over a port in option 59, so it is only sent here
    if values.image and values.image_type:
        suboptions[IMAGE_TYPE] = values.image_type
    return options, suboptions


def option43_octets(suboptions):
    """Encoded length of option 43 as ISC dhcpd and Kea build it: code, length and value per suboption."""
    return sum(2 + len(value.encode('ascii')) for value in suboptions.values())


def _common_options(host, model, family):
    """(options, suboptions, problems): what every host gets: syslog and NTP servers (DHCPv4) and the phone-home proxy."""
    options, suboptions, problems = {}, {}, []
    dhcp_options = model['ztp_dhcp_options'] or {}
    if family == 4:
        for name, key in (('log-servers', 'syslog_servers'), ('ntp-servers', 'ntp_servers')):
            addresses = [a for a in dhcp_options.get(key) or [] if _ip(a) is not None and _ip(a).version == 4]
            if addresses:
                options[name] = addresses
    proxy = dhcp_options.get('proxy')
    if proxy:
        match = _PROXY.match(proxy)
        if not match or not 0 < int(match.group('port')) < 65536:
            problems.append(Problem(host, 'ztp_dhcp_options.proxy', 'must be address:port (IPv6 address in brackets), got %r' % proxy))
        else:
            suboptions[PROXY] = proxy
    return options, suboptions, problems


def _member_key(host, index, member, match, family, problems):
    """(kind, value) a DHCP server recognises this member by, or None after reporting why it cannot."""
    path = 'ztp_members[%d]' % index
    mac = member.get('mac_address')
    if family == 6:
        if member.get('duid'):
            if not _DUID.match(member['duid']):
                problems.append(Problem(host, path + '.duid', 'is not a DUID in colon-separated hex: %r' % member['duid']))
                return None
            return 'duid', member['duid'].lower()
        if mac:
            # "add 1 to the last byte of the MAC address of the device" for static DHCPv6 mappings (ZTP document)
            return 'hw-address', _mac(mac, plus=1)
        problems.append(Problem(host, path + '.duid', 'a DHCPv6 record needs duid or mac_address (the record then uses the MAC + 1)'))
        return None
    if match == 'mac':
        if not mac:
            problems.append(Problem(host, path + '.mac_address', 'is required: ztp_management.dhcp_match is mac'))
            return None
        return 'hw-address', _mac(mac)
    if match == 'serial_number':
        return 'host-name', member['serial_number']
    return 'client-id', ':'.join('%02x' % octet for octet in CLIENT_ID_TYPE + member['serial_number'].encode('ascii'))


def _address(host, model, family, problems):
    field = 'ztp_management.ipv%d_address' % family
    text = (model['ztp_management'] or {}).get('ipv%d_address' % family)
    if not text:
        return None
    address = _ip(text)
    if address.version != family:
        problems.append(Problem(host, field, 'is not an IPv%d address: %r' % (family, text)))
        return None
    return address


def _host_records(host, model, settings, problems, notes, ztp_values, shared):
    """The records of one host: one per member, all sharing the host's address and options."""
    family = settings.output.family
    members = model['ztp_members'] or []
    if not members:
        problems.append(Problem(host, 'ztp_members', 'is empty: a DHCP record is keyed on a member (MAC address, serial number or DUID)'))
        return []
    management = model['ztp_management'] or {}
    address = _address(host, model, family, problems)
    hostname = management.get('hostname') if family == 4 else None
    if hostname:
        problems.extend(_text_problems(host, 'ztp_management.hostname', hostname, _SAFE_HOSTNAME, 'a DNS host name'))
    dhcp_options = model['ztp_dhcp_options']
    if (id(dhcp_options), family) not in shared:  # the same for every host of a group
        shared[(id(dhcp_options), family)] = _common_options(host, model, family)
    options, suboptions, common_problems = shared[(id(dhcp_options), family)]
    options, suboptions = dict(options), dict(suboptions)
    problems.extend(problem.for_host(host) for problem in common_problems)
    if model['ztp_bootstrap_method'] == 'dhcp-ztp':
        values = _ztp_values(host, model, problems, notes, shared)
        if values is not None and values.server.version != family:
            notes.add('family', '%s: ztp_file_server.address %s is IPv%d, so its DHCPv%d record (output %s) carries no ZTP options'
                      % (host, values.server, values.server.version, family, settings.output.name))
        elif values is not None:
            ztp_options, ztp_suboptions = _ztp_options(values, settings)
            options.update(ztp_options)
            suboptions.update(ztp_suboptions)
            ztp_values[host] = values
    suboptions = dict(sorted(suboptions.items()))
    if family == 4 and option43_octets(suboptions) > MAX_OPTION43_OCTETS:
        parts = ', '.join('%02d: %d octets' % (code, len(value)) for code, value in suboptions.items())
        problems.append(Problem(host, 'option 43', 'would be %d octets (%s); one option carries at most %d: shorten '
                                'ztp_file_server.image_path, ztp_file_server.config_path, ztp_configuration.file_name or ztp_dhcp_options.proxy'
                                % (option43_octets(suboptions), parts, MAX_OPTION43_OCTETS)))
    match = management.get('dhcp_match') or 'mac'
    records = []
    for index, member in enumerate(members):
        problems.extend(_text_problems(host, 'ztp_members[%d].serial_number' % index, member['serial_number'], _SAFE_SERIAL,
                                       'letters, digits and -'))
        key = _member_key(host, index, member, match, family, problems)
        if key is not None:
            records.append(Record(host, index, member['serial_number'], key[0], key[1], address, hostname, options, suboptions))
    return records


# The fleet ------------------------------------------------------------------------------------


def _fleet_record_problems(records, settings):
    """Keys and addresses that two hosts would share, and addresses outside the output's subnets."""
    problems, keys, addresses = [], {}, {}
    for record in records:
        owner = keys.setdefault((record.key_kind, record.key_value), record)
        if owner is not record:
            problems.append(Problem(record.host, 'ztp_members[%d]' % record.index, 'its DHCPv%d key %s %s is also the key of %s ztp_members[%d]'
                                    % (settings.output.family, record.key_kind, record.key_value, owner.host, owner.index)))
    field = 'ztp_management.ipv%d_address' % settings.output.family
    for record in records:
        if record.address is None or record.index:
            continue  # the members of a Virtual Chassis share its address on purpose
        owner = addresses.setdefault(record.address, record.host)
        if owner != record.host:
            problems.append(Problem(record.host, field, '%s is also the address of host %s' % (record.address, owner)))
        subnet = next((s for s in settings.subnets if record.address in s.network), None)
        if settings.subnets and subnet is None:
            problems.append(Problem(record.host, field, '%s is in none of the subnets of output %s (%s)'
                                    % (record.address, settings.output.name, ', '.join(str(s.network) for s in settings.subnets))))
        elif subnet and settings.output.server == 'kea' and record.key_kind == 'host-name' and subnet.pool_containing(record.address):
            problems.append(Problem(record.host, field, '%s is inside pool %s: a host keyed by serial number gets its address from a '
                                    'one-address Kea pool, and Kea pools must not overlap' % (record.address, subnet.pool_containing(record.address))))
    return problems


def _model_classes(models, settings, ztp_values, problems):
    """The model-wide classes asked for, refused where they would reach a phone-home member."""
    classes = []
    for index, model_name in enumerate(settings.model_classes):
        field = 'model_classes[%d]' % index
        refused = False
        for host in sorted(models):
            if models[host]['ztp_bootstrap_method'] != 'phone-home':
                continue
            for member_index, member in enumerate(models[host]['ztp_members'] or []):
                if (member.get('model') or '').lower() == model_name:
                    refused = True
                    problems.append(Problem(host, 'ztp_members[%d].model' % member_index,
                                            '%s is under phone-home, but output %s asks for a model-wide class (%s) that gives every '
                                            'Juniper-%s ZTP image options: ZTP would take over from phone-home, and ZTP does not support '
                                            'a Virtual Chassis (Virtual Chassis phone-home document, troubleshooting)'
                                            % (model_name, settings.output.name, field, model_name)))
        sources = {host: values for host, values in ztp_values.items()
                   if values.image and (models[host]['ztp_members'][0].get('model') or '').lower() == model_name}
        if refused:
            continue
        if not sources:
            problems.append(Problem(settings.owner, field, 'no dhcp-ztp host with an image has a member of model %s '
                                    'to take the class options from' % model_name))
            continue
        first_host = sorted(sources)[0]
        differing = sorted(host for host, values in sources.items() if not values.same_image_source(sources[first_host]))
        if differing:
            problems.append(Problem(settings.owner, field, 'dhcp-ztp hosts of model %s disagree on image or file server (%s and %s); '
                                    'a class gives all of them one' % (model_name, first_host, ', '.join(differing))))
            continue
        options, suboptions = _ztp_options(sources[first_host], settings)
        suboptions.pop(CONFIG, None)  # configurations are per device
        classes.append(ModelClass(model_name, options, dict(sorted(suboptions.items()))))
    return classes


def _valid_models(hosts_vars, warnings):
    """Normalized models of the hosts without data-model problems, and the problems of the others."""
    try:
        return validate_fleet(hosts_vars, warnings=warnings), []
    except InventoryError as exc:
        broken = {problem.host for problem in exc.problems}
        return {host: validate_host(host, hosts_vars[host])[0] for host in hosts_vars if host not in broken}, exc.problems


def build_plan(hosts_vars, settings, warnings=None):
    """Validate the fleet and the output's settings, then decide every record; raise InventoryError listing every problem.

    ``warnings`` is validate_fleet's. The files hosts name on the controller are not checked: DHCP records do not read them.
    """
    require_netaddr()
    models, problems = _valid_models(hosts_vars, warnings)
    problems = list(problems) + settings_problems(settings)
    notes, records, ztp_values, shared = _Notes(), [], {}, {}
    for host in sorted(models):
        records.extend(_host_records(host, models[host], settings, problems, notes, ztp_values, shared))
    records = [record for record in records if not record.is_empty()]
    problems.extend(_fleet_record_problems(records, settings))
    classes = _model_classes(models, settings, ztp_values, problems)
    if problems:
        raise InventoryError(problems)
    if settings.output.server == 'kea':
        for host in sorted({r.host for r in records if r.key_kind == 'host-name' and r.hostname}):
            notes.add('kea-hostname', '%s: Kea echoes the serial number the device sends in option 12, so ztp_management.hostname '
                      'is not sent to a host keyed by serial number (output %s)' % (host, settings.output.name))
    ztp_files = {host: {'image': values.image, 'configuration': values.config, 'configuration_kind': values.config_kind,
                        'transfer_mode': values.mode, 'file_server': str(values.server)} for host, values in ztp_values.items()}
    return Plan(settings, records, classes, ztp_files, settings_warnings(settings) + notes.lines())

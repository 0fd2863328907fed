# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ISC dhcpd and Kea syntax for a DHCP plan (``_dhcp.build_plan``). PRIVATE to junos.ztp.

Plain string building for ISC and ``json.dumps`` for Kea: the whole fleet renders in one pass.
The servers encode option 43 / 17 themselves from the definitions written here; ``_dhcp``
computes the encoded sizes the same way to enforce the limits before anything is rendered.

Scoping, so that other vendors' option 43 keeps working:

- ISC: the ``junos-ztp`` option space is made option 43's encoding only for clients in the class
  ``junos-ztp-juniper`` (option 60 starts with ``Juniper-``); values are set per host or model class.
- Kea: option 43 is encapsulated where it is set, per reservation or class, so the Juniper
  suboptions appear only in Juniper devices' reservations and in ``Juniper-<model>`` classes.
- DHCPv6: option 17 is per enterprise number; the suboptions live under 2636 (Juniper). Kea writes it
  as the option's raw octets (enterprise number, then each suboption): Kea 2.2 sends a configured
  ``vendor-opts`` option without the suboptions set in its ``vendor-2636`` space (they reach only
  clients that send their own option 17 with a vendor ORO, which Juniper devices do not).
- Kea DHCPv4 hosts keyed by serial number (option 12) have no reservation: Kea has no such
  identifier. They get a class and a one-address pool, and the subnet's other pools are closed to
  them, or Kea could lease them any free pool address instead of theirs.
"""

from __future__ import annotations

import json
import struct

from ansible_collections.junos.ztp.plugins.module_utils._dhcp import JUNIPER_ENTERPRISE, SUBOPTION_NAMES, SUBOPTIONS, VENDOR_CLASS_PREFIX

GENERATOR = 'junos.ztp.dhcp_config'
ISC_SPACE = {4: 'junos-ztp', 6: 'junos-ztp6'}
KEA_SPACE = {4: 'vendor-encapsulated-options-space', 6: 'vendor-%d' % JUNIPER_ENTERPRISE}
FILE_SERVER_OPTION = 'junos-ztp-file-server'  # option 150 has no standard name in either server
JUNIPER_CLASS = 'junos-ztp-juniper'
KEA_DYNAMIC_CLASS = 'junos-ztp-dynamic'  # every client but the hosts keyed by serial number that have an address


def render(plan):
    """The text of the output file."""
    if plan.output.server == 'isc':
        return _render_isc(plan)
    return _render_kea(plan)


# ISC dhcpd -------------------------------------------------------------------------------------


def _isc_quote(text):
    return '"%s"' % text  # _dhcp admits only characters that need no escaping


def _isc_option_lines(options, suboptions, family):
    lines = []
    for name, value in options.items():
        if name == 'file-server':
            lines.append('option %s %s;' % (FILE_SERVER_OPTION, ', '.join(value)))
        elif name == 'bootfile-url':
            lines.append('option dhcp6.bootfile-url %s;' % _isc_quote(value))
        elif name == 'tftp-server-name':
            lines.append('option tftp-server-name %s;' % _isc_quote(value))
        else:
            lines.append('option %s %s;' % (name, ', '.join(value)))
    for code, value in suboptions.items():
        lines.append('option %s.%s %s;' % (ISC_SPACE[family], SUBOPTION_NAMES[code], _isc_quote(value)))
    return lines


def _isc_block(header, lines):
    return ['%s {' % header] + ['  ' + line for line in lines] + ['}']


def _isc_definitions(family):
    space = ISC_SPACE[family]
    width = 1 if family == 4 else 2
    lines = ['option space %s code width %d length width %d;' % (space, width, width)]
    lines += ['option %s.%s code %d = text;' % (space, SUBOPTION_NAMES[code], code) for code in SUBOPTIONS[family]]
    if family == 4:
        lines.append('option %s code 150 = array of ip-address;' % FILE_SERVER_OPTION)
        lines.append('')
        lines.append('# Juniper devices (option 60 "%s<model>") read option 43 as the %s space; other vendors keep theirs.' % (VENDOR_CLASS_PREFIX, space))
        lines += _isc_block('class "%s"' % JUNIPER_CLASS, [
            'match if substring(option vendor-class-identifier, 0, %d) = %s;' % (len(VENDOR_CLASS_PREFIX), _isc_quote(VENDOR_CLASS_PREFIX)),
            'vendor-option-space %s;' % space,
        ])
    else:
        lines.append('option vsio.%s code %d = encapsulate %s;' % (space, JUNIPER_ENTERPRISE, space))
    return lines


def _isc_subnet(subnet, family):
    if family == 4:
        header = 'subnet %s netmask %s' % (subnet.network.network, subnet.network.netmask)
        lines = ['range %s %s;' % pool for pool in subnet.pools]
        if subnet.routers:
            lines.append('option routers %s;' % ', '.join(subnet.routers))
    else:
        header = 'subnet6 %s' % subnet.network.cidr
        lines = ['range6 %s %s;' % pool for pool in subnet.pools]
    return _isc_block(header, lines)


def _isc_host(record, family):
    if record.key_kind == 'hw-address':
        statements = ['hardware ethernet %s;' % record.key_value]
    elif record.key_kind == 'host-name':
        statements = ['host-identifier option host-name %s;' % _isc_quote(record.key_value)]
    elif record.key_kind == 'client-id':
        statements = ['option dhcp-client-identifier %s;' % record.key_value]
    else:
        statements = ['host-identifier option dhcp6.client-id %s;' % record.key_value]
    if record.address is not None:
        statements.append('%s %s;' % ('fixed-address' if family == 4 else 'fixed-address6', record.address))
    # ISC host names are bare words; the fleet-unique serial number makes one.
    return 'host ztp-%s { %s }' % (record.serial, ' '.join(statements))


def _isc_group(records, family):
    """One group per inventory host: the options once, then one line per member."""
    first = records[0]
    lines = ['option host-name %s;' % _isc_quote(first.hostname)] if first.hostname else []
    lines += _isc_option_lines(first.options, first.suboptions, family)
    lines += [_isc_host(record, family) for record in records]
    return ['', '# %s' % first.host] + _isc_block('group', lines)


def _render_isc(plan):
    family = plan.output.family
    lines = [
        '# Rendered by %s (output %s) from the Ansible inventory: do not edit, the next run replaces this file.' % (GENERATOR, plan.output.name),
        '# Include it from %s, or use it as the whole file when it declares the subnets.' % ('dhcpd.conf' if family == 4 else 'dhcpd6.conf'),
        '',
    ]
    lines += _isc_definitions(family)
    for model_class in plan.model_classes:
        lines.append('')
        lines.append('# Every %s, in the inventory or not, gets the image of the dhcp-ztp hosts of that model.' % model_class.vendor_class)
        lines += _isc_block('class "junos-ztp-model-%s"' % model_class.model, [
            'match if substring(option vendor-class-identifier, 0, %d) = %s;' % (len(model_class.vendor_class), _isc_quote(model_class.vendor_class)),
        ] + _isc_option_lines(model_class.options, model_class.suboptions, family))
    for subnet in plan.settings.subnets:
        lines.append('')
        lines += _isc_subnet(subnet, family)
    for records in plan.records_by_host():
        lines += _isc_group(records, family)
    return '\n'.join(lines) + '\n'


# Kea -------------------------------------------------------------------------------------------


def _kea_vendor_opts(suboptions):
    """Option 17 for Kea DHCPv6, as raw octets: enterprise 2636, then code, length and value of each suboption."""
    octets = struct.pack('!I', JUNIPER_ENTERPRISE)
    for code, value in suboptions.items():
        octets += struct.pack('!HH', code, len(value.encode('ascii'))) + value.encode('ascii')
    return {'name': 'vendor-opts', 'csv-format': False, 'data': octets.hex().upper(),
            'user-context': {'enterprise': JUNIPER_ENTERPRISE, 'suboptions': {SUBOPTION_NAMES[code]: value for code, value in suboptions.items()}}}


def _kea_option_data(options, suboptions, family):
    data = []
    for name, value in options.items():
        data.append({'name': FILE_SERVER_OPTION if name == 'file-server' else name, 'data': value if isinstance(value, str) else ', '.join(value)})
    if suboptions and family == 6:
        data.append(_kea_vendor_opts(suboptions))
    elif suboptions:
        # The encapsulating option is set in the same scope as its suboptions: Kea encapsulates per scope.
        data.append({'name': 'vendor-encapsulated-options'})
        data += [{'name': SUBOPTION_NAMES[code], 'space': KEA_SPACE[family], 'data': value} for code, value in suboptions.items()]
    return data


def _host_class_name(host):
    return 'junos-ztp-host-%s' % host


def _kea_reservation(record, family, option_data_memo):
    """One reservation; the members of a host share its options objects, so their option data is built once (the memo)."""
    reservation = {record.key_kind: record.key_value}
    if record.address is not None:
        if family == 4:
            reservation['ip-address'] = str(record.address)
        else:
            reservation['ip-addresses'] = [str(record.address)]
    if record.hostname:
        reservation['hostname'] = record.hostname
    key = (id(record.options), id(record.suboptions))  # the records outlive the memo: ids are not reused
    if key not in option_data_memo:
        option_data_memo[key] = _kea_option_data(record.options, record.suboptions, family)
    if option_data_memo[key]:
        reservation['option-data'] = option_data_memo[key]
    return reservation


def _kea_host_classes(records):
    """Kea has no reservation by option 12: hosts keyed by serial number get a class of their own.

    When some of them have an address, a last class admits every other client to the general pools.
    """
    first, serials = {}, {}
    for record in records:
        if record.key_kind == 'host-name':
            first.setdefault(record.host, record)
            serials.setdefault(record.host, []).append(record.key_value)
    classes = []
    for host, record in first.items():
        entry = {'name': _host_class_name(host), 'test': ' or '.join("option[12].text == '%s'" % serial for serial in serials[host])}
        option_data = _kea_option_data(record.options, record.suboptions, 4)
        if option_data:
            entry['option-data'] = option_data
        classes.append(entry)
    placed = [host for host, record in first.items() if record.address is not None]
    if placed:
        classes.append({'name': KEA_DYNAMIC_CLASS, 'test': ' and '.join("not member('%s')" % _host_class_name(host) for host in placed)})
    return classes


def _kea_subnet(plan, subnet, option_data_memo):
    family = plan.output.family
    entry = {'id': subnet.id, 'subnet': str(subnet.network.cidr)}
    if subnet.interface:
        entry['interface'] = subnet.interface
    pools = [{'pool': '%s - %s' % pool} for pool in subnet.pools]
    reservations, class_pools = [], []
    for record in plan.records_in(subnet):
        if record.key_kind != 'host-name':
            reservations.append(_kea_reservation(record, family, option_data_memo))
        elif not any(pool['client-class'] == _host_class_name(record.host) for pool in class_pools):
            class_pools.append({'pool': '%s - %s' % (record.address, record.address), 'client-class': _host_class_name(record.host)})
    if any(r.key_kind == 'host-name' and r.address is not None for r in plan.records):
        for pool in pools:
            pool['client-class'] = KEA_DYNAMIC_CLASS
    pools += class_pools
    if pools:
        entry['pools'] = pools
    if subnet.routers:
        entry['option-data'] = [{'name': 'routers', 'data': ', '.join(subnet.routers)}]
    if reservations:
        entry['reservations'] = reservations
    return entry


def _render_kea(plan):
    family = plan.output.family
    space = KEA_SPACE[family]
    config = {
        'user-context': {'generated-by': GENERATOR, 'output': plan.output.name,
                         'note': 'Rendered from the Ansible inventory: do not edit, the next run replaces this file.'},
        'interfaces-config': {'interfaces': plan.settings.interfaces or ['*']},
        'lease-database': {'type': 'memfile', 'lfc-interval': 3600},
        # Every member of a Virtual Chassis is reserved the chassis' one address; _dhcp refuses any other sharing.
        'ip-reservations-unique': False,
        'option-def': [{'name': SUBOPTION_NAMES[code], 'code': code, 'space': space, 'type': 'string'} for code in SUBOPTIONS[family]],
    }
    if family == 4:
        config['option-def'].append({'name': FILE_SERVER_OPTION, 'code': 150, 'type': 'ipv4-address', 'array': True})
    classes = [{'name': 'junos-ztp-model-%s' % model_class.model,
                'test': "substring(option[60].text,0,%d) == '%s'" % (len(model_class.vendor_class), model_class.vendor_class),
                'option-data': _kea_option_data(model_class.options, model_class.suboptions, family)} for model_class in plan.model_classes]
    classes += _kea_host_classes(plan.records)
    if classes:
        config['client-classes'] = classes
    option_data_memo = {}
    unplaced = [_kea_reservation(r, family, option_data_memo) for r in plan.records if r.address is None and r.key_kind != 'host-name']
    if unplaced:
        # Records without a fixed address are not tied to a subnet: global reservations, looked up first.
        config['reservations-global'] = True
        config['reservations-in-subnet'] = True
        config['reservations'] = unplaced
    config['subnet%d' % family] = [_kea_subnet(plan, subnet, option_data_memo) for subnet in plan.settings.subnets]
    return _kea_json({'Dhcp%d' % family: config}) + '\n'


# Lists whose items are written one per line: a 10,000-host file stays readable and diffs by record.
_ONE_LINE_ITEMS = ('option-def', 'client-classes', 'reservations', 'pools', 'option-data')


def _kea_json(value, indent='', key=None):
    inner = indent + '  '
    if isinstance(value, dict) and value:
        items = ['%s%s: %s' % (inner, json.dumps(k), _kea_json(v, inner, k)) for k, v in value.items()]
        return '{\n%s\n%s}' % (',\n'.join(items), indent)
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        items = [inner + (json.dumps(item) if key in _ONE_LINE_ITEMS else _kea_json(item, inner)) for item in value]
        return '[\n%s\n%s]' % (',\n'.join(items), indent)
    return json.dumps(value)

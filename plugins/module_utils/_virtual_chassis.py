# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a Virtual Chassis over NETCONF into plain dicts, and derive its VCP topology. PRIVATE to junos.ztp.

``read_virtual_chassis(device)`` is the one Virtual Chassis reader of the collection: it sends exactly
three RPCs (``show virtual-chassis``, ``show virtual-chassis vc-port``, ``show version all-members``)
and returns the structure documented as ``ansible_facts.junos_ztp_vc`` by junos.ztp.vc_facts.

The parsers take the element PyEZ returns (the first child of ``<rpc-reply>``, namespaces removed) or
the ``<rpc-reply>`` itself, and work on lxml and ElementTree elements alike.
"""

from __future__ import annotations

import re

from ansible_collections.junos.ztp.plugins.module_utils._connection import call_rpc, close_quietly, open_device

# Junos's role text -> our role name; the raw text is kept as ``junos_role``.
ROLES = {'master': 'primary', 'backup': 'backup', 'linecard': 'linecard'}
MEMBER_STATUS = {'prsnt': 'present', 'notprsnt': 'not-present'}
# [guess] The CLI's "Type" column of `show virtual-chassis vc-port` (Dedicated / Default / Configured);
# the XML element (<port-type>) and its texts are not documented publicly. This table is the one place
# that maps them; a text not in it is reported as type None with the raw text in ``junos_type``.
PORT_TYPES = {
    'dedicated': 'dedicated',
    'default': 'default',
    'default-configured': 'default',
    'factory-default': 'default',
    'configured': 'configured',
    'user-configured': 'configured',
}


def _text(element, path):
    """Stripped text of the first match of ``path`` under ``element``, or None."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _member_id_of(re_name):
    """``fpc2`` / ``member2`` (the re-name of a multi-routing-engine item) -> 2."""
    match = re.search(r'(\d+)$', re_name or '')
    return int(match.group(1)) if match else None


def _find_self_or_descendant(element, tag):
    if element.tag == tag:
        return element
    return element.find('.//' + tag)


def _per_member(element, tag, local_member):
    """(member id, <tag> element) pairs of a reply that is either per member (multi-routing-engine) or plain."""
    items = list(element.iter('multi-routing-engine-item'))
    if not items:
        found = _find_self_or_descendant(element, tag)
        return [(local_member, found)] if found is not None else []
    pairs = []
    for item in items:
        found = item.find('.//' + tag)
        if found is not None:
            pairs.append((_member_id_of(_text(item, 're-name')), found))
    return pairs


def parse_vc_information(element):
    """Parse a get-virtual-chassis-information reply.

    Returns ``{'id', 'mode', 'preprovisioned', 'logged_into_member', 'members': [...]}``; members are
    sorted by member ID and carry their neighbour list as ``neighbors`` (the local port of each).
    """
    info = _find_self_or_descendant(element, 'virtual-chassis-information')
    if info is None:
        raise ValueError('the reply has no <virtual-chassis-information>')
    preprovisioned = info.find('preprovisioned-virtual-chassis-information')
    id_information = preprovisioned if preprovisioned is not None else info.find('virtual-chassis-id-information')
    mode = _text(id_information, 'virtual-chassis-mode') if id_information is not None else None
    members = []
    logged_into = None
    for member in info.iter('member'):
        raw_role = _text(member, 'member-role')
        here = bool(raw_role and raw_role.endswith('*'))
        junos_role = raw_role.rstrip('*') if raw_role else None
        member_id = _int(_text(member, 'member-id'))
        if here:
            logged_into = member_id
        raw_status = _text(member, 'member-status') or ''
        mixed = _text(member, 'member-mixed-mode')
        members.append({
            'member_id': member_id,
            'serial_number': _text(member, 'member-serial-number'),
            'model': _text(member, 'member-model'),
            'status': MEMBER_STATUS.get(raw_status.lower(), raw_status.lower() or None),
            'role': ROLES.get((junos_role or '').lower()),
            'junos_role': junos_role,
            'mastership_priority': _int(_text(member, 'member-priority') or _text(member, 'mastership-priority')),
            'mixed_mode': {'Y': True, 'N': False}.get(mixed),
            'route_mode': _text(member, 'member-route-mode'),
            'neighbors': [{'member_id': _int(_text(neighbor, 'neighbor-id')), 'port': _text(neighbor, 'neighbor-interface')}
                          for neighbor in member.iter('neighbor')],
        })
    members.sort(key=lambda m: (m['member_id'] is None, m['member_id']))
    return {
        'id': _text(id_information, 'virtual-chassis-id') if id_information is not None else None,
        'mode': mode.lower() if mode else None,
        'preprovisioned': preprovisioned is not None,
        'logged_into_member': logged_into,
        'members': members,
    }


def parse_vc_ports(element, local_member=None):
    """Parse a get-virtual-chassis-port-information reply into a list of ports sorted by member and name.

    A reply without per-member items (a standalone switch) is attributed to ``local_member``.
    """
    ports = []
    for member_id, information in _per_member(element, 'virtual-chassis-port-information', local_member):
        for port in information.iter('port-information'):
            status = _text(port, 'port-status')
            speed = _text(port, 'port-speed')
            raw_type = _text(port, 'port-type')
            ports.append({
                'member_id': member_id,
                'port': _text(port, 'port-name'),
                'status': status.lower() if status else None,
                'speed': _int(speed) if _int(speed) is not None else speed,
                'type': PORT_TYPES.get((raw_type or '').lower()),
                'junos_type': raw_type,
                'neighbor_member_id': _int(_text(port, 'neighbor-id')),
                'neighbor_port': _text(port, 'neighbor-interface'),
            })
    ports.sort(key=lambda p: (p['member_id'] is None, p['member_id'], p['port'] or ''))
    return ports


def parse_versions(element, local_member=None):
    """Parse a ``show version all-members`` reply into ``{member id: {'version', 'hostname', 'model'}}``."""
    versions = {}
    for member_id, software in _per_member(element, 'software-information', local_member):
        version = _text(software, 'junos-version')
        if version is None:
            # Releases before 15.1 carry the version only in the base package comment: "... [13.2X51-D35.3]".
            for comment in software.iter('comment'):
                match = re.search(r'\[([^\]]+)\]', comment.text or '')
                if match:
                    version = match.group(1)
                    break
        versions[member_id] = {'version': version, 'hostname': _text(software, 'host-name'),
                               'model': _text(software, 'product-model')}
    return versions


def _link_key(member_id, port, neighbor_member_id, neighbor_port):
    return frozenset([(member_id, port), (neighbor_member_id, neighbor_port)])


def _up_links(members, ports):
    """Every up VCP link once: from the port reply, completed by the neighbour lists of members it does not cover."""
    links, seen = [], set()
    covered = {p['member_id'] for p in ports}
    half_links = [(p['member_id'], p['port'], p['neighbor_member_id'], p['neighbor_port'], p['speed'])
                  for p in ports if p['status'] == 'up' and p['neighbor_member_id'] is not None]
    for member in members:
        if member['member_id'] not in covered:
            half_links += [(member['member_id'], n['port'], n['member_id'], None, None)
                           for n in member['neighbors'] if n['member_id'] is not None]
    for member_id, port, neighbor_id, neighbor_port, speed in half_links:
        key = _link_key(member_id, port, neighbor_id, neighbor_port)
        if key in seen:
            continue
        # The far end reported without its port name (neighbour list only) is the same link.
        if neighbor_port is None and any(l['member_id'] == neighbor_id and l['neighbor_member_id'] == member_id
                                         and l['neighbor_port'] in (port, None) for l in links):
            continue
        seen.add(key)
        links.append({'member_id': member_id, 'port': port, 'neighbor_member_id': neighbor_id,
                      'neighbor_port': neighbor_port, 'speed': speed})
    return links


def _reachable(start, links):
    adjacency = {}
    for link in links:
        adjacency.setdefault(link['member_id'], set()).add(link['neighbor_member_id'])
        adjacency.setdefault(link['neighbor_member_id'], set()).add(link['member_id'])
    seen, todo = {start}, [start]
    while todo:
        for neighbor in adjacency.get(todo.pop(), ()):
            if neighbor not in seen:
                seen.add(neighbor)
                todo.append(neighbor)
    return seen


def _has_bridge(member_ids, links):
    """True when losing some single link would split the members (the VC is not a ring)."""
    for index in range(len(links)):
        others = links[:index] + links[index + 1:]
        if not set(member_ids) <= _reachable(member_ids[0], others):
            return True
    return False


def _chain_ends(member_ids, links):
    degree = dict.fromkeys(member_ids, 0)
    for link in links:
        for end in (link['member_id'], link['neighbor_member_id']):
            if end in degree:
                degree[end] += 1
    return [member_id for member_id in member_ids if degree[member_id] <= 1]


def derive_topology(members, ports, logged_into_member=None):
    """Classify the VCP cabling and say which links are missing.

    kind: ``standalone`` (one member), ``ring`` (every member reached, and no single link loss splits
    them), ``daisy-chain`` (every member reached, but some link is a single point of failure) or
    ``broken`` (some member is not present or cannot be reached over up VCPs).
    ``missing_links``: every VCP that is down (its neighbour when Junos still names it; an ``absent``
    port has no cable and is not counted), and for a
    daisy chain whose down ports say nothing, the two chain ends that a cable would join into a ring.
    """
    member_ids = [m['member_id'] for m in members]
    links = _up_links(members, ports)
    missing = [{'member_id': p['member_id'], 'port': p['port'], 'neighbor_member_id': p['neighbor_member_id'],
                'neighbor_port': p['neighbor_port']} for p in ports if p['status'] == 'down']
    start = logged_into_member if logged_into_member in member_ids else (member_ids[0] if member_ids else None)
    unreachable = sorted(set(member_ids) - _reachable(start, links)) if member_ids else []
    if len(member_ids) <= 1:
        kind = 'standalone'
    elif unreachable:
        kind = 'broken'
    elif _has_bridge(member_ids, links):
        kind = 'daisy-chain'
        ends = _chain_ends(member_ids, links)
        if not missing and len(ends) == 2:
            missing.append({'member_id': ends[0], 'port': None, 'neighbor_member_id': ends[1], 'neighbor_port': None})
    else:
        kind = 'ring'
    return {'kind': kind, 'links': links, 'missing_links': missing, 'unreachable_members': unreachable}


def build_facts(vc_information, ports, versions):
    """Combine the three parsed replies into the ``junos_ztp_vc`` facts."""
    members = []
    for member in vc_information['members']:
        software = versions.get(member['member_id'], {})
        member = dict(member, version=software.get('version'), hostname=software.get('hostname'),
                      ports=[p for p in ports if p['member_id'] == member['member_id']])
        members.append(member)
    by_role = {m['role']: m['member_id'] for m in members if m['status'] == 'present' and m['role'] in ('primary', 'backup')}
    topology = derive_topology(members, ports, vc_information['logged_into_member'])
    mixed = vc_information['mode'] == 'mixed' or any(m['mixed_mode'] for m in members)
    return {
        'id': vc_information['id'],
        'mode': 'mixed' if mixed else vc_information['mode'],
        'preprovisioned': vc_information['preprovisioned'],
        'logged_into_member': vc_information['logged_into_member'],
        'primary_member': by_role.get('primary'),
        'backup_member': by_role.get('backup'),
        'members': members,
        'topology': topology,
    }


def read_virtual_chassis(device):
    """Send the three Virtual Chassis RPCs over an open PyEZ Device and return the ``junos_ztp_vc`` facts.

    Raises DeviceRpcError / DeviceConnectionError (from _connection) when the device refuses or drops.
    """
    vc_information = parse_vc_information(call_rpc(device, 'get_virtual_chassis_information'))
    local = vc_information['logged_into_member']
    ports = parse_vc_ports(call_rpc(device, 'get_virtual_chassis_port_information'), local)
    versions = parse_versions(call_rpc(device, 'cli', 'show version all-members', format='xml'), local)
    return build_facts(vc_information, ports, versions)


def read_virtual_chassis_at(params):
    """Open a session with the connection options ``params``, read the Virtual Chassis, close the session."""
    device = open_device(params)
    try:
        return read_virtual_chassis(device)
    finally:
        close_quietly(device)

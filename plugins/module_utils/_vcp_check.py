# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge a Virtual Chassis against the intended one and the phone-home requirements. PRIVATE to junos.ztp.

Pure functions over the ``junos_ztp_vc`` facts (see _virtual_chassis.py); nothing here talks to a device.

Severities follow the Virtual Chassis phone-home document: in the default provisioning mode the phone-home
client "proceeds anyway to provision the Virtual Chassis with found members", so differences between the
intended and the found members are warnings; in strict mode they are errors. What stops phone-home in
either mode is always an error: a mixed-mode VC, VCPs that are down or that had to be configured
explicitly, members not cabled in a ring.
"""

from __future__ import annotations

from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_host
from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import derive_topology

ERROR = 'error'
WARNING = 'warning'


def finding(severity, code, message, member=None, port=None):
    """One finding; ``code`` is short and stable, for playbooks to match on."""
    return {'severity': severity, 'code': code, 'member': member, 'port': port, 'message': message}


def intent_problems(host, members, topology, provisioning_mode):
    """Problems with the intended members/topology/mode, in the inventory's own terms (ztp_* fields)."""
    normalized, problems = validate_host(host, {'ztp_members': members, 'ztp_topology': topology,
                                                'ztp_provisioning_mode': provisioning_mode})
    # The inventory needs a serial number to key DHCP and phone-home records on; checking what is cabled does not.
    problems = [p for p in problems if members or p.field != 'ztp_members']
    return normalized['ztp_members'] or [], ['%s: %s' % (p.field, p.message) for p in problems]


def _member_findings(vc_members, expected, topology, mismatch):
    findings = []
    by_serial = {m['serial_number']: m for m in vc_members if m['serial_number']}
    for member in vc_members:
        if member['status'] != 'present':
            findings.append(finding(mismatch, 'member-not-present', 'member %s (%s, %s) is %s'
                                    % (member['member_id'], member['serial_number'], member['model'], member['status']),
                                    member=member['member_id']))
    for intended in expected:
        found = by_serial.get(intended['serial_number'])
        if found is None:
            findings.append(finding(mismatch, 'member-missing', 'intended member %s%s is not in the Virtual Chassis'
                                    % (intended['serial_number'], _intended_where(intended)), member=intended.get('member_id')))
            continue
        if intended.get('member_id') is not None and intended['member_id'] != found['member_id']:
            findings.append(finding(mismatch, 'member-id-mismatch', 'serial number %s is member %s, intended as member %s'
                                    % (intended['serial_number'], found['member_id'], intended['member_id']), member=found['member_id']))
        if intended.get('model') and found['model'] and intended['model'].lower() != found['model'].lower():
            findings.append(finding(mismatch, 'model-mismatch', 'member %s (%s) is a %s, intended %s'
                                    % (found['member_id'], intended['serial_number'], found['model'], intended['model']),
                                    member=found['member_id']))
    if topology == 'full':
        intended_serials = {m['serial_number'] for m in expected}
        for member in vc_members:
            if member['serial_number'] not in intended_serials:
                findings.append(finding(mismatch, 'unexpected-member', 'member %s (%s, %s) is not one of the intended members'
                                        % (member['member_id'], member['serial_number'], member['model']), member=member['member_id']))
    return findings


def _intended_where(intended):
    details = [text for text in (intended.get('member_id') is not None and 'member %s' % intended['member_id'], intended.get('model')) if text]
    return ' (%s)' % ', '.join(details) if details else ''


def _cabling_findings(facts, members_absent, mismatch):
    """Down or explicitly configured VCPs, and whether the present members form a ring."""
    findings = []
    present = [m for m in facts['members'] if m['status'] == 'present']
    present_ids = {m['member_id'] for m in present}
    ports = [p for m in present for p in m['ports']]
    for port in ports:
        if port['status'] == 'down':
            # With a member missing, its neighbours' VCPs are down because of it, not because of a cable.
            towards_absent = members_absent and port['neighbor_member_id'] not in present_ids
            findings.append(finding(mismatch if towards_absent else ERROR, 'vcp-down', 'VCP %s of member %s is down%s'
                                    % (port['port'], port['member_id'], _towards(port)), member=port['member_id'], port=port['port']))
        if port['type'] == 'configured':
            findings.append(finding(ERROR, 'vcp-configured', 'VCP %s of member %s is an explicitly configured VCP; phone-home needs '
                                    'dedicated or default-configured VCPs' % (port['port'], port['member_id']),
                                    member=port['member_id'], port=port['port']))
    topology = derive_topology(present, ports, facts['logged_into_member'])
    if len(present) > 1 and topology['kind'] != 'ring':
        missing = ', '.join(_describe_link(link) for link in topology['missing_links']) or 'none named by the device'
        reason = ' with members missing' if members_absent else ''
        findings.append(finding(mismatch if members_absent else ERROR, 'not-a-ring',
                                'the present members are cabled as a %s, not a ring%s; missing links: %s' % (topology['kind'], reason, missing)))
    return findings


def _towards(port):
    if port['neighbor_member_id'] is None:
        return ''
    return ' (towards member %s%s)' % (port['neighbor_member_id'], ' %s' % port['neighbor_port'] if port['neighbor_port'] else '')


def _describe_link(link):
    here = 'member %s%s' % (link['member_id'], ' %s' % link['port'] if link['port'] else '')
    if link['neighbor_member_id'] is None:
        return here
    return '%s - member %s%s' % (here, link['neighbor_member_id'], ' %s' % link['neighbor_port'] if link['neighbor_port'] else '')


def check_virtual_chassis(facts, expected_members=(), topology='full', provisioning_mode='default'):
    """Every finding about the Virtual Chassis ``facts`` (junos_ztp_vc) against the intent, errors first.

    ``expected_members`` are normalized ztp_members entries (serial_number, member_id, model, ...);
    ``topology`` and ``provisioning_mode`` are the ztp_topology / ztp_provisioning_mode values.
    """
    mismatch = ERROR if provisioning_mode == 'strict' else WARNING
    findings = []
    if facts['mode'] == 'mixed':
        mixed = [m['member_id'] for m in facts['members'] if m['mixed_mode']]
        findings.append(finding(ERROR, 'mixed-mode', 'the Virtual Chassis is in mixed mode%s; phone-home needs a non-mixed VC '
                                '(mixed mode is never set in the factory-default configuration)'
                                % (' (members %s)' % ', '.join(str(i) for i in mixed) if mixed else '')))
    member_findings = _member_findings(facts['members'], list(expected_members), topology, mismatch)
    findings.extend(member_findings)
    if topology == 'none':
        if len(facts['members']) > 1:
            findings.append(finding(mismatch, 'not-standalone', 'the device is a Virtual Chassis of %d members, but the intended topology is '
                                    'none: phone-home would provision only the primary, as a standalone device' % len(facts['members'])))
    else:
        members_absent = any(f['code'] in ('member-not-present', 'member-missing') for f in member_findings)
        findings.extend(_cabling_findings(facts, members_absent, mismatch))
    findings.sort(key=lambda f: f['severity'] != ERROR)
    return findings


def failure_message(findings):
    """One message listing every finding, errors first."""
    errors = sum(1 for f in findings if f['severity'] == ERROR)
    lines = ['- %s [%s] %s' % (f['severity'], f['code'], f['message']) for f in findings]
    return 'Virtual Chassis check failed: %d error(s), %d warning(s)\n%s' % (errors, len(findings) - errors, '\n'.join(lines))

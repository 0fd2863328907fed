# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Phone-home server (PHS) records, in both encodings, from the normalized data model.

PRIVATE to the junos.ztp collection; not a public API.

One record per serial number: every member of a Virtual Chassis gets one, because any member may be
elected primary on first boot and phone home with its own serial.  Each record exists twice:

- the legacy Juniper phone-home XML (``juniper-zerotouch-bootstrap-server``), and
- RFC 8572 ``onboarding-information`` (JSON) for ``rfc-compliant`` clients.

How the Virtual Chassis part is encoded is not public, so it is our own extension, defined in ONE
place: the YANG module ``docs/yang/junos-ztp-virtual-chassis@2026-01-01.yang``.  The legacy record
carries its XML encoding, the RFC 8572 record its JSON encoding (``VC_NAMESPACE`` / ``VC_MODULE``).

The records directory holds ``index.json`` and ``devices/<serial>.xml`` + ``devices/<serial>.json``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    InventoryError,
    Problem,
    configuration_format_problems,
    image_for_model,
)

LEGACY_NAMESPACE = 'http://juniper.net/zerotouch-bootstrap-server'
VC_NAMESPACE = 'urn:junos-ztp:virtual-chassis:1'
VC_MODULE = 'junos-ztp-virtual-chassis'
CONVEYED_INFO = 'ietf-sztp-conveyed-info'
OS_NAME = 'Junos'
INDEX_FILE = 'index.json'
INDEX_FORMAT = 'junos-ztp-phs-records/1'
DEVICES_DIR = 'devices'
# "Phone-home provisioning supports Python or shell scripts" (Virtual Chassis phone-home document).
SCRIPT_INTERPRETERS = ('sh', 'bash', 'python', 'python3')
_PEM_CERTIFICATE = re.compile(r'-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----', re.S)
_PHYSICAL_PORT = re.compile(r'^(ge|xe|et|mge)-\d+/\d+/\d+$')
_SERIAL_MARK = '\ue000'  # a private-use character, stands for the serial number while a record is serialized


def legacy_path(serial):
    return '%s/%s.xml' % (DEVICES_DIR, serial)


def rfc8572_path(serial):
    return '%s/%s.json' % (DEVICES_DIR, serial)


def phone_home_hosts(models):
    """The hosts (sorted) that are provisioned by phone-home and so get records."""
    return sorted(host for host, model in models.items() if model['ztp_bootstrap_method'] == 'phone-home')


# --- checks -----------------------------------------------------------------------------------


def _removed(element, child_tag):
    """True when the merged configuration removes or replaces child_tag under element (or replaces element)."""
    if element.get('replace') == 'replace':
        return True
    child = element.find(child_tag)
    return child is not None and child.get('delete') == 'delete'


def factory_default_clashes(root):
    """Statements that clash with the factory-default configuration a phone-home client merges into.

    Phone-home applies the configuration as Junos XML *merged* into the factory default, so factory
    statements stay unless the configuration removes them (``delete="delete"``) or replaces their parent.
    """
    messages = []
    system = root.find('system')
    if system is None or not _removed(system, 'autoinstallation'):
        messages.append('keeps the factory-default system autoinstallation (the configuration is merged); '
                        'add <autoinstallation delete="delete"/> under <system>')
    protocols = root.find('protocols')
    if protocols is not None:
        for other in ('mstp', 'vstp', 'stp'):
            if protocols.find(other) is not None and protocols.find(other).get('delete') != 'delete' and not _removed(protocols, 'rstp'):
                messages.append('configures protocols %s beside the factory-default protocols rstp; '
                                'add <rstp delete="delete"/> under <protocols>' % other)
    for interface in root.findall('interfaces/interface'):
        name = interface.findtext('name', '').strip()
        for unit in interface.findall('unit'):
            if unit.findtext('name', '').strip() != '0' or 'replace' in (interface.get('replace'), unit.get('replace')):
                continue
            family = unit.find('family')
            if family is None or _removed(unit, 'family'):
                continue
            layer3 = [f for f in ('inet', 'inet6') if family.find(f) is not None]
            if _PHYSICAL_PORT.match(name) and layer3 and not _removed(family, 'ethernet-switching'):
                messages.append('interfaces %s unit 0: family %s cannot be merged beside the factory-default family ethernet-switching; '
                                'add <ethernet-switching delete="delete"/> under <family> or replace="replace" on the unit'
                                % (name, layer3[0]))
            inet = family.find('inet')
            if name in ('vme', 'me0', 'irb') and inet is not None and inet.find('address') is not None and not _removed(inet, 'dhcp'):
                messages.append('interfaces %s unit 0: a static address cannot be merged beside the factory-default DHCP client; '
                                'add <dhcp delete="delete"/> under <family><inet>' % name)
    return messages


def _virtual_chassis_contradictions(root, members):
    """Member statements that would change roles while the client provisions (the seed warns against it)."""
    by_id = {m['member_id']: m for m in members if m.get('member_id') is not None}
    messages = []
    for statement in root.findall('virtual-chassis/member'):
        text = statement.findtext('name', '').strip()
        member = by_id.get(int(text)) if text.isdigit() else None
        if member is None:
            continue
        for tag, key in (('serial-number', 'serial_number'), ('role', 'role')):
            configured = statement.findtext(tag)
            if configured is not None and member.get(key) and configured.strip() != member[key]:
                messages.append('virtual-chassis member %s has %s %s but ztp_members says %s; changing members or roles while the '
                                'phone-home client provisions can re-elect the primary' % (text, tag, configured.strip(), member[key]))
    return messages


def configuration_problems(host, model, text):
    """Problems with the rendered configuration of a phone-home host."""
    field = 'ztp_configuration'
    problems = [Problem(host, field, message) for message in configuration_format_problems(text, 'phone-home')]
    if problems:
        return problems
    if model['ztp_configuration'].get('action') == 'replace':
        problems.append(Problem(host, field + '.action', 'phone-home clients always merge the configuration; use merge'))
    root = ET.fromstring(text)
    messages = factory_default_clashes(root) + _virtual_chassis_contradictions(root, model['ztp_members'] or [])
    problems.extend(Problem(host, field, message) for message in messages)
    return problems


def script_problems(host, field, content):
    """A phone-home script must be shell or Python, recognised by its #! line."""
    first_line = content.split(b'\n', 1)[0].decode('utf-8', 'replace').strip()
    if not first_line.startswith('#!'):
        return [Problem(host, field, 'is not a script: its first line must be #! and a shell or Python interpreter, got %r' % first_line[:60])]
    words = first_line[2:].split()
    interpreter = words[0].rsplit('/', 1)[-1] if words else ''
    if interpreter == 'env' and len(words) > 1:
        interpreter = words[1]
    if interpreter not in SCRIPT_INTERPRETERS:
        return [Problem(host, field, 'phone-home runs shell or Python scripts only, got interpreter %r' % first_line[2:])]
    return []


def boot_image(host, model):
    """(image, problems): the one image every member of the host runs, with what phone-home clients need."""
    software = model['ztp_software']
    if not software:
        return None, []
    models = sorted({m['model'] for m in model['ztp_members'] or [] if m.get('model')})
    images = []
    for member_model in models:
        image = image_for_model(software, member_model)
        if image is not None and image not in images:
            images.append(image)
    if not models and len(software['images'] or []) == 1:
        images = list(software['images'])
    if len(images) != 1:
        reason = 'members of models %s need %d different images' % (', '.join(models), len(images)) if models else \
            'no member has a model to choose one of %d images by' % len(software['images'] or [])
        return None, [Problem(host, 'ztp_software.images', 'a phone-home record carries one image; %s' % reason)]
    image = images[0]
    index = software['images'].index(image)
    path = 'ztp_software.images[%d]' % index
    problems = []
    if not image.get('url'):
        problems.append(Problem(host, path + '.url', 'is required for phone-home: the client downloads the image itself'))
    for algorithm in ('md5', 'sha1'):
        if not image.get(algorithm):
            problems.append(Problem(host, '%s.%s' % (path, algorithm), 'is required for phone-home: the legacy client verifies md5 and sha1'))
    return image, problems


def trust_anchor_certificates(pem_text):
    """The base64 DER certificates of a PEM bundle (empty when there is none)."""
    certificates = []
    for body in _PEM_CERTIFICATE.findall(pem_text):
        try:
            certificates.append(base64.b64encode(base64.b64decode(''.join(body.split()), validate=True)).decode('ascii'))
        except (binascii.Error, ValueError):
            return []
    return certificates


def host_problems(host, model, inputs):
    """Every phone-home-specific problem of one host (validate_fleet has already checked the data model)."""
    problems = []
    if not model['ztp_members']:
        problems.append(Problem(host, 'ztp_members', 'a phone-home record is keyed by serial number; list at least one member'))
    problems.extend(boot_image(host, model)[1])
    if inputs.get('configuration') is not None:
        problems.extend(configuration_problems(host, model, inputs['configuration']))
    for stage in ('pre', 'post'):
        source = (model['ztp_scripts'] or {}).get(stage)
        field = 'ztp_scripts.%s' % stage
        if not source:
            continue
        if not source.get('local_path'):
            problems.append(Problem(host, field, 'phone-home records carry the script itself (RFC 8572 has no script URL); give local_path'))
        elif inputs.get('scripts', {}).get(stage) is not None:
            problems.extend(script_problems(host, field + '.local_path', inputs['scripts'][stage]))
    if inputs.get('trust_anchor') is not None and not trust_anchor_certificates(inputs['trust_anchor']):
        problems.append(Problem(host, 'ztp_phone_home.trust_anchor', 'holds no PEM certificate'))
    return problems


# --- encodings ----------------------------------------------------------------------------------


def _vc_element(vc):
    element = ET.Element('virtual-chassis', {'xmlns': VC_NAMESPACE})
    for key in ('topology', 'provisioning-mode', 'member-detection-timeout'):
        ET.SubElement(element, key).text = str(vc[key])
    for member in vc['member']:
        member_element = ET.SubElement(element, 'member')
        for key, value in member.items():
            ET.SubElement(member_element, key).text = str(value)
    return element


def virtual_chassis(model):
    """Our Virtual Chassis extension as a YANG-shaped dict, or None for a standalone device."""
    if model['ztp_topology'] == 'none':
        return None
    members = []
    for member in sorted(model['ztp_members'], key=lambda m: (m.get('member_id') is None, m.get('member_id'), m['serial_number'])):
        entry = {'serial-number': member['serial_number']}
        for key in ('member_id', 'model', 'role', 'mastership_priority'):
            if member.get(key) is not None:
                entry[key.replace('_', '-')] = member[key]
        members.append(entry)
    return {'topology': model['ztp_topology'], 'provisioning-mode': model['ztp_provisioning_mode'],
            'member-detection-timeout': model['ztp_member_detection_timeout'], 'member': members}


def _colon_hex(digest):
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2)).lower()


class HostRecords:
    """Both encodings of one host's record; the legacy one is stamped with each serial."""

    def __init__(self, host, model, inputs):
        self.host = host
        self.serials = [m['serial_number'] for m in model['ztp_members']]
        self.image = boot_image(host, model)[0]
        self.version = (model['ztp_software'] or {}).get('version')
        self.vc = virtual_chassis(model)
        self.scripts = {stage: inputs.get('scripts', {}).get(stage) for stage in ('pre', 'post')}
        self.configuration = None
        if inputs.get('configuration') is not None:
            self.configuration = ET.fromstring(inputs['configuration'])
            ET.indent(self.configuration, '  ')
        # Serialized once per host; each member's record differs only in <unique-id>.
        self._legacy_head, self._legacy_tail = (ET.tostring(self._build_legacy(), encoding='unicode') + '\n').split(_SERIAL_MARK)
        self.rfc8572 = (json.dumps(self.onboarding_information(), indent=2) + '\n').encode('utf-8')

    def _build_legacy(self):
        device = ET.Element('device', {'xmlns': LEGACY_NAMESPACE})
        ET.SubElement(device, 'unique-id').text = _SERIAL_MARK
        if self.vc:
            device.append(_vc_element(self.vc))
        if self.image:
            boot = ET.SubElement(device, 'boot-image')
            for tag, key in (('name', 'file'), ('md5', 'md5'), ('sha1', 'sha1'), ('path', 'url')):
                ET.SubElement(boot, tag).text = self.image[key].lower() if tag in ('md5', 'sha1') else self.image[key]
        if self.scripts['pre'] is not None:
            ET.SubElement(device, 'pre-configuration-script').text = base64.b64encode(self.scripts['pre']).decode('ascii')
        if self.configuration is not None:
            merged = ET.Element('configuration', dict(self.configuration.attrib, operation='merge'))
            merged.extend(copy.deepcopy(list(self.configuration)))
            ET.SubElement(ET.SubElement(device, 'configuration'), 'config').append(merged)
        if self.scripts['post'] is not None:
            ET.SubElement(device, 'post-configuration-script').text = base64.b64encode(self.scripts['post']).decode('ascii')
        ET.indent(device, '  ')
        return device

    def legacy(self, serial):
        """The legacy phone-home XML record for one serial number (serials are file-name safe: nothing to escape)."""
        return (self._legacy_head + serial + self._legacy_tail).encode('utf-8')

    def onboarding_information(self):
        """RFC 8572 onboarding-information (ietf-sztp-conveyed-info JSON encoding) with our VC augmentation."""
        info = {}
        if self.image:
            boot = {'os-name': OS_NAME, 'os-version': self.version, 'download-uri': [self.image['url']]}
            if self.image.get('sha256'):
                boot['image-verification'] = [{'hash-algorithm': '%s:sha-256' % CONVEYED_INFO, 'hash-value': _colon_hex(self.image['sha256'])}]
            info['boot-image'] = boot
        if self.scripts['pre'] is not None:
            info['pre-configuration-script'] = base64.b64encode(self.scripts['pre']).decode('ascii')
        if self.configuration is not None:
            info['configuration-handling'] = 'merge'
            text = ET.tostring(self.configuration, encoding='unicode') + '\n'
            info['configuration'] = base64.b64encode(text.encode('utf-8')).decode('ascii')
        if self.scripts['post'] is not None:
            info['post-configuration-script'] = base64.b64encode(self.scripts['post']).decode('ascii')
        if self.vc:
            info['%s:virtual-chassis' % VC_MODULE] = self.vc
        return {'%s:onboarding-information' % CONVEYED_INFO: info}


def _server_entry(server_url, trust_anchor):
    url = urlsplit(server_url)
    return {'address': url.hostname, 'port': url.port or 443, 'trust-anchor': trust_anchor_certificates(trust_anchor or '')}


def _trust_anchor_conflicts(hosts, models, inputs_by_host):
    """A server has one certificate: hosts that name the same server URL must give it the same trust anchor.

    Redirect answers carry one trust anchor per server; without this check the first host's would silently win.
    """
    problems, first = [], {}
    for host in hosts:
        phone_home = models[host]['ztp_phone_home'] or {}
        anchor = trust_anchor_certificates(inputs_by_host.get(host, {}).get('trust_anchor') or '')
        for field, url in [('server_url', phone_home.get('server_url'))] + [
                ('backup_server_urls[%d]' % i, u) for i, u in enumerate(phone_home.get('backup_server_urls') or [])]:
            if not url:
                continue
            owner, owner_anchor = first.setdefault(url, (host, anchor))
            if owner_anchor != anchor:
                problems.append(Problem(host, 'ztp_phone_home.trust_anchor', 'differs from the trust anchor %s gives the same server %s '
                                        '(%s); a server has one certificate' % (owner, url, field)))
    return problems


def render_records(models, inputs_by_host):
    """The records directory as {relative path: bytes} for every phone-home host.

    ``models`` is validate_fleet's result (every host, so serials are unique fleet-wide);
    ``inputs_by_host`` maps a phone-home host to what the controller read for it:
    ``configuration`` (rendered Junos XML text or None), ``scripts`` ({'pre'|'post': bytes}) and
    ``trust_anchor`` (PEM text or None).  Raises InventoryError listing every problem before anything is built.
    """
    hosts = phone_home_hosts(models)
    problems = []
    for host in hosts:
        problems.extend(host_problems(host, models[host], inputs_by_host.get(host, {})))
    problems.extend(_trust_anchor_conflicts(hosts, models, inputs_by_host))
    if problems:
        raise InventoryError(problems)
    files, devices, host_index, servers = {}, {}, {}, {}
    for host in hosts:
        model, inputs = models[host], inputs_by_host.get(host, {})
        records = HostRecords(host, model, inputs)
        phone_home = model['ztp_phone_home'] or {}
        server_url = phone_home.get('server_url')
        backups = phone_home.get('backup_server_urls') or []
        for url in ([server_url] if server_url else []) + backups:
            servers.setdefault(url, _server_entry(url, inputs.get('trust_anchor')))
        host_index[host] = {'serials': records.serials, 'topology': model['ztp_topology'],
                            'provisioning_mode': model['ztp_provisioning_mode'], 'server': server_url}
        if backups:
            host_index[host]['backup_servers'] = backups
        for serial in records.serials:
            devices[serial] = host
            files[legacy_path(serial)] = records.legacy(serial)
            files[rfc8572_path(serial)] = records.rfc8572
    index = {'format': INDEX_FORMAT, 'devices': devices, 'hosts': host_index, 'servers': servers}
    files[INDEX_FILE] = (json.dumps(index, indent=1, sort_keys=True) + '\n').encode('utf-8')
    return files

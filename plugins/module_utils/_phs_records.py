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
import hashlib
import json
import os
import platform
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from ansible.module_utils.ansible_release import __version__ as ansible_version
from ansible.module_utils.common.validation import check_type_path

from ansible_collections.junos.ztp.plugins.module_utils import _data_model
from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    DATA_MODEL,
    InventoryError,
    Problem,
    configuration_format_problems,
    controller_files,
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
    """Member statements that would change roles while the client provisions (the VC document warns against it)."""
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


def _leaf(indent, tag, text):
    """One element holding only text, as ElementTree writes it once indented (and as it was written before)."""
    return '%s<%s>%s</%s>\n' % (indent, tag, escape(text), tag) if text else '%s<%s />\n' % (indent, tag)


def _vc_lines(vc):
    lines = ['  <virtual-chassis xmlns="%s">\n' % VC_NAMESPACE]
    lines.extend(_leaf('    ', key, str(vc[key])) for key in ('topology', 'provisioning-mode', 'member-detection-timeout'))
    for member in vc['member']:
        lines.append('    <member>\n')
        lines.extend(_leaf('      ', key, str(value)) for key, value in member.items())
        lines.append('    </member>\n')
    lines.append('  </virtual-chassis>\n')
    return lines


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
        configuration, self.configuration_text = None, None
        if inputs.get('configuration') is not None:
            configuration = ET.fromstring(inputs['configuration'])
            ET.indent(configuration, '  ')
            self.configuration_text = ET.tostring(configuration, encoding='unicode') + '\n'
        # Each serialized once per host: the RFC 8572 record is the same for every member, the legacy one differs only in <unique-id>.
        # The RFC 8572 record is wire data (inside CMS): compact JSON, which the standard library writes in C (indented, in Python, it
        # cost a quarter of the rendering).
        self.rfc8572 = (json.dumps(self.onboarding_information(), separators=(',', ':')) + '\n').encode('utf-8')
        self._legacy_head = '<device xmlns="%s">\n  <unique-id>' % LEGACY_NAMESPACE
        self._legacy_tail = ''.join(self._legacy_lines(configuration))

    def _legacy_lines(self, configuration):
        """The legacy record after the serial number: the structure is fixed, so it is written directly (ElementTree's layout)."""
        lines = ['</unique-id>\n']
        if self.vc:
            lines.extend(_vc_lines(self.vc))
        if self.image:
            lines.append('  <boot-image>\n')
            for tag, key in (('name', 'file'), ('md5', 'md5'), ('sha1', 'sha1'), ('path', 'url')):
                lines.append(_leaf('    ', tag, self.image[key].lower() if tag in ('md5', 'sha1') else self.image[key]))
            lines.append('  </boot-image>\n')
        if self.scripts['pre'] is not None:
            lines.append(_leaf('  ', 'pre-configuration-script', base64.b64encode(self.scripts['pre']).decode('ascii')))
        if configuration is not None:
            # The one part given as XML: the configuration's elements, indented again (in place) under <configuration><config>.
            merged = ET.Element('configuration', dict(configuration.attrib, operation='merge'))
            merged.extend(configuration)
            ET.indent(merged, '  ', level=3)
            lines.append('  <configuration>\n    <config>\n      %s\n    </config>\n  </configuration>\n' % ET.tostring(merged, encoding='unicode'))
        if self.scripts['post'] is not None:
            lines.append(_leaf('  ', 'post-configuration-script', base64.b64encode(self.scripts['post']).decode('ascii')))
        lines.append('</device>\n')
        return lines

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
        if self.configuration_text is not None:
            info['configuration-handling'] = 'merge'
            info['configuration'] = base64.b64encode(self.configuration_text.encode('utf-8')).decode('ascii')
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


# --- what the records are rendered from ---------------------------------------------------------

# Controller files whose contents the records carry (any other file the inventory names only has to be there).
EMBEDDED_FILES = ('ztp_scripts.pre.local_path', 'ztp_scripts.post.local_path', 'ztp_phone_home.trust_anchor')


def _names_files(spec):
    return bool(spec.get('controller_file')) or any(_names_files(option) for option in spec.get('options', {}).values())


# The variables that may name controller files.
FILE_VARIABLES = tuple(name for name, spec in DATA_MODEL.items() if _names_files(spec))


def renderer_version(*extra_files):
    """A digest of the code that validates and renders the records (this module, the data model, extra_files, the versions of
    Python and ansible-core, whose argument validation normalizes the data model's values)."""
    digest = hashlib.sha256(('%s %s' % (platform.python_version(), ansible_version)).encode('ascii'))
    for path in (_data_model.__file__, os.path.abspath(__file__)) + extra_files:
        with open(path, 'rb') as stream:
            digest.update(stream.read())
    return digest.hexdigest()


def inputs_digest(renderer, options, fleet_vars, controller_file, configuration):
    """A digest of everything validation and rendering read, or None when the variables are not shaped as the data model says.

    ``renderer`` is renderer_version(); ``options`` the task options that shape the records (JSON data);
    ``fleet_vars`` every host's ztp_* variables as read. ``controller_file(directory, path, read)`` returns
    (contents when read, else None; what is wrong with the file or None), as validation and rendering find it;
    ``configuration(host, ztp_configuration)`` returns (text or None, problems) of a host's configuration as
    rendered (a template may use any of the host's variables, so its output is what counts).
    A run that fails never records its digest, so an equal digest means the inputs validated and rendered before.
    """
    digest = hashlib.sha256(renderer.encode('ascii'))
    named = {}  # id(a variable's value) -> (the value, the controller files it names): a group variable is walked once
    try:
        digest.update(json.dumps([options, fleet_vars], sort_keys=True, separators=(',', ':'), default=repr).encode('utf-8'))
        for host, variables in fleet_vars.items():
            for name in FILE_VARIABLES:
                value = variables.get(name)
                if value is None:
                    continue
                if id(value) not in named or named[id(value)][0] is not value:
                    named[id(value)] = (value, list(controller_files({name: value})))
                for field, directory, path in named[id(value)][1]:
                    content, error = controller_file(directory, check_type_path(path), field in EMBEDDED_FILES)
                    digest.update(json.dumps([host, field, error, content and hashlib.sha256(content).hexdigest()]).encode('utf-8'))
            given = variables.get('ztp_configuration')
            # Every host but those that certainly get no record (their configuration is not rendered here).
            if variables.get('ztp_bootstrap_method') != 'dhcp-ztp' and isinstance(given, dict):
                if given.get('template') is not None:  # the path as the data model normalizes it: the same file
                    given = dict(given, template=check_type_path(given['template']))
                text, problems = configuration(host, given)
                digest.update(json.dumps([host, text, [str(problem) for problem in problems]]).encode('utf-8'))
    except (AttributeError, TypeError, ValueError):
        return None  # validation says what is wrong
    return digest.hexdigest()

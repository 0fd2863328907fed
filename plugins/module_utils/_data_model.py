# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The junos.ztp inventory data model: one schema, validated once per run.

PRIVATE to the junos.ztp collection; not a public API.

The schema is Ansible's argument-spec format, checked by ansible-core's own
ArgumentSpecValidator (no extra dependency, the same type coercion modules get,
and the format roles use in meta/argument_specs.yml).  Each top-level key is a
host variable; ``docs/data-model.md`` is generated from this file by
``tools/render_data_model_docs.py``.  Cross-field rules that a per-field schema
cannot say live in ``_cross_field_problems`` and ``_fleet_problems``.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
import xml.etree.ElementTree as ET

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # pragma: no cover - reported by the callers
    HAS_NETADDR = False

MAX_MEMBER_ID = 9
MAX_MEMBERS = 10  # a Virtual Chassis has at most ten members, IDs 0 to 9
MAX_ROUTING_ENGINES = 2  # a primary and a backup; every other member is a linecard
MAX_URL_LENGTH = 256  # "HTTP URLs are limited to 256 characters" (ZTP document)
CHECKSUM_LENGTHS = {'md5': 32, 'sha1': 40, 'sha256': 64}
DEFAULT_MEMBER_DETECTION_TIMEOUT = 900  # [guess] the VC document names a default but not its value
TRANSFER_MODES = ('tftp', 'ftp', 'http', 'https')

# Text rules: spec key 'pattern' is matched against the whole value, 'pattern_description' says it in words;
# 'ascii' marks text that goes on the wire to the device (DHCP options, URLs, file names).
SERIAL_NUMBER = {'pattern': r'[A-Za-z0-9][A-Za-z0-9._-]{0,63}',
                 'pattern_description': 'letters, digits, ".", "_" or "-" (at most 64)'}  # it names files of the records
DNS_HOST_NAME = {'pattern': r'(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*',
                 'pattern_description': 'an ASCII DNS host name (letters, digits, "-" and ".")'}
# The inventory host name lands in DHCP text (option 43 names <host>.conf) and in file names: plain ASCII only.
INVENTORY_HOST_NAME = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.:-]*')

# Spec key 'controller_file': the file is read on the controller, found like ansible.builtin.template finds
# its src ('templates') or ansible.builtin.copy its src ('files'); the file must exist before anything runs.
_LOCAL_OR_URL = {
    'local_path': {'type': 'path', 'controller_file': 'files', 'description': 'A file on the Ansible controller.'},
    'url': {'type': 'str', 'ascii': True, 'description': 'An http, https, ftp or tftp URL the device fetches itself (at most 256 characters).'},
}

DATA_MODEL = {
    'ztp_topology': {
        'type': 'str', 'choices': ['none', 'minimum', 'full'], 'default': 'none',
        'description': [
            'How much Virtual Chassis topology the device is told (Table 1 of the Virtual Chassis phone-home document).',
            '`none`: a standalone device; `ztp_members` holds exactly that device.',
            '`minimum`: "this is a Virtual Chassis"; members are discovered, listed members are only used as keys for DHCP and phone-home records.',
            '`full`: every intended member is listed with its serial number, member ID and model.',
        ],
    },
    'ztp_provisioning_mode': {
        'type': 'str', 'choices': ['default', 'strict'], 'default': 'default',
        'description': [
            '`default`: provision the members that are found; a member that fails is reported and provisioning moves on.',
            '`strict`: every listed member must be found and upgraded, or provisioning fails (`vc-bootstrap-failed`). Needs `ztp_topology: full`.',
        ],
    },
    'ztp_member_detection_timeout': {
        'type': 'int', 'default': DEFAULT_MEMBER_DETECTION_TIMEOUT,
        'description': 'Seconds to wait for a rebooted member to be present again and run the target version.',
    },
    'ztp_members': {
        'type': 'list', 'elements': 'dict', 'default': [],
        'description': 'The intended members of the Virtual Chassis, or the one standalone device.',
        'options': {
            'serial_number': dict(SERIAL_NUMBER, type='str', required=True,
                                  description='Chassis serial number; the key of DHCP and phone-home records.'),
            'member_id': {'type': 'int', 'description': 'Virtual Chassis member ID, 0 to 9. Required with `ztp_topology: full`.'},
            'model': {'type': 'str', 'ascii': True, 'description': 'Model as Junos reports it, for example `ex4300-48p`. Required with `ztp_topology: full`.'},
            'role': {'type': 'str', 'choices': ['routing-engine', 'line-card'],
                     'description': 'Role preference. Unset lets the Virtual Chassis elect by mastership priority.'},
            'mastership_priority': {'type': 'int', 'description': 'Mastership priority, 0 to 255 (0 never becomes primary or backup).'},
            'mac_address': {'type': 'str', 'ascii': True,
                            'description': 'Management MAC address, the DHCP record key when `ztp_management.dhcp_match` is `mac`.'},
            'duid': {'type': 'str', 'ascii': True, 'description': 'DHCPv6 client DUID (hex, colon separated), the DHCPv6 record key when given.'},
        },
    },
    'ztp_software': {
        'type': 'dict',
        'description': 'The target software for every member.',
        'options': {
            'version': {'type': 'str', 'ascii': True, 'required': True,
                        'description': 'Target Junos version as `show version` reports it, for example `21.4R3-S5.4`.'},
            'images': {
                'type': 'list', 'elements': 'dict', 'required': True,
                'description': 'One image per model family; a member uses the first image whose `models` pattern matches its model.',
                'options': dict({
                    'models': {'type': 'list', 'elements': 'str', 'required': True,
                               'description': 'Shell-style patterns of the models this image is for, for example `ex4300-*`.'},
                    'file': {'type': 'str', 'ascii': True, 'required': True,
                             'description': 'Image file name, for example `jinstall-ex-4300-21.4R3-S5.4-signed.tgz`.'},
                    'symlink': {'type': 'bool', 'default': False,
                                'description': '`file` is a symbolic link on the file server to the image: DHCP ZTP says so (suboption 02 `symlink`).'},
                    'md5': {'type': 'str', 'description': 'MD5 of the image (32 hex digits); the legacy phone-home client needs it.'},
                    'sha1': {'type': 'str', 'description': 'SHA-1 of the image (40 hex digits); the legacy phone-home client needs it.'},
                    'sha256': {'type': 'str', 'description': 'SHA-256 of the image (64 hex digits); preferred, and the one RFC 8572 clients use.'},
                }, **_LOCAL_OR_URL),
            },
        },
    },
    'ztp_configuration': {
        'type': 'dict',
        'description': [
            'The configuration to apply. Its format follows `ztp_bootstrap_method`: phone-home takes Junos XML rooted at',
            '`<configuration>`; DHCP ZTP (`dhcp-ztp`) loads the file it fetches as Junos *text* configuration (curly braces),',
            'or runs it when it is a script. XML for a dhcp-ztp host, or text for a phone-home host, is refused; a template is',
            'checked the same way once rendered, before any file is written. The NETCONF route (`apply_config`) loads either.',
        ],
        'options': {
            'content': {'type': 'str', 'multiline': True, 'description': [
                'The configuration itself: Junos XML (phone-home) or Junos text configuration (dhcp-ztp). With `ztp_bootstrap_method: dhcp-ztp`',
                'it may instead be a script: a first line of `#!` and an interpreter path (`/bin/sh`, `/usr/libexec/ui/cscript`, `/usr/bin/python`).',
            ]},
            'file_name': {'type': 'str', 'ascii': True, 'description': [
                'Name under `ztp_file_server.config_path` that DHCP ZTP hands out (option 43 suboption 01).',
                'Defaults to `<inventory_hostname>.conf`, or `.sh` / `.slax` / `.py` for a script.',
            ]},
            'template': {'type': 'path', 'controller_file': 'templates', 'description': [
                'A Jinja2 template on the controller, rendered with the host\'s variables: to Junos XML (phone-home),',
                'or to Junos text configuration or a script (dhcp-ztp).',
            ]},
            'action': {'type': 'str', 'choices': ['merge', 'replace'], 'default': 'merge',
                       'description': 'How the configuration is applied. Phone-home clients always merge.'},
        },
    },
    'ztp_scripts': {
        'type': 'dict',
        'description': 'Scripts run before and after the configuration is applied (shell or Python, recognised by their `#!` line).',
        'options': {
            'pre': {'type': 'dict', 'options': dict(_LOCAL_OR_URL), 'description': 'Pre-configuration script.'},
            'post': {'type': 'dict', 'options': dict(_LOCAL_OR_URL), 'description': 'Post-configuration script.'},
        },
    },
    'ztp_bootstrap_method': {
        'type': 'str', 'choices': ['phone-home', 'dhcp-ztp'], 'default': 'phone-home',
        'description': [
            'Which device-driven route provisions this host at factory default.',
            '`phone-home`: DHCP gives an address (and the proxy, suboption 8) but no ZTP image or configuration options.',
            '`dhcp-ztp`: DHCP gives the image and configuration names (option 43). Refused for a Virtual Chassis: ZTP does not support one.',
        ],
    },
    'ztp_management': {
        'type': 'dict', 'default': {},
        'description': 'How the device is addressed at factory default.',
        'options': {
            'ipv4_address': {'type': 'str', 'ascii': True, 'description': 'Fixed IPv4 management address.'},
            'ipv6_address': {'type': 'str', 'ascii': True, 'description': 'Fixed IPv6 management address.'},
            'hostname': dict(DNS_HOST_NAME, type='str', description='Host name sent in DHCP option 12.'),
            'dhcp_match': {
                'type': 'str', 'choices': ['mac', 'serial_number', 'client_identifier'], 'default': 'mac',
                'description': [
                    'What a DHCP record is keyed on: the MAC address, the serial number the client sends in option 12,',
                    'or the chassis serial number Junos OS Evolved sends in option 61.',
                ],
            },
        },
    },
    'ztp_file_server': {
        'type': 'dict',
        'description': 'Where devices fetch images, configurations and scripts over DHCP ZTP.',
        'options': {
            'address': {'type': 'str', 'ascii': True, 'required': True,
                        'description': 'IPv4 or IPv6 address of the server (no host names: devices do not resolve them).'},
            'transfer_mode': {'type': 'str', 'choices': list(TRANSFER_MODES), 'default': 'http', 'description': 'Protocol devices use.'},
            'port': {'type': 'int', 'description': 'Non-default HTTP or HTTPS port.'},
            'image_path': {'type': 'str', 'ascii': True, 'default': '/', 'description': 'Directory of the images on the server.'},
            'config_path': {'type': 'str', 'ascii': True, 'default': '/', 'description': 'Directory of configurations and scripts on the server.'},
        },
    },
    'ztp_dhcp_options': {
        'type': 'dict', 'default': {},
        'description': 'Optional network settings DHCP hands out.',
        'options': {
            'ntp_servers': {'type': 'list', 'elements': 'str', 'default': [], 'description': 'NTP server addresses (option 42).'},
            'syslog_servers': {'type': 'list', 'elements': 'str', 'default': [], 'description': 'Syslog server addresses (option 7).'},
            'proxy': {'type': 'str', 'ascii': True, 'description': 'HTTP proxy for the phone-home client, `address:port` (option 43 suboption 8).'},
        },
    },
    'ztp_phone_home': {
        'type': 'dict',
        'description': 'The phone-home server (PHS) this device is served by.',
        'options': {
            'server_url': {'type': 'str', 'ascii': True, 'required': True, 'description': 'Base HTTPS URL of the phone-home server.'},
            'backup_server_urls': {'type': 'list', 'elements': 'str', 'ascii': True, 'default': [],
                                   'description': 'Further phone-home servers (base HTTPS URLs, same trust anchor), listed after server_url '
                                                  'in redirect answers: a client that fails with one starts over with the next.'},
            'trust_anchor': {'type': 'path', 'controller_file': 'files',
                             'description': 'PEM certificate (on the controller) devices use to verify the server.'},
        },
    },
    'ztp_known_hosts_file': {
        'type': 'path', 'controller_file': 'files',
        'description': [
            'known_hosts file (on the controller) the NETCONF connection checks device host keys against, instead of `~/.ssh/known_hosts`.',
            'Host keys are checked unless `ansible_host_key_checking` is the boolean `false` for the host; Ansible\'s global',
            '`host_key_checking` setting (`ANSIBLE_HOST_KEY_CHECKING`, which AWX sets to False for every job) does not turn checking off.',
        ],
    },
    'ztp_extra_variables': {
        'type': 'list', 'elements': 'str', 'default': [],
        'description': [
            'Names of your own host variables that start with `ztp_`. Any other `ztp_*` variable that is not in this model is refused',
            'as a typo, with the closest known name suggested; a listed name is accepted, with a warning when it looks like a typo of a known name.',
        ],
    },
}

HOST_VARIABLES = tuple(DATA_MODEL)
VARIABLE_PREFIX = 'ztp_'  # any other host variable named so is taken for a typo (see ztp_extra_variables)

_HEX = re.compile(r'[0-9a-fA-F]+')
_URL = re.compile(r'^(https?|ftp|tftp)://[^/\s]+')


class Problem:
    """One thing wrong with one field of one host."""

    def __init__(self, host, field, message):
        self.host = host
        self.field = field
        self.message = message

    def __str__(self):
        return '%s: %s: %s' % (self.host, self.field, self.message)

    def __eq__(self, other):
        return isinstance(other, Problem) and (self.host, self.field, self.message) == (other.host, other.field, other.message)

    def __repr__(self):
        return 'Problem(%r, %r, %r)' % (self.host, self.field, self.message)

    def for_host(self, host):
        """The same problem found on a value another host shares (a group variable), named for that host."""
        return self if host == self.host else Problem(host, self.field, self.message)


class MissingLibraryError(Exception):
    """A Python library junos.ztp needs on the controller is not installed: not an inventory problem of any host."""


NETADDR_MISSING = ('junos.ztp needs the netaddr Python library on the Ansible controller (in the execution environment '
                   'under AWX): pip install netaddr, or pip install -r the collection\'s requirements.txt')


def require_netaddr():
    if not HAS_NETADDR:
        raise MissingLibraryError(NETADDR_MISSING)


class InventoryError(Exception):
    """Raised with every problem of a run at once."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__('%d inventory problem(s):\n%s' % (len(self.problems), '\n'.join('- %s' % p for p in self.problems)))


ELEMENT_RULES = ('ascii', 'pattern', 'pattern_description', 'choices')


@functools.lru_cache(maxsize=None)
def _pattern(text):
    return re.compile(text)


class _NotPlain(Exception):
    """A value the fast path does not vouch for: the full path (``_schema_problems``) decides, naming every problem."""


def _plain_text_check(spec):
    """A check of text that needs no coercion and breaks no text rule; the value is then its own normalized form."""
    control = _CONTROL_CHARACTER_MULTILINE if spec.get('multiline') else _CONTROL_CHARACTER
    ascii_only = spec.get('ascii')
    pattern = _pattern(spec['pattern']) if spec.get('pattern') else None
    expands = spec.get('type') == 'path'  # Ansible's path type expands ~ and $VARIABLES

    def check(value):
        if not isinstance(value, str) or not value or control.search(value) or (ascii_only and not value.isascii()) \
                or (pattern is not None and not pattern.fullmatch(value)) or (expands and ('$' in value or value.startswith('~'))):
            raise _NotPlain
        return value
    return check


def _plain_check(spec):
    """check(value) -> the normalized value, exactly what ``_schema_problems`` gives a value it finds no problem with; raises
    _NotPlain for anything else (a value with a problem, or one that needs coercion). Built once per spec: a fleet runs it
    for every host."""
    kind = spec.get('type')
    if kind == 'dict' and 'options' in spec:
        return _plain_mapping_check(spec['options'])
    if kind == 'list' and 'options' in spec:
        element = _plain_mapping_check(spec['options'])
    elif kind == 'list' and spec.get('elements') in _NATIVE_TYPES:
        element = _plain_check(dict({key: spec[key] for key in ELEMENT_RULES if key in spec}, type=spec['elements']))
    elif kind == 'list':
        element = None
    elif 'choices' in spec:
        choices = set(spec['choices'])
        native = _NATIVE_TYPES.get(kind)

        def check(value):
            if not _is_native(value, native) or value not in choices:
                raise _NotPlain
            return value
        return check
    elif kind in _TEXT_TYPES:
        return _plain_text_check(spec)
    else:
        native = _NATIVE_TYPES.get(kind)

        def check(value):
            if native is None or not _is_native(value, native):
                raise _NotPlain
            return value
        return check

    def check_list(value):
        if not isinstance(value, list) or element is None:
            raise _NotPlain
        return [element(item) for item in value]
    return check_list


def _is_native(value, native):
    """Whether a value is already of its spec's type (a bool is an int, but not an acceptable one)."""
    return isinstance(value, native) and isinstance(value, bool) == (native is bool)


def _plain_mapping_check(options):
    known = frozenset(options)
    required = [key for key, option in options.items() if option.get('required')]
    defaults = {key: _default(option) for key, option in options.items()}
    field_checks = {key: _plain_check(option) for key, option in options.items()}

    def check(value):
        if not isinstance(value, dict) or not value.keys() <= known or any(value.get(key) is None for key in required):
            raise _NotPlain
        normalized = defaults.copy()
        for key, item in value.items():
            if item is not None:
                normalized[key] = field_checks[key](item)
        return normalized
    return check


def _checked(host, field, spec, value):
    """(problems, normalized value) of one host variable: the fast path for a well-formed value, else the full path."""
    try:
        return [], _PLAIN_CHECKS[field](value)
    except _NotPlain:
        return _schema_problems(host, field, spec, value)


def _schema_problems(host, field, spec, value):
    """Validate one value against its spec; list elements one by one so every message names its index."""
    expected = {'list': list, 'dict': dict}.get(spec.get('type'))
    if expected and 'options' in spec and not isinstance(value, expected):
        return [Problem(host, field, 'must be a %s, got %s' % ('list' if expected is list else 'mapping', type(value).__name__))], None
    if spec.get('type') == 'list' and spec.get('elements') == 'dict' and isinstance(value, list):
        problems, normalized = [], []
        element_spec = spec.get('options', {})
        for index, element in enumerate(value):
            path = '%s[%d]' % (field, index)
            if not isinstance(element, dict):
                problems.append(Problem(host, path, 'must be a mapping, got %s' % type(element).__name__))
                continue
            element_problems, element_value = _validate_mapping(host, path, element_spec, element)
            problems.extend(element_problems)
            normalized.append(element_value)
        return problems, normalized
    if spec.get('type') == 'dict' and 'options' in spec and isinstance(value, dict):
        return _validate_mapping(host, field, spec['options'], value)
    if spec.get('type') == 'list' and spec.get('elements') in _NATIVE_TYPES and isinstance(value, list):
        problems, normalized = [], []
        # What the list's spec says of its text (ASCII, a pattern, choices) holds for each element.
        element_spec = dict({key: spec[key] for key in ELEMENT_RULES if key in spec}, type=spec['elements'])
        for index, element in enumerate(value):
            element_problems, element_value = _schema_problems(host, '%s[%d]' % (field, index), element_spec, element)
            problems.extend(element_problems)
            normalized.append(element_value)
        return problems, None if problems else normalized
    messages, normalized = _leaf(spec, value)
    # An invalid value normalizes to None so the cross-field checks can still run on the rest.
    return [Problem(host, field, message) for message in messages], None if messages else normalized


_NATIVE_TYPES = {'str': str, 'int': int, 'bool': bool}
_TEXT_TYPES = ('str', 'path')
# C0 and C1 control characters and DEL; a value ending in a newline would land in file names and DHCP text.
_CONTROL_CHARACTER = re.compile('[\x00-\x1f\x7f-\x9f]')
_CONTROL_CHARACTER_MULTILINE = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')  # the above but tab, newline and return
_UNQUOTED_YAML = {
    bool: 'YAML reads unquoted yes, no, true, false, on and off as booleans; quote the value',
    int: 'YAML reads unquoted digits as a number (a leading 0 can even make it octal: 012345 becomes 5349); quote the value',
    float: 'YAML reads an unquoted 21.4 as a number; quote the value',
}


def _loose_type_message(kind, value):
    """Why a value YAML typed loosely is refused where the spec wants text or an integer, or None."""
    if kind == 'int' and isinstance(value, bool):
        return 'must be an integer, got the boolean %s: %s' % (str(value).lower(), _UNQUOTED_YAML[bool])
    if kind in _TEXT_TYPES and isinstance(value, (bool, int, float)):
        what = 'boolean' if isinstance(value, bool) else 'number'
        # The first match: bool is also an int (and templated values may be subclasses).
        reason = next(text for kind_of_value, text in _UNQUOTED_YAML.items() if isinstance(value, kind_of_value))
        return 'must be text, got the %s %r: %s' % (what, value, reason)
    if kind in _TEXT_TYPES and isinstance(value, (list, dict)):
        return 'must be text, got a %s' % ('list' if isinstance(value, list) else 'mapping')
    return None


def _text_messages(spec, text):
    """What is wrong with a text value: empty, control characters, or not matching the spec's pattern."""
    if not text:
        return ['is empty']
    control = (_CONTROL_CHARACTER_MULTILINE if spec.get('multiline') else _CONTROL_CHARACTER).search(text)
    if control:
        return ['contains the control character %r; remove it (a trailing newline often comes from a YAML block scalar)' % control.group()]
    if spec.get('ascii') and not text.isascii():
        return ['must be ASCII (DHCP options and the device carry it as ASCII), got %r' % text]
    if spec.get('pattern') and not _pattern(spec['pattern']).fullmatch(text):
        return ['must be %s, got %r' % (spec['pattern_description'], text)]
    return []


def _leaf(spec, value):
    """(messages, normalized value) of a scalar or a list of scalars."""
    kind = spec.get('type')
    native = _NATIVE_TYPES.get(kind)
    # Values already of their type need no coercion; only choices are left to check. This keeps a
    # 10,000-host fleet fast (ArgumentSpecValidator costs ~50 us a call). (A bool is an int, but not an acceptable one.)
    if native is not None and _is_native(value, native) and value in spec.get('choices', (value,)):
        messages, normalized = [], value
    else:
        loose = _loose_type_message(kind, value)
        if loose:
            return [loose], None
        result = ArgumentSpecValidator({'value': spec}).validate({'value': value})
        # ArgumentSpecValidator names the argument itself; the Problem already names the field.
        messages = [m.replace("argument 'value' is ", 'is ').replace('value of value must be', 'must be') for m in result.error_messages]
        normalized = result.validated_parameters.get('value')
    if not messages and kind in _TEXT_TYPES and 'choices' not in spec:
        messages = _text_messages(spec, value)
    return messages, normalized


def _validate_mapping(host, path, options, value):
    """Validate a mapping option by option, recursing so nested lists keep their indexes."""
    problems, normalized = [], {}
    for key in sorted(set(value) - set(options)):
        problems.append(Problem(host, '%s.%s' % (path, key), 'unknown field; expected one of: %s' % ', '.join(sorted(options))))
    for key, option in options.items():
        sub_path = '%s.%s' % (path, key)
        if value.get(key) is None:
            if option.get('required'):
                problems.append(Problem(host, sub_path, 'is required'))
            normalized[key] = _default(option)
            continue
        sub_problems, normalized[key] = _schema_problems(host, sub_path, option, value[key])
        problems.extend(sub_problems)
    return problems, normalized


def _default(option):
    default = option.get('default')
    if default is None and option.get('type') == 'dict' and 'options' in option:
        return None
    return default


def validate_host(host, host_vars, shared=None, warnings=None):
    """Return (normalized ztp_* variables, problems) for one host's variables.

    ``shared`` (a dict the caller keeps for one fleet) remembers the result for each value object: a group
    variable reaches every host of the group as the same object and is checked once. Its normalized
    form is then shared by those hosts too: treat it as read-only. ``warnings``, a list, receives what
    is suspicious but allowed.
    """
    shared = {} if shared is None else shared
    problems, normalized = [], {}
    if not INVENTORY_HOST_NAME.fullmatch(host):
        problems.append(Problem(host, 'inventory_hostname', 'must be ASCII letters, digits, "_", ".", ":" or "-" (it names DHCP '
                                'configuration files and phone-home records), got %r' % host))
    for field, spec in DATA_MODEL.items():
        value = host_vars.get(field)
        if value is None:
            if spec.get('required'):
                problems.append(Problem(host, field, 'is required'))
            normalized[field] = _default(spec)
            continue
        entry = shared.get((field, id(value)))  # _once, inlined: this runs for every field of every host
        if entry is None or entry[0] is not value:
            entry = shared[(field, id(value))] = (value, _checked(host, field, spec, value))
        field_problems, normalized[field] = entry[1]
        if field_problems:
            problems.extend(problem.for_host(host) for problem in field_problems)
    problems.extend(_unknown_variable_problems(host, host_vars, normalized['ztp_extra_variables'] or [], warnings))
    problems.extend(_cross_field_problems(host, normalized, host_vars.get('ztp_members') is not None, shared))
    return normalized, problems


def _once(shared, name, value, compute, *args):
    """compute(*args), once per value object: a group variable reaches every host of the group as the same object. The object is
    kept in the memo too, so a freed object's reused id is never taken for it."""
    entry = shared.get((name, id(value)))
    if entry is None or entry[0] is not value:
        entry = shared[(name, id(value))] = (value, compute(*args))
    return entry[1]


def _unknown_variable_problems(host, host_vars, extra_variables, warnings):
    """A ztp_* variable the model does not know is a typo, unless the user lists it as their own."""
    problems = []
    for name in sorted(host_vars):
        if not name.startswith(VARIABLE_PREFIX) or name in DATA_MODEL:
            continue
        # Compared without the shared prefix, which would make every ztp_* name look alike.
        suffixes = [known[len(VARIABLE_PREFIX):] for known in HOST_VARIABLES]
        close = [VARIABLE_PREFIX + match for match in difflib.get_close_matches(name[len(VARIABLE_PREFIX):], suffixes, n=1)]
        if name not in extra_variables:
            hint = ' (did you mean %s?)' % close[0] if close else ''
            problems.append(Problem(host, name, 'is not a junos.ztp host variable%s; list your own ztp_* variables in ztp_extra_variables' % hint))
        elif close and warnings is not None:
            warnings.append('%s: %s: is listed in ztp_extra_variables but looks like a typo of %s' % (host, name, close[0]))
    return problems


# Forms netaddr certainly accepts, recognised without it (it costs ~20 us a value); anything else is netaddr's to judge.
PLAIN_IPV4 = re.compile(r'(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])')
_PLAIN_MAC = re.compile(r'[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}')


def _is_ip(text):
    if isinstance(text, str) and PLAIN_IPV4.fullmatch(text):
        return True
    try:
        netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False
    return True


def _is_mac(text):
    if isinstance(text, str) and _PLAIN_MAC.fullmatch(text):
        return True
    try:
        netaddr.EUI(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False
    return True


def _url_problems(host, field, url):
    problems = []
    if len(url) > MAX_URL_LENGTH:
        problems.append(Problem(host, field, 'is %d characters long; devices accept at most %d' % (len(url), MAX_URL_LENGTH)))
    if not _URL.match(url):
        problems.append(Problem(host, field, 'must be an http, https, ftp or tftp URL, got %r' % url))
    return problems


def _source_problems(host, field, source, required=True):
    problems = []
    if required and not source.get('local_path') and not source.get('url'):
        problems.append(Problem(host, field, 'needs local_path or url'))
    if source.get('url'):
        problems.extend(_url_problems(host, field + '.url', source['url']))
    return problems


def _member_problems(host, topology, mode, members, members_given):
    problems = []
    seen_ids, seen_serials = {}, {}
    for index, member in enumerate(members):
        path = 'ztp_members[%d]' % index
        member_id = member.get('member_id')
        if member_id is not None:
            if not 0 <= member_id <= MAX_MEMBER_ID:
                problems.append(Problem(host, path + '.member_id', 'must be 0 to %d, got %d' % (MAX_MEMBER_ID, member_id)))
            elif member_id in seen_ids:
                problems.append(Problem(host, path + '.member_id', 'member ID %d is also used by ztp_members[%d]' % (member_id, seen_ids[member_id])))
            seen_ids.setdefault(member_id, index)
        serial = member['serial_number']
        if serial and serial in seen_serials:
            problems.append(Problem(host, path + '.serial_number', 'serial number %s is also used by ztp_members[%d]' % (serial, seen_serials[serial])))
        seen_serials.setdefault(serial, index)
        priority = member.get('mastership_priority')
        if priority is not None and not 0 <= priority <= 255:
            problems.append(Problem(host, path + '.mastership_priority', 'must be 0 to 255, got %d' % priority))
        if member.get('role') == 'line-card' and priority not in (None, 0):
            problems.append(Problem(host, path + '.mastership_priority', 'a line-card member has mastership priority 0, got %d' % priority))
        if member.get('mac_address') and not _is_mac(member['mac_address']):
            problems.append(Problem(host, path + '.mac_address', 'is not a MAC address: %r' % member['mac_address']))
        if topology == 'full':
            for key in ('member_id', 'model'):
                if member.get(key) is None:
                    problems.append(Problem(host, '%s.%s' % (path, key), 'is required with ztp_topology: full'))
    if topology == 'none' and len(members) > 1:
        problems.append(Problem(host, 'ztp_members', 'a standalone device (ztp_topology: none) has exactly one member, got %d' % len(members)))
    if topology == 'none' and members_given and not members:
        problems.append(Problem(host, 'ztp_members', 'is empty: a standalone device (ztp_topology: none) has exactly one member'))
    if topology != 'none' and not members:
        problems.append(Problem(host, 'ztp_members', 'a Virtual Chassis needs at least one member serial number to key its records'))
    if len(members) > MAX_MEMBERS:
        problems.append(Problem(host, 'ztp_members', 'a Virtual Chassis has at most %d members, got %d' % (MAX_MEMBERS, len(members))))
    routing_engines = ['ztp_members[%d]' % index for index, member in enumerate(members) if member.get('role') == 'routing-engine']
    if len(routing_engines) > MAX_ROUTING_ENGINES:
        problems.append(Problem(host, 'ztp_members', 'at most %d members have role routing-engine (the primary and the backup), got %d: %s'
                                % (MAX_ROUTING_ENGINES, len(routing_engines), ', '.join(routing_engines))))
    if mode == 'strict' and topology != 'full':
        problems.append(Problem(host, 'ztp_provisioning_mode', 'strict needs the full topology (ztp_topology: full), got ztp_topology: %s' % topology))
    return problems


def _image_problems(host, software):
    problems = []
    for index, image in enumerate(software['images'] or []):
        path = 'ztp_software.images[%d]' % index
        problems.extend(_source_problems(host, path, image))
        for algorithm, length in CHECKSUM_LENGTHS.items():
            value = image.get(algorithm)
            if value is not None and (len(value) != length or not _HEX.fullmatch(value)):
                problems.append(Problem(host, '%s.%s' % (path, algorithm), 'must be %d hex digits, got %r' % (length, value)))
        if not any(image.get(algorithm) for algorithm in CHECKSUM_LENGTHS):
            problems.append(Problem(host, path, 'needs a checksum (sha256 preferred, md5 or sha1 accepted)'))
    return problems


def _model_problems(host, software, members, shared):
    problems = []
    matched = _once(shared, 'ztp_software models', software, dict)  # model -> whether an image matches it
    for index, member in enumerate(members):
        model = member.get('model')
        if model and model not in matched:
            matched[model] = image_for_model(software, model) is not None
        if model and not matched[model]:
            problems.append(Problem(host, 'ztp_members[%d].model' % index, 'no image in ztp_software.images matches model %s' % model))
    return problems


def _configuration_problems(host, configuration, bootstrap_method):
    content = configuration.get('content')
    if content and configuration.get('template'):
        return [Problem(host, 'ztp_configuration', 'give content or template, not both')]
    if not content:
        if not configuration.get('template'):
            return [Problem(host, 'ztp_configuration', 'needs content or template')]
        return []
    return [Problem(host, 'ztp_configuration.content', message) for message in configuration_format_problems(content, bootstrap_method)]


def configuration_format_problems(text, bootstrap_method):
    """What is wrong with a configuration's content or rendered template for the host's bootstrap method.

    DHCP ZTP loads a file that is not a script as Junos text configuration (ZTP document), phone-home takes
    Junos XML. Text configuration cannot be parsed here without the device's schema: XML is refused, the rest
    is left to the device's commit.
    """
    if bootstrap_method == 'dhcp-ztp':
        if is_script(text):
            return []
        if not text.strip():
            return ['is empty']
        if is_xml(text):
            return ['is Junos XML; DHCP ZTP loads the configuration file as Junos text configuration (curly braces), '
                    'so XML would not commit and ZTP would restart forever: give text, or use phone-home for XML']
        return []
    if is_script(text):
        return ['is a script (%s); phone-home takes only Junos XML configuration' % text.splitlines()[0]]
    if text.strip() and not is_xml(text):
        return ['is not Junos XML; phone-home takes Junos XML rooted at <configuration> (text configuration is for dhcp-ztp)']
    return junos_xml_problems(text)


def is_xml(text):
    """True when the text is XML rather than Junos text configuration (which never starts with "<")."""
    return text.lstrip().startswith('<')


def is_script(content):
    """True when Junos treats the file as a script: its first line is #! and an interpreter path (ZTP document)."""
    return content.startswith('#!/')


def junos_xml_problems(text):
    """Problems with a Junos XML configuration document (empty when it is well formed and rooted at <configuration>)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return ['is not well-formed XML: %s' % exc]
    if root.tag != 'configuration':
        return ['must be rooted at <configuration>, got <%s>' % root.tag]
    return []


def _cross_field_problems(host, model, members_given, shared):
    """The rules that tie fields together. A check of one field's value alone runs once per value object (``_shared_problems``)."""
    topology = model['ztp_topology']
    members = model['ztp_members'] or []
    problems = _member_problems(host, topology, model['ztp_provisioning_mode'], members, members_given)
    if (model['ztp_member_detection_timeout'] or 1) <= 0:
        problems.append(Problem(host, 'ztp_member_detection_timeout', 'must be a positive number of seconds'))
    software, configuration, method = model['ztp_software'], model['ztp_configuration'], model['ztp_bootstrap_method']
    if software:
        problems.extend(_shared_problems(shared, host, 'ztp_software images', software, _image_problems))
        problems.extend(_model_problems(host, software, members, shared))
    if configuration:
        problems.extend(_shared_problems(shared, host, 'ztp_configuration ' + str(method), configuration, _configuration_problems, method))
    if model['ztp_scripts']:
        problems.extend(_shared_problems(shared, host, 'ztp_scripts', model['ztp_scripts'], _script_problems))
    if method == 'dhcp-ztp' and topology != 'none':
        problems.append(Problem(host, 'ztp_bootstrap_method', 'dhcp-ztp does not support a Virtual Chassis (ztp_topology: %s); use phone-home' % topology))
    management = model['ztp_management'] or {}
    for key in ('ipv4_address', 'ipv6_address'):
        address = management.get(key)
        if address and not _is_ip(address):
            problems.append(Problem(host, 'ztp_management.%s' % key, 'is not an IP address: %r' % address))
    for field, check in (('ztp_file_server', _file_server_problems), ('ztp_dhcp_options', _dhcp_options_problems),
                         ('ztp_phone_home', _phone_home_problems)):
        if model[field]:
            problems.extend(_shared_problems(shared, host, field + ' rules', model[field], check))
    return problems


def _shared_problems(shared, host, name, value, check, *args):
    """check(host, value, *args), once per value object (see ``_once``), its problems named for this host."""
    found = _once(shared, name, value, check, host, value, *args)
    return [problem.for_host(host) for problem in found] if found else ()


def _script_problems(host, scripts):
    problems = []
    for stage in ('pre', 'post'):
        if scripts.get(stage):
            problems.extend(_source_problems(host, 'ztp_scripts.%s' % stage, scripts[stage]))
    return problems


def _file_server_problems(host, file_server):
    if file_server['address'] and not _is_ip(file_server['address']):
        return [Problem(host, 'ztp_file_server.address', 'must be an IP address (devices do not resolve names), got %r' % file_server['address'])]
    return []


def _dhcp_options_problems(host, dhcp_options):
    return [Problem(host, 'ztp_dhcp_options.%s[%d]' % (key, index), 'is not an IP address: %r' % address)
            for key in ('ntp_servers', 'syslog_servers') for index, address in enumerate(dhcp_options.get(key) or []) if not _is_ip(address)]


def _phone_home_problems(host, phone_home):
    problems = []
    if phone_home['server_url'] and not phone_home['server_url'].startswith('https://'):
        problems.append(Problem(host, 'ztp_phone_home.server_url', 'must be an https:// URL, got %r' % phone_home['server_url']))
    for index, url in enumerate(phone_home.get('backup_server_urls') or []):
        if not url.startswith('https://'):
            problems.append(Problem(host, 'ztp_phone_home.backup_server_urls[%d]' % index, 'must be an https:// URL, got %r' % url))
    return problems


def image_for_model(software, model):
    """The first image of ztp_software whose models patterns match the model, or None."""
    for image in software['images'] or []:
        if any(fnmatch.fnmatch(model.lower(), pattern.lower()) for pattern in image['models'] or []):
            return image
    return None


def _fleet_problems(models):
    problems, owners = [], {}
    for host, model in models.items():
        for index, member in enumerate(model['ztp_members'] or []):
            if not member['serial_number']:
                continue
            owner = owners.setdefault(member['serial_number'], (host, index))
            if owner[0] != host:
                problems.append(Problem(host, 'ztp_members[%d].serial_number' % index,
                                        'serial number %s is also used by host %s' % (member['serial_number'], owner[0])))
    return problems


def controller_files(model):
    """(field, search directory, path) of every controller file a normalized model names, in model order."""
    def walk(field, spec, value):
        if value is None:
            return
        if spec.get('controller_file'):
            yield field, spec['controller_file'], value
        elif spec.get('type') == 'list' and 'options' in spec:
            for index, element in enumerate(value):
                for key, option in spec['options'].items():
                    yield from walk('%s[%d].%s' % (field, index, key), option, element.get(key))
        elif spec.get('type') == 'dict' and 'options' in spec:
            for key, option in spec['options'].items():
                yield from walk('%s.%s' % (field, key), option, value.get(key))
    for field, spec in DATA_MODEL.items():
        yield from walk(field, spec, model.get(field))


def _file_problems(models, find_file):
    """Each controller file must be there before any device is touched; find_file(directory, path) says what is wrong, or None."""
    problems, verdicts = [], {}
    for host, model in models.items():
        for field, directory, path in controller_files(model):
            key = (directory, path)
            if key not in verdicts:
                verdicts[key] = find_file(directory, path)
            if verdicts[key]:
                problems.append(Problem(host, field, verdicts[key]))
    return problems


def validate_fleet(hosts_vars, find_file=None, warnings=None):
    """Validate every host's ztp_* variables; raise InventoryError listing every problem of every host.

    ``hosts_vars`` maps host name to that host's variables. Returns host name -> normalized model.
    ``find_file(directory, path)``, given by controller-side callers, checks every file the models name
    (see ``controller_files``); ``warnings``, a list, receives what is suspicious but allowed.
    """
    require_netaddr()
    models, problems, shared = {}, [], {}
    for host in sorted(hosts_vars):
        models[host], host_problems = validate_host(host, hosts_vars[host], shared, warnings)
        problems.extend(host_problems)
    problems.extend(_fleet_problems(models))
    if find_file is not None:
        problems.extend(_file_problems(models, find_file))
    if problems:
        raise InventoryError(problems)
    return models


_PLAIN_CHECKS = {field: _plain_check(spec) for field, spec in DATA_MODEL.items()}

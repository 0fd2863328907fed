# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of junos.ztp.vc_upgrade: the orchestration runs here, on the controller, so progress shows live."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.junos.ztp.plugins.module_utils._connection import CONNECTION_ARGUMENT_SPEC, HAS_PYEZ, PYEZ_IMPORT_ERROR
from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_host
from ansible_collections.junos.ztp.plugins.module_utils._image_stage import HAS_TRANSFER_LIBRARIES, SOURCES, TRANSFER_IMPORT_ERROR
from ansible_collections.junos.ztp.plugins.module_utils._vc_upgrade import (
    CONFIG_IMPORT_ERROR, HAS_CONFIG_LIBRARIES, NOTIFICATION_CONTENT_TYPE, PyezOperations, VcUpgrade, describe_member, notification_body)
from ansible_collections.junos.ztp.plugins.plugin_utils._device_action import DeviceActionBase

display = Display()

ARGUMENT_SPEC = dict(
    CONNECTION_ARGUMENT_SPEC,
    software={'type': 'dict'},
    members={'type': 'list', 'elements': 'dict'},
    topology={'type': 'str', 'choices': ['none', 'minimum', 'full']},
    provisioning_mode={'type': 'str', 'choices': ['default', 'strict']},
    member_detection_timeout={'type': 'int'},
    install_timeout={'type': 'int', 'default': 1800},
    validate={'type': 'bool', 'default': True},
    image_source={'type': 'str', 'choices': list(SOURCES), 'default': 'auto'},
    notification_url={'type': 'str'},
    notification_ca_path={'type': 'path'},
)
NOTIFICATION_TIMEOUT = 10
MAX_CONSECUTIVE_FAILURES = 3


class Notifier:
    """POSTs each event to the phone-home server as the phone-home client would; a failed POST is a warning, never a failure.

    After MAX_CONSECUTIVE_FAILURES failures in a row the server is taken to be down and the remaining events are not
    posted, so that an unreachable server costs at most that many timeouts, not one per event.
    """

    def __init__(self, base_url, ca_path):
        self.base_url = base_url.rstrip('/')
        self.ca_path = ca_path
        self.failures = []
        self.consecutive_failures = 0
        self.skipped = 0

    def post(self, event):
        if self.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
            self.skipped += 1
            return
        serial = event.get('reporter') or event.get('serial_number')
        url = '%s/device=%s/notification' % (self.base_url, serial)
        try:
            # The phone-home protocol's authentication: the serial number as user name, an empty password.
            open_url(url, data=notification_body(event), method='POST', headers={'Content-Type': NOTIFICATION_CONTENT_TYPE},
                     url_username=serial, url_password='', force_basic_auth=True, validate_certs=True, ca_path=self.ca_path,
                     timeout=NOTIFICATION_TIMEOUT)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # urllib, ssl and socket each raise their own errors; none of them may stop an upgrade half-way.
            self.failures.append('%s to %s: %s' % (event['type'], url, exc))
            self.consecutive_failures += 1
        else:
            self.consecutive_failures = 0

    def warnings(self):
        if not self.failures:
            return []
        skipped = '; %d more were not attempted after %d failures in a row' % (self.skipped, MAX_CONSECUTIVE_FAILURES) if self.skipped else ''
        return ['%d notification(s) could not be posted (the first: %s)%s' % (len(self.failures), self.failures[0], skipped)]


def progress_line(host, event):
    """``ams1-vc1 | member 2 (PE…, Linecard) | vc-member-image-installed | Successfully installed …``."""
    text = event['message'] + (' (%s)' % event['detail'] if event.get('detail') else '')
    return ' | '.join((host, describe_member(event) or 'virtual chassis', event['type'], text))


class ActionModule(DeviceActionBase):
    """Upgrade in-process instead of running a module: the run lasts many minutes and reports each step as it happens."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    # Option -> the data-model host variable it defaults to.
    HOST_VARIABLE_DEFAULTS = {
        'software': 'ztp_software',
        'members': 'ztp_members',
        'topology': 'ztp_topology',
        'provisioning_mode': 'ztp_provisioning_mode',
        'member_detection_timeout': 'ztp_member_detection_timeout',
    }

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        # DeviceActionBase.run would execute the module; this plugin does the work itself.
        result = ActionBase.run(self, tmp, task_vars)
        host = task_vars.get('inventory_hostname', '?')
        if not (HAS_PYEZ and HAS_TRANSFER_LIBRARIES and HAS_CONFIG_LIBRARIES):
            return dict(result, failed=True, msg='junos.ztp.vc_upgrade needs junos-eznc, ncclient, lxml, paramiko and scp on the controller: %s'
                        % (PYEZ_IMPORT_ERROR or TRANSFER_IMPORT_ERROR or CONFIG_IMPORT_ERROR))
        params, problems = self._parameters(host, task_vars)
        if problems:
            return dict(result, failed=True, msg='; '.join(problems))

        # Check mode changes nothing, on the phone-home server either.
        posting = params['notification_url'] and not self._task.check_mode
        notifier = Notifier(params['notification_url'], params['notification_ca_path']) if posting else None

        def emit(event):
            display.display(progress_line(host, event))
            if notifier is not None:
                notifier.post(event)

        try:
            device_options = self.device_options(params)
        except AnsibleError as exc:
            return dict(result, failed=True, msg='%s: %s' % (host, exc))
        ops = PyezOperations(device_options, install_timeout=params['install_timeout'],
                             cache_dir=self.digest_cache_dir(), source=params['image_source'],
                             report=lambda message: display.display('%s | %s' % (host, message)))
        upgrade = VcUpgrade(ops, params['software'], mode=params['provisioning_mode'], detection_timeout=params['member_detection_timeout'],
                            emit=emit, check_mode=self._task.check_mode, validate=params['validate'])
        result.update(upgrade.run(params['members'] or [], params['topology']))
        if notifier is not None and notifier.warnings():
            result['warnings'] = result.get('warnings', []) + notifier.warnings()
        return result

    def _parameters(self, host, task_vars):
        """Task arguments, with the data model's host variables as defaults; every problem at once."""
        params, messages = self.in_process_parameters(task_vars, ARGUMENT_SPEC)
        problems = ['%s: %s' % (host, message) for message in messages]
        if problems:
            return params, problems
        if params['notification_ca_path']:
            try:
                params['notification_ca_path'] = self.find_controller_file('files', params['notification_ca_path'])
            except AnsibleError as exc:
                problems.append('%s: notification_ca_path: %s' % (host, exc))
        if params['software'] is None:
            problems.append('%s: software is not given and the host has no ztp_software' % host)
        if params['install_timeout'] <= 0:
            problems.append('%s: install_timeout must be a positive number of seconds, got %d' % (host, params['install_timeout']))
        if params['notification_url'] and not params['notification_url'].startswith('https://'):
            problems.append('%s: notification_url must be an https:// URL (the phone-home server), got %r' % (host, params['notification_url']))
        model, data_model_problems = validate_host(host, {variable: params[option] for option, variable in self.HOST_VARIABLE_DEFAULTS.items()})
        problems += [str(problem) for problem in data_model_problems]
        for option, variable in self.HOST_VARIABLE_DEFAULTS.items():
            params[option] = model[variable]
        return params, problems

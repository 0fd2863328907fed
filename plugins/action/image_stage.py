# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of junos.ztp.image_stage: the work runs here, on the controller, so progress shows live."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC, HAS_PYEZ, PYEZ_IMPORT_ERROR, DeviceConnectionError, open_device)
from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_host
from ansible_collections.junos.ztp.plugins.module_utils._image_stage import (
    ALGORITHMS, DEVICE_ERRORS, HAS_TRANSFER_LIBRARIES, SOURCES, TRANSFER_IMPORT_ERROR, ImageStager, StageError)
from ansible_collections.junos.ztp.plugins.plugin_utils._device_action import DeviceActionBase

display = Display()

ARGUMENT_SPEC = dict(
    CONNECTION_ARGUMENT_SPEC,
    software={'type': 'dict'},
    source={'type': 'str', 'choices': list(SOURCES), 'default': 'auto'},
    destination_dir={'type': 'str', 'default': '/var/tmp'},
    checksum_algorithm={'type': 'str', 'choices': ['auto'] + list(ALGORITHMS), 'default': 'auto'},
    cleanup={'type': 'bool', 'default': False},
    retries={'type': 'int', 'default': 3},
    retry_delay={'type': 'float', 'default': 5.0},
    transfer_timeout={'type': 'int', 'default': 3600},
)


def _option_problems(params):
    problems = []
    if params['retries'] < 0:
        problems.append('retries must be 0 or more, got %d' % params['retries'])
    if params['retry_delay'] < 0:
        problems.append('retry_delay must be 0 or more, got %s' % params['retry_delay'])
    if params['transfer_timeout'] <= 0:
        problems.append('transfer_timeout must be a positive number of seconds, got %d' % params['transfer_timeout'])
    if not params['destination_dir'].startswith('/'):
        problems.append('destination_dir must be an absolute path on the device, got %r' % params['destination_dir'])
    return problems


class ActionModule(DeviceActionBase):
    """Stage the images in-process instead of running a module: one digest per file per run, live progress."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    HOST_VARIABLE_DEFAULTS = {'software': 'ztp_software'}

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        # DeviceActionBase.run would execute the module; this plugin does the work itself.
        result = ActionBase.run(self, tmp, task_vars)
        host = task_vars.get('inventory_hostname', '?')
        if not (HAS_PYEZ and HAS_TRANSFER_LIBRARIES):
            return dict(result, failed=True, msg='junos.ztp.image_stage needs junos-eznc, ncclient, paramiko and scp on the controller: %s'
                        % (PYEZ_IMPORT_ERROR or TRANSFER_IMPORT_ERROR))
        params, messages = self.in_process_parameters(task_vars, ARGUMENT_SPEC)
        problems = ['%s: %s' % (host, message) for message in messages]
        software = None
        if not problems:
            problems = _option_problems(params)
            if params['software'] is None:
                problems.append('%s: software is not given and the host has no ztp_software' % host)
            else:
                # The data model's normalized form: every key present, local paths expanded.
                model, software_problems = validate_host(host, {'ztp_software': params['software']})
                problems += [str(problem) for problem in software_problems]
                software = None if software_problems else self._found_images(host, model['ztp_software'], problems)
        if problems:
            return dict(result, failed=True, msg='; '.join(problems))

        try:
            connection = self.device_options(params)
        except AnsibleError as exc:
            return dict(result, failed=True, msg='%s: %s' % (host, exc))
        stager = ImageStager(
            connect=lambda: open_device(connection),
            report=lambda message: display.display('%s: %s' % (host, message)),
            check_mode=self._task.check_mode, retries=params['retries'], retry_delay=params['retry_delay'],
            transfer_timeout=params['transfer_timeout'], cleanup=params['cleanup'])
        try:
            result.update(stager.run(software, params['destination_dir'], params['source'],
                                     params['checksum_algorithm'], self.digest_cache_dir()))
        except (StageError, DeviceConnectionError) as exc:
            return dict(result, failed=True, changed=stager.changed, msg=str(exc))
        except DEVICE_ERRORS as exc:
            return dict(result, failed=True, changed=stager.changed, msg='%s: %s: %s' % (host, exc.__class__.__name__, exc))
        return result

    def _found_images(self, host, software, problems):
        """ztp_software with each local_path found on the controller like validate_inventory found it (a copy: the model is shared)."""
        images = []
        for index, image in enumerate(software['images']):
            if image.get('local_path'):
                try:
                    image = dict(image, local_path=self.find_controller_file('files', image['local_path']))
                except AnsibleError as exc:
                    problems.append('%s: ztp_software.images[%d].local_path: %s' % (host, index, exc))
            images.append(image)
        return dict(software, images=images)

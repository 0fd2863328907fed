# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate every host's ztp_* variables at once, before any device is touched or file written."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    HOST_VARIABLES,
    VARIABLE_PREFIX,
    InventoryError,
    MissingLibraryError,
    validate_fleet,
)
from ansible_collections.junos.ztp.plugins.plugin_utils._controller_files import ControllerFiles
from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables


class ActionModule(ControllerFiles, ActionBase):
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec={'hosts': {'type': 'list', 'elements': 'str'}})[1]
        hosts = args['hosts'] or task_vars['ansible_play_hosts_all']
        unknown = sorted(set(hosts) - set(task_vars['hostvars']))
        if unknown:
            return dict(result, failed=True, msg='hosts not in the inventory: %s' % ', '.join(unknown))
        warnings = []
        try:
            models = validate_fleet(fleet_variables(task_vars['hostvars'], hosts, HOST_VARIABLES, self._templar, prefix=VARIABLE_PREFIX),
                                    find_file=self.controller_file_problem, warnings=warnings)
        except InventoryError as exc:
            return dict(result, failed=True, msg=str(exc), problems=[str(problem) for problem in exc.problems])
        except MissingLibraryError as exc:
            return dict(result, failed=True, msg=str(exc))
        result.update(changed=False, hosts=sorted(models), msg='%d host(s) valid' % len(models))
        if warnings:
            result['warnings'] = warnings
        return result

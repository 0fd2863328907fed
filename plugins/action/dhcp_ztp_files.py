# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Publish what DHCP ZTP hosts fetch: each host's configuration, rendered on the controller, under the file server's directory.

Like dhcp_config: every host's variables are read once and the fleet validated; then every configuration is
read or rendered and checked before the first file is written, atomically, and only where its content changed.
"""

from __future__ import annotations

import gc
import os

from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    HOST_VARIABLES, VARIABLE_PREFIX, InventoryError, MissingLibraryError, validate_fleet)
from ansible_collections.junos.ztp.plugins.module_utils._ztp_files import hosts_with_files, plan_publications, publish
from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables
from ansible_collections.junos.ztp.plugins.plugin_utils._paths import controller_path
from ansible_collections.junos.ztp.plugins.plugin_utils._templates import TemplateRendering

ARGUMENT_SPEC = {
    'root': {'type': 'path', 'required': True},
    'hosts': {'type': 'list', 'elements': 'str'},
}


class ActionModule(TemplateRendering, ActionBase):
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        gc.freeze()   # as dhcp_config: the worker inherited the whole inventory and ends with the task
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        root = controller_path(self._loader, args['root'])
        hostvars = task_vars['hostvars']
        hosts = args['hosts'] if args['hosts'] is not None else task_vars['ansible_play_hosts_all']
        unknown = sorted(set(hosts) - set(hostvars))
        if unknown:
            return dict(result, failed=True, msg='hosts not in the inventory: %s' % ', '.join(unknown))
        if not os.path.isdir(root):
            return dict(result, failed=True, msg='root %s is not a directory on the controller (the directory the file server serves)' % root)
        warnings = []
        try:
            models = validate_fleet(fleet_variables(hostvars, hosts, HOST_VARIABLES, self._templar, prefix=VARIABLE_PREFIX),
                                    find_file=self.controller_file_problem, warnings=warnings)
        except InventoryError as exc:
            return dict(result, failed=True, msg=str(exc), problems=[str(problem) for problem in exc.problems])
        except MissingLibraryError as exc:
            return dict(result, failed=True, msg=str(exc))
        problems, texts = [], {}
        for host in hosts_with_files(models):
            texts[host] = self.host_configuration(host, models[host]['ztp_configuration'], hostvars, task_vars, problems)
        templated = {host for host in texts if not models[host]['ztp_configuration'].get('content')}
        publications, plan_problems = plan_publications(root, models, texts, templated)
        problems.extend(plan_problems)
        if warnings:
            result['warnings'] = warnings
        if problems:
            error = InventoryError(problems)
            return dict(result, failed=True, changed=False, msg='%s\nNo file was written.' % error, problems=[str(p) for p in problems])
        changed = [publication for publication in publications if publication.changed]
        result.update(root=root, changed=bool(changed), files={p.host: p.dest for p in publications}, changed_files=[p.dest for p in changed])
        if self._task.diff and changed:
            result['diff'] = [publication.diff() for publication in changed]
        if changed and not self._task.check_mode:
            try:
                publish(changed)
            except OSError as exc:
                return dict(result, failed=True, msg='could not write under %s: %s' % (root, exc))
        result['msg'] = '%s: %d DHCP ZTP file(s), %d changed' % (root, len(publications), len(changed))
        return result

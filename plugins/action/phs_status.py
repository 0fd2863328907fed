# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find junos.ztp.phs_status's ca_path like every file a junos.ztp job reads (plugin_utils/_controller_files.py), then run the module."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.plugin_utils._controller_files import ControllerFiles


class ActionModule(ControllerFiles, ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        if module_args.get('ca_path'):
            try:
                module_args['ca_path'] = self.find_controller_file('files', str(module_args['ca_path']))
            except AnsibleError as exc:
                return dict(result, failed=True, msg='ca_path: %s' % exc)
        result.update(self._execute_module(module_args=module_args, task_vars=task_vars))
        return result

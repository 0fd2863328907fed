# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve junos.ztp.phs_status's ca_path like every junos.ztp path (plugin_utils/_paths.py), then run the module."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.plugin_utils._paths import controller_path


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        if module_args.get('ca_path'):
            module_args['ca_path'] = controller_path(self._loader, os.path.expanduser(str(module_args['ca_path'])))
        result.update(self._execute_module(module_args=module_args, task_vars=task_vars))
        return result

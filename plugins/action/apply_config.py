# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fill junos.ztp.apply_config's options from the host's variables, render its template, then run the module."""

from __future__ import annotations

from ansible.errors import AnsibleError

from ansible_collections.junos.ztp.plugins.plugin_utils._device_action import DeviceActionBase
from ansible_collections.junos.ztp.plugins.plugin_utils._templates import TemplateRendering


class ActionModule(TemplateRendering, DeviceActionBase):

    def module_args(self, task_vars):
        """The task's arguments, with configuration, action and scripts taken from ztp_configuration / ztp_scripts when not given."""
        args = dict(self._task.args)
        configuration = self._host_variable(task_vars, 'ztp_configuration')
        if args.get('configuration') is None:
            if configuration.get('content'):
                args['configuration'] = configuration['content']
            elif configuration.get('template'):
                args['configuration'] = self.render_template(configuration['template'], task_vars)
            else:
                raise AnsibleError('no configuration: give the configuration option or the host variable ztp_configuration (content or template)')
        if args.get('action') is None and configuration.get('action'):
            args['action'] = configuration['action']
        scripts = self._host_variable(task_vars, 'ztp_scripts')
        for stage in ('pre', 'post'):
            option = '%s_scripts' % stage
            if args.get(option) is None:
                source = scripts.get(stage) or {}
                if source.get('url') and not source.get('local_path'):
                    raise AnsibleError('ztp_scripts.%s has only a url; apply_config runs scripts from the controller, give local_path' % stage)
                args[option] = [source['local_path']] if source.get('local_path') else []
            args[option] = [self.find_controller_file('files', path) for path in args[option]]
        return args

    def _host_variable(self, task_vars, name):
        value = task_vars.get(name)
        return self._templar.template(value) if value is not None else {}

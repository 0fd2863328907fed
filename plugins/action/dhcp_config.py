# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render one DHCP server file for the whole fleet on the controller: one task, however many hosts.

Every host's variables are read once; the fleet is validated, rendered in plain Python, checked by
the real server (dhcpd -t, kea-dhcp4 -t, ...) and only then written, atomically, with a backup.
"""

from __future__ import annotations

import gc

from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.module_utils._data_model import HOST_VARIABLES, VARIABLE_PREFIX, InventoryError, MissingLibraryError
from ansible_collections.junos.ztp.plugins.module_utils._dhcp import OUTPUTS, Settings, build_plan
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_output import check_with_server, read_current, write_atomically
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_render import render
from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables
from ansible_collections.junos.ztp.plugins.plugin_utils._paths import controller_path

ARGUMENT_SPEC = {
    'output': {'type': 'str', 'required': True, 'choices': list(OUTPUTS)},
    'dest': {'type': 'path', 'required': True},
    'hosts': {'type': 'list', 'elements': 'str'},
    'subnets': {'type': 'list', 'elements': 'dict', 'default': [], 'options': {
        'subnet': {'type': 'str', 'required': True},
        'pools': {'type': 'list', 'elements': 'str', 'default': []},
        'routers': {'type': 'list', 'elements': 'str', 'default': []},
        'interface': {'type': 'str'},
        'id': {'type': 'int'},
    }},
    'interfaces': {'type': 'list', 'elements': 'str'},
    'model_classes': {'type': 'list', 'elements': 'str', 'default': []},
    'file_server_options': {'type': 'list', 'elements': 'int', 'choices': [150, 66], 'default': [150]},
    'image_suboptions': {'type': 'list', 'elements': 'str', 'choices': ['00', '04'], 'default': ['00']},
    'v6_image_options': {'type': 'list', 'elements': 'str', 'choices': ['59', '17'], 'default': ['59']},
    'validate': {'type': 'bool', 'default': True},
    'backup': {'type': 'bool', 'default': True},
}


class ActionModule(ActionBase):
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        # This worker process inherited the whole inventory: keep the garbage collector from walking it again and
        # again while the fleet is validated (half the task's time for 10,000 hosts). The worker ends with the task.
        gc.freeze()
        # What the task builds is trees, not cycles: no collection at all while it works (another 10 % for 10,000 hosts).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run(tmp, task_vars)
        finally:
            if collecting:
                gc.enable()

    def _run(self, tmp, task_vars):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        args['dest'] = controller_path(self._loader, args['dest'])
        hostvars = task_vars['hostvars']
        hosts = args['hosts'] if args['hosts'] is not None else task_vars['ansible_play_hosts_all']
        unknown = sorted(set(hosts) - set(hostvars))
        if unknown:
            return dict(result, failed=True, msg='hosts not in the inventory: %s' % ', '.join(unknown))
        settings = Settings(args['output'], subnets=args['subnets'], interfaces=args['interfaces'], model_classes=args['model_classes'],
                            file_server_options=args['file_server_options'], image_suboptions=args['image_suboptions'],
                            v6_image_options=args['v6_image_options'])
        warnings = []
        try:
            plan = build_plan(fleet_variables(hostvars, hosts, HOST_VARIABLES, self._templar, prefix=VARIABLE_PREFIX), settings,
                              warnings=warnings)
        except InventoryError as exc:
            return dict(result, failed=True, msg=str(exc), problems=[str(problem) for problem in exc.problems])
        except MissingLibraryError as exc:
            return dict(result, failed=True, msg=str(exc))
        text = render(plan)
        output = plan.output
        result.update(dest=args['dest'], output=output.name, service=output.service, records=len(plan.records),
                      hosts=len({record.host for record in plan.records}), ztp_files=plan.ztp_files)
        if warnings + plan.warnings:
            result['warnings'] = warnings + plan.warnings
        if args['hosts'] is None and task_vars.get('ansible_limit'):
            result.setdefault('warnings', []).append('--limit %s: %s holds the records of the limited hosts only'
                                                     % (task_vars['ansible_limit'], args['dest']))
        if args['validate']:
            check = check_with_server(output, text)
            result['validated_with'] = check.command
            if check.notes:
                result.setdefault('warnings', []).extend('%s: %s' % (check.command, note) for note in check.notes)
            if not check.ok:
                return dict(result, failed=True, changed=False, msg='%s refused the rendered %s file, so %s was not written:\n%s'
                            % (check.command, output.name, args['dest'], check.message))
        failure = self._replace(result, args['dest'], text, args['backup'])
        if failure:
            return dict(result, failed=True, changed=False, msg=failure)
        unchanged = '' if result['changed'] else ' (unchanged)'
        result['msg'] = '%s: %d record(s) for %d host(s)%s' % (args['dest'], result['records'], result['hosts'], unchanged)
        return result

    def _replace(self, result, dest, text, backup):
        """Compare with the file in place, show the diff, and write unless in check mode; returns an error message or None."""
        current = read_current(dest)
        result['changed'] = current != text
        if self._task.diff and result['changed']:
            result['diff'] = {'before': current or '', 'after': text, 'before_header': dest, 'after_header': dest}
        if not result['changed'] or self._task.check_mode:
            return None
        try:
            backup_file = write_atomically(dest, text, backup=backup)
        except OSError as exc:
            return 'could not write %s: %s' % (dest, exc)
        if backup_file:
            result['backup_file'] = backup_file
        return None

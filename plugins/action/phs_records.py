# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the phone-home records of the whole fleet on the controller, write them on the target.

Like ansible.builtin.template: the controller reads every host's variables once, validates the
fleet, renders configurations and builds both encodings; the junos.ztp.phs_records module compares
their SHA-256 digests with the records on the phone-home server host and, only when they differ, gets
them as one compressed file and swaps the records directory in one step.
"""

from __future__ import annotations

import gc
import tempfile

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    HOST_VARIABLES,
    VARIABLE_PREFIX,
    InventoryError,
    MissingLibraryError,
    Problem,
    validate_fleet,
    validate_host,
)
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import phone_home_hosts, render_records
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import digests, pack
from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables
from ansible_collections.junos.ztp.plugins.plugin_utils._paths import controller_path
from ansible_collections.junos.ztp.plugins.plugin_utils._templates import TemplateRendering

ARGUMENT_SPEC = {
    'dest': {'type': 'path', 'required': True},
    'hosts': {'type': 'list', 'elements': 'str'},
    'keep_backups': {'type': 'int', 'default': 3},
    'group': {'type': 'str'},
}


class ActionModule(TemplateRendering, ActionBase):
    TRANSFERS_FILES = True
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        gc.freeze()  # as junos.ztp.dhcp_config: the worker inherited the whole inventory and ends with the task
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            return dict(result, failed=True, msg='; '.join(validation.error_messages))
        args = validation.validated_parameters
        args['dest'] = controller_path(self._loader, args['dest'])
        hostvars = task_vars['hostvars']
        hosts = args['hosts'] if args['hosts'] is not None else list(task_vars['groups']['all'])
        unknown = sorted(set(hosts) - set(task_vars['groups']['all']))
        if unknown:
            return dict(result, failed=True, msg='hosts not in the inventory: %s' % ', '.join(unknown))
        # Every host's ztp_* variables are read once, fast; by default only the hosts that describe devices count.
        fleet_vars = fleet_variables(hostvars, hosts, HOST_VARIABLES, self._templar, prefix=VARIABLE_PREFIX)
        hosts = sorted(h for h in hosts if args['hosts'] is not None or 'ztp_members' in fleet_vars[h])
        warnings = []
        try:
            models, problems = self._validate({host: fleet_vars[host] for host in hosts}, warnings)
        except MissingLibraryError as exc:
            return dict(result, failed=True, msg=str(exc))
        inputs = {}
        for host in phone_home_hosts(models):
            inputs[host] = self._read_inputs(host, models[host], hostvars, task_vars, problems)
        try:
            files = render_records(models, inputs)
        except InventoryError as exc:
            problems.extend(exc.problems)
        if problems:
            error = InventoryError(problems)
            return dict(result, failed=True, msg=str(error), problems=[str(p) for p in problems])
        result.update(self._write(files, args, task_vars))
        result['hosts'] = phone_home_hosts(models)
        result['skipped_hosts'] = sorted(set(hosts) - set(result['hosts']))
        if warnings:
            result['warnings'] = result.get('warnings', []) + warnings
        return result

    def _validate(self, fleet_vars, warnings):
        """(models, problems): on bad data, the hosts without problems of their own are still checked for phone-home."""
        try:
            return validate_fleet(fleet_vars, find_file=self.controller_file_problem, warnings=warnings), []
        except InventoryError as exc:
            failed = {problem.host for problem in exc.problems}
            return {host: validate_host(host, variables)[0] for host, variables in fleet_vars.items() if host not in failed}, list(exc.problems)

    def _read_inputs(self, host, model, hostvars, task_vars, problems):
        """What the records need from the controller for one host: configuration text, script bytes, trust anchor."""
        inputs = {'configuration': None, 'scripts': {}, 'trust_anchor': None}
        inputs['configuration'] = self.host_configuration(host, model['ztp_configuration'] or {}, hostvars, task_vars, problems)
        for stage in ('pre', 'post'):
            local_path = ((model['ztp_scripts'] or {}).get(stage) or {}).get('local_path')
            if local_path:
                inputs['scripts'][stage] = self._read_file(host, 'ztp_scripts.%s.local_path' % stage, local_path, problems)
        trust_anchor = (model['ztp_phone_home'] or {}).get('trust_anchor')
        if trust_anchor:
            content = self._read_file(host, 'ztp_phone_home.trust_anchor', trust_anchor, problems)
            inputs['trust_anchor'] = None if content is None else content.decode('utf-8', 'replace')
        return inputs

    def _read_file(self, host, field, path, problems):
        try:
            with open(self.find_controller_file('files', path), 'rb') as stream:
                return stream.read()
        except (AnsibleError, OSError) as exc:
            problems.append(Problem(host, field, 'cannot read %s: %s' % (path, exc)))
            return None

    def _write(self, files, args, task_vars):
        """Compare the records' digests with the target's; send the records (one compressed file) only when they differ."""
        module_args = {'dest': args['dest'], 'keep_backups': args['keep_backups'], 'group': args['group']}
        compared = self._execute_module(module_name='junos.ztp.phs_records', module_args=dict(module_args, digests=digests(files)),
                                        task_vars=task_vars)
        if compared.get('failed') or not compared.get('changed') or (self._task.check_mode and not self._task.diff):
            return compared
        with tempfile.NamedTemporaryFile(prefix='junos-ztp-phs-records-', suffix='.json.gz') as local:
            local.write(pack(files))
            local.flush()
            self._make_tmp_path()
            remote = self._connection._shell.join_path(self._connection._shell.tmpdir, 'records.json.gz')
            self._transfer_file(local.name, remote)
            self._fixup_perms2((self._connection._shell.tmpdir, remote))
        try:
            return self._execute_module(module_name='junos.ztp.phs_records', module_args=dict(module_args, src=remote), task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

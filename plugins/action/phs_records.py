# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the phone-home records of the whole fleet on the controller, write them on the target.

Like ansible.builtin.template: the controller reads every host's variables once and takes a digest of
everything the records are rendered from. When the records on the phone-home server host were written
from those very inputs and nobody touched them since (the junos.ztp.phs_records module checks its
manifest there with stat), nothing is validated, rendered or written. Otherwise the controller validates
the fleet, renders configurations and builds both encodings, and the module gets them as one compressed
file, compares them with the records there and, only when they differ, swaps the records directory in one step.
"""

from __future__ import annotations

import gc
import tempfile

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.module_utils import _versioned_dir
from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    HOST_VARIABLES,
    VARIABLE_PREFIX,
    InventoryError,
    MissingLibraryError,
    Problem,
    validate_fleet,
    validate_host,
)
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import inputs_digest, phone_home_hosts, render_records, renderer_version
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
        fleet_vars = {host: fleet_vars[host] for host in hosts}
        self._files_read, self._configurations = {}, {}
        module_args = {'dest': args['dest'], 'keep_backups': args['keep_backups'], 'group': args['group']}
        inputs = inputs_digest(renderer_version(__file__, _versioned_dir.__file__), [args['hosts'] is not None, args['group']], fleet_vars,
                               self._controller_file, lambda host, configuration: self._configuration(host, configuration, hostvars, task_vars))
        if inputs is not None:
            # Written from these very inputs and untouched since: the records are what a full run would write.
            checked = self._execute_module(module_name='junos.ztp.phs_records', module_args=dict(module_args, inputs=inputs), task_vars=task_vars)
            if checked.get('failed') or checked.pop('unchanged', False):
                return dict(result, rendered=False, **checked)
        warnings = []
        try:
            models, problems = self._validate(fleet_vars, warnings)
        except MissingLibraryError as exc:
            return dict(result, failed=True, msg=str(exc))
        records_inputs = {}
        for host in phone_home_hosts(models):
            records_inputs[host] = self._read_inputs(host, models[host], hostvars, task_vars, problems)
        try:
            files = render_records(models, records_inputs)
        except InventoryError as exc:
            problems.extend(exc.problems)
        if problems:
            error = InventoryError(problems)
            return dict(result, failed=True, msg=str(error), problems=[str(p) for p in problems])
        summary = {'hosts': phone_home_hosts(models), 'skipped_hosts': sorted(set(hosts) - set(phone_home_hosts(models))), 'warnings': warnings}
        result.update(self._write(files, dict(module_args, inputs=inputs, summary=summary), task_vars))
        result.update(hosts=summary['hosts'], skipped_hosts=summary['skipped_hosts'], rendered=True)
        if warnings:
            result['warnings'] = result.get('warnings', []) + warnings
        return result

    def _controller_file(self, directory, path, read):
        """(bytes or None, what is wrong or None) of a controller file the inventory names, looked up once per run."""
        key = (directory, path, read)
        if key not in self._files_read:
            content, error = None, None
            try:
                found = self.find_controller_file(directory, path)
                if read:
                    with open(found, 'rb') as stream:
                        content = stream.read()
            except (AnsibleError, OSError) as exc:
                error = str(exc)
            self._files_read[key] = (content, error)
        return self._files_read[key]

    def _configuration(self, host, configuration, hostvars, task_vars):
        """(text or None, problems) of a host's ztp_configuration, rendered once per run."""
        key = (host, configuration.get('content'), configuration.get('template'))
        if key not in self._configurations:
            problems = []
            self._configurations[key] = (self.host_configuration(host, configuration, hostvars, task_vars, problems), problems)
        return self._configurations[key]

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
        inputs['configuration'], configuration_problems = self._configuration(host, model['ztp_configuration'] or {}, hostvars, task_vars)
        problems.extend(configuration_problems)
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
        content, error = self._controller_file('files', path, read=True)
        if error:
            problems.append(Problem(host, field, 'cannot read %s: %s' % (path, error)))
        return content

    def _write(self, files, module_args, task_vars):
        """Send the records (one compressed file) for the module to compare and write; in check mode without diff, their digests."""
        if self._task.check_mode and not self._task.diff:
            return self._execute_module(module_name='junos.ztp.phs_records', module_args=dict(module_args, digests=digests(files)),
                                        task_vars=task_vars)
        with tempfile.NamedTemporaryFile(prefix='junos-ztp-phs-records-', suffix='.pack') as local:
            local.write(pack(files))
            local.flush()
            self._make_tmp_path()
            remote = self._connection._shell.join_path(self._connection._shell.tmpdir, 'records.pack')
            self._transfer_file(local.name, remote)
            self._fixup_perms2((self._connection._shell.tmpdir, remote))
        try:
            return self._execute_module(module_name='junos.ztp.phs_records', module_args=dict(module_args, src=remote), task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

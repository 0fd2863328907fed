# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin base for modules that open NETCONF sessions. PRIVATE to junos.ztp.

Network teams describe devices with the usual Ansible variables; this base turns them into the
module's connection options, so a task needs no connection arguments at all.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.executor.task_executor import start_connection
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.junos.ztp.plugins.module_utils._connection import CONNECTION_ARGUMENT_SPEC
from ansible_collections.junos.ztp.plugins.plugin_utils._controller_files import ControllerFiles

# Module option -> the host variables it is filled from, first match wins (credentials: see credential_args).
CONNECTION_VARIABLES = {
    'host': ('ansible_host', 'inventory_hostname'),
    'port': ('ansible_port',),
    'host_key_checking': ('ansible_host_key_checking', 'ansible_ssh_host_key_checking'),
    'known_hosts_file': ('ztp_known_hosts_file',),
}

# The collection's persistent connection (plugins/connection/pyez.py): one NETCONF session per host for the whole play.
PERSISTENT_CONNECTION = 'junos.ztp.pyez'

# Credential option -> the environment variable an AWX Network credential sets for it.
CREDENTIAL_ENVIRONMENT = {
    'user': 'ANSIBLE_NET_USERNAME',
    'password': 'ANSIBLE_NET_PASSWORD',
    'private_key_file': 'ANSIBLE_NET_SSH_KEYFILE',
}


class DeviceActionBase(ControllerFiles, ActionBase):
    """Fill connection options from host variables, then run the module (or let a subclass do the work)."""

    # Module option -> the data-model host variable it defaults to when the task does not give it.
    HOST_VARIABLE_DEFAULTS = {}

    def connection_args(self, task_vars):
        """The connection options for this host: task arguments win over host variables."""
        args = {}
        for option, variables in CONNECTION_VARIABLES.items():
            if self._task.args.get(option) is not None:
                args[option] = self._task.args[option]
                continue
            for variable in variables:
                if task_vars.get(variable) is not None:
                    args[option] = self._templar.template(task_vars[variable])
                    break
        args.update(self.credential_args())
        if args.get('private_key_file'):
            args['private_key_file'] = self.find_controller_file('files', args['private_key_file'])
        args.update(self.host_key_options(args, task_vars))
        return args

    def credential_args(self):
        """user, password and private_key_file, each from the first source that has it.

        The precedence of Ansible's network collections (a provider's env_fallback, then the play context):
        the task's argument, then the Network credential's environment variable (CREDENTIAL_ENVIRONMENT),
        then the connection options Ansible filled in: ansible_user / ansible_password / ansible_ssh_pass /
        ansible_ssh_private_key_file from inventory or extra vars, or -u / --ask-pass / --private-key
        on the command line, which is how an AWX Machine credential arrives.
        """
        play_context = self._play_context
        # The local connection resets remote_user to the controller's user and keeps the configured one here.
        connection_options = {'user': play_context.connection_user or play_context.remote_user,
                              'password': play_context.password,
                              'private_key_file': play_context.private_key_file}
        args = {}
        for option, variable in CREDENTIAL_ENVIRONMENT.items():
            for value in (self._task.args.get(option), os.environ.get(variable), connection_options[option]):
                # An empty value is no value: the play context's password is '' when nobody gave one.
                if value:
                    args[option] = value
                    break
        return args

    def host_key_options(self, args, task_vars):
        """host_key_checking and known_hosts_file: checking fails closed.

        Only the boolean false, from the task or a host/group variable, turns checking off; any other value
        is an error. Ansible's global host_key_checking setting is not used: ansible-runner (so every AWX
        job) sets ANSIBLE_HOST_KEY_CHECKING=False, which must not silently stop host keys being checked.
        """
        checking = args.get('host_key_checking')
        if checking is None:
            checking = True
        elif not isinstance(checking, bool):
            source = 'host_key_checking' if self._task.args.get('host_key_checking') is not None else next(
                name for name in CONNECTION_VARIABLES['host_key_checking'] if task_vars.get(name) is not None)
            kind = 'text' if isinstance(checking, str) else 'number' if isinstance(checking, (int, float)) else type(checking).__name__
            raise AnsibleError('%s: must be a boolean, true or false (unquoted in YAML), got the %s %r; nothing connects until it is '
                               '(only false turns host key checking off)' % (source, kind, str(checking) if kind == 'text' else checking))
        options = {'host_key_checking': checking}
        if checking and args.get('known_hosts_file'):
            try:
                options['known_hosts_file'] = self.find_controller_file('files', args['known_hosts_file'])
            except AnsibleError as exc:
                raise AnsibleError('known_hosts_file (the ztp_known_hosts_file variable): %s; create it with ssh-keyscan' % exc) from None
        return options

    def persistent_socket(self):
        """The socket of this host's junos.ztp.pyez connection process (started when it is not running), or None on local.

        The task executor starts ansible-connection's helper before every task of a connection that forces persistence,
        a Python start-up per task; junos.ztp.pyez does not force it, and only device tasks start the process, through the
        same start_connection, when the host has none. Modules get the socket as Ansible hands it to every module
        (``_ansible_socket``); recording it in the task's arguments, as ActionBase does for the modules it runs, is what
        makes the strategy close the session at the end of the play.
        """
        connection = self._connection
        if getattr(connection, 'transport', None) != PERSISTENT_CONNECTION:
            if getattr(connection, 'socket_path', None):
                raise AnsibleError('junos.ztp device tasks run on ansible_connection %s or local, not %s'
                                   % (PERSISTENT_CONNECTION, getattr(connection, '_load_name', connection.transport)))
            return None
        if not (connection.socket_path and os.path.exists(connection.socket_path)):
            self._play_context.timeout = connection.get_option('persistent_command_timeout')
            connection._socket_path = start_connection(self._play_context, connection.get_options(), self._task._uuid)  # pylint: disable=protected-access
        self._task.args['_ansible_socket'] = connection.socket_path
        return connection.socket_path

    def in_process_parameters(self, task_vars, argument_spec):
        """For plugins that do the work themselves: (validated parameters, problems) of module_args + connection options.

        Nothing is started: device_options gives open_device's options once every check has passed.
        """
        args = self.module_args(task_vars)
        try:
            args.update(self.connection_args(task_vars))
        except AnsibleError as exc:
            return {}, [str(exc)]
        validation = ArgumentSpecValidator(argument_spec).validate(args)
        return validation.validated_parameters, list(validation.error_messages)

    def device_options(self, params):
        """open_device's options from validated parameters: ``socket_path`` of the host's junos.ztp.pyez process, started now

        (None on the local connection). Raises AnsibleError when that process cannot start.
        """
        return dict({option: params[option] for option in CONNECTION_ARGUMENT_SPEC}, socket_path=self.persistent_socket())

    def module_args(self, task_vars):
        """The module's arguments before the connection options: the task's, with HOST_VARIABLE_DEFAULTS filled in.

        Subclasses extend this; an AnsibleError raised here fails the task with the host named.
        """
        args = dict(self._task.args)
        for option, variable in self.HOST_VARIABLE_DEFAULTS.items():
            if args.get(option) is None and task_vars.get(variable) is not None:
                args[option] = self._templar.template(task_vars[variable])
        return args

    @staticmethod
    def digest_cache_dir():
        """Where each local image's checksum is cached for this run.

        Ansible's per-run local temporary directory is shared by every forked worker and removed at exit,
        so each local image is hashed once per run, not once per host.
        """
        return os.path.join(C.DEFAULT_LOCAL_TMP, 'junos_ztp_image_digests')

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        try:
            module_args = self.module_args(task_vars)
            module_args.update(self.connection_args(task_vars))
            self.persistent_socket()
        except AnsibleError as exc:
            return dict(result, failed=True, msg='%s: %s' % (task_vars.get('inventory_hostname'), exc))
        result.update(self._execute_module(module_args=module_args, task_vars=task_vars))
        return result

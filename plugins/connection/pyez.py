# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persistent connection: one PyEZ NETCONF session per host, shared by every junos.ztp task of the play."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pyez
short_description: One NETCONF session per device, shared by the junos.ztp tasks of a play
description:
  - A persistent connection, run by ansible-core's C(ansible-connection) process like the network collections' connections.
    The process keeps the host's one PyEZ (ncclient) NETCONF session; the junos.ztp device tasks (M(junos.ztp.vcp_check),
    M(junos.ztp.vc_upgrade), M(junos.ztp.apply_config), M(junos.ztp.vc_facts), M(junos.ztp.image_stage),
    M(junos.ztp.zeroize)) send their RPCs and file transfers through it instead of each opening its own session.
  - The session opens with the first device task and is re-opened only when it drops (a reboot of the primary, a zeroize),
    so a provisioned Virtual Chassis costs one session plus one per reboot of its primary.
    It closes at the end of the play, or after O(persistent_connect_timeout) seconds without a request.
  - The session's address and credentials are those every junos.ztp device task reads, in the same order
    (C(ansible_host), C(ansible_port), C(ansible_user), C(ansible_password), C(ansible_ssh_private_key_file), an AWX Network
    credential's C(ANSIBLE_NET_*) variables, C(ansible_host_key_checking), C(ztp_known_hosts_file); see the modules' connection
    options). A task whose connection options differ from the open session's (a C(password) given to the task) gets a
    session of its own.
  - Tasks that are not device tasks (M(ansible.builtin.uri), M(ansible.builtin.template), ...) run on the controller as with
    the C(local) connection. C(ansible_connection=local) keeps working too, with one session per device task.
  - The JSON-RPC messages between tasks and the connection process carry the password and configurations, so they are
    never written to the log; C(persistent_log_messages) is not supported.
author:
  - junos.ztp contributors (@junos-ztp)
version_added: 0.1.0
options:
  persistent_connect_timeout:
    description:
      - Seconds the connection process waits for the next request before it closes the session and exits.
      - Longer than the network collections' 30 s, because in a play over many hosts a host waits for the others between
        two of its tasks (the upgrade of a Virtual Chassis lasts many minutes). A process that timed out is started
        again by the next task, with a new session.
    type: int
    default: 900
    ini:
      - section: persistent_connection
        key: connect_timeout
    env:
      - name: ANSIBLE_PERSISTENT_CONNECT_TIMEOUT
    vars:
      - name: ansible_connect_timeout
  persistent_command_timeout:
    description:
      - Seconds the connection process gives a request before it gives up on it.
      - A device operation that has its own, longer timeout (an install's O(junos.ztp.vc_upgrade#module:install_timeout),
        a commit, an RPC's C(timeout), an image transfer) is given that much instead.
    type: int
    default: 30
    ini:
      - section: persistent_connection
        key: command_timeout
    env:
      - name: ANSIBLE_PERSISTENT_COMMAND_TIMEOUT
    vars:
      - name: ansible_command_timeout
requirements:
  - junos-eznc
  - ncclient
  - scp
notes:
  - Set C(ansible_connection=junos.ztp.pyez) for the devices (the example inventory does), and keep the controller's own
    host on C(local).
"""

EXAMPLES = r"""
# group_vars/all.yml of an inventory of Juniper switches
# ansible_connection: junos.ztp.pyez
# ansible_user: ztp
# ansible_password: "{{ vault_ztp_password }}"
"""

import signal

from ansible.plugins.connection import NetworkConnectionBase

from ansible_collections.junos.ztp.plugins.module_utils._connection import SessionKeeper

# Seconds a request may take beyond the device operation's own timeout (the reply's transfer, parsing).
MARGIN_SECONDS = 30


def allow(seconds):
    """Let the request being handled run ``seconds`` (plus a margin) when that is longer than persistent_command_timeout.

    ansible-connection bounds each request with SIGALRM; this process handles one request at a time on its main thread.
    """
    remaining = signal.alarm(0)
    if remaining:
        signal.alarm(max(remaining, int(seconds) + MARGIN_SECONDS))


class Connection(NetworkConnectionBase):
    """The connection process's JSON-RPC methods; the task side is PersistentDevice in module_utils/_connection.py."""

    transport = 'junos.ztp.pyez'
    has_pipelining = False
    # Device tasks start the process when the host has none (DeviceActionBase.persistent_socket); other tasks never need it.
    force_persistence = False

    def __init__(self, play_context, *args, **kwargs):
        super().__init__(play_context, *args, **kwargs)
        self.keeper = SessionKeeper()

    def get_option(self, option, hostvars=None):
        # The messages carry secrets: never logged, whatever the global setting.
        if option == 'persistent_log_messages':
            return False
        return super().get_option(option, hostvars)

    def _connect(self):
        # The NETCONF session opens with the first device task, from that task's connection options (open_session).
        self._connected = True

    def open_session(self, params):
        allow(params.get('timeout') or 0)
        return self.keeper.open_session(params)

    def session_alive(self, session):
        return self.keeper.session_alive(session)

    def rpc(self, session, request, filter_xml, timeout):
        allow(timeout)
        return self.keeper.rpc(session, request, filter_xml, timeout)

    def transfer_start(self, session, local_path, remote_path, size, mode, socket_timeout):
        return self.keeper.transfer_start(session, local_path, remote_path, size, mode, socket_timeout)

    def close_session(self, session):
        return self.keeper.close_session(session)

    def transfer_status(self, session):
        return self.keeper.transfer_status(session)

    def transfer_cancel(self, session):
        return self.keeper.transfer_cancel(session)

    def close(self):
        self.keeper.close()
        super().close()

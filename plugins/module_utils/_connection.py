# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opening, re-opening and waiting for NETCONF sessions to a device. PRIVATE to junos.ztp."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time

try:
    from jnpr.junos import Device
    from jnpr.junos import exception as junos_exception
    from ncclient.operations.errors import TimeoutExpiredError
    from ncclient.transport.errors import SessionCloseError, SSHError, SSHUnknownHostError
    from ncclient.transport.session import END_DELIM, MSG_DELIM, NetconfBase
    HAS_PYEZ = True
    PYEZ_IMPORT_ERROR = None
    # What a reply to a reboot, zeroize or switchover looks like when the device cuts it short.
    CUT_SHORT_ERRORS = (junos_exception.RpcTimeoutError, junos_exception.ConnectClosedError,
                        TimeoutExpiredError, SessionCloseError, SSHError, EOFError, OSError)
except ImportError as exc:
    HAS_PYEZ = False
    PYEZ_IMPORT_ERROR = exc
    CUT_SHORT_ERRORS = (EOFError, OSError)

# paramiko logs each failed SSH attempt (a rebooting device half-opens SSH) with a traceback, on ncclient's
# logger for NETCONF sessions. With no handler configured Python prints those on stderr; a NullHandler keeps
# them for users who configure logging.
for _logger in ('paramiko', 'ncclient'):
    logging.getLogger(_logger).addHandler(logging.NullHandler())

# host and user are not required: the action plugin fills them from ansible_host / ansible_user (see the doc fragment).
CONNECTION_ARGUMENT_SPEC = {
    'host': {'type': 'str'},
    'port': {'type': 'int', 'default': 830},
    'user': {'type': 'str'},
    'password': {'type': 'str', 'no_log': True},
    'private_key_file': {'type': 'path'},
    'host_key_checking': {'type': 'bool', 'default': True},
    'known_hosts_file': {'type': 'path'},
    'timeout': {'type': 'int', 'default': 30},
}


class DeviceConnectionError(Exception):
    """The device could not be reached or refused us; the message says which and what to do."""


def _describe(exc, params):
    where = '%s:%s' % (params['host'], params['port'])
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, SSHUnknownHostError) or isinstance(exc, SSHUnknownHostError):
        return ('SSH host key of %s is not in %s (or does not match it); add it (ssh-keyscan -p %s %s) '
                'or opt out explicitly with the host variable ansible_host_key_checking: false '
                '(Ansible\'s global host_key_checking setting does not turn checking off)'
                % (where, params.get('known_hosts_file') or '~/.ssh/known_hosts', params['port'], params['host']))
    if isinstance(exc, junos_exception.ConnectAuthError):
        return 'authentication to %s as %s failed' % (where, params['user'])
    return 'cannot open a NETCONF session to %s: %s' % (where, exc.__class__.__name__ + (': %s' % cause if cause else ''))


def _check_known_hosts_file(params):
    """A known_hosts file that is not there is a typo in the inventory, not a connection problem: say which."""
    path = params.get('known_hosts_file')
    if params['host_key_checking'] and path and not os.path.isfile(path):
        raise DeviceConnectionError('known_hosts_file (the ztp_known_hosts_file variable) is %s, which does not exist; '
                                    'create it with ssh-keyscan -p %s %s >> %s' % (path, params['port'], params['host'], path))


def open_device(params):
    """Open a PyEZ Device without fact gathering; raise DeviceConnectionError with a clear message."""
    _check_known_hosts_file(params)
    ssh_config = None
    try:
        if params['host_key_checking'] and params.get('known_hosts_file'):
            # PyEZ hands ncclient the matching ssh_config block; UserKnownHostsFile is how it learns the file.
            handle, ssh_config = tempfile.mkstemp(prefix='junos_ztp_ssh_config_')
            with os.fdopen(handle, 'w') as config:
                config.write('Host *\n    UserKnownHostsFile %s\n' % params['known_hosts_file'])
        device = Device(host=params['host'], port=params['port'], user=params['user'],
                        passwd=params.get('password'), ssh_private_key_file=params.get('private_key_file'),
                        hostkey_verify=params['host_key_checking'], ssh_config=ssh_config,
                        gather_facts=False, conn_open_timeout=params['timeout'], normalize=True)
        device.open()
        device.timeout = params['timeout']
        return device
    except junos_exception.ConnectError as exc:
        raise DeviceConnectionError(_describe(exc, params)) from exc
    except SSHError as exc:
        raise DeviceConnectionError(_describe(exc, params)) from exc
    finally:
        if ssh_config:
            os.unlink(ssh_config)


class DeviceRpcError(Exception):
    """The device answered an RPC with an error; the message names the RPC and says what the device said."""


def call_rpc(device, rpc_name, *rpc_attrs, **rpc_args):
    """Send one RPC by its PyEZ name; an rpc-error becomes DeviceRpcError, a dropped session DeviceConnectionError."""
    try:
        return getattr(device.rpc, rpc_name)(*rpc_attrs, **rpc_args)
    except junos_exception.RpcError as exc:
        raise DeviceRpcError('%s on %s failed: %s' % (rpc_name.replace('_', '-'), device.hostname, exc)) from exc
    except CUT_SHORT_ERRORS as exc:
        raise DeviceConnectionError('the session to %s dropped during %s: %s'
                                    % (device.hostname, rpc_name.replace('_', '-'), exc.__class__.__name__)) from exc


def close_quietly(device):
    """Close a session that may already be gone (after a reboot or zeroize)."""
    try:
        device.close()
    except CUT_SHORT_ERRORS + (junos_exception.ConnectError,):
        pass


def send_expecting_disconnect(device, rpc_name, **rpc_args):
    """Send a reboot/zeroize-like RPC; a reply cut short by the device going down counts as initiated.

    Returns the reply element, or None when the session dropped before a reply came; an rpc-error
    raises DeviceRpcError.
    """
    try:
        return call_rpc(device, rpc_name, **rpc_args)
    except DeviceConnectionError:
        return None


def wait_for_device(params, timeout, ready=None, interval=2.0, clock=time.monotonic, sleep=time.sleep):
    """Re-open a session until it succeeds and ``ready(device)`` is true; return the open device.

    Raises TimeoutError naming the last reason when ``timeout`` seconds pass first.
    """
    deadline = clock() + timeout
    reason = 'no attempt made'
    while True:
        try:
            device = open_device(params)
        except DeviceConnectionError as exc:
            reason = str(exc)
        else:
            try:
                if ready is None or ready(device):
                    return device
                reason = 'the device answered but was not ready yet'
            except CUT_SHORT_ERRORS + (junos_exception.RpcError,) as exc:
                reason = 'the device answered but %s' % exc.__class__.__name__
            close_quietly(device)
        if clock() + interval > deadline:
            raise TimeoutError('%s did not come back within %d s: %s' % (params['host'], timeout, reason))
        sleep(interval)


def send_without_tick(device):
    """Make the session write each request at once instead of on its reader thread's next 0.1 s tick; return ``device``.

    ncclient queues a request and its reader thread writes it only after its next ``select`` (0.1 s) times out, so
    every round trip waits up to 0.1 s on the controller. Over a run of dozens of RPCs that is seconds, which matters
    where the device is fast (the simulator at a short time scale). This wraps the ``send`` of this one session: the
    request is framed as ncclient frames it and written on the caller's thread; the reader thread still reads every
    reply. Messages queued before (the hello) keep their order: while the queue is not empty, sends are queued too.
    """
    session = getattr(getattr(device, '_conn', None), '_session', None)
    if session is None or not hasattr(session, '_transport_write'):
        return device
    queued_send = session.send
    write_lock = threading.Lock()

    def send(message):
        if not session.connected or not session._q.empty():  # pylint: disable=protected-access
            return queued_send(message)
        data = message.encode()
        if session._base == NetconfBase.BASE_11:  # pylint: disable=protected-access
            data = b'\n#%d\n%s%s' % (len(data), data, END_DELIM)
        else:
            data = data + MSG_DELIM
        with write_lock:
            while data:
                written = session._transport_write(data)  # pylint: disable=protected-access
                if written <= 0:
                    raise SessionCloseError('', data)
                data = data[written:]
        return None

    session.send = send
    return device

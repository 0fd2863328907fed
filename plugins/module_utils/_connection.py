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

from ansible.module_utils.connection import Connection, ConnectionError as SocketError

try:
    from jnpr.junos import Device
    from jnpr.junos import exception as junos_exception
    from jnpr.junos.jxml import normalize_xslt
    from lxml import etree
    from ncclient.devices.junos import JunosDeviceHandler
    from ncclient.operations.errors import TimeoutExpiredError
    from ncclient.operations.rpc import RaiseMode, RPCError, RPCReply
    from ncclient.transport.errors import SessionCloseError, SSHError, SSHUnknownHostError
    from ncclient.transport.session import END_DELIM, MSG_DELIM, NetconfBase
    from ncclient.xml_ import NCElement, to_ele
    from paramiko import SSHException
    from scp import SCPClient, SCPException
    HAS_PYEZ = True
    PYEZ_IMPORT_ERROR = None
    # What a reply to a reboot, zeroize or switchover looks like when the device cuts it short.
    CUT_SHORT_ERRORS = (junos_exception.RpcTimeoutError, junos_exception.ConnectClosedError,
                        TimeoutExpiredError, SessionCloseError, SSHError, EOFError, OSError)
except ImportError as exc:
    HAS_PYEZ = False
    PYEZ_IMPORT_ERROR = exc
    CUT_SHORT_ERRORS = (EOFError, OSError)
    Device = object

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
    """Open a PyEZ Device without fact gathering; raise DeviceConnectionError with a clear message.

    With ``params['socket_path']`` (the task runs on the junos.ztp.pyez persistent connection) the Device is a
    PersistentDevice: the session is the connection process's, opened only when it has none (or lost it).
    Every session writes its requests at once (send_without_tick).
    """
    if params.get('socket_path'):
        return PersistentDevice(params).open()
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
        return send_without_tick(device)
    except junos_exception.ConnectError as exc:
        raise DeviceConnectionError(_describe(exc, params)) from exc
    except SSHError as exc:
        raise DeviceConnectionError(_describe(exc, params)) from exc
    finally:
        if ssh_config:
            os.unlink(ssh_config)


def module_connection(module):
    """A module's connection options, with the junos.ztp.pyez socket Ansible hands every module (None on the local connection)."""
    return dict(module.params, socket_path=module._socket_path)  # pylint: disable=protected-access


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


def drop_session(device):
    """End ``device``'s session for good, because the device is going away (a zeroize, the primary's reboot).

    The next open_device then opens a new session, also on the junos.ztp.pyez connection, where close() only lets go
    of the host's session: a session that has not noticed yet that its device went down is never reused.
    """
    if isinstance(device, PersistentDevice):
        try:
            device.server('close_session', device.session)
        except SessionCloseError:
            pass
    close_quietly(device)


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


# -- sessions shared across tasks: the junos.ztp.pyez persistent connection ------------------------------------------
#
# The connection process (plugins/connection/pyez.py, run by ansible-connection) keeps the host's one PyEZ session in
# a SessionKeeper. Tasks reach it over Ansible's JSON-RPC socket through a PersistentDevice: a PyEZ Device whose
# ncclient manager (``_conn``) is a _SessionProxy, so PyEZ's rpc.*, Config and error handling run unchanged in the task.

def session_alive(device):
    """True while ``device``'s NETCONF session (its SSH transport) is up."""
    if isinstance(device, PersistentDevice):
        try:
            return device.connected and device.server('session_alive', device.session)
        except SessionCloseError:
            return False
    try:
        return bool(device and device.connected and device._conn._session.transport.is_active())  # pylint: disable=protected-access
    except AttributeError:
        return False


def scp_put(device, stream, remote_path, size, progress=lambda sent: None, mode='0644'):
    """Send ``stream`` (a local file opened for reading, or BytesIO) to ``remote_path`` over an SCP channel of the session's SSH connection.

    ``progress(bytes sent)`` is called as the transfer goes and may raise to stop it. Through a PersistentDevice the
    connection process sends a local file (``stream.name``) itself and the task polls its progress.
    """
    if isinstance(device, PersistentDevice):
        return device.put_file(stream, remote_path, size, progress, mode)
    client = SCPClient(device._conn._session.transport, buff_size=SCP_BUFFER_BYTES, socket_timeout=max(device.timeout, 10),  # pylint: disable=protected-access
                       progress=lambda _name, _size, sent: progress(sent))
    try:
        client.putfo(stream, remote_path, mode=mode, size=size)
    except BaseException:
        # Close without waiting for the remote scp's exit status: a stalled device may never send it.
        if client.channel is not None:
            client.channel.close()
        raise
    client.close()
    return None


SCP_BUFFER_BYTES = 1 << 20
TRANSFER_POLL_SECONDS = 0.1
# The state of a transfer whose session is gone (closed after it dropped, or never open).
CLOSED_TRANSFER = {'sent': 0, 'done': True, 'error': ('EOFError', 'the NETCONF session is closed'), 'cancelled': False}
# Errors a transfer in the connection process ends with, re-raised by name in the task (anything else: OSError).
TRANSFER_ERROR_CLASSES = {cls.__name__: cls for cls in ((SCPException, SSHException, EOFError, OSError) if HAS_PYEZ else (EOFError, OSError))}


class _SessionProxy:
    """Stands in for PyEZ's ncclient Manager (``Device._conn``): each RPC goes to the connection process.

    The reply comes back raw and is read here as ncclient reads its own (the Junos device handler, rpc-errors raised
    as RPCError, the reply transform PyEZ set), so PyEZ sees exactly what a direct session gives it.
    """

    def __init__(self, device, timeout):
        self.device = device
        self.timeout = timeout
        self._device_handler = JunosDeviceHandler({'name': 'junos', 'local': False})

    def rpc(self, rpc_command, filter_xml=None):
        if filter_xml is not None and not isinstance(filter_xml, str):
            filter_xml = etree.tostring(filter_xml, encoding='unicode')
        answer = self.device.server('rpc', self.device.session, etree.tostring(rpc_command, encoding='unicode'), filter_xml, self.timeout)
        if answer.get('error') == 'timeout':
            raise TimeoutExpiredError(answer['message'])
        if answer.get('error'):
            self.device.connected = False
            raise SessionCloseError(answer['message'])
        reply = RPCReply(answer['reply'])
        reply.set_parsing_error_transform(self._device_handler.reply_parsing_error_transform(RPCReply))
        reply.parse()
        # ncclient's own rule (RaiseMode.ALL, PyEZ's): any rpc-error raises, several at once as one RPCError.
        if reply.error is not None and not self._device_handler.is_rpc_error_exempt(reply.error.message):
            if len(reply.errors) > 1:
                raise RPCError(to_ele(reply.xml), errs=reply.errors)
            raise reply.error
        return NCElement(reply, self._device_handler.transform_reply())


class PersistentDevice(Device):
    """A PyEZ Device whose session lives in the junos.ztp.pyez connection process; see open_device.

    ``opened_session`` tells whether open() made the process open a new NETCONF session (False: it reused the
    host's); ``session`` is that session's number in the process, sent with every request, so a request never goes
    over a session another task re-opened with other options (two inventory hosts with one address and user share the
    process). close() lets go of the session without closing it; the process closes it at the end of the play.
    """

    def __init__(self, params):
        self.params = {option: params.get(option) for option in CONNECTION_ARGUMENT_SPEC}
        self.socket = Connection(params['socket_path'])
        self.opened_session = False
        self.session = None
        Device.__init__(self, host=params['host'], port=params['port'], user=params['user'], gather_facts=False, normalize=True)

    def server(self, method, *args):
        """Call ``method`` of the connection process; a process that is gone is a dropped session."""
        try:
            return getattr(self.socket, method)(*args)
        except SocketError as exc:
            self.connected = False
            raise SessionCloseError('the junos.ztp.pyez connection process did not answer %s: %s' % (method, exc)) from exc

    def open(self, *_args, **_kwargs):
        try:
            answer = self.server('open_session', self.params)
        except SessionCloseError as exc:
            raise DeviceConnectionError(str(exc)) from exc
        if answer.get('error'):
            raise DeviceConnectionError(answer['error'])
        self.opened_session, self.session = answer['opened'], answer['session']
        self._conn = _SessionProxy(self, self.params['timeout'])
        self.connected = True
        # What Device.open sets up once its session is open, for the reply transform PyEZ applies.
        self._nc_transform = self.transform
        self._norm_transform = lambda: normalize_xslt.encode('UTF-8')
        self.transform = self._norm_transform
        return self

    def close(self):
        self.connected = False

    def put_file(self, stream, remote_path, size, progress, mode):
        """scp_put through the connection process: it sends the local file, this task polls and reports progress."""
        local_path = getattr(stream, 'name', None)
        if not isinstance(local_path, str):
            # Small in-memory content (a script): through a temporary file the connection process can read.
            with tempfile.NamedTemporaryFile(prefix='junos_ztp_upload_') as spool:
                spool.write(stream.read())
                spool.flush()
                return self.put_file(spool, remote_path, size, progress, mode)
        answer = self.server('transfer_start', self.session, os.path.abspath(local_path), remote_path, size, mode, max(self.timeout, 10))
        try:
            while True:
                progress(answer['sent'])
                if answer['done']:
                    break
                time.sleep(TRANSFER_POLL_SECONDS)
                answer = self.server('transfer_status', self.session)
        except BaseException:
            try:
                self.server('transfer_cancel', self.session)
            except SessionCloseError:
                pass
            raise
        if answer['error']:
            kind, message = answer['error']
            raise TRANSFER_ERROR_CLASSES.get(kind, OSError)(message)
        return None


class SessionKeeper:
    """The connection process's side: the host's PyEZ session, opened on demand, re-opened after it dropped.

    Sessions are numbered and kept per set of connection options: the tasks of a host share one, and a task with
    other options (or another inventory host with the same address and user, which Ansible gives the same process)
    gets its own instead of taking the host's away. Each request names its session.
    """

    def __init__(self):
        self.sessions = {}      # number -> (connection options, PyEZ Device)
        self.transfers = {}     # number -> the state of that session's file transfer
        self.sessions_opened = 0

    def open_session(self, params):
        """``{'opened': bool, 'session': its number}``, or ``{'error': message}`` when the device cannot be reached."""
        for number, (opened_with, device) in list(self.sessions.items()):
            if opened_with == params:
                if session_alive(device):
                    return {'opened': False, 'session': number}
                self.close_session(number)
        try:
            device = open_device(params)
        except DeviceConnectionError as exc:
            return {'error': str(exc)}
        # Replies go back raw, untransformed and with their rpc-errors: the task's _SessionProxy reads them as ncclient
        # reads a direct session's, once.
        device._conn.raise_mode = RaiseMode.NONE  # pylint: disable=protected-access
        device.transform = lambda: False
        self.sessions_opened += 1
        self.sessions[self.sessions_opened] = (params, device)
        return {'opened': True, 'session': self.sessions_opened}

    def _device(self, session):
        """The Device of session number ``session`` while it is up, else None."""
        device = self.sessions.get(session, (None, None))[1]
        return device if device is not None and session_alive(device) else None

    def session_alive(self, session):
        return self._device(session) is not None

    def rpc(self, session, request, filter_xml, timeout):
        """``{'reply': raw rpc-reply}``, or ``{'error': 'timeout' | 'closed', 'message': ...}``."""
        device = self._device(session)
        if device is None:
            return {'error': 'closed', 'message': 'the NETCONF session is closed'}
        device._conn.timeout = timeout  # pylint: disable=protected-access
        try:
            reply = device._conn.rpc(etree.XML(request), filter_xml)  # pylint: disable=protected-access
        except TimeoutExpiredError as exc:
            return {'error': 'timeout', 'message': str(exc)}
        except CUT_SHORT_ERRORS + (junos_exception.ConnectError,) as exc:
            self.close_session(session)
            return {'error': 'closed', 'message': '%s: %s' % (exc.__class__.__name__, exc)}
        return {'reply': reply.xml}

    def transfer_start(self, session, local_path, remote_path, size, mode, socket_timeout):
        """Start scp_put of a local file on its own thread; the task polls transfer_status."""
        transfer = self.transfers[session] = {'sent': 0, 'done': False, 'error': None, 'cancelled': False}
        device = self._device(session)

        def progress(sent):
            transfer['sent'] = sent
            if transfer['cancelled']:
                raise SCPException('the transfer was cancelled')

        def send():
            try:
                with open(local_path, 'rb') as stream:
                    scp_put(device, stream, remote_path, size, progress, mode)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # Reported to the task, which raises it there by class name (TRANSFER_ERROR_CLASSES).
                transfer['error'] = (exc.__class__.__name__, str(exc))
            transfer['done'] = True

        if device is None:
            transfer.update(CLOSED_TRANSFER)
        else:
            device.timeout = socket_timeout
            threading.Thread(target=send, name='junos-ztp-scp', daemon=True).start()
        return dict(transfer)

    def transfer_status(self, session):
        return dict(self.transfers.get(session, CLOSED_TRANSFER))

    def transfer_cancel(self, session):
        self.transfers.get(session, {})['cancelled'] = True
        return self.transfer_status(session)

    def close_session(self, session):
        """Close session number ``session`` (drop_session; a session that dropped; the end of the play)."""
        params_device = self.sessions.pop(session, None)
        if params_device is not None:
            close_quietly(params_device[1])
        self.transfers.pop(session, None)

    def close(self):
        for session in list(self.sessions):
            self.close_session(session)

"""SSH endpoint of one VC: paramiko server on 127.0.0.1, NETCONF subsystem and scp sink on one port.

Each accepted TCP connection gets a paramiko Transport. Channel requests start workers:
subsystem "netconf" (or exec "xml-mode netconf need-trailer", ncclient's Junos fallback) runs a
NETCONF session; exec "scp ... -t <dir>" runs the scp sink. While no routing-engine member is
master, connections are closed straight away, like a VC that is down.
"""

import logging
import select
import shlex
import socket
import threading

import paramiko

from .hostkeys import parse_authorized_keys
from .netconf import NetconfSession
from .scp_sink import ScpSink

logger = logging.getLogger(__name__)


class Credentials:
    def __init__(self, user, password, authorized_keys):
        self.user = user
        self.password = password
        self.keys = parse_authorized_keys(authorized_keys)


class _ConnectionInterface(paramiko.ServerInterface):
    """paramiko callbacks for one connection."""

    def __init__(self, server, transport):
        self._server = server
        self._transport = transport
        self.username = None

    def get_allowed_auths(self, username):
        return "password,publickey"

    def check_auth_password(self, username, password):
        creds = self._server.credentials
        if username == creds.user and password == creds.password:
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        creds = self._server.credentials
        if username == creds.user and key.get_base64() in creds.keys:
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_subsystem_request(self, channel, name):
        if name != "netconf":
            return False
        self._server.start_worker(NetconfSession(self._server.vc, channel, self._transport, self.username))
        return True

    def check_channel_exec_request(self, channel, command):
        try:
            argv = shlex.split(command.decode("utf-8", "replace"))
        except ValueError:
            return False
        if argv[:3] == ["xml-mode", "netconf", "need-trailer"]:
            self._server.start_worker(NetconfSession(self._server.vc, channel, self._transport, self.username))
            return True
        if argv and argv[0] == "scp" and "-t" in argv:
            self._server.start_worker(ScpSink(self._server.vc, channel, argv))
            return True
        return False


class SSHServer:
    def __init__(self, vc, host_key, credentials):
        self.vc = vc
        self.host_key = host_key
        self.credentials = credentials
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._transports = set()
        self._workers = []
        self._threads = []
        self._listener = None

    def start(self, host, port):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self._spawn(self._accept_loop, "vcsim-%s-listen" % self.vc.name)
        return self._listener.getsockname()[1]

    def _spawn(self, target, name, *args):
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                if not select.select([self._listener], [], [], 0.2)[0]:
                    continue
                sock, unused_peer = self._listener.accept()
            except (OSError, ValueError):
                # The listener was closed by stop().
                return
            if self._stopping.is_set():
                sock.close()
                return
            self._spawn(self._serve, "vcsim-%s-conn" % self.vc.name, sock)

    def _serve(self, sock):
        if not self.vc.reachable:
            sock.close()
            return
        transport = paramiko.Transport(sock)
        transport.add_server_key(self.host_key)
        # Registered before negotiation, so stop() can also close a client that never finishes it.
        with self._lock:
            self._transports.add(transport)
        # Keep accepted channels referenced: paramiko closes a channel object that gets garbage-collected.
        channels = []
        try:
            transport.start_server(server=_ConnectionInterface(self, transport))
            while transport.is_active() and not self._stopping.is_set():
                channel = transport.accept(0.2)
                if channel is not None:
                    channels = [c for c in channels if not c.closed] + [channel]
        except (paramiko.SSHException, EOFError, OSError) as err:
            logger.debug("%s: SSH connection ended: %s", self.vc.name, err)
        finally:
            with self._lock:
                self._transports.discard(transport)
            transport.close()

    def start_worker(self, worker):
        with self._lock:
            self._workers = [w for w in self._workers if w.is_alive()]
            self._workers.append(worker)
        worker.start()

    def drop_all(self):
        """Close every connection (the master left the VC, or the simulator stops)."""
        with self._lock:
            transports = list(self._transports)
            workers = list(self._workers)
        for worker in workers:
            worker.abort()
        for transport in transports:
            transport.close()

    def stop(self):
        self._stopping.set()
        self.drop_all()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            threads = list(self._threads) + list(self._workers)
        for thread in threads:
            thread.join(timeout=5)

"""Loopback control channel, so faults can be injected into a simulator started by the CLI.

Protocol: one JSON object per line each way. Requests carry the token from the state file:
    {"token": ..., "op": "inject", "vc": "vc1", "kind": "slow_rpc", "params": {"rpc": "...", "seconds": 30}}
    {"token": ..., "op": "clear", "vc": "vc1", "kind": null}
    {"token": ..., "op": "status", "vc": "vc1"}            (vc optional: every VC)
    {"token": ..., "op": "events", "vc": "vc1", "since": 0}
Answers: {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
"""

import dataclasses
import json
import secrets
import socket
import socketserver
import threading

from .faults import FaultError


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                request = json.loads(line)
                if not isinstance(request, dict) or not secrets.compare_digest(str(request.get("token", "")), self.server.token):
                    raise PermissionError("bad or missing token")
                answer = {"ok": True, "result": self.server.execute(request)}
            except (ValueError, KeyError, TypeError, PermissionError, FaultError) as err:
                answer = {"ok": False, "error": str(err)}
            self.wfile.write((json.dumps(answer, default=str) + "\n").encode())


class ControlServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, simulator):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.simulator = simulator
        self.token = secrets.token_hex(16)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, name="vcsim-control", daemon=True)

    @property
    def address(self):
        host, port = self.server_address[:2]
        return {"host": host, "port": port, "token": self.token}

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def execute(self, request):
        operation = request.get("op")
        vcs = [self.simulator.vc(request["vc"])] if request.get("vc") else self.simulator.vcs
        if operation == "inject":
            return vcs[0].inject_fault(request["kind"], **(request.get("params") or {}))
        if operation == "clear":
            return vcs[0].clear_faults(request.get("kind"))
        if operation == "status":
            return {vc.name: {"reachable": vc.reachable, "hostname": vc.hostname, "members": [dataclasses.asdict(m) for m in vc.members],
                              "faults": vc.faults.active()} for vc in vcs}
        if operation == "events":
            return {vc.name: vc.events(since=request.get("since")) for vc in vcs}
        raise ValueError("unknown op %r; expected inject, clear, status or events" % operation)


def call(address, request):
    """Send one request to a running simulator's control channel and return the result."""
    with socket.create_connection((address["host"], address["port"]), timeout=30) as sock:
        sock.sendall((json.dumps(dict(request, token=address["token"])) + "\n").encode())
        answer = json.loads(sock.makefile("rb").readline() or b"{}")
    if not answer.get("ok"):
        raise RuntimeError(answer.get("error", "no answer from the simulator"))
    return answer["result"]

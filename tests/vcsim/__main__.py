"""Command line.

    python -m vcsim --spec SPEC --workdir DIR [--state FILE] [--listen ADDRESS]
        start every VC; print one JSON line per VC, then a "ready" line; run until SIGTERM/SIGINT.
    python -m vcsim fault --state FILE --vc NAME KIND [param=value ...]
    python -m vcsim clear-faults --state FILE --vc NAME [KIND]
    python -m vcsim status --state FILE [--vc NAME]
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading

from .control import ControlServer, call
from .faults import FAULT_KINDS, FaultError
from .simulator import Simulator
from .spec import SpecError
from .vc import LISTEN_HOST

CLIENT_COMMANDS = ("fault", "clear-faults", "status")


def _run(argv):
    parser = argparse.ArgumentParser(prog="python -m vcsim", description="Junos EX Virtual Chassis simulator")
    parser.add_argument("--spec", required=True, help="spec file (YAML or JSON)")
    parser.add_argument("--workdir", required=True, help="directory for host keys, known_hosts, per-VC files")
    parser.add_argument("--state", help="also write the VC endpoints and control address to this JSON file")
    parser.add_argument("--verbose", action="store_true", help="log to stderr")
    # Inside a container the network namespace is the container's own: 0.0.0.0 there is what a published port reaches.
    parser.add_argument("--listen", default=LISTEN_HOST, metavar="ADDRESS", help="address every VC listens on (default %(default)s)")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO)
    try:
        sim = Simulator(args.spec, args.workdir, args.listen).start()
    except (SpecError, OSError) as err:
        print("vcsim: %s" % err, file=sys.stderr)
        return 2
    control = ControlServer(sim).start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *unused: stop.set())
    try:
        state = dict(sim.state(), control=control.address, pid=os.getpid())
        if args.state:
            temporary = args.state + ".tmp"
            with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
                json.dump(state, handle, indent=2)
            os.replace(temporary, args.state)
        for vc in state["vcs"]:
            print(json.dumps(vc), flush=True)
        print(json.dumps({"ready": True, "vcs": len(state["vcs"]), "state": args.state, "control_port": control.address["port"]}), flush=True)
        stop.wait()
    finally:
        control.stop()
        sim.stop()
    return 0


def _client(argv):
    parser = argparse.ArgumentParser(prog="python -m vcsim %s" % argv[0])
    parser.add_argument("--state", required=True, help="state file written by --state")
    parser.add_argument("--vc", required=argv[0] != "status", help="VC name")
    if argv[0] == "fault":
        parser.add_argument("kind", choices=sorted(FAULT_KINDS))
        parser.add_argument("params", nargs="*", metavar="param=value")
    elif argv[0] == "clear-faults":
        parser.add_argument("kind", nargs="?", choices=sorted(FAULT_KINDS))
    args = parser.parse_args(argv[1:])
    with open(args.state) as handle:
        address = json.load(handle)["control"]
    request = {"op": {"fault": "inject", "clear-faults": "clear", "status": "status"}[argv[0]], "vc": args.vc}
    if argv[0] == "fault":
        pairs = [item.split("=", 1) for item in args.params]
        if any(len(pair) != 2 for pair in pairs):
            parser.error("parameters are param=value")
        request.update(kind=args.kind, params=dict(pairs))
    elif argv[0] == "clear-faults":
        request["kind"] = args.kind
    try:
        result = call(address, request)
    except (RuntimeError, OSError, FaultError) as err:
        print("vcsim: %s" % err, file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CLIENT_COMMANDS:
        return _client(argv)
    return _run(argv)


if __name__ == "__main__":
    sys.exit(main())

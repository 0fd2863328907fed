"""Simulator: starts every VC of a spec on loopback and stops them all again.

    with Simulator(spec, workdir) as sim:
        vc = sim.vc("vc1")
        Device(host=vc.host, port=vc.port, user=..., passwd=..., hostkey_verify=True,
               ssh_config=vc.ssh_config_file)
"""

from pathlib import Path

from .clock import Scheduler, SimClock
from .hostkeys import generate_host_key, write_client_files
from .spec import load_spec
from .ssh_server import Credentials
from .vc import LISTEN_HOST, SimulatedVC


class Simulator:
    def __init__(self, spec, workdir, listen_host=LISTEN_HOST):
        self.spec = load_spec(spec)
        self.listen_host = listen_host
        self.workdir = Path(workdir).resolve()
        self.clock = SimClock(self.spec.time_scale)
        self.scheduler = Scheduler(self.clock)
        self.known_hosts_file = None
        self.ssh_config_file = None
        self.ssh_home = None
        self._vcs = {}
        self._started = False

    @property
    def vcs(self):
        return list(self._vcs.values())

    @property
    def user(self):
        return self.spec.user

    @property
    def password(self):
        return self.spec.password

    def vc(self, name):
        try:
            return self._vcs[name]
        except KeyError:
            raise KeyError("no VC named %r; VCs: %s" % (name, ", ".join(self._vcs)))

    def start(self):
        if self._started:
            return self
        self._started = True
        self.workdir.mkdir(parents=True, exist_ok=True)
        credentials = Credentials(self.spec.user, self.spec.password, self.spec.authorized_keys)
        host_key = generate_host_key(self.workdir / "ssh_host_ecdsa_key")
        self.scheduler.start()
        try:
            for vc_spec in self.spec.vcs:
                vc = SimulatedVC(vc_spec, self.spec, self.clock, self.scheduler, self.workdir, self.listen_host)
                self._vcs[vc.name] = vc
                vc.start(host_key, credentials)
            files = write_client_files(self.workdir, host_key, [(vc.host, vc.port) for vc in self.vcs])
            self.known_hosts_file, self.ssh_config_file, self.ssh_home = (str(path) for path in files)
            for vc in self.vcs:
                vc.known_hosts_file, vc.ssh_config_file, vc.ssh_home = self.known_hosts_file, self.ssh_config_file, self.ssh_home
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Close every port and stop every thread; safe to call twice."""
        for vc in self.vcs:
            vc.stop()
        self.scheduler.stop()

    def state(self):
        """What the CLI prints and writes to --state: where each VC listens and how to verify it."""
        return {
            "vcs": [
                {"name": vc.name, "host": vc.host, "port": vc.port,
                 "known_hosts_file": vc.known_hosts_file, "ssh_config_file": vc.ssh_config_file}
                for vc in self.vcs
            ],
            "user": self.spec.user,
            "ssh_home": self.ssh_home,
            "workdir": str(self.workdir),
        }

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

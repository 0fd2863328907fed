"""One simulated Virtual Chassis: its model, configuration, flash, event log and SSH endpoint.

``SimulatedVC`` is what ``Simulator.vc(name)`` returns; its public attributes and methods are
the test-facing API (documented in docs/simulator.md). RPC handlers reach the parts they need
through it (``vc.chassis``, ``vc.config``, ``vc.fs``).
"""

import contextlib
import hashlib
import itertools
import threading
import time

from . import configsyntax
from .chassis import Chassis, priorities_from_config
from .configdb import ConfigDB
from .events import EventLog
from .faults import FaultError, Faults, validate_fault
from .filesystem import VCFilesystem
from .phone_home import PhoneHomeClient
from .ssh_server import SSHServer
from .ztp import start_dhcp_ztp

LISTEN_HOST = "127.0.0.1"

# What "request system zeroize" leaves behind on an EX switch ([doc] seed: phone-home starts from it).
FACTORY_DEFAULT = """
system {
    phone-home {
        server https://redirect.juniper.net;
        rfc-compliant;
    }
}
protocols {
    lldp {
        interface all;
    }
    lldp-med {
        interface all;
    }
    rstp {
        interface all;
    }
}
vlans {
    default {
        vlan-id 1;
    }
}
"""


def factory_default():
    return configsyntax.parse_text(FACTORY_DEFAULT)


def generated_config(spec, user, password):
    """The configuration a provisioned VC starts with: host name, login, NETCONF, virtual-chassis stanza."""
    # Not a real crypt(3) hash: the simulator authenticates from the spec, this only looks the part.
    secret = configsyntax.quote("$6$vcsim$" + hashlib.sha256(password.encode()).hexdigest())
    lines = [
        "system {",
        "    host-name %s;" % configsyntax.quote(spec.hostname),
        "    root-authentication { encrypted-password %s; }" % secret,
        "    login { user %s { class super-user; authentication { encrypted-password %s; } } }" % (configsyntax.quote(user), secret),
        "    services { ssh; netconf { ssh; } }",
        "}",
    ]
    if spec.vc_capable and (len(spec.members) > 1 or spec.preprovisioned):
        lines.append("virtual-chassis {")
        if spec.preprovisioned:
            lines.append("    preprovisioned;")
        for member in spec.members:
            if spec.preprovisioned:
                lines.append("    member %d { role %s; serial-number %s; }" % (member.id, member.role, configsyntax.quote(member.serial)))
            else:
                priority = 0 if member.role == "line-card" else member.priority
                lines.append("    member %d { mastership-priority %d; }" % (member.id, priority))
        lines.append("}")
    return configsyntax.parse_text("\n".join(lines))


class SimulatedVC:
    def __init__(self, spec, sim_spec, clock, scheduler, workdir, host=LISTEN_HOST):
        self.name = spec.name
        self.spec = spec
        self.host = host
        self.port = None
        self.known_hosts_file = None
        self.ssh_config_file = None
        self.ssh_home = None
        self.directory = workdir / spec.name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.user = sim_spec.user
        self.clock = clock
        self.scheduler = scheduler
        self.faults = Faults()
        self.log = EventLog(clock, spec.name, self.directory / "events.jsonl")
        self.fs = VCFilesystem(self.directory, spec.storage_bytes, spec.storage_used_bytes, home="/var/home/%s" % sim_spec.user)
        for item in spec.files:
            self.fs.seed(item.path, item.size_bytes, item.cleanable)
        self.chassis = Chassis(spec, clock, scheduler, self.log, self.faults)
        self.chassis.on_master_lost = self.drop_sessions
        self.chassis.on_master_elected = self._master_elected
        self.phone_home = PhoneHomeClient(self) if spec.phone_home is not None else None
        if spec.initial_config == "factory-default":
            initial = factory_default()
        elif spec.initial_config == "generated":
            initial = generated_config(spec, sim_spec.user, sim_spec.password)
        else:
            initial = configsyntax.parse_text(spec.initial_config)
        self.config = ConfigDB(initial, sim_spec.user)
        self.hostname = None
        self.committed_changed(initial)
        self.chassis.form()
        self._counter_lock = threading.Lock()
        self._session_ids = itertools.count(1001)
        self._confirm_timer = None
        self.bytes_received = 0
        self.bytes_fetched = 0
        self.netconf_bytes_received = 0
        self.sessions_opened = 0
        self._server = None
        self.ztp = None

    # -- lifecycle (called by Simulator) -----------------------------------------------------

    def start(self, host_key, credentials):
        self._server = SSHServer(self, host_key, credentials)
        self.port = self._server.start(self.host, self.spec.port)
        for kind, params in self.spec.faults:
            self.inject_fault(kind, **params)
        self.ztp = start_dhcp_ztp(self)

    def stop(self):
        if self.ztp is not None:
            self.ztp.stop()
        if self.phone_home is not None:
            self.phone_home.stop()
        if self._server is not None:
            self._server.stop()

    # -- state for tests ---------------------------------------------------------------------

    @property
    def members(self):
        """Snapshots (chassis.MemberView) of every member, by member id."""
        return self.chassis.views()

    def member(self, member_id):
        return self.chassis.view(member_id)

    @property
    def master_id(self):
        return self.chassis.master_id()

    @property
    def backup_id(self):
        return self.chassis.backup_id()

    @property
    def reachable(self):
        """NETCONF answers only while some routing-engine member is master."""
        return self.chassis.master_id() is not None

    def roles(self):
        """{member id: role or None}: a compact view for assertions."""
        return {view.id: view.role for view in self.members}

    def events(self, event=None, member=None, since=None, **match):
        return self.log.events(event=event, member=member, since=since, **match)

    def files(self, path="/var/tmp"):
        """Names in a directory of the simulated flash."""
        unused_path, is_dir, entries = self.fs.listing(path)
        return [name for name, unused_stat in entries] if is_dir else []

    def committed_config(self):
        return self.config.committed

    def wait_until(self, predicate, timeout=30.0, interval=0.02):
        """Poll ``predicate(vc)`` until it is true; raise TimeoutError after ``timeout`` real seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() >= deadline:
                raise TimeoutError("%s: condition not met within %.1fs (roles %s)" % (self.name, timeout, self.roles()))
            time.sleep(interval)

    @contextlib.contextmanager
    def time_held_from(self, event, **match):
        """Inside the block, from the moment ``event`` (with these field values) is logged, the simulator's timers
        (members leaving, returning and settling, rollbacks) wait; they catch up, in order, when the block ends.

        The hold starts in the thread that logs the event, so a state that would last a fraction of a second (a
        member out for its reboot) stays until the test has looked at it, however slow the machine is. Yields an
        Event that is set once time is held.
        """
        lock, held, scope = threading.Lock(), threading.Event(), {"open": True}

        def listener(record):
            with lock:
                if scope["open"] and not held.is_set() and record["event"] == event and all(record.get(k) == v for k, v in match.items()):
                    self.scheduler.hold()
                    held.set()

        self.log.listeners.append(listener)
        try:
            yield held
        finally:
            self.log.listeners.remove(listener)
            with lock:
                scope["open"] = False
            if held.is_set():
                self.scheduler.release()

    # -- faults ------------------------------------------------------------------------------

    def inject_fault(self, kind, **params):
        kind, params = validate_fault(kind, params)
        if "member" in params and params["member"] not in self.chassis.members:
            raise FaultError("fault %s: %s has no member %d" % (kind, self.name, params["member"]))
        cabled = {end for link in self.chassis.links for end in (link[:2], link[2:])}
        if kind == "vcp_link_down" and (params["member"], params["port"]) not in cabled:
            raise FaultError("fault vcp_link_down: member %d has no cabled port %s" % (params["member"], params["port"]))
        self.faults.add(kind, params)
        if kind == "disk_full":
            self.fs.limit_free(params["bytes_available"])
        self.log.emit("fault_injected", member=params.get("member"), kind=kind, params=params)
        return params

    def clear_faults(self, kind=None):
        removed = self.faults.clear(kind)
        for removed_kind, params in removed:
            if removed_kind == "disk_full":
                self.fs.limit_free(None)
            self.log.emit("fault_cleared", member=params.get("member"), kind=removed_kind, params=params)
        return len(removed)

    # -- used by the transport and RPC layers ------------------------------------------------

    def new_session_id(self):
        return next(self._session_ids)

    def count_netconf_bytes(self, count):
        with self._counter_lock:
            self.netconf_bytes_received += count

    def count_upload_bytes(self, count):
        with self._counter_lock:
            self.bytes_received += count

    def count_fetched_bytes(self, count):
        with self._counter_lock:
            self.bytes_fetched += count

    def session_opened(self, session):
        with self._counter_lock:
            self.sessions_opened += 1
        self.log.emit("session_open", member=session.member_id, session=session.id, user=session.user)

    def drop_sessions(self):
        """The master left: every SSH connection to the VC goes down with it."""
        if self._server is not None:
            self._server.drop_all()

    def junos_version(self):
        master = self.chassis.master_id()
        member_id = master if master is not None else min(self.chassis.members)
        return self.chassis.members[member_id].version

    def committed_changed(self, tree):
        """A commit, rollback or zeroize changed the committed configuration."""
        self.hostname = tree.findtext("system/host-name")
        priorities, preprovisioned = priorities_from_config(tree, list(self.chassis.members))
        self.chassis.set_priorities(priorities, preprovisioned)

    def arm_confirmed_rollback(self, minutes):
        self.confirm_commit()
        self._confirm_timer = self.scheduler.call_later(minutes * 60.0, self._confirmed_commit_expired)

    def confirm_commit(self):
        """A commit confirms a pending commit confirmed; True if one was pending."""
        timer, self._confirm_timer = self._confirm_timer, None
        if timer is not None and not timer.cancelled:
            timer.cancel()
            return True
        return False

    def _confirmed_commit_expired(self):
        self._confirm_timer = None
        tree = self.config.commit_rollback(1, "root", "automatic rollback: commit confirmed was not confirmed")
        self.committed_changed(tree)
        self.log.emit("config_rollback", member=self.chassis.master_id(), reason="commit confirmed timed out")

    def zeroize(self, local, media):
        """Erase configuration and /var/tmp, then reboot (only the master with local)."""
        master = self.chassis.master_id()
        targets = [master] if local else [m.id for m in self.members if m.present]
        delay = self.spec.durations["shutdown"]
        self.log.emit("zeroize", member=master, local=local, media=media)
        # Scheduled before the reboot, so the erase happens as the members go down.
        self.scheduler.call_later(delay, self._erase)
        self.chassis.reboot(targets, delay, kind="zeroize_media" if media else "zeroize", reason="zeroize")
        return targets

    def _erase(self):
        tree = factory_default()
        self.config.reset(tree, "root", "zeroize")
        self.committed_changed(tree)
        self.fs.empty_var_tmp()
        if self.phone_home is not None:
            self.phone_home.factory_reset()

    # -- factory-default boot clients ----------------------------------------------------------

    def _master_elected(self, member_id):
        """A member became primary: the phone-home client of a factory-default VC starts (or resumes) there."""
        if self.phone_home is not None:
            self.phone_home.primary_elected(member_id)

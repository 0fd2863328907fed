"""The Virtual Chassis model: members, roles, VCP links, and the reboot/install state machine.

Member states: present -> installing -> present; present -> rebooting (NotPrsnt, VCP links down)
-> rejoining (Prsnt, Linecard, new version if an install was pending) -> present. Timed
transitions run on the shared Scheduler; every change is an event in the VC's EventLog.
"""

import threading
from dataclasses import dataclass

from .election import Candidate, elect_backup, elect_master, takes_backup
from .platforms import vcp_port_speed, vcp_port_type

PRESENT = "present"
INSTALLING = "installing"
REBOOTING = "rebooting"
REJOINING = "rejoining"

MASTER = "Master"
BACKUP = "Backup"
LINECARD = "Linecard"

DEFAULT_PRIORITY = 128
PREPROVISIONED_RE_PRIORITY = 129


@dataclass
class Member:
    id: int
    serial: str
    model: str
    mac: str
    version: str
    priority: int = DEFAULT_PRIORITY
    pending_version: str = None
    mixed: bool = False
    pending_mixed: bool = None
    state: str = PRESENT
    role: str = None
    boot_sim_ts: float = 0.0

    @property
    def present(self):
        return self.state != REBOOTING


@dataclass(frozen=True)
class MemberView:
    """Read-only snapshot of a member, as the public API returns it."""
    id: int
    serial: str
    model: str
    mac: str
    version: str
    pending_version: str
    state: str
    present: bool
    role: str
    priority: int
    mixed: bool
    uptime: float


@dataclass(frozen=True)
class PortView:
    name: str
    type: str
    status: str
    speed: int
    neighbor_id: int
    neighbor_port: str


def priorities_from_config(config, member_ids):
    """Mastership priority per member from the committed virtual-chassis stanza, and whether it is preprovisioned.

    preprovisioned: role routing-engine -> 129, anything else -> 0 (what Junos shows);
    otherwise: mastership-priority (default 128), role line-card -> 0 (a simulator leniency).
    """
    stanza = config.find("virtual-chassis")
    if stanza is None:
        return {i: DEFAULT_PRIORITY for i in member_ids}, False
    preprovisioned = stanza.find("preprovisioned") is not None
    result = {i: 0 if preprovisioned else DEFAULT_PRIORITY for i in member_ids}
    for entry in stanza.findall("member"):
        try:
            member_id = int(entry.findtext("name", ""))
        except ValueError:
            continue
        role = entry.findtext("role")
        if preprovisioned:
            result[member_id] = PREPROVISIONED_RE_PRIORITY if role == "routing-engine" else 0
        else:
            configured = entry.findtext("mastership-priority")
            result[member_id] = 0 if role == "line-card" else int(configured) if configured else DEFAULT_PRIORITY
    return result, preprovisioned


class Chassis:
    def __init__(self, spec, clock, scheduler, events, faults):
        self.lock = threading.RLock()
        self._clock = clock
        self._scheduler = scheduler
        self._events = events
        self._faults = faults
        self._durations = spec.durations
        self.preprovisioned = spec.preprovisioned
        self.links = list(spec.cabling)
        boot = clock.sim_now() - 86400
        self.members = {
            m.id: Member(id=m.id, serial=m.serial, model=m.model, mac=m.mac, version=m.version, priority=m.priority,
                         mixed=spec.mode == "mixed", boot_sim_ts=boot)
            for m in spec.members
        }
        self._last_master = None
        # Called (outside the lock) when the master leaves or hands over: the VC drops its sessions.
        self.on_master_lost = None
        # Called on the scheduler thread with the member id each time a member becomes master.
        self.on_master_elected = None

    # -- queries -----------------------------------------------------------------------------

    def _holder(self, role):
        for member in self.members.values():
            if member.role == role:
                return member
        return None

    def master_id(self):
        with self.lock:
            member = self._holder(MASTER)
            return member.id if member else None

    def backup_id(self):
        with self.lock:
            member = self._holder(BACKUP)
            return member.id if member else None

    def reported_serial(self, member):
        fault = self._faults.find("unexpected_serial", member=member.id)
        return fault["serial"] if fault else member.serial

    def is_mixed(self, member):
        return member.mixed or self._faults.find("mixed_mode") is not None

    def mode(self):
        with self.lock:
            mixed = any(self.is_mixed(m) for m in self.members.values() if m.present)
        return "Mixed" if mixed else "Enabled"

    def view(self, member_id):
        with self.lock:
            member = self.members[member_id]
            return MemberView(
                id=member.id, serial=self.reported_serial(member), model=member.model, mac=member.mac,
                version=member.version, pending_version=member.pending_version, state=member.state,
                present=member.present, role=member.role, priority=member.priority, mixed=self.is_mixed(member),
                uptime=self._clock.sim_now() - member.boot_sim_ts if member.present else None,
            )

    def views(self):
        with self.lock:
            return [self.view(member_id) for member_id in sorted(self.members)]

    def _link_up(self, link):
        a_member, a_port, b_member, b_port = link
        return (self.members[a_member].present and self.members[b_member].present
                and not self._faults.find("vcp_link_down", member=a_member, port=a_port)
                and not self._faults.find("vcp_link_down", member=b_member, port=b_port))

    def ports(self, member_id):
        with self.lock:
            model = self.members[member_id].model
            result = []
            for link in self.links:
                a_member, a_port, b_member, b_port = link
                for here, port, there, there_port in ((a_member, a_port, b_member, b_port), (b_member, b_port, a_member, a_port)):
                    if here != member_id:
                        continue
                    up = self._link_up(link)
                    result.append(PortView(port, vcp_port_type(model, port), "Up" if up else "Down", vcp_port_speed(model, port),
                                           there if up else None, there_port if up else None))
            return sorted(result, key=lambda p: p.name)

    # -- roles -------------------------------------------------------------------------------

    def _set_role(self, member, role):
        if member.role == role:
            return
        old, member.role = member.role, role
        if role == MASTER:
            self._last_master = member.id
            if self.on_master_elected is not None:
                self._scheduler.call_later(0, self.on_master_elected, member.id)
        self._events.emit("role_change", member=member.id, old=old, new=role)

    def _candidates(self, include_rejoining):
        states = (PRESENT, INSTALLING, REJOINING) if include_rejoining else (PRESENT, INSTALLING)
        return [Candidate(m.id, m.priority) for m in self.members.values() if m.state in states]

    def form(self):
        """(Re)form the VC from the members that are up: elect master and backup, the rest are Linecards."""
        with self.lock:
            candidates = self._candidates(include_rejoining=True)
            master = elect_master(candidates, self._last_master)
            if master is None:
                return
            backup = elect_backup(candidates, master)
            for member in self.members.values():
                if member.present:
                    if member.state == REJOINING:
                        member.state = PRESENT
                    self._set_role(member, MASTER if member.id == master else BACKUP if member.id == backup else LINECARD)

    def set_priorities(self, priorities, preprovisioned):
        """Committed configuration changed; takes effect at the next election (no preemption).

        [guess] A VC that has a master but no backup elects one as soon as a member becomes eligible.
        """
        with self.lock:
            self.preprovisioned = preprovisioned
            for member_id, priority in priorities.items():
                if member_id in self.members:
                    self.members[member_id].priority = priority
            master = self._holder(MASTER)
            if master is not None and self._holder(BACKUP) is None:
                chosen = elect_backup(self._candidates(include_rejoining=False), master.id)
                if chosen is not None:
                    self._set_role(self.members[chosen], BACKUP)

    def _elect_after_loss(self):
        master, backup = self._holder(MASTER), self._holder(BACKUP)
        if master is None and backup is not None:
            self._set_role(backup, MASTER)
            master, backup = backup, None
        elif master is None:
            self.form()
            return
        if backup is None:
            chosen = elect_backup(self._candidates(include_rejoining=False), master.id)
            if chosen is not None:
                self._set_role(self.members[chosen], BACKUP)

    def switchover(self):
        """The backup takes over and the master, still up, becomes backup; False if there is no pair."""
        with self.lock:
            master, backup = self._holder(MASTER), self._holder(BACKUP)
            if master is None or backup is None:
                return False
            self._set_role(master, BACKUP)
            self._set_role(backup, MASTER)
            self._events.emit("switchover", member=backup.id, old_master=master.id, new_master=backup.id)
        if self.on_master_lost is not None:
            self.on_master_lost()
        return True

    # -- reboot ------------------------------------------------------------------------------

    def reboot(self, member_ids, delay, kind="reboot", reason="request-reboot"):
        """Members leave the VC after ``delay`` simulated seconds and come back after durations[kind]."""
        with self.lock:
            member_ids = tuple(i for i in member_ids if self.members[i].present)
            for member_id in member_ids:
                self._events.emit("reboot_start", member=member_id, reason=reason, delay=delay)
        self._scheduler.call_later(delay, self._leave, member_ids, kind)
        return member_ids

    def _leave(self, member_ids, kind):
        with self.lock:
            leaving = [self.members[i] for i in member_ids if self.members[i].present]
            master_lost = any(m.role == MASTER for m in leaving)
            returns = {}
            for member in leaving:
                self._set_role(member, None)
                member.state = REBOOTING
                self._events.emit("member_leave", member=member.id)
                late = self._faults.find("member_returns_late", member=member.id)
                duration = self._durations[kind] + (late["seconds"] if late else 0.0)
                returns.setdefault(duration, []).append(member.id)
            for duration, group in sorted(returns.items()):
                self._scheduler.call_later(duration, self._return, tuple(group))
            if leaving:
                self._elect_after_loss()
        if master_lost and self.on_master_lost is not None:
            self.on_master_lost()

    def _return(self, member_ids):
        with self.lock:
            returned = []
            for member_id in member_ids:
                member = self.members[member_id]
                if member.state != REBOOTING or self._faults.find("member_never_returns", member=member_id):
                    continue
                if member.pending_version:
                    member.version, member.pending_version = member.pending_version, None
                if member.pending_mixed is not None:
                    member.mixed, member.pending_mixed = member.pending_mixed, None
                member.boot_sim_ts = self._clock.sim_now()
                member.state = PRESENT
                returned.append(member)
                self._events.emit("member_rejoin", member=member_id, version=member.version)
            if not returned:
                return
            if self._holder(MASTER) is None:
                self.form()
                return
            for member in returned:
                self._set_role(member, LINECARD)
                if member.priority > 0:
                    member.state = REJOINING
                    self._scheduler.call_later(self._durations["rejoin_as_linecard"], self._settle, member.id)

    def _settle(self, member_id):
        with self.lock:
            member = self.members[member_id]
            if member.state != REJOINING:
                return
            member.state = PRESENT
            if self._holder(MASTER) is None:
                self.form()
                return
            backup = self._holder(BACKUP)
            current = Candidate(backup.id, backup.priority) if backup else None
            if takes_backup(Candidate(member.id, member.priority), current):
                if backup is not None:
                    self._set_role(backup, LINECARD)
                self._set_role(member, BACKUP)

    # -- software ----------------------------------------------------------------------------

    def begin_install(self, member_id, package):
        with self.lock:
            member = self.members[member_id]
            if member.state == PRESENT:
                member.state = INSTALLING
            self._events.emit("install_start", member=member_id, package=package)

    def end_install(self, member_id, package, version):
        """Finish an install; returns None on success or the reason it failed."""
        with self.lock:
            member = self.members[member_id]
            if member.state == INSTALLING:
                member.state = PRESENT
            if not member.present:
                reason = "member left the Virtual Chassis during the installation"
            elif self._faults.find("install_fails", member=member_id):
                reason = "installation failed (injected fault)"
            else:
                member.pending_version = version
                self._events.emit("install_end", member=member_id, package=package, version=version)
                return None
            self._events.emit("install_fail", member=member_id, package=package, reason=reason)
            return reason

    def set_pending_mixed(self, member_ids, mixed):
        with self.lock:
            for member_id in member_ids:
                self.members[member_id].pending_mixed = mixed

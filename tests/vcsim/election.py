"""Virtual Chassis role election, as pure functions so they can be unit-tested alone.

Rules ([doc] seed "Phone-Home Process on a Virtual Chassis" + Juniper's primary election):
- only eligible members (mastership priority > 0; role line-card never) can be Master/Backup;
- when the primary leaves, the backup takes over and a new backup is elected;
- a new election orders by priority (high first), then the previous master, then the lowest member id
  (real Junos then compares uptime and MAC; the simulator stops at the member id);
- a member that rejoins starts as Linecard and, after a delay, takes the backup role if it is eligible
  and its priority is >= the interim backup's (which goes back to Linecard).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    id: int
    priority: int

    @property
    def eligible(self):
        return self.priority > 0


def _ranking(previous_master):
    return lambda c: (-c.priority, 0 if c.id == previous_master else 1, c.id)


def elect_master(candidates, previous_master=None):
    """Member id of the new master among present candidates, or None if none is eligible."""
    eligible = sorted((c for c in candidates if c.eligible), key=_ranking(previous_master))
    return eligible[0].id if eligible else None


def elect_backup(candidates, master):
    """Member id of the best eligible candidate other than the master, or None."""
    eligible = sorted((c for c in candidates if c.eligible and c.id != master), key=_ranking(None))
    return eligible[0].id if eligible else None


def takes_backup(returning, current_backup):
    """Whether a member that has finished rejoining replaces the current (interim) backup."""
    if not returning.eligible:
        return False
    return current_backup is None or returning.priority >= current_backup.priority

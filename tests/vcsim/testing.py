"""Ready-made specs for tests (used by tests/wire/conftest.py and the tests themselves)."""

# A 300 s simulated reboot takes ~1 s real; an install (600 s) ~2 s.
FAST_TIME_SCALE = 1.0 / 300
USER = "admin"
PASSWORD = "admin123"


def vc4_spec(name="vc4", **overrides):
    """The standard 4-member EX4300 ring: 0 and 1 routing-engine (priority 255), 2 and 3 line-card.

    Keyword arguments override keys of the VC entry (e.g. faults=[...], preprovisioned=True).
    """
    members = [
        {"id": 0, "serial": "PE3714100218", "model": "ex4300-48p", "priority": 255, "role": "routing-engine"},
        {"id": 1, "serial": "PE3714100759", "model": "ex4300-48p", "priority": 255, "role": "routing-engine"},
        {"id": 2, "serial": "PE3714100999", "model": "ex4300-48t", "priority": 0, "role": "line-card"},
        {"id": 3, "serial": "PE3714101111", "model": "ex4300-48t", "priority": 0, "role": "line-card"},
    ]
    vc = {"name": name, "hostname": name, "members": members}
    vc.update(overrides)
    return {"time_scale": FAST_TIME_SCALE, "user": USER, "password": PASSWORD, "vcs": [vc]}

"""Fixtures for tests that talk to the Virtual Chassis simulator (tests/vcsim) over real SSH.

- ``vcsim``: factory ``vcsim(spec_dict) -> Simulator``, started in tmp_path, stopped at teardown;
- ``vc4``: a ready 4-member EX4300 ring VC (0/1 routing-engine priority 255, 2/3 line-card);
- ``pyez_device``: factory ``pyez_device(vc) -> opened jnpr.junos.Device`` with host key checking on.
"""

import os
import sys
import threading
import time

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from vcsim import Simulator  # noqa: E402  pylint: disable=wrong-import-position
from vcsim.testing import PASSWORD, USER, vc4_spec  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def vcsim(tmp_path):
    started = []

    def factory(spec):
        sim = Simulator(spec, tmp_path / ("sim%d" % len(started)))
        started.append(sim)
        return sim.start()

    yield factory
    for sim in started:
        sim.stop()
    # Every simulator thread must be gone, or a later test (or pytest itself) could hang.
    deadline = time.monotonic() + 5
    while any(t.name.startswith("vcsim-") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("vcsim-")]


@pytest.fixture
def vc4(vcsim):
    return vcsim(vc4_spec()).vc("vc4")


@pytest.fixture
def pyez_device():
    from jnpr.junos import Device

    opened = []

    def factory(vc, user=USER, password=PASSWORD, **kwargs):
        device = Device(host=vc.host, port=vc.port, user=user, passwd=password, hostkey_verify=True,
                        ssh_config=vc.ssh_config_file, gather_facts=False, **kwargs)
        device.open()
        opened.append(device)
        return device

    yield factory
    for device in opened:
        if device.connected:
            try:
                device.close()
            except Exception:
                # A device whose session the simulator dropped (reboot tests) cannot close cleanly.
                pass

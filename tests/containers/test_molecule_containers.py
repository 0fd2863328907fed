"""The molecule scenario extensions/molecule/containers, run the way users run it: `molecule test -s containers`.

Molecule's podman driver; create builds the simulator's image when it is missing and starts one container per switch
or Virtual Chassis, converge runs junos.ztp.provision_vc against them over the published NETCONF ports (host keys
read from the containers and verified), idempotence fails on any change, verify checks versions and configuration,
destroy removes the containers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The first run also builds the image (about a minute on a quiet machine).
SCENARIO_SECONDS = 900


def test_molecule_containers_scenario_converges_is_idempotent_and_verifies(tmp_path):
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get('PATH', '')]),
               ANSIBLE_COLLECTIONS_PATH=str(REPO / '.build' / 'collections'), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', NO_COLOR='1', MOLECULE_NO_LOG='false',
               MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / 'ephemeral'))
    # The scenario's defaults: the simulator, run by the project's podman (tools/vcsim-podman.sh).
    for name in ('JUNOS_ZTP_MOLECULE_INVENTORY', 'MOLECULE_PODMAN_EXECUTABLE'):
        env.pop(name, None)
    completed = subprocess.run([str(Path(bin_dir) / 'molecule'), 'test', '-s', 'containers'], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=SCENARIO_SECONDS, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    for step in ('create', 'converge', 'idempotence', 'verify', 'destroy'):
        # Molecule writes "containers ➜ step" on a terminal and "containers > step" otherwise.
        assert re.search(r'containers (➜|>) %s: Executed: Successful' % step, output), output[-6000:]
    # Both devices were upgraded and configured in their containers, and destroy left none behind.
    assert re.search(r'mol-vc1\s+: ok=\d+\s+changed=[1-9]', output) and re.search(r'mol-sw1\s+: ok=\d+\s+changed=[1-9]', output), output[-6000:]
    left = subprocess.run([str(REPO / 'tools' / 'vcsim-podman.sh'), 'ps', '--all', '--quiet', '--filter', 'label=owner=molecule'],
                          capture_output=True, text=True, check=True).stdout
    assert left == ''

"""The molecule scenario extensions/molecule/default, run the way users run it: `molecule test -s default` in extensions/ of the
collection installed from the built tarball (so it needs nothing the tarball leaves out).

It starts simulated switches (create), converges junos.ztp.provision_vc, converges again and fails on any change
(idempotence), verifies versions and configuration, and stops the simulator (destroy).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO_SECONDS = 600


@pytest.mark.skipif(importlib.util.find_spec('molecule') is None, reason='molecule is not installed (pip install -r requirements-dev.txt)')
def test_molecule_default_scenario_converges_is_idempotent_and_verifies(tmp_path, installed_collection):
    bin_dir = str(Path(sys.executable).parent)
    env = installed_collection.env(ANSIBLE_FORCE_COLOR='0', NO_COLOR='1', MOLECULE_NO_LOG='false',
                                   # Molecule keeps its ephemeral directory (and the simulator's files) under here, not in ~/.ansible.
                                   MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / 'ephemeral'))
    env.pop('JUNOS_ZTP_MOLECULE_INVENTORY', None)
    completed = subprocess.run([str(Path(bin_dir) / 'molecule'), 'test', '-s', 'default'], cwd=installed_collection.root / 'extensions', env=env,
                               capture_output=True, text=True, timeout=SCENARIO_SECONDS, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    for step in ('create', 'converge', 'idempotence', 'verify', 'destroy'):
        # Molecule writes "default ➜ step" on a terminal and "default > step" otherwise.
        assert re.search(r'default (➜|>) %s: Executed: Successful' % step, output), output[-6000:]

"""The four DHCP outputs for the example inventory, compared with the committed golden files.

JUNOS_ZTP_UPDATE_GOLDEN=1 rewrites tests/golden/dhcp/ instead of comparing; review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.junos.ztp.plugins.module_utils._data_model import HOST_VARIABLES
from ansible_collections.junos.ztp.plugins.module_utils._dhcp import Settings, build_plan
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_render import render
from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables

REPO = Path(__file__).resolve().parents[4]
EXAMPLE = REPO / 'playbooks' / 'inventory' / 'example'
GOLDEN = REPO / 'tests' / 'golden' / 'dhcp'
OUTPUTS = yaml.safe_load((GOLDEN / 'outputs.yml').read_text())


def example_fleet():
    """The example inventory's ztp_* variables, read the way junos.ztp.dhcp_config reads them."""
    loader = DataLoader()
    inventory = InventoryManager(loader, sources=[str(EXAMPLE)])
    hostvars = HostVars(inventory, VariableManager(loader, inventory), loader)
    return fleet_variables(hostvars, sorted(inventory.hosts), HOST_VARIABLES, Templar(loader))


@pytest.fixture(scope='module')
def fleet():
    return example_fleet()


@pytest.mark.parametrize('options', OUTPUTS, ids=[options['type'] for options in OUTPUTS])
def test_example_inventory_renders_the_golden_file(fleet, options):
    settings = Settings(options['type'], **{key: value for key, value in options.items() if key not in ('type', 'dest')})
    text = render(build_plan(fleet, settings))
    golden = GOLDEN / options['dest']
    if os.environ.get('JUNOS_ZTP_UPDATE_GOLDEN') == '1':
        golden.write_text(text)
    assert text == golden.read_text(), 'rendering changed: review it, then JUNOS_ZTP_UPDATE_GOLDEN=1 to accept'

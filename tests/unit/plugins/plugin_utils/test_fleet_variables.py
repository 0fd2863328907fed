"""The fast fleet reader gives exactly what hostvars[host][name] gives, for every source of host variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables

REPO = Path(__file__).resolve().parents[4]
NAMES = ('ztp_topology', 'ztp_members', 'ztp_configuration', 'ztp_file_server', 'ztp_management', 'ztp_dhcp_options')


def both_ways(source, extra_vars=None, set_facts=None):
    loader = DataLoader()
    inventory = InventoryManager(loader, sources=[str(source)])
    manager = VariableManager(loader, inventory)
    if extra_vars:
        manager._extra_vars = extra_vars
    for host, facts in (set_facts or {}).items():
        manager.set_nonpersistent_facts(host, facts)
    hostvars = HostVars(inventory, manager, loader)
    hosts = sorted(inventory.hosts)
    fast = fleet_variables(hostvars, hosts, NAMES, Templar(loader))
    exact = {host: {name: hostvars[host][name] for name in NAMES if name in hostvars[host]} for host in hosts}
    return fast, json.loads(json.dumps(exact))


def test_example_inventory_reads_the_same_both_ways():
    fast, exact = both_ways(REPO / 'playbooks' / 'inventory' / 'example')
    assert fast == exact
    assert fast['ams1-sw1']['ztp_configuration']['template'].endswith('/example/../../templates/site-config.conf.j2')


@pytest.fixture
def layered_inventory(tmp_path):
    """Every inventory-side source at once: inventory vars, nested groups with priorities, group_vars/ and host_vars/ files."""
    (tmp_path / 'hosts.yml').write_text('''
all:
  vars: {ztp_topology: none, ztp_dhcp_options: {proxy: "10.0.0.1:3128"}}
  children:
    site:
      vars: {ztp_file_server: {address: 10.0.0.5}}
      children:
        vc: {hosts: {vc1: {ztp_members: [{serial_number: A}]}, vc2: {}}, vars: {ztp_topology: full, ansible_group_priority: 5}}
        floor: {hosts: {vc2: {}, sw1: {ztp_management: {hostname: "{{ inventory_hostname }}-mgmt"}}}, vars: {ztp_topology: minimum}}
''')
    (tmp_path / 'group_vars').mkdir()
    (tmp_path / 'group_vars' / 'floor.yml').write_text('ztp_configuration: {template: "{{ inventory_dir }}/site.j2"}\n')
    (tmp_path / 'host_vars').mkdir()
    (tmp_path / 'host_vars' / 'vc2.yml').write_text('ztp_members: [{serial_number: B}, {serial_number: C}]\n')
    return tmp_path / 'hosts.yml'


def test_layered_inventory_reads_the_same_both_ways(layered_inventory):
    fast, exact = both_ways(layered_inventory)
    assert fast == exact
    assert fast['vc2']['ztp_topology'] == 'full'  # group priority wins over the sibling group
    assert fast['sw1']['ztp_management']['hostname'] == 'sw1-mgmt'


def test_extra_vars_and_set_fact_win_as_they_do_in_hostvars(layered_inventory):
    fast, exact = both_ways(layered_inventory, extra_vars={'ztp_file_server': {'address': '10.9.9.9'}},
                            set_facts={'vc1': {'ztp_topology': 'minimum'}})
    assert fast == exact
    assert fast['vc1']['ztp_topology'] == 'minimum' and fast['sw1']['ztp_file_server'] == {'address': '10.9.9.9'}


def test_values_are_plain_python_and_group_values_stay_shared(layered_inventory):
    fast, _exact = both_ways(layered_inventory)
    assert type(fast['vc1']['ztp_members'][0]['serial_number']) is str  # pylint: disable=unidiomatic-typecheck
    assert fast['vc1']['ztp_dhcp_options'] is fast['sw1']['ztp_dhcp_options']


def test_values_freed_between_hosts_are_never_confused():
    """Per-host objects are freed and their ids reused; the conversion must never hand one value's result to another."""
    from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import _plain

    for number in range(200):
        value = {'serial_number': 'S%d' % number, 'images': [{'file': 'f%d' % number}]}
        assert _plain(value) == (value, False)
        assert _plain({'x': '{{ y }}'} if number % 2 else {'x': 'plain'})[1] is bool(number % 2)


def test_templated_values_are_rendered_in_each_hosts_context(tmp_path):
    """Only strings holding Jinja go through the templar; the others are taken as they are, and both agree with hostvars."""
    (tmp_path / 'hosts.yml').write_text('''
all:
  vars:
    ztp_management: {hostname: "{{ inventory_hostname }}", dhcp_match: mac}
    ztp_dhcp_options: {proxy: "{{ proxy_host }}:3128", ntp_servers: [192.0.2.1]}
    proxy_host: 192.0.2.30
  hosts:
    sw1: {ztp_members: [{serial_number: "{{ inventory_hostname | upper }}X"}]}
    sw2: {ztp_members: [{serial_number: PLAIN2}], proxy_host: 192.0.2.31}
''')
    fast, exact = both_ways(tmp_path / 'hosts.yml')
    assert fast == exact
    assert fast['sw1']['ztp_management'] == {'hostname': 'sw1', 'dhcp_match': 'mac'}
    assert fast['sw2']['ztp_management']['hostname'] == 'sw2'
    assert fast['sw1']['ztp_members'] == [{'serial_number': 'SW1X'}]
    assert fast['sw1']['ztp_dhcp_options']['proxy'] == '192.0.2.30:3128' and fast['sw2']['ztp_dhcp_options']['proxy'] == '192.0.2.31:3128'


def test_vars_plugins_are_asked_per_host_only_where_a_host_vars_directory_exists(tmp_path, layered_inventory):
    """Without host_vars/ beside the inventory or the playbook, host_group_vars finds nothing for any host: the per-host calls are skipped."""
    from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import _InventoryVariables

    (tmp_path / 'plain').mkdir()
    (tmp_path / 'plain' / 'hosts.yml').write_text('all: {hosts: {sw1: {ztp_topology: none}}}\n')
    for source, expected in ((tmp_path / 'plain' / 'hosts.yml', False), (layered_inventory, True)):
        loader = DataLoader()
        loader.set_basedir(str(source.parent))
        manager = VariableManager(loader, InventoryManager(loader, sources=[str(source)]))
        assert _InventoryVariables(manager, frozenset(NAMES), None)._host_plugins_may_find() is expected
    (tmp_path / 'playbooks' / 'host_vars').mkdir(parents=True)  # a host_vars/ beside the playbook counts too
    loader = DataLoader()
    loader.set_basedir(str(tmp_path / 'playbooks'))
    manager = VariableManager(loader, InventoryManager(loader, sources=[str(tmp_path / 'plain' / 'hosts.yml')]))
    manager.safe_basedir = True  # as ansible-playbook sets it
    assert _InventoryVariables(manager, frozenset(NAMES), None)._host_plugins_may_find() is True

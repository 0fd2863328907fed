"""Bad input never reaches a device or a file, and host key checking fails closed (ansible-playbook, simulated switches).

Each class of mistake of issue 13 is made in a real inventory (YAML written by hand where YAML's own typing is the
point); provision_vc must open no NETCONF session, phs_records and dhcp_records must write nothing.
"""

from __future__ import annotations

import shutil
import sys

import yaml
from playbook import REPO, run_playbook, vc_host_vars
from test_dhcp_role import run_role as run_dhcp_records_role
from test_provision_vc import inventory as provision_vc_inventory
from test_provision_vc import run_provision_vc
from test_provision_vc import spec as provision_vc_spec
from vcsim.testing import FAST_TIME_SCALE

LOCAL = {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}


def _failed_problems(results):
    return next(r['result'] for r in results if r['status'] == 'failed').get('problems', [])


def test_provision_vc_refuses_every_class_of_bad_input_before_any_session(vcsim, tmp_path):
    sim = vcsim(provision_vc_spec())
    inventory_path = provision_vc_inventory(sim, tmp_path)
    data = yaml.safe_load(inventory_path.read_text())
    vcs = data['all']['children']['virtual_chassis']['hosts']
    vc1 = vcs['site-vc1']
    vc1['ztp_configuration'] = {'template': str(tmp_path / 'no-such-template.xml.j2')}  # the file-existence case
    vc1['ztp_members'][1]['member_id'] = True
    vc1['ztp_members'][2]['role'] = 'routing-engine'
    vc1['ztp_members'][2]['mastership_priority'] = 255
    vc2 = vcs['site-vc2']
    vc2['ztp_scripts'] = {'pre': {'local_path': 'no-such-script.sh'}}
    vc2['ztp_members'][1]['serial_number'] = 'PE3714107001\n'
    # A host whose name is not ASCII, pointed at the standalone switch: it must not be contacted either.
    data['all']['children']['standalone']['hosts']['sw-zürich'] = dict(data['all']['children']['standalone']['hosts']['site-sw1'])
    inventory_path.write_text(yaml.safe_dump(data, allow_unicode=True))
    # YAML's own typing, written as a user would: unquoted no, a typo'd variable, a serial with a leading zero.
    host_vars = tmp_path / 'host_vars'
    host_vars.mkdir()
    (host_vars / 'site-vc2.yml').write_text('ztp_management: {hostname: no}\nztp_provisioning_mod: strict\n')
    (host_vars / 'site-sw1.yml').write_text('ztp_members: []\n')
    (host_vars / 'sw-zürich.yml').write_text('ztp_members: [{serial_number: 012345, model: ex2300-24p}]\n')

    returncode, output, results = run_provision_vc(tmp_path, inventory_path)
    assert returncode != 0, output[-4000:]
    problems = _failed_problems(results)
    expected = [
        'site-sw1: ztp_members: is empty: a standalone device (ztp_topology: none) has exactly one member',
        'site-vc1: ztp_members[1].member_id: must be an integer, got the boolean true',
        'site-vc1: ztp_members: at most 2 members have role routing-engine',
        'site-vc1: ztp_configuration.template: no file %s on the controller' % (tmp_path / 'no-such-template.xml.j2'),
        'site-vc2: ztp_members[1].serial_number: contains the control character',
        'site-vc2: ztp_management.hostname: must be text, got the boolean False',
        'site-vc2: ztp_provisioning_mod: is not a junos.ztp host variable (did you mean ztp_provisioning_mode?)',
        'site-vc2: ztp_scripts.pre.local_path: no file no-such-script.sh on the controller',
        'sw-zürich: inventory_hostname: must be ASCII letters',
        'sw-zürich: ztp_members[0].serial_number: must be text, got the number 5349',
    ]
    for start in expected:
        assert any(problem.startswith(start) for problem in problems), (start, problems)
    for name in ('site-vc1', 'site-vc2', 'site-sw1'):
        assert sim.vc(name).sessions_opened == 0, '%s was contacted' % name


def _example_copy(tmp_path):
    shutil.copytree(REPO / 'playbooks', tmp_path / 'playbooks')
    return tmp_path / 'playbooks' / 'inventory' / 'example'


def test_phs_records_writes_nothing_when_a_file_is_missing_or_a_variable_misspelt(tmp_path):
    inventory = _example_copy(tmp_path)
    vc1 = inventory / 'host_vars' / 'ams1-vc1.yml'
    vc1.write_text(vc1.read_text() + 'ztp_scripts: {post: {local_path: missing-post.sh}}\nztp_topolgy: full\n')
    dest = tmp_path / 'records'
    run = run_playbook(tmp_path, [], LOCAL, extra_args=['-i', str(inventory / 'hosts.yml'), '-e', 'phs_records_dest=%s' % dest],
                       play={'hosts': 'localhost', 'roles': ['junos.ztp.phs_records']})
    assert run.returncode != 0
    problems = _failed_problems(run.results)
    assert any(p.startswith('ams1-vc1: ztp_scripts.post.local_path: no file missing-post.sh on the controller') for p in problems), problems
    assert any(p.startswith('ams1-vc1: ztp_topolgy: is not a junos.ztp host variable (did you mean ztp_topology?)') for p in problems), problems
    assert not dest.exists() and list(tmp_path.glob('records*')) == []


def test_dhcp_records_writes_nothing_for_loose_yaml_types(tmp_path):
    inventory = _example_copy(tmp_path)
    sw1 = inventory / 'host_vars' / 'ams1-sw1.yml'
    sw1.write_text(sw1.read_text() + 'ztp_member_detection_timeout: yes\n')
    run, out = run_dhcp_records_role(tmp_path, inventory=inventory)
    assert run.returncode != 0
    assert list(out.iterdir()) == []
    problems = [p for r in run.results if r['status'] == 'failed' for item in r['result'].get('results', [r['result']])
                for p in item.get('problems', [])]
    assert any(p.startswith('ams1-sw1: ztp_member_detection_timeout: must be an integer, got the boolean true') for p in problems), problems


def _standalone(name, serial):
    return {'name': name, 'hostname': name, 'members': [{'id': 0, 'serial': serial, 'model': 'ex2300-24p'}]}


def test_host_key_checking_fails_closed(vcsim, tmp_path):
    sim = vcsim({'time_scale': FAST_TIME_SCALE, 'user': 'ztp', 'password': 'hostkey-secret',
                 'vcs': [_standalone('typo', 'HK0001'), _standalone('global', 'HK0002'), _standalone('opted-out', 'HK0003')]})
    empty_known_hosts = tmp_path / 'empty_known_hosts'
    empty_known_hosts.write_text('')
    hosts = {
        'typo': vc_host_vars(sim.vc('typo'), sim.user, sim.password, ansible_host_key_checking='flase'),
        # Only Ansible's global setting says False (as ansible-runner sets it for every AWX job): keys are still checked.
        'global': vc_host_vars(sim.vc('global'), sim.user, sim.password, ztp_known_hosts_file=str(empty_known_hosts)),
        'opted-out': vc_host_vars(sim.vc('opted-out'), sim.user, sim.password, ansible_host_key_checking=False,
                                  ztp_known_hosts_file=str(empty_known_hosts)),
    }
    run = run_playbook(tmp_path, [{'name': 'Facts', 'junos.ztp.vc_facts': None}], hosts, env={'ANSIBLE_HOST_KEY_CHECKING': 'False'})

    typo = run.task('Facts', 'typo')
    assert typo['status'] == 'failed'
    assert typo['result']['msg'].startswith("typo: ansible_host_key_checking: must be a boolean, true or false (unquoted in YAML), got the text 'flase'")
    assert sim.vc('typo').sessions_opened == 0
    unchecked = run.task('Facts', 'global')
    assert unchecked['status'] == 'failed' and 'SSH host key of' in unchecked['result']['msg'], unchecked['result']
    assert sim.vc('global').sessions_opened == 0
    assert run.task('Facts', 'opted-out')['status'] == 'ok' and sim.vc('opted-out').sessions_opened == 1


def test_a_relative_template_is_found_alike_by_validation_and_by_the_module_that_renders_it(vcsim, tmp_path):
    # One rule (ansible.builtin.template's): site-config.xml.j2 is playbooks/templates/site-config.xml.j2, beside provision_vc.yml.
    sim = vcsim(provision_vc_spec())
    inventory_path = provision_vc_inventory(sim, tmp_path)
    data = yaml.safe_load(inventory_path.read_text())
    data['all']['children']['standalone']['hosts']['site-sw1']['ztp_configuration'] = {'template': 'site-config.xml.j2'}
    inventory_path.write_text(yaml.safe_dump(data))
    returncode, output, _results = run_provision_vc(tmp_path, inventory_path, '-e', 'provision_vc_hosts=site-sw1',
                                                    '-e', 'provision_vc_virtual_chassis=false')
    assert returncode == 0, output[-4000:]
    assert sim.vc('site-sw1').config.committed.findtext('system/host-name') == 'site-sw1'

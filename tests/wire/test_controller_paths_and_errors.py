"""Controller-side rules users meet first: relative paths resolve against the playbook's directory for every module,
a missing known_hosts file is named, and a controller without netaddr is told so (not "an inventory problem")."""

from __future__ import annotations

import shutil

from playbook import REPO, run_playbook, vc_host_vars
from vcsim.testing import PASSWORD, USER

EXAMPLE = REPO / 'playbooks' / 'inventory' / 'example'


def test_relative_dest_is_the_playbook_directory_for_dhcp_config_and_phs_records(tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    tasks = [{'name': 'DHCP', 'junos.ztp.dhcp_config': {'output': 'isc4', 'dest': 'out/junos-ztp.conf', 'validate': False}, 'run_once': True},
             {'name': 'Records', 'junos.ztp.phs_records': {'dest': 'out/records'}, 'run_once': True}]
    (tmp_path / 'out').mkdir()
    # ansible-playbook runs in another directory than the playbook's.
    run = run_playbook(tmp_path, tasks, {}, extra_args=('-i', str(EXAMPLE)), cwd=elsewhere)
    assert run.returncode == 0, run.output[-4000:]
    assert run.task('DHCP')['result']['dest'] == str(tmp_path / 'out' / 'junos-ztp.conf')
    assert (tmp_path / 'out' / 'junos-ztp.conf').is_file()
    assert run.task('Records')['result']['records_dir'] == str(tmp_path / 'out' / 'records')
    assert (tmp_path / 'out' / 'records').is_symlink()


def test_a_known_hosts_file_that_does_not_exist_is_named(tmp_path, vc4):
    missing = tmp_path / 'no-such-known-hosts'
    hosts = {'vc4': vc_host_vars(vc4, USER, PASSWORD, ztp_known_hosts_file=str(missing))}
    run = run_playbook(tmp_path, [{'name': 'Facts', 'junos.ztp.vc_facts': {}}], hosts)
    result = run.task('Facts', 'vc4')
    assert result['status'] == 'failed'
    assert result['result']['msg'].startswith('vc4: known_hosts_file (the ztp_known_hosts_file variable): no file %s on the controller'
                                              % missing)
    assert vc4.events('session_open') == []


def test_relative_known_hosts_file_is_the_playbook_directory(tmp_path, vc4):
    shutil.copy(vc4.known_hosts_file, tmp_path / 'site_known_hosts')
    hosts = {'vc4': vc_host_vars(vc4, USER, PASSWORD, ztp_known_hosts_file='site_known_hosts')}
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    run = run_playbook(tmp_path, [{'name': 'Facts', 'junos.ztp.vc_facts': {}}], hosts, cwd=elsewhere)
    assert run.task('Facts', 'vc4')['status'] == 'ok', run.output[-3000:]


def test_a_controller_without_netaddr_is_told_to_install_it(tmp_path):
    # A netaddr that cannot be imported, ahead of the real one on the controller's Python path.
    blocker = tmp_path / 'no_netaddr' / 'netaddr'
    blocker.mkdir(parents=True)
    (blocker / '__init__.py').write_text('raise ImportError("netaddr hidden by the test")\n')
    tasks = [{'name': 'Validate', 'junos.ztp.validate_inventory': {}, 'run_once': True}]
    run = run_playbook(tmp_path, tasks, {}, extra_args=('-i', str(EXAMPLE)), env={'PYTHONPATH': '%s:%s' % (blocker.parent, REPO / 'tests')})
    result = run.task('Validate')
    assert result['status'] == 'failed'
    assert result['result']['msg'].startswith('junos.ztp needs the netaddr Python library on the Ansible controller')
    assert 'inventory problem' not in result['result']['msg'] and 'controller:' not in result['result']['msg']

"""The junos.ztp.pyez persistent connection against ansible_connection local, counted by the simulator's sessions_opened.

tests/wire/test_provision_vc.py counts the sessions of a whole provisioning (1 + one per primary reboot) on it.
"""

from __future__ import annotations

from playbook import run_playbook, vc_host_vars
from vcsim.testing import vc4_spec

CONFIGURATION = '<configuration><system><host-name>renamed</host-name></system></configuration>'
REFUSED = '<configuration><system operation="frobnicate"/></configuration>'


def test_the_device_tasks_of_a_play_share_one_session_on_pyez_and_open_one_each_on_local(vcsim, tmp_path):
    spec = vc4_spec(name='shared')
    spec['vcs'].append(dict(vc4_spec(name='per-task')['vcs'][0], members=[dict(m, serial='X' + m['serial'][1:]) for m in spec['vcs'][0]['members']]))
    sim = vcsim(spec)
    hosts = {
        'shared': vc_host_vars(sim.vc('shared'), sim.user, sim.password, ansible_connection='junos.ztp.pyez'),
        'per-task': vc_host_vars(sim.vc('per-task'), sim.user, sim.password, ansible_connection='local'),
    }
    tasks = [
        {'name': 'Facts', 'junos.ztp.vc_facts': None},
        # Tasks that are not device tasks run on the controller, on either connection.
        {'name': 'Keep the primary', 'ansible.builtin.set_fact': {'primary_before': '{{ junos_ztp_vc.primary_member }}'}},
        {'name': 'Write a local file',
         'ansible.builtin.copy': {'content': '{{ inventory_hostname }}\n', 'dest': str(tmp_path / '{{ inventory_hostname }}.txt')}},
        {'name': 'Check the ports', 'junos.ztp.vcp_check': {'members': [], 'topology': 'none'}},
        # check_mode and diff keep their meaning through the shared session.
        {'name': 'Configure (check mode)', 'junos.ztp.apply_config': {'configuration': CONFIGURATION}, 'check_mode': True, 'diff': True},
        {'name': 'Configure', 'junos.ztp.apply_config': {'configuration': CONFIGURATION}},
        # A refused RPC fails the task with the device's words, as on a session of its own.
        {'name': 'Refused', 'junos.ztp.apply_config': {'configuration': REFUSED}, 'ignore_errors': True},
        {'name': 'Facts again', 'junos.ztp.vc_facts': None},
    ]
    run = run_playbook(tmp_path, tasks, hosts)

    for host in hosts:
        for name in ('Facts', 'Keep the primary', 'Write a local file', 'Check the ports', 'Facts again'):
            assert run.task(name, host)['status'] == 'ok', run.output[-4000:]
        assert (tmp_path / ('%s.txt' % host)).read_text() == host + '\n'
        check = run.task('Configure (check mode)', host)['result']
        assert check['changed'] is True and '+  host-name renamed;' in check['diff']['prepared'], check
        assert run.task('Configure', host)['result']['changed'] is True
        assert sim.vc(host).config.committed.findtext('system/host-name') == 'renamed'
        assert run.task('Refused', host)['status'] == 'failed'
    refusals = {host: run.task('Refused', host)['result']['msg'] for host in hosts}
    assert refusals['shared'] == refusals['per-task'].replace('per-task', 'shared'), refusals
    # Six device tasks: one session on the persistent connection, one per task on local.
    assert sim.vc('shared').sessions_opened == 1
    assert sim.vc('per-task').sessions_opened == 6


def test_bad_input_starts_no_connection_process(vcsim, tmp_path):
    """vc_upgrade and image_stage check their arguments before the host's junos.ztp.pyez process is started."""
    sim = vcsim(vc4_spec(name='vc'))
    hosts = {'vc': vc_host_vars(sim.vc('vc'), sim.user, sim.password, ansible_connection='junos.ztp.pyez')}
    control = tmp_path / 'pc'  # ansible-core creates it when it starts a persistent connection process
    tasks = [
        {'name': 'Upgrade', 'junos.ztp.vc_upgrade': {'install_timeout': 'soon'}, 'ignore_errors': True},
        {'name': 'Stage', 'junos.ztp.image_stage': {'retries': 'many'}, 'ignore_errors': True},
    ]
    run = run_playbook(tmp_path, tasks, hosts, env={'ANSIBLE_PERSISTENT_CONTROL_PATH_DIR': str(control)})
    assert 'install_timeout' in run.task('Upgrade', 'vc')['result']['msg'], run.output[-3000:]
    assert 'retries' in run.task('Stage', 'vc')['result']['msg'], run.output[-3000:]
    assert not control.exists()
    assert sim.vc('vc').sessions_opened == 0
    # The same play with a device task that may run: the process starts, so the check above can see one.
    run = run_playbook(tmp_path, [{'name': 'Facts', 'junos.ztp.vc_facts': None}], hosts, env={'ANSIBLE_PERSISTENT_CONTROL_PATH_DIR': str(control)})
    assert run.task('Facts', 'vc')['status'] == 'ok', run.output[-3000:]
    assert control.exists()

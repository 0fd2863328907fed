"""The device password never appears in ansible-playbook's output (even at -vvv) nor in any task result."""

from __future__ import annotations

import hashlib
import json

from playbook import run_playbook, vc_host_vars
from vcsim import make_image
from vcsim.testing import vc4_spec

PASSWORD = 'Never-Show-Me-7f3a9c'
TARGET = '22.4R3-S2.3'


def test_no_module_shows_the_password(vcsim, tmp_path):
    spec = vc4_spec('vc-secret')
    spec['password'] = PASSWORD
    sim = vcsim(spec)
    image = make_image(tmp_path, TARGET, 'ex-4300', 1 << 20)
    software = {'version': TARGET, 'images': [{'models': ['ex4300-*'], 'file': image.name, 'local_path': str(image),
                                               'sha256': hashlib.sha256(image.read_bytes()).hexdigest()}]}
    members = [{'member_id': member.id, 'serial_number': member.serial, 'model': member.model} for member in sim.vc('vc-secret').members]
    host_vars = vc_host_vars(sim.vc('vc-secret'), sim.user, PASSWORD, ztp_software=software, ztp_members=members, ztp_topology='full')
    tasks = [
        {'name': 'facts', 'junos.ztp.vc_facts': {}},
        {'name': 'check', 'junos.ztp.vcp_check': {}},
        {'name': 'stage', 'junos.ztp.image_stage': {}, 'check_mode': True},
        {'name': 'upgrade', 'junos.ztp.vc_upgrade': {}, 'check_mode': True},
        {'name': 'configure', 'junos.ztp.apply_config': {'configuration': '<configuration><system><host-name>x</host-name></system></configuration>'},
         'check_mode': True},
        {'name': 'zeroize', 'junos.ztp.zeroize': {'confirm': True}, 'check_mode': True},
        {'name': 'wrong password', 'junos.ztp.vc_facts': {'password': PASSWORD + '-wrong'}, 'ignore_unreachable': True},
    ]
    # The persistent connection's process logs to Ansible's log; asked to log its messages, it still must not.
    log = tmp_path / 'ansible.log'
    run = run_playbook(tmp_path, tasks, {'vc-secret': host_vars}, extra_args=['-vvvv'],
                       env={'ANSIBLE_LOG_PATH': str(log), 'ANSIBLE_PERSISTENT_LOG_MESSAGES': 'true'})
    for name in ('facts', 'check', 'stage', 'upgrade', 'configure', 'zeroize'):
        assert run.task(name)['status'] == 'ok', run.output[-4000:]
    assert run.task('wrong password')['status'] == 'failed'
    assert host_vars['ansible_connection'] == 'junos.ztp.pyez' and 'shutdown complete' in log.read_text()   # the process logged here
    assert PASSWORD not in run.output
    assert PASSWORD not in json.dumps(run.results)
    assert PASSWORD not in log.read_text()

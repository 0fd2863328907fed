"""playbooks/provision_vc.yml (the junos.ztp.provision_vc role) against simulated switches, through ansible-playbook."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from notification_sink import NotificationSink
from playbook import CALLBACKS, REPO, vc_host_vars
from vcsim import make_image
from vcsim.testing import FAST_TIME_SCALE

OLD, TARGET = '21.2R3-S4.5', '21.4R3-S5.4'
PLAYBOOK = REPO / 'playbooks' / 'provision_vc.yml'
ROLE_TASKS = [
    'Check the ztp_* variables of every host of the play',
    'Note when provisioning of this host started',
    'Check the members and Virtual Chassis ports against the inventory',
    'Keep the Virtual Chassis as it was before provisioning',
    'Stop on VCP check warnings',
    'Upgrade the members - linecards, then the backup, then the primary',
    'Run the pre-configuration scripts, commit the configuration, run the post-configuration scripts',
    'Read the Virtual Chassis after provisioning',
    'Summarise the provisioning of this host',
    'Report bootstrap completion to the phone-home server',
]
SUMMARY = ROLE_TASKS.index('Summarise the provisioning of this host')
VC_MEMBERS = {
    'site-vc1': [('PE3714106000', 'ex4300-48p', 'routing-engine', 255), ('PE3714106001', 'ex4300-48p', 'routing-engine', 255),
                 ('PE3714106002', 'ex4300-48t', 'line-card', 0)],
    'site-vc2': [('PE3714107000', 'ex4300-48p', 'routing-engine', 255), ('PE3714107001', 'ex4300-48p', 'routing-engine', 255)],
}


def spec():
    vcs = [{'name': name, 'hostname': 'switch', 'members': [
        {'id': index, 'serial': serial, 'model': model, 'role': role, 'priority': priority, 'version': OLD}
        for index, (serial, model, role, priority) in enumerate(members)]} for name, members in VC_MEMBERS.items()]
    vcs.append({'name': 'site-sw1', 'hostname': 'switch', 'members': [{'id': 0, 'serial': 'HW0217AF6000', 'model': 'ex2300-24p', 'version': OLD}]})
    return {'time_scale': FAST_TIME_SCALE, 'user': 'ztp', 'password': 'provision-secret', 'vcs': vcs}


def inventory(sim, tmp_path):
    """The same shape as playbooks/inventory/example: groups virtual_chassis and standalone, ztp_* host variables."""
    images = []
    for family, models in (('ex-4300', 'ex4300-*'), ('ex-2300', 'ex2300-*')):
        path = make_image(tmp_path, TARGET, family, 1 << 20)
        images.append({'models': [models], 'file': path.name, 'local_path': str(path), 'sha256': hashlib.sha256(path.read_bytes()).hexdigest()})
    template = tmp_path / 'site.xml.j2'
    template.write_text('<configuration><system><host-name>{{ inventory_hostname }}</host-name>'
                        '<autoinstallation delete="delete"/></system></configuration>\n')
    text_template = tmp_path / 'site.conf.j2'   # a dhcp-ztp host's configuration is Junos text (DHCP ZTP loads text)
    text_template.write_text('system {\n    host-name {{ inventory_hostname }};\n    delete: autoinstallation;\n}\n')
    common = {'ztp_software': {'version': TARGET, 'images': images}, 'ztp_configuration': {'template': str(template)}}
    hosts = {}
    for name, members in VC_MEMBERS.items():
        hosts[name] = vc_host_vars(sim.vc(name), sim.user, sim.password, ztp_topology='full', ztp_provisioning_mode='strict', ztp_members=[
            {'member_id': index, 'serial_number': serial, 'model': model, 'role': role, 'mastership_priority': priority}
            for index, (serial, model, role, priority) in enumerate(members)], **common)
    standalone = {**common, 'ztp_bootstrap_method': 'dhcp-ztp', 'ztp_configuration': {'template': str(text_template)},
                  'ztp_members': [{'serial_number': 'HW0217AF6000', 'model': 'ex2300-24p'}]}
    hosts['site-sw1'] = vc_host_vars(sim.vc('site-sw1'), sim.user, sim.password, **standalone)
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump({'all': {'children': {
        'virtual_chassis': {'hosts': {name: hosts[name] for name in VC_MEMBERS}},
        'standalone': {'hosts': {'site-sw1': hosts['site-sw1']}}}}}))
    return path


def run_provision_vc(tmp_path, inventory_path, *extra_args):
    """ansible-playbook playbooks/provision_vc.yml; returns (return code, output, recorded task results)."""
    results_file = tmp_path / 'results.jsonl'
    results_file.unlink(missing_ok=True)
    env = dict(os.environ, JUNOS_ZTP_RESULTS=str(results_file), ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED='record_results',
               ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_COLLECTIONS_PATH=str(REPO / '.build' / 'collections'))
    completed = subprocess.run([str(Path(sys.executable).with_name('ansible-playbook')), '-i', str(inventory_path), str(PLAYBOOK)] + list(extra_args),
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    results = [json.loads(line) for line in results_file.read_text().splitlines()] if results_file.exists() else []
    return completed.returncode, completed.stdout + completed.stderr, results


def role_task(result):
    """The task name without the role prefix, None for the role's argument validation."""
    name = result['task'].split(' : ', 1)[-1]
    return None if name.startswith('Validating arguments against arg spec') else name


def host_results(results, host):
    return [(role_task(r), r['status'], r['result'].get('changed', False)) for r in results if r['host'] == host and role_task(r)]


def summary_of(results, host):
    return next(r['result']['msg'] for r in results if r['host'] == host and role_task(r) == ROLE_TASKS[SUMMARY])


def test_provision_vc_upgrades_and_configures_in_batches_then_changes_nothing(vcsim, tmp_path):
    sim = vcsim(spec())
    inventory_path = inventory(sim, tmp_path)

    returncode, output, results = run_provision_vc(tmp_path, inventory_path, '-e', 'provision_vc_batch=2')
    assert returncode == 0, output[-6000:]
    for host in ('site-vc1', 'site-vc2', 'site-sw1'):
        tasks = [task for task, _status, _changed in host_results(results, host)]
        # validate_inventory runs once per batch, on its first host: batches are [site-vc1, site-vc2] and [site-sw1].
        assert tasks == (ROLE_TASKS if host != 'site-vc2' else ROLE_TASKS[1:])
        vc = sim.vc(host)
        assert {member.version for member in vc.members} == {TARGET}
        assert vc.config.committed.findtext('system/host-name') == host
        summary = summary_of(results, host)
        assert set(summary['versions_before'].values()) == {OLD} and set(summary['versions_after'].values()) == {TARGET}
        assert summary['upgraded_members'] == list(range(len(vc.members))) and summary['failed_members'] == []
        assert summary['configuration_changed'] is True and summary['upgrade_events'] > 0
        assert summary['target_version'] == TARGET and summary['elapsed_seconds'] > 0
    assert summary_of(results, 'site-sw1')['topology_after'] == 'standalone'
    assert sorted(summary_of(results, 'site-vc1')['roles_after']) == ['0:PE3714106000', '1:PE3714106001', '2:PE3714106002']
    # Each step passes on what it read: vcp_check (its read is the "before"), vc_upgrade (+1 for the primary's reboot,
    # its last read is the "after"), apply_config - one NETCONF session per step that changes something or checks.
    assert {host: sim.vc(host).sessions_opened for host in ('site-vc1', 'site-vc2', 'site-sw1')} == dict.fromkeys(('site-vc1', 'site-vc2', 'site-sw1'), 2)
    sessions_before_rerun = {host: sim.vc(host).sessions_opened for host in ('site-vc1', 'site-vc2', 'site-sw1')}

    # serial: 2 - the second batch is not touched before the first is done, and the first batch runs side by side.
    first_batch_done = max(sim.vc(host).events('config_commit')[-1]['ts'] for host in ('site-vc1', 'site-vc2'))
    assert first_batch_done < sim.vc('site-sw1').events('session_open')[0]['ts']
    assert sim.vc('site-vc2').events('session_open')[0]['ts'] < sim.vc('site-vc1').events('config_commit')[-1]['ts']

    returncode, output, results = run_provision_vc(tmp_path, inventory_path)
    assert returncode == 0, output[-6000:]
    changed = [(r['host'], r['task']) for r in results if r['result'].get('changed')]
    assert changed == [], 'a second run changed something: %s' % changed
    assert all(set(summary_of(results, host)['versions_before'].values()) == {TARGET} for host in ('site-vc1', 'site-vc2', 'site-sw1'))
    assert all(sim.vc(host).sessions_opened - sessions_before_rerun[host] == 1 for host in sessions_before_rerun)


def test_without_virtual_chassis_steps_only_the_configuration_stage_runs(vcsim, tmp_path):
    # What a lab vSRX or vJunos-switch gets (docs/testing.md): no show virtual-chassis, no upgrade.
    sim = vcsim(spec())
    inventory_path = inventory(sim, tmp_path)
    returncode, output, results = run_provision_vc(tmp_path, inventory_path, '-e', 'provision_vc_hosts=site-sw1',
                                                   '-e', 'provision_vc_virtual_chassis=false')
    assert returncode == 0, output[-6000:]
    ran = [task for task, status, _changed in host_results(results, 'site-sw1') if status != 'skipped']
    assert ran == [ROLE_TASKS[0], ROLE_TASKS[1], ROLE_TASKS[6], ROLE_TASKS[SUMMARY]]
    summary = summary_of(results, 'site-sw1')
    assert summary['configuration_changed'] is True and summary['versions_after'] == {} and summary['topology_after'] == '(not read)'
    vc = sim.vc('site-sw1')
    assert vc.config.committed.findtext('system/host-name') == 'site-sw1' and {m.version for m in vc.members} == {OLD}
    assert not vc.events('rpc', name='get-virtual-chassis-information')


def test_a_malformed_inventory_fails_before_any_device_is_contacted(vcsim, tmp_path):
    sim = vcsim(spec())
    inventory_path = inventory(sim, tmp_path)
    data = yaml.safe_load(inventory_path.read_text())
    vc1 = data['all']['children']['virtual_chassis']['hosts']['site-vc1']
    vc2 = data['all']['children']['virtual_chassis']['hosts']['site-vc2']
    sw1 = data['all']['children']['standalone']['hosts']['site-sw1']
    vc1['ztp_members'][2]['member_id'] = 12
    vc2['ztp_members'][1]['serial_number'] = 'PE3714106000'
    vc2['ztp_software'] = dict(vc2['ztp_software'], images=[dict(vc2['ztp_software']['images'][0], sha256='abc')])
    sw1['ztp_members'][0]['mac_address'] = 'not-a-mac'
    inventory_path.write_text(yaml.safe_dump(data))

    returncode, output, results = run_provision_vc(tmp_path, inventory_path)
    assert returncode != 0
    failure = next(r['result'] for r in results if r['status'] == 'failed')
    assert failure['problems'] == [
        "site-sw1: ztp_members[0].mac_address: is not a MAC address: 'not-a-mac'",
        'site-vc1: ztp_members[2].member_id: must be 0 to 9, got 12',
        "site-vc2: ztp_software.images[0].sha256: must be 64 hex digits, got 'abc'",
        'site-vc2: ztp_members[1].serial_number: serial number PE3714106000 is also used by host site-vc1',
    ]
    for name in ('site-vc1', 'site-vc2', 'site-sw1'):
        assert sim.vc(name).sessions_opened == 0, '%s was contacted' % name


class Reported:
    """What the phone-home server's state_of reads from a stored notification."""

    def __init__(self, received):
        self.type = received['notification'][0]


def test_the_phone_home_server_hears_how_provisioning_ended(vcsim, tmp_path):
    from junos_ztp_phs.notifications import state_of  # on sys.path through notification_sink

    sim = vcsim(dict(spec(), time_scale=1.0 / 2000))  # the upgrade itself is tested elsewhere: make it quick
    inventory_path = inventory(sim, tmp_path)
    with NotificationSink.running(tmp_path) as sink:
        to_the_server = ['-e', 'provision_vc_notification_url=%s' % sink.url, '-e', 'provision_vc_notification_ca_path=%s' % sink.cert]
        returncode, output, unused_results = run_provision_vc(tmp_path, inventory_path, '-e', 'provision_vc_hosts=site-vc2', *to_the_server)
        assert returncode == 0, output[-6000:]
        vc = sim.vc('site-vc2')
        last = sink.received[-1]
        # As the phone-home client ends: bootstrap-complete, from the primary of the moment, after the upgrade's own notifications.
        assert last['notification'] == ('bootstrap-complete', 'Bootstrap complete: junos.ztp provisioned this device over NETCONF '
                                        '(software %s).' % TARGET)
        assert last['auth'] == vc.member(vc.master_id).serial and last['path'].endswith('/device=%s/notification' % last['auth'])
        assert last['password'] == '' and last['content_type'] == 'application/yang.data+xml'
        assert len(sink.received) > 1 and state_of([Reported(r) for r in sink.received]) == 'complete'

        sink.received.clear()
        sim.vc('site-vc1').inject_fault('install_fails', member=2)
        returncode, output, results = run_provision_vc(tmp_path, inventory_path, '-e', 'provision_vc_hosts=site-vc1', *to_the_server)
        assert returncode != 0
        last = sink.received[-1]
        assert last['notification'][0] == 'bootstrap-failed'
        assert last['notification'][1].startswith('Bootstrap failed: Upgrade the members - linecards, then the backup, then the primary: '
                                                  'strict provisioning: the image failed to install on member 2')
        assert state_of([Reported(r) for r in sink.received]) == 'failed'
        failed = [r for r in results if r['status'] == 'failed']
        assert [role_task(r) for r in failed] == ['Upgrade the members - linecards, then the backup, then the primary',
                                                  'Stop provisioning this host']

"""`make demo` (tools/demo.py) end to end as CI runs it: no terminal, a work directory of its own (JUNOS_ZTP_DEMO_WORKDIR)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import yaml

from playbook import REPO

EXAMPLE = REPO / 'playbooks' / 'inventory' / 'example'
# The example's two Virtual Chassis are provisioned by phone-home; ams1-sw1 by DHCP ZTP, so it has no record.
PHONE_HOME_HOSTS = {'ams1-vc1', 'ams1-vc2'}
# The demo's device-driven route: this VC is zeroized and provisions itself with its own phone-home client.
PHONE_HOME_ROUTE_HOST = 'ams1-vc1'


def notifications_of(members):
    """What provisioning a VC of this many members posts (docs/upgrade.md): per linecard vc-member-image-installed and
    vc-member-upgrade-success, the linecards' reboot message once; the backup's and the primary's installed, reboot and
    success messages; "Successfully upgraded."; then provision_vc's bootstrap-complete."""
    linecards = members - 2
    return 2 * linecards + (1 if linecards else 0) + 2 * 3 + 1 + 1


def example_members():
    """host -> serial numbers, from the example inventory's host_vars."""
    return {path.stem: sorted(member['serial_number'] for member in yaml.safe_load(path.read_text())['ztp_members'])
            for path in (EXAMPLE / 'host_vars').glob('*.yml')}


def listening(url):
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('demo')
    completed = subprocess.run([sys.executable, str(REPO / 'tools' / 'demo.py')], cwd=REPO, env=dict(os.environ, JUNOS_ZTP_DEMO_WORKDIR=str(workdir)),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600, check=False)
    summary_file = workdir / 'summary.json'
    return completed, json.loads(summary_file.read_text()) if summary_file.exists() else None, workdir


def test_the_demo_succeeds_in_its_own_work_directory(demo):
    completed, summary, workdir = demo
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-3000:]
    assert summary is not None and summary['exit_status'] == 0
    assert {name: run['exit_status'] for name, run in summary['playbooks'].items()} == dict(
        {'phs_records': 0, 'phone_home_route': 0, 'provision_vc': 0, 'phs_check': 0},
        **({'dhcp_ztp_records': 0} if os.geteuid() == 0 else {}))
    assert '.build/demo' not in completed.stdout  # the user's own demo directory is left alone
    assert (workdir / 'phs' / 'records' / 'index.json').is_file()


def test_every_member_of_every_vc_runs_the_target_version(demo):
    _completed, summary, _workdir = demo
    target = yaml.safe_load((EXAMPLE / 'group_vars' / 'all.yml').read_text())['ztp_software']['version']
    assert summary['target_version'] == target
    assert {host: sorted(m['serial'] for m in vc['members']) for host, vc in summary['hosts'].items()} == example_members()
    assert {(host, m['serial']): m['version'] for host, vc in summary['hosts'].items() for m in vc['members']} == {
        (host, serial): target for host, serials in example_members().items() for serial in serials}


def test_the_phone_home_server_heard_every_upgrade_of_each_vc(demo):
    _completed, summary, _workdir = demo
    assert summary['phone_home_server']['records'] == sum(len(example_members()[host]) for host in PHONE_HOME_HOSTS)
    assert {host for host, vc in summary['hosts'].items() if vc['phone_home'] is not None} == PHONE_HOME_HOSTS
    for host in PHONE_HOME_HOSTS - {PHONE_HOME_ROUTE_HOST}:
        view = summary['hosts'][host]['phone_home']
        assert view['notifications'] == notifications_of(len(example_members()[host])), view
        # provision_vc reports completion as the phone-home client does, so the server's state is complete.
        assert view['state'] == 'complete' and view['stage'] == 'bootstrap-complete', view
        assert set(view['members']) == set(example_members()[host])


def test_one_vc_provisions_itself_by_phone_home_and_the_others_go_the_controller_route(demo):
    _completed, summary, workdir = demo
    assert {host: vc['route'] for host, vc in summary['hosts'].items()} == {
        host: 'phone-home' if host == PHONE_HOME_ROUTE_HOST else 'controller' for host in example_members()}
    assert {host: vc['hostname'] for host, vc in summary['hosts'].items()} == {host: host for host in example_members()}
    view = summary['hosts'][PHONE_HOME_ROUTE_HOST]['phone_home']
    assert view['state'] == 'complete' and view['stage'] == 'bootstrap-complete', view
    assert set(view['members'].values()) <= {'vc-member-upgrade-success', 'bootstrap-complete'}, view
    # The device side did it: the simulated VC's own phone-home client, after the zeroize, on the primary and then on the
    # backup that took over when the primary rebooted.
    events = [json.loads(line) for line in (workdir / 'vcsim' / 'sim' / PHONE_HOME_ROUTE_HOST / 'events.jsonl').read_text().splitlines()]
    names = [e['event'] for e in events]
    assert names.index('zeroize') < names.index('phc_start') < names.index('phc_state_synced') < names.index('phc_complete')
    assert [e['resumed'] for e in events if e['event'] == 'phc_start'] == [False, True]


def test_everything_the_demo_started_is_stopped(demo):
    completed, summary, _workdir = demo
    assert 'simulator, phone-home servers and file server stopped' in completed.stdout
    assert not listening(summary['redirect_server']['url'])
    assert not running(summary['redirect_server']['pid'])
    assert not listening(summary['phone_home_server']['url'])
    assert not listening(summary['file_server'])
    assert not running(summary['phone_home_server']['pid'])
    assert not running(summary['simulator']['pid'])


def test_the_standalone_switch_provisions_itself_by_dhcp_ztp(demo):
    _completed, summary, _workdir = demo
    if os.geteuid() != 0:
        assert summary['dhcp_ztp'] == {'ok': None, 'skipped': 'network namespaces need root'}
        return
    target = yaml.safe_load((EXAMPLE / 'group_vars' / 'all.yml').read_text())['ztp_software']['version']
    switch = yaml.safe_load((EXAMPLE / 'host_vars' / 'ams1-sw1.yml').read_text())
    result = summary['dhcp_ztp']['hosts']['ams1-sw1']
    assert summary['dhcp_ztp']['ok'] is True
    assert result['answer'] == {'address': switch['ztp_management']['ipv4_address'], 'file_server': '192.0.2.10', 'transfer_mode': 'http',
                                'image': '/images/junos-arm-32-%s.tgz' % target, 'config': '/configs/ams1-sw1.conf'}
    assert result['version'] == target and result['hostname'] == 'ams1-sw1' and result['committed']
    assert result['events'][-1] == 'ztp_done' and 'ztp_restart' not in result['events']

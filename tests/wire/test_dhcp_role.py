"""The junos.ztp.dhcp_records role run by ansible-playbook against the example inventory.

Check mode shows the diff and writes nothing; a real run writes the golden files; the next run changes
nothing; a bad inventory fails before any file is written, with every problem listed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from playbook import run_dhcp_records_role

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / 'playbooks' / 'inventory' / 'example'
GOLDEN = REPO / 'tests' / 'golden' / 'dhcp'
RENDER_TASK = 'Render the DHCP outputs'


def run_role(tmp_path, inventory=EXAMPLE, extra_args_tail=(), **kwargs):
    return run_dhcp_records_role(tmp_path, inventory, GOLDEN / 'outputs.yml', extra_args_tail, **kwargs)


def task_results(run, suffix):
    matches = [r for r in run.results if r['task'].endswith(suffix)]
    assert matches, 'no %r task in:\n%s' % (suffix, run.output[-4000:])
    return matches[-1]


def test_check_mode_shows_the_diff_and_writes_nothing(tmp_path):
    run, out = run_role(tmp_path, check=True, diff=True)
    assert run.returncode == 0, run.output[-4000:]
    items = task_results(run, RENDER_TASK)['result']['results']
    assert [item['output'] for item in items] == ['isc4', 'isc6', 'kea4', 'kea6']
    assert all(item['changed'] and item['diff']['before'] == '' and item['diff']['after'] for item in items)
    assert list(out.iterdir()) == []


def test_a_run_writes_the_golden_files_and_the_next_run_changes_nothing(tmp_path):
    run, out = run_role(tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    assert all(item['changed'] for item in task_results(run, RENDER_TASK)['result']['results'])
    for output in yaml.safe_load((GOLDEN / 'outputs.yml').read_text()):
        assert (out / output['dest']).read_text() == (GOLDEN / output['dest']).read_text()
    items = task_results(run, RENDER_TASK)['result']['results']
    assert [item['validated_with'] for item in items] == ['dhcpd -t -cf', 'dhcpd -6 -t -cf', 'kea-dhcp4 -t', 'kea-dhcp6 -t']
    again, _out = run_role(tmp_path)
    assert again.returncode == 0, again.output[-4000:]
    assert not any(item['changed'] for item in task_results(again, RENDER_TASK)['result']['results'])
    assert not list(out.glob('*~')), 'an unchanged file is not backed up'


def test_a_bad_inventory_fails_before_any_file_is_written_listing_every_problem(tmp_path):
    inventory = tmp_path / 'inventory'
    shutil.copytree(EXAMPLE, inventory)
    sw1 = inventory / 'host_vars' / 'ams1-sw1.yml'
    sw1.write_text(sw1.read_text() + 'ztp_file_server: {address: files.example.net}\n')
    vc1 = inventory / 'host_vars' / 'ams1-vc1.yml'
    vc1.write_text(vc1.read_text().replace(', mac_address: "84:b5:9c:10:09:99"', ''))
    run, out = run_role(tmp_path, inventory=inventory)
    assert run.returncode != 0
    assert list(out.iterdir()) == []
    failed = task_results(run, 'Check every selected DHCP output before writing any')
    assert failed['status'] == 'failed'
    problems = {output['item']['type']: output.get('problems', []) for output in failed['result']['results']}
    assert 'ams1-sw1: ztp_file_server.address: must be an IP address (devices do not resolve names), got \'files.example.net\'' in problems['isc4']
    assert 'ams1-vc1: ztp_members[2].mac_address: is required: ztp_management.dhcp_match is mac' in problems['kea4']
    assert any(p.startswith('ams1-vc1: ztp_members[2].duid: a DHCPv6 record needs duid or mac_address') for p in problems['kea6'])


def test_a_limited_run_warns_that_the_file_holds_the_limited_hosts_only(tmp_path):
    run, _out = run_role(tmp_path, check=True, extra_args_tail=['--limit', 'ams1-sw1'])
    assert run.returncode == 0, run.output[-4000:]
    items = task_results(run, RENDER_TASK)['result']['results']
    assert all(item['hosts'] == 1 for item in items)
    # Ansible prints warnings wrapped over lines; compare with the whitespace folded.
    assert '--limit ams1-sw1: %s holds the records of the limited hosts only' % items[0]['dest'] in ' '.join(run.output.split())

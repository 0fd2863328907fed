"""junos.ztp.apply_config over real NETCONF/SSH against the simulated Virtual Chassis, through ansible-playbook."""

from __future__ import annotations

import threading

from playbook import run_playbook, vc_host_vars
from vcsim.testing import vc4_spec

HOSTNAME = '<configuration><system><host-name>{name}</host-name><autoinstallation delete="delete"/></system></configuration>'
# Drops "ssh" from the simulator's generated "services { ssh; netconf { ssh; } }" only with action replace.
SERVICES = '<configuration><system><services replace="replace"><netconf><ssh/></netconf></services></system></configuration>'
PRIORITY_2 = ('<configuration><virtual-chassis><member><name>2</name><mastership-priority>{priority}</mastership-priority></member>'
              '</virtual-chassis></configuration>')
# The simulator's generated configuration already has this (member 0 is a routing engine of priority 255).
PRIORITY_0_AS_IS = ('<configuration><virtual-chassis><member><name>0</name><mastership-priority>255</mastership-priority></member>'
                    '</virtual-chassis></configuration>')


def apply(name, check=None, **options):
    task = {'name': name, 'junos.ztp.apply_config': options or None, 'ignore_errors': True}
    if check is not None:
        task['check_mode'] = check
    return task


def committed(vc):
    return vc.config.committed


def test_merge_replace_diff_check_mode_idempotence_confirmed_and_the_role_guard(vcsim, tmp_path):
    sim = vcsim(vc4_spec(name='vc'))
    vc = sim.vc('vc')
    template = tmp_path / 'site.xml.j2'
    template.write_text('<configuration><system><host-name>{{ inventory_hostname }}-site</host-name></system></configuration>\n')
    hosts = {'vc': vc_host_vars(vc, sim.user, sim.password, ztp_configuration={'template': str(template)})}
    tasks = [
        apply('Check mode', check=True, configuration=HOSTNAME.format(name='ams1-vc1')),
        apply('Merge', configuration=HOSTNAME.format(name='ams1-vc1')),
        apply('Merge again', configuration=HOSTNAME.format(name='ams1-vc1')),
        apply('Replace', configuration=SERVICES, action='replace'),
        apply('Replace again', configuration=SERVICES, action='replace'),
        apply('Confirmed', configuration=HOSTNAME.format(name='confirmed'), confirm=1, comment='with a safety net'),
        apply('Role change', configuration=PRIORITY_2.format(priority=255)),
        apply('Role change already in effect', configuration=PRIORITY_0_AS_IS),
        apply('Role change knowingly', configuration=PRIORITY_2.format(priority=200), allow_role_changes=True),
        apply('Junos text configuration', configuration='system {\n    host-name text-site;\n}\n'),
        apply('From the inventory template'),
    ]
    commits_before = len(vc.events('config_commit'))
    # The 1-minute commit confirmed would roll back after 0.2 s (real), before a health check on a busy machine is
    # done: the simulator's timers wait while the playbook runs, and catch up after it.
    with sim.scheduler.held():
        run = run_playbook(tmp_path, tasks, hosts, diff=True)
    result = {task['name']: run.task(task['name'], 'vc') for task in tasks}

    check = result['Check mode']['result']
    assert result['Check mode']['status'] == 'ok' and check['changed'] and not check['committed']
    assert 'ams1-vc1' in check['diff']['prepared']

    merge = result['Merge']['result']
    assert result['Merge']['status'] == 'ok' and merge['changed'] and merge['committed']
    assert 'host-name ams1-vc1' in merge['diff']['prepared']
    again = result['Merge again']['result']
    assert result['Merge again']['status'] == 'ok' and not again['changed'] and not again['committed'] and 'diff' not in again

    assert result['Replace']['result']['changed'] and not result['Replace again']['result']['changed']

    confirmed = result['Confirmed']['result']
    assert result['Confirmed']['status'] == 'ok', confirmed.get('msg')
    assert (confirmed['confirmed_minutes'], confirmed['health_check']) == (1, 'passed')

    refused = result['Role change']
    assert refused['status'] == 'failed'
    assert 'set virtual-chassis member 2 mastership-priority 255' in refused['result']['msg']
    assert refused['result']['role_change_findings'][0]['reason'].startswith('changes a mastership priority')
    as_is = result['Role change already in effect']
    assert as_is['status'] == 'ok' and as_is['result']['role_change_findings'] == [] and not as_is['result']['changed']
    knowingly = result['Role change knowingly']
    assert knowingly['status'] == 'ok' and knowingly['result']['committed']
    text = result['Junos text configuration']   # what a dhcp-ztp host's ztp_configuration holds
    assert text['status'] == 'ok' and text['result']['committed'] and 'host-name text-site' in text['result']['diff']['prepared']
    assert any('set virtual-chassis member 2 mastership-priority 200' in warning for warning in knowingly['result']['warnings'])

    from_inventory = result['From the inventory template']
    assert from_inventory['status'] == 'ok' and 'host-name vc-site' in from_inventory['result']['diff']['prepared']

    # What the simulated VC has now, and how it got there.
    tree = committed(vc)
    assert tree.findtext('system/host-name') == 'vc-site'
    assert tree.find('system/services/ssh') is None and tree.find('system/services/netconf/ssh') is not None
    assert tree.findtext("virtual-chassis/member[name='2']/mastership-priority") == '200'
    commits = vc.events('config_commit')[commits_before:]
    # Merge, Replace, Confirmed (commit confirmed + confirming commit), Role change knowingly, text, template.
    assert [(c['confirmed'], c['confirms_previous'], c['comment']) for c in commits] == [
        (False, False, 'junos.ztp.apply_config'), (False, False, 'junos.ztp.apply_config'),
        (True, False, 'with a safety net'), (False, True, 'with a safety net (confirming)'),
        (False, False, 'junos.ztp.apply_config'), (False, False, 'junos.ztp.apply_config'), (False, False, 'junos.ztp.apply_config')]
    # A confirmed commit that was not confirmed would be rolled back 1 simulated minute after it. The scheduler runs
    # timers in due order, so once a timer due a simulated second after that minute has run, the rollback would have too.
    minute_later = threading.Event()
    sim.scheduler.call_later(commits[2]['sim_ts'] + 61 - sim.clock.sim_now(), minute_later.set)
    assert minute_later.wait(60)
    assert vc.events('config_rollback') == []
    # Nothing was loaded for the refused role change: every load belongs to a task that got past the guard.
    assert not vc.config.modified()


def test_a_failed_health_check_leaves_the_commit_unconfirmed_and_junos_rolls_it_back(vcsim, tmp_path):
    sim = vcsim(vc4_spec(name='vc'))
    vc = sim.vc('vc')
    since = vc.log.next_seq()

    def break_the_health_check(record):
        # Called as the commit arrives, before it runs: the next get-virtual-chassis-information (the health check's,
        # on its new session) is cut short, whatever the timing.
        if record['event'] == 'rpc' and record['name'] == 'commit-configuration' and not vc.events('fault_injected', since=since):
            vc.inject_fault('drop_session', rpc='get-virtual-chassis-information')

    vc.log.listeners.append(break_the_health_check)
    run = run_playbook(tmp_path, [apply('Confirmed', configuration=HOSTNAME.format(name='unconfirmed'), confirm=1)],
                       {'vc': vc_host_vars(vc, sim.user, sim.password)})
    result = run.task('Confirmed', 'vc')
    assert result['status'] == 'failed'
    assert 'NOT confirmed; Junos rolls it back by itself within 1 minute(s)' in result['result']['msg']
    assert result['result']['health_check'].startswith('the new NETCONF session dropped')
    assert [c['confirmed'] for c in vc.events('config_commit', since=since)] == [True]
    vc.wait_until(lambda v: v.events('config_rollback'))
    assert committed(vc).findtext('system/host-name') == 'vc'


def test_pre_and_post_scripts_run_in_order_once_and_a_failing_one_stops_the_stage(vcsim, tmp_path):
    sim = vcsim(vc4_spec(name='vc'))
    vc = sim.vc('vc')
    scripts = {
        'pre.sh': '#!/bin/sh\necho pre-configuration ran\nexit 0\n',
        'post.py': '#!/usr/bin/python3\nprint("post-configuration ran")\n',
        'failing.sh': '#!/bin/sh\necho about to fail\nexit 3\n',
        'switchover.sh': '#!/bin/sh\ncli -c "request chassis routing-engine master switch"\n',
    }
    for name, content in scripts.items():
        (tmp_path / name).write_text(content)
    configuration = HOSTNAME.format(name='scripted')
    tasks = [
        apply('Scripts', configuration=configuration, pre_scripts=[str(tmp_path / 'pre.sh')], post_scripts=[str(tmp_path / 'post.py')]),
        apply('Scripts again', configuration=configuration, pre_scripts=[str(tmp_path / 'pre.sh')], post_scripts=[str(tmp_path / 'post.py')]),
        apply('Role-changing script', configuration=configuration, pre_scripts=[str(tmp_path / 'switchover.sh')]),
        apply('Failing post script', configuration=configuration, post_scripts=[str(tmp_path / 'failing.sh')]),
    ]
    since = vc.events()[-1]['seq'] + 1
    run = run_playbook(tmp_path, tasks, {'vc': vc_host_vars(vc, sim.user, sim.password)})
    first = run.task('Scripts', 'vc')
    assert first['status'] == 'ok', first['result'].get('msg')
    assert [(s['stage'], s['interpreter'], s['exit_status'], s['output']) for s in first['result']['scripts']] == [
        ('pre', '/bin/sh', 0, 'pre-configuration ran'), ('post', '/usr/bin/python3', 0, 'post-configuration ran')]
    # Pre-configuration script, then the commit, then the post-configuration script; each script ran once.
    steps = [(e['event'], e.get('path'), e.get('exit_status')) for e in vc.events(('script_run', 'config_commit'), since=since)]
    assert steps[:3] == [('script_run', '/var/tmp/junos-ztp-pre-0-pre.sh', 0), ('config_commit', None, None),
                         ('script_run', '/var/tmp/junos-ztp-post-0-post.py', 0)]

    again = run.task('Scripts again', 'vc')['result']
    assert not again['changed'] and not again['scripts_due'] and again['scripts'] == []

    refused = run.task('Role-changing script', 'vc')
    assert refused['status'] == 'failed' and 'switchover.sh) line 2: cli -c "request chassis routing-engine master switch"' in refused['result']['msg']

    failing = run.task('Failing post script', 'vc')
    assert failing['status'] == 'failed'
    assert "post_scripts[0] (%s) exited with status 3; output: about to fail" % (tmp_path / 'failing.sh') in failing['result']['msg']
    assert not failing['result']['committed'], 'the configuration was already there'
    assert all('switchover' not in e['path'] for e in vc.events('upload', since=since)), 'a refused script is never copied'
    assert [e['exit_status'] for e in vc.events('script_run', since=since)] == [0, 0, 3]

"""Every shipped job, from the built tarball, run the way AWX runs it: ansible-runner, an AWX-shaped private data
directory, survey answers as extra variables and credentials injected as AWX injects them, against the simulator.

Machine credential: ``-u USER --ask-pass`` in env/cmdline, the password answered from env/passwords.
Network credential: ANSIBLE_NET_USERNAME / ANSIBLE_NET_PASSWORD in env/envvars.
Extra vars credential (the phone-home status token): merged into env/extravars.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import threading
import time

import pytest
import yaml
from awx_job import SSH_PASSWORD_PROMPT, controller_configuration, job_template, run_job, survey_answers
from vcsim import Simulator, make_image
from vcsim.testing import FAST_TIME_SCALE

USER, PASSWORD = 'ztp', 'awx-Secret-9f3'
OLD, TARGET = '21.2R3-S4.5', '21.4R3-S5.4'
VCS = {
    'awx-check': ('PE3714108000', 'PE3714108001'),
    'awx-zero': ('PE3714109000', 'PE3714109001'),
    'awx-up': ('PE3714110000', 'PE3714110001'),
}
MACHINE = {'cmdline': ('-u', USER, '--ask-pass'), 'passwords': {SSH_PASSWORD_PROMPT: PASSWORD}}
NETWORK = {'envvars': {'ANSIBLE_NET_USERNAME': USER, 'ANSIBLE_NET_PASSWORD': PASSWORD}}


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """A simulator with three 2-member VCs, and an AWX inventory for them that holds no credential."""
    workdir = tmp_path_factory.mktemp('awx')
    spec = {'time_scale': FAST_TIME_SCALE, 'user': USER, 'password': PASSWORD, 'vcs': [
        {'name': name, 'hostname': 'switch', 'members': [
            {'id': 0, 'serial': serials[0], 'model': 'ex4300-48p', 'role': 'routing-engine', 'priority': 255, 'version': OLD},
            {'id': 1, 'serial': serials[1], 'model': 'ex4300-48p', 'role': 'routing-engine', 'priority': 255, 'version': OLD}]}
        for name, serials in VCS.items()]}
    image = make_image(workdir, TARGET, 'ex-4300', 1 << 20)
    with Simulator(spec, workdir / 'sim') as sim:
        hosts = {}
        for name, serials in VCS.items():
            vc = sim.vc(name)
            hosts[name] = {
                'ansible_host': vc.host, 'ansible_port': vc.port, 'ztp_known_hosts_file': str(vc.known_hosts_file),
                'ztp_topology': 'full', 'ztp_provisioning_mode': 'strict',
                'ztp_members': [{'member_id': index, 'serial_number': serial, 'model': 'ex4300-48p', 'role': 'routing-engine'}
                                for index, serial in enumerate(serials)]}
        template = workdir / 'site.xml.j2'
        template.write_text('<configuration><system><host-name>{{ inventory_hostname }}</host-name></system></configuration>\n')
        inventory = {'all': {
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                     'ztp_software': {'version': TARGET, 'images': [{'models': ['ex4300-*'], 'file': image.name, 'local_path': str(image),
                                                                     'sha256': hashlib.sha256(image.read_bytes()).hexdigest()}]},
                     'ztp_configuration': {'template': str(template)}},
            'children': {'virtual_chassis': {'hosts': hosts}}}}
        yield sim, inventory, workdir


def device_job(installed_collection, site, playbook, answers=None, credential=None, cmdline=(), **kwargs):
    sim, inventory, workdir = site
    credential = credential if credential is not None else MACHINE
    return run_job(installed_collection, workdir, playbook, inventory, extravars=survey_answers(job_template(installed_collection.root, playbook), answers),
                   envvars=credential.get('envvars'), cmdline=tuple(credential.get('cmdline', ())) + tuple(cmdline),
                   passwords=credential.get('passwords'), **kwargs)


def test_every_job_template_runs_a_shipped_playbook_and_its_survey_is_valid(installed_collection):
    root = installed_collection.root
    configuration = controller_configuration(root)
    templates = configuration['controller_templates']
    playbooks = {p.name for p in (root / 'playbooks').glob('*.yml')}
    assert sorted(t['playbook'] for t in templates) == sorted(playbooks)
    credential_names = {c['name'] for c in configuration['controller_credentials']}
    assert {c['credential_type'] for c in configuration['controller_credentials']} == {
        'Machine', 'Network', *[t['name'] for t in configuration['controller_credential_types']]}
    for template in templates:
        project_playbook = yaml.safe_load((root / 'extensions' / 'awx' / 'project' / template['playbook']).read_text())
        assert project_playbook[0]['ansible.builtin.import_playbook'] == 'junos.ztp.' + template['playbook'][:-4]
        assert set(template.get('credentials', [])) <= credential_names
        source = (root / 'playbooks' / template['playbook']).read_text()
        for question in template['survey_spec']['spec']:
            assert question['variable'] in source, (template['name'], question['variable'])
            assert question['type'] in ('text', 'integer', 'multiplechoice')
            if question['type'] == 'multiplechoice':
                assert question['default'] in question['choices']
            if question['required']:
                assert question.get('default') not in (None, ''), (template['name'], question['variable'])
    zeroize = job_template(root, 'zeroize.yml')['survey_spec']['spec'][0]
    assert (zeroize['variable'], zeroize['choices'], zeroize['default'], zeroize['required']) == ('zeroize_confirm', ['no', 'yes'], 'no', True)


def test_check_vc_with_a_machine_credential_prompted_by_ansible_runner(installed_collection, site):
    job = device_job(installed_collection, site, 'check_vc.yml', cmdline=('--limit', 'awx-check'))
    assert job.status == 'successful', job.stdout[-4000:]
    event, result = job.result('Report the Virtual Chassis', 'awx-check')
    assert event == 'runner_on_ok' and '2 member(s), topology ring, 0 warning(s)' in result['msg']
    assert 'SSH password:' in job.stdout and PASSWORD not in job.output_text()


def test_check_vc_with_a_network_credential_in_the_environment(installed_collection, site):
    job = device_job(installed_collection, site, 'check_vc.yml', credential=NETWORK, cmdline=('--limit', 'awx-check', '--check'))
    assert job.status == 'successful', job.stdout[-4000:]
    assert job.result('Read the Virtual Chassis', 'awx-check')[0] == 'runner_on_ok'
    assert PASSWORD not in job.output_text()


def test_without_any_credential_the_device_refuses_us(installed_collection, site):
    job = device_job(installed_collection, site, 'check_vc.yml', credential={}, cmdline=('--limit', 'awx-check'))
    event, result = job.result('Read the Virtual Chassis', 'awx-check')
    assert event == 'runner_on_failed' and result['msg'].startswith('authentication to 127.0.0.1:')


def test_module_defaults_group_sets_the_connection_options_once(installed_collection, site):
    project_playbook = yaml.safe_dump([{
        'name': 'Read with module_defaults', 'hosts': 'awx-check', 'gather_facts': False,
        'module_defaults': {'group/junos.ztp.netconf': {'user': '{{ device_user }}', 'password': '{{ device_password }}', 'timeout': 20}},
        'tasks': [{'name': 'Facts', 'junos.ztp.vc_facts': {}},
                  {'name': 'Check', 'junos.ztp.vcp_check': {'members': '{{ ztp_members }}', 'topology': 'full', 'provisioning_mode': 'strict'}}]}])
    sim, inventory, workdir = site
    job = run_job(installed_collection, workdir, 'module_defaults.yml', inventory, extravars={'device_user': USER, 'device_password': PASSWORD},
                  project_files={'module_defaults.yml': project_playbook})
    assert job.status == 'successful', job.stdout[-4000:]
    assert job.result('Facts')[0] == job.result('Check')[0] == 'runner_on_ok'


def test_zeroize_erases_only_after_the_survey_confirmation(installed_collection, site):
    sim = site[0]
    vc = sim.vc('awx-zero')
    refused = device_job(installed_collection, site, 'zeroize.yml', cmdline=('--limit', 'awx-zero'))
    event, result = refused.result('Return the device to factory default', 'awx-zero')
    assert event == 'runner_on_failed' and result['msg'].startswith('refusing to zeroize without confirm=true')
    assert vc.events('zeroize') == []
    erased = device_job(installed_collection, site, 'zeroize.yml', answers={'zeroize_confirm': 'yes'}, cmdline=('--limit', 'awx-zero'))
    assert erased.status == 'successful', erased.stdout[-4000:]
    event, result = erased.result('Return the device to factory default', 'awx-zero')
    assert event == 'runner_on_ok' and result['changed'] and result['waited'] is False
    assert len(vc.events('zeroize')) == 1


def test_stage_upgrade_and_provision_jobs(installed_collection, site):
    sim = site[0]
    vc = sim.vc('awx-up')
    limit = ('--limit', 'awx-up')
    checked = device_job(installed_collection, site, 'stage_images.yml', cmdline=limit + ('--check',))
    assert checked.status == 'successful' and vc.events('upload') == [], checked.stdout[-4000:]
    # The upgrade job stages first.
    upgraded = device_job(installed_collection, site, 'upgrade.yml', cmdline=limit)
    assert upgraded.status == 'successful', upgraded.stdout[-4000:]
    assert upgraded.result('Stage the target images on the primary member', 'awx-up')[1]['changed'] is True
    assert {m.version for m in vc.members} == {TARGET}
    provisioned = device_job(installed_collection, site, 'provision_vc.yml', cmdline=limit)
    assert provisioned.status == 'successful', provisioned.stdout[-4000:]
    event, result = provisioned.result('Run the pre-configuration scripts, commit the configuration, run the post-configuration scripts', 'awx-up')
    assert event == 'runner_on_ok' and result['changed'] is True


def test_dhcp_and_phone_home_records_jobs_on_the_example_inventory(installed_collection, tmp_path):
    inventory = tmp_path / 'inventory'
    shutil.copytree(installed_collection.root / 'playbooks' / 'inventory' / 'example', inventory)
    # The example's ztp_configuration.template is {{ inventory_dir }}/../../templates/...; the job's inventory is
    # <private data dir>/inventory, so the templates go two levels above it.
    shutil.copytree(installed_collection.root / 'playbooks' / 'templates', tmp_path / 'templates')
    records, dhcp = tmp_path / 'records', tmp_path / 'junos-ztp.conf'
    (inventory / 'phone_home_server.yml').write_text(yaml.safe_dump({'phone_home_server': {'hosts': {'phs1': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'phs_records_dest': str(records), 'phs_records_group': ''}}}}))
    dhcp_vars = {'dhcp_records_outputs': [{'type': 'isc4', 'dest': str(dhcp)}], 'dhcp_records_reload': False}
    dhcp_answers = dict(survey_answers(job_template(installed_collection.root, 'dhcp_records.yml')), **dhcp_vars)
    checked_dhcp = run_job(installed_collection, tmp_path, 'dhcp_records.yml', inventory, extravars=dhcp_answers, cmdline=('--check',))
    assert checked_dhcp.status == 'successful' and not dhcp.exists(), checked_dhcp.stdout[-4000:]
    rendered = run_job(installed_collection, tmp_path, 'dhcp_records.yml', inventory, extravars=dhcp_answers)
    assert rendered.status == 'successful', rendered.stdout[-4000:]
    assert 'PE3714100218' in dhcp.read_text() or 'host ams1-vc1' in dhcp.read_text()
    answers = survey_answers(job_template(installed_collection.root, 'phs_records.yml'))
    checked = run_job(installed_collection, tmp_path, 'phs_records.yml', inventory, extravars=answers, cmdline=('--check',))
    assert checked.status == 'successful' and not records.exists(), checked.stdout[-4000:]
    published = run_job(installed_collection, tmp_path, 'phs_records.yml', inventory, extravars=answers)
    assert published.status == 'successful', published.stdout[-4000:]
    assert records.is_symlink() and any(records.iterdir())


def test_deploy_phone_home_server_job_in_check_mode(installed_collection, tmp_path):
    base = tmp_path / 'phs'
    inventory = {'phone_home_server': {'hosts': {'phs1': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable, 'junos_ztp_phs_become': False,
        'phone_home_server_base_dir': str(base / 'opt'), 'phone_home_server_data_dir': str(base / 'data'),
        'phone_home_server_config_dir': str(base / 'etc'), 'phone_home_server_tls_names': ['127.0.0.1'],
        # This test machine runs no systemd; everything before the service is checked.
        'phone_home_server_manage_service': False}}}}
    job = run_job(installed_collection, tmp_path, 'phone_home_server.yml', inventory, cmdline=('--check',),
                  extravars=survey_answers(job_template(installed_collection.root, 'phone_home_server.yml')))
    assert job.status == 'successful', job.stdout[-4000:]
    assert not base.exists()


def test_wait_for_phone_home_with_the_status_token_credential(installed_collection, tmp_path):
    from test_phs_server import LEGACY, Server, _notification, _write_records  # the phone-home server as its service runs it

    token = 'awx-status-token-1'
    (tmp_path / 'token').write_text(token)
    (tmp_path / 'server').mkdir()
    server = Server(tmp_path / 'server', extra=['--status-token-file', str(tmp_path / 'token')])
    _write_records(server.records)
    server.start()
    try:
        inventory = {'virtual_chassis': {'hosts': {'vc-full-strict': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
            # Relative: the project directory, where the job's playbook is.
            'ztp_phone_home': {'server_url': 'https://127.0.0.1:%d' % server.port, 'trust_anchor': 'phs-ca.pem'}}}}}
        template = job_template(installed_collection.root, 'wait_phone_home.yml')
        (credential_type,) = controller_configuration(installed_collection.root)['controller_credential_types']
        injected = {name: value.replace('{{ token }}', token) for name, value in credential_type['injectors']['extra_vars'].items()}
        extravars = dict(survey_answers(template, {'wait_phone_home_timeout': 60, 'wait_phone_home_since': str(time.time())}),
                         wait_phone_home_poll_interval=1, **injected)

        def report():
            time.sleep(2)
            for serial in ('VCF0002', 'VCF0001'):
                code = server.request('POST', (LEGACY % serial) + '/notification', _notification('bootstrap-complete'), user=serial)[0]
                assert code == 201

        reporter = threading.Thread(target=report)
        reporter.start()
        job = run_job(installed_collection, tmp_path, 'wait_phone_home.yml', inventory, extravars=extravars,
                      project_files={'phs-ca.pem': server.cert.read_text()})
        reporter.join()
        assert job.status == 'successful', job.stdout[-4000:]
        event, result = job.result('Wait for bootstrap-complete', 'vc-full-strict')
        assert event == 'runner_on_ok' and result['state'] == 'complete'
        assert token not in job.output_text().replace(str(tmp_path), '')
    finally:
        server.stop()

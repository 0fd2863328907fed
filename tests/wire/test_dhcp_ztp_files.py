"""The junos.ztp.dhcp_records role publishes what its DHCP ZTP hosts fetch (junos.ztp.dhcp_ztp_files).

ansible-playbook runs the role with dhcp_records_file_server_root: each dhcp-ztp host's configuration lands where
its DHCP record names it (the action's ztp_files), rendered with that host's variables or written as given;
check mode writes nothing but shows the diff; a second run rewrites nothing; a template that renders Junos XML
for a dhcp-ztp host stops the role before any file is written, naming host and field.
"""

from __future__ import annotations

import sys

from playbook import run_playbook

RECORDS_TASK = 'Render the DHCP outputs'
PUBLISH_TASK = 'Publish the configuration each DHCP ZTP host fetches on the file server'
TEXT_TEMPLATE = 'system {\n    host-name {{ ztp_management.hostname }};\n    delete: autoinstallation;\n}\n'
XML_TEMPLATE = '<configuration><system><host-name>{{ ztp_management.hostname }}</host-name></system></configuration>\n'
SCRIPT = '#!/bin/sh\necho provisioning by script\n'


def _hosts(template):
    common = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
              'ztp_file_server': {'address': '192.0.2.10', 'transfer_mode': 'http', 'image_path': '/images', 'config_path': '/configs'}}

    def host(index, **variables):
        return dict(common, ztp_management={'ipv4_address': '10.20.0.%d' % index, 'hostname': 'sw%d' % index},
                    ztp_members=[{'serial_number': 'HWF%04d' % index, 'model': 'ex2300-24p', 'mac_address': '02:00:00:00:20:%02x' % index}],
                    **variables)
    return {
        'sw1': host(1, ztp_bootstrap_method='dhcp-ztp', ztp_configuration={'template': str(template)}),
        'sw2': host(2, ztp_bootstrap_method='dhcp-ztp', ztp_configuration={'template': str(template), 'file_name': 'day0/sw2.cfg'}),
        'sw3': host(3, ztp_bootstrap_method='dhcp-ztp', ztp_configuration={'content': SCRIPT}),
        'sw4': host(4, ztp_bootstrap_method='phone-home', ztp_configuration={'content': '<configuration/>'}),
    }


def _run(tmp_path, template_text=TEXT_TEMPLATE, **kwargs):
    template = tmp_path / 'switch.conf.j2'
    template.write_text(template_text)
    root, dhcp = tmp_path / 'files', tmp_path / 'dhcp'
    root.mkdir(exist_ok=True)
    dhcp.mkdir(exist_ok=True)
    role_vars = {'dhcp_records_reload': False, 'dhcp_records_file_server_root': str(root),
                 'dhcp_records_outputs': [{'type': 'isc4', 'dest': str(dhcp / 'junos-ztp.conf')}]}
    run = run_playbook(tmp_path, tasks=[], hosts=_hosts(template), play={'roles': ['junos.ztp.dhcp_records'], 'vars': role_vars}, **kwargs)
    return run, root, dhcp


def _result(run, task):
    """The result of the role's task (its name carries the role's prefix)."""
    matches = [r['result'] for r in run.results if r['task'].endswith(task)]
    assert matches, 'no %r task in:\n%s' % (task, run.output[-4000:])
    return matches[-1]


def _files(root):
    return {str(path.relative_to(root)): path.read_text() for path in sorted(root.rglob('*')) if path.is_file()}


def test_check_mode_shows_each_file_and_writes_nothing(tmp_path):
    run, root, dhcp = _run(tmp_path, check=True, diff=True)
    assert run.returncode == 0, run.output[-4000:]
    published = _result(run, PUBLISH_TASK)
    assert published['changed'] is True
    assert sorted(diff['after_header'] for diff in published['diff']) == [
        str(root / 'configs' / 'day0' / 'sw2.cfg'), str(root / 'configs' / 'sw1.conf'), str(root / 'configs' / 'sw3.sh')]
    assert _files(root) == {} and list(dhcp.iterdir()) == []


def test_the_role_publishes_each_file_where_its_record_names_it_and_a_rerun_rewrites_nothing(tmp_path):
    run, root, _dhcp = _run(tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    named = _result(run, RECORDS_TASK)['results'][0]['ztp_files']
    assert {host: files['configuration'] for host, files in named.items()} == {
        'sw1': '/configs/sw1.conf', 'sw2': '/configs/day0/sw2.cfg', 'sw3': '/configs/sw3.sh'}
    assert _files(root) == {
        'configs/sw1.conf': 'system {\n    host-name sw1;\n    delete: autoinstallation;\n}\n',   # with that host's variables
        'configs/day0/sw2.cfg': 'system {\n    host-name sw2;\n    delete: autoinstallation;\n}\n',
        'configs/sw3.sh': SCRIPT,                                                               # a script as it is
    }
    assert all(oct(path.stat().st_mode & 0o777) == '0o644' for path in root.rglob('*') if path.is_file())
    written = {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in root.rglob('*') if path.is_file()}
    again, _root, _dhcp = _run(tmp_path)
    assert again.returncode == 0, again.output[-4000:]
    assert _result(again, PUBLISH_TASK)['changed'] is False and _result(again, PUBLISH_TASK)['changed_files'] == []
    assert {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in root.rglob('*') if path.is_file()} == written


def test_a_template_that_renders_junos_xml_for_dhcp_ztp_stops_the_role_before_any_file_is_written(tmp_path):
    run, root, dhcp = _run(tmp_path, template_text=XML_TEMPLATE)
    assert run.returncode != 0
    failed = _result(run, PUBLISH_TASK)
    assert failed['problems'] == [
        'sw%d: ztp_configuration.template: renders a configuration that is Junos XML; DHCP ZTP loads the configuration file as '
        'Junos text configuration (curly braces), so XML would not commit and ZTP would restart forever: give text, or use '
        'phone-home for XML' % index for index in (1, 2)]
    assert _files(root) == {} and list(dhcp.iterdir()) == []

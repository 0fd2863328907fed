"""Publishing what DHCP ZTP hosts fetch: where each file goes, what is refused before anything is written, what is rewritten."""

from __future__ import annotations

from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_fleet
from ansible_collections.junos.ztp.plugins.module_utils._ztp_files import hosts_with_files, plan_publications, publish

TEXT = 'system {\n    host-name sw1;\n}\n'


def _models(**configurations):
    hosts = {}
    for index, (host, configuration) in enumerate(sorted(configurations.items()), start=1):
        hosts[host] = {'ztp_bootstrap_method': 'dhcp-ztp', 'ztp_configuration': configuration,
                       'ztp_file_server': {'address': '192.0.2.10', 'config_path': '/configs'},
                       'ztp_members': [{'serial_number': 'HW%d' % index, 'model': 'ex2300-24p'}]}
    hosts['vc1'] = {'ztp_bootstrap_method': 'phone-home', 'ztp_configuration': {'content': '<configuration/>'},
                    'ztp_members': [{'serial_number': 'PE1'}]}
    return validate_fleet(hosts)


def test_each_dhcp_ztp_host_gets_its_file_where_its_record_names_it(tmp_path):
    models = _models(sw1={'content': TEXT}, sw2={'template': 't.j2', 'file_name': 'day0/sw2.cfg'})
    assert hosts_with_files(models) == ['sw1', 'sw2']
    publications, problems = plan_publications(str(tmp_path), models, {'sw1': TEXT, 'sw2': TEXT}, templated={'sw2'})
    assert problems == []
    assert [(p.host, p.path, p.dest) for p in publications] == [
        ('sw1', '/configs/sw1.conf', str(tmp_path / 'configs' / 'sw1.conf')), ('sw2', '/configs/day0/sw2.cfg', str(tmp_path / 'configs' / 'day0' / 'sw2.cfg'))]
    assert publish(publications) == [p.dest for p in publications]
    assert (tmp_path / 'configs' / 'day0' / 'sw2.cfg').read_text() == TEXT
    again, _problems = plan_publications(str(tmp_path), models, {'sw1': TEXT, 'sw2': TEXT}, templated={'sw2'})
    assert not any(p.changed for p in again) and publish(again) == []


def test_bad_files_are_refused_naming_host_and_field_before_any_is_written(tmp_path):
    models = _models(sw1={'template': 't.j2'}, sw2={'content': TEXT, 'file_name': '../../etc/passwd'},
                     sw3={'content': TEXT, 'file_name': 'shared.conf'}, sw4={'content': TEXT.replace('sw1', 'sw4'), 'file_name': 'shared.conf'})
    texts = {'sw1': '<configuration/>', 'sw2': TEXT, 'sw3': TEXT, 'sw4': TEXT.replace('sw1', 'sw4')}
    _publications, problems = plan_publications(str(tmp_path), models, texts, templated={'sw1'})
    assert [str(problem) for problem in problems] == [
        'sw1: ztp_configuration.template: renders a configuration that is Junos XML; DHCP ZTP loads the configuration file as Junos '
        'text configuration (curly braces), so XML would not commit and ZTP would restart forever: give text, or use phone-home for XML',
        'sw2: ztp_configuration.file_name: puts the file at /configs/../../etc/passwd, outside the file server directory %s' % tmp_path,
        'sw4: ztp_configuration.file_name: /configs/shared.conf is also the file of host sw3, with other content',
    ]
    assert list(tmp_path.iterdir()) == []

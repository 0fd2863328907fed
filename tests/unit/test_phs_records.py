"""Phone-home records: both encodings, the checks, and the records directory."""

from __future__ import annotations

import base64
import datetime
import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._data_model import InventoryError
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import (
    LEGACY_NAMESPACE, VC_NAMESPACE, HostRecords, factory_default_clashes, render_records, script_problems, trust_anchor_certificates)
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import (
    VersionedDirError,
    compare,
    digests,
    pack,
    read_tree,
    tree_digests,
    unpack,
    write_version,
)
from phs_fixtures import CONFIGURATION, fleet

NS = {'d': LEGACY_NAMESPACE, 'vc': VC_NAMESPACE}


def _problems(overrides, inputs_change=None):
    models, inputs = fleet(overrides)
    for host, change in (inputs_change or {}).items():
        inputs[host].update(change)
    with pytest.raises(InventoryError) as error:
        render_records(models, inputs)
    return [str(p) for p in error.value.problems]


def test_every_member_serial_gets_both_encodings_and_the_index_names_them():
    files = render_records(*fleet())
    index = json.loads(files['index.json'])
    assert index['devices']['VCF0002'] == 'vc-full-strict'
    assert index['hosts']['vc-full-strict']['serials'] == ['VCF0001', 'VCF0002']
    assert index['servers']['https://127.0.0.1:8443'] == {'address': '127.0.0.1', 'port': 8443, 'trust-anchor': []}
    assert sorted(p for p in files if p.startswith('devices/VCF')) == [
        'devices/VCF0001.json', 'devices/VCF0001.xml', 'devices/VCF0002.json', 'devices/VCF0002.xml']
    assert render_records(*fleet()) == files  # deterministic, so a second run changes nothing


def test_legacy_record_carries_image_scripts_vc_extension_and_merged_configuration():
    root = ET.fromstring(render_records(*fleet())['devices/VCF0002.xml'])
    assert root.tag == '{%s}device' % LEGACY_NAMESPACE and root.findtext('d:unique-id', namespaces=NS) == 'VCF0002'
    assert root.findtext('d:boot-image/d:md5', namespaces=NS) == '0a1b2c3d4e5f60718293a4b5c6d7e8f9'
    assert root.findtext('d:boot-image/d:path', namespaces=NS) == 'http://192.0.2.10/images/jinstall-ex-4300.tgz'
    vc = root.find('vc:virtual-chassis', NS)
    assert vc.findtext('vc:provisioning-mode', namespaces=NS) == 'strict'
    assert [m.findtext('vc:serial-number', namespaces=NS) for m in vc.findall('vc:member', NS)] == ['VCF0001', 'VCF0002']
    assert base64.b64decode(root.findtext('d:pre-configuration-script', namespaces=NS)).startswith(b'#!/bin/sh')
    merged = root.find('d:configuration/d:config/d:configuration', NS)
    assert merged.get('operation') == 'merge' and merged.findtext('d:system/d:host-name', namespaces=NS) == 'vc-full-strict'


def test_rfc8572_record_carries_sha256_and_the_configuration_as_base64():
    models, inputs = fleet()
    info = HostRecords('standalone', models['standalone'], inputs['standalone']).onboarding_information()['ietf-sztp-conveyed-info:onboarding-information']
    assert info['boot-image']['image-verification'][0]['hash-value'].startswith('6f:1f:3f')
    assert info['configuration-handling'] == 'merge'
    assert ET.fromstring(base64.b64decode(info['configuration'])).findtext('system/host-name') == 'standalone'
    assert 'junos-ztp-virtual-chassis:virtual-chassis' not in info  # standalone: no VC extension


def test_phone_home_needs_url_md5_sha1_and_one_image_per_virtual_chassis():
    software = {'version': '21.4R3', 'images': [
        {'models': ['ex4300-48*'], 'file': 'a.tgz', 'local_path': '/images/a.tgz', 'sha256': 'a' * 64},
        {'models': ['ex4300-24*'], 'file': 'b.tgz', 'url': 'http://192.0.2.1/b.tgz', 'md5': 'b' * 32, 'sha1': 'b' * 40}]}
    problems = _problems({'vc-full-strict': {'ztp_software': software}, 'standalone': {'ztp_software': software}})
    assert 'vc-full-strict: ztp_software.images: a phone-home record carries one image; members of models ex4300-48p, ex4300-48t need 2 different images' \
        not in problems  # both ex4300-48 models match the first image
    assert 'vc-full-strict: ztp_software.images[0].url: is required for phone-home: the client downloads the image itself' in problems
    assert 'vc-full-strict: ztp_software.images[0].md5: is required for phone-home: the legacy client verifies md5 and sha1' in problems
    assert 'standalone: ztp_software.images[1].url: is required for phone-home: the client downloads the image itself' not in problems


def test_scripts_must_be_shell_or_python_and_carried_in_the_record():
    assert script_problems('h', 'f', b'#!/bin/sh\n') == []
    assert script_problems('h', 'f', b'#!/usr/bin/env python3\n') == []
    assert 'shell or Python scripts only' in str(script_problems('h', 'f', b'#!/usr/libexec/ui/cscript\n')[0])
    assert 'is not a script' in str(script_problems('h', 'f', b'<configuration/>')[0])
    problems = _problems({'standalone': {'ztp_scripts': {'post': {'url': 'http://192.0.2.1/post.sh'}}}})
    assert 'standalone: ztp_scripts.post: phone-home records carry the script itself (RFC 8572 has no script URL); give local_path' in problems


@pytest.mark.parametrize('configuration, expected', [
    ('<configuration><system/></configuration>', 'keeps the factory-default system autoinstallation'),
    ('<configuration><system><autoinstallation delete="delete"/></system><protocols><mstp/></protocols></configuration>',
     'configures protocols mstp beside the factory-default protocols rstp'),
    ('<configuration><system><autoinstallation delete="delete"/></system><interfaces><interface><name>ge-0/0/1</name>'
     '<unit><name>0</name><family><inet><address><name>10.0.0.1/24</name></address></inet></family></unit></interface></interfaces></configuration>',
     'interfaces ge-0/0/1 unit 0: family inet cannot be merged beside the factory-default family ethernet-switching'),
    ('<configuration><system><autoinstallation delete="delete"/></system><interfaces><interface><name>vme</name>'
     '<unit><name>0</name><family><inet><address><name>10.0.0.1/24</name></address></inet></family></unit></interface></interfaces></configuration>',
     'interfaces vme unit 0: a static address cannot be merged beside the factory-default DHCP client'),
])
def test_factory_default_clashes_are_flagged(configuration, expected):
    messages = factory_default_clashes(ET.fromstring(configuration))
    assert len(messages) == 1 and messages[0].startswith(expected)


def test_removed_factory_statements_do_not_clash():
    configuration = ('<configuration><system><autoinstallation delete="delete"/></system><protocols><rstp delete="delete"/><mstp/></protocols>'
                     '<interfaces><interface><name>ge-0/0/1</name><unit><name>0</name><family><ethernet-switching delete="delete"/>'
                     '<inet/></family></unit></interface><interface><name>vme</name><unit><name>0</name><family><inet><dhcp delete="delete"/>'
                     '<address><name>10.0.0.1/24</name></address></inet></family></unit></interface></interfaces></configuration>')
    assert factory_default_clashes(ET.fromstring(configuration)) == []


def test_configuration_checks_name_host_and_field():
    problems = _problems({}, {'vc-minimum': {'configuration': '<system/>'}, 'standalone': {'configuration': '<configuration>'},
                              'vc-full-strict': {'configuration': CONFIGURATION.format(host='x').replace(
                                  '</system>', '</system><virtual-chassis><member><name>1</name><role>routing-engine</role></member></virtual-chassis>')}})
    assert 'vc-minimum: ztp_configuration: must be rooted at <configuration>, got <system>' in problems
    assert any(p.startswith('standalone: ztp_configuration: is not well-formed XML') for p in problems)
    assert any(p.startswith('vc-full-strict: ztp_configuration: virtual-chassis member 1 has role routing-engine but ztp_members says line-card')
               for p in problems)


def test_serial_numbers_must_be_file_names_and_trust_anchors_certificates():
    # The data model refuses such a serial number before any record is rendered.
    with pytest.raises(InventoryError) as error:
        fleet({'standalone': {'ztp_members': [{'serial_number': '../etc', 'model': 'ex4300-24t'}]}})
    assert "standalone: ztp_members[0].serial_number: must be letters, digits, \".\", \"_\" or \"-\" (at most 64), got '../etc'" in [
        str(p) for p in error.value.problems]
    problems = _problems({}, {'vc-minimum': {'trust_anchor': 'not a certificate'}})
    assert 'vc-minimum: ztp_phone_home.trust_anchor: holds no PEM certificate' in problems
    assert trust_anchor_certificates('-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n') == ['AAEC']


def test_versioned_directory_swaps_atomically_and_keeps_backups(tmp_path):
    dest = tmp_path / 'records'
    (dest / 'old').mkdir(parents=True)
    (dest / 'old' / 'mine.txt').write_bytes(b'user data')
    times = [datetime.datetime(2026, 1, 1, 0, 0, i, tzinfo=datetime.timezone.utc) for i in range(6)]
    first = write_version(str(dest), {'index.json': b'1'}, keep=2, now=times[0])
    assert first['backup'].endswith('.orig') and read_tree(first['backup']) == {'old/mine.txt': b'user data'}
    assert os.path.islink(dest) and read_tree(str(dest)) == {'index.json': b'1'}
    for number in range(1, 5):
        result = write_version(str(dest), {'index.json': str(number + 1).encode(), 'devices/A.xml': b'a'}, keep=2, now=times[number])
    assert read_tree(str(dest)) == {'index.json': b'5', 'devices/A.xml': b'a'}
    versions = sorted(p.name for p in tmp_path.iterdir() if p.name != 'records')
    assert len([v for v in versions if not v.endswith('.orig')]) == 3  # current + 2 backups
    assert any(v.endswith('.orig') for v in versions) and result['backup'] in [str(tmp_path / v) for v in versions]
    assert compare({'a': b'1', 'b': b'2'}, {'b': b'3', 'c': b'4'}) == {'added': ['c'], 'removed': ['a'], 'modified': ['b']}
    with pytest.raises(VersionedDirError):
        write_version(str(dest), {}, keep=0)


def test_records_compare_by_digest_and_travel_packed_unchanged(tmp_path):
    files = {'index.json': b'{"a": 1}\n', 'devices/A.xml': '<a>\u00e9</a>\n'.encode('utf-8')}
    assert unpack(pack(files)) == files
    write_version(str(tmp_path / 'records'), files)
    assert tree_digests(str(tmp_path / 'records')) == digests(files)
    assert digests({'x': b''})['x'] == 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    changed = dict(files, **{'devices/A.xml': b'<b/>\n'})
    assert compare(tree_digests(str(tmp_path / 'records')), digests(changed)) == {'added': [], 'removed': [], 'modified': ['devices/A.xml']}


def test_hosts_naming_one_server_must_give_it_one_trust_anchor():
    first, second = ('-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' % body for body in ('AAEC', 'AAED'))
    server = {'ztp_phone_home': {'server_url': 'https://127.0.0.1:9443', 'backup_server_urls': ['https://127.0.0.1:8443']}}
    problems = _problems({'standalone': server}, {'vc-full-strict': {'trust_anchor': first}, 'standalone': {'trust_anchor': second}})
    assert problems == ['vc-full-strict: ztp_phone_home.trust_anchor: differs from the trust anchor standalone gives the same server '
                        'https://127.0.0.1:8443 (server_url); a server has one certificate']
    models, inputs = fleet({'standalone': server})
    inputs['vc-full-strict']['trust_anchor'] = inputs['standalone']['trust_anchor'] = first
    index = json.loads(render_records(models, inputs)['index.json'])
    assert index['hosts']['standalone']['backup_servers'] == ['https://127.0.0.1:8443']
    assert index['servers']['https://127.0.0.1:9443']['trust-anchor'] == ['AAEC']

"""RFC 8572 onboarding information validated against the RFC's YANG module (yangson), with our VC augmentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from yangson import DataModel
from yangson.enumerations import ContentType
from yangson.exceptions import YangsonException

from ansible_collections.junos.ztp.plugins.module_utils._phs_records import HostRecords
from phs_fixtures import fleet

REPO = Path(__file__).resolve().parents[2]
MODULES = [
    ('ietf-yang-types', '2013-07-15', 'urn:ietf:params:xml:ns:yang:ietf-yang-types', 'import'),
    ('ietf-inet-types', '2013-07-15', 'urn:ietf:params:xml:ns:yang:ietf-inet-types', 'import'),
    ('ietf-sztp-conveyed-info', '2019-04-30', 'urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info', 'implement'),
    ('junos-ztp-virtual-chassis', '2026-01-01', 'urn:junos-ztp:virtual-chassis:1', 'implement'),
]


@pytest.fixture(scope='module')
def data_model():
    library = {'ietf-yang-library:modules-state': {'module-set-id': 'junos-ztp-tests', 'module': [
        {'name': n, 'revision': r, 'namespace': ns, 'conformance-type': c} for n, r, ns, c in MODULES]}}
    return DataModel(json.dumps(library), [str(REPO / 'tests' / 'yang'), str(REPO / 'docs' / 'yang')])


def _validate(data_model, document):
    data_model.from_raw(document).validate(ctype=ContentType.config)


@pytest.mark.parametrize('path', sorted((REPO / 'tests' / 'golden' / 'phs' / 'devices').glob('*.json')), ids=lambda p: p.name)
def test_golden_onboarding_information_is_valid(data_model, path):
    _validate(data_model, json.loads(path.read_text()))


@pytest.mark.parametrize('host', ['vc-full-strict', 'vc-minimum', 'standalone', 'standalone-no-image'])
def test_rendered_onboarding_information_is_valid(data_model, host):
    models, inputs = fleet()
    _validate(data_model, HostRecords(host, models[host], inputs.get(host, {})).onboarding_information())


def test_validation_catches_a_broken_document(data_model):
    models, inputs = fleet()
    document = HostRecords('vc-full-strict', models['vc-full-strict'], inputs['vc-full-strict']).onboarding_information()
    info = document['ietf-sztp-conveyed-info:onboarding-information']
    info['junos-ztp-virtual-chassis:virtual-chassis']['topology'] = 'minimum'  # strict without the full topology
    with pytest.raises(YangsonException):
        _validate(data_model, document)
    del info['configuration-handling']  # configuration without configuration-handling
    info['junos-ztp-virtual-chassis:virtual-chassis']['topology'] = 'full'
    with pytest.raises(YangsonException):
        _validate(data_model, document)

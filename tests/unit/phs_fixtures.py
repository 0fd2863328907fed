"""A small phone-home fleet (every topology) for the phone-home record and server tests."""

from __future__ import annotations

import copy

from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_fleet

CONFIGURATION = ('<configuration><system><host-name>{host}</host-name><autoinstallation delete="delete"/>'
                 '<services><netconf><ssh/></netconf></services></system></configuration>')
SOFTWARE = {'version': '21.4R3-S5.4', 'images': [
    {'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-21.4R3-S5.4-signed.tgz', 'url': 'http://192.0.2.10/images/jinstall-ex-4300.tgz',
     'md5': '0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'sha1': '00112233445566778899aabbccddeeff00112233',
     'sha256': '6f1f3f3d6c1b0c4f1f4b8a1b5a2d7c9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8'},
]}
PRE_SCRIPT = b'#!/bin/sh\necho pre\n'
POST_SCRIPT = b'#!/usr/bin/env python3\nprint("post")\n'

HOSTS = {
    'vc-full-strict': {
        'ztp_topology': 'full', 'ztp_provisioning_mode': 'strict', 'ztp_member_detection_timeout': 600,
        'ztp_members': [
            {'serial_number': 'VCF0001', 'member_id': 0, 'model': 'ex4300-48p', 'role': 'routing-engine', 'mastership_priority': 255},
            {'serial_number': 'VCF0002', 'member_id': 1, 'model': 'ex4300-48t', 'role': 'line-card', 'mastership_priority': 0},
        ],
        'ztp_software': SOFTWARE,
        'ztp_configuration': {'content': CONFIGURATION.format(host='vc-full-strict')},
        'ztp_scripts': {'pre': {'local_path': '/scripts/pre.sh'}, 'post': {'local_path': '/scripts/post.py'}},
        'ztp_phone_home': {'server_url': 'https://127.0.0.1:8443'},
    },
    'vc-minimum': {
        'ztp_topology': 'minimum', 'ztp_members': [{'serial_number': 'VCM0001'}],
        'ztp_configuration': {'content': CONFIGURATION.format(host='vc-minimum')},
    },
    'standalone': {
        'ztp_members': [{'serial_number': 'SA0001', 'model': 'ex4300-24t'}], 'ztp_software': SOFTWARE,
        'ztp_configuration': {'content': CONFIGURATION.format(host='standalone')},
    },
    'standalone-no-image': {
        'ztp_members': [{'serial_number': 'SA0002'}],
        'ztp_configuration': {'content': CONFIGURATION.format(host='standalone-no-image')},
    },
}


def fleet(overrides=None):
    """(models, inputs) after validate_fleet, with the controller-side inputs the action would read."""
    hosts = copy.deepcopy(HOSTS)
    for host, variables in (overrides or {}).items():
        hosts.setdefault(host, {}).update(variables)
    models = validate_fleet(hosts)
    inputs = {host: {'configuration': (models[host]['ztp_configuration'] or {}).get('content'), 'scripts': {}}
              for host in models}
    inputs['vc-full-strict']['scripts'] = {'pre': PRE_SCRIPT, 'post': POST_SCRIPT}
    return models, inputs

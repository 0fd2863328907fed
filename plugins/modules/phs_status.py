#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: phs_status
short_description: Read what a device or Virtual Chassis reported to the junos.ztp phone-home server
version_added: 0.1.0
description:
  - Reads the status API of the junos.ztp phone-home server (role C(junos.ztp.phone_home_server)),
    that is the state, the last notification and the history of one device (O(serial)) or of every member
    of a Virtual Chassis (O(vc)).
  - With O(wait=true) it polls until the device or Virtual Chassis reports C(bootstrap-complete)
    (state C(complete)) or gives up (state C(failed), for example C(vc-bootstrap-failed) or any
    RFC 8572 C(*-error)), so a playbook can zeroize a Virtual Chassis and wait for it to provision itself.
  - Fails when the state is C(failed), or when O(wait) runs out of O(timeout).
author:
  - junos.ztp contributors (@junos-ztp)
options:
  url:
    description:
      - Base HTTPS URL of the phone-home server, for example C(https://phs.example.net:8443).
    type: str
    required: true
  serial:
    description:
      - Serial number of one device.
    type: str
  vc:
    description:
      - Inventory host name of a Virtual Chassis (or standalone device); every member's reports count.
    type: str
  since:
    description:
      - Ignore reports received before this time, epoch seconds or ISO 8601 (naive times are UTC).
      - Set it to when you zeroized the device, so an earlier C(bootstrap-complete) does not count.
    type: str
  wait:
    description:
      - Poll until the state is C(complete) or C(failed).
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait with O(wait=true). Provisioning a Virtual Chassis with an image upgrade takes tens of minutes.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two reads of the status API.
    type: int
    default: 15
  token:
    description:
      - Bearer token of the server's status API. The role C(junos.ztp.phone_home_server) always starts the server with
        one (C(phone_home_server_status_token), or one it generates on the server).
      - A server started without a token answers the status API only to clients on its own host (loopback).
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate. Leave it on; point O(ca_path) at the server's CA instead.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA (or the self-signed certificate) that signed the server's certificate.
      - A relative path is found like the source of M(ansible.builtin.copy) (in C(files/) of the role, then of the playbook,
        then beside the playbook; last in those places of the playbook given to ansible-playbook).
    type: path
  request_timeout:
    description:
      - Seconds one HTTP request may take.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing changes.
  platform:
    support: full
    platforms: posix
    description: Runs where the status API is reachable, usually the controller (C(delegate_to=localhost)).
seealso:
  - module: junos.ztp.phs_records
"""

EXAMPLES = r"""
- name: Note when the Virtual Chassis was zeroized
  ansible.builtin.set_fact:
    zeroized_at: "{{ now(utc=true).timestamp() }}"

- name: Wait for the Virtual Chassis to provision itself by phone-home
  junos.ztp.phs_status:
    url: https://phs.example.net:8443
    vc: "{{ inventory_hostname }}"
    since: "{{ zeroized_at }}"
    ca_path: /etc/junos-ztp/phs-ca.pem
    wait: true
    timeout: 5400
  delegate_to: localhost

- name: Read one device's history
  junos.ztp.phs_status:
    url: https://phs.example.net:8443
    serial: PE3714100218
    ca_path: /etc/junos-ztp/phs-ca.pem
  register: device
"""

RETURN = r"""
state:
  description: C(pending) (nothing reported), C(in-progress), C(complete) or C(failed).
  returned: always
  type: str
  sample: complete
stage:
  description: Type of the newest report, for example C(vc-member-upgrade-success) or C(bootstrap-complete).
  returned: always
  type: str
  sample: bootstrap-complete
last_event:
  description: The newest report (serial, host, type, message, source, received, member_serial).
  returned: always
  type: dict
  sample: {serial: PE3714100218, host: ams1-vc1, type: bootstrap-complete, message: "", source: legacy, received: 1767225600.0}
history:
  description: Every report since O(since), oldest first.
  returned: always
  type: list
  elements: dict
members:
  description: Per member serial number, its state, stage and last event (with O(vc)).
  returned: with O(vc)
  type: dict
elapsed:
  description: Seconds spent, waiting included.
  returned: always
  type: float
  sample: 1312.4
polls:
  description: How many times the status API was read.
  returned: always
  type: int
  sample: 88
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

from ansible_collections.junos.ztp.plugins.module_utils._phs_status import StatusError, parse_since, status_url, wait_for_done


def main():
    module = AnsibleModule(
        argument_spec={
            'url': {'type': 'str', 'required': True},
            'serial': {'type': 'str'},
            'vc': {'type': 'str'},
            'since': {'type': 'str'},
            'wait': {'type': 'bool', 'default': False},
            'timeout': {'type': 'int', 'default': 3600},
            'poll_interval': {'type': 'int', 'default': 15},
            'token': {'type': 'str', 'no_log': True},
            'validate_certs': {'type': 'bool', 'default': True},
            'ca_path': {'type': 'path'},
            'request_timeout': {'type': 'int', 'default': 10},
        },
        required_one_of=[('serial', 'vc')],
        mutually_exclusive=[('serial', 'vc')],
        supports_check_mode=True,
    )
    params = module.params
    try:
        url = status_url(params['url'], params['serial'], params['vc'], parse_since(params['since']))
    except StatusError as exc:
        module.fail_json(msg=str(exc))
    headers = {'Accept': 'application/json'}
    if params['token']:
        headers['Authorization'] = 'Bearer ' + params['token']
    last_error = []

    def fetch():
        try:
            response = open_url(url, headers=headers, validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                                timeout=params['request_timeout'])
            return json.loads(response.read())
        except HTTPError as exc:
            if exc.code == 404 and params['wait']:
                return None  # not in the records yet (they reload by themselves)
            module.fail_json(msg='status API %s answered %s: %s' % (url, exc.code, exc.read().decode('utf-8', 'replace')[:500]))
        except (URLError, OSError, ValueError) as exc:
            if not params['wait']:
                module.fail_json(msg='cannot read %s: %s' % (url, exc))
            last_error[:] = [str(exc)]  # a server restart must not end a long wait
            return None

    started = time.monotonic()
    if params['wait']:
        status, timed_out, polls = wait_for_done(fetch, params['timeout'], params['poll_interval'])
    else:
        status, timed_out, polls = fetch(), False, 1
    result = dict(status or {}, changed=False, elapsed=round(time.monotonic() - started, 1), polls=polls)
    what = 'serial number %s' % params['serial'] if params['serial'] else params['vc']
    if timed_out:
        module.fail_json(msg='%s did not finish provisioning within %d seconds (state %s, last report %s)%s'
                         % (what, params['timeout'], result.get('state', 'unknown'), result.get('stage'),
                            '; last error: ' + last_error[0] if last_error else ''), **result)
    if result.get('state') == 'failed':
        event = result.get('last_event') or {}
        module.fail_json(msg='%s reported %s: %s' % (what, event.get('type'), event.get('message')), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

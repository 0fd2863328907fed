#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vcp_check
short_description: Check a Juniper Virtual Chassis against the intended one before provisioning
version_added: 0.1.0
description:
  - Reads the Virtual Chassis (VC) like M(junos.ztp.vc_facts) and checks it against the intended members and
    the requirements of phone-home provisioning, returning every finding at once.
  - Members are checked by serial number; with O(topology=full) any other member is unexpected, and where the
    intended member gives a C(member_id) or C(model) those must match.
  - In O(provisioning_mode=default) the phone-home client provisions the members it finds, so member
    differences (C(member-missing), C(member-not-present), C(unexpected-member), C(member-id-mismatch),
    C(model-mismatch)), and the VCP or ring findings caused by a member that is missing, are warnings.
    In O(provisioning_mode=strict) they are errors.
  - Always errors, because phone-home cannot work with them, a mixed-mode VC (C(mixed-mode)), a VCP that is down
    (C(vcp-down)), a VCP that had to be configured explicitly instead of being dedicated or default-configured
    (C(vcp-configured)), and present members not cabled in a ring (C(not-a-ring)).
  - With O(topology=none) the device should be a standalone switch; a VC gets a C(not-standalone) finding
    and no VCP checks.
  - Fails with one message listing every finding when any is an error; warnings are shown as Ansible
    warnings and returned.
author:
  - junos.ztp contributors (@junos-ztp)
extends_documentation_fragment:
  - junos.ztp.connection
options:
  members:
    description:
      - The intended members, as the C(ztp_members) inventory variable gives them (see C(docs/data-model.md)).
      - Defaults to the host's C(ztp_members) when the task does not give it.
        Each needs C(serial_number); C(member_id) and C(model) are checked when given and required with O(topology=full).
      - Checked with the inventory's own rules (unique serial numbers and member IDs, member IDs 0 to 9) before the
        device is contacted.
    type: list
    elements: dict
    default: []
  topology:
    description:
      - How much of the VC is intended, as C(ztp_topology). C(none) a standalone switch, C(minimum) a VC whose
        members are discovered, C(full) exactly the listed members.
      - Defaults to the host's C(ztp_topology), then to C(minimum).
    type: str
    choices: [none, minimum, full]
    default: minimum
  provisioning_mode:
    description:
      - As C(ztp_provisioning_mode). C(strict) needs O(topology=full).
      - Defaults to the host's C(ztp_provisioning_mode), then to C(default).
    type: str
    choices: [default, strict]
    default: default
attributes:
  check_mode:
    support: full
    description: Read-only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing to compare.
  platform:
    support: full
    platforms: junos
    description: Juniper EX Virtual Chassis, over NETCONF from the controller.
notes:
  - C(changed) is always false; the module never writes to the device.
  - Whether a VCP is dedicated, default-configured or explicitly configured is read from the port type Junos
    reports; a port whose type Junos does not report is not judged.
seealso:
  - module: junos.ztp.vc_facts
"""

EXAMPLES = r"""
- name: Check the VC against the inventory before provisioning it
  junos.ztp.vcp_check:
    members: "{{ ztp_members }}"
    topology: "{{ ztp_topology }}"
    provisioning_mode: "{{ ztp_provisioning_mode }}"

- name: Check only that whatever is there is cabled as a ring, and keep the findings
  junos.ztp.vcp_check:
  register: vcp

- name: Show the warnings of a default-mode check
  ansible.builtin.debug:
    msg: "{{ vcp.findings | selectattr('severity', 'eq', 'warning') | map(attribute='message') }}"
"""

RETURN = r"""
findings:
  description: Every finding, errors first.
  returned: always
  type: list
  elements: dict
  contains:
    severity:
      description: C(error) (fails the task) or C(warning).
      type: str
      sample: error
    code:
      description:
        - Short and stable, for playbooks to match on. One of C(mixed-mode), C(member-missing), C(member-not-present),
          C(unexpected-member), C(member-id-mismatch), C(model-mismatch), C(not-standalone), C(vcp-down), C(vcp-configured),
          C(not-a-ring).
      type: str
      sample: vcp-down
    member:
      description: Member ID the finding is about, null when it is about the whole VC or about an intended member without one.
      type: int
      sample: 2
    port:
      description: VCP the finding is about, or null.
      type: str
      sample: vcp-255/1/0
    message:
      description: What is wrong, in words.
      type: str
      sample: VCP vcp-255/1/0 of member 2 is down (towards member 3)
  sample:
    - {severity: error, code: vcp-down, member: 2, port: vcp-255/1/0, message: VCP vcp-255/1/0 of member 2 is down}
errors:
  description: Number of findings of severity error.
  returned: always
  type: int
  sample: 0
virtual_chassis:
  description: The VC as read, in the structure of RV(junos.ztp.vc_facts#module:ansible_facts.junos_ztp_vc).
  returned: when the device was read
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC, HAS_PYEZ, PYEZ_IMPORT_ERROR, DeviceConnectionError, DeviceRpcError, module_connection)
from ansible_collections.junos.ztp.plugins.module_utils._vcp_check import ERROR, check_virtual_chassis, failure_message, intent_problems
from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import read_virtual_chassis_at


def main():
    module = AnsibleModule(argument_spec=dict(
        CONNECTION_ARGUMENT_SPEC,
        members={'type': 'list', 'elements': 'dict', 'default': []},
        topology={'type': 'str', 'choices': ['none', 'minimum', 'full'], 'default': 'minimum'},
        provisioning_mode={'type': 'str', 'choices': ['default', 'strict'], 'default': 'default'},
    ), supports_check_mode=True)
    params = module.params
    if not HAS_PYEZ:
        module.fail_json(msg=missing_required_lib('junos-eznc'), exception=str(PYEZ_IMPORT_ERROR))
    members, problems = intent_problems(params['host'], params['members'], params['topology'], params['provisioning_mode'])
    if problems:
        module.fail_json(msg='the intended Virtual Chassis is invalid (named as the ztp_* inventory variables): %s' % '; '.join(problems),
                         findings=[], errors=0)
    try:
        facts = read_virtual_chassis_at(module_connection(module))
    except (DeviceConnectionError, DeviceRpcError) as exc:
        module.fail_json(msg=str(exc), findings=[], errors=0)
    findings = check_virtual_chassis(facts, members, params['topology'], params['provisioning_mode'])
    errors = sum(1 for f in findings if f['severity'] == ERROR)
    result = {'changed': False, 'findings': findings, 'errors': errors, 'virtual_chassis': facts}
    if errors:
        module.fail_json(msg=failure_message(findings), **result)
    for warning in findings:
        module.warn('%s: %s' % (warning['code'], warning['message']))
    module.exit_json(msg='%d warning(s)' % len(findings) if findings else 'the Virtual Chassis meets every requirement', **result)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zeroize
short_description: Return a Juniper switch or a whole Virtual Chassis to factory default
version_added: 0.1.0
description:
  - Sends C(request system zeroize) (optionally with C(media)) over NETCONF. On a Virtual Chassis primary it erases
    every member; the switch or VC reboots into the factory-default configuration, and phone-home provisioning
    starts again.
  - B(Destructive.) It refuses to run unless O(confirm=true), and says what it would have erased.
  - Reads the members first (serial numbers, models, host name) and reports them, so the log says what was erased.
  - The device reboots while it answers; a reply cut short by that reboot counts as success.
  - With O(wait=true) it then re-connects until the device answers again with a factory-default committed
    configuration (one that carries C(system phone-home)), for at most O(wait_timeout) seconds.
author:
  - junos.ztp contributors (@junos-ztp)
extends_documentation_fragment:
  - junos.ztp.connection
options:
  confirm:
    description:
      - Must be true for anything to be erased. Without it the task fails before connecting to the device,
        in check mode too (check mode predicts what a real run does).
    type: bool
    default: false
  media:
    description:
      - Also overwrite the storage media (C(request system zeroize media)); takes longer.
    type: bool
    default: false
  wait:
    description:
      - Wait until the device answers again in factory-default state. When false (the default), return as soon as
        the request is accepted.
      - Waiting re-connects with the same connection options, so it needs a factory-default state that accepts
        them (the simulator, or a lab image that keeps a NETCONF user); a real factory-default EX has no such
        user, so leave it false there and follow the device through phone-home instead (M(junos.ztp.phs_status)).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the device when O(wait=true).
    type: int
    default: 1800
attributes:
  check_mode:
    support: full
    description: Connects and reads the members, then reports what would be erased without sending the request.
  diff_mode:
    support: none
    description: Nothing to compare.
  platform:
    support: full
    platforms: junos
    description: Juniper EX switches and Virtual Chassis, over NETCONF from the controller.
notes:
  - C(changed) is always true when the request is sent (and in check mode once confirmed). A zeroize erases log files,
    keys and user files as well as the configuration, so a device whose configuration is already factory default
    still has something to erase, and running it again restarts phone-home; the module does not guess that nothing
    would change.
  - PyEZ's C(SW.zeroize()) is not used; on junos-eznc 2.8.2 it sends a malformed RPC to a Virtual Chassis.
seealso:
  - module: junos.ztp.vc_facts
"""

EXAMPLES = r"""
- name: Return the VC to factory default and let phone-home take over
  junos.ztp.zeroize:
    confirm: true

- name: In a lab whose factory default keeps a NETCONF user, wait until the device answers again
  junos.ztp.zeroize:
    confirm: true
    wait: true

- name: Say what would be erased
  junos.ztp.zeroize:
    confirm: true
  check_mode: true
"""

RETURN = r"""
msg:
  description: What was (or would be) erased, and how long the device took to come back.
  returned: always
  type: str
  sample: "erased all configuration, log files, installed keys and user files of 10.0.0.11: 4 member(s): ..."
members:
  description: The members that were (or would be) erased, as read before the request.
  returned: when the device was read
  type: list
  elements: dict
  contains:
    member_id:
      description: Member ID.
      type: int
    serial_number:
      description: Serial number.
      type: str
    model:
      description: Model.
      type: str
    role:
      description: "C(primary), C(backup), C(linecard), or null for a member not present."
      type: str
hostname:
  description: Host name the device reported before it was erased.
  returned: when the device was read
  type: str
  sample: ams1-vc1
media:
  description: Whether the storage media were overwritten too.
  returned: when the device was read
  type: bool
reply_cut_short:
  description: True when the device dropped the session before replying (normal while it reboots); null in check mode.
  returned: when the device was read
  type: bool
waited:
  description: Whether the module waited for the device to come back in factory-default state.
  returned: when the device was read
  type: bool
elapsed:
  description: Seconds from the request until the device answered in factory-default state; null without waiting.
  returned: when the device was read
  type: float
  sample: 312.4
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC, HAS_PYEZ, PYEZ_IMPORT_ERROR, DeviceConnectionError, DeviceRpcError, module_connection)
from ansible_collections.junos.ztp.plugins.module_utils._zeroize import refusal_message, zeroize


def main():
    module = AnsibleModule(argument_spec=dict(
        CONNECTION_ARGUMENT_SPEC,
        confirm={'type': 'bool', 'default': False},
        media={'type': 'bool', 'default': False},
        wait={'type': 'bool', 'default': False},
        wait_timeout={'type': 'int', 'default': 1800},
    ), supports_check_mode=True)
    params = module.params
    if not params['confirm']:
        module.fail_json(msg=refusal_message(params['host'], params['media']), changed=False)
    if not HAS_PYEZ:
        module.fail_json(msg=missing_required_lib('junos-eznc'), exception=str(PYEZ_IMPORT_ERROR))
    try:
        result = zeroize(module_connection(module), media=params['media'], wait=params['wait'], wait_timeout=params['wait_timeout'],
                         check_mode=module.check_mode)
    except (DeviceConnectionError, DeviceRpcError) as exc:
        module.fail_json(msg=str(exc), changed=False)
    except TimeoutError as exc:
        module.fail_json(msg='zeroize was accepted, but %s' % exc, changed=True)
    module.exit_json(changed=True, **result)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: validate_inventory
short_description: Check every host's junos.ztp inventory variables at once
version_added: 0.1.0
description:
  - Validates the C(ztp_*) variables of every host against the junos.ztp data model (see C(docs/data-model.md)),
    including rules across fields (strict mode needs the full topology, member IDs 0 to 9, checksum lengths,
    IP and MAC addresses, the physical limits of a Virtual Chassis) and across hosts (a serial number belongs to one host).
  - Types are taken strictly as YAML gives them (an unquoted C(yes) is not a member ID, an unquoted C(012345) is not a
    serial number); text holds no control character.
  - Every file on the controller a host names (configuration template, scripts, image C(local_path), trust anchor,
    C(ztp_known_hosts_file)) must exist; a relative path is found like the modules that read it find it (in C(templates/)
    or C(files/) of the role, then of the playbook, then beside the playbook; last in those places of the playbook given
    to ansible-playbook).
  - An unknown C(ztp_*) host variable is refused with the closest known name, unless listed in C(ztp_extra_variables).
  - Fails with one message listing every problem, each naming its host and field, so a run stops before any
    device is contacted or any file is written.
  - Runs on the controller; use it once per play (C(run_once=true)). Warnings (a name in C(ztp_extra_variables) that
    looks like a typo) do not fail it.
author:
  - junos.ztp contributors (@junos-ztp)
options:
  hosts:
    description:
      - The hosts to validate. Defaults to every host of the play.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Reads variables only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Stop early on any inventory mistake
  junos.ztp.validate_inventory:
  run_once: true

- name: Validate only the Virtual Chassis
  junos.ztp.validate_inventory:
    hosts: "{{ groups['virtual_chassis'] }}"
  run_once: true
"""

RETURN = r"""
hosts:
  description: The hosts that were validated.
  returned: success
  type: list
  elements: str
  sample: [ams1-vc1, ams1-vc2]
problems:
  description: Every problem found, as C(host), C(field) and the message, separated by colons.
  returned: failure
  type: list
  elements: str
  sample: ["ams1-vc1: ztp_members[2].member_id: must be 0 to 9, got 12"]
"""

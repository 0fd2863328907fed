#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vc_facts
short_description: Read a Juniper Virtual Chassis over NETCONF into structured facts
version_added: 0.1.0
description:
  - Reads the Virtual Chassis (VC) mode, every member, every Virtual Chassis port (VCP) and the software
    version of each member, and derives the VCP topology (ring, daisy chain, broken or standalone) with the
    links that are missing.
  - Sends exactly three read-only RPCs (C(show virtual-chassis), C(show virtual-chassis vc-port),
    C(show version all-members)) and returns them as RV(ansible_facts.junos_ztp_vc).
  - Works on a standalone EX switch as well; it is then a one-member VC of topology C(standalone).
  - Member uptime is not returned; it needs a fourth RPC per member.
author:
  - junos.ztp contributors (@junos-ztp)
extends_documentation_fragment:
  - junos.ztp.connection
options: {}
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
    description: Juniper EX switches and Virtual Chassis, over NETCONF from the controller.
seealso:
  - module: junos.ztp.vcp_check
"""

EXAMPLES = r"""
- name: Read the Virtual Chassis
  junos.ztp.vc_facts:

- name: Show the members that are not present
  ansible.builtin.debug:
    msg: "{{ junos_ztp_vc.members | selectattr('status', 'ne', 'present') | map(attribute='serial_number') }}"

- name: Stop unless the VCPs form a ring
  ansible.builtin.assert:
    that: junos_ztp_vc.topology.kind == 'ring'
    fail_msg: "missing VCP links: {{ junos_ztp_vc.topology.missing_links }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: success
  type: dict
  contains:
    junos_ztp_vc:
      description: The Virtual Chassis as read over NETCONF.
      returned: success
      type: dict
      contains:
        id:
          description: Virtual Chassis ID.
          type: str
          sample: 8c2a.11f0.4d7e
        mode:
          description: C(enabled), or C(mixed) for a mixed-mode VC (from the VC mode or any member's mixed-mode flag); null when Junos does not say.
          type: str
          sample: enabled
        preprovisioned:
          description: Whether the VC is preprovisioned (its members are configured by serial number).
          type: bool
        logged_into_member:
          description: Member ID of the member the NETCONF session runs on (marked C(*) by Junos).
          type: int
          sample: 1
        primary_member:
          description: Member ID of the present primary (Junos C(Master)), null when none.
          type: int
          sample: 1
        backup_member:
          description: Member ID of the present backup, null when none.
          type: int
          sample: 0
        members:
          description: Every member Junos lists, sorted by member ID.
          type: list
          elements: dict
          contains:
            member_id:
              description: Member ID.
              type: int
              sample: 0
            serial_number:
              description: Chassis serial number.
              type: str
              sample: PE3719020100
            model:
              description: Model as Junos reports it.
              type: str
              sample: ex4300-48p
            status:
              description: "C(present) or C(not-present)."
              type: str
              sample: present
            role:
              description: "C(primary), C(backup) or C(linecard); null for a member that is not present."
              type: str
              sample: backup
            junos_role:
              description: "The role as Junos names it (C(Master), C(Backup), C(Linecard))."
              type: str
              sample: Backup
            mastership_priority:
              description: Mastership priority (0 to 255).
              type: int
              sample: 255
            mixed_mode:
              description: The member's mixed-mode flag.
              type: bool
            route_mode:
              description: "Junos's route mode column (C(VC), C(F))."
              type: str
              sample: VC
            version:
              description: Junos version the member runs; null when the member did not answer.
              type: str
              sample: 21.4R3-S5.4
            hostname:
              description: Host name the member reports.
              type: str
              sample: ams1-vc1
            neighbors:
              description: Junos's neighbour list of the member, each C(member_id) and local C(port).
              type: list
              elements: dict
            ports:
              description: The member's VCPs.
              type: list
              elements: dict
              contains:
                member_id:
                  description: Member the port is on.
                  type: int
                port:
                  description: Port name.
                  type: str
                  sample: vcp-255/1/0
                status:
                  description: "C(up), C(down) or C(absent) (no cable or optic)."
                  type: str
                  sample: up
                speed:
                  description: Speed in Mbit/s as Junos reports it.
                  type: int
                  sample: 40000
                type:
                  description:
                    - C(dedicated), C(default) (a VCP in the factory-default configuration) or C(configured) (made a VCP explicitly).
                    - Null when Junos does not say or says something else; the raw text is in C(junos_type).
                  type: str
                  sample: default
                junos_type:
                  description: The port type as Junos names it.
                  type: str
                  sample: Default
                neighbor_member_id:
                  description: Member at the other end of an up port.
                  type: int
                neighbor_port:
                  description: Port at the other end of an up port.
                  type: str
        topology:
          description: The VCP cabling derived from the ports.
          type: dict
          contains:
            kind:
              description:
                - C(standalone) (one member), C(ring) (every member reachable and no single link loss splits them),
                  C(daisy-chain) (every member reachable, some link is a single point of failure), or
                  C(broken) (some member is not present or cannot be reached over up VCPs).
              type: str
              sample: ring
            links:
              description: Every up VCP link once, as C(member_id), C(port), C(neighbor_member_id), C(neighbor_port), C(speed).
              type: list
              elements: dict
            missing_links:
              description:
                - Every down VCP (with its neighbour when Junos still names it) and, for a daisy chain with no down
                  VCP, the two chain ends a cable would join into a ring (ports null).
                - Same keys as C(links) without C(speed).
              type: list
              elements: dict
            unreachable_members:
              description: Member IDs not reachable from the member the session runs on over up VCPs.
              type: list
              elements: int
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC, HAS_PYEZ, PYEZ_IMPORT_ERROR, DeviceConnectionError, DeviceRpcError, module_connection)
from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import read_virtual_chassis_at


def main():
    module = AnsibleModule(argument_spec=dict(CONNECTION_ARGUMENT_SPEC), supports_check_mode=True)
    if not HAS_PYEZ:
        module.fail_json(msg=missing_required_lib('junos-eznc'), exception=str(PYEZ_IMPORT_ERROR))
    try:
        facts = read_virtual_chassis_at(module_connection(module))
    except (DeviceConnectionError, DeviceRpcError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, ansible_facts={'junos_ztp_vc': facts})


if __name__ == '__main__':
    main()

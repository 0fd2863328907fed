#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dhcp_config
short_description: Render the DHCP server file for Juniper ZTP and phone-home of the whole fleet
version_added: 0.1.0
description:
  - Renders ONE DHCP server file (ISC dhcpd or Kea, DHCPv4 or DHCPv6) for every host of the play in one task,
    reading each host's C(ztp_*) variables once, so the number of tasks does not grow with the fleet.
  - One record per Virtual Chassis member (any member may be the one that asks for an address at factory default),
    keyed by MAC address, by the serial number the device sends in option 12, by the chassis serial number in
    option 61 (Junos OS Evolved), or for DHCPv6 by DUID or the MAC address + 1.
  - Hosts with C(ztp_bootstrap_method=dhcp-ztp) get the ZTP options (option 43 suboptions 00/04, 01 and 03, option
    150 or 66; for DHCPv6 option 59 and option 17 suboptions 00, 01 and 05). Hosts with
    C(ztp_bootstrap_method=phone-home) never get a ZTP option, only their address, option 12, 7, 42 and the
    phone-home proxy (suboption 08), because ZTP wins when its options are present and does not support a Virtual Chassis.
  - Juniper options are scoped to Juniper clients (option 60 C(Juniper-<model>)), so other vendors' option 43 keeps working.
  - Every problem of every host is reported at once, naming host and field, before anything is written. The rendered
    file is checked by the real server (C(dhcpd -t -cf), C(dhcpd -6 -t -cf), C(kea-dhcp4 -t), C(kea-dhcp6 -t)) and only
    then replaces O(dest) atomically, with a timestamped backup of the previous file.
  - Runs on the controller; use it once per output file (C(run_once=true)). See C(docs/dhcp.md) for what each host gets and why.
author:
  - junos.ztp contributors (@junos-ztp)
options:
  output:
    description:
      - Which file to render.
      - C(isc4) and C(isc6) are ISC dhcpd files to include from C(dhcpd.conf) / C(dhcpd6.conf), or to use whole when O(subnets) is set.
      - C(kea4) and C(kea6) are complete Kea DHCPv4 / DHCPv6 configurations (JSON).
    type: str
    required: true
    choices: [isc4, isc6, kea4, kea6]
  dest:
    description:
      - Path of the file on the controller. Its directory must exist.
      - A relative path is relative to the directory of the playbook being run (in AWX, the job template's playbook).
    type: path
    required: true
  hosts:
    description:
      - The inventory hosts to render records for. Defaults to every host of the play.
      - The file holds these hosts' records only; with C(--limit) and no O(hosts), a warning says so.
    type: list
    elements: str
  subnets:
    description:
      - The subnets the file declares. Required for Kea (Kea answers only clients of a subnet it declares);
        optional for ISC, where the including C(dhcpd.conf) usually declares them.
      - When given, every fixed address of the fleet must be in one of them.
    type: list
    elements: dict
    default: []
    suboptions:
      subnet:
        description: The subnet in CIDR notation, of the output's IP family.
        type: str
        required: true
      pools:
        description: Dynamic ranges, each C(first - last).
        type: list
        elements: str
        default: []
      routers:
        description: Default routers (option 3). DHCPv4 only.
        type: list
        elements: str
        default: []
      interface:
        description: Kea's C(interface) of the subnet, which Kea DHCPv6 needs for clients on a directly attached link.
        type: str
      id:
        description: Kea subnet ID. Defaults to the subnet's position in the list, from 1.
        type: int
  interfaces:
    description:
      - Kea only. The interfaces Kea listens on (C(interfaces-config)). Defaults to C(*).
    type: list
    elements: str
  model_classes:
    description:
      - DHCPv4 only. Models (for example C(ex2300-24p)) for which a class matching option 60 C(Juniper-<model>) gives
        every device of that model, in the inventory or not, the image of the C(dhcp-ztp) hosts of that model.
      - Refused when a phone-home host has a member of that model, because the class would start ZTP on it.
    type: list
    elements: str
    default: []
  file_server_options:
    description:
      - DHCPv4 only. Which options carry the file server address. Devices use 150 when both are sent (a warning says so).
    type: list
    elements: int
    choices: [150, 66]
    default: [150]
  image_suboptions:
    description:
      - DHCPv4 only. Which option 43 suboptions carry the image file name. C(04) is for DHCP setups that cannot send
        suboption 00; devices ignore 04 when 00 is set (a warning says so).
    type: list
    elements: str
    choices: ['00', '04']
    default: ['00']
  v6_image_options:
    description:
      - DHCPv6 only. Where the image file name goes, in the option 59 URL or option 17 suboption 00. Devices use option 17
        when both are sent (a warning says so). The HTTP(S) port always goes in suboption 05.
    type: list
    elements: str
    choices: ['59', '17']
    default: ['59']
  validate:
    description:
      - Check the rendered file with the real server before writing it. The server must be installed on the controller.
      - For Kea, interfaces that do not exist on the controller are replaced by C(*) for the check only (with a warning).
    type: bool
    default: true
  backup:
    description:
      - Keep the file being replaced as C(<dest>.<UTC time>~).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Renders and checks the file and reports what would change; writes nothing.
  diff_mode:
    support: full
    description: Shows the change to O(dest).
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
notes:
  - Reloading the server is left to the caller; the C(junos.ztp.dhcp_records) role does it through a handler, only when the file changed.
seealso:
  - module: junos.ztp.validate_inventory
"""

EXAMPLES = r"""
- name: Render the Kea DHCPv4 configuration for every host of the play
  junos.ztp.dhcp_config:
    output: kea4
    dest: /etc/kea/kea-dhcp4.conf
    interfaces: [eth1]
    subnets:
      - subnet: 10.10.0.0/24
        pools: [10.10.0.100 - 10.10.0.200]
        routers: [10.10.0.1]
  run_once: true

- name: Render an ISC dhcpd include for the standalone switches only, with a class upgrading every EX2300-24P
  junos.ztp.dhcp_config:
    output: isc4
    dest: /etc/dhcp/junos-ztp.conf
    hosts: "{{ groups['standalone'] }}"
    model_classes: [ex2300-24p]
  run_once: true
"""

RETURN = r"""
dest:
  description: The file rendered, as an absolute path (where it went).
  returned: always
  type: str
  sample: /etc/kea/kea-dhcp4.conf
output:
  description: The output rendered.
  returned: always
  type: str
  sample: kea4
service:
  description: The system service that reads the file, to reload when C(changed) is true.
  returned: success
  type: str
  sample: kea-dhcp4-server
records:
  description: How many client records (one per Virtual Chassis member) the file holds.
  returned: success
  type: int
  sample: 9
hosts:
  description: How many inventory hosts have records in the file.
  returned: success
  type: int
  sample: 3
ztp_files:
  description:
    - For each C(dhcp-ztp) host, what DHCP ZTP tells it to fetch, and whether the configuration file is a Junos
      configuration or a script (first line C(#!) and an interpreter path).
  returned: success
  type: dict
  sample:
    ams1-sw1:
      image: /images/junos-arm-32-21.4R3-S5.4.tgz
      configuration: /configs/ams1-sw1.conf
      configuration_kind: configuration
      transfer_mode: http
      file_server: 192.0.2.10
validated_with:
  description: The server check the file passed.
  returned: when O(validate=true)
  type: str
  sample: kea-dhcp4 -t
backup_file:
  description: Where the replaced file was kept.
  returned: when a file was replaced and O(backup=true)
  type: str
  sample: /etc/kea/kea-dhcp4.conf.20260101T120000000000Z~
problems:
  description: "Every problem found, as C(host: field: message)."
  returned: when the inventory or the options are invalid
  type: list
  elements: str
  sample: ["ams1-vc1: ztp_members[2].mac_address: is required: ztp_management.dhcp_match is mac"]
"""

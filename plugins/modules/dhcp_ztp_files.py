#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dhcp_ztp_files
short_description: Publish the configuration file each DHCP ZTP host fetches, on the file server
version_added: 0.1.0
description:
  - For every host of the play with C(ztp_bootstrap_method=dhcp-ztp) and a C(ztp_configuration), writes the file the
    host's DHCP record names (option 43 / option 17 suboption 01) under O(root), the directory the file server serves,
    that is O(root) + C(ztp_file_server.config_path) + the file name (C(ztp_configuration.file_name), by default
    C(<inventory_hostname>.conf), or C(.sh) / C(.slax) / C(.py) for a script).
  - A C(ztp_configuration.template) is rendered with that host's variables, as M(ansible.builtin.template) would;
    C(ztp_configuration.content) is written as it is (a C(#!) script too).
  - DHCP ZTP loads a file that is not a script as Junos text configuration (the ZTP document), so a rendered template
    that is Junos XML (or empty) is refused, naming host and field, like such content is refused by the data model.
  - Every host is validated and every file rendered and checked before the first is written. Each file is replaced
    atomically (a temporary file renamed into place, mode 0644 when new) and only when its content changed.
  - Images are not published; they come from elsewhere (see C(docs/dhcp.md)).
  - Runs on the controller; use it once (C(run_once=true)). The C(junos.ztp.dhcp_records) role runs it when
    C(dhcp_records_file_server_root) is set.
author:
  - junos.ztp contributors (@junos-ztp)
options:
  root:
    description:
      - The directory the file server serves, on the controller. It must exist; the C(config_path) directories under it
        are created as needed.
      - A relative path is relative to the directory of the playbook being run (in AWX, the job template's playbook).
    type: path
    required: true
  hosts:
    description:
      - The inventory hosts to publish files for. Defaults to every host of the play. Hosts that are not dhcp-ztp hosts
        with a configuration are validated but get no file.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Renders and checks every file and reports which would change; writes nothing.
  diff_mode:
    support: full
    description: Shows the change to each file that changes.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller, where the file server's directory is.
seealso:
  - module: junos.ztp.dhcp_config
"""

EXAMPLES = r"""
- name: Publish each DHCP ZTP switch's configuration where its DHCP record names it
  junos.ztp.dhcp_ztp_files:
    root: /srv/ztp
  run_once: true
"""

RETURN = r"""
root:
  description: The file server's directory, as an absolute path.
  returned: success
  type: str
  sample: /srv/ztp
files:
  description: Host name -> the file published for it (absolute path under O(root)).
  returned: success
  type: dict
  sample: {ams1-sw1: /srv/ztp/configs/ams1-sw1.conf}
changed_files:
  description: The files written (or, in check mode, that would be written).
  returned: success
  type: list
  elements: str
  sample: [/srv/ztp/configs/ams1-sw1.conf]
problems:
  description: "Every problem found, as C(host: field: message)."
  returned: when the inventory or a rendered configuration is invalid
  type: list
  elements: str
  sample: ["ams1-sw1: ztp_configuration.template: renders a configuration that is Junos XML; DHCP ZTP loads ..."]
"""

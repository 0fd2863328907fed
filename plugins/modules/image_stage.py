# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by the action plugin of the same name; this file is its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: image_stage
short_description: Put the Junos images a Virtual Chassis needs on its primary, once, verified
version_added: 0.1.0
description:
  - The first step of every upgrade. Reads the Virtual Chassis members (model, role, running version), picks from
    O(software) the image each member that does not already run the target version (C(version) of O(software)) needs, and puts each image once on
    the primary member's O(destination_dir). At install time the primary hands every member its image.
  - An image comes from the controller over SCP, on a channel of the NETCONF session's own SSH connection (so the
    device's host key is verified once and no second connection is opened), or the device fetches it from a URL
    itself (C(file copy)), so the controller is not in the data path for large fleets.
  - Before anything is sent, the controller's file is checked against the inventory's checksum (each file is hashed
    once per playbook run, however many hosts use it), and free space is checked on every member. After the transfer
    the device's own checksum RPC verifies the copy; a bad or partial copy is removed. A failed attempt is retried with
    exponential backoff; the final failure lists every attempt and why it failed.
  - Idempotent - an image already on the device with the right checksum is not sent again and C(changed) is false.
  - Progress of long transfers is shown on the console (about every 10 % or 5 seconds) with MiB/s.
author:
  - junos.ztp contributors (@junos-ztp)
extends_documentation_fragment:
  - junos.ztp.connection
options:
  software:
    description:
      - The target software, in the format of the C(ztp_software) host variable (see the data model documentation).
      - Defaults to the host's C(ztp_software).
      - Each image needs C(local_path) or C(url) (depending on O(source)) and a checksum.
    type: dict
  source:
    description:
      - Where each image comes from.
      - V(auto) uses the image's C(local_path) when it has one, else its C(url).
      - V(controller) sends C(local_path) over SCP; V(url) has the device fetch C(url) (http, https, ftp or tftp).
    type: str
    choices: [auto, controller, url]
    default: auto
  destination_dir:
    description:
      - Directory on the primary member the images go to, under their C(file) name.
    type: str
    default: /var/tmp
  checksum_algorithm:
    description:
      - Which inventory checksum proves an image, checked on the controller before sending and by the device after.
      - V(auto) picks C(sha256) when the image has one, else C(sha1), else C(md5). Any other choice needs that checksum in the inventory.
    type: str
    choices: [auto, sha256, sha1, md5]
    default: auto
  cleanup:
    description:
      - When a member is short of space, run C(request system storage cleanup) and check again before failing.
    type: bool
    default: false
  retries:
    description:
      - How many times a failed or interrupted transfer (or a copy with the wrong checksum) is tried again.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds to wait before the first retry; the wait doubles for each further retry, up to 60 seconds.
    type: float
    default: 5.0
  transfer_timeout:
    description:
      - Seconds one transfer attempt may take, and the RPC timeout for the device's checksum, URL fetch and storage cleanup.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    description: Connects and reads, then reports which images would be sent or fetched and how many bytes; nothing is sent or cleaned up.
  diff_mode:
    support: none
    description: Nothing to compare; the result lists what was sent.
  platform:
    support: full
    platforms: junos
    description: Juniper EX switches and Virtual Chassis, reached over NETCONF from the controller.
  action:
    support: full
    description: All the work happens in the action plugin on the controller.
  async:
    support: none
    description: Runs on the controller; use the forks setting for parallel Virtual Chassis.
notes:
  - Free space - the primary needs room for every image it receives, and every other member for its own image (the primary
    copies it there at install time), plus a 32 MiB margin. When a URL's size cannot be learnt from an HTTP C(HEAD)
    request, that image is not counted and the device's own copy fails if the file system fills up.
  - Members that are not present are not planned for; members already running the target version need no image.
requirements:
  - scp
"""

EXAMPLES = r"""
- name: Stage the target images from the controller
  junos.ztp.image_stage:

- name: Have every Virtual Chassis fetch its images from the file server, cleaning up storage when short of space
  junos.ztp.image_stage:
    source: url
    cleanup: true

- name: Stage an image that is not in the inventory
  junos.ztp.image_stage:
    software:
      version: 22.4R3-S2.3
      images:
        - models: ["ex4300-*"]
          file: junos-install-ex-4300-22.4R3-S2.3.tgz
          local_path: /srv/images/junos-install-ex-4300-22.4R3-S2.3.tgz
          sha256: 2c1f1cc0c1b1d1e1f101112131415161718191a1b1c1d1e1f202122232425262
"""

RETURN = r"""
images:
  description: One entry per image the present members need.
  returned: success
  type: list
  elements: dict
  contains:
    file:
      description: Image file name.
      type: str
      sample: jinstall-ex-4300-21.4R3-S5.4-signed.tgz
    path:
      description: Path of the image on the primary member.
      type: str
      sample: /var/tmp/jinstall-ex-4300-21.4R3-S5.4-signed.tgz
    size:
      description: Size in bytes; null for a URL whose size the controller could not learn.
      type: int
      sample: 536870912
    algorithm:
      description: Checksum algorithm used.
      type: str
      sample: sha256
    checksum:
      description: The verified checksum.
      type: str
    source:
      description: V(controller) or V(url).
      type: str
    url:
      description: The URL the device fetched, without user name or password.
      type: str
      returned: when O(source) resolved to V(url)
    status:
      description: V(present) (already there), V(sent), V(fetched), V(would send) or V(would fetch) (check mode).
      type: str
    members:
      description: IDs of the members this image is for.
      type: list
      elements: int
      sample: [0, 1, 2, 3]
    bytes_sent:
      description: Bytes the controller sent for this image, every attempt counted.
      type: int
    seconds:
      description: Duration of the successful transfer.
      type: float
    rate_mib_s:
      description: Size divided by seconds, in MiB/s.
      type: float
    attempts:
      description: Transfer attempts made (0 when nothing was transferred).
      type: int
bytes_sent:
  description: Bytes sent from the controller to this Virtual Chassis in total; 0 when everything was already staged.
  returned: always
  type: int
bytes_to_send:
  description: Bytes that would be sent from the controller (check mode).
  returned: check mode
  type: int
members_on_target:
  description: IDs of present members that already run the target version and need no image.
  returned: success
  type: list
  elements: int
storage_cleanup:
  description: Whether storage cleanup ran (or would run, in check mode) because a member was short of space.
  returned: when a member was short of space and O(cleanup) was true
  type: str
msg:
  description: A one-line summary.
  returned: always
  type: str
"""

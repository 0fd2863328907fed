# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by the action plugin of the same name; this file is its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: vc_upgrade
short_description: Upgrade every Virtual Chassis member in linecard, backup, primary order over NETCONF
version_added: 0.1.0
description:
  - Does from the controller what the phone-home client does on a Virtual Chassis ("Bootstrap Virtual Chassis Members" in
    Juniper's "Provision a Virtual Chassis Using the Phone-Home Client"), over one NETCONF session.
  - Reads the members, their roles and running versions. Members that already run the target version (C(version) of O(software)) are skipped; when
    every member does, nothing happens and C(changed) is false.
  - Stages and verifies the image on the primary with the logic of M(junos.ztp.image_stage) on the same session; an image
    that is already there with the right checksum is not sent again.
  - Pins the roles for the duration, so that the primary and backup do not move while members reboot - the primary and backup
    get mastership priority 255, the linecards 0 - and records the user's own C(virtual-chassis) stanza in the same commit,
    in the configuration group C(junos-ztp-upgrade), which is never applied. Afterwards, on success and on failure, the
    recorded stanza is put back exactly and the group removed. A preprovisioned Virtual Chassis already fixes its roles
    by configuration and is not touched.
  - Installs on the linecard members one after the other in member-ID order, then reboots them all at the same time; then
    installs on the backup and reboots it; then installs on the primary and reboots it. The session drops with the primary,
    the backup takes over, and the task reconnects to the same management address and carries on.
  - After each reboot, member detection waits until every rebooted member is present again and runs the target version
    (and a backup or former primary holds a routing-engine role again), up to O(member_detection_timeout).
  - Finally checks every member's version and the health of the Virtual Chassis (all members present, VCP ring intact,
    a backup elected).
  - Every step is a notification with the phone-home client's types and messages (C(vc-member-image-installed),
    C(vc-member-reboot-initiated), C(vc-member-upgrade-success), C(vc-member-upgrade-failed), C(vc-member-detection-failed),
    C(vc-bootstrap-failed), ...) naming the member ID, serial number and role. They show as progress lines while the task runs,
    are returned in RV(events), and are posted to O(notification_url) when it is given.
  - Keeps nothing on the controller. A run that was interrupted (the controller died) is resumed by running the task again -
    it waits for members that are still rebooting, skips those already upgraded, and restores the role configuration from
    the record on the device.
author:
  - junos.ztp contributors (@junos-ztp)
extends_documentation_fragment:
  - junos.ztp.connection
options:
  software:
    description:
      - The target software, in the format of the C(ztp_software) host variable. Defaults to the host's C(ztp_software).
    type: dict
  members:
    description:
      - The intended members, in the format of the C(ztp_members) host variable. Defaults to the host's C(ztp_members).
      - Used to check that every expected member is there (O(provisioning_mode=strict)) and to report those that are not.
    type: list
    elements: dict
  topology:
    description:
      - How much topology O(members) describes, as C(ztp_topology). Defaults to the host's C(ztp_topology), else V(none).
      - V(full) is required by O(provisioning_mode=strict).
    type: str
    choices: [none, minimum, full]
  provisioning_mode:
    description:
      - V(default) - a member that fails to install, or is not detected after its reboot, is reported (RV(failed_members),
        warnings) and the upgrade moves on to the next member.
      - V(strict) - every expected member must be present, upgraded and detected. A failed install is retried once; a member
        not detected gets a second detection window (a member back on the old version is installed and rebooted again).
        Then the task fails with C(vc-bootstrap-failed).
      - Defaults to the host's C(ztp_provisioning_mode), else V(default).
    type: str
    choices: [default, strict]
  member_detection_timeout:
    description:
      - Seconds to wait after a reboot for the rebooted members to be present again on the target version.
      - Defaults to the host's C(ztp_member_detection_timeout), else 900.
    type: int
  install_timeout:
    description:
      - Seconds one member's C(request system software add) may take (also the validation's limit).
    type: int
    default: 1800
  image_source:
    description:
      - Where each image comes from when it is not on the primary yet, as the O(junos.ztp.image_stage#module:source) option
        (C(auto) - C(local_path) when given, else C(url); C(controller); C(url)). The upgrade stages the images itself, so a
        separate M(junos.ztp.image_stage) task is only needed to stage ahead of the upgrade window.
    type: str
    choices: [auto, controller, url]
    default: auto
  validate:
    description:
      - Before anything is installed, check the committed configuration against each image with
        C(request system software validate) on the primary, as Junos and Juniper's own collection do by default.
        A configuration that does not validate stops the run with nothing changed but the staged image.
      - A release that does not offer the check gets a warning and the upgrade goes on without it.
      - V(false) skips the check. The installs always send C(no-validate), since the check runs once, not once per member.
    type: bool
    default: true
  notification_url:
    description:
      - Base URL of the phone-home server's device collection, for example
        C(https://phs.example:8443/restconf/data/juniper-zerotouch-bootstrap-server:devices).
      - Each event is posted to C(<notification_url>/device=<serial>/notification) as the phone-home client would (the serial
        number of the current primary, HTTP Basic authentication with that serial number and an empty password, the legacy
        XML notification). The server certificate is verified.
      - A notification that cannot be posted is a warning, never a failure.
    type: str
  notification_ca_path:
    description:
      - PEM file of the CA certificate(s) that signed the phone-home server's certificate, when it is not in the controller's
        trust store.
      - A relative path is found like the source of M(ansible.builtin.copy) (in C(files/) of the role, then of the playbook,
        then beside the playbook; last in those places of the playbook given to ansible-playbook).
    type: path
attributes:
  check_mode:
    support: full
    description: Connects and reads, then returns the plan (which members, in which order, which image) and whether the image
      would be sent; nothing is sent, committed, installed or rebooted.
  diff_mode:
    support: none
    description: The plan returned in check mode says what would change.
  platform:
    support: full
    platforms: junos
    description: Juniper EX Virtual Chassis (and standalone EX switches), reached over NETCONF from the controller.
  action:
    support: full
    description: All the work happens in the action plugin on the controller.
  async:
    support: none
    description: Runs on the controller; use the forks setting to upgrade many Virtual Chassis at once.
notes:
  - Uses one NETCONF session for the whole run, plus one after the primary's reboot. Member detection polls
    C(show virtual-chassis) on that session at an interval of 1/20 of the time already waited, between 0.05 and 2 seconds.
  - Reboot and switchover replies that are cut short (the session drops) are expected and count as the reboot having started.
  - Do not change the C(virtual-chassis) configuration while the upgrade runs; it is restored to what it was when the upgrade began.
requirements:
  - scp
seealso:
  - module: junos.ztp.image_stage
  - module: junos.ztp.vc_facts
"""

EXAMPLES = r"""
- name: Upgrade every member to the inventory's ztp_software
  junos.ztp.vc_upgrade:

- name: Show the plan only
  junos.ztp.vc_upgrade:
  check_mode: true

- name: Upgrade strictly, reporting to the phone-home server
  junos.ztp.vc_upgrade:
    provisioning_mode: strict
    member_detection_timeout: 1200
    notification_url: https://phs.example:8443/restconf/data/juniper-zerotouch-bootstrap-server:devices
    notification_ca_path: /etc/junos-ztp/phs-ca.pem
"""

RETURN = r"""
plan:
  description: Every member in upgrade order - linecards by member ID, then the backup, then the primary - with members that are
    skipped last or in place, and why.
  returned: always
  type: list
  elements: dict
  contains:
    phase:
      description: V(linecards), V(backup) or V(primary); null for a member that is not present.
      type: str
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
      description: V(primary), V(backup) or V(linecard) when the plan was made.
      type: str
    image:
      description: Image file the member gets.
      type: str
    from_version:
      description: Version the member ran.
      type: str
    to_version:
      description: Target version.
      type: str
    action:
      description: V(upgrade) or V(skip).
      type: str
    reason:
      description: Why the member is skipped.
      type: str
  sample:
    - {phase: linecards, member_id: 2, serial_number: PE3714100999, model: ex4300-48t, role: linecard,
       image: jinstall-ex-4300-22.4R3-S2.3-signed.tgz, from_version: 21.4R3-S5.4, to_version: 22.4R3-S2.3, action: upgrade, reason: null}
events:
  description: Every notification, in order.
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: Notification type (Table 2 of the Virtual Chassis phone-home document).
      type: str
      sample: vc-member-image-installed
    message:
      description: Notification message.
      type: str
      sample: Successfully installed downloaded image. Initiating image installation on next member.
    member_id:
      description: Member the notification is about; null for the Virtual Chassis as a whole.
      type: int
    serial_number:
      description: Serial number of that member.
      type: str
    role:
      description: Its role at that moment, as Junos names it - V(Master), V(Backup) or V(Linecard); null while it is not present.
      type: str
    time:
      description: When it happened (UTC, ISO 8601).
      type: str
    detail:
      description: What went wrong, or null.
      type: str
members:
  description: Every member as the final check saw it.
  returned: always
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
      description: V(primary), V(backup) or V(linecard).
      type: str
    status:
      description: V(present) or V(not-present).
      type: str
    version:
      description: Running version.
      type: str
    outcome:
      description: V(upgraded), V(already-current), V(install-failed), V(not-detected), V(detected-not-upgraded),
        V(not-present), V(not-attempted) (the run stopped before it) or V(planned) (check mode).
      type: str
    detail:
      description: What went wrong, or null.
      type: str
failed_members:
  description: IDs of members whose install failed or that were not detected on the target version.
  returned: always
  type: list
  elements: int
missing_members:
  description: Members listed in O(members) that the Virtual Chassis does not show as present.
  returned: always
  type: list
  elements: dict
sessions_opened:
  description: NETCONF sessions opened - 1, plus 1 for the primary's reboot.
  returned: always
  type: int
virtual_chassis:
  description:
    - The Virtual Chassis as the last read saw it (after the upgrade, or as it is in check mode), in the structure of
      RV(junos.ztp.vc_facts#module:ansible_facts.junos_ztp_vc); null when it could not be read.
  returned: always
  type: dict
roles_restored:
  description: True when the recorded role configuration was put back, false when that failed (run the task again), null when
    nothing was pinned.
  returned: always
  type: bool
images:
  description: The staging result for the image(s), as M(junos.ztp.image_stage) returns it.
  returned: when some member needed an upgrade
  type: list
  elements: dict
health:
  description: The final check - all_present, all_on_target, topology, ring_intact, primary_member, backup_member and problems.
  returned: when the Virtual Chassis could be read at the end
  type: dict
msg:
  description: What happened, with the members grouped by outcome.
  returned: always
  type: str
"""

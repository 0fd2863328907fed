#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apply_config
short_description: Run pre-configuration scripts, commit a Junos configuration, run post-configuration scripts
version_added: 0.1.0
description:
  - The "Apply Scripts and New Configuration" stage of Virtual Chassis phone-home provisioning, driven from the
    controller over NETCONF. In order it runs every O(pre_scripts), loads and commits O(configuration), and runs every
    O(post_scripts). A failing step stops the stage; later steps do not run.
  - The configuration is Junos XML rooted at C(<configuration>) (what phone-home hosts have), or Junos text configuration
    (what C(ztp_bootstrap_method=dhcp-ztp) hosts have, since DHCP ZTP loads text), told apart by its first character C(<).
    It is loaded under an exclusive lock with O(action=merge) or O(action=replace) (statements marked C(replace="replace") replace what the device has).
    Whatever happens, the candidate is rolled back and the lock released before the module returns.
  - Idempotent. When the loaded configuration does not differ from the committed one, nothing is committed and
    C(changed) is false. Scripts run when the configuration changes, or when the device's state file
    (C(/var/tmp/junos-ztp-apply-config.state)) shows that this configuration and these scripts have not yet run to completion
    on it, so a run that failed in a post-configuration script runs its scripts again next time.
  - Role-change guard. As the Virtual Chassis phone-home document warns, scripts or configuration that make the VC assign
    new member roles or elect a new primary during provisioning make provisioning fail unpredictably. Before anything is
    sent, the configuration is scanned for C(virtual-chassis) statements that set C(preprovisioned), a member's C(role),
    C(mastership-priority) or C(serial-number), C(auto-conversion) or C(no-split-detection), for C(chassis redundancy),
    for C(vcp-*) interfaces, and for deletion or replacement of the C(virtual-chassis), C(member) or C(chassis) stanzas.
    Statements the committed configuration already has are not counted (they change nothing). Script lines that mention
    C(virtual-chassis), C(mastership), C(switchover) or C(routing-engine master) are flagged too, and so is every line of a
    text configuration that mentions C(virtual-chassis), C(redundancy) or C(vcp-) (text is not resolved into statements, so it is
    not compared with the committed configuration). The module fails listing
    each flagged statement or line unless O(allow_role_changes=true).
  - Scripts are files on the controller. Each is copied to C(/var/tmp) on the primary over an SCP channel of the NETCONF
    session's own SSH connection (its host key already verified), run with the interpreter its C(#!) line names through
    the C(request-shell-execute) RPC, and removed. A non-zero exit status fails the task with the script's output.
author:
  - junos.ztp contributors (@junos-ztp)
extends_documentation_fragment:
  - junos.ztp.connection
options:
  configuration:
    description:
      - The configuration, Junos XML rooted at C(<configuration>) or Junos text configuration (curly braces).
      - Defaults to the host's C(ztp_configuration.content), or its C(ztp_configuration.template) rendered with the host's
        variables on the controller (like M(ansible.builtin.template)).
    type: str
  action:
    description:
      - How the configuration is loaded. V(merge) adds to and changes the committed configuration; V(replace) also replaces
        every hierarchy marked C(replace="replace").
      - Defaults to the host's C(ztp_configuration.action), else V(merge).
    type: str
    choices: [merge, replace]
  pre_scripts:
    description:
      - Local paths on the controller of shell or Python scripts to run, in this order, before the configuration is loaded.
        A relative path is looked for in the role's or playbook's C(files) directory.
      - Each must start with C(#!) and an absolute interpreter path as Junos expects (C(#!/bin/sh), C(#!/usr/bin/python3)).
      - Defaults to the host's C(ztp_scripts.pre.local_path).
    type: list
    elements: path
  post_scripts:
    description:
      - As O(pre_scripts), run in this order after the configuration is committed.
      - Defaults to the host's C(ztp_scripts.post.local_path).
    type: list
    elements: path
  confirm:
    description:
      - Commit with C(commit confirmed) and this many minutes. After the commit a health check opens a second NETCONF session
        and reads the Virtual Chassis; when the session opens and the VC still has the same primary and present members, a
        confirming C(commit) follows. When the check fails the commit is not confirmed, Junos rolls it back by itself when
        the minutes run out, and the task fails.
      - Unset, a plain C(commit).
    type: int
  comment:
    description:
      - Commit comment (C(show system commit) shows it).
    type: str
    default: junos.ztp.apply_config
  allow_role_changes:
    description:
      - Apply configuration statements and scripts the role-change guard flags, with a warning for each, instead of failing.
    type: bool
    default: false
  script_timeout:
    description:
      - Seconds one script may run.
    type: int
    default: 300
  commit_timeout:
    description:
      - Seconds to wait for a commit or commit check (a Virtual Chassis commits on every member).
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    description:
      - Loads the configuration, runs C(commit check) and returns the diff, then rolls the candidate back; nothing is committed
        and no script runs. The role-change guard runs as well.
  diff_mode:
    support: full
    description: Returns the configuration diff (C(show | compare)) as C(diff.prepared).
  platform:
    support: full
    platforms: junos
    description: Juniper EX switches and Virtual Chassis, over NETCONF from the controller.
  action:
    support: full
    description: The action plugin fills the connection options and the defaults from the host's variables and renders the template.
notes:
  - How Junos runs a script - C(request-shell-execute) returns the command's output but not its exit status, so the module runs
    C(/bin/sh -c '<interpreter> /var/tmp/<script> 2>&1; echo junos-ztp-exit-status=$?') and reads the status from the last line.
    The script is passed to its interpreter rather than executed, so it needs no execute permission (Junos's veriexec refuses
    unsigned executables). Unsigned Python scripts need Junos OS with Enhanced Automation or Junos OS Evolved, as for ZTP.
  - The state file records only digests of the configuration and scripts, never their content.
  - Scripts run as the NETCONF user; a script that needs root needs a user of class super-user.
requirements:
  - junos-eznc
  - scp
seealso:
  - module: junos.ztp.vc_facts
  - module: junos.ztp.vc_upgrade
"""

EXAMPLES = r"""
- name: Apply the host's configuration (ztp_configuration) and scripts (ztp_scripts)
  junos.ztp.apply_config:

- name: Replace the system stanza, with a safety net
  junos.ztp.apply_config:
    configuration: |
      <configuration>
        <system replace="replace">
          <host-name>{{ inventory_hostname }}</host-name>
          <services><netconf><ssh/></netconf></services>
        </system>
      </configuration>
    action: replace
    confirm: 5
    comment: site baseline

- name: Run a staging script before and a check after the configuration
  junos.ztp.apply_config:
    pre_scripts: [prepare-storage.sh]
    post_scripts: [check-uplinks.py]

- name: Apply a configuration that sets mastership priorities, knowingly
  junos.ztp.apply_config:
    configuration: "{{ lookup('ansible.builtin.template', 'vc-priorities.xml.j2') }}"
    allow_role_changes: true
"""

RETURN = r"""
diff:
  description: The configuration diff as C(show | compare) prints it, under C(prepared); returned in diff mode when there is one.
  returned: diff mode, when the configuration differs
  type: dict
  sample: {prepared: "[edit system]\n-  host-name switch;\n+  host-name ams1-vc1;\n"}
committed:
  description: Whether a commit happened (false in check mode and when nothing differed).
  returned: always
  type: bool
confirmed_minutes:
  description: The minutes of the C(commit confirmed), null without O(confirm) or when nothing was committed.
  returned: always
  type: int
health_check:
  description: C(passed), the reason the check after C(commit confirmed) failed, or null when none ran.
  returned: always
  type: str
  sample: passed
scripts:
  description: The scripts that ran, in order; the last one is the one that failed when the task failed in a script.
  returned: always
  type: list
  elements: dict
  contains:
    stage:
      description: C(pre) or C(post).
      type: str
    path:
      description: The script on the controller.
      type: str
    remote_path:
      description: Where the script was copied on the device (removed after running).
      type: str
      sample: /var/tmp/junos-ztp-pre-0-prepare-storage.sh
    interpreter:
      description: The interpreter from the script's C(#!) line.
      type: str
      sample: /bin/sh
    exit_status:
      description: The script's exit status; null when the device did not report one.
      type: int
      sample: 0
    output:
      description: What the script printed (standard output and error).
      type: str
scripts_due:
  description: Whether the scripts had to run (the configuration changed, or they had not run to completion for it).
  returned: always
  type: bool
role_change_findings:
  description: Statements and script lines the role-change guard flagged, each as C(statement) (set/delete form or script line) and C(reason).
  returned: always
  type: list
  elements: dict
  sample:
    - statement: set virtual-chassis member 2 mastership-priority 255
      reason: changes a mastership priority, which decides the next election
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.junos.ztp.plugins.module_utils._apply_config import (
    ACTIONS, APPLY_IMPORT_ERROR, HAS_APPLY_LIBRARIES, SCRIPT_STAGES, ApplyError, ConfigApplier, load_scripts, validate_request)
from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC, DeviceConnectionError, DeviceRpcError, close_quietly, module_connection, open_device)

ARGUMENT_SPEC = dict(
    CONNECTION_ARGUMENT_SPEC,
    configuration={'type': 'str'},
    action={'type': 'str', 'choices': list(ACTIONS)},
    pre_scripts={'type': 'list', 'elements': 'path'},
    post_scripts={'type': 'list', 'elements': 'path'},
    confirm={'type': 'int'},
    comment={'type': 'str', 'default': 'junos.ztp.apply_config'},
    allow_role_changes={'type': 'bool', 'default': False},
    script_timeout={'type': 'int', 'default': 300},
    commit_timeout={'type': 'int', 'default': 120},
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    if not HAS_APPLY_LIBRARIES:
        module.fail_json(msg=missing_required_lib('junos-eznc and scp'), exception=str(APPLY_IMPORT_ERROR))
    action = params['action'] or 'merge'
    problems = validate_request(params['configuration'], action, params['confirm'])
    scripts = []
    for stage in SCRIPT_STAGES:
        stage_scripts, stage_problems = load_scripts(stage, params['%s_scripts' % stage])
        scripts.extend(stage_scripts)
        problems.extend(stage_problems)
    if problems:
        module.fail_json(msg='; '.join(problems))

    applier = None
    try:
        device = open_device(module_connection(module))
        try:
            # The health check after commit confirmed proves that a new session opens: its own, never the shared one.
            applier = ConfigApplier(device, connect=lambda: open_device(params), check_mode=module.check_mode,
                                    report=module.log, script_timeout=params['script_timeout'], commit_timeout=params['commit_timeout'])
            result = applier.run(params['configuration'], action, scripts, params['confirm'], params['comment'], params['allow_role_changes'])
        finally:
            close_quietly(device)
    except (ApplyError, DeviceConnectionError, DeviceRpcError) as exc:
        module.fail_json(msg=str(exc), **(_with_diff(applier.result, module._diff) if applier else {}))
    for finding in result['role_change_findings']:
        module.warn('applied knowingly (allow_role_changes): %s - %s' % (finding['statement'], finding['reason']))
    module.exit_json(**_with_diff(result, module._diff))


def _with_diff(result, diff_mode):
    """The result with the diff text as Ansible's diff (``prepared``) in diff mode, left out otherwise."""
    result = dict(result)
    diff = result.pop('diff')
    if diff_mode and diff:
        result['diff'] = {'prepared': diff}
    return result


if __name__ == '__main__':
    main()

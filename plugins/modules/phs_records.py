#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: phs_records
short_description: Write the phone-home server records of the whole fleet
version_added: 0.1.0
description:
  - Renders one phone-home record per serial number for every host provisioned by phone-home
    (C(ztp_bootstrap_method=phone-home)); every member of a Virtual Chassis gets one, because any
    member may be elected primary on first boot.
  - Each record is written twice, from the same data, as the legacy Juniper phone-home XML
    (C(juniper-zerotouch-bootstrap-server)) and as RFC 8572 C(onboarding-information) JSON for
    C(rfc-compliant) clients. Both carry the junos.ztp Virtual Chassis extension
    (topology, provisioning mode, member detection timeout, members); see C(docs/phone-home.md).
  - One task for the whole fleet. The action reads every host's variables once on the controller,
    validates the fleet (M(junos.ztp.phs_records) refuses duplicate serial numbers, configurations
    that are not Junos XML rooted at C(<configuration>), statements that clash with the factory
    default, missing checksums, URLs over 256 characters, a strict Virtual Chassis without every
    member serial), and fails listing every problem before anything is written.
  - Configurations come from C(ztp_configuration.content) or are rendered from
    C(ztp_configuration.template) with that host's variables.
  - The records directory O(dest) is replaced atomically on the target (the phone-home server host)
    as a new version next to the old one, keeping the replaced version as a backup.
    Nothing changes, and the task is not changed, when the records are the same.
  - A re-run with nothing changed writes nothing and does not even validate or render. The action takes a digest of
    everything the records are rendered from (every host's C(ztp_*) variables as read, each phone-home host's configuration
    as rendered, the contents of the scripts and trust anchors the records carry, whether every other controller file the
    inventory names is there, the task's options and the code that renders); each version of O(dest) keeps a manifest
    (C(.manifest.json)) with the digest it was written from and the inode, size, modification and change time of every
    file. When the digests are equal and C(stat) finds every file as listed (none added, removed, edited, replaced,
    chmod-ed or chown-ed since), the task ends there, unchanged. Otherwise the fleet is validated and rendered, and the
    records are compared with those on the target; the same records with other inputs only get the manifest updated.
author:
  - junos.ztp contributors (@junos-ztp)
options:
  dest:
    description:
      - The records directory on the target, which the phone-home server reads.
      - It becomes a symbolic link to the current version, C(<dest>.<UTC time>); a real directory
        already there is kept as C(<dest>.<UTC time>.orig).
      - A relative path is relative to the directory of the playbook being run (in AWX, the job template's playbook).
        Give an absolute path when the target is not the controller.
    type: path
    required: true
  hosts:
    description:
      - Inventory hosts to render records for. Hosts not provisioned by phone-home are validated
        (serial numbers are unique across all of them) but get no record.
      - Defaults to every inventory host that defines C(ztp_members) (the hosts that describe devices).
    type: list
    elements: str
  keep_backups:
    description:
      - How many earlier versions to keep next to O(dest), at least one.
    type: int
    default: 3
  group:
    description:
      - Group that owns the records (for example the phone-home server's service group).
      - Files are mode C(0640), directories C(0750).
    type: str
  src:
    description:
      - Set by the action plugin to the rendered records it transferred to the target (one compressed file).
        Do not set it yourself.
      - Mutually exclusive with O(digests).
    type: path
  digests:
    description:
      - Set by the action plugin (in check mode without diff) to the SHA-256 digest of every rendered record (relative path
        to hex digest), to compare with the records on the target without transferring them. Nothing is written.
        Do not set it yourself.
      - Mutually exclusive with O(src).
    type: dict
  inputs:
    description:
      - Set by the action plugin to the digest of everything the records are rendered from. Alone (without O(src) or
        O(digests)) the module only tells whether the records on the target were written from these inputs and are
        untouched since; with O(src) it is recorded in the new version's manifest. Do not set it yourself.
    type: str
  summary:
    description:
      - Set by the action plugin to what the run found (the hosts with and without records, validation warnings), recorded
        in the manifest and returned again by a run with the same inputs. Do not set it yourself.
    type: dict
attributes:
  action:
    support: full
    description: The rendering runs on the controller; the module only swaps the directory on the target.
  check_mode:
    support: full
    description: Checks the inputs' digest, then renders and compares (the records' content digests, or the records themselves in diff mode); writes nothing.
  diff_mode:
    support: full
    description: Shows the records that are added, removed or modified (the first 20 files in full).
  platform:
    support: full
    platforms: posix
    description: The target is the phone-home server host (POSIX file system, symbolic links).
notes:
  - For 10,000 devices the first run takes a few seconds, most of it reading, validating and rendering the fleet on the controller;
    a re-run with nothing changed about one second, most of it reading the fleet's variables; see C(docs/performance.md).
  - The server (role C(junos.ztp.phone_home_server)) reloads the records when O(dest) changes, without a restart.
seealso:
  - module: junos.ztp.phs_status
  - name: Phone-home records and server
    description: Record formats, the Virtual Chassis extension, the server and its status API.
    link: https://example.invalid/junos/ztp/docs/phone-home.md
"""

EXAMPLES = r"""
- name: Render the phone-home records of the whole inventory on the phone-home server
  junos.ztp.phs_records:
    dest: /var/lib/junos-ztp-phs/records
    group: junos-ztp-phs

- name: Only one site, and see what would change
  junos.ztp.phs_records:
    dest: /var/lib/junos-ztp-phs/records
    hosts: "{{ groups['site_ams1'] }}"
  check_mode: true
  diff: true
"""

RETURN = r"""
records_dir:
  description: The records directory (O(dest)), as an absolute path (where the records went).
  returned: always
  type: str
  sample: /var/lib/junos-ztp-phs/records
records:
  description: How many serial numbers have a record.
  returned: always
  type: int
  sample: 8
hosts:
  description: Hosts that got records.
  returned: always
  type: list
  elements: str
  sample: [ams1-vc1, ams1-vc2]
skipped_hosts:
  description: Hosts validated but not provisioned by phone-home, so without a record.
  returned: always
  type: list
  elements: str
  sample: [ams1-sw1]
rendered:
  description:
    - Whether the fleet was validated and the records rendered. V(false) when the records on the target were written from
      the very same inputs and nobody touched them since, so that nothing else was done.
  returned: always
  type: bool
  sample: false
added:
  description: Files (relative to O(dest)) that are new.
  returned: always
  type: list
  elements: str
  sample: [devices/PE3714100218.xml, devices/PE3714100218.json]
removed:
  description: Files that are gone.
  returned: always
  type: list
  elements: str
  sample: []
modified:
  description: Files whose content changed.
  returned: always
  type: list
  elements: str
  sample: [index.json]
version:
  description: The directory O(dest) now points to.
  returned: changed and not in check mode
  type: str
  sample: /var/lib/junos-ztp-phs/records.20260101T120000000000Z
backup:
  description: The replaced version, kept as a backup.
  returned: changed and not in check mode, and there was a previous version
  type: str
  sample: /var/lib/junos-ztp-phs/records.20251231T080000000000Z
pruned:
  description: Older backups removed to keep O(keep_backups) of them.
  returned: changed and not in check mode
  type: list
  elements: str
  sample: []
problems:
  description: Every inventory problem found, one line each (host, field, message), when the task fails on them.
  returned: failure on bad inventory data
  type: list
  elements: str
  sample: ["ams1-vc2: ztp_configuration: must be rooted at <configuration>, got <system>"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import Current, VersionedDirError, digests, unpack

DIFF_FILES = 20


def _read_records(path):
    with open(path, 'rb') as stream:
        return unpack(stream.read())


def _diff(existing, new, changes):
    entries = []
    for path in (changes['added'] + changes['removed'] + changes['modified'])[:DIFF_FILES]:
        before = b''
        if path not in changes['added']:
            with open('%s/%s' % (existing, path), 'rb') as stream:
                before = stream.read()
        entries.append({'before_header': path, 'after_header': path,
                        'before': before.decode('utf-8', 'replace'), 'after': new.get(path, b'').decode('utf-8', 'replace')})
    total = sum(len(v) for v in changes.values())
    if total > DIFF_FILES:
        entries.append({'prepared': '... and %d more changed files' % (total - DIFF_FILES)})
    return entries


def _count_records(paths):
    return sum(1 for path in paths if path.endswith('.xml'))


def _unchanged(module, current, inputs):
    """The result when the records on the target were written from these very inputs and nobody touched them since, else None.

    What that run found is recorded with them: the hosts, and the warnings validation gave, which are given again.
    """
    state = current.state
    if not isinstance(state, dict) or state.get('inputs') != inputs:
        return None
    summary = state.get('summary') or {}
    for warning in summary.get('warnings') or []:
        module.warn(warning)
    return dict(changed=False, unchanged=True, added=[], removed=[], modified=[], records=_count_records(current.files),
                hosts=summary.get('hosts', []), skipped_hosts=summary.get('skipped_hosts', []))


def _write(module, current):
    """Compare the rendered records (or their digests) with those on the target; replace the directory when they differ."""
    params = module.params
    new = None if params['src'] is None else _read_records(params['src'])
    new_digests = params['digests'] if new is None else digests(new)
    changes = current.changes(new_digests)
    result = dict(changes, changed=any(changes.values()), records=_count_records(new_digests))
    if new is not None and module._diff and result['changed']:
        result['diff'] = _diff(current.version, new, changes)
    if new is not None and not module.check_mode:
        state = {'inputs': params['inputs'], 'summary': params['summary'] or {}}
        result.update(current.update(new, result['changed'], state, keep=params['keep_backups'], group=params['group']))
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            'dest': {'type': 'path', 'required': True},
            'hosts': {'type': 'list', 'elements': 'str'},
            'keep_backups': {'type': 'int', 'default': 3},
            'group': {'type': 'str'},
            'src': {'type': 'path'},
            'digests': {'type': 'dict'},
            'inputs': {'type': 'str'},
            'summary': {'type': 'dict'},
        },
        mutually_exclusive=[('src', 'digests')],
        supports_check_mode=True,
    )
    params = module.params
    if not params['src'] and params['digests'] is None and not params['inputs']:
        module.fail_json(msg='junos.ztp.phs_records runs through its action plugin, which renders the records; src, digests or inputs is set by it')
    dest = params['dest']
    try:
        current = Current(dest)
        if not params['src'] and params['digests'] is None:
            result = _unchanged(module, current, params['inputs']) or dict(changed=False, unchanged=False)
        else:
            result = _write(module, current)
    except (OSError, ValueError, VersionedDirError) as exc:
        module.fail_json(msg='cannot write the records directory %s: %s' % (dest, exc))
    module.exit_json(records_dir=dest, **result)


if __name__ == '__main__':
    main()

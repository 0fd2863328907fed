"""Writing a DHCP server file: one rename, a backup of what it replaces, nothing left behind on failure."""

from __future__ import annotations

import datetime
import json
import os
import stat

import pytest

from ansible_collections.junos.ztp.plugins.module_utils import _dhcp_output
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_output import kea_check_copy, read_current, write_atomically

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)


def test_a_new_file_is_world_readable_and_has_no_backup(tmp_path):
    dest = tmp_path / 'kea-dhcp4.conf'
    assert write_atomically(str(dest), 'new\n', now=NOW) is None
    assert dest.read_text() == 'new\n'
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644  # the servers run as their own users
    assert sorted(p.name for p in tmp_path.iterdir()) == ['kea-dhcp4.conf']


def test_replacing_keeps_a_backup_and_the_file_mode(tmp_path):
    dest = tmp_path / 'junos-ztp.conf'
    dest.write_text('old\n')
    dest.chmod(0o640)
    backup = write_atomically(str(dest), 'new\n', now=NOW)
    assert backup == str(dest) + '.20260102T030405000006Z~'
    assert (tmp_path / os.path.basename(backup)).read_text() == 'old\n'
    assert dest.read_text() == 'new\n' and stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert write_atomically(str(dest), 'newer\n', backup=False) is None
    assert len(list(tmp_path.iterdir())) == 2


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    dest = tmp_path / 'junos-ztp.conf'
    dest.write_text('old\n')

    def refuse(_source, _target):
        raise OSError('disk full')

    monkeypatch.setattr(_dhcp_output.os, 'replace', refuse)
    with pytest.raises(OSError):
        write_atomically(str(dest), 'new\n', backup=False)
    assert dest.read_text() == 'old\n'
    assert [p.name for p in tmp_path.iterdir()] == ['junos-ztp.conf']


def test_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(OSError, match='does not exist'):
        write_atomically(str(tmp_path / 'nowhere' / 'x.conf'), 'x')
    assert read_current(str(tmp_path / 'x.conf')) is None


def test_kea_is_checked_with_wildcard_interfaces_when_the_named_ones_are_not_here():
    config = {'Dhcp6': {'interfaces-config': {'interfaces': ['lo', 'nosuch0/2001:db8::1']},
                        'subnet6': [{'subnet': '2001:db8::/64', 'interface': 'nosuch1'}, {'subnet': '2001:db9::/64', 'interface': 'lo'}]}}
    text, notes = kea_check_copy(json.dumps(config))
    checked = json.loads(text)['Dhcp6']
    assert checked['interfaces-config']['interfaces'] == ['*']
    assert 'interface' not in checked['subnet6'][0] and checked['subnet6'][1]['interface'] == 'lo'
    assert notes == ['interface(s) nosuch0/2001:db8::1, nosuch1 do not exist on this machine; the check used "*" instead']
    assert kea_check_copy(json.dumps({'Dhcp4': {'interfaces-config': {'interfaces': ['lo']}}}))[1] == []

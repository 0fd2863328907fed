"""Host key checking fails closed: only a boolean turns it off, and Ansible's global setting never does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible import constants as C
from ansible.errors import AnsibleError

from ansible_collections.junos.ztp.plugins.plugin_utils._device_action import DeviceActionBase


def _action(task_args=None, base='/nowhere'):
    action = DeviceActionBase.__new__(DeviceActionBase)
    action._task = SimpleNamespace(args=task_args or {})
    action._find_needle = lambda directory, path: '%s/%s/%s' % (base, directory, path)
    return action


def _options(args, task_vars=None, task_args=None, base='/nowhere'):
    return _action(task_args, base).host_key_options(args, task_vars or {})


@pytest.mark.parametrize('value', [True, False])
def test_a_boolean_is_taken_as_it_is(value):
    assert _options({'host_key_checking': value}, {'ansible_host_key_checking': value}) == {'host_key_checking': value}


def test_unset_means_checked_whatever_ansibles_global_setting_says(monkeypatch):
    monkeypatch.setattr(C, 'HOST_KEY_CHECKING', False)  # what ansible-runner (AWX) sets for every job
    assert _options({}) == {'host_key_checking': True}


@pytest.mark.parametrize('value, shown', [('flase', "the text 'flase'"), ('false', "the text 'false'"), ('no', "the text 'no'"),
                                          (0, 'the number 0'), ([], 'the list []')])
def test_anything_but_a_boolean_fails_naming_the_variable(value, shown):
    with pytest.raises(AnsibleError) as caught:
        _options({'host_key_checking': value}, {'ansible_ssh_host_key_checking': value})
    assert str(caught.value).startswith('ansible_ssh_host_key_checking: must be a boolean, true or false (unquoted in YAML), got %s;' % shown)


def test_a_task_argument_is_named_as_such():
    with pytest.raises(AnsibleError, match=r"^host_key_checking: must be a boolean"):
        _options({'host_key_checking': 'off'}, {}, task_args={'host_key_checking': 'off'})


def test_the_known_hosts_file_is_found_like_every_controller_file(tmp_path):
    (tmp_path / 'files').mkdir()
    (tmp_path / 'files' / 'known_hosts').write_text('')
    assert _options({'known_hosts_file': 'known_hosts'}, base=str(tmp_path)) == {
        'host_key_checking': True, 'known_hosts_file': str(tmp_path / 'files' / 'known_hosts')}
    assert _options({'known_hosts_file': 'known_hosts', 'host_key_checking': False}) == {'host_key_checking': False}
    with pytest.raises(AnsibleError, match='is not a readable file'):
        _options({'known_hosts_file': 'known_hosts'})

"""Device credentials come from the task, then the Network credential's environment, then Ansible's connection options."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible.playbook.play_context import PlayContext

from ansible_collections.junos.ztp.plugins.plugin_utils._device_action import DeviceActionBase

NETWORK_CREDENTIAL = {'ANSIBLE_NET_USERNAME': 'net-user', 'ANSIBLE_NET_PASSWORD': 'net-secret', 'ANSIBLE_NET_SSH_KEYFILE': '/keys/net'}


def credentials(task_args=None, connection_user=None, remote_user=None, password='', private_key_file=None):
    play_context = PlayContext()
    play_context.connection_user = connection_user
    play_context.remote_user = remote_user
    play_context.password = password
    play_context.private_key_file = private_key_file
    action = DeviceActionBase(SimpleNamespace(args=task_args or {}), None, play_context, None, None, None)
    return action.credential_args()


@pytest.fixture(autouse=True)
def no_network_credential(monkeypatch):
    for variable in NETWORK_CREDENTIAL:
        monkeypatch.delenv(variable, raising=False)


def test_machine_credential_arrives_through_the_play_context():
    # -u ztp --ask-pass with the local connection: Ansible keeps the user in connection_user.
    assert credentials(connection_user='ztp', remote_user='root', password='s3cret', private_key_file='/keys/id') == {
        'user': 'ztp', 'password': 's3cret', 'private_key_file': '/keys/id'}


def test_a_connection_other_than_local_keeps_the_user_in_remote_user():
    assert credentials(remote_user='ztp') == {'user': 'ztp'}


def test_the_network_credential_wins_over_the_connection_options(monkeypatch):
    for variable, value in NETWORK_CREDENTIAL.items():
        monkeypatch.setenv(variable, value)
    assert credentials(connection_user='ztp', password='s3cret', private_key_file='/keys/id') == {
        'user': 'net-user', 'password': 'net-secret', 'private_key_file': '/keys/net'}


def test_each_field_falls_back_on_its_own(monkeypatch):
    monkeypatch.setenv('ANSIBLE_NET_PASSWORD', 'net-secret')
    assert credentials(connection_user='ztp') == {'user': 'ztp', 'password': 'net-secret'}


def test_task_arguments_win_over_everything(monkeypatch):
    for variable, value in NETWORK_CREDENTIAL.items():
        monkeypatch.setenv(variable, value)
    task_args = {'user': 'task-user', 'password': 'task-secret', 'private_key_file': '/keys/task'}
    assert credentials(task_args, connection_user='ztp', password='s3cret') == task_args


def test_empty_values_count_as_not_given(monkeypatch):
    monkeypatch.setenv('ANSIBLE_NET_USERNAME', '')
    assert credentials(connection_user='ztp', password='') == {'user': 'ztp'}

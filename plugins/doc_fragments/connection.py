# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How junos.ztp modules reach a device over NETCONF."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Management address of the device or Virtual Chassis.
      - Filled in from C(ansible_host) (or the inventory host name) when not given.
    type: str
  port:
    description:
      - NETCONF over SSH port. Filled in from C(ansible_port) when not given.
    type: int
    default: 830
  user:
    description:
      - SSH user name.
      - When not given, taken from the environment variable C(ANSIBLE_NET_USERNAME) (an AWX Network credential),
        then from Ansible's connection user (C(ansible_user), C(-u) on the command line, an AWX Machine credential).
    type: str
  password:
    description:
      - SSH password. Never shown in output or logs.
      - When not given, taken from C(ANSIBLE_NET_PASSWORD), then from Ansible's connection password
        (C(ansible_password), C(ansible_ssh_pass), C(--ask-pass), an AWX Machine credential).
    type: str
  private_key_file:
    description:
      - SSH private key.
      - When not given, taken from C(ANSIBLE_NET_SSH_KEYFILE), then from Ansible's connection key
        (C(ansible_ssh_private_key_file), C(ansible_private_key_file), C(--private-key), an AWX Machine credential).
      - A relative path is relative to the directory of the playbook being run (in AWX, the job template's playbook).
    type: path
  host_key_checking:
    description:
      - Verify the device's SSH host key against O(known_hosts_file).
      - Filled in from C(ansible_host_key_checking) (or C(ansible_ssh_host_key_checking)); true unless you opt out.
      - Only a boolean is accepted; any other value (the string C(flase), C(no) in quotes) fails the task before it connects.
      - Ansible's global C(host_key_checking) setting (C(ANSIBLE_HOST_KEY_CHECKING)) is not used, because AWX sets it to
        false for every job; only this option or the host variable turns checking off.
    type: bool
    default: true
  known_hosts_file:
    description:
      - OpenSSH known_hosts file holding the device's host key. Filled in from C(ztp_known_hosts_file).
      - A relative path is found like the source of M(ansible.builtin.copy) (in C(files/) of the role, then of the playbook,
        then beside the playbook; last in those places of the playbook given to ansible-playbook).
      - Defaults to C(~/.ssh/known_hosts).
      - With O(host_key_checking=true), a file that does not exist fails the task before any connection, naming it.
    type: path
  timeout:
    description:
      - Seconds to wait for the SSH connection and for each RPC reply.
    type: int
    default: 30
notes:
  - Modules run on the controller. With C(ansible_connection=junos.ztp.pyez) (the collection's persistent connection) every
    device task of a play uses the host's one NETCONF session, re-opened only after the device rebooted; with
    C(ansible_connection=local) each task opens its own session with PyEZ.
requirements:
  - junos-eznc
  - ncclient
"""

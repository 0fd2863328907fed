# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a rendered DHCP configuration with the real server, then replace the file safely. PRIVATE to junos.ztp."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import subprocess
import tempfile

# The servers live in sbin, which is not on every user's PATH.
_SEARCH_PATH = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/usr/local/sbin', '/sbin'])
_ISC_BANNER = ('Internet Systems Consortium', 'Copyright', 'All rights reserved', 'For info, please visit',
               'Config file:', 'Database file:', 'PID file:')
_STAMP = '%Y%m%dT%H%M%S%fZ'


class CheckResult:
    def __init__(self, ok, command, message, notes=()):
        self.ok = ok
        self.command = command
        self.message = message
        self.notes = list(notes)


def _local_interfaces():
    return {name for _index, name in socket.if_nameindex()}


def kea_check_copy(text):
    """The Kea file to check here, and notes: interfaces absent on this machine become '*' (kea -t refuses them)."""
    config = json.loads(text)
    local, notes = _local_interfaces(), []
    for dhcp in config.values():
        interfaces = dhcp.get('interfaces-config', {}).get('interfaces', [])
        missing = [name for name in interfaces if name != '*' and name.split('/')[0] not in local]
        if missing:
            dhcp['interfaces-config']['interfaces'] = ['*']
        for subnet in dhcp.get('subnet4', []) + dhcp.get('subnet6', []):
            if subnet.get('interface') and subnet['interface'] not in local:
                missing.append(subnet.pop('interface'))
        if missing:
            notes.append('interface(s) %s do not exist on this machine; the check used "*" instead' % ', '.join(sorted(set(missing))))
    return json.dumps(config), notes


def _server_message(server, output):
    lines = [line for line in output.splitlines() if line.strip()]
    if server == 'kea':
        return '\n'.join(line for line in lines if 'ERROR' in line or line.startswith('Error')) or '\n'.join(lines[-5:])
    kept = []
    for line in lines:
        if line.startswith('If you think you have received this message'):
            break
        if not line.startswith(_ISC_BANNER):
            kept.append(line)
    return '\n'.join(kept)


def check_with_server(output, text):
    """Run the server's own syntax check (dhcpd -t -cf, kea-dhcp4 -t, ...) on the text."""
    binary = shutil.which(output.check_command[0], path=_SEARCH_PATH)
    command_text = ' '.join(output.check_command)
    if binary is None:
        return CheckResult(False, command_text, '%s is not installed on the controller: install %s, or set validate: false'
                           % (output.check_command[0], output.service))
    notes = []
    if output.server == 'kea':
        text, notes = kea_check_copy(text)
    with tempfile.TemporaryDirectory(prefix='junos-ztp-dhcp-check-') as workdir:
        path = os.path.join(workdir, 'dhcp.conf')
        with open(path, 'w', encoding='utf-8') as stream:
            stream.write(text)
        # Kea run outside systemd wants writable pid and lock directories even for -t.
        env = dict(os.environ, KEA_PIDFILE_DIR=workdir, KEA_LOCKFILE_DIR=workdir)
        completed = subprocess.run([binary] + list(output.check_command[1:]) + [path], env=env, capture_output=True,
                                   text=True, timeout=300, check=False)
    message = _server_message(output.server, completed.stdout + completed.stderr).replace(path, '<rendered file>')
    return CheckResult(completed.returncode == 0, command_text, message, notes)


def read_current(dest):
    """The text dest holds now, or None when there is no file."""
    try:
        with open(dest, encoding='utf-8') as stream:
            return stream.read()
    except FileNotFoundError:
        return None


def write_atomically(dest, text, backup=True, now=None):
    """Replace dest with text in one rename; keep what it held as ``<dest>.<UTC time>~``. Returns the backup path or None.

    The new file takes the mode and owner of the one it replaces (0644 when new: the servers run as their own users).
    """
    dest = os.path.abspath(dest)
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        raise OSError('directory %s does not exist' % directory)
    backup_path = None
    fd, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(dest), dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if os.path.exists(dest):
            current = os.stat(dest)
            os.chmod(temporary, current.st_mode & 0o7777)
            if (current.st_uid, current.st_gid) != (os.getuid(), os.getgid()) and os.getuid() == 0:
                os.chown(temporary, current.st_uid, current.st_gid)
            if backup:
                stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime(_STAMP)
                backup_path = '%s.%s~' % (dest, stamp)
                shutil.copy2(dest, backup_path)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, dest)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return backup_path

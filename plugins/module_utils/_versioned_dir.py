# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A directory of generated files, replaced atomically. PRIVATE to junos.ztp.

``dest`` is a symbolic link to the current version, a sibling directory ``<dest>.<UTC time>``.
A new version is written next to it and the link is swapped with one ``rename``, so a reader
(the phone-home server) sees the old set of files or the new one, never a mix.  Earlier versions
stay as backups (the newest ``keep`` of them, at least one); a real directory found at ``dest`` (not made by us)
is moved aside once to ``<dest>.<UTC time>.orig`` and never removed.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
import re
import shutil

_STAMP = '%Y%m%dT%H%M%S%fZ'


class VersionedDirError(Exception):
    pass


def read_tree(path):
    """{relative path: bytes} of every file under path ({} when it does not exist)."""
    files = {}
    if not os.path.isdir(path):
        return files
    for directory, _subdirs, names in os.walk(path):
        for name in names:
            full = os.path.join(directory, name)
            with open(full, 'rb') as stream:
                files[os.path.relpath(full, path).replace(os.sep, '/')] = stream.read()
    return files


def digests(files):
    """{relative path: SHA-256 hex digest} of {relative path: bytes}."""
    return {path: hashlib.sha256(content).hexdigest() for path, content in files.items()}


def tree_digests(path):
    """{relative path: SHA-256 hex digest} of every file under path ({} when it does not exist)."""
    return digests(read_tree(path))


def pack(files):
    """{relative path: UTF-8 text bytes} as one compressed blob to transfer (a gzip JSON object; much cheaper than tar per file)."""
    return gzip.compress(json.dumps({path: content.decode('utf-8') for path, content in files.items()}, ensure_ascii=False).encode('utf-8'),
                         compresslevel=1)


def unpack(data):
    """The files pack() packed."""
    return {path: text.encode('utf-8') for path, text in json.loads(gzip.decompress(data)).items()}


def compare(old, new):
    """Which relative paths a new set of files adds, removes and modifies (values: contents or their digests)."""
    return {
        'added': sorted(set(new) - set(old)),
        'removed': sorted(set(old) - set(new)),
        'modified': sorted(p for p in set(old) & set(new) if old[p] != new[p]),
    }


def current(dest):
    """The directory dest stands for now, or None."""
    if os.path.islink(dest) or os.path.isdir(dest):
        return os.path.realpath(dest)
    if os.path.lexists(dest):
        raise VersionedDirError('%s exists and is not a directory or a link to one' % dest)
    return None


def _versions(dest):
    parent, base = os.path.split(os.path.abspath(dest))
    pattern = re.compile(r'^%s\.\d{8}T\d{12}Z$' % re.escape(base))
    return sorted(os.path.join(parent, name) for name in os.listdir(parent) if pattern.match(name))


def write_version(dest, files, keep=3, file_mode=0o640, dir_mode=0o750, group=None, now=None):
    """Write files as a new version of dest and swap dest to it. Returns {'version', 'backup', 'pruned'}."""
    if keep < 1:
        raise VersionedDirError('keep at least one backup of the version being replaced')
    dest = os.path.abspath(dest)
    parent, base = os.path.split(dest)
    previous = current(dest)
    stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime(_STAMP)
    version = os.path.join(parent, '%s.%s' % (base, stamp))
    staging = version + '.tmp'
    os.makedirs(parent, exist_ok=True)
    gid = -1 if group is None else _gid(group)
    os.mkdir(staging, dir_mode)
    directories = {staging}
    try:
        for relative, content in sorted(files.items()):
            path = os.path.join(staging, *relative.split('/'))
            directory = os.path.dirname(path)
            if directory not in directories:
                os.makedirs(directory, dir_mode, exist_ok=True)
                _set_mode(directory, dir_mode, gid)
                directories.add(directory)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode), 'wb') as stream:
                stream.write(content)
                _set_mode(stream.fileno(), file_mode, gid)
        _set_mode(staging, dir_mode, gid)
        os.rename(staging, version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.sync()  # the new files are on disk before the link points at them
    if previous is not None and not os.path.islink(dest):
        previous = '%s.%s.orig' % (dest, stamp)
        os.rename(dest, previous)
    link = '%s.%s.link' % (dest, stamp)
    os.symlink(os.path.basename(version), link)
    os.replace(link, dest)
    backups = [path for path in _versions(dest) if path != version]
    pruned = backups[:-keep]
    for path in pruned:
        shutil.rmtree(path)
    return {'version': version, 'backup': previous, 'pruned': pruned}


def _set_mode(path, mode, gid):
    """Mode (not left to the umask) and group of a path or an open file descriptor."""
    os.chmod(path, mode)
    if gid != -1:
        os.chown(path, -1, gid)


def _gid(group):
    import grp  # POSIX only; imported here so the module still loads where it is missing

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise VersionedDirError('group %s does not exist' % group) from None

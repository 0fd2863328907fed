# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A directory of generated files, replaced atomically. PRIVATE to junos.ztp.

``dest`` is a symbolic link to the current version, a sibling directory ``<dest>.<UTC time>``.
A new version is written next to it and the link is swapped with one ``rename``, so a reader
(the phone-home server) sees the old set of files or the new one, never a mix.  Earlier versions
stay as backups (the newest ``keep`` of them, at least one); a real directory found at ``dest`` (not made by us)
is moved aside once to ``<dest>.<UTC time>.orig`` and never removed.

A version may carry a manifest (``MANIFEST``, not one of the files): the writer's own state (for
phs_records, the digest of what the files were rendered from) and, per file, its SHA-256 digest and
what ``stat`` says of it (inode, size, modification and change times in ns, mode, owner, group).
``untouched`` tells from ``stat`` alone, without reading a file, whether the version is still exactly as
written: a file replaced has another inode; any write, truncation, rename, chmod or chown of a file sets
its change time (ctime) to the clock's time, and user space cannot set it back (touch can set the
modification time back, not that one); a file added or removed changes the set of names.  The one blind
spot: the kernel stamps files with a coarse clock (a tick of a few ms), so an edit of the same size
made within the very tick the file was written in would not show.
"""

from __future__ import annotations

import ctypes
import datetime
import hashlib
import json
import os
import re
import shutil
import struct
import zlib

MANIFEST = '.manifest.json'
MANIFEST_FORMAT = 'junos-ztp-versioned-dir-manifest/1'
_MANIFEST_TEMPORARY = MANIFEST + '.tmp'
_STAMP = '%Y%m%dT%H%M%S%fZ'
_PACK_MAGIC = b'JZTPPACK1\n'


class VersionedDirError(Exception):
    pass


def _walk(path):
    """(relative path, DirEntry) of every file under path but the manifest ({} when path does not exist)."""
    pending = ['']
    while pending:
        relative_dir = pending.pop()
        with os.scandir(os.path.join(path, relative_dir)) as entries:
            for entry in entries:
                relative = relative_dir + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append(relative + '/')
                elif relative not in (MANIFEST, _MANIFEST_TEMPORARY):
                    yield relative, entry


def _signature(stat):
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_mode, stat.st_uid, stat.st_gid]


def read_tree(path):
    """{relative path: bytes} of every file under path, the manifest aside ({} when it does not exist)."""
    if not os.path.isdir(path):
        return {}
    files = {}
    for relative, entry in _walk(path):
        with open(entry.path, 'rb') as stream:
            files[relative] = stream.read()
    return files


def digests(files):
    """{relative path: SHA-256 hex digest} of {relative path: bytes}."""
    return {path: hashlib.sha256(content).hexdigest() for path, content in files.items()}


def tree_digests(path):
    """{relative path: SHA-256 hex digest} of every file under path, the manifest aside ({} when it does not exist)."""
    return {relative: entry[0] for relative, entry in scan(path).items()}


def scan(path):
    """{relative path: [SHA-256 hex digest, *stat signature]}, each file's stat taken before it is read.

    A file changed while it is read gets a later ctime than the one recorded, so it is not taken for untouched later.
    """
    scanned = {}
    if not os.path.isdir(path):
        return scanned
    for relative, entry in _walk(path):
        signature = _signature(entry.stat(follow_symlinks=False))
        if entry.is_symlink():  # not ours (we write files only): a digest no file of ours has
            content = b'symbolic link to ' + os.fsencode(os.readlink(entry.path))
        else:
            with open(entry.path, 'rb') as stream:
                content = stream.read()
        scanned[relative] = [hashlib.sha256(content).hexdigest()] + signature
    return scanned


def pack(files):
    """{relative path: bytes} as one compressed blob to transfer; a content shared by several files travels once."""
    offsets, blobs, index, size = {}, [], [], 0
    for path, content in files.items():
        if content not in offsets:
            offsets[content] = size
            blobs.append(content)
            size += len(content)
        index.append((path, offsets[content], len(content)))
    header = json.dumps(index, separators=(',', ':')).encode('utf-8')
    compressor = zlib.compressobj(1)
    return b''.join([_PACK_MAGIC, struct.pack('>Q', len(header)), compressor.compress(header)]
                    + [compressor.compress(blob) for blob in blobs] + [compressor.flush()])


def unpack(data):
    """The files pack() packed."""
    if not data.startswith(_PACK_MAGIC):
        raise ValueError('not a packed set of files')
    start = len(_PACK_MAGIC) + 8
    (header_size,) = struct.unpack('>Q', data[len(_PACK_MAGIC):start])
    raw = zlib.decompress(data[start:])
    body = memoryview(raw)[header_size:]
    return {path: bytes(body[offset:offset + length]) for path, offset, length in json.loads(raw[:header_size])}


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


def read_manifest(version):
    """The manifest of a version ({'format', 'state', 'files'}), or None when it has none or it is not readable."""
    if version is None:
        return None
    try:
        with open(os.path.join(version, MANIFEST), 'rb') as stream:
            manifest = json.load(stream)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get('format') != MANIFEST_FORMAT or not isinstance(manifest.get('files'), dict):
        return None
    return manifest


def untouched(version, manifest):
    """True when the version's files are exactly those the manifest lists, none changed since (stat only, nothing read)."""
    if version is None or manifest is None:
        return False
    listed = manifest['files']
    count = 0
    for relative, entry in _walk(version):
        count += 1
        recorded = listed.get(relative)
        if not isinstance(recorded, list) or recorded[1:] != _signature(entry.stat(follow_symlinks=False)):
            return False
    return count == len(listed)


class Current:
    """The current version of dest: where it is, its manifest, and whether its files are still as the manifest lists them."""

    def __init__(self, dest):
        self.dest = dest
        self.version = current(dest)
        self.manifest = read_manifest(self.version)
        self.untouched = untouched(self.version, self.manifest)
        self._files = None

    @property
    def state(self):
        """The state the version was written (or last confirmed) with, while none of its files was touched since; else None."""
        return self.manifest.get('state') if self.untouched else None

    @property
    def files(self):
        """{relative path: [SHA-256 hex digest, *stat signature]}: from the manifest while untouched, else read (see scan)."""
        if self._files is None:
            self._files = self.manifest['files'] if self.untouched else scan(self.version) if self.version else {}
        return self._files

    def changes(self, new_digests):
        """What a new set of files (their digests) adds, removes and modifies here."""
        return compare({path: entry[0] for path, entry in self.files.items()}, new_digests)

    def update(self, files, changed, state, keep=3, group=None):
        """Make files the current version, recording state; {} when they are what is there, else write_version's result.

        ``changed`` is whether ``changes`` found any. Files already there with another state (or touched and put
        back) keep their version: only the manifest is written again, so that the next update with this state is
        decided from stat alone.
        """
        if changed:
            return write_version(self.dest, files, keep=keep, group=group, state=state)
        if self.version and not (self.untouched and self.manifest.get('state') == state):
            self._write_manifest(state, group)
        return {}

    def _write_manifest(self, state, group, file_mode=0o640):
        temporary = os.path.join(self.version, _MANIFEST_TEMPORARY)
        if os.path.lexists(temporary):  # left by an interrupted update
            os.unlink(temporary)
        _write_file(temporary, _manifest_bytes(state, self.files), file_mode, _gid(group))
        os.replace(temporary, os.path.join(self.version, MANIFEST))
        _sync_directory(self.version)


def _manifest_bytes(state, files):
    return json.dumps({'format': MANIFEST_FORMAT, 'state': state, 'files': files}, separators=(',', ':')).encode('utf-8')


def _versions(dest):
    parent, base = os.path.split(os.path.abspath(dest))
    pattern = re.compile(r'^%s\.\d{8}T\d{12}Z$' % re.escape(base))
    return sorted(os.path.join(parent, name) for name in os.listdir(parent) if pattern.match(name))


def write_version(dest, files, keep=3, file_mode=0o640, dir_mode=0o750, group=None, now=None, state=None):
    """Write files as a new version of dest and swap dest to it. Returns {'version', 'backup', 'pruned'}.

    With ``state`` (JSON data), the version gets a manifest recording it (see ``untouched``).
    """
    if keep < 1:
        raise VersionedDirError('keep at least one backup of the version being replaced')
    dest = os.path.abspath(dest)
    parent, base = os.path.split(dest)
    previous = current(dest)
    stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime(_STAMP)
    version = os.path.join(parent, '%s.%s' % (base, stamp))
    staging = version + '.tmp'
    os.makedirs(parent, exist_ok=True)
    gid = _gid(group)
    chmod = file_mode & ~_umask() != file_mode
    os.mkdir(staging, dir_mode)
    directories = {}  # relative directory -> its open descriptor: files are created relative to it
    listed = {}
    try:
        try:
            for relative, content in sorted(files.items()):
                directory, _slash, name = relative.rpartition('/')
                if directory not in directories:
                    path = os.path.join(staging, *directory.split('/'))
                    os.makedirs(path, dir_mode, exist_ok=True)
                    _set_mode(path, dir_mode, gid)
                    directories[directory] = os.open(path, os.O_RDONLY)
                stat = _write_file(name, content, file_mode, gid, chmod, directories[directory])
                listed[relative] = [hashlib.sha256(content).hexdigest()] + _signature(stat)
        finally:
            for descriptor in directories.values():
                os.close(descriptor)
        if state is not None:
            _write_file(os.path.join(staging, MANIFEST), _manifest_bytes(state, listed), file_mode, gid)
        _set_mode(staging, dir_mode, gid)
        # Every new file is on disk before the link points at it: one flush of this file system, not a
        # flush per file (an fsync of each of thousands of files costs a journal commit each).
        _sync_file_system(staging)
        os.rename(staging, version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if previous is not None and not os.path.islink(dest):
        previous = '%s.%s.orig' % (dest, stamp)
        os.rename(dest, previous)
    link = '%s.%s.link' % (dest, stamp)
    os.symlink(os.path.basename(version), link)
    os.replace(link, dest)
    _sync_directory(parent)  # the swap itself is durable once the task says changed
    backups = [path for path in _versions(dest) if path != version]
    pruned = backups[:-keep]
    for path in pruned:
        shutil.rmtree(path)
    return {'version': version, 'backup': previous, 'pruned': pruned}


def _write_file(path, content, mode, gid, chmod=True, dir_fd=None):
    """Create path (it must not exist) with exactly this mode and group; returns its stat after the last change.

    ``chmod`` False: the umask leaves mode as it is, so creating the file gave it already.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode, dir_fd=dir_fd)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(descriptor, view):]
        if chmod:
            os.chmod(descriptor, mode)
        if gid != -1:
            os.chown(descriptor, -1, gid)
        return os.fstat(descriptor)
    finally:
        os.close(descriptor)


def _umask():
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _sync_file_system(path):
    """Flush the file system holding path (Linux syncfs(2)); elsewhere, every file system (sync(2))."""
    syncfs = getattr(_libc(), 'syncfs', None)
    if syncfs is None:
        os.sync()
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        if syncfs(descriptor) != 0:
            raise OSError(ctypes.get_errno(), 'syncfs %s: %s' % (path, os.strerror(ctypes.get_errno())))
    finally:
        os.close(descriptor)


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _sync_directory(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _set_mode(path, mode, gid):
    """Mode (not left to the umask) and group of a path or an open file descriptor."""
    os.chmod(path, mode)
    if gid != -1:
        os.chown(path, -1, gid)


def _gid(group):
    """The group's id, or -1 (keep the writer's) when group is None."""
    if group is None:
        return -1
    import grp  # POSIX only; imported here so the module still loads where it is missing

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise VersionedDirError('group %s does not exist' % group) from None

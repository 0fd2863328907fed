"""The switch's flash: a per-VC directory on disk with the capacity given in the spec.

Junos paths (/var/tmp/x) map to ``<workdir>/<vc>/var/tmp/x``. Used space is the spec's
system usage plus the size of every file under /var, so uploads and clean-ups move the
numbers that get-system-storage reports. One filesystem is shared by all members
(a real VC has one per member; see docs/simulator.md).
"""

import fnmatch
import hashlib
import os
import posixpath
import shutil
import threading
from pathlib import Path

# Besides files the spec marks cleanable, what "request system storage cleanup" removes.
CLEANUP_PATTERNS = ("/var/tmp/*.log", "/var/log/*.gz", "/var/tmp/*.core*")
HASHES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}


class FsError(Exception):
    """A file operation failed; the message reads like the Junos/BSD error."""


class VCFilesystem:
    def __init__(self, root, total_bytes, system_bytes, home):
        self.root = Path(root)
        self.total_bytes = total_bytes
        self.system_bytes = system_bytes
        self.home = home
        self._capacity_cap = None
        self._cleanable = set()
        self._lock = threading.Lock()
        for directory in ("/var/tmp", "/var/log", home):
            self.host_path(directory).mkdir(parents=True, exist_ok=True)

    # -- paths -------------------------------------------------------------------------------

    def junos_path(self, path):
        """Absolute, normalised Junos path; '~' and relative paths are under the user's home."""
        if path == "~" or path.startswith("~/"):
            path = self.home + path[1:]
        elif not path.startswith("/"):
            path = self.home + "/" + path
        return posixpath.normpath(path)

    def host_path(self, path):
        return self.root / self.junos_path(path).lstrip("/")

    # -- space -------------------------------------------------------------------------------

    def used_bytes(self):
        used = self.system_bytes
        for dirpath, unused_dirs, filenames in os.walk(self.root / "var"):
            for name in filenames:
                try:
                    used += os.stat(os.path.join(dirpath, name)).st_size
                except FileNotFoundError:
                    continue
        return used

    def capacity_bytes(self):
        return self.total_bytes if self._capacity_cap is None else min(self.total_bytes, self._capacity_cap)

    def available_bytes(self):
        return max(0, self.capacity_bytes() - self.used_bytes())

    def limit_free(self, free_bytes):
        """disk_full fault: from now on only ``free_bytes`` more fit (None lifts the limit)."""
        self._capacity_cap = None if free_bytes is None else self.used_bytes() + free_bytes

    # -- files -------------------------------------------------------------------------------

    def seed(self, path, size_bytes, cleanable):
        """Create a spec file (sparse, so it costs no real disk) that counts towards used space."""
        target = self.host_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            handle.truncate(size_bytes)
        if cleanable:
            with self._lock:
                self._cleanable.add(self.junos_path(path))

    def stat(self, path):
        """os.stat_result of a Junos path, or None."""
        try:
            return os.stat(self.host_path(path))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def checksum(self, path, algorithm):
        host = self.host_path(path)
        if not host.is_file():
            raise FsError("%s: No such file or directory" % self.junos_path(path))
        digest = HASHES[algorithm]()
        with open(host, "rb") as handle:
            for piece in iter(lambda: handle.read(1 << 20), b""):
                digest.update(piece)
        return digest.hexdigest()

    def read(self, path):
        host = self.host_path(path)
        if not host.is_file():
            raise FsError("could not resolve file: %s" % self.junos_path(path))
        return host.read_bytes()

    def delete(self, path):
        host = self.host_path(path)
        if not host.is_file():
            raise FsError("%s: No such file or directory" % self.junos_path(path))
        host.unlink()

    def listing(self, path):
        """(junos path, is_dir, [(name, stat)]) for a directory or a single file."""
        junos = self.junos_path(path)
        host = self.host_path(path)
        if host.is_dir():
            entries = sorted((child.name, child.stat()) for child in host.iterdir())
            return junos, True, entries
        if host.is_file():
            return junos, False, [(junos, host.stat())]
        raise FsError("%s: No such file or directory" % junos)

    def cleanable_files(self):
        with self._lock:
            marked = set(self._cleanable)
        found = []
        for dirpath, unused_dirs, filenames in os.walk(self.root / "var"):
            for name in filenames:
                host = os.path.join(dirpath, name)
                junos = "/" + os.path.relpath(host, self.root)
                if junos in marked or any(fnmatch.fnmatch(junos, pattern) for pattern in CLEANUP_PATTERNS):
                    found.append((junos, os.stat(host)))
        return sorted(found)

    def cleanup(self, dry_run):
        """Remove cleanable files; return [(junos path, stat)] of what was (or would be) removed."""
        files = self.cleanable_files()
        if not dry_run:
            for junos, unused_stat in files:
                self.host_path(junos).unlink(missing_ok=True)
                with self._lock:
                    self._cleanable.discard(junos)
        return files

    def empty_var_tmp(self):
        var_tmp = self.host_path("/var/tmp")
        shutil.rmtree(var_tmp, ignore_errors=True)
        var_tmp.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._cleanable = {p for p in self._cleanable if not p.startswith("/var/tmp/")}

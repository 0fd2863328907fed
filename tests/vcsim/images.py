"""Self-describing test software images.

A test image is named like a real one (jinstall-ex-4300-21.4R3-S5.4-signed.tgz) and laid out as:

    VCSIM-JUNOS-PACKAGE 1 version=<version> family=<family> size=<total bytes>\\n
    <pseudo-random filler up to the requested size>
    \\nVCSIM-SHA256 <sha256 of everything before this line>\\n

so request-package-add can tell the version and platform family, and notice any corruption.
"""

import hashlib
import os
import random
import re
import threading
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"VCSIM-JUNOS-PACKAGE 1"
_TRAILER_TAG = b"\nVCSIM-SHA256 "
TRAILER_SIZE = len(_TRAILER_TAG) + 64 + 1
_HEADER = re.compile(rb"^VCSIM-JUNOS-PACKAGE 1 version=(\S+) family=(\S+) size=(\d+)\n")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ImageInfo:
    version: str
    family: str
    intact: bool


def image_name(family, version):
    return "jinstall-%s-%s-signed.tgz" % (family, version)


def make_image(path, version, family, size_bytes=1 << 20):
    """Write a test image; ``path`` is a directory (the real-looking file name is used) or a file path."""
    path = Path(path)
    if path.is_dir():
        path = path / image_name(family, version)
    header = b"%s version=%s family=%s size=%d\n" % (MAGIC, version.encode(), family.encode(), size_bytes)
    filler = size_bytes - len(header) - TRAILER_SIZE
    if filler < 0:
        raise ValueError("size_bytes must be at least %d" % (len(header) + TRAILER_SIZE))
    # One seeded block repeated: fast for 512 MiB, and different versions get different bytes.
    block = random.Random("%s/%s" % (family, version)).randbytes(_CHUNK)
    digest = hashlib.sha256(header)
    with open(path, "wb") as handle:
        handle.write(header)
        while filler > 0:
            piece = block[:min(filler, _CHUNK)]
            handle.write(piece)
            digest.update(piece)
            filler -= len(piece)
        handle.write(_TRAILER_TAG + digest.hexdigest().encode() + b"\n")
    return path


_cache = {}
_cache_lock = threading.Lock()


def inspect_image(path):
    """ImageInfo for a test image, or None if the file is not one. Hashing is cached per file version."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    info = _inspect(path, stat.st_size)
    with _cache_lock:
        _cache[key] = info
    return info


def _inspect(path, size):
    with open(path, "rb") as handle:
        match = _HEADER.match(handle.read(256))
        if not match:
            return None
        version, family = match.group(1).decode(), match.group(2).decode()
        if int(match.group(3)) != size or size < TRAILER_SIZE:
            return ImageInfo(version, family, intact=False)
        handle.seek(0)
        digest = hashlib.sha256()
        remaining = size - TRAILER_SIZE
        while remaining > 0:
            piece = handle.read(min(remaining, _CHUNK))
            if not piece:
                break
            digest.update(piece)
            remaining -= len(piece)
        trailer = handle.read(TRAILER_SIZE)
    expected = _TRAILER_TAG + digest.hexdigest().encode() + b"\n"
    return ImageInfo(version, family, intact=trailer == expected)

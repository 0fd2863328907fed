# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the Junos images a Virtual Chassis needs on its primary, once, verified. PRIVATE to junos.ztp.

The steps, each a plain function or method so unit tests can drive them without Ansible or a device:

1. ``plan_images``: which image (from ``ztp_software``) each present member needs, how it gets there
   (SCP from the controller, or a URL the device fetches) and which checksum proves it.
2. ``verify_local_images``: the controller's copy matches the inventory's checksum (digest computed once
   per run through ``local_digest``'s cache), or nothing is sent.
3. ``ImageStager.run``: skip images already on the device with the right checksum, check free space on
   every member (optionally clean up), transfer with bounded retries and backoff, verify with the
   device's checksum RPC, remove a bad or partial copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import posixpath
import re
import tempfile
import time
import urllib.parse

try:
    from jnpr.junos.exception import ConnectClosedError, RpcError, RpcTimeoutError
    from ncclient.transport.errors import TransportError
    from paramiko import SSHException
    from scp import SCPException
    HAS_TRANSFER_LIBRARIES = True
    TRANSFER_IMPORT_ERROR = None
    # What a broken transfer or a dropped session raises; each is one failed attempt.
    TRANSFER_ERRORS = (SCPException, SSHException, TransportError, ConnectClosedError, RpcTimeoutError, EOFError, OSError)
    RAW_RPC_ERRORS = (RpcError,)
except ImportError as exc:
    HAS_TRANSFER_LIBRARIES = False
    TRANSFER_IMPORT_ERROR = exc
    TRANSFER_ERRORS = (EOFError, OSError)
    RAW_RPC_ERRORS = ()

from ansible.module_utils.urls import ConnectionError as UrlConnectionError, open_url

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    DeviceConnectionError, DeviceRpcError, call_rpc, close_quietly, scp_put, session_alive)
from ansible_collections.junos.ztp.plugins.module_utils._data_model import image_for_model
from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import read_virtual_chassis

# Everything staging can fail with on the device side besides a lost connection (DeviceConnectionError):
# a broken transfer, or an RPC the device refused (read_virtual_chassis sends its RPCs without call_rpc).
DEVICE_ERRORS = TRANSFER_ERRORS + RAW_RPC_ERRORS + (DeviceRpcError,)

MIB = 1024 * 1024
# Preferred first: `auto` picks the first one the inventory gives.
ALGORITHMS = ('sha256', 'sha1', 'md5')
CHECKSUM_RPCS = {'md5': 'get_checksum_information', 'sha1': 'get_sha1_checksum_information',
                 'sha256': 'get_sha256_checksum_information'}
SOURCES = ('auto', 'controller', 'url')
# get-system-storage counts 512-byte blocks (905000 blocks are reported as "442M").
STORAGE_BLOCK_SIZE = 512
# Junos 15.1+ mounts the root file system on /.mount; /var/tmp shows up under it.
JUNOS_MOUNT_PREFIX = '/.mount'
# [guess] Headroom on top of the image itself, so a full /var/tmp does not break logging or the install.
SPACE_MARGIN_BYTES = 32 * MIB
MAX_BACKOFF_SECONDS = 60
PROGRESS_FRACTION = 0.1
PROGRESS_SECONDS = 5.0
URL_PROBE_TIMEOUT = 10


def _no_such_file(exc):
    return 'no such file' in str(exc).lower()


class StageError(Exception):
    """Staging cannot go on; the message says why, with the numbers."""


class AttemptFailed(Exception):
    """One transfer attempt failed; the next may succeed."""


def redact_url(url):
    """The URL without a user name or password, fit for results and logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ''
    if ':' in host:
        host = '[%s]' % host
    netloc = host + (':%d' % parts.port if parts.port else '')
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def scrub_url(text, url):
    """``text`` with ``url`` (as a device may echo it in an error) shown without its user name and password."""
    if not url:
        return text
    text = text.replace(url, redact_url(url))
    password = urllib.parse.urlsplit(url).password
    return text.replace(password, '********') if password else text


def mib(size):
    return '%.1f MiB' % (size / MIB)


def choose_algorithm(image, requested):
    """The checksum algorithm for one image: ``auto`` is the strongest the inventory gives."""
    if requested == 'auto':
        return next((algorithm for algorithm in ALGORITHMS if image.get(algorithm)), None)
    return requested if image.get(requested) else None


def choose_source(image, requested):
    """``controller`` or ``url`` for one image; ``auto`` prefers the controller's file when there is one."""
    if requested == 'auto':
        return 'controller' if image.get('local_path') else 'url' if image.get('url') else None
    key = 'local_path' if requested == 'controller' else 'url'
    return requested if image.get(key) else None


class StagedImage:
    """One image to put on the primary, and what happened to it."""

    def __init__(self, index, image, destination_dir, source, algorithm):
        self.index = index
        self.file = image['file']
        self.path = posixpath.join(destination_dir, image['file'])
        self.source = source
        self.local_path = image.get('local_path') if source == 'controller' else None
        self.url = image.get('url') if source == 'url' else None
        self.algorithm = algorithm
        self.expected = image[algorithm].lower()
        self.members = []
        self.size = None
        self.status = None
        self.bytes_sent = 0
        self.seconds = 0.0
        self.attempts = 0

    @property
    def field(self):
        return 'ztp_software.images[%d]' % self.index

    def result(self):
        rate = self.size / MIB / self.seconds if self.size and self.seconds else 0.0
        result = {'file': self.file, 'path': self.path, 'size': self.size, 'algorithm': self.algorithm,
                  'checksum': self.expected, 'source': self.source, 'status': self.status, 'members': self.members,
                  'bytes_sent': self.bytes_sent, 'seconds': round(self.seconds, 3), 'rate_mib_s': round(rate, 1),
                  'attempts': self.attempts}
        if self.url:
            result['url'] = redact_url(self.url)
        return result


def plan_images(software, members, destination_dir='/var/tmp', source='auto', algorithm='auto'):
    """Group the present members that need an image by the image they need.

    ``members`` are ``read_virtual_chassis`` members (member_id, model, status, version); a member already
    running ``software['version']`` needs nothing. Returns ``(images, members_on_target)``; raises
    StageError listing every member without an image and every image without a usable source or checksum.
    """
    problems, planned, on_target = [], {}, []
    for member in members:
        if member.get('status') != 'present':
            continue
        if member.get('version') == software['version']:
            on_target.append(member['member_id'])
            continue
        image = image_for_model(software, member.get('model') or '')
        if image is None:
            problems.append('member %s (%s): no image in ztp_software.images matches this model' % (member['member_id'], member.get('model')))
            continue
        index = software['images'].index(image)
        if index not in planned:
            chosen_source = choose_source(image, source)
            chosen_algorithm = choose_algorithm(image, algorithm)
            field = 'ztp_software.images[%d]' % index
            if chosen_source is None:
                problems.append('%s: source %s needs %s' % (field, source, {'auto': 'local_path or url', 'controller': 'local_path'}.get(source, 'url')))
            if chosen_algorithm is None:
                problems.append('%s: has no %s checksum' % (field, 'md5, sha1 or sha256' if algorithm == 'auto' else algorithm))
            if chosen_source is None or chosen_algorithm is None:
                planned[index] = None
                continue
            planned[index] = StagedImage(index, image, destination_dir, chosen_source, chosen_algorithm)
        if planned[index] is not None:
            planned[index].members.append(member['member_id'])
    if problems:
        raise StageError('cannot plan the images: ' + '; '.join(problems))
    return [planned[index] for index in sorted(planned)], on_target


def file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, 'rb') as stream:
        for chunk in iter(lambda: stream.read(MIB), b''):
            digest.update(chunk)
    return digest.hexdigest()


def local_digest(path, algorithm, cache_dir=None, report=lambda message: None):
    """The file's digest, computed at most once per file version while ``cache_dir`` lives.

    Ansible runs each host in its own forked worker, so an in-memory cache would not be shared: the
    digest is kept in a file named after (path, size, mtime, algorithm) under ``cache_dir``, and an
    exclusive lock makes the other workers wait for the first one instead of hashing the file again.
    """
    if cache_dir is None:
        report('computing the %s of %s' % (algorithm, path))
        return file_digest(path, algorithm)
    stat = os.stat(path)
    key = '%s\0%d\0%d\0%s' % (os.path.realpath(path), stat.st_size, stat.st_mtime_ns, algorithm)
    entry = os.path.join(cache_dir, hashlib.sha256(key.encode('utf-8')).hexdigest())
    os.makedirs(cache_dir, mode=0o700, exist_ok=True)
    with open(entry + '.lock', 'a', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(entry, encoding='ascii') as cached:
                return cached.read()
        except FileNotFoundError:
            pass
        report('computing the %s of %s (once per run)' % (algorithm, path))
        digest = file_digest(path, algorithm)
        handle, temporary = tempfile.mkstemp(dir=cache_dir)
        with os.fdopen(handle, 'w', encoding='ascii') as stream:
            stream.write(digest)
        os.replace(temporary, entry)
        return digest


def verify_local_images(images, cache_dir=None, report=lambda message: None):
    """Size and digest of every controller image; StageError (nothing sent) naming every mismatch."""
    problems = []
    for image in images:
        if image.source != 'controller':
            continue
        try:
            image.size = os.path.getsize(image.local_path)
            actual = local_digest(image.local_path, image.algorithm, cache_dir, report)
        except OSError as exc:
            problems.append('%s.local_path: cannot read %s: %s' % (image.field, image.local_path, exc.strerror or exc))
            continue
        if actual != image.expected:
            problems.append('%s.%s is %s but %s has %s %s; refusing to send it'
                            % (image.field, image.algorithm, image.expected, image.local_path, image.algorithm, actual))
    if problems:
        raise StageError('; '.join(problems))


def probe_url_size(url, timeout=URL_PROBE_TIMEOUT):
    """Content-Length of an http(s) URL from a HEAD request, or None (ftp, tftp, no answer, no length)."""
    if urllib.parse.urlsplit(url).scheme not in ('http', 'https'):
        return None
    try:
        with open_url(url, method='HEAD', timeout=timeout) as response:
            length = response.headers.get('Content-Length')
    except (OSError, ValueError, UrlConnectionError):
        return None
    return int(length) if length and length.isdigit() else None


def _mount_point(mounted_on):
    if mounted_on == JUNOS_MOUNT_PREFIX or mounted_on.startswith(JUNOS_MOUNT_PREFIX + '/'):
        return mounted_on[len(JUNOS_MOUNT_PREFIX):] or '/'
    return mounted_on


def _contains(mount, directory):
    return mount == '/' or directory == mount or directory.startswith(mount.rstrip('/') + '/')


def parse_storage(reply, directory, local_member=None):
    """``{member id: (mount point, available bytes)}`` of the file system holding ``directory`` on each member.

    The reply is per member (``fpcN`` items) on a Virtual Chassis, a bare file system list otherwise
    (attributed to ``local_member``). The file system is the one with the longest mount point that holds
    ``directory``.
    """
    items = list(reply.iter('multi-routing-engine-item'))
    groups = [(int(re.search(r'(\d+)$', item.findtext('re-name').strip()).group(1)), item) for item in items] or [(local_member, reply)]
    free = {}
    for member_id, group in groups:
        best = None
        for filesystem in group.iter('filesystem'):
            mount = _mount_point((filesystem.findtext('mounted-on') or '').strip())
            if mount and _contains(mount, directory) and (best is None or len(mount) > len(best[0])):
                best = (mount, int(filesystem.findtext('available-blocks').strip()) * STORAGE_BLOCK_SIZE)
        if best is not None:
            free[member_id] = best
    return free


def space_needed(images, primary):
    """Bytes each member must have free: the primary holds every image sent, and at install time the
    primary copies each member its own image, so the other members need room for theirs too."""
    needed = {}
    for image in images:
        if image.size is None:
            continue
        needed[primary] = needed.get(primary, 0) + image.size
        for member_id in image.members:
            if member_id != primary:
                needed[member_id] = max(needed.get(member_id, 0), image.size)
    return {member_id: size + SPACE_MARGIN_BYTES for member_id, size in needed.items()}


def space_shortfalls(needed, free, directory):
    """A message per member without room (or without a file system holding ``directory``)."""
    shortfalls = []
    for member_id in sorted(needed):
        if member_id not in free:
            shortfalls.append('member %s: get-system-storage shows no file system holding %s' % (member_id, directory))
        elif free[member_id][1] < needed[member_id]:
            mount, available = free[member_id]
            shortfalls.append('member %s: %s free on %s, %s needed (%s with the %s margin)'
                              % (member_id, mib(available), mount, mib(needed[member_id] - SPACE_MARGIN_BYTES),
                                 mib(needed[member_id]), mib(SPACE_MARGIN_BYTES)))
    return shortfalls


def backoff_delays(retries, delay, limit=MAX_BACKOFF_SECONDS):
    """Seconds to wait before each retry: delay, 2*delay, 4*delay, ... capped at ``limit``."""
    return [min(delay * 2 ** number, limit) for number in range(retries)]


def with_retries(attempt, retries, delay, sleep=time.sleep, describe='transfer'):
    """Call ``attempt(number)`` until it succeeds, at most ``retries + 1`` times, backing off between tries.

    Only AttemptFailed is retried. Returns the number of attempts made; the final StageError names every reason.
    """
    failures = []
    waits = backoff_delays(retries, delay)
    for number in range(1, retries + 2):
        try:
            attempt(number)
            return number
        except AttemptFailed as exc:
            failures.append('attempt %d: %s' % (number, exc))
            if number <= retries:
                sleep(waits[number - 1])
    raise StageError('%s failed after %d attempt(s): %s' % (describe, len(failures), '; '.join(failures)))


class ProgressMeter:
    """Reports a transfer's progress about every 10 % or 5 s, whichever comes first, and at the end."""

    def __init__(self, report, label, total, clock=time.monotonic):
        self.report = report
        self.label = label
        self.total = total
        self.clock = clock
        self.started = clock()
        self.last_time = self.started
        self.next_fraction = PROGRESS_FRACTION

    def update(self, done):
        now = self.clock()
        fraction = done / self.total if self.total else 1.0
        if done < self.total and fraction < self.next_fraction and now - self.last_time < PROGRESS_SECONDS:
            return
        self.last_time = now
        while self.next_fraction <= fraction:
            self.next_fraction += PROGRESS_FRACTION
        elapsed = now - self.started
        rate = done / MIB / elapsed if elapsed > 0 else 0.0
        self.report('%s: %s of %s (%d %%), %.1f MiB/s' % (self.label, mib(done), mib(self.total), int(fraction * 100), rate))


class ImageStager:
    """Stage planned images on the device ``connect()`` opens; re-opens it when a retry finds it closed."""

    def __init__(self, connect, report=lambda message: None, check_mode=False, retries=3, retry_delay=5.0,
                 transfer_timeout=3600, cleanup=False, sleep=time.sleep, clock=time.monotonic):
        self.connect = connect
        self.report = report
        self.check_mode = check_mode
        self.retries = retries
        self.retry_delay = retry_delay
        self.transfer_timeout = transfer_timeout
        self.cleanup = cleanup
        self.sleep = sleep
        self.clock = clock
        self.device = None
        # True once an image is on the device because of this run, so a later failure still reports the change.
        self.changed = False

    # -- device operations -------------------------------------------------------------------------

    def remote_checksum(self, path, algorithm):
        """The device's checksum of ``path``, or None when the file is not there."""
        try:
            reply = call_rpc(self.device, CHECKSUM_RPCS[algorithm], path=path, dev_timeout=self.transfer_timeout, normalize=True)
        except DeviceRpcError as exc:
            if _no_such_file(exc):
                return None
            raise
        checksum = reply.findtext('.//checksum')
        return checksum.strip().lower() if checksum else None

    def remove(self, path):
        """Delete ``path`` on the device; True when it is gone (or was never there)."""
        try:
            call_rpc(self.device, 'file_delete', path=path)
        except DeviceRpcError as exc:
            return _no_such_file(exc)
        except DeviceConnectionError:
            return False
        return True

    def _session_alive(self):
        return session_alive(self.device)

    def _ensure_session(self):
        if self._session_alive():
            return
        if self.device is not None:
            close_quietly(self.device)
        try:
            self.device = self.connect()
        except DeviceConnectionError as exc:
            self.device = None
            raise AttemptFailed('cannot reconnect: %s' % exc) from exc

    def scp_put(self, image, meter):
        """Send the local file over an SCP channel of the NETCONF session's SSH connection."""
        deadline = self.clock() + self.transfer_timeout

        def progress(sent):
            meter.update(sent)
            if self.clock() > deadline:
                raise AttemptFailed('no complete transfer within transfer_timeout (%d s)' % self.transfer_timeout)

        with open(image.local_path, 'rb') as stream:
            scp_put(self.device, stream, image.path, image.size, progress)

    def fetch_url(self, image):
        """Have the device copy the URL to the destination itself (`file copy URL /var/tmp/F`)."""
        call_rpc(self.device, 'file_copy', source=image.url, destination=image.path, dev_timeout=self.transfer_timeout)

    # -- the steps ---------------------------------------------------------------------------------

    def _transfer_attempt(self, image, number):
        self._ensure_session()
        if number > 1:
            self.report('%s: attempt %d of %d' % (image.file, number, self.retries + 1))
        try:
            started = self.clock()
            if image.source == 'controller':
                self.scp_put(image, ProgressMeter(self.report, image.file, image.size, self.clock))
                image.bytes_sent += image.size
            else:
                self.report('%s: the device fetches %s' % (image.file, redact_url(image.url)))
                self.fetch_url(image)
            image.seconds = self.clock() - started
            actual = self.remote_checksum(image.path, image.algorithm)
        except AttemptFailed as exc:
            raise AttemptFailed(self._discard(image, str(exc))) from exc
        except TRANSFER_ERRORS + (DeviceRpcError, DeviceConnectionError) as exc:
            reason = scrub_url('%s: %s' % (exc.__class__.__name__, exc), image.url)
            raise AttemptFailed(self._discard(image, reason)) from None
        if actual != image.expected:
            raise AttemptFailed(self._discard(image, 'the copy on the device has %s %s, expected %s'
                                              % (image.algorithm, actual or '(no file)', image.expected)))

    def _discard(self, image, reason):
        """Remove a bad or partial copy; return the reason completed with what happened to the copy."""
        if not self._session_alive():
            return reason + ' (session lost; any partial copy is overwritten by the next attempt)'
        if self.remove(image.path):
            return reason + ' (no copy left on the device)'
        return reason + ' (the copy %s could NOT be removed)' % image.path

    def _check_space(self, images, primary):
        needed = space_needed(images, primary)
        if not needed:
            return None
        directory = posixpath.dirname(images[0].path)
        shortfalls = space_shortfalls(needed, parse_storage(call_rpc(self.device, 'get_system_storage'), directory, primary), directory)
        if not shortfalls:
            return None
        if not self.cleanup:
            raise StageError('not enough space, nothing sent: %s (cleanup: true runs request system storage cleanup first)'
                             % '; '.join(shortfalls))
        if self.check_mode:
            return 'would run request system storage cleanup: %s' % '; '.join(shortfalls)
        self.report('running request system storage cleanup: %s' % '; '.join(shortfalls))
        call_rpc(self.device, 'request_system_storage_cleanup', dev_timeout=self.transfer_timeout)
        shortfalls = space_shortfalls(needed, parse_storage(call_rpc(self.device, 'get_system_storage'), directory, primary), directory)
        if shortfalls:
            raise StageError('not enough space even after request system storage cleanup, nothing sent: %s' % '; '.join(shortfalls))
        return 'ran request system storage cleanup'

    def run(self, software, destination_dir='/var/tmp', source='auto', algorithm='auto', cache_dir=None):
        """Stage what the Virtual Chassis needs; return the task result (changed, images, bytes_sent, ...)."""
        try:
            self.device = self.connect()
            try:
                facts = read_virtual_chassis(self.device)
            except ValueError as exc:
                raise StageError('cannot read the Virtual Chassis members: %s' % exc) from exc
            return self.stage_on(facts, software, destination_dir, source, algorithm, cache_dir)
        finally:
            if self.device is not None:
                close_quietly(self.device)

    def stage_on(self, facts, software, destination_dir='/var/tmp', source='auto', algorithm='auto', cache_dir=None):
        """Stage on the session already in ``self.device``, for the members ``facts`` (read_virtual_chassis) describes."""
        images, on_target = plan_images(software, facts['members'], destination_dir, source, algorithm)
        verify_local_images(images, cache_dir, self.report)
        return self._stage(images, on_target, facts['primary_member'])

    def _stage(self, images, on_target, primary):
        to_send = []
        for image in images:
            if image.source == 'url':
                image.size = probe_url_size(image.url)
            if self.remote_checksum(image.path, image.algorithm) == image.expected:
                image.status = 'present'
            else:
                to_send.append(image)
        space = self._check_space(to_send, primary)
        if self.check_mode:
            for image in to_send:
                image.status = 'would send' if image.source == 'controller' else 'would fetch'
        else:
            for image in to_send:
                image.attempts = with_retries(lambda number, image=image: self._transfer_attempt(image, number),
                                              self.retries, self.retry_delay, self.sleep, 'staging %s' % image.file)
                image.status = 'sent' if image.source == 'controller' else 'fetched'
                self.changed = True
                self.report('%s: %s, %s %s verified on the device' % (image.file, image.status, image.algorithm, image.expected))
        result = {
            'changed': bool(to_send),
            'images': [image.result() for image in images],
            'bytes_sent': sum(image.bytes_sent for image in images),
            'members_on_target': on_target,
            'msg': self._summary(images, to_send, on_target),
        }
        if self.check_mode:
            result['bytes_to_send'] = sum(image.size for image in to_send if image.source == 'controller')
        if space:
            result['storage_cleanup'] = space
        return result

    def _summary(self, images, to_send, on_target):
        if not images:
            return 'nothing to stage: every present member runs the target version' if on_target else 'nothing to stage'
        if not to_send:
            return 'already staged: %s' % ', '.join(image.path for image in images)
        verb = 'would stage' if self.check_mode else 'staged'
        return '%s %s' % (verb, ', '.join('%s (%s, %s)' % (image.path, mib(image.size) if image.size is not None else 'size unknown',
                                                           'from the controller' if image.source == 'controller' else 'fetched by the device')
                                          for image in to_send))

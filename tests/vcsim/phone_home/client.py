"""The phone-home client (PHC) of a factory-default simulated Virtual Chassis, written from the VC phone-home seed.

It runs on the primary member, inside the simulator: it uses the chassis, configuration database,
flash and shell the RPC handlers use, waits on the simulated clock, and logs every step as a ``phc_*``
event and a line of ``/var/log/messages``. docs/simulator.md ("The phone-home client") says what is
modelled and what is a guess.

Stages (seed, "Phone-Home Process on a Virtual Chassis"): redirect -> bootstrap server -> topology check
(Table 1) -> temporary role-keeping configuration -> member bootstrap (linecards in member-ID order, rebooted
together; then the backup; then the primary, after its state is synced to the backup, so that the PHC
resumes on the backup once it is primary) -> temporary configuration removed -> pre-configuration script ->
configuration merged and committed -> post-configuration script -> bootstrap-complete.
"""

import copy
import threading
import time
from dataclasses import dataclass, field

from lxml import etree

from .. import shell
from ..chassis import BACKUP, LINECARD, MASTER, PRESENT
from ..configdb import ConfigError
from ..fetch import FetchError, open_url, read_chunk, redact
from ..images import inspect_image
from ..platforms import family_of
from ..rpc.configuration import commit_problem
from .protocol import Bootstrap, LegacyClient, PhoneHomeError, RFC8572Client, tls_context

SESSION = "phone-home"       # the configuration database session the PHC commits from
USER = "root"                # [guess] the PHC commits as root
POLL = 5.0                   # simulated seconds between member-detection checks
DOWNLOAD_CHUNK = 1 << 16
HTTP_JOIN_SECONDS = 20.0     # a PHC thread told to stop may be inside an HTTP request (15 s timeout)

# Table 2 of the seed, in the order the PHC uses them.
IMAGE_INSTALLED_NEXT = "Successfully installed downloaded image. Initiating image installation on next member."
IMAGE_INSTALLED_REBOOT = "Successfully installed downloaded image. Initiating member reboot."
INSTALLATION_FAILED = "Image failed to install on the member. Giving up and trying a different phone-home-server."
REBOOT_INITIATED = "Reboot initiated for Line Card members. Waiting for the members to come back up."
NO_UPGRADE = "No upgrade required."
UPGRADED = "Successfully upgraded."
DETECTED_UPGRADED = "Member detected and successfully upgraded."
UPGRADE_FAILED = "Upgrade failed !!!"
DETECTED_NOT_UPGRADED = "Member detected but upgrade failed !!!"
DID_NOT_COME_UP = "Did not come up post image upgrade"
STRICT_BOOTSTRAP_FAILED = "VC member bootstrap failure detected with Strict provisioning set."
STRICT_DETECTION_FAILED = "VC with detection failed members and Strict provisioning set."

# [guess] How an rfc-compliant client reports Table 2 (report-progress has only RFC 8572's progress types):
# the nearest progress type, the Table 2 type leading the message. One place, easy to change.
RFC8572_PROGRESS = {
    "vc-member-image-installed": "informational",
    "vc-member-image-installation-failed": "boot-image-error",
    "vc-member-reboot-initiated": "boot-image-installed-rebooting",
    "vc-member-upgrade-success": "informational",
    "vc-member-upgrade-failed": "boot-image-warning",
    "vc-member-detection-failed": "boot-image-warning",
    "vc-bootstrap-failed": "bootstrap-error",
    "bootstrap-failed": "bootstrap-error",
}
# [guess] Stage reports of the legacy client: YAPT's four types (protocols.md); stages without one stay local.
LEGACY_TYPES = {"config-complete": "configuration-applied", "config-error": "configuration-failed",
                "pre-script-error": "bootstrap-failed", "post-script-error": "bootstrap-failed",
                "boot-image-error": "bootstrap-failed", "bootstrap-complete": "bootstrap-complete"}


class Stopped(Exception):
    """The PHC stops: the simulator stops, the VC is zeroized, or the primary reboots."""


class Abandon(Exception):
    """Give up on this bootstrap server (the failure is already reported); start over with the next one."""


@dataclass
class PhcState:
    """What the PHC knows; synced to the backup before the primary reboots, so the new primary resumes from it."""
    redirects: int = 0                 # redirector answers received (rounds)
    servers: list = field(default_factory=list)
    server_index: int = 0
    failures: int = 0                  # consecutive failures (back-off)
    record: Bootstrap = None
    targets: list = field(default_factory=list)     # member ids being bootstrapped
    roles: dict = field(default_factory=dict)       # member id -> role when bootstrap began (for messages)
    temporary_config: bool = False
    image_path: str = None
    upgraded: list = field(default_factory=list)    # members whose image stage is finished
    awaiting: list = field(default_factory=list)    # rebooted members still to detect (the old primary on resume)
    rebooted_at: dict = field(default_factory=dict)  # member id -> simulated time its reboot was requested
    failed: list = field(default_factory=list)      # members that failed (strict mode fails the bootstrap)

    def next_server(self):
        """Start over with the next bootstrap server of the redirect answer."""
        fresh = PhcState(redirects=self.redirects, servers=self.servers, server_index=self.server_index + 1, failures=self.failures)
        self.__dict__.update(fresh.__dict__)


class PhoneHomeClient:
    """One per VC whose spec has ``phone_home``; starts on the primary of a VC that boots factory-default."""

    def __init__(self, vc):
        self.vc = vc
        self.settings = vc.spec.phone_home
        self._lock = threading.Lock()
        self._thread = None
        self._cancel = threading.Event()
        self._closed = False
        # Factory-default configuration: the PHC runs at the next election of a primary (seed, step 1).
        self._factory_default = vc.spec.initial_config == "factory-default"
        self._synced = None        # (backup member id, PhcState)
        self._pid = 4000 + sum(vc.name.encode()) % 1000

    # -- start, resume, stop (called by the VC) -----------------------------------------------

    def factory_reset(self):
        """Zeroize erased the configuration: whatever ran stops, the next primary starts afresh."""
        self._halt()
        with self._lock:
            self._factory_default, self._synced = True, None

    def primary_elected(self, member_id):
        with self._lock:
            if self._closed:
                return
            resume = self._synced is not None and self._synced[0] == member_id
            thread = self._thread
        if thread is not None and thread.is_alive():
            if not resume:
                return
            thread.join(5.0)       # the old primary's PHC is handing over
        with self._lock:
            if self._closed or (not resume and not self._factory_default):
                return
            state = copy.deepcopy(self._synced[1]) if resume else None
            self._synced = None
            self._cancel = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(member_id, state, self._cancel),
                                            name="vcsim-phc-%s" % self.vc.name, daemon=True)
            self._thread.start()

    def stop(self):
        with self._lock:
            self._closed = True
        self._halt()

    def _halt(self):
        with self._lock:
            self._cancel.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(HTTP_JOIN_SECONDS)

    # -- logging -----------------------------------------------------------------------------

    def _step(self, event, text, member=None, **fields):
        """One event in the VC's event log and one line in /var/log/messages."""
        self.vc.log.emit(event, member=member if member is not None else self.vc.chassis.master_id(), **fields)
        stamp = time.strftime("%b %e %H:%M:%S", time.gmtime(self.vc.clock.sim_now()))
        line = "%s %s phc[%d]: %s\n" % (stamp, self.vc.hostname or "Amnesiac", self._pid, text)
        with open(self.vc.fs.host_path("/var/log/messages"), "a") as handle:
            handle.write(line)

    def _sleep(self, seconds, cancel):
        if not self.vc.clock.sleep(seconds, cancel):
            raise Stopped("stopped")

    # -- the run -----------------------------------------------------------------------------

    def _run(self, member_id, state, cancel):
        resumed = state is not None
        text = "%s the phone-home client on member %d (%s)" % ("resuming" if resumed else "starting", member_id, self.settings.encoding)
        self._step("phc_start", text, member=member_id, resumed=resumed, encoding=self.settings.encoding)
        try:
            self._provision(state or PhcState(), cancel)
        except Stopped as reason:
            self._step("phc_stop", "phone-home client stopped: %s" % reason, reason=str(reason))
        except Exception as err:
            # A bug in the client: say so in the event log (tests wait on it) rather than only on stderr.
            self._step("phc_stop", "phone-home client crashed: %r" % err, reason="crashed: %r" % err)
            raise

    def _primary(self):
        master = self.vc.chassis.master_id()
        if master is None:
            raise Stopped("no primary")
        return self.vc.member(master)

    def _client(self):
        if self.settings.encoding == "legacy":
            return LegacyClient()
        primary = self._primary()
        return RFC8572Client(primary.model, primary.version)

    def _serial(self):
        return self._primary().serial

    def _back_off(self, state, reason, cancel):
        state.failures += 1
        delay = min(self.settings.retry_interval * 2 ** (state.failures - 1), self.settings.retry_max_interval)
        self._step("phc_retry", "%s; retrying in %d seconds" % (reason, delay), reason=reason, delay=delay)
        self._sleep(delay, cancel)

    def _provision(self, state, cancel):
        while True:
            if state.server_index >= len(state.servers):
                if self.settings.attempts is not None and state.redirects >= self.settings.attempts:
                    self._step("phc_gave_up", "giving up after %d redirect answers" % state.redirects, attempts=state.redirects)
                    return
                self._redirect(state, cancel)
                continue
            server = state.servers[state.server_index]
            try:
                if state.record is None:
                    self._fetch(state, server)
                self._bootstrap(state, server, cancel)
                return
            except Abandon as reason:
                self._remove_temporary_config(state)
                self._step("phc_server_failed", "giving up on %s: %s" % (server.url, reason), server=server.url, reason=str(reason))
                state.next_server()
                self._back_off(state, "next bootstrap server", cancel)
            except PhoneHomeError as err:
                self._step("phc_record", "bootstrap server %s: %s" % (server.url, err), server=server.url, ok=False, error=str(err))
                state.next_server()
                self._back_off(state, str(err), cancel)

    def _redirect(self, state, cancel):
        url = self.settings.redirect_url
        while True:
            try:
                answer = self._client().bootstrap(url, tls_context(ca_file=self.settings.ca_file), self._serial())
                if isinstance(answer, Bootstrap):
                    raise PhoneHomeError("%s answered with a bootstrap record, not a redirect" % url)
                break
            except PhoneHomeError as err:
                self._step("phc_redirect", "redirect server %s: %s" % (url, err), url=url, ok=False, error=str(err))
                self._back_off(state, str(err), cancel)
        state.redirects += 1
        state.failures = 0
        state.servers, state.server_index, state.record = answer, 0, None
        self._step("phc_redirect", "redirected to %s" % ", ".join(s.url for s in answer), url=url, ok=True,
                   servers=[s.url for s in answer])

    def _fetch(self, state, server):
        answer = self._client().bootstrap(server.url, tls_context(server.trust_anchors), self._serial())
        if not isinstance(answer, Bootstrap):
            raise PhoneHomeError("%s redirected again" % server.url)
        state.record, state.failures = answer, 0
        vc = answer.vc
        self._step("phc_record", "bootstrap record from %s: topology %s, mode %s, image %s" % (
            server.url, vc.topology if vc else "none", vc.mode if vc else "-", answer.image.name if answer.image else "none"),
            server=server.url, ok=True, topology=vc.topology if vc else None, mode=vc.mode if vc else None,
            image=answer.image.name if answer.image else None)
        for note in answer.notes:
            self._step("phc_record_note", note, note=note)
        self._report(state, server, "bootstrap-initiated", "bootstrap record received from %s" % server.url)
        self._report(state, server, "parsing-complete", "bootstrap record parsed")

    # -- notifications -----------------------------------------------------------------------

    def _report(self, state, server, kind, message, member=None):
        """Send one notification in the device's encoding; ``kind`` is a Table 2 type or an RFC 8572 progress type."""
        if member is not None:
            view = self.vc.member(member)
            message = "Member %d %s %s: %s" % (member, view.serial, view.role or state.roles.get(member) or LINECARD, message)
        if self.settings.encoding == "legacy":
            sent = kind if kind.startswith("vc-") else LEGACY_TYPES.get(kind)
        else:
            sent = RFC8572_PROGRESS.get(kind, kind)
            if sent != kind:
                message = "%s: %s" % (kind, message)
        if sent is None:                # a stage the legacy protocol has no type for: logged on the device only
            self._step("phc_progress", message, type=kind, message=message, subject=member)
            return
        try:
            status = self._client().notify(server.url, tls_context(server.trust_anchors), self._serial(), sent, message)
            error = None
        except PhoneHomeError as err:
            status, error = None, str(err)     # [guess] a lost notification is logged, not retried
        self._step("phc_notify", "%s: %s" % (sent, message), type=sent, message=message, subject=member,
                   server=server.url, status=status, error=error)

    # -- the bootstrap -----------------------------------------------------------------------

    def _bootstrap(self, state, server, cancel):
        record = state.record
        if not state.targets:
            self._topology(state, server, cancel)
        if record.image is not None:
            self._members(state, server, cancel)
        self._final_detection(state, server)
        self._remove_temporary_config(state)
        self._script(state, server, "pre", record.pre_script)
        self._configure(state, server, record.configuration)
        self._script(state, server, "post", record.post_script)
        self._report(state, server, "bootstrap-complete", "bootstrap complete")
        with self._lock:
            self._factory_default = False    # the PHC does not run again until the next zeroize
        self._step("phc_complete", "phone-home provisioning completed successfully", server=server.url)

    def _present(self):
        return {view.id: view for view in self.vc.members if view.present}

    def _strict(self, state):
        vc = state.record.vc
        return vc is not None and vc.mode == "strict" and vc.topology == "full"

    def _detection_timeout(self, state):
        vc = state.record.vc
        return vc.detection_timeout if vc is not None and vc.detection_timeout else self.settings.detection_timeout

    def _topology(self, state, server, cancel):
        """Table 1: which members to bootstrap."""
        vc = state.record.vc
        master = self.vc.chassis.master_id()
        found = self._present()
        expected = [m["serial"] for m in vc.members] if vc is not None else []
        if vc is None:
            targets = [master]
        elif self._strict(state):
            by_serial = {view.serial: view.id for view in found.values()}
            missing = [serial for serial in expected if serial not in by_serial]
            deadline = self.vc.clock.sim_now() + self._detection_timeout(state)
            while missing and self.vc.clock.sim_now() < deadline:
                self._sleep(POLL, cancel)
                by_serial = {view.serial: view.id for view in self._present().values()}
                missing = [serial for serial in expected if serial not in by_serial]
            extra = sorted(serial for serial in by_serial if serial not in expected)
            self._step("phc_topology", "strict: expected %s, missing %s, unexpected %s" % (expected, missing, extra),
                       expected=expected, found=sorted(by_serial), missing=missing, extra=extra)
            if missing or extra:
                self._report(state, server, "vc-bootstrap-failed", STRICT_DETECTION_FAILED)
                raise Abandon("strict provisioning: members %s missing, %s unexpected" % (missing, extra))
            targets = sorted(by_serial[serial] for serial in expected)
        else:
            targets = sorted(found)
            serials = sorted(view.serial for view in found.values())
            missing = [serial for serial in expected if serial not in serials]
            extra = [serial for serial in serials if expected and serial not in expected]
            self._step("phc_topology", "%s topology: provisioning members %s%s" % (vc.topology, targets,
                       "; not as listed (missing %s, unexpected %s), proceeding" % (missing, extra) if missing or extra else ""),
                       expected=expected, found=serials, missing=missing, extra=extra)
        state.targets = targets
        state.roles = {member_id: found[member_id].role for member_id in targets if member_id in found}
        if vc is not None and len(found) > 1:
            self._keep_roles(state)

    def _keep_roles(self, state):
        """Seed step 4: the primary and backup keep their roles while members are upgraded ([guess]: top priority)."""
        config = etree.Element("configuration")
        stanza = etree.SubElement(config, "virtual-chassis")
        for member_id in (self.vc.chassis.master_id(), self.vc.chassis.backup_id()):
            if member_id is not None:
                member = etree.SubElement(stanza, "member")
                etree.SubElement(member, "name").text = str(member_id)
                etree.SubElement(member, "mastership-priority").text = "255"
        self._commit(config, "phone-home: keep primary and backup roles while members are bootstrapped")
        state.temporary_config = True
        self._step("phc_temporary_config", "temporary role-keeping configuration committed", action="commit")

    def _remove_temporary_config(self, state):
        if not state.temporary_config:
            return
        removal = etree.fromstring('<configuration><virtual-chassis delete="delete"/></configuration>')
        self._commit(removal, "phone-home: temporary role-keeping configuration removed")
        state.temporary_config = False
        self._step("phc_temporary_config", "temporary role-keeping configuration removed", action="remove")

    # -- members -----------------------------------------------------------------------------

    def _fail_member(self, state, server, member_id, kind, message):
        state.failed.append(member_id)
        self._report(state, server, kind, message, member=member_id)

    def _members(self, state, server, cancel):
        """Seed, "Bootstrap Virtual Chassis Members"."""
        image = state.record.image
        views = {view.id: view for view in self.vc.members}
        if state.awaiting:                 # resumed on the new primary: the old primary is rebooting
            self._detect(state, server, state.awaiting, cancel)
            state.awaiting = []
            return
        todo = [m for m in state.targets if m not in state.upgraded and views[m].version != image.version]
        for member_id in state.targets:
            if member_id not in todo and member_id not in state.upgraded:
                state.upgraded.append(member_id)
                if state.record.vc is not None:
                    self._report(state, server, "vc-member-upgrade-success", NO_UPGRADE, member=member_id)
        if not todo:
            self._step("phc_image", "software %s already on every member: image stage skipped" % image.version, skipped=True)
            return
        self._report(state, server, "boot-image-initiated", "downloading %s" % redact(image.url))
        if not self._download(state, server, cancel):
            for member_id in todo:
                self._fail_member(state, server, member_id, "vc-member-upgrade-failed", UPGRADE_FAILED)
                state.upgraded.append(member_id)
            self._strict_check(state, server, STRICT_BOOTSTRAP_FAILED)
            return
        roles = {m: self.vc.member(m).role for m in todo}
        linecards = sorted(m for m in todo if roles[m] not in (MASTER, BACKUP))
        for index, member_id in enumerate(linecards):
            self._install(state, server, member_id, IMAGE_INSTALLED_NEXT if index < len(linecards) - 1 else IMAGE_INSTALLED_REBOOT, cancel)
        if linecards:
            self._reboot(state, linecards)
            self._step("phc_reboot", "rebooting linecard members %s" % linecards, members=linecards)
            for member_id in linecards:
                self._report(state, server, "vc-member-reboot-initiated", REBOOT_INITIATED, member=member_id)
            self._detect(state, server, linecards, cancel, strict_message=STRICT_BOOTSTRAP_FAILED)
        backup = [m for m in todo if roles[m] == BACKUP]
        for member_id in backup:
            self._install(state, server, member_id, IMAGE_INSTALLED_REBOOT, cancel)
            self._reboot(state, [member_id])
            self._step("phc_reboot", "rebooting the backup, member %d" % member_id, members=[member_id])
            self._detect(state, server, [member_id], cancel, strict_message=STRICT_BOOTSTRAP_FAILED)
        primary = [m for m in todo if roles[m] == MASTER]
        for member_id in primary:
            self._install(state, server, member_id, IMAGE_INSTALLED_REBOOT, cancel)
            self._reboot_primary(state, member_id)

    def _download(self, state, server, cancel):
        """Fetch and verify the image; a failed fetch is retried until it succeeds, a bad checksum image_attempts times."""
        image = state.record.image
        path = "/var/tmp/%s" % image.name
        host = self.vc.fs.host_path(path)
        attempt = 0
        while True:
            attempt += 1
            received, error = 0, None
            try:
                with open_url(image.url, self.vc.spec.ca_file) as stream, open(host, "wb") as handle:
                    room = self.vc.fs.available_bytes()
                    while True:
                        if cancel.is_set():
                            raise Stopped("stopped")
                        piece = read_chunk(stream, image.url, DOWNLOAD_CHUNK)
                        if not piece:
                            break
                        self.vc.count_fetched_bytes(len(piece))
                        received += len(piece)
                        if received > room:
                            raise FetchError("fetch: %s: No space left on device" % path)
                        handle.write(piece)
            except FetchError as err:
                error = str(err)
                host.unlink(missing_ok=True)
            self._step("phc_image_download", "download of %s: %s" % (redact(image.url), error or "%d bytes" % received),
                       url=redact(image.url), path=path, bytes=received, ok=error is None, error=error, attempt=attempt)
            if error is not None:
                attempt -= 1               # a failed download does not count: retried until it succeeds (seed)
                self._back_off(state, error, cancel)
                continue
            size_gib = received / float(1 << 30)
            self._sleep(self.vc.spec.durations["checksum_per_gib"] * size_gib * len(image.hashes), cancel)
            wrong = [alg for alg, digest in sorted(image.hashes.items()) if self.vc.fs.checksum(path, alg) != digest]
            outcome = "mismatch (%s)" % ", ".join(wrong) if wrong else "ok"
            self._step("phc_image_verify", "%s of %s: %s" % ("+".join(sorted(image.hashes)), image.name, outcome), path=path,
                       algorithms=sorted(image.hashes), ok=not wrong, mismatched=wrong, attempt=attempt)
            if not wrong:
                state.image_path = path
                return True
            self.vc.fs.delete(path)
            if attempt >= self.settings.image_attempts:
                if state.record.vc is not None:
                    return False            # every member to upgrade is reported vc-member-upgrade-failed
                self._report(state, server, "boot-image-error", "%s checksum mismatch after %d downloads" % (image.name, attempt))
                raise Abandon("image checksum mismatch")
            self._back_off(state, "checksum mismatch", cancel)

    def _install(self, state, server, member_id, message, cancel):
        """request system software add on one member; a failure gives up this server (Table 2)."""
        path = state.image_path
        chassis = self.vc.chassis
        info = inspect_image(self.vc.fs.host_path(path))
        model = chassis.members[member_id].model
        if info is None or not info.intact:
            reason = "package %s is corrupted or not a Junos package" % path
        elif family_of(model) != info.family:
            reason = "package is for %s, member %d is %s" % (info.family, member_id, model)
        else:
            chassis.begin_install(member_id, path)
            self._sleep(self.vc.spec.durations["install"], cancel)
            reason = chassis.end_install(member_id, path, info.version)
        self._step("phc_install", "install of %s on member %d: %s" % (path, member_id, reason or "ok"), member=member_id,
                   ok=reason is None, reason=reason)
        if reason:
            self._fail_member(state, server, member_id, "vc-member-image-installation-failed", INSTALLATION_FAILED)
            raise Abandon("image installation failed on member %d: %s" % (member_id, reason))
        if state.record.vc is not None:
            self._report(state, server, "vc-member-image-installed", message, member=member_id)

    def _reboot(self, state, members):
        now = self.vc.clock.sim_now()
        state.rebooted_at.update((member_id, now) for member_id in members)
        self.vc.chassis.reboot(members, self.vc.spec.durations["shutdown"], reason="phone-home")

    def _reboot_primary(self, state, member_id):
        """Sync the PHC state to the backup, then reboot the primary: the PHC resumes on the backup once it is primary."""
        backup = self.vc.chassis.backup_id()
        state.awaiting = [member_id]
        state.roles[member_id] = MASTER
        state.rebooted_at[member_id] = self.vc.clock.sim_now()
        if backup is not None:
            with self._lock:
                self._synced = (backup, copy.deepcopy(state))
            self._step("phc_state_synced", "bootstrap state synced to the backup, member %d" % backup, member=backup)
        self.vc.chassis.reboot([member_id], self.vc.spec.durations["shutdown"], reason="phone-home")
        self._step("phc_reboot", "rebooting the primary, member %d" % member_id, members=[member_id])
        raise Stopped("primary member %d reboots" % member_id)

    def _detect(self, state, server, members, cancel, strict_message=STRICT_BOOTSTRAP_FAILED):
        """Member detection: each rebooted member back, settled, on the new version, within the record's timeout."""
        version = state.record.image.version
        rounds = 2 if self._strict(state) else 1      # strict: "retry to bootstrap and detect members that failed"
        waiting = list(members)
        for unused_round in range(rounds):
            deadline = self.vc.clock.sim_now() + self._detection_timeout(state)
            while True:
                views = {view.id: view for view in self.vc.members}
                now = self.vc.clock.sim_now()
                back = [m for m in waiting if views[m].state == PRESENT and now - views[m].uptime > state.rebooted_at.get(m, now)]
                for member_id in back:
                    upgraded = version is None or views[member_id].version == version
                    self._step("phc_member_detected", "member %d detected running %s" % (member_id, views[member_id].version),
                               member=member_id, version=views[member_id].version, upgraded=upgraded)
                    state.upgraded.append(member_id)
                    if upgraded:
                        self._report(state, server, "vc-member-upgrade-success", DETECTED_UPGRADED if state.record.vc else UPGRADED,
                                     member=member_id)
                    else:
                        self._fail_member(state, server, member_id, "vc-member-upgrade-failed", DETECTED_NOT_UPGRADED)
                waiting = [m for m in waiting if m not in back]
                if not waiting or self.vc.clock.sim_now() >= deadline:
                    break
                self._sleep(POLL, cancel)
            if not waiting:
                break
            self._step("phc_member_missing", "members %s not detected within %d seconds" % (waiting, self._detection_timeout(state)),
                       members=waiting)
        for member_id in waiting:
            state.upgraded.append(member_id)
            self._fail_member(state, server, member_id, "vc-member-detection-failed", DID_NOT_COME_UP)
        self._strict_check(state, server, strict_message)

    def _strict_check(self, state, server, message):
        if self._strict(state) and state.failed:
            self._report(state, server, "vc-bootstrap-failed", message)
            raise Abandon("strict provisioning: members %s failed" % sorted(set(state.failed)))

    def _final_detection(self, state, server):
        """Strict mode: every listed member must be up at the end of the member stage."""
        if not self._strict(state):
            return
        present = {view.serial for view in self._present().values()}
        missing = [m["serial"] for m in state.record.vc.members if m["serial"] not in present]
        if missing:
            self._report(state, server, "vc-bootstrap-failed", STRICT_DETECTION_FAILED)
            raise Abandon("strict provisioning: members %s not up" % missing)

    # -- scripts and configuration -----------------------------------------------------------

    def _script(self, state, server, stage, content):
        if content is None:
            return
        path = "/var/tmp/phc-%s-configuration-script" % stage
        self.vc.fs.host_path(path).write_bytes(content)
        self._report(state, server, "%s-script-initiated" % stage, "running the %s-configuration script" % stage)
        result = shell.execute(self.vc.fs, "%s 2>&1" % path)     # run by its #! line, like the device does
        for script in result.scripts:
            self.vc.log.emit("script_run", member=self.vc.chassis.master_id(), path=script.path, interpreter=script.interpreter,
                             exit_status=script.exit_status)
        self._step("phc_script", "%s-configuration script exited %d" % (stage, result.status), stage=stage,
                   exit_status=result.status, output=result.output)
        if result.status != 0:
            self._report(state, server, "%s-script-error" % stage, "%s-configuration script failed with exit status %d: %s"
                         % (stage, result.status, result.output.strip()[-500:]))
            raise Abandon("%s-configuration script exit status %d" % (stage, result.status))
        self._report(state, server, "%s-script-complete" % stage, "%s-configuration script succeeded" % stage)

    def _configure(self, state, server, configuration):
        if configuration is None:
            return
        self._report(state, server, "config-initiated", "merging and committing the configuration")
        try:
            self._commit(configuration, "phone-home: configuration from %s" % server.url)
        except ConfigError as err:
            self._step("phc_config", "configuration not committed: %s" % err.message, ok=False, error=err.message)
            self._report(state, server, "config-error", "configuration commit failed: %s" % err.message)
            raise Abandon("configuration commit failed")
        self._step("phc_config", "configuration committed", ok=True, error=None)
        self._report(state, server, "config-complete", "configuration committed")

    def _commit(self, configuration, comment):
        """Merge ``configuration`` in a private candidate and commit it (raises ConfigError, nothing committed)."""
        vc = self.vc
        db = vc.config
        db.open(SESSION, "private")
        try:
            db.load(SESSION, "merge", copy.deepcopy(configuration), "xml")
            problem = commit_problem(db.candidate(SESSION), vc)
            if problem:
                raise ConfigError(problem + "\nerror: configuration check-out failed")
            vc.clock.sleep(vc.spec.durations["commit"])
            tree = db.commit(SESSION, USER, comment)
        finally:
            db.close(SESSION)
        vc.committed_changed(tree)
        vc.log.emit("config_commit", member=vc.chassis.master_id(), comment=comment, user=USER, confirmed=False,
                    confirms_previous=False, session=SESSION)

"""The DHCP ZTP client of a simulated factory-default standalone switch, written from the ZTP document.

The switch asks a real DHCP server for an address (``vcsim.dhcp_client``, from inside the network namespace
the spec names), reads the answer the way the device does (``read_answer``), fetches the image and the
configuration from the file server the answer names, installs, loads or runs them, and restarts the whole
process (a fresh DHCP exchange) when the document says ZTP restarts. Every step is an event of the VC's log
(docs/simulator.md lists them). Nothing here comes from the collection's plugins: it is the device side.
"""

import ctypes
import ipaddress
import os
import posixpath
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass


from . import configsyntax, dhcp_client
from .configdb import ConfigError
from .fetch import FETCH_TIMEOUT, FetchError, open_url, read_chunk, tftp_get
from .images import inspect_image
from .platforms import family_of
from .rpc.configuration import commit_problem
from .shell import execute

TRANSFER_MODES = ("tftp", "ftp", "http", "https")
DEFAULT_TRANSFER_MODE = "tftp"              # [doc] "If suboption 03 is not configured, TFTP becomes the transfer mode"
RESTART_DELAY = 15.0                        # [doc] "approximately 15 to 30 seconds must elapse" before ZTP restarts
V6_PREFIX_LENGTH = 64                       # [guess] stands in for the prefix route Neighbor Discovery would learn
DOWNLOAD_DIRECTORY = "/var/tmp"             # [guess] where the device keeps what it fetched
CHUNK = 1 << 20
CLONE_NEWNET = 0x40000000
_LIBC = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class ZtpParameters:
    """What the device takes from one DHCP answer (None where the answer has nothing)."""

    family: int
    file_server: str
    transfer_mode: str
    image: str
    image_port: int
    image_is_symlink: bool
    config: str
    config_port: int

    def as_event(self):
        return {"file_server": self.file_server, "transfer_mode": self.transfer_mode, "image": self.image, "image_port": self.image_port,
                "image_is_symlink": self.image_is_symlink, "config": self.config, "config_port": self.config_port}


class ZtpFailure(Exception):
    """A ZTP restart trigger of the document; the message is the reason in the ztp_restart event."""


# -- reading the answer ------------------------------------------------------------------------------


def _texts(answer):
    """The Juniper suboptions of the answer as text; malformed ones are a restart trigger of the document."""
    try:
        return {code: value.decode("ascii", "replace") for code, value in answer.vendor_suboptions().items()}
    except ValueError as err:
        raise ZtpFailure("the DHCP server does not have valid ZTP parameters: %s" % err) from None


def _split_port(name, transfer_mode):
    """("/dist/x.conf", 8088) from "/dist/x.conf:8088"; [doc] the port counts for http/https only."""
    if name is None:
        return None, None
    path, colon, digits = name.rpartition(":")
    if not colon or not digits.isdigit():
        return name, None
    return path, int(digits) if transfer_mode in ("http", "https") else None


def _read_v4(options, suboptions):
    if 150 in options and len(options[150]) >= 4:
        server = str(ipaddress.IPv4Address(options[150][:4]))      # [doc] 150 wins over 66
    elif options.get(66):
        server = options[66].decode("ascii", "replace").strip("\0 ")
    else:
        server = None
    mode = suboptions.get(3) or DEFAULT_TRANSFER_MODE
    image = suboptions.get(0) or suboptions.get(4)                   # [doc] 04 is ignored when 00 is set
    image, image_port = _split_port(image, mode)
    config, config_port = _split_port(suboptions.get(1), mode)
    return ZtpParameters(4, server, mode, image or None, image_port, suboptions.get(2) == "symlink", config or None, config_port)


def _read_v6(options, suboptions):
    server = mode = image = port = None
    url = options.get(59, b"").decode("ascii", "replace")
    if url:
        parts = urllib.parse.urlsplit(url)
        mode, server, port = parts.scheme or None, parts.hostname, parts.port
        image = parts.path or None
    mode = suboptions.get(3) or mode or DEFAULT_TRANSFER_MODE
    image = suboptions.get(0) or suboptions.get(4) or image          # [doc] option 17 wins over 59
    if suboptions.get(5, "").isdigit():
        port = int(suboptions[5])
    port = port if mode in ("http", "https") else None                # one port for both files
    return ZtpParameters(6, server, mode, image, port, suboptions.get(2) == "symlink", suboptions.get(1) or None, port)


def read_answer(answer):
    """ZtpParameters from a DhcpAnswer (vcsim.dhcp_client): a DHCPv4 ACK or a DHCPv6 REPLY."""
    read = _read_v4 if answer.family == 4 else _read_v6
    return read(answer.options, _texts(answer))


def file_url(parameters, path, port=None):
    """The URL the device fetches ``path`` from (http, https, ftp; tftp has no URL here but is shown as one)."""
    host = "[%s]" % parameters.file_server if ":" in parameters.file_server else parameters.file_server
    port = ":%d" % port if port else ""
    return "%s://%s%s/%s" % (parameters.transfer_mode, host, port, path.lstrip("/"))


# -- the network namespace ---------------------------------------------------------------------------


def enter_netns(name):
    """Move the calling thread (only it) into the named network namespace (``ip netns add NAME``)."""
    with open(os.path.join("/var/run/netns", name)) as handle:
        if _LIBC.setns(handle.fileno(), CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, "setns(%s): %s" % (name, os.strerror(errno)))


def _ip(*args):
    """iproute2 in the calling thread's namespace (a child process inherits it)."""
    completed = subprocess.run(("ip",) + args, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise ZtpFailure("ip %s: %s" % (" ".join(args), completed.stderr.strip()))


def start_dhcp_ztp(vc):
    """[doc] ZTP starts when the device boots with the factory-default configuration; here when its spec enables it."""
    if vc.spec.dhcp_ztp is None or vc.spec.initial_config != "factory-default":
        return None
    return DhcpZtp(vc, vc.spec.dhcp_ztp).start()


# -- the ZTP process ---------------------------------------------------------------------------------


class DhcpZtp:
    """One switch's ZTP process, on a thread of its own; stop() ends it between two steps."""

    def __init__(self, vc, settings):
        self.vc = vc
        self.settings = settings
        self.member = vc.chassis.members[settings.member]
        self.mac = settings.mac or self.member.mac
        self._stopping = threading.Event()
        self._configured = []
        self.thread = threading.Thread(target=self._run, name="vcsim-ztp-%s" % vc.name, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self._stopping.set()
        self.thread.join(timeout=self.settings.dhcp_timeout + FETCH_TIMEOUT)

    def _emit(self, event, **fields):
        return self.vc.log.emit(event, member=self.member.id, **fields)

    def _run(self):
        try:
            if self.settings.netns:
                enter_netns(self.settings.netns)
            for attempt in range(1, self.settings.max_attempts + 1):
                if self._stopping.is_set():
                    return
                self._emit("ztp_start", attempt=attempt, interface=self.settings.interface)
                try:
                    self._attempt()
                    return
                except ZtpFailure as failure:
                    self._release()
                    self._emit("ztp_restart", attempt=attempt, reason=str(failure))
                    if not self.vc.clock.sleep(RESTART_DELAY, cancel=self._stopping):
                        return
            self._emit("ztp_gave_up", attempts=self.settings.max_attempts)
        except Exception as err:  # pylint: disable=broad-except
            # A broken simulator must show in the event log, not end a thread silently.
            self._emit("ztp_gave_up", attempts=None, error="%s: %s" % (err.__class__.__name__, err))
            raise
        finally:
            self._release()

    # -- one attempt: DHCP, then the workflow of the document ----------------------------------------

    def _attempt(self):
        family, answer = self._bind()
        parameters = read_answer(answer)
        self._emit("ztp_dhcp_bound", family=family, address=answer.address, dhcp_server=answer.server, **parameters.as_event())
        if not parameters.file_server:
            raise ZtpFailure("no file server information")
        if not parameters.image and not parameters.config:
            raise ZtpFailure("no image or configuration file")
        if parameters.transfer_mode not in TRANSFER_MODES:
            raise ZtpFailure("unknown transfer mode %r" % parameters.transfer_mode)
        new_version = self._image(parameters) if parameters.image else None
        if parameters.config:
            self._configuration(parameters)
        self._emit("ztp_done", version=new_version or self.member.version, reboot=new_version is not None)
        if new_version:
            self.vc.chassis.reboot([self.member.id], self.vc.spec.durations["shutdown"], reason="dhcp-ztp")

    def _bind(self):
        """(family, answer) of the first family that binds: [doc] DHCPv4 first, DHCPv6 when there is no v4 binding."""
        errors = []
        for family in self.settings.families:
            try:
                answer = self._request(family)
                if not answer.address:
                    raise dhcp_client.DhcpError("the answer leases no address")
            except (TimeoutError, OSError, dhcp_client.DhcpError) as err:
                errors.append("DHCPv%d: %s" % (family, err))
                self._emit("ztp_dhcp_failed", family=family, error=str(err))
                continue
            self._configure_address(family, answer)
            return family, answer
        raise ZtpFailure("no DHCP client interface went to a bound state (%s)" % "; ".join(errors))

    def _request(self, family):
        if family == 4:
            return dhcp_client.request_v4(self.settings.interface, self.mac, self.member.model, hostname=self.member.serial,
                                          timeout=self.settings.dhcp_timeout)
        return dhcp_client.request_v6(self.settings.interface, self.mac, self.member.model, timeout=self.settings.dhcp_timeout)

    def _configure_address(self, family, answer):
        """Put the leased address on the interface, as the device's DHCP client does, so that fetches can go out."""
        interface = self.settings.interface
        if family == 4:
            mask = answer.options.get(1)
            prefix = ipaddress.IPv4Network("0.0.0.0/%s" % ipaddress.IPv4Address(mask)).prefixlen if mask and len(mask) == 4 else 32
            address = "%s/%d" % (answer.address, prefix)
            _ip("addr", "replace", address, "dev", interface)
            self._configured.append(("addr", "del", address, "dev", interface))
            router = answer.options.get(3)
            if router and len(router) >= 4:
                gateway = str(ipaddress.IPv4Address(router[:4]))
                _ip("route", "replace", "default", "via", gateway, "dev", interface)
                self._configured.append(("route", "del", "default", "via", gateway, "dev", interface))
        else:
            address = "%s/%d" % (answer.address, V6_PREFIX_LENGTH)
            _ip("-6", "addr", "replace", address, "dev", interface, "nodad")
            self._configured.append(("-6", "addr", "del", address, "dev", interface))

    def _release(self):
        """[doc] a restart resets the DHCP client: the lease's address and route go away."""
        while self._configured:
            subprocess.run(("ip",) + self._configured.pop(), capture_output=True, check=False)

    # -- files --------------------------------------------------------------------------------------

    def _fetch(self, parameters, name, port, kind):
        """Fetch a file named by the answer into /var/tmp; returns its flash path. A failed fetch restarts ZTP."""
        path = posixpath.join(DOWNLOAD_DIRECTORY, posixpath.basename(name) or kind)
        host = self.vc.fs.host_path(path)
        source = file_url(parameters, name, port)
        received, error = 0, None
        try:
            if parameters.transfer_mode == "tftp":
                received = tftp_get(parameters.file_server, name, host)
            else:
                received = self._fetch_url(source, host)
            self.vc.count_fetched_bytes(received)
        except FetchError as err:
            error = str(err)
            host.unlink(missing_ok=True)
        finally:
            self._emit("ztp_fetch", kind=kind, source=source, destination=path, bytes=received, ok=error is None, error=error)
        if error:
            raise ZtpFailure("request for the %s file failed: %s" % (kind, error))
        return path

    def _fetch_url(self, url, host):
        received = 0
        with open_url(url, self.vc.spec.ca_file) as stream, open(host, "wb") as handle:
            while True:
                if self._stopping.is_set():
                    raise FetchError("fetch: %s: interrupted (the simulator is stopping)" % url)
                piece = read_chunk(stream, url, CHUNK)
                if not piece:
                    return received
                handle.write(piece)
                received += len(piece)

    def _image(self, parameters):
        """Install the image unless it is the running version; returns the version it installs, or None."""
        path = self._fetch(parameters, parameters.image, parameters.image_port, "image")
        info = inspect_image(self.vc.fs.host_path(path))
        if info is not None and info.intact and info.version == self.member.version:
            self._emit("ztp_install_skipped", package=path, version=info.version)
            return None
        if info is None or not info.intact:
            reason = "package %s signature/validation failed: package is corrupted or not a Junos package" % path
        elif info.family != family_of(self.member.model):
            reason = "%s is not a valid package for this platform (%s: package is for %s)" % (path, self.member.model, info.family)
        else:
            self.vc.chassis.begin_install(self.member.id, path)
            self.vc.clock.sleep(self.vc.spec.durations["install"], cancel=self._stopping)
            reason = self.vc.chassis.end_install(self.member.id, path, info.version)   # emits install_end / install_fail
            if reason is None:
                return info.version
            raise ZtpFailure("image installation failed: %s" % reason)
        self._emit("install_fail", package=path, reason=reason)
        raise ZtpFailure("image installation failed: %s" % reason)

    def _configuration(self, parameters):
        """[doc] a file whose first line is #! and an interpreter is run; anything else is loaded and committed."""
        path = self._fetch(parameters, parameters.config, parameters.config_port, "configuration")
        text = self.vc.fs.read(path).decode("utf-8", "replace")
        if text.startswith("#!"):
            run = execute(self.vc.fs, path)
            for script in run.scripts:
                self._emit("script_run", path=script.path, interpreter=script.interpreter, exit_status=script.exit_status)
            if run.status != 0:
                raise ZtpFailure("the script %s returned %d" % (path, run.status))
            return
        self._commit(path, text)

    def _commit(self, path, text):
        database = self.vc.config
        session = "dhcp-ztp"
        try:
            # [doc] loaded "as a configuration in text format": Junos XML is no text configuration and does not parse.
            tree = configsyntax.parse_text(text)
            database.load(session, "merge", tree, "xml")
            problem = commit_problem(database.candidate(session), self.vc)
            if problem:
                raise ConfigError(problem + "\nerror: configuration check-out failed")
            self.vc.clock.sleep(self.vc.spec.durations["commit"], cancel=self._stopping)
            committed = database.commit(session, "root", "ZTP: %s" % path)
        except (ConfigError, ValueError) as err:   # ConfigSyntaxError, or lxml refusing a word as an element name
            database.discard(session)
            self._emit("ztp_commit_failed", path=path, error=str(err))
            raise ZtpFailure("the configuration %s does not commit: %s" % (path, err)) from None
        self.vc.committed_changed(committed)
        self._emit("config_commit", comment="ZTP: %s" % path, user="root", confirmed=False, confirms_previous=False, session=None)

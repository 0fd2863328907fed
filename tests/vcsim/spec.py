"""The simulator spec: load it from YAML/JSON or a dict, validate it, fill in defaults.

Every error names the offending key (``vcs[0].members[2].model: ...``) so a broken spec
fails at start-up with a message that says what to fix.
"""

import hashlib
import json
import os
import re
from dataclasses import dataclass, field

import yaml

from .faults import FaultError, validate_fault

# Simulated seconds; see docs/simulator.md for where the EX4300 figures come from.
DEFAULT_DURATIONS = {
    "install": 600.0,             # request system software add, per member
    "validate": 120.0,            # checking the configuration against a package (validate, or add without no-validate)
    "reboot": 300.0,              # a rebooting member is out of the VC this long
    "shutdown": 5.0,              # from the reboot reply to the member leaving the VC
    "rejoin_as_linecard": 30.0,   # a rejoined RE-capable member stays Linecard this long
    "zeroize": 420.0,             # zeroize: erase, then reboot (replaces "reboot")
    "zeroize_media": 1200.0,      # zeroize media: also scrubs the flash
    "commit": 10.0,
    "commit_check": 5.0,
    "storage_cleanup": 5.0,
    "checksum_per_gib": 20.0,     # sha256/md5 of an image on the switch CPU
    "switchover": 5.0,            # from the master-switch reply to the roles changing hands
}

DEFAULT_VERSION = "21.4R3-S5.4"
DEFAULT_MODEL = "ex4300-48p"
# /dev/gpt/junos on an EX4300 (junos-xml/vc/get-system-storage.vc.xml): 2796512 blocks, 1667792 used.
DEFAULT_STORAGE_BYTES = 2796512 * 512
DEFAULT_STORAGE_USED_BYTES = 1667792 * 512
MAX_MEMBER_ID = 9   # EX Virtual Chassis member ids are 0-9

ROLES = ("routing-engine", "line-card")
MODES = ("enabled", "mixed")
_VC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SpecError(ValueError):
    """The spec is invalid; the message names the key."""


@dataclass
class MemberSpec:
    id: int
    serial: str
    model: str
    priority: int
    role: str
    version: str
    mac: str


@dataclass
class FileSpec:
    path: str
    size_bytes: int
    cleanable: bool


@dataclass
class VCSpec:
    name: str
    hostname: str
    port: int
    storage_bytes: int
    storage_used_bytes: int
    mode: str
    preprovisioned: bool
    vc_capable: bool
    initial_config: str
    members: list
    cabling: list
    durations: dict
    faults: list
    files: list
    ca_file: str = None
    dhcp_ztp: "DhcpZtpSpec" = None
    phone_home: "PhoneHomeSpec" = None


@dataclass
class DhcpZtpSpec:
    """How a factory-default standalone switch runs DHCP ZTP (vcsim/ztp.py)."""

    interface: str
    netns: str
    families: tuple
    mac: str
    member: int
    max_attempts: int
    dhcp_timeout: float


@dataclass
class PhoneHomeSpec:
    """How the VC's phone-home client behaves (docs/simulator.md, "The phone-home client")."""
    redirect_url: str
    ca_file: str
    encoding: str
    retry_interval: float
    retry_max_interval: float
    attempts: int
    detection_timeout: float
    image_attempts: int


@dataclass
class SimSpec:
    time_scale: float
    user: str
    password: str
    authorized_keys: list
    vcs: list = field(default_factory=list)


def load_spec(source):
    """Build a SimSpec from a SimSpec, a dict, or a path to a YAML/JSON file."""
    if isinstance(source, SimSpec):
        return source
    if isinstance(source, (str, os.PathLike)):
        with open(source) as handle:
            text = handle.read()
        try:
            data = json.loads(text) if str(source).endswith(".json") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as err:
            raise SpecError("%s: cannot parse: %s" % (source, err))
        return parse_spec(data)
    return parse_spec(source)


class _Reader:
    """Typed access to one mapping of the spec, with the key path for error messages."""

    def __init__(self, data, where, known):
        if not isinstance(data, dict):
            raise SpecError("%s: expected a mapping, got %s" % (where or "spec", type(data).__name__))
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise SpecError("%s: unknown key(s) %s; known keys: %s" % (where or "spec", ", ".join(unknown), ", ".join(known)))
        self.data = data
        self.where = where

    def path(self, key):
        return "%s.%s" % (self.where, key) if self.where else key

    def get(self, key, typ, default):
        value = self.data.get(key, default)
        if value is None and default is None:
            return None
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            raise SpecError("%s: expected %s, got %r" % (self.path(key), typ.__name__, value))
        return value

    def choice(self, key, choices, default):
        value = self.get(key, str, default)
        if value not in choices:
            raise SpecError("%s: expected one of %s, got %r" % (self.path(key), ", ".join(choices), value))
        return value


def parse_spec(data):
    top = _Reader(data, "", ("time_scale", "user", "password", "authorized_keys", "durations", "vcs"))
    time_scale = top.get("time_scale", float, 1.0)
    if time_scale <= 0:
        raise SpecError("time_scale: must be > 0 (real seconds per simulated second)")
    keys = top.get("authorized_keys", list, [])
    for index, key in enumerate(keys):
        if not isinstance(key, str) or len(key.split()) < 2:
            raise SpecError("authorized_keys[%d]: expected an OpenSSH public key line 'type base64 [comment]'" % index)
    durations = _durations(top.get("durations", dict, {}), "durations", DEFAULT_DURATIONS)
    vcs_data = top.get("vcs", list, None)
    if not vcs_data:
        raise SpecError("vcs: at least one Virtual Chassis is required")
    vcs = [_vc(item, "vcs[%d]" % index, durations) for index, item in enumerate(vcs_data)]
    names = [vc.name for vc in vcs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SpecError("vcs: duplicate name(s) %s" % ", ".join(duplicates))
    user = top.get("user", str, "admin")
    password = top.get("password", str, "admin123")
    if not user:
        raise SpecError("user: must not be empty")
    return SimSpec(time_scale=time_scale, user=user, password=password, authorized_keys=keys, vcs=vcs)


def _durations(data, where, base):
    reader = _Reader(data, where, tuple(DEFAULT_DURATIONS))
    merged = dict(base)
    for key in data:
        value = reader.get(key, float, 0.0)
        if value < 0:
            raise SpecError("%s: must not be negative" % reader.path(key))
        merged[key] = value
    return merged


def _vc(data, where, durations):
    reader = _Reader(data, where, ("name", "hostname", "port", "storage_bytes", "storage_used_bytes", "mode", "preprovisioned",
                                   "vc_capable", "initial_config", "members", "cabling", "durations", "faults", "files", "ca_file",
                                   "dhcp_ztp", "phone_home"))
    name = reader.get("name", str, None)
    if not name or not _VC_NAME.match(name):
        raise SpecError("%s: expected letters, digits, '.', '_' or '-', got %r" % (reader.path("name"), name))
    port = reader.get("port", int, 0)
    if not 0 <= port <= 65535:
        raise SpecError("%s: must be 0 (ephemeral) .. 65535" % reader.path("port"))
    storage = reader.get("storage_bytes", int, DEFAULT_STORAGE_BYTES)
    used = reader.get("storage_used_bytes", int, min(DEFAULT_STORAGE_USED_BYTES, storage // 2))
    if storage <= 0 or not 0 <= used < storage:
        raise SpecError("%s: need storage_bytes > storage_used_bytes >= 0" % where)
    members_data = reader.get("members", list, None)
    if not members_data:
        raise SpecError("%s: at least one member is required" % reader.path("members"))
    members = [_member(item, "%s.members[%d]" % (where, index), name) for index, item in enumerate(members_data)]
    ids = [m.id for m in members]
    if len(set(ids)) != len(ids):
        raise SpecError("%s: member ids must be unique, got %s" % (reader.path("members"), ids))
    vc_capable = reader.get("vc_capable", bool, True)
    if not vc_capable and len(members) != 1:
        raise SpecError("%s: a device that is not VC-capable has exactly one member" % reader.path("vc_capable"))
    cabling = _cabling(reader.get("cabling", list, None), reader.path("cabling"), members)
    faults = []
    for index, item in enumerate(reader.get("faults", list, [])):
        if not isinstance(item, dict) or "type" not in item:
            raise SpecError("%s.faults[%d]: expected a mapping with a 'type' key" % (where, index))
        params = {k: v for k, v in item.items() if k != "type"}
        try:
            faults.append(validate_fault(item["type"], params))
        except FaultError as err:
            raise SpecError("%s.faults[%d]: %s" % (where, index, err))
    files = [_file(item, "%s.files[%d]" % (where, index)) for index, item in enumerate(reader.get("files", list, []))]
    initial = reader.get("initial_config", str, "generated")
    ca_file = reader.get("ca_file", str, None)
    if ca_file is not None and not os.path.isfile(ca_file):
        raise SpecError("%s: no such file %r (PEM CA certificates for https fetches)" % (reader.path("ca_file"), ca_file))
    return VCSpec(
        name=name,
        hostname=reader.get("hostname", str, name),
        port=port,
        storage_bytes=storage,
        storage_used_bytes=used,
        mode=reader.choice("mode", MODES, "enabled"),
        preprovisioned=reader.get("preprovisioned", bool, False),
        vc_capable=vc_capable,
        initial_config=initial,
        members=sorted(members, key=lambda m: m.id),
        cabling=cabling,
        durations=_durations(reader.get("durations", dict, {}), reader.path("durations"), durations),
        faults=faults,
        files=files,
        ca_file=ca_file,
        dhcp_ztp=_dhcp_ztp(reader.get("dhcp_ztp", dict, None), reader.path("dhcp_ztp"), members),
        phone_home=_phone_home(reader.get("phone_home", dict, None), reader.path("phone_home")),
    )


_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
# [doc] the device tries DHCPv4 first and DHCPv6 only when no DHCPv4 binding comes up.
ZTP_FAMILIES = {4: (4,), 6: (6,), "both": (4, 6)}


def _dhcp_ztp(data, where, members):
    if data is None:
        return None
    reader = _Reader(data, where, ("interface", "netns", "family", "mac", "max_attempts", "dhcp_timeout"))
    if len(members) != 1:
        raise SpecError("%s: DHCP ZTP runs on a standalone switch (one member); it is not supported for a Virtual Chassis" % where)
    interface = reader.get("interface", str, None)
    if not interface:
        raise SpecError("%s: the interface the switch runs its DHCP client on is required" % reader.path("interface"))
    family = data.get("family", 4)
    if isinstance(family, bool) or family not in ZTP_FAMILIES:
        raise SpecError("%s: expected 4, 6 or both, got %r" % (reader.path("family"), family))
    mac = reader.get("mac", str, None)
    if mac is not None and not _MAC.match(mac.lower()):
        raise SpecError("%s: expected a MAC address like 00:1b:c0:01:02:03" % reader.path("mac"))
    attempts = reader.get("max_attempts", int, 3)
    if attempts < 1:
        raise SpecError("%s: expected at least 1" % reader.path("max_attempts"))
    timeout = reader.get("dhcp_timeout", float, 10.0)
    if timeout <= 0:
        raise SpecError("%s: must be > 0 (real seconds per DHCP exchange)" % reader.path("dhcp_timeout"))
    return DhcpZtpSpec(interface=interface, netns=reader.get("netns", str, None), families=ZTP_FAMILIES[family],
                       mac=mac.lower() if mac else None, member=members[0].id, max_attempts=attempts, dhcp_timeout=timeout)


PHONE_HOME_ENCODINGS = ("legacy", "rfc-compliant")


def _phone_home(data, where):
    """The phone-home client's settings, or None: without them a factory-default VC runs no client."""
    if data is None:
        return None
    reader = _Reader(data, where, ("redirect_url", "ca_file", "encoding", "retry_interval", "retry_max_interval", "attempts",
                                   "detection_timeout", "image_attempts"))
    url = reader.get("redirect_url", str, None)
    if not url or not url.startswith("https://"):
        raise SpecError("%s: expected the redirect server's https:// URL, got %r" % (reader.path("redirect_url"), url))
    ca_file = reader.get("ca_file", str, None)
    if ca_file is not None and not os.path.isfile(ca_file):
        raise SpecError("%s: no such file %r (PEM CA certificates the redirect server is verified with)" % (reader.path("ca_file"), ca_file))
    numbers = {key: reader.get(key, float, default) for key, default in
               (("retry_interval", 60.0), ("retry_max_interval", 600.0), ("detection_timeout", 900.0))}
    for key, value in numbers.items():
        if value <= 0:
            raise SpecError("%s: must be a positive number of simulated seconds" % reader.path(key))
    numbers["image_attempts"] = reader.get("image_attempts", int, 3)
    if numbers["image_attempts"] < 1:
        raise SpecError("%s: must be at least 1" % reader.path("image_attempts"))
    attempts = reader.get("attempts", int, None)
    if attempts is not None and attempts < 1:
        raise SpecError("%s: must be at least 1 (or left out: retry for ever)" % reader.path("attempts"))
    return PhoneHomeSpec(redirect_url=url, ca_file=ca_file, encoding=reader.choice("encoding", PHONE_HOME_ENCODINGS, "rfc-compliant"),
                         attempts=attempts, **numbers)


def _derived(vc_name, member_id, size):
    return hashlib.sha256(("%s/%d" % (vc_name, member_id)).encode()).hexdigest()[:size].upper()


def _member(data, where, vc_name):
    reader = _Reader(data, where, ("id", "serial", "model", "priority", "role", "version", "mac"))
    member_id = reader.get("id", int, None)
    if member_id is None or not 0 <= member_id <= MAX_MEMBER_ID:
        raise SpecError("%s: expected a member id 0..%d" % (reader.path("id"), MAX_MEMBER_ID))
    role = reader.choice("role", ROLES, "routing-engine")
    priority = reader.get("priority", int, 128 if role == "routing-engine" else 0)
    if not 0 <= priority <= 255:
        raise SpecError("%s: expected 0..255" % reader.path("priority"))
    model = reader.get("model", str, DEFAULT_MODEL).lower()
    if not re.match(r"^[a-z]+\d+", model):
        raise SpecError("%s: expected a Junos model name like ex4300-48p, got %r" % (reader.path("model"), model))
    digest = _derived(vc_name, member_id, 12)
    mac = reader.get("mac", str, "00:1b:c0:%s:%s:%s" % (digest[0:2], digest[2:4], digest[4:6])).lower()
    if not _MAC.match(mac):
        raise SpecError("%s: expected a MAC address like 00:1b:c0:01:02:03" % reader.path("mac"))
    return MemberSpec(
        id=member_id,
        serial=reader.get("serial", str, "PE" + digest[:10]),
        model=model,
        priority=priority,
        role=role,
        version=reader.get("version", str, DEFAULT_VERSION),
        mac=mac,
    )


def _cabling(data, where, members):
    ids = [m.id for m in members]
    if data is None:
        # Default: a ring in member order, each member's vcp-255/1/1 cabled to the next one's vcp-255/1/0.
        if len(ids) < 2:
            return []
        return [(a, "vcp-255/1/1", ids[(index + 1) % len(ids)], "vcp-255/1/0") for index, a in enumerate(ids)]
    links = []
    used = set()
    for index, link in enumerate(data):
        here = "%s[%d]" % (where, index)
        if not isinstance(link, (list, tuple)) or len(link) != 4:
            raise SpecError("%s: expected [a_member, a_port, b_member, b_port]" % here)
        a_member, a_port, b_member, b_port = link
        for member in (a_member, b_member):
            if member not in ids:
                raise SpecError("%s: member %r is not in the member list" % (here, member))
        for port in (a_port, b_port):
            if not isinstance(port, str) or not port.startswith("vcp-"):
                raise SpecError("%s: expected a port name like vcp-255/1/0, got %r" % (here, port))
        if a_member == b_member:
            raise SpecError("%s: a link joins two different members" % here)
        for end in ((a_member, a_port), (b_member, b_port)):
            if end in used:
                raise SpecError("%s: member %d port %s is cabled twice" % (here, end[0], end[1]))
            used.add(end)
        links.append((a_member, a_port, b_member, b_port))
    return links


def _file(data, where):
    reader = _Reader(data, where, ("path", "size_bytes", "cleanable"))
    path = reader.get("path", str, None)
    if not path or not path.startswith("/var/"):
        raise SpecError("%s: expected an absolute path under /var/" % reader.path("path"))
    size = reader.get("size_bytes", int, 0)
    if size < 0:
        raise SpecError("%s: must not be negative" % reader.path("size_bytes"))
    return FileSpec(path=path, size_bytes=size, cleanable=reader.get("cleanable", bool, True))

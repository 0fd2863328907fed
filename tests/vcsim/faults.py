"""Fault vocabulary shared by the spec file, the Python API and the control channel.

A fault is a kind plus typed parameters. This module only validates and stores them;
the code that a fault affects asks the registry (``Faults.find`` / ``Faults.take``).
"""

import threading


class FaultError(ValueError):
    """A fault name or parameter is invalid."""


# kind -> {param: (type, default)}; a default of REQUIRED means the caller must give it.
REQUIRED = object()

FAULT_KINDS = {
    # The member reboots but never rejoins the VC.
    "member_never_returns": {"member": (int, REQUIRED)},
    # The member rejoins this many simulated seconds later than the reboot duration.
    "member_returns_late": {"member": (int, REQUIRED), "seconds": (float, REQUIRED)},
    # request-package-add on this member runs for the install time, then fails.
    "install_fails": {"member": (int, REQUIRED)},
    # The VCP link on (member, port) is down, on both ends.
    "vcp_link_down": {"member": (int, REQUIRED), "port": (str, REQUIRED)},
    # The next SCP upload gets some bytes flipped on the way to disk (one shot).
    "corrupt_next_upload": {},
    # Only this many bytes are free from now on (0 = disk full).
    "disk_full": {"bytes_available": (int, 0)},
    # The next RPC with this name gets half a reply, then the SSH transport is closed (one shot).
    "drop_session": {"rpc": (str, REQUIRED)},
    # Every RPC with this name takes this many extra simulated seconds.
    "slow_rpc": {"rpc": (str, REQUIRED), "seconds": (float, REQUIRED)},
    # Every member reports mixed mode: virtual-chassis-mode Mixed.
    "mixed_mode": {},
    # The member reports this serial number instead of the one in the spec.
    "unexpected_serial": {"member": (int, REQUIRED), "serial": (str, REQUIRED)},
    # The committed configuration does not validate against any package (request-package-validate, and
    # request-package-add without no-validate).
    "package_validation_fails": {},
}

ONE_SHOT = frozenset(("corrupt_next_upload", "drop_session"))


def _convert(kind, name, typ, value):
    if typ is str:
        if not isinstance(value, str) or not value:
            raise FaultError("fault %s: %s must be a non-empty string" % (kind, name))
        return value
    if isinstance(value, bool):
        raise FaultError("fault %s: %s must be a number, not a boolean" % (kind, name))
    try:
        converted = typ(value)
    except (TypeError, ValueError):
        raise FaultError("fault %s: %s must be %s, got %r" % (kind, name, typ.__name__, value))
    if converted < 0:
        raise FaultError("fault %s: %s must not be negative" % (kind, name))
    return converted


def validate_fault(kind, params):
    """Return (kind, params) with defaults filled in and values converted, or raise FaultError."""
    if kind not in FAULT_KINDS:
        raise FaultError("unknown fault %r; known faults: %s" % (kind, ", ".join(sorted(FAULT_KINDS))))
    schema = FAULT_KINDS[kind]
    unknown = sorted(set(params) - set(schema))
    if unknown:
        raise FaultError("fault %s: unknown parameter(s) %s; expected %s" % (kind, ", ".join(unknown), ", ".join(schema) or "none"))
    clean = {}
    for name, (typ, default) in schema.items():
        if name in params:
            clean[name] = _convert(kind, name, typ, params[name])
        elif default is REQUIRED:
            raise FaultError("fault %s: parameter %r is required" % (kind, name))
        else:
            clean[name] = default
    return kind, clean


class Faults:
    """Thread-safe registry of the faults active on one VC."""

    def __init__(self):
        self._lock = threading.Lock()
        self._active = []

    def add(self, kind, params):
        kind, params = validate_fault(kind, params)
        with self._lock:
            self._active.append((kind, params))
        return params

    def clear(self, kind=None):
        """Remove every fault (of one kind); return the removed (kind, params) pairs."""
        with self._lock:
            removed = [f for f in self._active if kind is None or f[0] == kind]
            self._active = [f for f in self._active if f not in removed]
        return removed

    def find(self, kind, **match):
        """Parameters of the first active fault of this kind whose parameters match, else None."""
        with self._lock:
            for active_kind, params in self._active:
                if active_kind == kind and all(params.get(k) == v for k, v in match.items()):
                    return dict(params)
        return None

    def take(self, kind, **match):
        """Like find, but removes a one-shot fault once it has fired."""
        with self._lock:
            for index, (active_kind, params) in enumerate(self._active):
                if active_kind == kind and all(params.get(k) == v for k, v in match.items()):
                    if kind in ONE_SHOT:
                        del self._active[index]
                    return dict(params)
        return None

    def active(self):
        with self._lock:
            return [(kind, dict(params)) for kind, params in self._active]

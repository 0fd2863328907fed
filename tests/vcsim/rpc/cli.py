"""<command> (CLI text over NETCONF): the show commands PyEZ and operators send, mapped to RPCs.

On a VC, "show version invoke-on all-routing-engines" is a syntax error and "show version
all-members" gives one item per member - the sequence PyEZ facts rely on
(junos-xml/vc/show-version-all-members.ex.xml). format="text" answers render CLI-like text.
"""

import re

from ..xmlreply import RpcFailure, element, sub
from .system import multi_re, software_element


def _request(tag, *children, **attrs):
    node = element(tag)
    for child in children:
        sub(node, child)
    for name, value in attrs.items():
        node.set(name, value)
    return node


# (command regex, builder(vc) -> request element or None when the command is not valid here)
_COMMANDS = (
    (r"show version", lambda vc: _request("get-software-information")),
    (r"show version all-members", lambda vc: _request("get-software-information", "all-members") if vc.spec.vc_capable else None),
    (r"show virtual-chassis( status)?", lambda vc: _request("get-virtual-chassis-information")),
    (r"show virtual-chassis vc-port( all-members)?", lambda vc: _request("get-virtual-chassis-port-information")),
    (r"show chassis hardware", lambda vc: _request("get-chassis-inventory")),
    (r"show chassis routing-engine", lambda vc: _request("get-route-engine-information")),
    (r"show system storage", lambda vc: _request("get-system-storage")),
    (r"show configuration", lambda vc: _request("get-configuration", database="committed", format="text")),
    (r"request chassis routing-engine master switch( no-confirm)?", lambda vc: _request("request-chassis-routing-engine-master-switch")),
)


def command(context, request):
    words = (request.text or "").split("|")[0].split()
    line = " ".join(words)
    vc = context.vc
    if line == "show version invoke-on all-routing-engines" and not vc.spec.vc_capable:
        return multi_re([("re0", software_element(vc, vc.chassis.master_id()))])
    for pattern, build in _COMMANDS:
        if re.fullmatch(pattern, line):
            built = build(vc)
            if built is None:
                break
            result = context.dispatch(built)
            return _as_text(result) if request.get("format") == "text" else result
    known = {word for pattern, unused_build in _COMMANDS for word in re.findall(r"[a-z-]+", pattern)}
    unknown = next((word for word in words if word not in known), words[-1] if words else "command")
    raise RpcFailure("syntax error", bad_element=unknown)


def _as_text(elements):
    """CLI text for format="text": dedicated layouts for show virtual-chassis / show version, else 'name: value' lines."""
    first = elements[0] if elements else element("output")
    if first.tag == "output":
        return first
    if first.tag == "configuration-text":
        return element("output", first.text)
    if first.tag == "virtual-chassis-information":
        return element("output", _virtual_chassis_text(first))
    infos = [first] if first.tag == "software-information" else first.findall(".//software-information")
    if infos:
        return element("output", "".join(_version_text(info) for info in infos))
    lines = []
    for node in elements:
        _text_lines(node, 0, lines)
    return element("output", "\n".join(lines) + "\n")


def _virtual_chassis_text(info):
    header = info[0]
    lines = ["", "Preprovisioned Virtual Chassis" if header.tag.startswith("preprovisioned") else "",
             "Virtual Chassis ID: %s" % header.findtext("virtual-chassis-id"),
             "Virtual Chassis Mode: %s" % header.findtext("virtual-chassis-mode"),
             "%48s%-15s%-6s%s" % ("", "Mstr", "Mixed", "Route Neighbor List"),
             "Member ID  Status   Serial No    Model          prio  Role      Mode  Mode ID  Interface"]
    for member in info.iter("member"):
        start = "%-10s %-8s %-12s %-14s" % ("%s %s" % (member.findtext("member-id"), member.findtext("fpc-slot")),
                                            member.findtext("member-status"), member.findtext("member-serial-number"),
                                            member.findtext("member-model"))
        if member.findtext("member-status") != "Prsnt":
            lines.append(start.rstrip())
            continue
        start += " %-5s %-9s %4s  %-4s" % tuple(member.findtext(tag) for tag in (
            "member-priority", "member-role", "member-mixed-mode", "member-route-mode"))
        neighbors = [(n.findtext("neighbor-id"), n.findtext("neighbor-interface")) for n in member.iter("neighbor")] or [("", "")]
        for index, (neighbor, interface) in enumerate(neighbors):
            lines.append(("%s %-2s %s" % (start if index == 0 else " " * len(start), neighbor, interface)).rstrip())
    return "\n".join(lines) + "\n"


def _version_text(info):
    lines = []
    name = info.getparent().findtext("re-name") if info.getparent() is not None else None
    if name:
        lines += ["", "%s:" % name, "-" * 74]
    if info.findtext("host-name"):
        lines.append("Hostname: %s" % info.findtext("host-name"))
    lines += ["Model: %s" % info.findtext("product-model"), "Junos: %s" % info.findtext("junos-version")]
    lines += [package.findtext("comment") for package in info.iter("package-information")]
    return "\n".join(lines) + "\n"


def _text_lines(node, depth, lines):
    children = [child for child in node if isinstance(child.tag, str)]
    value = (node.text or "").strip()
    label = node.tag.split("}")[-1]
    if children:
        if depth:
            lines.append("%s%s:" % ("  " * (depth - 1), label))
        for child in children:
            _text_lines(child, depth + 1, lines)
    elif value:
        lines.append("%s%s: %s" % ("  " * max(0, depth - 1), label, value))


HANDLERS = {"command": command}

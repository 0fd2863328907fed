"""Virtual Chassis RPCs: show virtual-chassis, show virtual-chassis vc-port, request virtual-chassis mode."""

from ..xmlreply import RpcFailure, element, set_junos, sub
from .common import cli_banner, flag, re_name, target_members
from .system import multi_re


def _require_vc(context, request):
    if not context.vc.spec.vc_capable:
        raise RpcFailure("syntax error", bad_element=request.tag)


def vc_id(vc):
    """Virtual Chassis ID in Junos' xxxx.xxxx.xxxx form, from the lowest member's MAC."""
    digits = vc.chassis.members[min(vc.chassis.members)].mac.replace(":", "")
    return "%s.%s.%s" % (digits[0:4], digits[4:8], digits[8:12])


# Follows junos-xml/vc/get-virtual-chassis-information.ex-3member.xml: NotPrsnt members carry only
# status, id, fpc-slot, serial and model; "Master*" marks the member the session is logged into;
# <next-member-information> and the {master:N} banner follow pyez/facts/vc_mmvc_get-virtual-chassis-information.xml.
def _provisioned_serials(vc):
    stanza = vc.config.committed.find("virtual-chassis")
    return {entry.findtext("serial-number") for entry in stanza.findall("member")} if stanza is not None else set()


def member_status(view, provisioned):
    """Prsnt / NotPrsnt, or Unprvsnd: connected to a preprovisioned VC whose configuration does not list its serial.

    [guess] An Unprvsnd member carries the five fields of a NotPrsnt one; it never holds a role (priority 0).
    """
    if not view.present:
        return "NotPrsnt"
    if provisioned is not None and view.serial not in provisioned:
        return "Unprvsnd"
    return "Prsnt"


def get_virtual_chassis_information(context, request):
    _require_vc(context, request)
    vc = context.vc
    chassis = vc.chassis
    info = element("virtual-chassis-information")
    header = sub(info, "preprovisioned-virtual-chassis-information" if chassis.preprovisioned else "virtual-chassis-id-information")
    sub(header, "virtual-chassis-id", vc_id(vc))
    sub(header, "virtual-chassis-mode", chassis.mode())
    members = set_junos(sub(info, "member-list"), "style", "single-slot")
    provisioned = _provisioned_serials(vc) if chassis.preprovisioned else None
    for view in chassis.views():
        status = member_status(view, provisioned)
        member = sub(members, "member")
        sub(member, "member-status", status)
        sub(member, "member-id", view.id)
        sub(member, "fpc-slot", "(FPC %d)" % view.id)
        sub(member, "member-serial-number", view.serial)
        sub(member, "member-model", view.model)
        if status != "Prsnt":
            continue
        sub(member, "member-priority", view.priority)
        sub(member, "member-mixed-mode", "Y" if view.mixed else "N")
        sub(member, "member-route-mode", "VC")
        role = view.role or "Linecard"
        sub(member, "member-role", role + "*" if view.id == context.session.member_id else role)
        neighbors = sub(member, "neighbor-list")
        for port in chassis.ports(view.id):
            if port.status == "Up":
                neighbor = sub(neighbors, "neighbor")
                sub(neighbor, "neighbor-id", port.neighbor_id)
                sub(neighbor, "neighbor-interface", port.name)
    # The member ID a new member would get: the lowest one not in use (pyez/facts/vc_mmvc_...: 2 after members 0, 1).
    unused = [member_id for member_id in range(10) if member_id not in chassis.members]
    if unused:
        following = sub(info, "next-member-information")
        sub(following, "next-member-id", unused[0])
        sub(following, "next-fpc-slot", unused[0])
    return [info, cli_banner(context)]


# Follows junos-xml/vc/get-virtual-chassis-port-information.ex.xml; <port-type> (Dedicated /
# Default / Configured) and <trunk-id> are guessed element names for the CLI's Type/Trunk ID columns.
def get_virtual_chassis_port_information(context, request):
    _require_vc(context, request)
    chassis = context.vc.chassis
    items = []
    for member_id in target_members(context, request):
        info = element("virtual-chassis-port-information")
        ports = sub(info, "port-list")
        for port in chassis.ports(member_id):
            entry = sub(ports, "port-information")
            sub(entry, "port-name", port.name)
            sub(entry, "port-type", port.type)
            sub(entry, "trunk-id", 1 if port.status == "Up" else -1)
            sub(entry, "port-status", port.status)
            sub(entry, "port-speed", port.speed)
            if port.status == "Up":
                sub(entry, "neighbor-id", port.neighbor_id)
                sub(entry, "neighbor-interface", port.neighbor_port)
        items.append((re_name(member_id), info))
    return multi_re(items)


def req_virtual_chassis_mode(context, request):
    """request virtual-chassis mode [mixed] [disable]: takes effect when the members reboot."""
    _require_vc(context, request)
    if not flag(request, "mixed"):
        raise RpcFailure("syntax error, expecting <mixed>", bad_element=request.tag)
    disable = flag(request, "disable")
    context.vc.chassis.set_pending_mixed(target_members(context, request), not disable)
    mode = "Non-Mixed Mode" if disable else "Mixed Mode"
    return element("output", "Mode set to '%s'.  Please reboot the system to complete the process." % mode)


# request chassis routing-engine master switch [no-confirm]: the RPC name follows Junos' CLI-to-RPC
# naming [guess: not in the reference YANG]; the output text is the dual-RE CLI's [guess]. The roles
# change `switchover` seconds after the reply, and every session drops with the old master.
def request_chassis_routing_engine_master_switch(context, request):
    vc = context.vc
    if vc.chassis.backup_id() is None:
        raise RpcFailure("error: Mastership switch is not possible: there is no Backup member in the Virtual Chassis")
    vc.scheduler.call_later(vc.spec.durations["switchover"], vc.chassis.switchover)
    return element("output", "Resolving mastership...\nComplete. The other routing engine becomes the master.")


HANDLERS = {
    "request-chassis-routing-engine-master-switch": request_chassis_routing_engine_master_switch,
    "get-virtual-chassis-information": get_virtual_chassis_information,
    "get-virtual-chassis-port-information": get_virtual_chassis_port_information,
    "req-virtual-chassis-mode": req_virtual_chassis_mode,
}

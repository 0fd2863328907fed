"""Small helpers shared by the RPC handlers."""

import time

from ..xmlreply import RpcFailure, element, sub


class SessionGone(Exception):
    """The session was torn down while a handler was waiting; there is nobody to answer."""


def flag(request, name):
    return request.find(name) is not None


def text(request, name, default=None):
    value = request.findtext(name)
    return value.strip() if value is not None and value.strip() else default


def required(request, name):
    value = text(request, name)
    if value is None:
        raise RpcFailure("syntax error, expecting <%s>" % name, bad_element=request.tag)
    return value


def re_name(member_id):
    """Routing-engine name of a VC member in multi-routing-engine replies (and PyEZ's junos_info keys)."""
    return "fpc%d" % member_id


def cli_banner(context):
    """``<cli><banner>{master:N}</banner></cli>``: the prompt Junos appends to operational replies on a VC member
    (vc/get-system-storage.vc.xml, pyez/facts/vc_mmvc_get-virtual-chassis-information.xml), N the member of the session."""
    member_id = context.session.member_id if context.session.member_id is not None else context.vc.chassis.master_id()
    cli = element("cli")
    sub(cli, "banner", "{master:%d}" % member_id)
    return cli


def not_present(member_id):
    # What Junos answers when a command is forwarded to a member that is not in the VC.
    return RpcFailure("error: Could not connect to %s : Can't assign requested address" % re_name(member_id))


def target_members(context, request):
    """Members addressed by the command-forwarding options: <member>N, <local/>, <all-members/> or none (all)."""
    chassis = context.vc.chassis
    member = text(request, "member")
    if member is not None:
        try:
            member_id = int(member)
        except ValueError:
            raise RpcFailure("syntax error, expecting <member> number", bad_element=member)
        if member_id not in chassis.members or not chassis.members[member_id].present:
            raise not_present(member_id)
        return [member_id]
    if flag(request, "local"):
        return [context.session.member_id if context.session.member_id is not None else chassis.master_id()]
    return [view.id for view in chassis.views() if view.present]


def local_time(epoch):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def human_size(count):
    """Like df -h / ls -h on Junos: 442M, 1.3G, 11B."""
    for unit, scale in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if count >= scale:
            value = count / scale
            return ("%.1f%s" % (value, unit)) if value < 10 else ("%d%s" % (value, unit))
    return "%dB" % count

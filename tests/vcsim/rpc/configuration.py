"""Configuration RPCs: Junos' own (lock/load/commit/get-configuration...) and the NETCONF base ops.

Shapes: <load-configuration-results><ok/>, <commit-results><routing-engine> per RE member (as a VC
commit syncs master and backup), <configuration-information><configuration-output> for compare
(what PyEZ Config.diff() reads), <configuration-text>/<configuration-set> for the text formats.
"""

import re

from .. import configsyntax
from ..chassis import priorities_from_config
from ..configdb import ConfigError, subtree_filter
from ..xmlreply import JUNOS, RpcFailure, element, set_junos, sub
from .common import flag, local_time, re_name, text


def _failure(err):
    return RpcFailure(err.message, bad_element=err.bad_element)


def _session(context):
    return context.session.id


def lock_configuration(context, request):
    try:
        context.vc.config.lock(_session(context))
    except ConfigError as err:
        raise _failure(err)


def unlock_configuration(context, request):
    try:
        context.vc.config.unlock(_session(context))
    except ConfigError as err:
        raise _failure(err)


def open_configuration(context, request):
    mode = "private" if flag(request, "private") else "exclusive" if flag(request, "exclusive") else None
    if mode is None:
        raise RpcFailure("the simulator supports <private/> and <exclusive/> only", bad_element=request.tag)
    try:
        context.vc.config.open(_session(context), mode)
    except ConfigError as err:
        raise _failure(err)


def close_configuration(context, request):
    context.vc.config.close(_session(context))


def load_configuration(context, request):
    db = context.vc.config
    action = request.get("action", "merge")
    if action not in ("merge", "replace", "override", "update", "set"):
        raise RpcFailure("syntax error, unsupported action '%s'" % action, bad_element="action")
    try:
        if request.get("rollback") is not None:
            db.load_rollback(_session(context), int(request.get("rollback")))
        elif request.get("url"):
            raise RpcFailure("the simulator does not load configuration from a url", bad_element="url")
        elif request.find("configuration-set") is not None:
            db.load(_session(context), "merge", request.findtext("configuration-set") or "", "set")
        elif request.find("configuration-text") is not None:
            payload_format = "set" if action == "set" else "text"
            db.load(_session(context), action, request.findtext("configuration-text") or "", payload_format)
        elif request.find("configuration") is not None:
            db.load(_session(context), action, request.find("configuration"), "xml")
        else:
            raise RpcFailure("syntax error, expecting <configuration>, <configuration-text> or <configuration-set>", bad_element=request.tag)
    except ConfigError as err:
        raise _failure(err)
    except ValueError:
        raise RpcFailure("syntax error, expecting rollback number", bad_element="rollback")
    results = element("load-configuration-results")
    sub(results, "ok")
    return results


_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


def commit_problem(tree, vc):
    """Commit-time checks on the parts the simulator acts on; returns an error message or None."""
    hostname = tree.findtext("system/host-name")
    if hostname is not None and not _HOSTNAME.match(hostname):
        return "[edit system]\n  'host-name %s'\n    Invalid hostname" % hostname
    stanza = tree.find("virtual-chassis")
    if stanza is None:
        return None
    preprovisioned = stanza.find("preprovisioned") is not None
    for member in stanza.findall("member"):
        name = member.findtext("name", "")
        where = "[edit virtual-chassis member %s]\n  " % name
        if not name.isdigit() or int(name) > 9:
            return "[edit virtual-chassis]\n  'member %s'\n    Value %s is not within range (0..9)" % (name, name)
        priority = member.findtext("mastership-priority")
        if priority is not None and (not priority.isdigit() or int(priority) > 255):
            return where + "'mastership-priority %s'\n    Value %s is not within range (0..255)" % (priority, priority)
        role = member.findtext("role")
        if role is not None and role not in ("routing-engine", "line-card"):
            return where + "'role %s'\n    syntax error, expecting 'routing-engine' or 'line-card'" % role
        if preprovisioned and (role is None or member.findtext("serial-number") is None):
            return where + "preprovisioned member needs both role and serial-number"
    priorities, unused_preprovisioned = priorities_from_config(tree, list(vc.chassis.members))
    if not any(priorities.values()):
        return "[edit virtual-chassis]\n  no member can become the primary (every member is a line card)"
    return None


# [guess] from the CLI's per-RE commit output on a VC ("fpc0: configuration check succeeds ...").
def _commit_results(vc, check):
    results = element("commit-results")
    for member_id in (vc.chassis.master_id(), vc.chassis.backup_id()):
        if member_id is None:
            continue
        engine = set_junos(sub(results, "routing-engine"), "style", "normal")
        sub(engine, "name", re_name(member_id))
        sub(engine, "commit-check-success" if check else "commit-success")
    return results


def commit_configuration(context, request):
    vc = context.vc
    session = _session(context)
    problem = commit_problem(vc.config.candidate(session), vc)
    if problem:
        raise RpcFailure(problem + "\nerror: configuration check-out failed")
    if flag(request, "check"):
        context.sleep(vc.spec.durations["commit_check"])
        return _commit_results(vc, check=True)
    if request.find("at-time") is not None:
        raise RpcFailure("the simulator does not support commit at", bad_element="at-time")
    context.sleep(vc.spec.durations["commit"])
    comment = text(request, "log", "")
    try:
        tree = vc.config.commit(session, context.session.user, comment)
    except ConfigError as err:
        raise _failure(err)
    vc.committed_changed(tree)
    confirmed_earlier = vc.confirm_commit()
    confirmed = flag(request, "confirmed")
    if confirmed:
        minutes = text(request, "confirm-timeout", "10")
        if not minutes.isdigit() or not 1 <= int(minutes) <= 65535:
            raise RpcFailure("syntax error, expecting <confirm-timeout> minutes", bad_element=minutes)
        vc.arm_confirmed_rollback(int(minutes))
    vc.log.emit("config_commit", member=vc.chassis.master_id(), comment=comment, user=context.session.user,
                confirmed=confirmed, confirms_previous=confirmed_earlier, session=session)
    return _commit_results(vc, check=False)


def _decorate(tree, vc):
    last = vc.config.last_commit()
    tree.set("{%s}commit-seconds" % JUNOS, str(last.seconds))
    tree.set("{%s}commit-localtime" % JUNOS, local_time(last.seconds))
    tree.set("{%s}commit-user" % JUNOS, last.user)
    return tree


def get_configuration(context, request):
    vc = context.vc
    db = vc.config
    session = _session(context)
    rollback = request.get("rollback")
    try:
        number = int(rollback) if rollback is not None else 0
        if request.get("compare") == "rollback":
            output = element("configuration-information")
            sub(output, "configuration-output", configsyntax.diff_text(db.rollback(number), db.candidate(session)))
            return output
        if rollback is not None:
            tree = db.rollback(number)
        else:
            tree = db.committed if request.get("database") == "committed" else db.candidate(session)
    except ConfigError as err:
        raise _failure(err)
    except ValueError:
        raise RpcFailure("syntax error, expecting rollback number", bad_element="rollback")
    selector = request.find("configuration")
    if selector is not None and len(selector):
        tree = subtree_filter(tree, selector)
    last = db.last_commit()
    header = "## Last commit: %s by %s\n" % (local_time(last.seconds), last.user)
    response_format = request.get("format", "xml")
    if response_format == "text":
        return element("configuration-text", header + configsyntax.render_text(tree))
    if response_format == "set":
        return element("configuration-set", header + configsyntax.render_set(tree))
    if response_format != "xml":
        raise RpcFailure("the simulator does not support format '%s'" % response_format, bad_element="format")
    return _decorate(tree, vc)


# -- NETCONF base operations (RFC 6241), for clients that do not use the Junos RPCs ------------

def _datastore(request, name):
    holder = request.find(name)
    chosen = [child.tag for child in holder] if holder is not None else []
    return chosen[0] if chosen else None


def nc_lock(context, request):
    if _datastore(request, "target") != "candidate":
        raise RpcFailure("the simulator locks the candidate datastore only", bad_element="target")
    lock_configuration(context, request)
    return element("ok")


def nc_unlock(context, request):
    unlock_configuration(context, request)
    return element("ok")


def nc_get_config(context, request):
    source = _datastore(request, "source")
    db = context.vc.config
    tree = db.committed if source == "running" else db.candidate(_session(context))
    selector = request.find("filter/configuration")
    if selector is not None and len(selector):
        tree = subtree_filter(tree, selector)
    data = element("data")
    data.append(_decorate(tree, context.vc))
    return data


def nc_edit_config(context, request):
    config = request.find("config/configuration")
    if config is None:
        raise RpcFailure("syntax error, expecting <config><configuration>", bad_element="config")
    action = {"merge": "merge", "replace": "override", "none": "merge"}.get(text(request, "default-operation", "merge"), "merge")
    try:
        context.vc.config.load(_session(context), action, config, "xml")
    except ConfigError as err:
        raise _failure(err)
    return element("ok")


def nc_commit(context, request):
    commit_configuration(context, element("commit-configuration"))
    return element("ok")


def nc_discard_changes(context, request):
    context.vc.config.discard(_session(context))
    return element("ok")


HANDLERS = {
    "lock-configuration": lock_configuration,
    "unlock-configuration": unlock_configuration,
    "open-configuration": open_configuration,
    "close-configuration": close_configuration,
    "load-configuration": load_configuration,
    "commit-configuration": commit_configuration,
    "get-configuration": get_configuration,
    "lock": nc_lock,
    "unlock": nc_unlock,
    "get-config": nc_get_config,
    "edit-config": nc_edit_config,
    "commit": nc_commit,
    "discard-changes": nc_discard_changes,
}

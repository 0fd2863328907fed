"""Software install, reboot and zeroize RPCs.

Install replies follow pyez/utils/request-package-add.xml: <output> text plus <package-result>
0|1. The ERROR lines for a missing, foreign or corrupted package are guesses at Junos' wording
(docs/simulator.md); PyEZ only looks at package-result.
"""

from ..images import inspect_image
from ..platforms import family_of
from ..xmlreply import RpcFailure, element, sub
from .common import flag, local_time, re_name, required, target_members, text
from .system import multi_re


def _result(lines, code):
    return [element("output", "\n".join(lines)), element("package-result", code)]


# Follows pyez/utils/request-package-check-pending-install.xml; the message for a pending install is a guess.
def request_package_checks_pending_install(context, request):
    pending = [view.id for view in context.vc.chassis.views() if view.pending_version]
    if not pending:
        return _result([], 0)
    members = ", ".join(re_name(i) for i in pending)
    return _result(["There is a pending software installation on %s." % members,
                    "Reboot to complete it before installing another package."], 1)


def _check_package(vc, path, members):
    """ERROR lines if the package can not be installed on these members, else (image info, [])."""
    stat = vc.fs.stat(path)
    if stat is None or stat.st_size == 0:
        return None, ["ERROR: Failed to fetch package %s: No such file or directory" % path]
    info = inspect_image(vc.fs.host_path(path))
    if info is None or not info.intact:
        return None, ["ERROR: Package %s signature/validation failed: package is corrupted or not a Junos package" % path]
    errors = []
    for member_id in members:
        model = vc.chassis.members[member_id].model
        if family_of(model) != info.family:
            errors.append("ERROR: %s is not a valid package for this platform (%s, member %d: package is for %s)"
                          % (path, model, member_id, info.family))
    return info, errors


# [guess] What Junos prints while it validates the committed configuration against a package (request system
# software validate, and software add without no-validate) is not in the samples: these lines follow CLI
# transcripts in Juniper's manuals. The reply shape is the install's (<output>, <package-result> 0|1).
def _validate(context, path, member_id):
    """Check the committed configuration against the package, as mgd does; (output lines, passed)."""
    vc = context.vc
    context.sleep(vc.spec.durations["validate"])
    failure = vc.faults.find("package_validation_fails") is not None
    lines = ["Checking compatibility with configuration", "Initializing...", "Using %s" % path,
             "Verified manifest signed by PackageProductionECP256_2023 method ECDSA256+SHA256",
             "Validating against /config/juniper.conf.gz"]
    if failure:
        lines += ["mgd: error: configuration check-out failed", "Validation failed"]
    else:
        lines += ["mgd: commit complete", "Validation succeeded"]
    vc.log.emit("package_validate", member=member_id, package=path, passed=not failure)
    return lines, not failure


def _package_request(context, request):
    """(package path, target members, image info, ERROR lines) of a package-add or package-validate request."""
    path = context.vc.fs.junos_path(required(request, "package-name"))
    members = target_members(context, request)
    info, errors = _check_package(context.vc, path, members)
    return path, members, info, errors


def request_package_validate(context, request):
    path, members, unused_info, errors = _package_request(context, request)
    if errors:
        return _result(errors, 1)
    lines, passed = _validate(context, path, members[0])
    return _result(lines, 0 if passed else 1)


def request_package_add(context, request):
    vc = context.vc
    path, members, info, errors = _package_request(context, request)
    if errors:
        return _result(["Installing package '%s' ..." % path] + errors, 1)
    if not flag(request, "no-validate"):
        # Junos validates unless told not to; a configuration that fails stops the install before it starts.
        lines, passed = _validate(context, path, members[0])
        if not passed:
            return _result(lines, 1)
    for member_id in members:
        vc.chassis.begin_install(member_id, path)
    context.sleep(vc.spec.durations["install"])
    lines = []
    failed = False
    for member_id in members:
        reason = vc.chassis.end_install(member_id, path, info.version)
        if len(members) > 1 or vc.spec.vc_capable:
            lines += ["%s:" % re_name(member_id), "-" * 74]
        lines += ["Verified %s signed by PackageProductionECP256_2023 method ECDSA256+SHA256" % path.rsplit("/", 1)[-1],
                  "Installing package '%s' ..." % path]
        if reason:
            failed = True
            lines.append("ERROR: %s" % reason)
        else:
            lines += ["JUNOS %s will become active at next reboot" % info.version,
                      "WARNING: A reboot is required to install the software",
                      "WARNING:     Use the 'request system reboot' command immediately"]
    if flag(request, "reboot") and not failed:
        vc.chassis.reboot(members, vc.spec.durations["shutdown"], reason="request-package-add")
        lines.append("Rebooting ...")
    return _result(lines, 1 if failed else 0)


# Follows pyez/utils/request-reboot.xml (request-reboot-results/request-reboot-status), one
# multi-routing-engine-item per member on a VC.
def request_reboot(context, request):
    vc = context.vc
    if request.find("at") is not None:
        raise RpcFailure("the simulator does not support <at>; use <in>", bad_element="at")
    minutes = text(request, "in", "0")
    if not minutes.isdigit():
        raise RpcFailure("syntax error, expecting <in> minutes", bad_element=minutes)
    members = target_members(context, request)
    delay = int(minutes) * 60.0 + vc.spec.durations["shutdown"]
    vc.chassis.reboot(members, delay, reason="request-reboot")
    when = "Shutdown NOW!" if minutes == "0" else "Shutdown at %s." % local_time(vc.clock.sim_now() + delay)

    def status():
        results = element("request-reboot-results")
        sub(results, "request-reboot-status", "%s\n[pid 17221]" % when, reboot_time=int(vc.clock.sim_now() + delay))
        return results

    if not vc.spec.vc_capable:
        return status()
    return multi_re((re_name(member_id), status()) for member_id in members)


# No reply sample: the <output> warnings paraphrase the CLI prompt [guess].
def request_system_zeroize(context, request):
    local, media = flag(request, "local"), flag(request, "media")
    members = context.vc.zeroize(local=local, media=media)
    lines = ["warning: System will be rebooted and may not boot without configuration",
             "Erase all data, including configuration and log files? [yes,no] (yes)"]
    lines += ["warning: zeroizing %s" % re_name(member_id) for member_id in members]
    return element("output", "\n".join(lines))


HANDLERS = {
    "request-package-checks-pending-install": request_package_checks_pending_install,
    "request-package-add": request_package_add,
    "request-package-validate": request_package_validate,
    "request-reboot": request_reboot,
    "request-system-zeroize": request_system_zeroize,
}

"""System-information RPCs PyEZ fact gathering sends (junos-xml/pyez_facts_rpc_sequence.txt)."""

from .. import shell
from ..platforms import pic_descriptions
from ..xmlreply import RpcFailure, element, junos_subns, set_junos, sub, xml_text
from .common import local_time, re_name, target_members, text


def _local_member(context):
    return context.session.member_id if context.session.member_id is not None else context.vc.chassis.master_id()


# Follows junos-xml/vc/show-version-all-members.ex.xml (<junos-version> + package-information).
def software_element(vc, member_id):
    member = vc.chassis.members[member_id]
    info = element("software-information")
    if vc.hostname:
        sub(info, "host-name", vc.hostname)
    sub(info, "product-model", member.model)
    sub(info, "product-name", member.model)
    sub(info, "junos-version", member.version)
    for name, comment in (("junos", "JUNOS Base OS boot"), ("jbase", "JUNOS Base OS Software Suite"),
                          ("jkernel", "JUNOS Kernel Software Suite"), ("jcrypto", "JUNOS Crypto Software Suite")):
        package = sub(info, "package-information")
        sub(package, "name", name)
        sub(package, "comment", "%s [%s]" % (comment, member.version))
    return info


def multi_re(items):
    """<multi-routing-engine-results> with one item per (re-name, content element)."""
    results = element("multi-routing-engine-results")
    for name, content in items:
        item = sub(results, "multi-routing-engine-item")
        sub(item, "re-name", name)
        item.append(content)
    return results


def get_software_information(context, request):
    vc = context.vc
    if vc.spec.vc_capable and request.find("all-members") is not None:
        return multi_re((re_name(view.id), software_element(vc, view.id)) for view in vc.chassis.views() if view.present)
    if request.find("member") is not None:
        member_id = target_members(context, request)[0]
        return multi_re([(re_name(member_id), software_element(vc, member_id))])
    return software_element(vc, _local_member(context))


# Follows pyez/facts/sw_info_ex_get-interface-information.xml: bme0.32768 carries the internal
# addresses 128.0.0.1 (master), 128.0.0.16+N (fpcN) and 128.0.0.32+N (febN) that PyEZ maps through /etc/hosts.junos.
def get_interface_information(context, request):
    vc = context.vc
    info = element("{%s}interface-information" % junos_subns("interface"))
    set_junos(info, "style", "terse" if request.find("terse") is not None else "normal")
    local = _local_member(context)
    if text(request, "routing-instance") == "__juniper_private1__":
        physical = sub(info, "physical-interface")
        sub(physical, "name", "bme0")
        logical = sub(physical, "logical-interface")
        sub(logical, "name", "bme0.32768")
        sub(logical, "admin-status", "up")
        sub(logical, "oper-status", "up")
        family = sub(logical, "address-family")
        sub(family, "address-family-name", "inet")
        # An EX member also answers on 128.0.0.(32+N), feb<N> / fpc<16+N> in hosts.junos (the sample's 128.0.0.32 on fpc0).
        addresses = ["128.0.0.1/2", "128.0.0.4/2"] if not vc.spec.vc_capable else \
            ["128.0.0.1/2", "128.0.0.%d/2" % (16 + local), "128.0.0.%d/2" % (32 + local)]
        for address in addresses:
            set_junos(sub(sub(family, "interface-address"), "ifa-local", address), "emit", "emit")
        tnp = sub(logical, "address-family")
        sub(tnp, "address-family-name", "tnp")
        set_junos(sub(sub(tnp, "interface-address"), "ifa-local", "0x%x" % (16 + local)), "emit", "emit")
        return info
    names = ["me0", "vme"] + ["ge-%d/0/0" % view.id for view in vc.chassis.views() if view.present]
    for name in names:
        physical = sub(info, "physical-interface")
        sub(physical, "name", name)
        sub(physical, "admin-status", "up")
        sub(physical, "oper-status", "up")
    return info


# Follows pyez/facts/personality_ex_get-route-engine-information.xml; on a VC one route-engine per
# master/backup member, slot = member id [guess: our reading of how EX VCs number their REs].
def get_route_engine_information(context, request):
    vc = context.vc
    chassis = vc.chassis
    info = element("{%s}route-engine-information" % junos_subns("chassis"))
    roles = [(chassis.master_id(), "master"), (chassis.backup_id(), "backup")] if vc.spec.vc_capable else [(chassis.master_id(), "master")]
    now = vc.clock.sim_now()
    for member_id, state in roles:
        if member_id is None:
            continue
        view = chassis.view(member_id)
        engine = sub(info, "route-engine")
        sub(engine, "slot", member_id if vc.spec.vc_capable else 0)
        sub(engine, "mastership-state", state)
        sub(engine, "mastership-priority", "Master (default)" if state == "master" else "Backup (default)")
        sub(engine, "status", "OK")
        # Load, CPU and temperature: constant, plausible figures [guess]; the element names and order are the sample's.
        set_junos(sub(engine, "temperature", "44 degrees C / 111 degrees F"), "celsius", 44)
        set_junos(sub(engine, "cpu-temperature", "44 degrees C / 111 degrees F"), "celsius", 44)
        sub(engine, "memory-dram-size", "2048 MB")
        sub(engine, "memory-buffer-utilization", 41)
        for name, value in (("cpu-user", 9), ("cpu-background", 0), ("cpu-system", 6), ("cpu-interrupt", 1), ("cpu-idle", 84)):
            sub(engine, name, value)
        sub(engine, "model", "%s, 8 POE" % view.model.upper() if view.model.endswith("p") else view.model.upper())
        sub(engine, "serial-number", view.serial)
        set_junos(sub(engine, "start-time", local_time(now - view.uptime)), "seconds", int(now - view.uptime))
        set_junos(sub(engine, "up-time", _uptime_text(view.uptime)), "seconds", int(view.uptime))
        sub(engine, "last-reboot-reason", "Router rebooted after a normal shutdown.")
        for name, value in (("load-average-one", "0.42"), ("load-average-five", "0.38"), ("load-average-fifteen", "0.35")):
            sub(engine, name, value)
    return info


def _uptime_text(seconds):
    seconds = int(seconds)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return "%d days, %d hours, %d minutes, %d seconds" % (days, hours, minutes, seconds)


# Follows pyez/facts/chassis_serialnumber_get-chassis-inventory.xml (chassis/serial-number first,
# PyEZ's serialnumber fact); on a VC the chassis is "Virtual Chassis" with one "FPC N" per member.
def get_chassis_inventory(context, request):
    vc = context.vc
    chassis = vc.chassis
    inventory = element("{%s}chassis-inventory" % junos_subns("chassis"))
    node = set_junos(sub(inventory, "chassis"), "style", "inventory")
    sub(node, "name", "Chassis")
    master = chassis.view(chassis.master_id())
    sub(node, "serial-number", master.serial)
    sub(node, "description", "Virtual Chassis" if vc.spec.vc_capable and len(chassis.members) > 1 else master.model.upper())
    for view in chassis.views():
        if not view.present:
            continue
        module = sub(node, "chassis-module")
        sub(module, "name", "FPC %d" % view.id)
        sub(module, "version", "REV 11")
        sub(module, "part-number", "650-044930")
        sub(module, "serial-number", view.serial)
        sub(module, "description", view.model.upper())
        sub(module, "model-number", view.model.upper())
        cpu = sub(module, "chassis-sub-module")
        sub(cpu, "name", "CPU")
        sub(cpu, "part-number", "BUILTIN")
        sub(cpu, "serial-number", "BUILTIN")
        sub(cpu, "description", "FPC CPU")
        for pic, description in pic_descriptions(view.model):
            sub_module = sub(module, "chassis-sub-module")
            sub(sub_module, "name", pic)
            sub(sub_module, "part-number", "BUILTIN")
            sub(sub_module, "serial-number", "BUILTIN")
            sub(sub_module, "description", description)
        # [guess] An EX member's power supply and fan trays, as `show chassis hardware` lists them under its FPC
        # (names and order from the CLI; part and serial numbers invented).
        for name, part, serial, description in (("Power Supply 0", "740-046871", "1EDE%s" % view.serial[-6:], "JPSU-350-AC-AFO"),
                                                ("Fan Tray 0", None, None, "Fan Module, Airflow Out (AFO)"),
                                                ("Fan Tray 1", None, None, "Fan Module, Airflow Out (AFO)")):
            sub_module = sub(module, "chassis-sub-module")
            sub(sub_module, "name", name)
            if part:
                sub(sub_module, "part-number", part)
                sub(sub_module, "serial-number", serial)
            sub(sub_module, "description", description)
    # [guess] The routing engines of a VC (its master and backup), listed like the sample's "Routing Engine N".
    for member_id in (chassis.master_id(), chassis.backup_id()) if vc.spec.vc_capable else ():
        if member_id is None:
            continue
        view = chassis.view(member_id)
        engine = sub(node, "chassis-module")
        sub(engine, "name", "Routing Engine %d" % member_id)
        sub(engine, "part-number", "BUILTIN")
        sub(engine, "serial-number", "BUILTIN")
        sub(engine, "description", "RE-%s" % view.model.upper())
    return inventory


# ELS switches answer with l2ng-l2ald-rtb-macdb: PyEZ's switch_style VLAN_L2NG.
def get_ethernet_switching_table_information(context, request):
    table = element("l2ng-l2ald-rtb-macdb")
    summary = set_junos(sub(table, "l2ng-l2ald-mac-entry-vlan"), "style", "summary")
    sub(summary, "mac-count-global", 0)
    sub(summary, "learnt-mac-count", 0)
    return table


# [guess] The reply carries the command's output (stdout and stderr) and no exit status, as
# <output>; callers that need the status print it themselves ("cmd; echo $?"), which the
# emulated shell (vcsim/shell.py) honours. The status is also in the script_run event.
def request_shell_execute(context, request):
    vc = context.vc
    command = text(request, "command", "")
    if command.startswith("sysctl") and "vmhost_mode" in command:
        # Not a VM host: what an EX answers for PyEZ's vmhost fact probe.
        return element("output", "sysctl: unknown oid 'hw.re.vmhost_mode'")
    if not command:
        raise RpcFailure("syntax error, expecting <command>", bad_element="request-shell-execute")
    result = shell.execute(vc.fs, command)
    for script in result.scripts:
        vc.log.emit("script_run", member=_local_member(context), path=script.path, interpreter=script.interpreter,
                    exit_status=script.exit_status)
    return element("output", xml_text(result.output))


HANDLERS = {
    "get-software-information": get_software_information,
    "get-interface-information": get_interface_information,
    "get-route-engine-information": get_route_engine_information,
    "get-chassis-inventory": get_chassis_inventory,
    "get-ethernet-switching-table-information": get_ethernet_switching_table_information,
    "request-shell-execute": request_shell_execute,
}

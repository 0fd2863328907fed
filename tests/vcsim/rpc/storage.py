"""Storage RPCs: show system storage and request system storage cleanup."""

import time

from ..xmlreply import element, set_junos, sub
from .common import cli_banner, flag, human_size, re_name, target_members
from .system import multi_re

BLOCK = 512


# Follows junos-xml/vc/get-system-storage.vc.xml: 512-byte blocks, df -h figures in junos:format,
# one multi-routing-engine-item per fpcN on a VC (all showing the shared simulated flash).
def _storage_information(vc, member_id):
    fs = vc.fs
    total, used = fs.capacity_bytes(), min(fs.used_bytes(), fs.capacity_bytes())
    available = max(0, total - used)
    info = set_junos(element("system-storage-information"), "style", "brief")
    filesystem = sub(info, "filesystem")
    sub(filesystem, "filesystem-name", "/dev/gpt/junos" if member_id in (None, 0) else "/dev/gpt/junos%d" % member_id)
    for tag, count in (("total-blocks", total), ("used-blocks", used), ("available-blocks", available)):
        set_junos(sub(filesystem, tag, count // BLOCK), "format", human_size(count))
    sub(filesystem, "used-percent", "%3d" % (100 * used // total))
    sub(filesystem, "mounted-on", "/.mount")
    return info


def get_system_storage(context, request):
    vc = context.vc
    if not vc.spec.vc_capable:
        return _storage_information(vc, None)
    items = multi_re((re_name(member_id), _storage_information(vc, member_id)) for member_id in target_members(context, request))
    return [items, cli_banner(context)]


# Follows pyez/utils/request-system-storage-cleanup.xml.
def request_system_storage_cleanup(context, request):
    vc = context.vc
    context.sleep(vc.spec.durations["storage_cleanup"])
    removed = vc.fs.cleanup(dry_run=flag(request, "dry-run"))
    info = element("system-storage-cleanup-information")
    listing = set_junos(sub(info, "file-list"), "style", "normal")
    for path, stat in removed:
        entry = sub(listing, "file")
        sub(entry, "file-name", path)
        set_junos(sub(entry, "size", stat.st_size), "format", human_size(stat.st_size))
        sub(entry, "date", time.strftime("%b %d %H:%M", time.gmtime(stat.st_mtime)))
    if removed and not flag(request, "dry-run"):
        vc.log.emit("storage_cleanup", member=vc.chassis.master_id(), files=[path for path, unused_stat in removed])
    return info


HANDLERS = {
    "get-system-storage": get_system_storage,
    "request-system-storage-cleanup": request_system_storage_cleanup,
}

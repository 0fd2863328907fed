"""File RPCs on the simulated flash: file-show, file-list, file-delete, file-copy and the checksum RPCs."""

import base64
import posixpath
import stat as statmod
import time

from ..fetch import FetchError, file_name, is_url, open_url, read_chunk, redact
from ..filesystem import FsError
from ..xmlreply import RpcFailure, element, set_junos, sub, xml_text
from .common import SessionGone, flag, required, text

COPY_CHUNK = 1 << 16


def _hosts_junos():
    # The internal-routing-instance names PyEZ's current_re fact needs, shaped like
    # pyez/facts/current_re_file-show.xml (a trimmed copy of the real /etc/hosts.junos).
    lines = ["#", "# File mapping AF_INET hostnames for REs on Single and Multichassis systems", "#"]
    lines += ["128.0.0.1        %s" % name for name in ("master", "node", "fwdd", "member", "pfem")]
    lines += ["128.0.0.4        re0", "128.0.0.5        re1", "128.0.0.6        backup"]
    lines += ["128.0.0.%-8d fpc%d" % (16 + n, n) for n in range(16)]
    for n in range(16):
        lines += ["128.0.0.%-8d feb%d" % (32 + n, n), "128.0.0.%-8d fpc%d" % (32 + n, 16 + n)]
    return "\n".join(lines) + "\n"


VIRTUAL_FILES = {"/etc/hosts.junos": _hosts_junos()}


# Follows pyez/utils/file-show.xml and pyez/facts/current_re_file-show.xml.
def file_show(context, request):
    fs = context.vc.fs
    path = fs.junos_path(required(request, "filename"))
    seconds = int(time.time())
    if path in VIRTUAL_FILES:
        data = VIRTUAL_FILES[path].encode()
    else:
        try:
            data = fs.read(path)
        except FsError as err:
            raise RpcFailure(str(err))
        seconds = int(fs.stat(path).st_mtime)
    encoding = text(request, "encoding", "text")
    content = element("file-content", filename=path, filesize=len(data), encoding=encoding)
    set_junos(content, "seconds", seconds)
    if encoding == "base64":
        content.text = base64.b64encode(data).decode()
    else:
        content.text = "\n" + xml_text(data.decode("utf-8", "replace")) + "\n"
    return content


def _permissions(mode):
    kind = "d" if statmod.S_ISDIR(mode) else "-"
    bits = "".join(flag_char if mode & bit else "-" for bit, flag_char in zip(
        (0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1), "rwxrwxrwx"))
    return kind + bits


# Follows pyez/utils/file-list_dir.xml / file-list_file.xml (detail) and pyez/facts/file_list_file-list.xml.
def file_list(context, request):
    fs = context.vc.fs
    asked = text(request, "path", "~")
    detail = flag(request, "detail")
    try:
        path, is_dir, entries = fs.listing(asked)
    except FsError as err:
        listing = element("directory-list", root_path=fs.junos_path(asked))
        sub(listing, "output", "ls: %s" % err)
        return listing
    listing = element("directory-list", root_path=path + "/" if is_dir and path != "/" else path)
    set_junos(listing, "seconds", int(time.time()))
    set_junos(listing, "style", "verbose" if detail else "brief")
    directory = sub(listing, "directory", name=path if is_dir else "")
    if is_dir:
        sub(directory, "directory-name", path)
        sub(directory, "total-file-blocks", sum(st.st_size for unused_name, st in entries) // 1024)
    for name, st in entries:
        info = sub(directory, "file-information")
        sub(info, "file-name", name)
        if statmod.S_ISDIR(st.st_mode):
            set_junos(sub(info, "file-directory"), "format", "/")
        if detail:
            set_junos(sub(info, "file-permissions", "%o" % (st.st_mode & 0o777)), "format", _permissions(st.st_mode))
            sub(info, "file-owner", context.vc.user)
            sub(info, "file-group", "staff")
            sub(info, "file-links", 1)
            sub(info, "file-size", st.st_size)
            set_junos(sub(info, "file-date", int(st.st_mtime)), "format", time.strftime("%b %d %H:%M", time.gmtime(st.st_mtime)))
    sub(directory, "total-files", sum(1 for unused_name, st in entries if not statmod.S_ISDIR(st.st_mode)))
    return listing


def file_delete(context, request):
    try:
        context.vc.fs.delete(required(request, "path"))
    except FsError as err:
        raise RpcFailure("rm: %s" % err)


# `file copy SOURCE DESTINATION` (PyEZ FS.cp): SOURCE is a URL the switch fetches itself, or a path on the
# flash; DESTINATION is a flash path or directory (then the source's file name is used). Reply: <ok/>
# [guess]; failures are rpc-errors worded like FreeBSD fetch(1): "fetch: <url>: Not Found".
def file_copy(context, request):
    vc = context.vc
    fs = vc.fs
    source = required(request, "source")
    destination = required(request, "destination")
    if is_url(destination):
        raise RpcFailure("error: the simulator copies into its own flash only, not to %s" % redact(destination))
    path = fs.junos_path(destination)
    if destination.endswith("/") or fs.host_path(path).is_dir():
        name = file_name(source) if is_url(source) else posixpath.basename(fs.junos_path(source))
        if not name:
            raise RpcFailure("fetch: %s: Is a directory" % path)
        path = posixpath.join(path, name)
    _copy(context, source, path)
    return element("ok")


def _open_source(context, source, path):
    if is_url(source):
        return open_url(source, context.vc.spec.ca_file)
    fs = context.vc.fs
    local = fs.junos_path(source)
    if fs.host_path(local) == fs.host_path(path):
        raise FetchError("fetch: %s and %s are identical (not copied)" % (local, path))
    try:
        return open(fs.host_path(local), "rb")
    except OSError as err:
        raise FetchError("fetch: %s: %s" % (local, err.strerror)) from None


def _copy(context, source, path):
    """Copy into ``path`` up to the free space; a failure removes the partial file. Emits file_copy."""
    vc = context.vc
    host = vc.fs.host_path(path)
    remote = is_url(source)
    received = 0
    created = ok = False
    error = None
    try:
        if not host.parent.is_dir():
            raise FetchError("fetch: %s: open(): No such file or directory" % path)
        with _open_source(context, source, path) as stream:
            try:
                handle = open(host, "wb")
            except OSError as err:
                raise FetchError("fetch: %s: open(): %s" % (path, err.strerror)) from None
            created = True
            with handle:
                # Measured after truncating, so a file that is replaced makes room for its successor.
                room = vc.fs.available_bytes()
                while True:
                    if context.session.closed.is_set():
                        raise SessionGone()
                    piece = read_chunk(stream, source, COPY_CHUNK)
                    if not piece:
                        break
                    if remote:
                        vc.count_fetched_bytes(len(piece))
                    handle.write(piece[:max(0, room - received)])
                    received += len(piece)
                    if received > room:
                        raise FetchError("fetch: %s: No space left on device" % path)
        ok = True
    except (FetchError, SessionGone) as err:
        error = str(err) or "the session closed during the copy"
        if created:
            host.unlink(missing_ok=True)
        if isinstance(err, FetchError):
            raise RpcFailure(error) from None
        raise
    finally:
        vc.log.emit("file_copy", member=vc.chassis.master_id(), source=redact(source) if remote else vc.fs.junos_path(source),
                    destination=path, bytes=received, ok=ok, error=error)


# Follows pyez/utils/get-checksum-information.xml (checksum-information/file-checksum); PyEZ reads
# .//checksum, which also fits the older <cli><checksum> shape of pyez/utils/checksum.xml.
def _checksum(algorithm, method, program):
    def handler(context, request):
        vc = context.vc
        path = vc.fs.junos_path(required(request, "path"))
        try:
            digest = vc.fs.checksum(path, algorithm)
        except FsError as err:
            raise RpcFailure("%s: %s" % (program, err))
        context.sleep(vc.spec.durations["checksum_per_gib"] * vc.fs.stat(path).st_size / (1 << 30))
        info = element("checksum-information")
        entry = sub(info, "file-checksum")
        sub(entry, "computation-method", method)
        sub(entry, "input-file", path)
        sub(entry, "checksum", digest)
        return info
    return handler


HANDLERS = {
    "file-show": file_show,
    "file-list": file_list,
    "file-delete": file_delete,
    "file-copy": file_copy,
    "get-checksum-information": _checksum("md5", "MD5", "md5"),
    "get-sha1-checksum-information": _checksum("sha1", "SHA1", "sha1"),
    "get-sha256-checksum-information": _checksum("sha256", "SHA256", "sha256"),
}

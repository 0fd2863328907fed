"""The receiving end of classic scp ("scp -t <target>"), as PyEZ's SCP/safe_copy and the scp package use it.

Protocol: the sink sends \\0; the source sends "C<mode> <size> <name>\\n" (or T/D/E lines), the sink
acks, the source sends the bytes and \\0, the sink acks or answers \\1<message>\\n. Like OpenSSH, a
full disk is reported after the data: "scp: /var/tmp/x: No space left on device", with the
partial file left behind.
"""

import threading

import paramiko

_CHANNEL_ERRORS = (OSError, EOFError, paramiko.SSHException)


class _ScpAbort(Exception):
    pass


class ScpSink(threading.Thread):
    def __init__(self, vc, channel, argv):
        super().__init__(name="vcsim-%s-scp" % vc.name, daemon=True)
        self.vc = vc
        self._channel = channel
        self._target = argv[-1]
        self._directory_mode = "-d" in argv or "-r" in argv
        self._buffer = b""
        self._dirs = []

    def abort(self):
        """Tear the sink down from outside (master gone, simulator stop); the connection may be dead already."""
        self._close()

    def run(self):
        status = 1
        try:
            self._ack()
            status = 0 if self._receive() else 1
        except (_ScpAbort, *_CHANNEL_ERRORS):
            status = 1
        finally:
            try:
                self._channel.send_exit_status(status)
            except _CHANNEL_ERRORS:
                pass   # the client has gone: nobody to tell
            self._close()

    def _close(self):
        # paramiko raises EOFError/OSError when the peer has dropped the connection under the channel.
        try:
            self._channel.close()
        except _CHANNEL_ERRORS:
            pass

    # -- wire helpers ------------------------------------------------------------------------

    def _ack(self):
        self._channel.sendall(b"\0")

    def _error(self, message):
        self._channel.sendall(b"\1scp: " + message.encode() + b"\n")

    def _fill(self):
        data = self._channel.recv(65536)
        if not data:
            raise _ScpAbort()
        self._buffer += data

    def _readline(self):
        """Next control line, or None when the source closed the channel between files."""
        while b"\n" not in self._buffer:
            data = self._channel.recv(65536)
            if not data:
                if self._buffer:
                    raise _ScpAbort()
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def _read(self, limit):
        if not self._buffer:
            self._fill()
        piece, self._buffer = self._buffer[:limit], self._buffer[limit:]
        return piece

    # -- protocol ----------------------------------------------------------------------------

    def _current_dir(self):
        base = self.vc.fs.junos_path(self._target)
        return "/".join([base] + self._dirs)

    def _receive(self):
        ok = True
        while True:
            line = self._readline()
            if line is None:
                return ok
            kind, rest = line[:1], line[1:]
            if kind == "T":
                self._ack()
            elif kind == "D":
                name = rest.split(" ", 2)[2]
                self._dirs.append(name)
                self.vc.fs.host_path(self._current_dir()).mkdir(parents=True, exist_ok=True)
                self._ack()
            elif kind == "E":
                if self._dirs:
                    self._dirs.pop()
                self._ack()
            elif kind == "C":
                ok = self._receive_file(rest) and ok
            else:
                self._error("protocol error: unexpected %r" % line[:20])
                return False

    def _destination(self, name):
        fs = self.vc.fs
        if self._dirs or self._directory_mode or fs.host_path(self._target).is_dir():
            return fs.junos_path(self._current_dir() + "/" + name)
        return fs.junos_path(self._target)

    def _receive_file(self, header):
        try:
            unused_mode, size_text, name = header.split(" ", 2)
            size = int(size_text)
        except ValueError:
            self._error("protocol error: bad file header")
            return False
        fs = self.vc.fs
        path = self._destination(name)
        host = fs.host_path(path)
        if not host.parent.is_dir():
            self._error("%s: No such file or directory" % path)
            return False
        available = fs.available_bytes()
        corrupt = self.vc.faults.take("corrupt_next_upload") is not None
        self._ack()
        received = written = 0
        with open(host, "wb") as handle:
            while received < size:
                piece = self._read(min(65536, size - received))
                if corrupt and received <= size // 2 < received + len(piece):
                    flip = size // 2 - received
                    piece = piece[:flip] + bytes([piece[flip] ^ 0xFF]) + piece[flip + 1:]
                received += len(piece)
                self.vc.count_upload_bytes(len(piece))
                keep = piece[:max(0, available - written)]
                handle.write(keep)
                written += len(keep)
        if self._read(1) != b"\0":
            raise _ScpAbort()
        full = written < size
        if full:
            self._error("%s: No space left on device" % path)
        else:
            self._ack()
        self.vc.log.emit("upload", member=self.vc.chassis.master_id(), path=path, bytes=received, ok=not full, corrupted=corrupt)
        return not full

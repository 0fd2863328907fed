"""Loopback ports for wire tests whose servers run in other processes."""

from __future__ import annotations

import socket


def reserve_port():
    """A socket bound to a free loopback port and never listening; its port is ``getsockname()[1]``.

    Until it is closed no other process is given that port and connecting to it is refused, while a server that
    binds with SO_REUSEADDR (aiohttp, PostgreSQL) can still listen on it. (A port picked and closed before the
    server binds it can be taken by another process in between.)
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 0))
    return sock

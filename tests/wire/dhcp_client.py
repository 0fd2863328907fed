"""A raw DHCPv4 client for wire tests: one DISCOVER as a Juniper device sends it, the OFFER decoded.

Run inside the client's network namespace (``ip netns exec NS python dhcp_client.py ...``); prints the
OFFER as JSON. ``decode_suboptions`` splits option 43 the way the device reads it.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import struct
import time

MAGIC_COOKIE = b'\x63\x82\x53\x63'
# [guess] what a Junos ZTP client asks for; public captures show 1, 3, 6, 43, 66, 67 and 150 among others.
PARAMETER_REQUEST_LIST = bytes([1, 3, 6, 7, 12, 42, 43, 66, 67, 150])


def discover_packet(xid, mac, vendor_class, hostname=None, client_id=None):
    header = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, xid, 0, 0x8000, bytes(4), bytes(4), bytes(4), bytes(4),
                         mac.ljust(16, b'\0'), b'', b'')
    options = MAGIC_COOKIE + bytes([53, 1, 1, 60, len(vendor_class)]) + vendor_class
    if hostname:
        options += bytes([12, len(hostname)]) + hostname
    if client_id:
        options += bytes([61, len(client_id)]) + client_id
    options += bytes([55, len(PARAMETER_REQUEST_LIST)]) + PARAMETER_REQUEST_LIST + b'\xff'
    return header + options


def decode_options(data):
    """{code: bytes} of a DHCP packet's options (a repeated option is concatenated, as RFC 3396 says)."""
    options, index = {}, 240
    while index < len(data) and data[index] != 255:
        code = data[index]
        if code == 0:
            index += 1
            continue
        length = data[index + 1]
        options[code] = options.get(code, b'') + data[index + 2:index + 2 + length]
        index += 2 + length
    return options


def decode_suboptions(value):
    """{code: text} of option 43 as a Juniper device reads it: code, length, value, repeated."""
    suboptions, index = {}, 0
    while index < len(value):
        code, length = value[index], value[index + 1]
        suboptions[code] = value[index + 2:index + 2 + length].decode('ascii')
        index += 2 + length
    return suboptions


def discover(interface, mac, vendor_class, hostname=None, client_id=None, timeout=10.0):
    """Send DISCOVERs until an OFFER answers (the server may still be starting); return it as a dict."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.bind(('0.0.0.0', 68))
        sock.settimeout(1.0)
        xid = random.getrandbits(32)
        packet = discover_packet(xid, mac, vendor_class, hostname, client_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sock.sendto(packet, ('255.255.255.255', 67))
            try:
                while True:
                    data, _sender = sock.recvfrom(4096)
                    options = decode_options(data)
                    if struct.unpack('!I', data[4:8])[0] == xid and options.get(53) == b'\x02':
                        return {'yiaddr': socket.inet_ntoa(data[16:20]), 'options': {code: value.hex() for code, value in options.items()}}
            except socket.timeout:
                continue
    raise TimeoutError('no DHCPOFFER on %s within %.0f s' % (interface, timeout))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--interface', required=True)
    parser.add_argument('--mac', required=True)
    parser.add_argument('--vendor-class', required=True)
    parser.add_argument('--hostname')
    parser.add_argument('--client-id', help='option 61 in hex')
    args = parser.parse_args()
    offer = discover(args.interface, bytes.fromhex(args.mac.replace(':', '')), args.vendor_class.encode(),
                     args.hostname.encode() if args.hostname else None, bytes.fromhex(args.client_id) if args.client_id else None)
    print(json.dumps(offer))


if __name__ == '__main__':
    main()

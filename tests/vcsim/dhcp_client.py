"""The DHCP client of a factory-default Juniper switch, written from the Zero Touch Provisioning document.

Device-side simulator code: it imports nothing from the collection, so it catches the renderer's mistakes.

API (names and shapes are pinned; other simulator parts and the wire tests build on them):

- ``request_v4(interface, mac, model, hostname=None, client_id=None, timeout=10.0) -> DhcpAnswer``
  A full DORA exchange (DISCOVER, OFFER, REQUEST, ACK) as the device sends it: option 60
  ``Juniper-<model>``, option 12 (``hostname``) and option 61 (``client_id``) when given, and a
  parameter request list with 1, 3, 6, 7, 12, 42, 43, 66, 67 and 150. ``vendor_class=TEXT`` (keyword,
  optional) sends another option 60, as another vendor's device would.
- ``request_v6(interface, mac, model, duid=None, timeout=10.0) -> DhcpAnswer``
  SOLICIT, ADVERTISE, REQUEST, REPLY with IA_NA; the client identifier is ``duid`` or, when not given,
  a DUID-LL of the management MAC, which is the device MAC + 1 (the ZTP document's rule for static
  DHCPv6 mappings); ORO with 59 and 17; vendor class (16) ``Juniper-<model>`` under enterprise 2636.
- ``DhcpAnswer``: ``family`` (4 or 6), ``address`` (leased address, or ''), ``server`` (DHCPv4: the
  server identifier, option 54; DHCPv6: the address the REPLY came from), ``options`` ({code: bytes}:
  DHCPv4 the ACK's options, those in the 'file' / 'sname' fields too when option 52 says so, a repeated
  option concatenated as RFC 3396 says; DHCPv6 the REPLY's
  top-level options as on the wire, option 17 starting with its enterprise number), ``to_json()`` /
  ``from_json(text)``, and ``vendor_suboptions()``: {code: bytes} of option 43 (DHCPv4) or of the
  enterprise-2636 part of option 17 (DHCPv6), decoded as the device reads them.
- ``ipv4_addresses(value) -> [str]``: an option holding IPv4 addresses (150, 7, 42) as text.
- ``DhcpError``: the server refused (DHCPNAK, a DHCPv6 status code); ``TimeoutError``: no answer.

``mac``, ``client_id`` and ``duid`` take bytes or hex text (``:`` / ``-`` separators allowed).
The functions run in the calling thread, with sockets bound to ``interface`` (SO_BINDTODEVICE), so a
thread that has entered the client's network namespace can call them. Exchanges on one interface are
serialised in this process: DHCPv6 replies are unicast to port 546, which only one socket receives.

Command line (inside the client's namespace, root for ports 68 / 546):
``python -m vcsim.dhcp_client v4|v6 --interface IF --mac MAC --model MODEL [--hostname H]
[--client-id HEX] [--duid HEX]`` prints the answer as JSON, options as hex keyed by decimal code.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import random
import re
import socket
import struct
import threading
import time

VENDOR_CLASS_PREFIX = 'Juniper-'
JUNIPER_ENTERPRISE = 2636

# DHCPv4 (RFC 2131 / 2132)
BOOTREQUEST, BOOTREPLY = 1, 2
DISCOVER, OFFER, REQUEST, ACK, NAK = 1, 2, 3, 5, 6
MAGIC_COOKIE = b'\x63\x82\x53\x63'
# [guess] what the Junos DHCP client asks for: the ZTP options (43, 66, 67, 150, 7, 42, 12) and the basics.
PARAMETER_REQUEST_LIST = bytes([1, 3, 6, 7, 12, 42, 43, 66, 67, 150])
BROADCAST_FLAG = 0x8000

# DHCPv6 (RFC 8415)
SOLICIT, ADVERTISE, REQUEST6, REPLY = 1, 2, 3, 7
OPTION_CLIENTID, OPTION_SERVERID, OPTION_IA_NA, OPTION_IAADDR, OPTION_ORO = 1, 2, 3, 5, 6
OPTION_ELAPSED_TIME, OPTION_STATUS_CODE, OPTION_VENDOR_CLASS, OPTION_VENDOR_OPTS = 8, 13, 16, 17
OPTION_BOOTFILE_URL = 59
ALL_DHCP_RELAY_AGENTS_AND_SERVERS = 'ff02::1:2'
ORO = (OPTION_BOOTFILE_URL, OPTION_VENDOR_OPTS)
DUID_LL, HARDWARE_ETHERNET = 3, 1

RETRANSMIT = (1.0, 2.0, 4.0)  # seconds before each retransmission, then the last again, until the exchange's timeout
_interface_locks: dict[str, threading.Lock] = {}
_interface_locks_guard = threading.Lock()


class DhcpError(Exception):
    """The server answered with a refusal (DHCPNAK, or a DHCPv6 status code other than Success)."""


@dataclasses.dataclass
class DhcpAnswer:
    family: int
    address: str
    server: str
    options: dict[int, bytes]

    def to_json(self) -> str:
        return json.dumps({'family': self.family, 'address': self.address, 'server': self.server,
                           'options': {str(code): value.hex() for code, value in sorted(self.options.items())}})

    @classmethod
    def from_json(cls, text: str) -> DhcpAnswer:
        data = json.loads(text)
        return cls(data['family'], data['address'], data['server'],
                   {int(code): bytes.fromhex(value) for code, value in data['options'].items()})

    def vendor_suboptions(self) -> dict[int, bytes]:
        """Juniper's suboptions: option 43 (DHCPv4) or enterprise 2636 of option 17 (DHCPv6); {} when absent."""
        if self.family == 4:
            return _tlvs(self.options.get(43, b''), width=1, what='option 43')
        suboptions, value = {}, self.options.get(OPTION_VENDOR_OPTS, b'')
        if value:
            enterprise, = struct.unpack('!I', value[:4])
            if enterprise == JUNIPER_ENTERPRISE:
                suboptions = _tlvs(value[4:], width=2, what='option 17')
        return suboptions


def ipv4_addresses(value: bytes) -> list[str]:
    """The IPv4 addresses of an address-list option (150, 7, 42)."""
    if len(value) % 4:
        raise ValueError('an IPv4 address list of %d octets' % len(value))
    return [socket.inet_ntoa(value[i:i + 4]) for i in range(0, len(value), 4)]


def _octets(value, what) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    digits = re.sub(r'[:.-]', '', value)
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise ValueError('%s is not hex: %r' % (what, value)) from None


def _tlvs(data: bytes, width: int, what: str) -> dict[int, bytes]:
    """Code, length, value triplets (1 or 2 octets each for code and length); a truncated one is an error."""
    fmt = '!BB' if width == 1 else '!HH'
    items, index = {}, 0
    while index < len(data):
        if index + 2 * width > len(data):
            raise ValueError('%s: truncated suboption header at octet %d' % (what, index))
        code, length = struct.unpack(fmt, data[index:index + 2 * width])
        start = index + 2 * width
        if start + length > len(data):
            raise ValueError('%s: suboption %d claims %d octets, %d left' % (what, code, length, len(data) - start))
        items[code] = items.get(code, b'') + data[start:start + length]
        index = start + length
    return items


def _exchange(sock, packet, destination, receive, deadline):
    """Send packet, retransmitting it (same transaction) until receive(wait_until) returns an answer or deadline passes."""
    waits = iter(RETRANSMIT)
    wait = next(waits)
    while time.monotonic() < deadline:
        sock.sendto(packet, destination)
        answer = receive(min(deadline, time.monotonic() + wait))
        if answer is not None:
            return answer
        wait = next(waits, wait)
    return None


def _datagrams(sock, deadline):
    """The datagrams sock receives until deadline, as (data, sender)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        sock.settimeout(remaining)
        try:
            yield sock.recvfrom(4096)
        except socket.timeout:
            return


def _interface_lock(interface: str) -> threading.Lock:
    with _interface_locks_guard:
        return _interface_locks.setdefault(interface, threading.Lock())


# DHCPv4 ----------------------------------------------------------------------------------------


def _v4_packet(message_type, xid, mac, vendor_class, hostname, client_id, requested=None, server=None):
    header = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', BOOTREQUEST, 1, 6, 0, xid, 0, BROADCAST_FLAG,
                         bytes(4), bytes(4), bytes(4), bytes(4), mac.ljust(16, b'\0'), b'', b'')
    options = [(53, bytes([message_type]))]
    if requested:
        options.append((50, socket.inet_aton(requested)))
    if server:
        options.append((54, socket.inet_aton(server)))
    if client_id:
        options.append((61, client_id))
    if hostname:
        options.append((12, hostname))
    options += [(60, vendor_class), (55, PARAMETER_REQUEST_LIST)]
    return header + MAGIC_COOKIE + b''.join(bytes([code, len(value)]) + value for code, value in options) + b'\xff'


def decode_v4_options(data: bytes) -> dict[int, bytes]:
    """{code: value} of a DHCPv4 packet; a repeated option is concatenated (RFC 3396).

    With option 52 (overload, RFC 2132 9.3) the 'file' and then the 'sname' field hold options too:
    a server short of room in a 576-octet reply (ISC dhcpd does it) moves options there.
    """
    if data[236:240] != MAGIC_COOKIE:
        return {}
    options = {}
    _read_v4_options(data, 240, len(data), options)
    overload = options.get(52, b'\0')[0]
    for flag, start, end in ((1, 108, 236), (2, 44, 108)):  # 'file' first, then 'sname' (RFC 2131 4.1)
        if overload & flag:
            _read_v4_options(data, start, end, options)
    return options


def _read_v4_options(data, index, end, options):
    while index < end and data[index] != 255:
        code = data[index]
        if code == 0:
            index += 1
            continue
        length = data[index + 1]
        options[code] = options.get(code, b'') + data[index + 2:index + 2 + length]
        index += 2 + length


def _v4_reply(sock, xid, mac, deadline, types):
    """The next BOOTREPLY of one of these message types for this exchange before deadline, as (type, packet, options), or None."""
    for data, _sender in _datagrams(sock, deadline):
        if len(data) < 240 or data[0] != BOOTREPLY or struct.unpack('!I', data[4:8])[0] != xid or data[28:34] != mac:
            continue
        options = decode_v4_options(data)
        if options.get(53, b'\0')[0] in types:
            return options[53][0], data, options
    return None


def request_v4(interface, mac, model, hostname=None, client_id=None, timeout=10.0, vendor_class=None) -> DhcpAnswer:
    """DISCOVER, OFFER, REQUEST, ACK on interface; the ACK as a DhcpAnswer.

    ``vendor_class`` replaces option 60 (another vendor's device, for tests of what non-Juniper clients get).
    """
    mac = _octets(mac, 'mac')
    vendor_class = (vendor_class or VENDOR_CLASS_PREFIX + model).encode('ascii')
    hostname = hostname.encode('ascii') if hostname else None
    client_id = _octets(client_id, 'client_id') if client_id else None
    deadline = time.monotonic() + timeout
    with _interface_lock(interface), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.bind(('0.0.0.0', 68))
        xid = random.getrandbits(32)  # one transaction: retransmissions keep it, so a late OFFER still counts
        offer = _exchange(sock, _v4_packet(DISCOVER, xid, mac, vendor_class, hostname, client_id), ('255.255.255.255', 67),
                          lambda wait: _v4_reply(sock, xid, mac, wait, (OFFER,)), deadline)
        if offer is not None and 54 in offer[2]:
            offered, server = socket.inet_ntoa(offer[1][16:20]), socket.inet_ntoa(offer[2][54])
            request = _v4_packet(REQUEST, xid, mac, vendor_class, hostname, client_id, offered, server)
            reply = _exchange(sock, request, ('255.255.255.255', 67), lambda wait: _v4_reply(sock, xid, mac, wait, (ACK, NAK)), deadline)
            if reply is not None:
                message_type, packet, options = reply
                if message_type == NAK:
                    raise DhcpError('DHCPNAK from %s on %s: %s' % (server, interface, options.get(56, b'').decode('ascii', 'replace')))
                return DhcpAnswer(4, socket.inet_ntoa(packet[16:20]), socket.inet_ntoa(options.get(54, offer[2][54])), options)
    raise TimeoutError('no DHCPACK on %s within %.0f s' % (interface, timeout))


# DHCPv6 ----------------------------------------------------------------------------------------


def _v6_option(code, value):
    return struct.pack('!HH', code, len(value)) + value


def decode_v6_options(data: bytes) -> dict[int, bytes]:
    """{code: value} of a DHCPv6 option list (one level)."""
    return _tlvs(data, width=2, what='DHCPv6 options')


def default_duid(mac) -> bytes:
    """DUID-LL of the management MAC: the device MAC + 1 (ZTP document, static DHCPv6 mapping)."""
    management = (int.from_bytes(_octets(mac, 'mac'), 'big') + 1) % (1 << 48)
    return struct.pack('!HH', DUID_LL, HARDWARE_ETHERNET) + management.to_bytes(6, 'big')


def _ia_na(iaid, addresses=()):
    inner = b''.join(_v6_option(OPTION_IAADDR, ipaddress.IPv6Address(a).packed + bytes(8)) for a in addresses)
    return _v6_option(OPTION_IA_NA, struct.pack('!III', iaid, 0, 0) + inner)


def _ia_addresses(value):
    """(addresses, status) of an IA_NA option: its IAADDRs and its status code (0 = Success)."""
    inner = decode_v6_options(value[12:])
    addresses = [str(ipaddress.IPv6Address(inner[OPTION_IAADDR][:16]))] if OPTION_IAADDR in inner else []
    status = struct.unpack('!H', inner[OPTION_STATUS_CODE][:2])[0] if OPTION_STATUS_CODE in inner else 0
    return addresses, status


def _v6_reply(sock, transaction, duid, expected, deadline):
    for data, sender in _datagrams(sock, deadline):
        if len(data) < 4 or data[0] != expected or data[1:4] != transaction:
            continue
        options = decode_v6_options(data[4:])
        if options.get(OPTION_CLIENTID) == duid:
            return options, sender[0].split('%')[0]
    return None


def request_v6(interface, mac, model, duid=None, timeout=10.0) -> DhcpAnswer:
    """SOLICIT, ADVERTISE, REQUEST, REPLY on interface; the REPLY as a DhcpAnswer."""
    duid = _octets(duid, 'duid') if duid else default_duid(mac)
    iaid = int.from_bytes(duid[-4:], 'big')
    vendor_class = (VENDOR_CLASS_PREFIX + model).encode('ascii')
    common = (_v6_option(OPTION_CLIENTID, duid) + _v6_option(OPTION_ELAPSED_TIME, b'\0\0')
              + _v6_option(OPTION_ORO, b''.join(struct.pack('!H', code) for code in ORO))
              + _v6_option(OPTION_VENDOR_CLASS, struct.pack('!IH', JUNIPER_ENTERPRISE, len(vendor_class)) + vendor_class))
    deadline = time.monotonic() + timeout
    with _interface_lock(interface), socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        index = socket.if_nametoindex(interface)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sock.bind(('::', 546))
        destination = (ALL_DHCP_RELAY_AGENTS_AND_SERVERS, 547, 0, index)
        transaction = random.getrandbits(24).to_bytes(3, 'big')
        advertise = _exchange(sock, bytes([SOLICIT]) + transaction + common + _ia_na(iaid), destination,
                              lambda wait: _v6_reply(sock, transaction, duid, ADVERTISE, wait), deadline)
        if advertise is not None and OPTION_SERVERID in advertise[0]:
            offered = _ia_addresses(advertise[0][OPTION_IA_NA])[0] if OPTION_IA_NA in advertise[0] else []
            transaction = random.getrandbits(24).to_bytes(3, 'big')
            request = (bytes([REQUEST6]) + transaction + common + _v6_option(OPTION_SERVERID, advertise[0][OPTION_SERVERID])
                       + _ia_na(iaid, offered))
            reply = _exchange(sock, request, destination, lambda wait: _v6_reply(sock, transaction, duid, REPLY, wait), deadline)
            if reply is not None:
                options, sender = reply
                addresses, status = _ia_addresses(options[OPTION_IA_NA]) if OPTION_IA_NA in options else ([], 0)
                top_status = struct.unpack('!H', options[OPTION_STATUS_CODE][:2])[0] if OPTION_STATUS_CODE in options else 0
                if top_status:
                    raise DhcpError('DHCPv6 REPLY from %s on %s: status %d %s' % (
                        sender, interface, top_status, options[OPTION_STATUS_CODE][2:].decode('utf-8', 'replace')))
                return DhcpAnswer(6, addresses[0] if addresses and not status else '', sender, options)
    raise TimeoutError('no DHCPv6 REPLY on %s within %.0f s' % (interface, timeout))


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m vcsim.dhcp_client', description='One DHCP exchange as a factory-default Juniper switch.')
    parser.add_argument('family', choices=['v4', 'v6'])
    parser.add_argument('--interface', required=True)
    parser.add_argument('--mac', required=True, help='the device MAC address')
    parser.add_argument('--model', required=True, help='e.g. ex4300-48p: option 60 / vendor class Juniper-<model>')
    parser.add_argument('--hostname', help='DHCPv4 option 12 (a serial number, when the records are keyed by it)')
    parser.add_argument('--client-id', help='DHCPv4 option 61 in hex')
    parser.add_argument('--duid', help='DHCPv6 client DUID in hex (default: DUID-LL of MAC + 1)')
    parser.add_argument('--timeout', type=float, default=10.0)
    args = parser.parse_args(argv)
    if args.family == 'v4':
        answer = request_v4(args.interface, args.mac, args.model, args.hostname, args.client_id, args.timeout)
    else:
        answer = request_v6(args.interface, args.mac, args.model, args.duid, args.timeout)
    print(answer.to_json())


if __name__ == '__main__':
    main()

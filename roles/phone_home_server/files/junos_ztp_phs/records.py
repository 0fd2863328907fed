# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The records directory written by junos.ztp.phs_records, loaded whole and swapped on change."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import xml.etree.ElementTree as ET

INDEX_FILE = 'index.json'
INDEX_FORMAT = 'junos-ztp-phs-records/1'
LEGACY_NAMESPACE = 'http://juniper.net/zerotouch-bootstrap-server'

log = logging.getLogger('junos_ztp_phs.records')


class RecordsError(Exception):
    pass


# --- DER, just enough for RFC 8572's unsigned CMS structures --------------------------------------

def _der(tag, content):
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(length)]) + length + content


_OID_CONVEYED_INFO_JSON = bytes.fromhex('060b2a864886f70d010910012b')  # 1.2.840.113549.1.9.16.1.43 id-ct-sztpConveyedInfoJSON
_OID_SIGNED_DATA = bytes.fromhex('06092a864886f70d010702')  # 1.2.840.113549.1.7.2
_OID_DATA = bytes.fromhex('06092a864886f70d010701')  # 1.2.840.113549.1.7.1


def conveyed_information(document):
    """RFC 8572 conveyed information, unsigned: a CMS ContentInfo of type id-ct-sztpConveyedInfoJSON."""
    return _der(0x30, _OID_CONVEYED_INFO_JSON + _der(0xA0, _der(0x04, document)))


def certificates_only(certificates):
    """A degenerate CMS SignedData carrying DER certificates (RFC 8572 trust-anchor)."""
    signed_data = _der(0x30, _der(0x02, b'\x01') + _der(0x31, b'') + _der(0x30, _OID_DATA)
                       + _der(0xA0, b''.join(certificates)) + _der(0x31, b''))
    return _der(0x30, _OID_SIGNED_DATA + _der(0xA0, signed_data))


# --- the records -------------------------------------------------------------------------------

class Records:
    """Everything the server answers with, precomputed at load time."""

    def __init__(self, index=None, legacy=None, onboarding=None, key=None):
        index = index or {'devices': {}, 'hosts': {}, 'servers': {}}
        self.devices = index['devices']  # serial -> host
        self.hosts = index['hosts']  # host -> {serials, topology, provisioning_mode, server}
        self.servers = index['servers']  # url -> {address, port, trust-anchor}
        self.legacy = legacy or {}  # serial -> legacy XML bytes
        self.conveyed = {}  # serial -> base64 CMS of the onboarding information
        shared = {}
        for serial, document in (onboarding or {}).items():
            if document not in shared:  # every member of a VC has the same onboarding information
                shared[document] = base64.b64encode(conveyed_information(document)).decode('ascii')
            self.conveyed[serial] = shared[document]
        self.key = key

    def host_of(self, serial):
        return self.devices.get(serial)

    def servers_of(self, serial):
        """The phone-home servers of a serial's host, the primary first (the order a client tries them)."""
        host = self.hosts.get(self.devices.get(serial), {})
        urls = [host.get('server')] + list(host.get('backup_servers', []))
        return [self.servers[url] for url in urls if url in self.servers]

    def legacy_redirect(self, serial):
        """The redirector's answer for a serial, shaped like Juniper's: <device><unique-id/><redirect-information/>."""
        device = ET.Element('device', {'xmlns': LEGACY_NAMESPACE})
        ET.SubElement(device, 'unique-id').text = serial
        redirect = ET.SubElement(device, 'redirect-information')
        for server in self.servers_of(serial):
            entry = ET.SubElement(redirect, 'bootstrap-server')
            ET.SubElement(entry, 'address').text = server['address']
            ET.SubElement(entry, 'port').text = str(server['port'])
            if server['trust-anchor']:
                ET.SubElement(entry, 'trust-anchor').text = server['trust-anchor'][0]
        return ET.tostring(device, encoding='utf-8')

    def rfc8572_redirect(self, serial):
        """RFC 8572 redirect-information, as base64 conveyed information."""
        entries = []
        for server in self.servers_of(serial):
            entry = {'address': server['address'], 'port': server['port']}
            if server['trust-anchor']:
                anchor = certificates_only([base64.b64decode(c) for c in server['trust-anchor']])
                entry['trust-anchor'] = base64.b64encode(anchor).decode('ascii')
            entries.append(entry)
        document = json.dumps({'ietf-sztp-conveyed-info:redirect-information': {'bootstrap-server': entries}}).encode()
        return base64.b64encode(conveyed_information(document)).decode('ascii')


def index_key(directory):
    """What changes when the records directory is replaced (the link swap gives the index a new inode)."""
    try:
        stat = os.stat(os.path.join(directory, INDEX_FILE))
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def load_records(directory):
    """Read the whole directory; raise RecordsError when it is incomplete or not ours."""
    directory = os.path.realpath(directory)  # one version, even if the link moves while we read
    key = index_key(directory)
    try:
        with open(os.path.join(directory, INDEX_FILE), 'rb') as stream:
            index = json.load(stream)
        if index.get('format') != INDEX_FORMAT:
            raise RecordsError('%s: unknown format %r' % (INDEX_FILE, index.get('format')))
        legacy, onboarding = {}, {}
        for serial in index['devices']:
            with open(os.path.join(directory, 'devices', serial + '.xml'), 'rb') as stream:
                legacy[serial] = stream.read()
            with open(os.path.join(directory, 'devices', serial + '.json'), 'rb') as stream:
                onboarding[serial] = stream.read()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RecordsError('cannot load records from %s: %s' % (directory, exc)) from None
    return Records(index, legacy, onboarding, key)


class RecordsHolder:
    """The current Records; a poller swaps in a new set (one assignment) when the directory changes."""

    def __init__(self, directory, interval=2.0):
        self.directory = directory
        self.interval = interval
        self.current = Records()
        self._loaded_key = None

    async def reload(self):
        """Load the directory if it changed. A failed load keeps the current records and is retried."""
        key = await asyncio.get_running_loop().run_in_executor(None, index_key, self.directory)
        if key is None or key == self._loaded_key:
            return False
        try:
            records = await asyncio.get_running_loop().run_in_executor(None, load_records, self.directory)
        except RecordsError as exc:
            log.error('%s; keeping the %d records already loaded', exc, len(self.current.devices))
            return False
        self.current, self._loaded_key = records, records.key
        log.info('loaded %d records for %d hosts from %s', len(records.devices), len(records.hosts), self.directory)
        return True

    async def watch(self):
        while True:
            await asyncio.sleep(self.interval)
            await self.reload()

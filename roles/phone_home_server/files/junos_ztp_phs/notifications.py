# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What devices report: notification types, parsing, and the state a history adds up to."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

LEGACY_NAMESPACE = 'http://juniper.net/zerotouch-bootstrap-server'

# RFC 8572 ietf-sztp-bootstrap-server report-progress progress-type, in the module's order.
RFC8572_PROGRESS_TYPES = (
    'bootstrap-initiated', 'parsing-initiated', 'parsing-warning', 'parsing-error', 'parsing-complete',
    'boot-image-initiated', 'boot-image-warning', 'boot-image-error', 'boot-image-mismatch',
    'boot-image-installed-rebooting', 'boot-image-complete', 'pre-script-initiated', 'pre-script-warning',
    'pre-script-error', 'pre-script-complete', 'config-initiated', 'config-warning', 'config-error',
    'config-complete', 'post-script-initiated', 'post-script-warning', 'post-script-error',
    'post-script-complete', 'bootstrap-warning', 'bootstrap-error', 'bootstrap-complete', 'informational',
)
# Seen in Juniper's YAPT phone-home server.
LEGACY_TYPES = ('bootstrap-complete', 'bootstrap-failed', 'configuration-applied', 'configuration-failed')
# Table 2 of Juniper's "Provision a Virtual Chassis Using the Phone-Home Client".
VIRTUAL_CHASSIS_TYPES = (
    'vc-member-image-installed', 'vc-member-image-installation-failed', 'vc-member-reboot-initiated',
    'vc-member-upgrade-success', 'vc-member-upgrade-failed', 'vc-member-detection-failed', 'vc-bootstrap-failed',
)
LEGACY_NOTIFICATION_TYPES = frozenset(LEGACY_TYPES + VIRTUAL_CHASSIS_TYPES + RFC8572_PROGRESS_TYPES)

# Served by this server, not sent by a device: the device fetched its record (a new attempt begins).
RECORD_FETCHED = 'record-fetched'

COMPLETE_TYPES = frozenset(['bootstrap-complete'])
# After these the client gives up on this attempt (any RFC 8572 *-error abandons the server;
# an image installation failure makes the VC client try another server).
FAILED_TYPES = frozenset(['bootstrap-failed', 'configuration-failed', 'vc-bootstrap-failed', 'vc-member-image-installation-failed']
                         + [t for t in RFC8572_PROGRESS_TYPES if t.endswith('-error')])

MAX_MESSAGE = 4096


class NotificationError(ValueError):
    """A malformed notification: answered with 400, nothing stored."""


def _local(tag):
    return tag.rsplit('}', 1)[-1]


def parse_legacy(body):
    """(type, message) of a legacy notification: XML with <notification-type> and an optional <message>."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise NotificationError('not well-formed XML: %s' % exc) from None
    namespace = root.tag[1:].split('}')[0] if root.tag.startswith('{') else ''
    if namespace not in ('', LEGACY_NAMESPACE):
        raise NotificationError('unexpected namespace %s' % namespace)
    fields = {}
    for element in root.iter():
        if _local(element.tag) in ('notification-type', 'message') and _local(element.tag) not in fields:
            fields[_local(element.tag)] = (element.text or '').strip()
    return _checked(fields.get('notification-type'), fields.get('message'), LEGACY_NOTIFICATION_TYPES)


def parse_report_progress(body):
    """(type, message) of an RFC 8572 report-progress input (JSON)."""
    try:
        document = json.loads(body) if body.strip() else None
    except ValueError as exc:
        raise NotificationError('not JSON: %s' % exc) from None
    data = document.get('ietf-sztp-bootstrap-server:input') if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise NotificationError('expected {"ietf-sztp-bootstrap-server:input": {...}}')
    message = data.get('message')
    if message is not None and not isinstance(message, str):
        raise NotificationError('message must be a string')
    return _checked(data.get('progress-type'), message, frozenset(RFC8572_PROGRESS_TYPES))


def _checked(kind, message, allowed):
    if not kind:
        raise NotificationError('no notification type')
    if kind not in allowed:
        raise NotificationError('unknown notification type %r' % kind[:80])
    if message is not None and len(message) > MAX_MESSAGE:
        raise NotificationError('message longer than %d characters' % MAX_MESSAGE)
    return kind, message or ''


def state_of(events):
    """pending | in-progress | complete | failed, from the newest event of a history (oldest first)."""
    if not events:
        return 'pending'
    # Informational and warning reports do not change how far a device got.
    significant = [e for e in events if e.type != 'informational' and not e.type.endswith('-warning')]
    last = (significant or events)[-1].type
    if last in COMPLETE_TYPES:
        return 'complete'
    if last in FAILED_TYPES:
        return 'failed'
    return 'in-progress'

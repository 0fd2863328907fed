# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTPS endpoints: legacy phone-home, RFC 8572, and the status API."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import functools
import hmac
import ipaddress
import json
import logging
import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .notifications import RECORD_FETCHED, NotificationError, parse_legacy, parse_report_progress, state_of
from .records import RecordsHolder
from .store import Event, StoreUnavailable

LEGACY_DEVICE = '/restconf/data/juniper-zerotouch-bootstrap-server:devices/device={serial}'
RFC8572_OPERATIONS = '/restconf/operations/ietf-sztp-bootstrap-server:'
LEGACY_CONTENT_TYPE = 'application/yang.data+xml'
RESTCONF_JSON = 'application/yang-data+json'
MAX_BODY = 64 * 1024

RECORDS = web.AppKey('records', RecordsHolder)
STORE = web.AppKey('store', object)
OPTIONS = web.AppKey('options', dict)

log = logging.getLogger('junos_ztp_phs')
access_log = logging.getLogger('junos_ztp_phs.access')


class AccessLogger(AbstractAccessLogger):
    """One JSON line per request, naming the serial number it was about."""

    def log(self, request, response, time):  # pylint: disable=redefined-outer-name
        self.logger.info(json.dumps({
            'remote': request.remote, 'method': request.method, 'path': request.path, 'status': response.status,
            'serial': request.match_info.get('serial') or _basic_user(request), 'ms': round(time * 1000, 2),
        }))


def _error(kind, message, **kwargs):
    """An HTTP error (raise or return it) with a JSON body saying what was wrong."""
    return kind(text=json.dumps({'error': message}), content_type='application/json', **kwargs)


def _basic_user(request):
    """The Basic-auth user name when the password is empty (how phone-home clients log in), else None."""
    header = request.headers.get('Authorization', '')
    if not header.startswith('Basic '):
        return None
    try:
        user, _colon, password = base64.b64decode(header[6:], validate=True).decode('utf-8').partition(':')
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if user and password == '' else None


def _device(request, serial=None):
    """(serial, host) of an authenticated, known device, or raise the 401/404 answer."""
    user = _basic_user(request)
    serial = serial or user
    if user is None or user != serial:
        raise _error(web.HTTPUnauthorized, 'HTTP Basic authentication with the serial number as user name and an empty password is required',
                     headers={'WWW-Authenticate': 'Basic realm="junos-ztp-phs"'})
    host = request.app[RECORDS].current.host_of(serial)
    if host is None:
        raise _error(web.HTTPNotFound, 'no record for serial number %s' % serial)
    return serial, host


def _event(request, serial, host, kind, message, source):
    records = request.app[RECORDS].current
    members = [s for s in records.hosts.get(host, {}).get('serials', []) if s != serial and s in message]
    return Event(serial=serial, host=host, type=kind, message=message, source=source, received=time.time(),
                 member_serial=members[0] if members else None, remote=request.remote)


def _record_served(request, serial, host, message):
    """Note a served record (a new attempt begins) without making the device wait for the database."""
    request.app[STORE].add_soon(_event(request, serial, host, RECORD_FETCHED, message, 'server'))


async def _body(request):
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    return await request.read()


# --- legacy phone-home ----------------------------------------------------------------------

async def legacy_record(request):
    serial, host = _device(request, request.match_info['serial'])
    records = request.app[RECORDS].current
    if request.app[OPTIONS]['redirect']:
        return web.Response(body=records.legacy_redirect(serial), content_type=LEGACY_CONTENT_TYPE)
    _record_served(request, serial, host, 'legacy record served')
    return web.Response(body=records.legacy[serial], content_type=LEGACY_CONTENT_TYPE)


async def _report(request, serial, parse, source, status):
    """Validate and store a device's report; a malformed one is answered 400 and not stored."""
    serial, host = _device(request, serial)
    try:
        kind, message = parse(await _body(request))
    except NotificationError as exc:
        return _error(web.HTTPBadRequest, str(exc))
    try:
        await request.app[STORE].add(_event(request, serial, host, kind, message, source))
    except StoreUnavailable as exc:
        return _unavailable(exc)
    return web.Response(status=status)


async def legacy_notification(request):
    return await _report(request, request.match_info['serial'], parse_legacy, 'legacy', 201)


# --- RFC 8572 ----------------------------------------------------------------------------------

async def get_bootstrapping_data(request):
    serial, host = _device(request)
    body = await _body(request)
    try:
        data = json.loads(body).get('ietf-sztp-bootstrap-server:input', {}) if body.strip() else {}
    except (ValueError, AttributeError):
        return _error(web.HTTPBadRequest, 'input must be {"ietf-sztp-bootstrap-server:input": {...}}')
    if isinstance(data, dict) and 'signed-data-preferred' in data:
        return _error(web.HTTPBadRequest, 'this server has only unsigned onboarding information; it cannot honour signed-data-preferred')
    records = request.app[RECORDS].current
    if request.app[OPTIONS]['redirect']:
        conveyed = records.rfc8572_redirect(serial)
    else:
        conveyed = records.conveyed[serial]
        _record_served(request, serial, host, 'onboarding information served')
    output = {'ietf-sztp-bootstrap-server:output': {'reporting-level': 'verbose', 'conveyed-information': conveyed}}
    return web.Response(text=json.dumps(output), content_type=RESTCONF_JSON)


async def report_progress(request):
    return await _report(request, None, parse_report_progress, 'rfc8572', 204)


# --- status API -----------------------------------------------------------------------------

def _since(request):
    text = request.query.get('since')
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise _error(web.HTTPBadRequest, 'since must be epoch seconds or ISO 8601, got %r' % text) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)).timestamp()


def _summary(events):
    return {'state': state_of(events), 'stage': events[-1].type if events else None,
            'last_event': events[-1].as_dict() if events else None}


def _from_loopback(request):
    try:
        address = ipaddress.ip_address(request.remote or '')
    except ValueError:
        return False
    # A dual-stack listener sees local IPv4 clients as ::ffff:127.0.0.1.
    return (getattr(address, 'ipv4_mapped', None) or address).is_loopback


def status_api(handler):
    """The status API shows serial numbers and device messages: closed unless a token is given or it is opened on purpose.

    With a token every client must present it; without one only clients on this host (loopback) are answered,
    unless the server was started with --status-open.  Checked by the status handlers only: device requests
    pay nothing for it.
    """
    @functools.wraps(handler)
    async def checked(request):
        options = request.app[OPTIONS]
        token = options['status_token']
        if token:
            offered = request.headers.get('Authorization', '')
            if not hmac.compare_digest(offered.encode(), ('Bearer ' + token).encode()):
                return _error(web.HTTPUnauthorized, 'a bearer token is required', headers={'WWW-Authenticate': 'Bearer'})
        elif not options['status_open'] and not _from_loopback(request):
            return _error(web.HTTPForbidden, 'the status API answers clients on this host only; start the server with '
                          '--status-token-file (clients send the token) or --status-open')
        try:
            return await handler(request)
        except StoreUnavailable as exc:
            return _unavailable(exc)
    return checked


def _unavailable(exc):
    """503, never 201, while the database is away: the device retries or fails over to another server."""
    return _error(web.HTTPServiceUnavailable, str(exc), headers={'Retry-After': '5'})


@status_api
async def status_device(request):
    serial = request.match_info['serial']
    records = request.app[RECORDS].current
    events = await request.app[STORE].events([serial], _since(request))
    if records.host_of(serial) is None and not events:
        raise _error(web.HTTPNotFound, 'unknown serial number %s' % serial)
    return web.json_response(dict(_summary(events), serial=serial, host=records.host_of(serial),
                                  history=[e.as_dict() for e in events]))


@status_api
async def status_vc(request):
    host = request.match_info['vc']
    records = request.app[RECORDS].current
    entry = records.hosts.get(host)
    if entry is None:
        raise _error(web.HTTPNotFound, 'no records for %s' % host)
    events = await request.app[STORE].events(entry['serials'], _since(request))
    members = {}
    for serial in entry['serials']:
        own = [e for e in events if serial in (e.serial, e.member_serial)]
        members[serial] = _summary(own)
    return web.json_response(dict(_summary(events), vc=host, topology=entry['topology'], provisioning_mode=entry['provisioning_mode'],
                                  members=members, history=[e.as_dict() for e in events]))


@status_api
async def status(request):
    records = request.app[RECORDS].current
    latest = await request.app[STORE].latest()
    hosts = {}
    for host, entry in records.hosts.items():
        newest = max((latest[s] for s in entry['serials'] if s in latest), key=lambda e: e.received, default=None)
        hosts[host] = _summary([newest] if newest else [])
    states = {}
    for summary in hosts.values():
        states[summary['state']] = states.get(summary['state'], 0) + 1
    return web.json_response({'records': len(records.devices), 'hosts': hosts, 'states': states,
                              'redirect': request.app[OPTIONS]['redirect']})


def create_app(records_dir, store, redirect=False, status_token_value=None, reload_interval=2.0, status_open=False):
    """The aiohttp application; store is a NotificationStore (closed when the app stops)."""
    app = web.Application(client_max_size=MAX_BODY)  # no middleware: every request would pay for it
    app[RECORDS] = RecordsHolder(records_dir, reload_interval)
    app[STORE] = store
    app[OPTIONS] = {'redirect': redirect, 'status_token': status_token_value, 'status_open': status_open}
    app.router.add_get(LEGACY_DEVICE, legacy_record)
    app.router.add_post(LEGACY_DEVICE + '/notification', legacy_notification)
    app.router.add_post(RFC8572_OPERATIONS + 'get-bootstrapping-data', get_bootstrapping_data)
    app.router.add_post(RFC8572_OPERATIONS + 'report-progress', report_progress)
    app.router.add_get('/status', status)
    app.router.add_get('/status/devices/{serial}', status_device)
    app.router.add_get('/status/vcs/{vc}', status_vc)
    app.cleanup_ctx.append(_background)
    return app


async def _background(app):
    holder = app[RECORDS]
    await holder.reload()
    if not holder.current.devices:
        log.warning('no records loaded from %s yet; serving 404 until they appear', holder.directory)
    watcher = asyncio.ensure_future(holder.watch())
    yield
    watcher.cancel()
    await app[STORE].close()

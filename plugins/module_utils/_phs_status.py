# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the junos.ztp phone-home server's status API, and waiting on it. PRIVATE to junos.ztp."""

from __future__ import annotations

import datetime
import time

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode

DONE_STATES = ('complete', 'failed')


class StatusError(Exception):
    pass


def status_url(base_url, serial=None, vc=None, since=None):
    """The status API URL of one device (serial) or one Virtual Chassis / host (vc)."""
    path = '/status/devices/%s' % quote(serial, safe='') if serial else '/status/vcs/%s' % quote(vc, safe='')
    query = '?' + urlencode({'since': since}) if since is not None else ''
    return base_url.rstrip('/') + path + query


def parse_since(value):
    """Epoch seconds from a number or an ISO 8601 time (naive times are UTC); None stays None."""
    if value is None or value == '':
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except ValueError:
        raise StatusError('since must be epoch seconds or an ISO 8601 time, got %r' % value) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)).timestamp()


def wait_for_done(fetch, timeout, poll_interval, clock=time.monotonic, sleep=time.sleep):
    """Poll fetch() until the status is complete or failed, or timeout seconds pass.

    fetch() returns the status document, or None while the server does not know the device yet
    (404) or cannot be reached. Returns (status or None, timed_out, polls).
    """
    deadline = clock() + timeout
    polls = 0
    while True:
        status = fetch()
        polls += 1
        if status is not None and status.get('state') in DONE_STATES:
            return status, False, polls
        if clock() >= deadline:
            return status, True, polls
        sleep(max(0.0, min(poll_interval, deadline - clock())))

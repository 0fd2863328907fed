# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Return a device or a whole Virtual Chassis to factory default so phone-home starts again. PRIVATE to junos.ztp.

``request system zeroize`` on a Virtual Chassis primary erases every member. PyEZ 2.8.2's SW.zeroize()
sends a bare ``<local/>`` as the whole RPC on a VC, so the RPC is built here. The device reboots while
answering; a reply cut short by that reboot means the request was accepted.
"""

from __future__ import annotations

import time

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    close_quietly, drop_session, open_device, send_expecting_disconnect, wait_for_device)
from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import read_virtual_chassis


def what_is_wiped(host, media, members=None):
    """A sentence naming what a zeroize erases: every member when they are known, else just the host."""
    if members:
        described = ', '.join('member %s (%s, %s)' % (m['member_id'], m['serial_number'], m['model']) for m in members)
        target = '%s: %d member(s): %s' % (host, len(members), described)
    else:
        target = '%s (every Virtual Chassis member it manages)' % host
    erased = 'all configuration, log files, installed keys and user files'
    if media:
        erased += ', and the storage media are overwritten'
    return '%s of %s' % (erased, target)


def refusal_message(host, media):
    return 'refusing to zeroize without confirm=true: it would erase %s, and phone-home would start again' % what_is_wiped(host, media)


def is_factory_default(device):
    """True when the committed configuration is the factory default: it carries ``system phone-home``."""
    configuration = device.rpc.get_config(filter_xml='<system><phone-home/></system>', options={'database': 'committed'})
    # PyEZ returns True instead of an element for an empty reply.
    return configuration is not True and configuration.find('.//system/phone-home') is not None


def zeroize(params, media=False, wait=False, wait_timeout=1800, check_mode=False, clock=time.monotonic):
    """Read what is there, zeroize it (unless ``check_mode``), and optionally wait for factory default.

    Returns the module result (without ``changed``); raises DeviceConnectionError when the device cannot
    be reached before the request, TimeoutError when it does not come back in factory default in time.
    """
    device = open_device(params)
    try:
        facts = read_virtual_chassis(device)
        members = [{key: m[key] for key in ('member_id', 'serial_number', 'model', 'role')} for m in facts['members']]
        hostname = next((m['hostname'] for m in facts['members'] if m['hostname']), None)
        wiped = what_is_wiped(params['host'], media, members)
        result = {'members': members, 'hostname': hostname, 'media': media, 'waited': False, 'elapsed': None, 'reply_cut_short': None}
        if check_mode:
            return dict(result, msg='would erase %s' % wiped)
        arguments = {'media': True} if media else {}
        # The zeroize reply carries warnings ("zeroizing re0", daemons not running); they are not failures.
        reply = send_expecting_disconnect(device, 'request_system_zeroize', ignore_warning=True, **arguments)
        result['reply_cut_short'] = reply is None
        # The device goes away: waiting for it needs a new session, never this one.
        drop_session(device)
    finally:
        close_quietly(device)
    started = clock()
    if not wait:
        return dict(result, msg='zeroize accepted: erasing %s' % wiped)
    close_quietly(wait_for_device(params, wait_timeout, ready=is_factory_default))
    elapsed = round(clock() - started, 1)
    return dict(result, waited=True, elapsed=elapsed,
                msg='erased %s; the device answered in factory-default state after %s s' % (wiped, elapsed))

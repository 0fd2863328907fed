# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fill junos.ztp.vcp_check's connection options from the host's ansible_host/port/user/password variables."""

from __future__ import annotations

from ansible_collections.junos.ztp.plugins.plugin_utils._device_action import DeviceActionBase


class ActionModule(DeviceActionBase):
    HOST_VARIABLE_DEFAULTS = {'members': 'ztp_members', 'topology': 'ztp_topology', 'provisioning_mode': 'ztp_provisioning_mode'}

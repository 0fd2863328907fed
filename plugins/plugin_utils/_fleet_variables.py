# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Some variables of every host of a large fleet, read fast, for controller-side action plugins. PRIVATE to junos.ztp.

``hostvars[host][name]`` costs about 0.3 ms per host in ansible-core 2.19 (VariableManager.get_vars
merges every source and cleans facts the hosts do not have), then templates whole structures on access
(milliseconds per host), and returns values carrying data tags that cost 16 times more to copy: tens of
seconds for 10,000 hosts. ``fleet_variables`` gives the same values as ``hostvars[host][name]`` for the
names asked for, with the same sources in the same order of precedence (inventory group and host
variables and the vars plugins that read group_vars/ and host_vars/, facts, include_vars, set_fact, extra
vars), but:

- the group part is merged once per distinct set of groups, not once per host;
- only strings holding Jinja are templated, in the host's full context;
- values come back as plain Python data; a structure many hosts share (a group variable) is converted once,
  and stays one object, so consumers can do per-structure work once too.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.inventory.helpers import get_group_vars, sort_groups
from ansible.plugins.loader import vars_loader
from ansible.utils.path import basedir
from ansible.utils.vars import combine_vars
from ansible.vars.plugins import get_vars_from_inventory_sources, get_vars_from_path

_STAGE = 'task'  # the stage HostVars reads variables at


def _has_template(value):
    """Whether a value holds Jinja anywhere."""
    if isinstance(value, str):
        return '{{' in value or '{%' in value
    if isinstance(value, dict):
        return any(_has_template(item) for item in value.values())
    return isinstance(value, list) and any(_has_template(item) for item in value)


def _templated(value, templar):
    if not _has_template(value):
        return value
    if isinstance(value, str):
        return templar.template(value)
    if isinstance(value, dict):
        return {key: _templated(item, templar) for key, item in value.items()}
    return [_templated(item, templar) for item in value]


def _plain(value):
    """(plain Python data in place of Ansible's tagged value, whether any text in it holds Jinja), in one walk."""
    if isinstance(value, str):
        return str(value), '{{' in value or '{%' in value
    if isinstance(value, dict):
        plain, jinja = {}, False
        for key, item in value.items():
            plain[str(key)], item_jinja = _plain(item)
            jinja = jinja or item_jinja
        return plain, jinja
    if isinstance(value, list):
        items = [_plain(item) for item in value]
        return [item for item, _jinja in items], any(jinja for _item, jinja in items)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value), False
    return value, False


def _picked(variables, names, prefix):
    if prefix:
        return {name: value for name, value in variables.items() if name in names or name.startswith(prefix)}
    return {name: variables[name] for name in names if name in variables}


class _InventoryVariables:
    """The merge VariableManager.get_vars does for a host without a play or task, restricted to some names."""

    def __init__(self, variable_manager, names, prefix):
        self._manager = variable_manager
        self._inventory = variable_manager._inventory
        self._hosts = self._inventory.hosts
        self._loader = variable_manager._loader
        self._names = names
        self._prefix = prefix
        self._basedirs = [self._loader.get_basedir()] if variable_manager.safe_basedir else []
        self._by_groups = {}
        self._wants_magic = None
        self._plugins_may_find = None
        self.supported = all(entry in self._group_sources() for entry in C.VARIABLE_PRECEDENCE)

    def _pick(self, variables):
        return _picked(variables, self._names, self._prefix)

    def _plugins_inventory(self, entities):
        return get_vars_from_inventory_sources(self._loader, self._inventory._sources, entities, _STAGE)

    def _plugins_play(self, entities):
        data = {}
        for path in self._basedirs:
            data = combine_vars(data, get_vars_from_path(self._loader, path, entities, _STAGE))
        return data

    def _group_sources(self, groups=()):
        all_group = self._inventory.groups.get('all')
        return {
            'all_inventory': all_group.get_vars,
            'all_plugins_inventory': lambda: self._plugins_inventory([all_group]),
            'all_plugins_play': lambda: self._plugins_play([all_group]),
            'groups_inventory': lambda: get_group_vars(groups),
            'groups_plugins_inventory': lambda: self._plugins_inventory(groups),
            'groups_plugins_play': lambda: self._plugins_play(groups),
        }

    def variables(self, host_name):
        host = self._hosts.get(host_name) or self._inventory.get_host(host_name)  # get_host untags the name first: slower
        key = tuple(group.name for group in host.get_groups())
        if key not in self._by_groups:
            groups = sort_groups([group for group in host.get_groups() if group.name != 'all'])
            data, sources = {}, self._group_sources(groups)
            for entry in C.VARIABLE_PRECEDENCE:
                data = combine_vars(data, self._pick(sources[entry]()))
            self._by_groups[key] = data
        data = self._by_groups[key]
        manager = self._manager
        # Most layers are empty for most hosts: merged only when they hold something asked for.
        plugins = (self._plugins_inventory([host]), self._plugins_play([host])) if self._host_plugins_may_find() else ()
        layers = (self._host_variables(host), *plugins, self._facts(host_name), manager._vars_cache.get(host_name),
                  manager._nonpersistent_fact_cache.get(host_name), manager.extra_vars)
        for layer in layers:
            picked = self._pick(layer) if layer else None
            if picked:
                data = combine_vars(data, picked)
        return data

    def _host_plugins_may_find(self):
        """False when no vars plugin can find anything for any host, so the two plugin calls per host (~10 us each) are skipped:
        the only vars plugin loaded is host_group_vars, and there is no host_vars/ beside an inventory source or the playbook."""
        if self._plugins_may_find is None:
            self._plugins_inventory([])  # loads the vars plugins, as the first host's call would
            only_host_group_vars = set(vars_loader._plugin_instance_cache or ()) == {'ansible.builtin.host_group_vars'}
            # The directories host_group_vars looks in, found as get_vars_from_inventory_sources and the plugin find them.
            sources = [path if os.path.isdir(path) else os.path.dirname(path) for path in self._inventory._sources
                       if path is not None and not (',' in path and not os.path.exists(path))]
            directories = [basedir(path) for path in sources + self._basedirs]
            self._plugins_may_find = not only_host_group_vars or any(
                directory is None or os.path.exists(os.path.join(os.path.realpath(directory), 'host_vars')) for directory in directories)
        return self._plugins_may_find

    def _host_variables(self, host):
        """host.get_vars(), without the magic variables (inventory_hostname...) when none of them is asked for."""
        if self._wants_magic is None:
            self._wants_magic = bool(self._pick(host.get_magic_vars()))
        return host.get_vars() if self._wants_magic else host.vars

    def _facts(self, host_name):
        if not C.INJECT_FACTS_AS_VARS:
            return {}
        try:
            return self._manager._fact_cache.get(host_name)
        except KeyError:
            return {}


def fleet_variables(hostvars, hosts, names, templar, prefix=None):
    """{host: {name: value}} for the given variable names of every host, templated, as plain Python data.

    With ``prefix``, every other variable whose name starts with it comes too, untemplated: the caller
    only looks at its name (the data model refuses unknown ztp_* names).
    """
    names = frozenset(names)
    reader = _InventoryVariables(hostvars._variable_manager, names, prefix)
    fleet, converted = {}, {}
    for host in hosts:
        if reader.supported:
            values = reader.variables(host)
        else:  # a precedence setting we do not mirror: the exact, slower way
            values = _picked(hostvars.raw_get(host), names, prefix)
        plain, templated = {}, []
        for name, value in values.items():
            # A value many hosts share (a group variable) is converted once, and stays one object for every host.
            entry = converted.get(id(value))
            if entry is None or entry[0] is not value:  # the object is kept in the memo, so its id is never reused
                entry = converted[id(value)] = (value,) + _plain(value)
            plain[name] = entry[1]
            if entry[2] and name in names:
                templated.append(name)
        if templated:  # only values holding Jinja need the templar, in the host's full context
            host_templar = templar.copy_with_new_env(available_variables=hostvars.raw_get(host))
            for name in templated:
                plain[name] = _plain(_templated(values[name], host_templar))[0]
        fleet[host] = plain
    return fleet

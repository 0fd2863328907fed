# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files DHCP ZTP hosts fetch, published under the file server's directory. PRIVATE to junos.ztp.

Each dhcp-ztp host's configuration (Junos text configuration, or a script) goes where its DHCP record names
it: the file server's directory + ``ztp_file_server.config_path`` + the file name. Every file is checked
before the first is written; a file whose content is already there is left alone.
"""

from __future__ import annotations

import os

from ansible_collections.junos.ztp.plugins.module_utils._data_model import Problem, configuration_format_problems
from ansible_collections.junos.ztp.plugins.module_utils._dhcp import configuration_path
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_output import read_current, write_atomically

BOOTSTRAP_METHOD = 'dhcp-ztp'


def hosts_with_files(models):
    """The dhcp-ztp hosts that fetch a configuration or script from a file server, sorted."""
    return sorted(host for host, model in models.items()
                  if model['ztp_bootstrap_method'] == BOOTSTRAP_METHOD and model['ztp_configuration'] and model['ztp_file_server'])


class Publication:
    """One file to publish: which host fetches it, where it goes, what it holds and what is there now."""

    def __init__(self, host, path, dest, text, current):
        self.host = host
        self.path = path        # on the file server, as the DHCP record names it
        self.dest = dest        # on the controller, under the file server's directory
        self.text = text
        self.current = current  # None when there is no file yet

    @property
    def changed(self):
        return self.current != self.text

    def diff(self):
        return {'before': self.current or '', 'after': self.text, 'before_header': self.dest, 'after_header': self.dest}


def plan_publications(root, models, texts, templated):
    """(publications, problems) for the hosts of ``texts`` (host -> configuration text, None when it could not be read).

    ``templated`` names the hosts whose text was rendered from a template: the data model checked content, the
    rendered text is checked here with the same rule, before anything is written.
    """
    root = os.path.realpath(root)
    publications, problems, owners = [], [], {}
    for host in sorted(texts):
        text = texts[host]
        if text is None:
            continue
        path = configuration_path(host, models[host])
        if host in templated:
            problems.extend(Problem(host, 'ztp_configuration.template', 'renders a configuration that ' + message)
                            for message in configuration_format_problems(text, BOOTSTRAP_METHOD))
        dest = os.path.realpath(os.path.join(root, path.lstrip('/')))
        if os.path.commonpath([root, dest]) != root or dest == root:
            problems.append(Problem(host, 'ztp_configuration.file_name', 'puts the file at %s, outside the file server directory %s' % (path, root)))
            continue
        owner = owners.setdefault(dest, (host, text))
        if owner[0] != host and owner[1] != text:
            problems.append(Problem(host, 'ztp_configuration.file_name', '%s is also the file of host %s, with other content' % (path, owner[0])))
            continue
        if owner[0] == host:
            publications.append(Publication(host, path, dest, text, read_current(dest) if os.path.isfile(dest) else None))
    return publications, problems


def publish(publications):
    """Write the changed files atomically (directories created as needed); returns the paths written."""
    written = []
    for publication in publications:
        if not publication.changed:
            continue
        os.makedirs(os.path.dirname(publication.dest), mode=0o755, exist_ok=True)
        write_atomically(publication.dest, publication.text, backup=False)
        written.append(publication.dest)
    return written

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendering a configuration template the way ansible.builtin.template does. PRIVATE to junos.ztp."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.template import trust_as_template

from ansible_collections.junos.ztp.plugins.module_utils._data_model import Problem
from ansible_collections.junos.ztp.plugins.plugin_utils._controller_files import ControllerFiles


class TemplateRendering(ControllerFiles):
    """Mixin for action plugins: render a template file found like ansible.builtin.template finds it."""

    def render_template(self, path, task_vars, variables=None):
        """The rendered text of ``path`` (searched in templates/), with ``variables`` or the task's own."""
        source = self.find_controller_file('templates', path)
        text = trust_as_template(self._loader.get_text_file_contents(source))
        environment = {'searchpath': [os.path.dirname(source)] + list(task_vars.get('ansible_search_path', []))}
        if variables is not None:
            environment['available_variables'] = variables
        return self._templar.copy_with_new_env(**environment).template(text, escape_backslashes=False) or ''

    def host_configuration(self, host, configuration, hostvars, task_vars, problems):
        """A host's ztp_configuration as text: its content, or its template rendered with that host's variables.

        None when there is neither, or when the template does not render (a Problem naming the host is added).
        """
        if configuration.get('content'):
            return configuration['content']
        path = configuration.get('template')
        if not path:
            return None
        try:
            return self.render_template(path, task_vars, dict(hostvars.raw_get(host), hostvars=hostvars))
        except AnsibleError as exc:
            problems.append(Problem(host, 'ztp_configuration.template', 'cannot render %s: %s' % (path, exc)))
            return None

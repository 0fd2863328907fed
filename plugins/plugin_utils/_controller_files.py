# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the files on the controller that the inventory names. PRIVATE to junos.ztp.

One rule for every plugin, the one Ansible's own actions use (``ansible.builtin.template`` for ``templates``,
``ansible.builtin.copy`` for ``files``): an absolute path (or ``~``) as it is; a relative one in that directory
of the role, then of the playbook, then beside the playbook. validate_inventory checks the files with the
same function the plugins that read them use, so a file it accepts is the file that is read.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleError


class ControllerFiles:
    """Mixin for action plugins."""

    def find_controller_file(self, directory, path):
        """The absolute path of a readable file; raises AnsibleError naming the path otherwise."""
        try:
            found = self._find_needle(directory, path)
        except AnsibleError:
            raise AnsibleError('no file %s on the controller (a relative path is searched in %s/ of the role and of the playbook, '
                               'then beside the playbook)' % (path, directory)) from None
        if not os.path.isfile(found) or not os.access(found, os.R_OK):
            raise AnsibleError('%s on the controller is not a readable file' % found)
        return found

    def controller_file_problem(self, directory, path):
        """What is wrong with a file the inventory names, or None: the data model's ``find_file``."""
        try:
            self.find_controller_file(directory, path)
        except AnsibleError as exc:
            return str(exc)
        return None

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the files on the controller that the inventory names. PRIVATE to junos.ztp.

One rule for every plugin, the one Ansible's own actions use (``ansible.builtin.template`` for ``templates``,
``ansible.builtin.copy`` for ``files``): an absolute path (or ``~``) as it is; a relative one in that directory
of the role, then of the playbook, then beside the playbook. Playbooks shipped in the collection are run through
``import_playbook`` (AWX job templates do so), and "the playbook" is then the collection's own; so the same two
places of the playbook given to ansible-playbook (the project's, in AWX) are searched last.
validate_inventory checks the files with the same function the plugins that read them use, so a file it accepts
is the file that is read.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleError

from ansible_collections.junos.ztp.plugins.plugin_utils._paths import playbook_directory


class ControllerFiles:
    """Mixin for action plugins."""

    def find_controller_file(self, directory, path):
        """The absolute path of a readable file; raises AnsibleError naming the path otherwise."""
        try:
            found = self._find_needle(directory, path)
        except AnsibleError:
            top = playbook_directory(self._loader)
            found = next((candidate for candidate in (os.path.join(top, directory, path), os.path.join(top, path))
                          if os.path.exists(candidate)), None)
            if found is None:
                raise AnsibleError('no file %s on the controller (a relative path is searched in %s/ of the role and of the playbook, '
                                   'then beside the playbook, then in %s/ of and beside the playbook run)' % (path, directory, directory)) from None
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

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a relative output path given to a junos.ztp module points. PRIVATE to junos.ztp.

One rule for every file a module writes: a relative path is joined to the directory of the playbook being run
(the file given to ansible-playbook; in AWX, the job template's playbook in the project), so a job writes the
same files whatever the working directory. Playbooks a collection imports do not move it: their directory is
inside the installed collection. Files a module reads are found like ``copy``'s ``src`` (_controller_files.py).
"""

from __future__ import annotations

import os

from ansible import context


def playbook_directory(loader):
    """The directory of the playbook ansible-playbook runs (the loader's base directory outside ansible-playbook)."""
    playbooks = context.CLIARGS.get('args') or ()
    if playbooks:
        return os.path.dirname(os.path.abspath(playbooks[0]))
    return os.path.abspath(loader.get_basedir())


def controller_path(loader, path):
    """``path`` (already ~-expanded by the argument spec) as an absolute, normalized path on the controller."""
    if not path:
        return path
    return os.path.normpath(os.path.join(playbook_directory(loader), os.path.expanduser(path)))

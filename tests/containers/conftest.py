"""The container tests' images: each built from its current inputs unless it exists (tools/build-*-image.sh)."""

from __future__ import annotations

import pytest
from images import build_image


@pytest.fixture(scope='module')
def vcsim_image():
    """The simulated Junos device (tests/vcsim)."""
    return build_image('build-vcsim-image.sh', 'localhost/junos-ztp-vcsim:latest')


@pytest.fixture(scope='module')
def phs_host_image():
    """A Debian host with systemd for the phone-home server role."""
    return build_image('build-phs-host-image.sh', 'localhost/junos-ztp-phs-host:latest')

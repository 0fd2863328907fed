#!/usr/bin/env bash
# podman with the project's settings; the image build, the containers scenario and the tests run podman through it:
# - storage, run and tmp directories of its own under .build/podman (or $JUNOS_ZTP_PODMAN_DIR): the user's own images
#   and containers are neither seen nor touched, and `rm -rf .build/podman` removes everything the project made;
# - tools/vcsim-image/containers.conf: the runc runtime, limits that fit unprivileged machines, no systemd or journald.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${JUNOS_ZTP_PODMAN_DIR:-$repo/.build/podman}
export CONTAINERS_CONF=$repo/tools/vcsim-image/containers.conf
exec podman --root "$state/storage" --runroot "$state/run" --tmpdir "$state/tmp" "$@"

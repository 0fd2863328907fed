#!/usr/bin/env bash
# Builds the container image of the simulated Junos device (tests/vcsim), offline from any container registry
# (tools/debian-image.sh):
#   1. a Debian bookworm root filesystem with python3, from Debian packages (mmdebstrap);
#   2. the simulator's Python libraries from PyPI, hash-pinned in tools/vcsim-image/requirements.txt (pip);
#   3. the simulator package itself, byte-compiled with hash-checked .pyc files (no timestamps in them);
#   4. `podman build` of tools/vcsim-image/Containerfile on that tarball, with a fixed creation time.
#
#   tools/build-vcsim-image.sh [--if-missing]
#
# Tags localhost/junos-ztp-vcsim:latest and :<digest of the inputs>; --if-missing builds nothing when an image of the
# current inputs exists (it only tags that one :latest).
# shellcheck source=tools/debian-image.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-image.sh"
image=localhost/junos-ztp-vcsim
context=$repo/.build/vcsim-image
containerfile=tools/vcsim-image/Containerfile
# The simulator's sources, the pins, the Containerfile and this script.
inputs=(tests/vcsim tools/vcsim-image tools/build-vcsim-image.sh)

debian_image_start "$@"
site=usr/local/lib/python3.11/dist-packages
python=${PYTHON:-$repo/.venv/bin/python}
# The hooks' single-quoted $1 is mmdebstrap's (the root filesystem), expanded when it runs them. The libraries' console
# scripts go, and their lines in RECORD: the simulator does not use them, and their #! line names the Python that ran
# pip on this machine (the image would differ by checkout and caller).
# shellcheck disable=SC2016
debian_image_rootfs --include=python3 \
  --customize-hook="'$python' -m pip install --quiet --disable-pip-version-check --no-compile --no-deps --require-hashes \
      --only-binary=:all: --platform=manylinux2014_x86_64 --python-version=3.11 --implementation=cp --abi=cp311 \
      --target=\"\$1/$site\" -r '$repo/tools/vcsim-image/requirements.txt'" \
  --customize-hook="rm -r \"\$1/$site/bin\" && sed -i '\\,^\\.\\./\\.\\./bin/,d' \"\$1/$site\"/*.dist-info/RECORD" \
  --customize-hook="tar -C '$repo/tests' --exclude=__pycache__ --exclude='*.pyc' --owner=0 --group=0 --numeric-owner \
      --mode=u=rwX,go=rX --mtime=@$SOURCE_DATE_EPOCH -c vcsim | tar -C \"\$1/$site\" -x" \
  --customize-hook="chroot \"\$1\" python3 -m compileall -q --invalidation-mode unchecked-hash /$site" \
  --customize-hook='mkdir -p "$1/etc/vcsim" "$1/var/lib/vcsim" && chown 65534:65534 "$1/var/lib/vcsim"'
debian_image_build

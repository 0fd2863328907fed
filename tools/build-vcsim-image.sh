#!/usr/bin/env bash
# Builds the container image of the simulated Junos device (tests/vcsim), offline from any container registry:
#   1. a Debian bookworm root filesystem with python3, from Debian packages (mmdebstrap);
#   2. the simulator's Python libraries from PyPI, hash-pinned in tools/vcsim-image/requirements.txt (pip);
#   3. the simulator package itself, byte-compiled with hash-checked .pyc files (no timestamps in them);
#   4. `podman build` of tools/vcsim-image/Containerfile on that tarball, with a fixed creation time.
# SOURCE_DATE_EPOCH (default: the time of the last commit touching these inputs) fixes every timestamp, so the same
# inputs and Debian mirror content give the same root filesystem tarball and the same image.
#
#   tools/build-vcsim-image.sh [--if-missing]
#
# Tags localhost/junos-ztp-vcsim:latest and :<digest of the inputs>; --if-missing does nothing when an image of the
# current inputs exists.
set -euo pipefail
# Files the build writes get the same modes on every machine.
umask 022
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The scenario passes its podman (MOLECULE_PODMAN_EXECUTABLE, as for molecule's podman driver); by default the project's.
podman=("${MOLECULE_PODMAN_EXECUTABLE:-$repo/tools/vcsim-podman.sh}")
python=${PYTHON:-$repo/.venv/bin/python}
image=localhost/junos-ztp-vcsim
context=$repo/.build/vcsim-image
suite=bookworm
inputs=(tests/vcsim tools/vcsim-image tools/build-vcsim-image.sh)

cd "$repo"
# The image's tag names its inputs: the simulator's sources, the pins, the Containerfile and this script.
tag=$(find "${inputs[@]}" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ "${1:-}" = "--if-missing" ] && "${podman[@]}" image exists "$image:$tag"; then
  echo "$image:$tag is current"
  exit 0
fi
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct -- "${inputs[@]}" 2>/dev/null || true)
  SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
fi
export SOURCE_DATE_EPOCH

rm -rf "$context" && mkdir -p "$context"
site=usr/local/lib/python3.11/dist-packages
# The image holds no documentation, manual pages, translations or iconv modules (the copyright files stay).
# The root filesystem is merged-/usr from the start (usr-is-merged), so usrmerge and the perl it pulled in go.
# No mirror is named: mmdebstrap uses Debian's default one and adds the release's updates and security archives.
# The hooks' single-quoted $1 is mmdebstrap's (the root filesystem), expanded when it runs them.
# shellcheck disable=SC2016
mmdebstrap --quiet --variant=essential --include=python3,usr-is-merged \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
  --customize-hook='chroot "$1" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl \
      perl libperl5.36 perl-modules-5.36 >/dev/null' \
  --customize-hook="'$python' -m pip install --quiet --disable-pip-version-check --no-compile --no-deps --require-hashes \
      --only-binary=:all: --platform=manylinux2014_x86_64 --python-version=3.11 --implementation=cp --abi=cp311 \
      --target=\"\$1/$site\" -r '$repo/tools/vcsim-image/requirements.txt'" \
  --customize-hook="tar -C '$repo/tests' --exclude=__pycache__ --exclude='*.pyc' --owner=0 --group=0 --numeric-owner \
      --mode=u=rwX,go=rX --mtime=@$SOURCE_DATE_EPOCH -c vcsim | tar -C \"\$1/$site\" -x" \
  --customize-hook="chroot \"\$1\" python3 -m compileall -q --invalidation-mode unchecked-hash /$site" \
  --customize-hook='mkdir -p "$1/etc/vcsim" "$1/var/lib/vcsim" && chown 65534:65534 "$1/var/lib/vcsim"' \
  --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname" "$1/var/log/dpkg.log" "$1/var/log/alternatives.log"' \
  --customize-hook='rm -rf "$1/var/cache/debconf"/*-old "$1/var/lib/dpkg"/*-old' \
  "$suite" "$context/rootfs.tar"
cp tools/vcsim-image/Containerfile "$context/"
"${podman[@]}" build --quiet --no-cache --timestamp "$SOURCE_DATE_EPOCH" --network none \
  --tag "$image:$tag" --tag "$image:latest" "$context" >/dev/null
rm -f "$context/rootfs.tar"
# Earlier builds go: only the current image is kept (one still in use by a container stays).
for old in $("${podman[@]}" images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$image"); do
  case "$old" in
    "$image:$tag" | "$image:latest") ;;
    *) "${podman[@]}" rmi "$old" >/dev/null 2>&1 || true ;;
  esac
done
# Untagged leftovers of interrupted or superseded builds go too.
"${podman[@]}" image prune --force >/dev/null
echo "$image:$tag $("${podman[@]}" image inspect --format '{{.Id}} {{.Size}}' "$image:$tag")"

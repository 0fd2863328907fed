# shellcheck shell=bash disable=SC2154
# Sourced by the project's image builds (tools/build-vcsim-image.sh, tools/build-phs-host-image.sh): a Debian bookworm
# root filesystem from Debian packages only (mmdebstrap), turned into an image by `podman build` with a fixed creation
# time; nothing comes from a container registry. The caller sets `image` (name without tag), `context` (build
# directory), `inputs` (the files and directories whose content names the image) and `containerfile`, then calls
#   debian_image_start "$@"                 # handles --if-missing; sets `tag` and SOURCE_DATE_EPOCH
#   debian_image_rootfs MMDEBSTRAP_ARGS...  # the caller's --include and --customize-hook options
#   debian_image_build
# (SC2154: those variables are the caller's.)
# SOURCE_DATE_EPOCH (default: the time of the last commit touching the inputs) fixes every timestamp, so the same inputs
# and Debian mirror content give the same root filesystem tarball and the same image.
set -euo pipefail
# Files the build writes get the same modes on every machine.
umask 022
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# A caller may pass its podman (MOLECULE_PODMAN_EXECUTABLE, as for molecule's podman driver); by default the project's.
podman=("${MOLECULE_PODMAN_EXECUTABLE:-$repo/tools/vcsim-podman.sh}")
cd "$repo"

debian_image_start() {
  # The image's tag is a digest of its inputs and of these shared steps.
  tag=$(find "${inputs[@]}" tools/debian-image.sh -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  if [ "${1:-}" = "--if-missing" ] && "${podman[@]}" image exists "$image:$tag"; then
    # :latest is the current image, whatever was built or removed since.
    "${podman[@]}" tag "$image:$tag" "$image:latest"
    echo "$image:$tag is current"
    exit 0
  fi
  if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct -- "${inputs[@]}" tools/debian-image.sh 2>/dev/null || true)
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
  fi
  export SOURCE_DATE_EPOCH
  rm -rf "$context" && mkdir -p "$context"
}

debian_image_rootfs() {
  # The image holds no documentation, manual pages, translations or iconv modules (the copyright files stay).
  # The root filesystem is merged-/usr from the start (usr-is-merged), so usrmerge and the perl it pulled in go.
  # No mirror is named: mmdebstrap uses Debian's default one and adds the release's updates and security archives.
  # The hooks' single-quoted $1 is mmdebstrap's (the root filesystem), expanded when it runs them.
  # shellcheck disable=SC2016
  mmdebstrap --quiet --variant=essential --include=usr-is-merged \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
    --customize-hook='chroot "$1" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl \
        perl libperl5.36 perl-modules-5.36 >/dev/null' \
    "$@" \
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname" "$1/var/log/dpkg.log" "$1/var/log/alternatives.log"' \
    --customize-hook='rm -rf "$1/var/cache/debconf"/*-old "$1/var/lib/dpkg"/*-old' \
    bookworm "$context/rootfs.tar"
}

debian_image_build() {
  cp "$containerfile" "$context/Containerfile"
  "${podman[@]}" build --quiet --no-cache --timestamp "$SOURCE_DATE_EPOCH" --network none \
    --tag "$image:$tag" --tag "$image:latest" "$context" >/dev/null
  rm -f "$context/rootfs.tar"
  # Earlier builds go: only the current image is kept (one still in use by a container stays).
  local old
  for old in $("${podman[@]}" images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$image"); do
    case "$old" in
      "$image:$tag" | "$image:latest") ;;
      *) "${podman[@]}" rmi "$old" >/dev/null 2>&1 || true ;;
    esac
  done
  # Untagged leftovers of interrupted or superseded builds go too.
  "${podman[@]}" image prune --force >/dev/null
  echo "$image:$tag $("${podman[@]}" image inspect --format '{{.Id}} {{.Size}}' "$image:$tag")"
}

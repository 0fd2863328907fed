#!/usr/bin/env bash
# Builds the container image of a Debian bookworm host for the junos.ztp.phone_home_server role, offline from any
# container registry (tools/debian-image.sh): systemd (PID 1), python3 with venv and packaging (what the role's
# ansible.builtin.pip tasks need on the target), passwd (useradd, groupadd) and openssh-server, from Debian packages
# only. The host keys are made when the container first starts sshd, so every container has its own.
#
#   tools/build-phs-host-image.sh [--if-missing]
#
# Tags localhost/junos-ztp-phs-host:latest and :<digest of the inputs>; --if-missing builds nothing when an image of the
# current inputs exists (it only tags that one :latest).
# shellcheck source=tools/debian-image.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-image.sh"
image=localhost/junos-ztp-phs-host
context=$repo/.build/phs-host-image
containerfile=tools/phs-host-image/Containerfile
inputs=(tools/phs-host-image tools/build-phs-host-image.sh)

debian_image_start "$@"
# The hooks' single-quoted $1 is mmdebstrap's (the root filesystem), expanded when it runs them.
# shellcheck disable=SC2016
debian_image_rootfs --include=systemd,systemd-sysv,python3,python3-venv,python3-packaging,passwd,openssh-server \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
  --customize-hook='mkdir -p "$1/etc/systemd/system/ssh.service.d" && printf "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n" \
      >"$1/etc/systemd/system/ssh.service.d/host-keys.conf"' \
  --customize-hook='rm -f "$1/etc/machine-id" && touch "$1/etc/machine-id"'
debian_image_build

#!/usr/bin/env bash
# Debian packages the tests and the demo need: the real DHCP servers that check rendered
# configurations, ssh/scp clients, iproute2 for network-namespace DHCP exchanges; podman, its runc runtime and
# mmdebstrap for the simulator's container image and the molecule scenario `containers` (make test-containers),
# and the TFTP server the simulated switch's DHCP ZTP fetches from (tests/wire/test_dhcp_ztp.py).
set -euo pipefail
packages=(isc-dhcp-server kea-dhcp4-server kea-dhcp6-server openssh-client iproute2 rsync tftpd-hpa podman runc mmdebstrap)
# The phone-home server's shared database (tests/wire/test_phs_postgres.py starts its own, as nobody).
packages+=(postgresql)
# bench/phs_vs_nginx.py: ab (a C load generator) and nginx, the limit the phone-home server is measured against.
packages+=(apache2-utils nginx-light)
# ansible-test sanity checks the shell scripts with shellcheck only where it is installed.
packages+=(shellcheck)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The packaged services must not start (or grab ports) on the build machine; an existing
# policy-rc.d is left as it is.
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ -z "$created_policy" ] || $sudo rm -f /usr/sbin/policy-rc.d

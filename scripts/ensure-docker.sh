#!/usr/bin/env bash
# Makes a Docker engine ready for the chaos suite (chaos-tests/) on a Debian/Ubuntu machine.
#
#   scripts/ensure-docker.sh          # as root (CI), or with sudo
#
# - An engine that already answers `docker info` is left alone (nothing installed or restarted).
# - Otherwise: installs docker.io and iptables if missing, writes /etc/docker/daemon.json (only if
#   absent; the expected content is below and in README "Chaos suite"), starts dockerd in the
#   background (log: /var/log/sluice-dockerd.log) and waits up to DOCKER_WAIT_S (default 60) seconds
#   for `docker info`.
# - The daemon runs with "iptables": false, so it adds no FORWARD rules. If the host's FORWARD
#   policy is DROP (br_netfilter passes bridged traffic through it), traffic between the test
#   clusters' containers is allowed with one rule for their bridges only (SluiceCluster names
#   them slc…): iptables -I FORWARD 1 -i slc+ -o slc+ -j ACCEPT. Nothing else is opened.
# The daemon configuration is the one in DEVELOPERS.md ("Docker for the chaos suite").
#
# Exit status 0 when `docker info` answers at the end, 1 otherwise (with the reason on stderr).
set -euo pipefail

wait_s="${DOCKER_WAIT_S:-60}"
daemon_json='{"bip": "198.18.0.1/24", "default-address-pools": [{"base": "198.19.0.0/16", "size": 24}], "iptables": false, "ip-masq": false}'

say() { echo "ensure-docker: $*" >&2; }

allow_test_bridges() {
  # Only as root, only where FORWARD drops, and only once.
  [[ "$(id -u)" == 0 ]] && command -v iptables >/dev/null 2>&1 || return 0
  if iptables -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP' \
      && ! iptables -C FORWARD -i 'slc+' -o 'slc+' -j ACCEPT 2>/dev/null; then
    say "the host's FORWARD policy is DROP: allowing traffic between test-cluster bridges (slc+)"
    iptables -I FORWARD 1 -i 'slc+' -o 'slc+' -j ACCEPT
  fi
}

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "a Docker engine is already running; leaving it alone"
  allow_test_bridges
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E "$0" "$@"
  fi
  say "error: no Docker engine answers and this script needs root to start one"
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1 \
    || ! command -v nsenter >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "error: dockerd is missing and this is not a Debian-like machine; install Docker (https://docs.docker.com/engine/install/)"
    exit 1
  fi
  say "installing docker.io and iptables"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q docker.io iptables util-linux
fi

mkdir -p /etc/docker
if [[ ! -e /etc/docker/daemon.json ]]; then
  say "writing /etc/docker/daemon.json"
  printf '%s\n' "$daemon_json" > /etc/docker/daemon.json
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd is running but not answering yet; waiting for it"
else
  say "starting dockerd (log: /var/log/sluice-dockerd.log)"
  # setsid: dockerd must outlive this script and the CI step that ran it.
  setsid nohup dockerd >>/var/log/sluice-dockerd.log 2>&1 < /dev/null &
fi

for ((i = 0; i < wait_s; i++)); do
  if docker info >/dev/null 2>&1; then
    allow_test_bridges
    say "Docker is ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  sleep 1
done
say "error: dockerd did not answer within ${wait_s}s; see /var/log/sluice-dockerd.log"
tail -20 /var/log/sluice-dockerd.log >&2 || true
exit 1

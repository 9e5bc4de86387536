#!/usr/bin/env bash
# What the tests leave on the host. `make test` snapshots the host before its first test and
# checks it after its last one: anything new is a leak, printed, and the check fails.
#   scripts/leak-check.sh snapshot FILE   record what is there now
#   scripts/leak-check.sh check FILE      print what appeared since FILE; exit 1 if anything
#   scripts/leak-check.sh list            print what is there now
# Looked at: processes of docker-registry, uranus-node, uranus-agent, zombienet, chromium and
# job containers (runc's state under /run/uranus-agent); network namespaces; `urh*`/`urc*`
# veths; loop devices; job firewall rules (comment `uranus:`); mounts of job volumes;
# `/tmp/zombie-*` directories; agents' and jobs' cgroups (uranus-agent/ in each hierarchy).
set -uo pipefail

list() {
  # Processes (not this script's own pipeline): one line per process, by name and arguments.
  ps -eo pid=,args= | awk -v self=$$ '$1 != self' \
    | grep -E 'docker-registry serve|uranus-node|uranus-agent|zombienet|chromium|headless_shell' \
    | grep -vE 'leak-check|grep -E' | sed -E 's/^ *([0-9]+) (.*)/process \1 \2/' | cut -c1-240
  for root in /run/uranus-agent/runc-*; do
    [ -d "$root" ] || continue
    runc --root "$root" list -q 2>/dev/null | sed "s|^|container $root |"
  done
  ip netns list 2>/dev/null | awk '{print "netns " $1}'
  ip -o link show 2>/dev/null | awk -F': ' '{split($2, n, "@"); print n[1]}' \
    | grep -E '^ur[hc][0-9]+$' | sed 's/^/veth /'
  losetup -l -n -O NAME,BACK-FILE 2>/dev/null | awk '{print "loop " $1 " " $2}'
  for table in filter nat; do
    iptables -w -t "$table" -S 2>/dev/null | grep -F 'uranus:' | sed "s/^/firewall $table /"
  done
  awk '$2 ~ /uranus|zombie/ {print "mount " $2}' /proc/mounts
  ls -d /tmp/zombie-* 2>/dev/null | sed 's/^/dir /'
  find /sys/fs/cgroup/uranus-agent /sys/fs/cgroup/*/uranus-agent -mindepth 1 -maxdepth 2 -type d \
    2>/dev/null | sed 's/^/cgroup /'
  true
}

# A process's identity for comparison is its arguments, not its pid.
normalize() { sed -E 's/^process [0-9]+ /process /' | sort -u; }

case "${1:-}" in
  snapshot) list | normalize > "$2" ;;
  list) list ;;
  check)
    leaks=$(list | normalize | comm -13 "$2" -)
    if [ -n "$leaks" ]; then
      echo "leak check: FAILED, left behind by the tests:"
      echo "$leaks" | sed 's/^/  /'
      exit 1
    fi
    echo "leak check: ok (no process, container, network namespace, veth, loop device, firewall rule, mount, zombienet directory or job cgroup left)"
    ;;
  *) echo "usage: $0 snapshot FILE | check FILE | list" >&2; exit 2 ;;
esac

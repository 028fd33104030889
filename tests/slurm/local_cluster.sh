#!/usr/bin/env bash
# A throw-away single-node SLURM cluster on this machine, for the workflow's SLURM test (tests/slurm/).
#
#   tests/slurm/local_cluster.sh install   Debian's slurm-wlm and munge (needs root; ~15 s)
#   tests/slurm/local_cluster.sh start     start munged, slurmctld and slurmd with a private configuration
#   tests/slurm/local_cluster.sh stop      stop exactly those daemons and remove every file they used
#
# Everything lives in one state directory, $MLPT_SLURM_STATE (default /tmp/mlpt-slurm): slurm.conf,
# the munge key, munged's socket, the daemons' pid files, logs and spool directories. Nothing is
# written under /etc, /run or /var. The daemons and every SLURM command find the configuration through
# SLURM_CONF=<state>/slurm.conf (export it before calling sbatch, squeue, scontrol ...), and SLURM
# reaches our munged through `AuthInfo=socket=<state>/munge.socket`, so a system munged is not needed.
# Snakemake also needs <state>/bin first in PATH (an srun that restores SLURM_CONF, see below);
# `start` prints both settings.
#
# `start` refuses (exit status 3, with the reason on stderr) where a SLURM it did not start is
# configured or running, so that it can never take over or disturb a real cluster:
#   - /etc/slurm/slurm.conf (or the older /etc/slurm-llnl/slurm.conf) exists;
#   - SLURM_CONF is set to another file than <state>/slurm.conf;
#   - a slurmctld, slurmd or munged process runs that is not the one in this script's pid files;
#   - the state directory exists but was not made by this script.
# `stop` cancels the jobs left in our queue, then sends TERM to the daemons named in our pid files
# (never to processes found by name), KILL to those still alive after 20 s, and removes the state
# directory: afterwards the machine is as it was before `start`.
#
# `install`: the Debian packages (bookworm: slurm-wlm 22.05, munge 0.5.15) ship no slurm.conf, but
# their maintainer scripts create /etc/munge/munge.key and start their services through invoke-rc.d:
# munged would start (slurmctld and slurmd do not, for want of /etc/slurm/slurm.conf). A munged
# started there is a daemon this script did not start, and `start` would refuse; so the install runs
# under a /usr/sbin/policy-rc.d answering 101 ("action forbidden"), written for the install and
# removed after it (a policy-rc.d that already exists is left as it is). The packages and their
# files in /etc (munge.key, plugstack.conf, init scripts) stay; `apt-get purge slurm-wlm munge`
# removes them.
#
# Settings known to work on a container or VM without systemd or cgroups: proctrack/linuxproc,
# task/none, select/cons_tres, no accounting storage, NodeName = this host. MinJobAge=3600 keeps
# finished jobs visible to `scontrol show job` (and to squeue-based status checks) for an hour.
set -euo pipefail
action=${1:?usage: local_cluster.sh install|start|stop}
state=${MLPT_SLURM_STATE:-/tmp/mlpt-slurm}
conf=$state/slurm.conf
marker=$state/.made-by-local_cluster.sh  # only a directory holding this file is ever removed
REFUSED=3

refuse() {
  echo "local_cluster.sh: not starting a test SLURM: $*" >&2
  exit $REFUSED
}

# Whether process PID exists and is not a zombie (an exited process its parent has not reaped yet;
# the daemons fork to detach, and this machine's init may reap those forks late).
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }  # the fields after "pid (comm) "; the first is the state
  [ "${stat%% *}" != Z ]
}

# The pid in <state>/<name>.pid if that process runs and still is <name> (a pid can be reused).
our_pid() {
  local pid
  pid=$(cat "$state/$1.pid" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] && running "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$1"* ]] && echo "$pid"
  return 0
}

# Processes of one daemon found by name. Debian installs slurmctld/slurmd as alternatives of
# slurmctld-wlm/slurmd-wlm, so a daemon started by its full path has that name.
pids_named() {
  local f comm pid
  for f in /proc/[0-9]*/comm; do
    comm=$(cat "$f" 2>/dev/null) || continue
    pid=${f#/proc/}; pid=${pid%/comm}
    if [ "$comm" = "$1" ] || [ "$comm" = "$1-wlm" ]; then running "$pid" && echo "$pid"; fi
  done
  return 0
}

stop_cluster() {
  [ -d "$state" ] || return 0
  [ -e "$marker" ] || { echo "local_cluster.sh: $state was not made by this script; left alone" >&2; return $REFUSED; }
  local jobs pids=() name pid
  export SLURM_CONF=$conf
  # Jobs still queued or running (an interrupted test): cancel them so that no job step outlives
  # its slurmd. Only while our controller is up; the commands are bounded, never waiting on a dead one.
  if [ -n "$(our_pid slurmctld)" ]; then
    jobs=$(timeout 10 squeue -h -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086  # one job id per word
      timeout 10 scancel $jobs 2>/dev/null || true
      for _ in $(seq 10); do
        [ -z "$(timeout 10 squeue -h -o %A 2>/dev/null || true)" ] && break
        sleep 1
      done
    fi
  fi
  # Our daemons, by the pids they recorded: slurmd first, munged (which the others use) last.
  for name in slurmd slurmctld munged; do
    pid=$(our_pid "$name")
    [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); }
  done
  for _ in $(seq 20); do
    local alive=()
    for pid in "${pids[@]}"; do running "$pid" && alive+=("$pid"); done
    pids=("${alive[@]}")
    [ ${#pids[@]} -eq 0 ] && break
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$state"
}

on_start_failure() {
  local rc=$?
  [ $rc -eq 0 ] && return
  tail -n 20 "$state"/*.log >&2 2>/dev/null || true
  stop_cluster || true
  exit $rc
}

case "$action" in
install)
  command -v slurmctld >/dev/null && command -v munged >/dev/null && exit 0
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Temporary (local_cluster.sh install): start no service.\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  ;;
start)
  # -- refuse where a SLURM we did not start is configured or running --------------------------------
  for f in /etc/slurm/slurm.conf /etc/slurm-llnl/slurm.conf; do
    [ -e "$f" ] && refuse "$f exists: this machine has a SLURM configuration of its own"
  done
  [ -n "${SLURM_CONF:-}" ] && [ "$SLURM_CONF" != "$conf" ] &&
    refuse "SLURM_CONF=$SLURM_CONF is set: another SLURM is in use"
  for name in munged slurmctld slurmd; do
    ours=$(our_pid "$name")
    for pid in $(pids_named "$name"); do
      [ "$pid" = "$ours" ] || refuse "$name (pid $pid) is running and was not started by this script"
    done
  done
  [ -d "$state" ] && [ ! -e "$marker" ] && [ -n "$(ls -A "$state")" ] &&
    refuse "$state exists and was not made by this script (set MLPT_SLURM_STATE to another directory)"
  # Our own daemons from an earlier start that was never stopped: start afresh.
  [ -e "$marker" ] && stop_cluster

  # -- state directory, munge key, munged ------------------------------------------------------------
  # munged wants its socket's directory searchable by all but writable by its owner only, and a
  # key readable by its owner only.
  mkdir -p "$state" "$state"/spool "$state"/slurmd
  chmod 0755 "$state"
  chmod 0700 "$state"/spool "$state"/slurmd
  touch "$marker"
  mungekey --create --keyfile="$state/munge.key" 2>/dev/null ||
    dd if=/dev/urandom of="$state/munge.key" bs=1024 count=1 status=none
  chmod 400 "$state/munge.key"
  # A failure from here on shows the daemons' logs, stops whatever was started and removes the
  # state directory.
  trap on_start_failure EXIT
  munged --key-file="$state/munge.key" --socket="$state/munge.socket" --pid-file="$state/munged.pid" \
    --log-file="$state/munged.log" --seed-file="$state/munged.seed"

  # -- slurm.conf, slurmctld, slurmd ---------------------------------------------------------------------
  host=$(hostname)
  cpus=$(getconf _NPROCESSORS_ONLN)  # not nproc: it honours OMP_NUM_THREADS
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  cat > "$conf" <<CONF
ClusterName=mlpt-test
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$state/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
StateSaveLocation=$state/spool
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  # A client shim: snakemake's slurm-jobstep executor (which runs inside each job) clears every
  # SLURM_* variable but a few job identifiers before it calls srun, SLURM_CONF included, and an srun
  # without it finds no configuration. With <state>/bin first in PATH, srun gets ours back.
  mkdir -p "$state/bin"
  cat > "$state/bin/srun" <<SHIM
#!/bin/sh
# srun for the test cluster of $state (written by tests/slurm/local_cluster.sh start)
SLURM_CONF='$conf' exec '$(command -v srun)' "\$@"
SHIM
  chmod 755 "$state/bin/srun"

  export SLURM_CONF=$conf
  slurmctld -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 30); do
    if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|alloc"; then
      for name in munged slurmctld slurmd; do
        [ -n "$(our_pid "$name")" ] || { echo "$name is not running" >&2; exit 1; }
      done
      sinfo
      echo "export SLURM_CONF=$conf PATH=$state/bin:\$PATH"
      exit 0
    fi
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "SLURM did not come up; its logs (removed now):" >&2
  exit 1
  ;;
stop)
  stop_cluster
  ;;
*)
  echo "usage: local_cluster.sh install|start|stop" >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for the workflow's SLURM test (tests/slurm/).
#   tests/slurm/local_cluster.sh install   Debian's slurm-wlm and munge (needs root; ~15 s)
#   tests/slurm/local_cluster.sh start     write slurm.conf, start munged, slurmctld, slurmd
#   tests/slurm/local_cluster.sh stop      stop the three daemons (nothing is left running)
# Settings known to work on this machine kind: proctrack/linuxproc, task/none, select/cons_tres,
# no accounting storage, NodeName = this host.
set -euo pipefail
action=${1:?usage: local_cluster.sh install|start|stop}
state=${MLPT_SLURM_STATE:-/tmp/mlpt-slurm}

case "$action" in
install)
  command -v slurmctld >/dev/null && command -v munged >/dev/null && exit 0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  ;;
start)
  host=$(hostname)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  mkdir -p "$state"/{spool,slurmd} /etc/slurm /run/munge /var/log/munge
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=mlpt-test
SlurmctldHost=$host
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
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
  [ -s /etc/munge/munge.key ] || mungekey --create >/dev/null 2>&1 || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  chown -R munge:munge /etc/munge /run/munge /var/log/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 30); do
    sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|alloc" && { sinfo; exit 0; }
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "SLURM did not come up; see $state/*.log" >&2
  exit 1
  ;;
stop)
  for d in slurmd slurmctld munged; do pkill -x "$d" 2>/dev/null || true; done
  for _ in $(seq 20); do
    pgrep -x 'slurmd|slurmctld|munged' >/dev/null || exit 0
    sleep 1
  done
  pkill -9 -x 'slurmd|slurmctld|munged' 2>/dev/null || true
  ;;
esac

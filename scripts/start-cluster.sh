#!/usr/bin/env bash
# Starts a ZooKeeper (Debian's package, standalone, data in data/cluster/zookeeper) and the
# three brokers of config/cluster/ on this machine, for trying the cluster mode out:
#   bash scripts/start-cluster.sh        # Ctrl-C stops everything
# Clients bootstrap from 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094. Needs `npm run build:ts`
# and the zookeeper package (scripts/install-test-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

zk_port=${ZK_PORT:-2181}
data=data/cluster
mkdir -p "$data/zookeeper"
if [[ ! -f /usr/share/java/zookeeper.jar ]]; then
  echo "ZooKeeper is not installed: run scripts/install-test-deps.sh" >&2
  exit 1
fi
cat > "$data/zookeeper/zoo.cfg" <<CFG
tickTime=500
dataDir=$PWD/$data/zookeeper
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr
CFG

pids=()
cleanup() {
  trap - INT TERM EXIT
  # Brokers first (they leave the cluster cleanly), then ZooKeeper.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

java -Xmx256m -cp /usr/share/java/zookeeper.jar org.apache.zookeeper.server.ZooKeeperServerMain "$data/zookeeper/zoo.cfg" >"$data/zookeeper.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$zk_port" && printf srvr >&3 && grep -q 'Zookeeper version' <&3) 2>/dev/null; then
    break
  fi
  sleep 0.2
done
echo "ZooKeeper on 127.0.0.1:$zk_port (log: $data/zookeeper.log)"

for i in 1 2 3; do
  node dist/src/cli/main.js broker config/cluster/server-$i.properties >"$data/broker-$i.log" 2>&1 &
  pids+=($!)
  echo "broker $i: 127.0.0.1:909$((i + 1)) (log: $data/broker-$i.log)"
done
echo "Ctrl-C stops the cluster."
wait

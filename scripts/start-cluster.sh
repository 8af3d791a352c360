#!/usr/bin/env bash
# Starts a ZooKeeper (Debian's package, standalone, data in data/cluster/zookeeper) and the
# three brokers of config/cluster/ on this machine, for trying the cluster mode out:
#   bash scripts/start-cluster.sh        # Ctrl-C stops everything
# Clients bootstrap from 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094. Needs `npm run build:ts`
# and the zookeeper package (scripts/install-test-deps.sh installs it).
# Ports come from the environment, and reach the brokers' configs as overrides:
#   ZK_PORT (2181), KAFKA_PORT_BASE (9092: brokers on 9092-9094), ADMIN_PORT_BASE (9644: 9644-9646)
#   ZK_PORT=12181 KAFKA_PORT_BASE=19092 ADMIN_PORT_BASE=19644 bash scripts/start-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

zk_port=${ZK_PORT:-2181}
kafka_port_base=${KAFKA_PORT_BASE:-9092}
admin_port_base=${ADMIN_PORT_BASE:-9644}
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
zk_up=false
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$zk_port" && printf srvr >&3 && grep -q 'Zookeeper version' <&3) 2>/dev/null; then
    zk_up=true
    break
  fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then break; fi
  sleep 0.2
done
if [[ $zk_up != true ]]; then
  echo "ZooKeeper did not come up on 127.0.0.1:$zk_port; the end of $data/zookeeper.log:" >&2
  tail -n 20 "$data/zookeeper.log" >&2
  exit 1
fi
echo "ZooKeeper on 127.0.0.1:$zk_port (log: $data/zookeeper.log)"

for i in 1 2 3; do
  port=$((kafka_port_base + i - 1))
  admin_port=$((admin_port_base + i - 1))
  node dist/bundle/tidelog.mjs broker --config "config/cluster/server-$i.properties" \
    --override "zookeeper.connect=127.0.0.1:$zk_port/tidelog" \
    --override "listeners=PLAINTEXT://127.0.0.1:$port" \
    --override "admin.listener=http://127.0.0.1:$admin_port" >"$data/broker-$i.log" 2>&1 &
  pids+=($!)
  echo "broker $i: 127.0.0.1:$port, admin http://127.0.0.1:$admin_port (log: $data/broker-$i.log)"
done
# Each broker says 'broker started' once it serves, or exits with its reason on stderr.
for i in 1 2 3; do
  for _ in $(seq 1 150); do
    grep -q '"broker started"' "$data/broker-$i.log" 2>/dev/null && break
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      echo "broker $i failed to start:" >&2
      tail -n 5 "$data/broker-$i.log" >&2
      exit 1
    fi
    sleep 0.2
  done
done
echo "Ctrl-C stops the cluster."
wait

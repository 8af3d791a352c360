#!/usr/bin/env bash
# Installs what the test suite needs beyond npm and cargo, from Debian's packages:
# kcat (librdkafka's command-line client, the third-party client of the round-trip tests),
# zookeeper (3.8; the cluster tests start their own standalone server from its jars with the
# JRE it depends on, see test/cluster/zookeeper.ts; the package's own service is not used),
# Maven (scripts/fetch-kafka.sh fetches Apache Kafka's jars with it), iproute2's `ss` (a
# test reads the broker's socket buffer sizes with it), python3 with its venv module
# (scripts/fetch-python-kafka.sh installs confluent-kafka from PyPI into a virtual environment
# for the transaction test with librdkafka), and chromium (test/console/browser.test.ts drives
# the web console in it with puppeteer-core; no browser is downloaded).
# Idempotent: does nothing when everything is already there.
set -euo pipefail

packages=()
command -v kcat >/dev/null 2>&1 || packages+=(kcat)
[[ -f /usr/share/java/zookeeper.jar ]] || packages+=(zookeeper)
command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
# The transaction tests compile their Java clients (test/clients/java/) with javac.
command -v javac >/dev/null 2>&1 || packages+=(default-jdk-headless)
# Maven fetches Kafka's jars for the DumpLogSegments test and the benchmarks (scripts/fetch-kafka.sh).
command -v mvn >/dev/null 2>&1 || packages+=(maven)
command -v ss >/dev/null 2>&1 || packages+=(iproute2)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
# ensurepip is what Debian splits out of python3 into python3-venv.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || packages+=(python3 python3-venv)

if ((${#packages[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi

echo "installing Debian packages: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"; then
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

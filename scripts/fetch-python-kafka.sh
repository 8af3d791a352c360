#!/usr/bin/env bash
# Installs confluent-kafka (Confluent's Python client, a binding over librdkafka; its wheel
# ships librdkafka) from PyPI into a virtual environment in a cache folder outside the
# repository, for the real-client transaction test (test/clients/transactions-python.test.ts):
# librdkafka's transactional producer and read_committed consumer, a non-JVM client.
#
#   bash scripts/fetch-python-kafka.sh   # prints the environment's python on its last line
#
# Where: $TIDELOG_PYTHON_KAFKA_CACHE, by default
# $HOME/.cache/tidelog/python-confluent-kafka-<version>. Which: TIDELOG_CONFLUENT_KAFKA_VERSION,
# by default 2.16.1 (it bundles librdkafka 2.16.0).
#
# Idempotent: when the environment imports the pinned version it does nothing. Completeness
# is that import, not the folder: a virtual environment records its own path and cannot be
# built elsewhere and moved, so an interrupted run leaves one whose import fails, and the
# next run deletes and rebuilds it.
# Needs python3 with its venv module (Debian: python3-venv; scripts/install-test-deps.sh installs it).
set -euo pipefail

version=${TIDELOG_CONFLUENT_KAFKA_VERSION:-2.16.1}
cache=${TIDELOG_PYTHON_KAFKA_CACHE:-${HOME}/.cache/tidelog/python-confluent-kafka-${version}}
venv=${cache}/venv
python=${venv}/bin/python
probe="import confluent_kafka, sys; sys.exit(0 if confluent_kafka.__version__ == '${version}' else 1)"

if [[ -x ${python} ]] && "${python}" -c "${probe}" 2>/dev/null; then
  echo "fetch-python-kafka: confluent-kafka ${version} already in ${venv}" >&2
  echo "${python}"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "fetch-python-kafka: python3 is not installed (Debian: apt-get install python3 python3-venv)" >&2
  exit 2
fi

mkdir -p "${cache}"
log=$(mktemp "${cache}/install.XXXXXX.log")
trap 'rm -f "${log}"' EXIT
echo "fetch-python-kafka: installing confluent-kafka ${version} into ${venv}" >&2
started=$(date +%s)
rm -rf "${venv}"
if ! python3 -m venv "${venv}" >"${log}" 2>&1; then
  cat "${log}" >&2
  rm -rf "${venv}"
  echo "fetch-python-kafka: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
  exit 2
fi
# pip's own output goes to the log, printed only when it fails.
if ! "${venv}/bin/pip" install --disable-pip-version-check -q "confluent-kafka==${version}" >"${log}" 2>&1 || ! "${python}" -c "${probe}" >>"${log}" 2>&1; then
  cat "${log}" >&2
  rm -rf "${venv}"
  echo "fetch-python-kafka: pip could not install confluent-kafka ${version} (output above)" >&2
  exit 1
fi
echo "fetch-python-kafka: confluent-kafka ${version} in $(($(date +%s) - started)) s" >&2
echo "${python}"

#!/usr/bin/env bash
# Fetches Apache Kafka (the broker, org.apache.kafka:kafka_2.13, the command-line tools,
# org.apache.kafka:kafka-tools, and Kafka Streams, org.apache.kafka:kafka-streams, with all
# their runtime dependencies) from Maven Central into a cache folder outside the repository,
# for the benchmarks (bench/), the test that runs Kafka's DumpLogSegments over Tidelog's
# segment files (test/storage/) and the real-client tests (test/clients/, Kafka Streams'
# exactly_once_v2 among them).
#
#   bash scripts/fetch-kafka.sh        # prints the libs folder on its last line
#
# Where: $TIDELOG_KAFKA_CACHE/libs, by default $HOME/.cache/tidelog/kafka-<version>/libs.
# Which: TIDELOG_KAFKA_VERSION, by default the newest 4.x Maven Central serves that runs on
# Java 17 (checked when this was written). Use the jars as Kafka's own scripts do:
#   java -cp "$libs/*" kafka.Kafka server.properties
#
# Idempotent: when the libs folder holds every required jar it does nothing. The jars are
# copied into a temporary folder beside it and renamed into place only when Maven succeeded,
# so an interrupted run leaves nothing that looks complete. A libs folder from an older
# version of this script (without kafka-streams) is completed: the jars it lacks are added
# one by one (each copied under a temporary name, then renamed), the kafka-streams jar last,
# so that it is complete exactly when that jar is there; the jars already there, which
# other runs may be using, are left alone.
# Needs Maven (`mvn`, Debian's package `maven`) and a JDK; fails with a message otherwise.
set -euo pipefail

version=${TIDELOG_KAFKA_VERSION:-4.4.0}
# The log4j 2 release kafka-server ${version} depends on (its pom), for the slf4j binding below.
log4j_version=${TIDELOG_KAFKA_LOG4J_VERSION:-2.25.5}
cache=${TIDELOG_KAFKA_CACHE:-${HOME}/.cache/tidelog/kafka-${version}}
libs=${cache}/libs
# Pinned so the result does not depend on Maven's default plugin version.
dependency_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

# The jars whose presence means the cache is complete; kafka-streams is the one a cache made
# before it was added lacks, and the one added last when completing such a cache.
required=("kafka_2.13-${version}.jar" "kafka-tools-${version}.jar" "kafka-streams-${version}.jar")
complete() {
  local jar
  for jar in "${required[@]}"; do
    [[ -f $1/${jar} ]] || return 1
  done
}

if complete "${libs}"; then
  echo "fetch-kafka: Kafka ${version} already in ${libs}" >&2
  echo "${libs}"
  exit 0
fi

if ! command -v mvn >/dev/null 2>&1; then
  echo "fetch-kafka: Maven (mvn) is not installed; it fetches Kafka ${version} from Maven Central (Debian: apt-get install maven)" >&2
  exit 2
fi
if ! command -v java >/dev/null 2>&1; then
  echo "fetch-kafka: Java is not installed; Kafka ${version} needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)" >&2
  exit 2
fi

mkdir -p "${cache}"
work=$(mktemp -d "${cache}/fetch.XXXXXX")
trap 'rm -rf "${work}"' EXIT

# A throwaway project whose only purpose is to name the two artifacts; copy-dependencies
# then resolves and copies their runtime closure (what Kafka's own distribution puts in libs/).
cat >"${work}/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.tidelog</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>${version}</version>
    </dependency>
    <!-- Kafka Streams (and its RocksDB state stores), for the exactly_once_v2 test. -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-streams</artifactId>
      <version>${version}</version>
    </dependency>
    <!-- Kafka's distribution binds its slf4j logging to log4j 2 with this jar; without it
         the broker logs nothing. The version follows the log4j-core that kafka-server uses. -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${log4j_version}</version>
    </dependency>
  </dependencies>
</project>
EOF

echo "fetch-kafka: fetching Kafka ${version} (kafka_2.13, kafka-tools, kafka-streams and their runtime dependencies) into ${libs}" >&2
started=$(date +%s)
# Maven's own output goes to a log that is printed only when it fails.
if ! mvn -B -q -Dstyle.color=never -f "${work}/pom.xml" \
  "${dependency_plugin}:copy-dependencies" \
  -DincludeScope=runtime \
  -DoutputDirectory="${work}/libs" >"${work}/mvn.log" 2>&1; then
  cat "${work}/mvn.log" >&2
  echo "fetch-kafka: Maven could not fetch Kafka ${version} (output above)" >&2
  exit 1
fi

jars=$(find "${work}/libs" -name '*.jar' | wc -l)
if ! complete "${work}/libs"; then
  echo "fetch-kafka: Maven finished but the Kafka ${version} jars (${required[*]}) are missing from ${work}/libs" >&2
  exit 1
fi
if [[ ! -d ${libs} ]]; then
  mv "${work}/libs" "${libs}"
  echo "fetch-kafka: ${jars} jars in $(($(date +%s) - started)) s" >&2
else
  # Completing an older cache: add what it lacks, the last required jar last.
  added=0
  for jar in $(cd "${work}/libs" && ls -- *.jar | grep -vxF "${required[-1]}") "${required[-1]}"; do
    [[ -f ${libs}/${jar} ]] && continue
    cp "${work}/libs/${jar}" "${libs}/.${jar}.partial"
    mv "${libs}/.${jar}.partial" "${libs}/${jar}"
    added=$((added + 1))
  done
  echo "fetch-kafka: completed ${libs} with ${added} jars in $(($(date +%s) - started)) s" >&2
fi
echo "${libs}"

#!/bin/bash
# Start one KRaft node from the environment, as apache/kafka does: every KAFKA_* variable (other than the
# JVM options) is a server property, `_` -> `.`, `__` -> `-`, `___` -> `_`. Defaults make a single node
# (broker and controller) on 9092/9093; the data folder is formatted on first start only.
set -euo pipefail
conf=/var/lib/kafka/server.properties  # written at every start, from the environment
{
  echo "process.roles=broker,controller"
  echo "node.id=1"
  echo "listeners=PLAINTEXT://:9092,CONTROLLER://:9093"
  echo "advertised.listeners=PLAINTEXT://localhost:9092"
  echo "controller.listener.names=CONTROLLER"
  echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  echo "controller.quorum.voters=1@localhost:9093"
  echo "offsets.topic.replication.factor=1"
  echo "transaction.state.log.replication.factor=1"
  echo "transaction.state.log.min.isr=1"
  echo "share.coordinator.state.topic.replication.factor=1"
  echo "share.coordinator.state.topic.min.isr=1"
  env | grep '^KAFKA_' | grep -vE '^KAFKA_(HEAP_OPTS|JVM_PERFORMANCE_OPTS|OPTS|CLUSTER_ID)=' |
    while IFS='=' read -r name value; do
      key=$(echo "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed 's/___/\x00/g; s/__/-/g; s/_/./g; s/\x00/_/g')
      echo "$key=$value"
    done
} >"$conf"  # later lines win: the environment overrides the defaults

data=$(grep '^log.dirs=' "$conf" | tail -1 | cut -d= -f2)
java_cmd=(java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -Djava.awt.headless=true
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -cp '/opt/kafka/libs/*')
if [ ! -f "$data/meta.properties" ]; then
  cluster_id=${CLUSTER_ID:-${KAFKA_CLUSTER_ID:-$(cat /proc/sys/kernel/random/uuid | tr -d - | head -c 22)}}
  "${java_cmd[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf"
fi
exec "${java_cmd[@]}" kafka.Kafka "$conf"

"""Apache Kafka's own command-line tools for operators, run from the stack's jars (no Kafka distribution).

    python3 tools/stack/kafka_tools.py kafka-consumer-groups --describe --all-groups
    make kafka ARGS="kafka-topics --describe --topic imports.requested"

The script names of the Kafka distribution map to their main classes in kafka-tools / kafka_2.13 4.1.1;
`--bootstrap-server` defaults to the stack's broker (KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:59092).
"""

from __future__ import annotations

import os
import sys

from kafka_broker import Kafka, bootstrap_servers
from layout import STACK

TOOLS = {  # script name (as in Kafka's bin/) -> main class
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-delete-records": "org.apache.kafka.tools.DeleteRecordsCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
    "kafka-log-dirs": "org.apache.kafka.tools.LogDirsCommand",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
    "kafka-broker-api-versions": "org.apache.kafka.tools.BrokerApiVersionsCommand",
    "kafka-reassign-partitions": "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
    "kafka-leader-election": "org.apache.kafka.tools.LeaderElectionCommand",
    "kafka-transactions": "org.apache.kafka.tools.TransactionsCommand",
    "kafka-features": "org.apache.kafka.tools.FeatureCommand",
    "kafka-acls": "org.apache.kafka.tools.AclCommand",
    "kafka-dump-log": "kafka.tools.DumpLogSegments",
}
NO_BOOTSTRAP = {"kafka-dump-log"}  # reads segment files, talks to no broker


def command(tool: str, args: list[str]) -> list[str]:
    """The java command line of `tool args`, with the stack's broker unless args name one."""
    name = tool.removesuffix(".sh")
    if name not in TOOLS:
        raise SystemExit(f"unknown tool {tool!r}; one of: {', '.join(sorted(TOOLS))}")
    if name not in NO_BOOTSTRAP and not any(a.startswith("--bootstrap-") for a in args):
        # first: some tools take subcommands after it
        args = ["--bootstrap-server", bootstrap_servers(), *args]
    kafka = Kafka()
    kafka.heap = "256m"
    argv = kafka.java(TOOLS[name], *args)
    logging = f"-Dlog4j2.configurationFile={STACK / 'kafka' / 'tools-log4j2.properties'}"
    return [logging if a.startswith("-Dlog4j2.configurationFile=") else a for a in argv]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\ntools: " + ", ".join(sorted(TOOLS)))
        return 0
    Kafka().install()  # the jars, once
    os.execvp("java", command(argv[0], argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

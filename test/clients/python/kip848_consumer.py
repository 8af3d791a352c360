# Two librdkafka consumers (confluent-kafka) of one KIP-848 group (group.protocol=consumer),
# for test/groups/consumer-protocol-librdkafka.test.ts: they produce `count` records to
# `topic`, then read them, polled in turns from this thread, until every record was read and
# both hold partitions. Prints one JSON line: what each read and its assignment.
# Records are keyed, so that they spread over the six partitions (unkeyed, librdkafka's sticky
# partitioner may put all of them in one), and each consumer is drained a batch at a time
# without waiting, so that a member with nothing to read does not slow the other down.
#   kip848_consumer.py <bootstrap> <topic> <group> <count>
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
producer = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True})
for i in range(count):
    producer.produce(topic, key=f'k{i}'.encode(), value=f'v{i}'.encode())
    producer.poll(0)
producer.flush(30)

consumers = [
    Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'group.protocol': 'consumer', 'auto.offset.reset': 'earliest', 'client.id': f'rdk-848-{i}'})
    for i in range(2)
]
for c in consumers:
    c.subscribe([topic])
seen = [[], []]
deadline = time.time() + 90
while time.time() < deadline:
    for i, c in enumerate(consumers):
        for m in c.consume(num_messages=500, timeout=0.05):
            if m.error() is None:
                seen[i].append(m.value().decode())
    if sum(len(s) for s in seen) >= count and all(len(c.assignment()) > 0 for c in consumers):
        break
out = {
    'read': [len(s) for s in seen],
    'distinct': len(set(seen[0]) | set(seen[1])),
    'assignment': [sorted(f'{tp.topic}-{tp.partition}' for tp in c.assignment()) for c in consumers],
}
print(json.dumps(out), flush=True)
for c in consumers:
    c.close()

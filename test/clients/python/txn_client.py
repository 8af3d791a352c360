"""librdkafka's transactions, through confluent-kafka (Confluent's Python client), for
test/clients/transactions-python.test.ts: a non-JVM client. Prints JSON lines of what it sent
and what its consumers read; the Node test computes what should have been read and asserts.

    python txn_client.py <scenario> <bootstrap> <name-prefix>

    commit-abort  a transactional producer commits some transactions and aborts others over
                  three partitions (aborted ones flushed first, so they are in the log), then
                  leaves one open while consumers read, then commits it
    ctp           consume-transform-produce: a read_committed group member, a transactional
                  producer, send_offsets_to_transaction; every third transaction is aborted
                  and the consumer rewound to the committed offsets
    zombie        two producers with one transactional.id: the first is fenced when the
                  second calls init_transactions
"""

import json
import sys
import time
import traceback

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 3
# How long one client call may block (init_transactions, commit_transaction, ...), so that a
# broker without transactions fails within the test's budget instead of hanging.
BLOCK_S = 30.0


def emit(event, **kv):
    print(json.dumps({"event": event, **kv}), flush=True)


def error_json(e):
    """A KafkaException as {name, code, fatal, retriable, abortable, message}."""
    err = e.args[0] if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError) else None
    if err is None:
        return {"name": type(e).__name__, "message": str(e)}
    return {
        "name": err.name(),
        "code": err.code(),
        "fatal": err.fatal(),
        "retriable": err.retriable(),
        "abortable": err.txn_requires_abort(),
        "message": err.str(),
    }


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for t, f in admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=BLOCK_S).items():
        try:
            f.result(timeout=BLOCK_S)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    emit("topic", topic=topic, partitions=partitions)


def transactional(bootstrap, transactional_id):
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": transactional_id,
            "transaction.timeout.ms": 60000,
            "message.timeout.ms": int(BLOCK_S * 1000),
            "socket.timeout.ms": 15000,
        }
    )


def send_all(producer, topic, label, txn, outcome, values):
    """Sends values[p] to each partition p and waits for every delivery report."""
    reports = []

    def on_delivery(err, msg):
        reports.append((err, msg))

    for p, vs in enumerate(values):
        for v in vs:
            producer.produce(topic, key=f"k{p}", value=v, partition=p, on_delivery=on_delivery)
    # Aborted transactions are flushed too: their records must reach the log.
    remaining = producer.flush(BLOCK_S)
    if remaining:
        raise RuntimeError(f"{remaining} messages not delivered in {BLOCK_S} s")
    for err, msg in reports:
        if err is not None:
            raise KafkaException(err)
        emit("sent", label=label, txn=txn, outcome=outcome, partition=msg.partition(), offset=msg.offset(), value=msg.value().decode())


def drain(bootstrap, topic, isolation, label, partitions, linger_s=0.0):
    """Reads every partition from its beginning to its end (the last stable offset under
    read_committed, the high watermark under read_uncommitted), as librdkafka reports it with a
    partition EOF event, printing "end-offset" and "record" events with the label. Then goes on
    polling for linger_s and prints whatever else arrives: under read_committed with a
    transaction open, nothing may."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            # Required by librdkafka even without subscribing; offsets are never committed.
            "group.id": f"{label}-reader",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": isolation,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        at_end = {}
        deadline = time.monotonic() + BLOCK_S
        while len(at_end) < partitions:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: only partitions {sorted(at_end)} reached their end in {BLOCK_S} s")
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.setdefault(msg.partition(), msg.offset())
                    continue
                raise KafkaException(msg.error())
            at_end.pop(msg.partition(), None)
            emit("record", label=label, partition=msg.partition(), offset=msg.offset(), key=msg.key().decode(), value=msg.value().decode())
        for p in sorted(at_end):
            emit("end-offset", label=label, partition=p, offset=at_end[p])
        linger_end = time.monotonic() + linger_s
        while time.monotonic() < linger_end:
            msg = consumer.poll(0.1)
            if msg is not None and not msg.error():
                emit("record", label=label, partition=msg.partition(), offset=msg.offset(), key=msg.key().decode(), value=msg.value().decode())
    finally:
        consumer.close()


def commit_abort(bootstrap, prefix):
    topic = f"{prefix}-mixed"
    create_topic(bootstrap, topic, PARTITIONS)
    transactions = 6
    per_partition = 3
    producer = transactional(bootstrap, f"{prefix}-mixed-txn")
    t0 = time.monotonic()
    producer.init_transactions(BLOCK_S)
    emit("init", ms=round((time.monotonic() - t0) * 1000))
    for t in range(transactions):
        # Commit, abort, commit, commit, abort, commit: aborted transactions between committed ones.
        commit = t % 3 != 1
        values = [[f"t{t}-p{p}-r{r}" for r in range(per_partition)] for p in range(PARTITIONS)]
        producer.begin_transaction()
        send_all(producer, topic, "mixed", t, "commit" if commit else "abort", values)
        if commit:
            producer.commit_transaction(BLOCK_S)
        else:
            producer.abort_transaction(BLOCK_S)
        emit("end-txn", txn=t, commit=commit)
    # One more, left open while both isolation levels read the topic.
    open_txn = transactions
    producer.begin_transaction()
    send_all(producer, topic, "mixed", open_txn, "commit", [[f"open-p{p}-r0", f"open-p{p}-r1"] for p in range(PARTITIONS)])
    drain(bootstrap, topic, "read_committed", "open-read_committed", PARTITIONS, linger_s=1.0)
    drain(bootstrap, topic, "read_uncommitted", "open-read_uncommitted", PARTITIONS)
    producer.commit_transaction(BLOCK_S)
    emit("end-txn", txn=open_txn, commit=True)
    drain(bootstrap, topic, "read_committed", "read_committed", PARTITIONS)
    drain(bootstrap, topic, "read_uncommitted", "read_uncommitted", PARTITIONS)


def offsets_json(tps):
    return {str(tp.partition): (tp.offset if tp.offset >= 0 else None) for tp in sorted(tps, key=lambda tp: tp.partition)}


def consume_transform_produce(bootstrap, prefix):
    src = f"{prefix}-ctp-in"
    dst = f"{prefix}-ctp-out"
    group = f"{prefix}-ctp-group"
    per_partition = 20
    create_topic(bootstrap, src, PARTITIONS)
    create_topic(bootstrap, dst, PARTITIONS)
    # The input, written by a plain idempotent producer.
    plain = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    reports = []
    for p in range(PARTITIONS):
        for i in range(per_partition):
            plain.produce(src, key=f"k{p}", value=f"in-p{p}-{i}", partition=p, on_delivery=lambda err, msg: reports.append((err, msg)))
    if plain.flush(BLOCK_S):
        raise RuntimeError("the input was not delivered")
    for err, msg in reports:
        if err is not None:
            raise KafkaException(err)
        emit("sent", label="input", txn=-1, outcome="plain", partition=msg.partition(), offset=msg.offset(), value=msg.value().decode())

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    producer = transactional(bootstrap, f"{prefix}-ctp-txn")
    try:
        producer.init_transactions(BLOCK_S)
        consumer.subscribe([src])
        every = [TopicPartition(src, p) for p in range(PARTITIONS)]
        deadline = time.monotonic() + 2 * BLOCK_S
        txn = 0
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError(f"consume-transform-produce did not finish in {2 * BLOCK_S} s")
            # Small batches, so that the input is processed in many transactions.
            msgs = consumer.consume(num_messages=5, timeout=0.5)
            for m in msgs:
                if m.error():
                    raise KafkaException(m.error())
            if not msgs:
                committed = consumer.committed(every, timeout=BLOCK_S)
                if all(tp.offset == per_partition for tp in committed):
                    break
                continue
            last = {}
            for m in msgs:
                last[m.partition()] = m.offset() + 1
            offsets = [TopicPartition(src, p, o) for p, o in sorted(last.items())]
            before = consumer.committed([TopicPartition(src, p) for p in last], timeout=BLOCK_S)
            commit = txn % 3 != 1
            producer.begin_transaction()
            out_reports = []
            for m in msgs:
                producer.produce(dst, key=m.key(), value=b"out:" + m.value(), partition=m.partition(), on_delivery=lambda err, msg: out_reports.append((err, msg)))
            producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), BLOCK_S)
            if producer.flush(BLOCK_S):
                raise RuntimeError("the output was not delivered")
            for err, msg in out_reports:
                if err is not None:
                    raise KafkaException(err)
                emit("sent", label="output", txn=txn, outcome="commit" if commit else "abort", partition=msg.partition(), offset=msg.offset(), value=msg.value().decode())
            if commit:
                producer.commit_transaction(BLOCK_S)
            else:
                producer.abort_transaction(BLOCK_S)
                # The records are processed again: back to the committed offsets.
                for tp in before:
                    consumer.seek(TopicPartition(src, tp.partition, tp.offset if tp.offset >= 0 else 0))
            after = consumer.committed([TopicPartition(src, p) for p in last], timeout=BLOCK_S)
            emit("ctp-txn", txn=txn, commit=commit, records=len(msgs), offsets=offsets_json(offsets), before=offsets_json(before), after=offsets_json(after))
            txn += 1
        emit("group-offsets", group=group, offsets=offsets_json(consumer.committed(every, timeout=BLOCK_S)))
    finally:
        consumer.close()
    drain(bootstrap, dst, "read_committed", "read_committed", PARTITIONS)
    drain(bootstrap, dst, "read_uncommitted", "read_uncommitted", PARTITIONS)


def zombie(bootstrap, prefix):
    topic = f"{prefix}-zombie"
    transactional_id = f"{prefix}-zombie-txn"
    create_topic(bootstrap, topic, 2)
    old = transactional(bootstrap, transactional_id)
    old.init_transactions(BLOCK_S)
    old.begin_transaction()
    send_all(old, topic, "zombie", 0, "abort", [["zombie-1"], []])
    new = transactional(bootstrap, transactional_id)
    t0 = time.monotonic()
    # The new instance's InitProducerId bumps the epoch and aborts the zombie's open transaction.
    new.init_transactions(BLOCK_S)
    emit("init", who="new", ms=round((time.monotonic() - t0) * 1000))
    try:
        old.commit_transaction(BLOCK_S)
        emit("zombie-commit", ok=True)
    except KafkaException as e:
        emit("zombie-commit", ok=False, error=error_json(e))
    new.begin_transaction()
    send_all(new, topic, "zombie", 1, "commit", [["new-1"], ["new-2"]])
    new.commit_transaction(BLOCK_S)
    emit("end-txn", txn=1, commit=True)
    drain(bootstrap, topic, "read_committed", "read_committed", 2)
    drain(bootstrap, topic, "read_uncommitted", "read_uncommitted", 2)


def main():
    scenario, bootstrap, prefix = sys.argv[1:4]
    import confluent_kafka

    emit("client", version=confluent_kafka.__version__, librdkafka=confluent_kafka.libversion()[0])
    try:
        {"commit-abort": commit_abort, "ctp": consume_transform_produce, "zombie": zombie}[scenario](bootstrap, prefix)
    except Exception as e:  # noqa: BLE001 - every failure is reported as an event
        traceback.print_exc()
        emit("error", error=error_json(e))
        sys.exit(1)
    emit("done")


if __name__ == "__main__":
    main()

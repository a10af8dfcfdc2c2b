"""confluent-kafka-python (Debian python3-confluent-kafka 1.7, librdkafka 2.0.2)
against Millrace: produce N keyed messages (acks=all, optional compression),
then consume them back with assign() and no commits. Consumer groups are not
served yet, so nothing here needs a group coordinator. Prints one JSON line.

usage: /usr/bin/python3 confluent_kafka_roundtrip.py BOOTSTRAP TOPIC N [COMPRESSION] [TIMEOUT_S]
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from roundtrip_checks import check_roundtrip

bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
compression = sys.argv[4] if len(sys.argv) > 4 else "none"
timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
deadline = time.time() + timeout_s
# Repetitive padding so every batch shrinks when compressed: librdkafka sends a batch
# uncompressed when compression would not make it smaller.
PAD = "payload" * 12
result = {"client": "confluent-kafka", "compression": compression, "produced": 0, "errors": [], "consumed": 0, "log": []}


def log_cb(*args):
    result["log"].append(" ".join(str(a) for a in args)[:300])


def on_delivery(err, msg):
    if err is not None:
        result["errors"].append(str(err))
    else:
        result["produced"] += 1


producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                     "compression.type": compression, "message.timeout.ms": 20000,
                     "partitioner": "murmur2_random"})
for i in range(n):
    while True:
        try:
            producer.produce(topic, key=("k%d" % (i % 10)).encode(), value=("confluent-%s-%s-%d" % (compression, PAD, i)).encode(),
                             on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    producer.poll(0)
remaining = producer.flush(max(1.0, deadline - time.time()))
result["unflushed"] = remaining

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "millrace-assign-only",
                     "enable.auto.commit": False, "enable.auto.offset.store": False,
                     "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100,
                     "error_cb": lambda e: result["log"].append("error_cb: %s" % e)})
md = consumer.list_topics(topic, timeout=10)
parts = sorted(md.topics[topic].partitions.keys())
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
seen = []
while len(seen) < n and time.time() < deadline:
    m = consumer.poll(0.5)
    if m is None:
        continue
    if m.error():
        result["log"].append("poll error: %s" % m.error())
        continue
    seen.append({"p": m.partition(), "o": m.offset(), "k": m.key().decode(), "v": m.value().decode()})
consumer.close()
result["consumed"] = len(seen)
result["partitions"] = len(parts)
check_roundtrip(seen, n, result)
result["log"] = result["log"][:20]
print(json.dumps(result))

"""kafka-python (Debian python3-kafka 2.0.2) against Millrace: produce N keyed
messages with api_version auto-detection, then consume them back with an
assigned consumer (no group). Prints one JSON line with what happened.

usage: /usr/bin/python3 kafka_python_roundtrip.py BOOTSTRAP TOPIC N [TIMEOUT_S]
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from roundtrip_checks import check_roundtrip

bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
timeout_s = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
deadline = time.time() + timeout_s
result = {"client": "kafka-python", "produced": 0, "errors": [], "consumed": 0}

producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, retries=3,
                         request_timeout_ms=10000, max_block_ms=10000)
result["api_version"] = list(producer.config["api_version"])
futures = [producer.send(topic, key=("k%d" % (i % 10)).encode(), value=("kafka-python-%d" % i).encode())
           for i in range(n)]
producer.flush(timeout=max(1.0, deadline - time.time()))
offsets = {}
for f in futures:
    try:
        md = f.get(timeout=1)
        result["produced"] += 1
        offsets.setdefault(md.partition, []).append(md.offset)
    except Exception as e:  # noqa: BLE001 - report any failure to the test
        result["errors"].append(repr(e))
producer.close(timeout=5)
# Offsets acknowledged per partition are distinct and contiguous.
result["offsets_contiguous"] = all(sorted(o) == list(range(min(o), min(o) + len(o))) for o in offsets.values())

consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         auto_offset_reset="earliest", request_timeout_ms=11000, fetch_max_wait_ms=200)
partitions = None
while partitions is None and time.time() < deadline:
    partitions = consumer.partitions_for_topic(topic)
    if partitions is None:
        time.sleep(0.1)
tps = [TopicPartition(topic, p) for p in sorted(partitions or [])]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
seen = []
while len(seen) < n and time.time() < deadline:
    for tp, msgs in consumer.poll(timeout_ms=500).items():
        for m in msgs:
            seen.append({"p": tp.partition, "o": m.offset, "k": m.key.decode(), "v": m.value.decode()})
consumer.close()
result["consumed"] = len(seen)
result["partitions"] = len(tps)
check_roundtrip(seen, n, result)
print(json.dumps(result))

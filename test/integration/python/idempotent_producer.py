"""confluent-kafka-python (Debian python3-confluent-kafka 1.7, librdkafka 2.0.2)
with enable.idempotence=true: produce N records, value = str(index), to one
partition, paced over a few seconds so the broker's injected connection drops
land while requests are in flight. Prints one JSON line: delivered count,
errors, fatal error, and librdkafka's own retry/reconnect counters.

usage: /usr/bin/python3 idempotent_producer.py BOOTSTRAP TOPIC PARTITION N [RATE_PER_S] [TIMEOUT_S]
"""
import json
import sys
import time

from confluent_kafka import KafkaException, Producer

bootstrap, topic, partition, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rate = float(sys.argv[5]) if len(sys.argv) > 5 else 10000.0
timeout_s = float(sys.argv[6]) if len(sys.argv) > 6 else 120.0
deadline = time.time() + timeout_s
result = {"client": "confluent-kafka", "delivered": 0, "errors": [], "fatal": None, "offsets_in_order": True,
          "txretries": 0, "connects": 0, "disconnects": 0, "log": []}
last_offset = [-1]


def on_delivery(err, msg):
    if err is not None:
        if len(result["errors"]) < 20:
            result["errors"].append(str(err))
        return
    result["delivered"] += 1
    # Delivery reports come in produce order; each one's offset must be above the previous.
    if msg.offset() <= last_offset[0]:
        result["offsets_in_order"] = False
    last_offset[0] = msg.offset()


def on_error(err):
    if err.fatal():
        result["fatal"] = str(err)
    elif len(result["log"]) < 50:
        result["log"].append("error_cb: %s" % err)


def on_stats(js):
    s = json.loads(js)
    retries = connects = disconnects = 0
    for b in s.get("brokers", {}).values():
        retries += b.get("txretries", 0)
        connects += b.get("connects", 0)
        disconnects += b.get("disconnects", 0)
    result["txretries"] = max(result["txretries"], retries)
    result["connects"] = max(result["connects"], connects)
    result["disconnects"] = max(result["disconnects"], disconnects)


producer = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,  # implies acks=all, max.in.flight <= 5, unlimited retries
    "linger.ms": 2,
    "batch.num.messages": 200,
    "message.timeout.ms": int(timeout_s * 1000),
    "reconnect.backoff.ms": 10,
    "reconnect.backoff.max.ms": 200,
    "retry.backoff.ms": 20,
    "statistics.interval.ms": 200,
    "error_cb": on_error,
    "stats_cb": on_stats,
})

started = time.time()
for i in range(n):
    # Pace: record i is not sent before started + i / rate.
    ahead = started + i / rate - time.time()
    if ahead > 0:
        producer.poll(ahead)
    try:
        while True:
            try:
                producer.produce(topic, value=str(i).encode(), partition=partition, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    except KafkaException as e:  # raised once the producer is in a fatal state
        result["fatal"] = result["fatal"] or str(e)
    if result["fatal"]:
        break
try:
    result["unflushed"] = producer.flush(max(1.0, deadline - time.time()))
except KafkaException as e:
    result["fatal"] = result["fatal"] or str(e)
    result["unflushed"] = len(producer)
producer.poll(0.5)  # a last stats callback
result["seconds"] = round(time.time() - started, 2)
print(json.dumps(result))

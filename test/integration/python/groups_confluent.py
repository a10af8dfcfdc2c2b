"""confluent-kafka-python (Debian python3-confluent-kafka 1.7, librdkafka 2.0.2)
consumer groups against Millrace, with a given partition assignment strategy
(range = eager rebalancing, cooperative-sticky = incremental).

1. Member A consumes the first 1000 messages alone, committing as it goes.
2. Member B joins while messages keep coming; the script measures the
   rebalance (B's subscribe until both members consume again) and then drains
   everything produced.
3. A and B close (LeaveGroup); member C of the same group must find every
   offset committed and consume nothing more.

Prints one JSON line.
usage: /usr/bin/python3 groups_confluent.py BOOTSTRAP TOPIC GROUP STRATEGY [TIMEOUT_S]
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition
from group_producer import NumberedProducer

bootstrap, topic, group, strategy = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 40.0
deadline = time.time() + timeout_s
result = {"client": "confluent-kafka", "strategy": strategy, "errors": [], "produced": 0}

numbered = NumberedProducer(bootstrap, topic)
produce, produced = numbered.produce, numbered.produced


class Member:
    def __init__(self, name):
        self.name = name
        self.seen = []          # (value, partition, offset, time)
        self.assigned_at = []   # (time, partitions after the change)
        self.revoked = []       # lists of partitions revoked per callback
        self.assignment = set()
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "partition.assignment.strategy": strategy, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
            "max.poll.interval.ms": 20000, "fetch.wait.max.ms": 100,
            "error_cb": lambda e: result["errors"].append("%s: %s" % (name, e)) if e.fatal() else None,
        })

    def subscribe(self):
        def on_assign(c, parts):
            self.assignment |= {p.partition for p in parts}
            self.assigned_at.append((time.time(), sorted(self.assignment)))

        def on_revoke(c, parts):
            self.revoked.append(sorted(p.partition for p in parts))
            self.assignment -= {p.partition for p in parts}
            # Commit what was consumed before the partitions change hands (as applications should).
            try:
                c.commit(asynchronous=False)
            except KafkaException:
                pass

        self.consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)

    def poll(self):
        msg = self.consumer.poll(0.01)
        if msg is None:
            return 0
        if msg.error():
            result["errors"].append("%s: %s" % (self.name, msg.error()))
            return 0
        self.seen.append((msg.value().decode(), msg.partition(), msg.offset(), time.time()))
        if len(self.seen) % 50 == 0:
            self.consumer.commit(asynchronous=False)
        return 1

    def consuming_since(self, t):
        if not self.assigned_at or self.assigned_at[-1][0] < t:
            return False
        return bool(self.seen) and self.seen[-1][3] >= self.assigned_at[-1][0]

    def first_seen_after_last_assign(self):
        t = self.assigned_at[-1][0]
        return next(ts for (_, _, _, ts) in self.seen if ts >= t)

    def close(self):
        try:
            self.consumer.commit(asynchronous=False)
        except KafkaException:
            pass
        self.consumer.close()


def values(members):
    return [v for m in members for (v, _, _, _) in m.seen]


try:
    produce(1000)
    a = Member("member-a")
    a.subscribe()
    while len(set(values([a]))) < 1000 and time.time() < deadline:
        a.poll()
    result["phase1_consumed"] = len(set(values([a])))

    b = Member("member-b")
    joined_at = time.time()
    b.subscribe()
    rebalanced_at = None
    settled_at = None
    while time.time() < deadline:
        produce(5)
        until = time.time() + 0.05
        while time.time() < until:
            a.poll()
            b.poll()
        full = sorted(a.assignment | b.assignment) == list(range(6)) and not (a.assignment & b.assignment)
        if rebalanced_at is None and full and a.consuming_since(joined_at) and b.consuming_since(joined_at) and a.assignment and b.assignment:
            rebalanced_at = max(a.first_seen_after_last_assign(), b.first_seen_after_last_assign())
        if rebalanced_at is not None and time.time() - rebalanced_at > 1.0:
            settled_at = time.time()
            break
    result["rebalance_ms"] = None if rebalanced_at is None else round((rebalanced_at - joined_at) * 1000)
    # Drain.
    while len(set(values([a, b]))) < len(produced) and time.time() < deadline:
        a.poll()
        b.poll()
    result["produced"] = len(produced)
    result["consumed_unique"] = len(set(values([a, b])))
    result["consumed_total"] = len(values([a, b]))
    result["all_consumed"] = set(values([a, b])) == set(produced)
    result["a_partitions"] = sorted(a.assignment)
    result["b_partitions"] = sorted(b.assignment)
    result["a_revoked"] = a.revoked
    result["a_assignments"] = [p for (_, p) in a.assigned_at]
    result["b_assignments"] = [p for (_, p) in b.assigned_at]
    a.close()
    b.close()

    c = Member("member-c")
    c.subscribe()
    end = time.time() + 4
    while time.time() < end:
        c.poll()
    result["c_consumed_after_close"] = len(c.seen)
    committed = c.consumer.committed([TopicPartition(topic, p) for p in range(6)], timeout=10)
    result["committed_total"] = sum(max(0, tp.offset) for tp in committed)
    result["c_partitions"] = sorted(c.assignment)
    c.close()
except Exception as e:  # noqa: BLE001 - report everything as JSON
    result["errors"].append("%s: %s" % (type(e).__name__, e))

print(json.dumps(result))

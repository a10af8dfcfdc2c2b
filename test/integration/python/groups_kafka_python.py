"""kafka-python 2.0.2 (Debian python3-kafka) consumer groups against Millrace.
kafka-python speaks JoinGroup v2 (no MEMBER_ID_REQUIRED), SyncGroup v1,
Heartbeat v1 (from a background thread), OffsetCommit v2, OffsetFetch v1.

1. Member A consumes the first 1000 messages alone, committing after each poll.
2. Member B joins while messages keep coming; both drain everything.
3. A and B close (LeaveGroup); member C of the same group must find every
   offset committed and consume nothing more.

Each member polls in its own thread: kafka-python rejoins inside poll(), so
one thread polling two members would hold up the rebalance.
Prints one JSON line.
usage: /usr/bin/python3 groups_kafka_python.py BOOTSTRAP TOPIC GROUP [TIMEOUT_S]
"""
import json
import sys
import threading
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener

bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
timeout_s = float(sys.argv[4]) if len(sys.argv) > 4 else 40.0
deadline = time.time() + timeout_s
result = {"client": "kafka-python", "errors": [], "produced": 0}

producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
produced = []


def produce(count):
    for _ in range(count):
        i = len(produced)
        producer.send(topic, key=str(i).encode(), value=("m-%d" % i).encode())
        produced.append("m-%d" % i)
    producer.flush(10)


class Member(ConsumerRebalanceListener):
    def __init__(self, name):
        self.name = name
        self.seen = []
        self.assigned_at = []
        self.assignment = set()
        self.lock = threading.Lock()
        self.stop = False
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, client_id=name, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=500,
            max_poll_interval_ms=20000, fetch_max_wait_ms=100)
        self.consumer.subscribe([topic], listener=self)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def on_partitions_revoked(self, revoked):
        self.assignment = set()

    def on_partitions_assigned(self, assigned):
        self.assignment = {tp.partition for tp in assigned}
        self.assigned_at.append((time.time(), sorted(self.assignment)))

    def run(self):
        try:
            while not self.stop:
                batch = self.consumer.poll(timeout_ms=50)
                now = time.time()
                n = 0
                for records in batch.values():
                    for r in records:
                        with self.lock:
                            self.seen.append((r.value.decode(), r.partition, r.offset, now))
                        n += 1
                if n:
                    self.consumer.commit()
        except Exception as e:  # noqa: BLE001
            result["errors"].append("%s: %s: %s" % (self.name, type(e).__name__, e))

    def values(self):
        with self.lock:
            return [v for (v, _, _, _) in self.seen]

    def close(self):
        self.stop = True
        self.thread.join(10)
        self.consumer.close()


try:
    produce(1000)
    a = Member("member-a")
    a.thread.start()
    while len(set(a.values())) < 1000 and time.time() < deadline:
        time.sleep(0.02)
    result["phase1_consumed"] = len(set(a.values()))

    b = Member("member-b")
    joined_at = time.time()
    b.thread.start()
    rebalanced_at = None
    while time.time() < deadline:
        produce(5)
        time.sleep(0.05)
        a_ok = a.assigned_at and a.assigned_at[-1][0] >= joined_at and any(ts >= a.assigned_at[-1][0] for (_, _, _, ts) in a.seen[-50:])
        b_ok = b.assigned_at and any(ts >= b.assigned_at[-1][0] for (_, _, _, ts) in b.seen[-50:])
        if rebalanced_at is None and a_ok and b_ok and sorted(a.assignment | b.assignment) == list(range(6)):
            rebalanced_at = time.time()
        if rebalanced_at is not None and time.time() - rebalanced_at > 1.0:
            break
    result["rebalance_ms"] = None if rebalanced_at is None else round((rebalanced_at - joined_at) * 1000)
    while len(set(a.values()) | set(b.values())) < len(produced) and time.time() < deadline:
        time.sleep(0.05)
    everything = a.values() + b.values()
    result["produced"] = len(produced)
    result["consumed_unique"] = len(set(everything))
    result["consumed_total"] = len(everything)
    result["all_consumed"] = set(everything) == set(produced)
    result["a_partitions"] = sorted(a.assignment)
    result["b_partitions"] = sorted(b.assignment)
    a.close()
    b.close()

    c = Member("member-c")
    c.thread.start()
    time.sleep(4)
    result["c_consumed_after_close"] = len(c.values())
    result["c_partitions"] = sorted(c.assignment)
    c.stop = True
    c.thread.join(10)
    result["committed_total"] = sum(c.consumer.committed(TopicPartition(topic, p)) or 0 for p in range(6))
    c.consumer.close()
except Exception as e:  # noqa: BLE001 - report everything as JSON
    result["errors"].append("%s: %s" % (type(e).__name__, e))

print(json.dumps(result))

"""Static membership (KIP-345) with confluent-kafka-python / librdkafka 2.0.2:
two members with group.instance.id; one is closed (a static member sends no
LeaveGroup) and restarted with the same instance id within the session
timeout. The group must not rebalance: the other member keeps its
partitions without a new assignment, and the restarted one gets its old
partitions back and carries on from the committed offsets.

Prints one JSON line.
usage: /usr/bin/python3 groups_static.py BOOTSTRAP TOPIC GROUP [TIMEOUT_S]
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException
from group_producer import NumberedProducer

bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
timeout_s = float(sys.argv[4]) if len(sys.argv) > 4 else 40.0
deadline = time.time() + timeout_s
result = {"client": "confluent-kafka", "errors": []}

numbered = NumberedProducer(bootstrap, topic)
produce, produced = numbered.produce, numbered.produced


class Member:
    def __init__(self, name, instance):
        self.name = name
        self.seen = []
        self.assigns = []
        self.assignment = set()
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name, "group.instance.id": instance,
            "enable.auto.commit": False, "auto.offset.reset": "earliest", "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100,
        })

        def on_assign(c, parts):
            self.assignment = {p.partition for p in parts}
            self.assigns.append(sorted(self.assignment))

        def on_revoke(c, parts):
            self.assignment = set()

        self.consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)

    def poll(self):
        msg = self.consumer.poll(0.01)
        if msg is None or msg.error():
            if msg is not None:
                result["errors"].append("%s: %s" % (self.name, msg.error()))
            return
        self.seen.append(msg.value().decode())
        self.consumer.commit(message=msg, asynchronous=False)


def values(*members):
    return {v for m in members for v in m.seen}


try:
    produce(600)
    a = Member("static-a", "instance-a")
    b = Member("static-b", "instance-b")
    while time.time() < deadline and not (a.assignment and b.assignment and len(values(a, b)) == 600):
        a.poll()
        b.poll()
    result["before"] = {"a": sorted(a.assignment), "b": sorted(b.assignment), "b_assigns": len(b.assigns)}
    a_partitions = sorted(a.assignment)
    b_assigns = len(b.assigns)
    a.consumer.close()  # static: no LeaveGroup

    restarted_at = time.time()
    a2 = Member("static-a-restarted", "instance-a")
    produce(120)
    while time.time() < deadline and len(values(a, b, a2)) < len(produced):
        a2.poll()
        b.poll()
    # Keep both polling a little longer: a rebalance would show up now.
    end = time.time() + 2
    while time.time() < end:
        a2.poll()
        b.poll()
    result["restart_ms"] = round((time.time() - restarted_at) * 1000)
    result["a2_partitions"] = sorted(a2.assignment)
    result["a_partitions"] = a_partitions
    result["b_assigns_after"] = len(b.assigns) - b_assigns
    result["a2_assigns"] = a2.assigns
    result["all_consumed"] = values(a, b, a2) == set(produced)
    result["a2_replayed"] = len([v for v in a2.seen if int(v[2:]) < 600])
    a2.consumer.close()
    b.consumer.close()
except Exception as e:  # noqa: BLE001
    result["errors"].append("%s: %s" % (type(e).__name__, e))

print(json.dumps(result))

"""The producer the librdkafka group scripts share: numbered records "m-<i>" keyed "<i>"."""
from confluent_kafka import Producer


class NumberedProducer:
    def __init__(self, bootstrap, topic):
        self.topic = topic
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2})
        self.produced = []

    def produce(self, count):
        for _ in range(count):
            i = len(self.produced)
            self.producer.produce(self.topic, key=str(i), value="m-%d" % i)
            self.produced.append("m-%d" % i)
        self.producer.flush(10)

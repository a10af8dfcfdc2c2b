/** Millrace's public in-process API. */
export { startBroker, type Broker, type BrokerOptions } from './broker.js';
export type { BrokerConfig } from './config/broker-config.js';
export { KafkaConnection } from './client/kafka-connection.js';

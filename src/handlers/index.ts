/** Every handler Millrace serves; the registry (and so ApiVersions) is built from this list. */
import type { Handler } from './handler.js';
import type { BrokerServices } from './services.js';
import { alterConfigsHandler } from './alter-configs.js';
import { apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { fetchHandler } from './fetch.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';

export function createHandlers(s: BrokerServices): Handler[] {
  return [
    produceHandler(s),
    fetchHandler(s),
    listOffsetsHandler(s),
    metadataHandler(s),
    apiVersionsHandler(s),
    createTopicsHandler(s),
    deleteTopicsHandler(s),
    deleteRecordsHandler(s),
    initProducerIdHandler(s),
    describeConfigsHandler(s),
    alterConfigsHandler(s),
    createPartitionsHandler(s),
    incrementalAlterConfigsHandler(s),
    describeClusterHandler(s),
  ];
}

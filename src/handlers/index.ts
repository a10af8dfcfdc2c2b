/** Every handler Millrace serves; the registry (and so ApiVersions) is built from this list. */
import type { Handler } from './handler.js';
import type { BrokerServices } from './services.js';
import { apiVersionsHandler } from './api-versions.js';
import { fetchHandler } from './fetch.js';
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
  ];
}

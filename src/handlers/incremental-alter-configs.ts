import { Apis } from '../protocol/generated/index.js';
import { alterResources } from './alter-configs.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/**
 * IncrementalAlterConfigs: per key SET (0), DELETE (1, back to the default),
 * APPEND (2) / SUBTRACT (3) for list configs, starting from the effective
 * value when there is no override. Unknown keys or invalid values fail the
 * whole resource (INVALID_CONFIG), nothing of it is applied. Same resources
 * and validateOnly as AlterConfigs.
 */
export function incrementalAlterConfigsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(req) {
      const responses = await alterResources(s, 'IncrementalAlterConfigs', req.resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        alteration: { kind: 'incremental', ops: r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })) },
      })), req.validateOnly);
      return { throttleTimeMs: 0, responses };
    },
  });
}

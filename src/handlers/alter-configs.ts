import { validateTopicName } from '../cluster/cluster-metadata.js';
import { ConfigResourceType, type ConfigAlteration } from '../cluster/config-types.js';
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { Apis } from '../protocol/generated/index.js';
import { duplicates, errorResult, NO_ERROR, settle, type Settled } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/**
 * AlterConfigs: replace semantics — the configs given become the resource's
 * complete set of overrides (keys not given revert to their defaults).
 * TOPIC resources alter topic overrides; BROKER resources ("<nodeId>" or ""
 * for the cluster default) the dynamic broker configs. validateOnly checks
 * without changing anything. Errors are per resource.
 */
export function alterConfigsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      const responses = await alterResources(s, 'AlterConfigs', req.resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        alteration: { kind: 'replace', configs: r.configs.map((c) => ({ name: c.name, value: c.value })) },
      })), req.validateOnly);
      return { throttleTimeMs: 0, responses };
    },
  });
}

export interface ResourceAlteration {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly alteration: ConfigAlteration;
}

/** Shared by AlterConfigs and IncrementalAlterConfigs: one result per resource, in request order. */
export async function alterResources(
  s: BrokerServices, api: string, resources: readonly ResourceAlteration[], validateOnly: boolean,
): Promise<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[]> {
  const dup = duplicates(resources.map((r) => `${r.resourceType}:${r.resourceName}`));
  // Issued in request order; the metadata serialises them.
  const work = resources.map((r) => {
    let result: Promise<Settled<void>>;
    if (dup.has(`${r.resourceType}:${r.resourceName}`)) {
      const error = new KafkaError(ErrorCode.INVALID_REQUEST, `Duplicate resource: type ${r.resourceType}, name "${r.resourceName}".`);
      result = Promise.resolve({ ok: false, error });
    } else {
      result = settle(() => alterOne(s, r, validateOnly));
    }
    return { r, result };
  });
  const out = [];
  for (const { r, result } of work) {
    const o = await result;
    const head = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (o.ok) {
      if (!validateOnly) logger.info({ api, resourceType: r.resourceType, resourceName: r.resourceName }, 'configs altered');
      out.push({ ...head, ...NO_ERROR });
    } else {
      out.push({ ...head, ...errorResult(o.error, api) });
    }
  }
  return out;
}

function alterOne(s: BrokerServices, r: ResourceAlteration, validateOnly: boolean): Promise<void> {
  switch (r.resourceType) {
    case ConfigResourceType.TOPIC:
      validateTopicName(r.resourceName);
      return s.metadata.alterTopicConfigs(r.resourceName, r.alteration, { validateOnly });
    case ConfigResourceType.BROKER:
      return s.metadata.alterBrokerConfigs(r.resourceName, r.alteration, { validateOnly });
    case ConfigResourceType.BROKER_LOGGER:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'BROKER_LOGGER resources are not supported by Millrace.');
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}: Millrace alters TOPIC (2) and BROKER (4) resources.`);
  }
}

import { validateTopicName } from '../cluster/cluster-metadata.js';
import { ConfigResourceType, type ConfigEntry } from '../cluster/config-types.js';
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { Apis } from '../protocol/generated/index.js';
import { errorResult, NO_ERROR } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/**
 * DescribeConfigs for TOPIC resources (every topic config with its effective
 * value and source) and BROKER resources ("<nodeId>" for this broker, "" for
 * the cluster-wide defaults). A null or empty configurationKeys means all
 * keys; unknown keys are left out, as Kafka does. Synonyms (v1+) only with
 * includeSynonyms, documentation (v3+) only with includeDocumentation.
 * Errors are per resource; other resource types → INVALID_REQUEST.
 */
export function describeConfigsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.DescribeConfigs,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const includeSynonyms = v >= 1 && req.includeSynonyms;
      const includeDocumentation = v >= 3 && req.includeDocumentation;
      const entry = (e: ConfigEntry) => ({
        name: e.name,
        // Kafka never sends the value of a sensitive config.
        value: e.isSensitive ? null : e.value,
        readOnly: e.readOnly,
        isDefault: e.isDefault,
        configSource: e.source,
        isSensitive: e.isSensitive,
        synonyms: includeSynonyms ? e.synonyms.map((y) => ({ name: y.name, value: e.isSensitive ? null : y.value, source: y.source })) : [],
        configType: e.configType,
        documentation: includeDocumentation ? e.documentation : null,
      });
      const results = req.resources.map((r) => {
        const keys = r.configurationKeys === null || r.configurationKeys.length === 0 ? null : r.configurationKeys;
        const head = { resourceType: r.resourceType, resourceName: r.resourceName };
        try {
          return { ...head, ...NO_ERROR, configs: describe(s, r.resourceType, r.resourceName, keys).map(entry) };
        } catch (err) {
          return { ...head, ...errorResult(err, 'DescribeConfigs'), configs: [] };
        }
      });
      return { throttleTimeMs: 0, results };
    },
  });
}

function describe(s: BrokerServices, type: number, name: string, keys: readonly string[] | null): ConfigEntry[] {
  switch (type) {
    case ConfigResourceType.TOPIC:
      validateTopicName(name);
      return s.metadata.describeTopicConfigs(name, keys);
    case ConfigResourceType.BROKER:
      return s.metadata.describeBrokerConfigs(name, keys);
    case ConfigResourceType.BROKER_LOGGER:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'BROKER_LOGGER resources are not supported by Millrace.');
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${type}: Millrace describes TOPIC (2) and BROKER (4) resources.`);
  }
}

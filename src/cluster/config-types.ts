/**
 * Protocol-level enums and shapes of the config APIs (DescribeConfigs,
 * AlterConfigs, IncrementalAlterConfigs, CreateTopics' config results).
 * Numeric values are fixed by the Kafka protocol.
 */

/** DescribeConfigs ConfigSource (v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

/** DescribeConfigs ConfigType (v3+). */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigType = (typeof ConfigType)[keyof typeof ConfigType];

/** Config resource types of DescribeConfigs / AlterConfigs. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
} as const;
export type ConfigResourceType = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

/** IncrementalAlterConfigs operation codes. */
export const AlterConfigOp = {
  SET: 0,
  DELETE: 1,
  APPEND: 2,
  SUBTRACT: 3,
} as const;
export type AlterConfigOp = (typeof AlterConfigOp)[keyof typeof AlterConfigOp];

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
}

/** One entry of a DescribeConfigs result; the handler picks the fields its version carries. */
export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  /** v0's IsDefault. */
  readonly isDefault: boolean;
  readonly source: ConfigSource;
  readonly isSensitive: boolean;
  /** Highest precedence first; the first is the entry's own value. Send only when IncludeSynonyms. */
  readonly synonyms: readonly ConfigSynonym[];
  readonly configType: ConfigType;
  /** Send only when IncludeDocumentation. */
  readonly documentation: string | null;
}

/**
 * A change to a resource's configs:
 * - `replace` (AlterConfigs): the given set becomes the complete set of overrides;
 * - `incremental` (IncrementalAlterConfigs): per-key SET / DELETE / APPEND / SUBTRACT.
 */
export type ConfigAlteration =
  | { readonly kind: 'replace'; readonly configs: ReadonlyArray<{ readonly name: string; readonly value: string | null }> }
  | { readonly kind: 'incremental'; readonly ops: ReadonlyArray<{ readonly name: string; readonly op: number; readonly value: string | null }> };

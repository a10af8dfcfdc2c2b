/**
 * The single list of Kafka APIs Millrace serves. ApiVersions answers from
 * this list, so what is advertised is exactly what is implemented.
 */
import type { Handler } from './handler.js';

export class HandlerRegistry {
  private readonly byKey = new Map<number, Handler>();

  constructor(handlers: Handler[]) {
    for (const h of handlers) {
      if (this.byKey.has(h.api.apiKey)) throw new Error(`duplicate handler for ${h.api.name}`);
      this.byKey.set(h.api.apiKey, h);
    }
  }

  get(apiKey: number): Handler | undefined {
    return this.byKey.get(apiKey);
  }

  /** Advertised version ranges, sorted by API key. */
  versionRanges(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...this.byKey.values()]
      .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}

/**
 * Property test of every generated codec at every version: random messages
 * built from the schema descriptors encode, decode to the same values, and
 * re-encode to the same bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as generated from '../../../src/protocol/generated/index.js';
import { MessageSchemas, type FieldSchema, type MessageSchema } from '../../../src/protocol/generated/schemas.js';
import { Reader, Writer } from '../../../src/protocol/primitives/index.js';

type Codec = { read: (r: Reader, v: number) => unknown; write: (w: Writer, v: number, m: unknown) => void };
const codecs = generated as unknown as Record<string, unknown>;

let seed = 12345;
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const inRange = (r: [number, number] | null, v: number): boolean => r !== null && v >= r[0] && v <= r[1];

function randomScalar(type: string): unknown {
  switch (type) {
    case 'bool': return rand() < 0.5;
    case 'int8': return int(-128, 127);
    case 'int16': return int(-32768, 32767);
    case 'uint16': return int(0, 65535);
    case 'int32': return int(-2147483648, 2147483647);
    case 'uint32': return int(0, 4294967295);
    case 'int64': return int(-(2 ** 40), 2 ** 40) * int(1, 4096);
    case 'float64': return rand() * 1e6 - 5e5;
    case 'string': return ['', 'a', 'topic-1', 'ünïcødé ✓', 'x'.repeat(int(0, 300))][int(0, 4)];
    case 'bytes': case 'records': return Buffer.from(Array.from({ length: int(0, 2000) }, () => int(0, 255)));
    case 'uuid': return Array.from({ length: 32 }, () => '0123456789abcdef'[int(0, 15)]).join('');
    default: throw new Error(`unknown type ${type}`);
  }
}

function randomStruct(schema: MessageSchema, name: string, v: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema.structs[name]!) {
    if (!inRange(f.versions, v)) continue;
    if (f.tag !== undefined && (v < schema.flexible || rand() < 0.5)) continue;
    out[f.name] = randomField(schema, f, v, depth);
  }
  return out;
}

function randomField(schema: MessageSchema, f: FieldSchema, v: number, depth: number): unknown {
  if (inRange(f.nullable, v) && rand() < 0.2) return null;
  const isArray = f.type.startsWith('[]');
  const el = isArray ? f.type.slice(2) : f.type;
  const one = (): unknown => (schema.structs[el] ? randomStruct(schema, el, v, depth + 1) : randomScalar(el));
  if (!isArray) return one();
  return Array.from({ length: depth > 3 ? 0 : int(0, 3) }, one);
}

/** Checks that `got` has every field of `want` (the decoder also fills defaults for fields we left out). */
function expectSame(schema: MessageSchema, name: string, want: Record<string, unknown>, got: Record<string, unknown>, path: string): void {
  for (const f of schema.structs[name]!) {
    if (!(f.name in want)) continue;
    const w = want[f.name];
    const g = got[f.name];
    const el = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
    const p = `${path}.${f.name}`;
    // A tagged field equal to its default is not written, so it decodes as absent.
    if (f.tag !== undefined && g === undefined && (w === null || w === false || w === 0 || w === "" || (Array.isArray(w) && w.length === 0))) continue;
    if (w === null || !schema.structs[el]) {
      assert.equal(g, w, p);
    } else if (f.type.startsWith('[]')) {
      const wa = w as Record<string, unknown>[];
      const ga = g as Record<string, unknown>[];
      assert.is(ga.length, wa.length, `${p}.length`);
      wa.forEach((x, i) => expectSame(schema, el, x, ga[i]!, `${p}[${i}]`));
    } else expectSame(schema, el, w as Record<string, unknown>, g as Record<string, unknown>, p);
  }
}

for (const [message, schema] of Object.entries(MessageSchemas)) {
  const codec: Codec = { read: codecs[`read${message}`] as Codec['read'], write: codecs[`write${message}`] as Codec['write'] };
  test(`${message} v${schema.valid[0]}-${schema.valid[1]} round-trips`, () => {
    for (let v = schema.valid[0]; v <= schema.valid[1]; v++) {
      for (let trial = 0; trial < 8; trial++) {
        const value = randomStruct(schema, message, v, 0);
        const w1 = new Writer(64);
        codec.write(w1, v, value);
        const bytes = w1.toBuffer();
        const r = new Reader(bytes);
        const decoded = codec.read(r, v) as Record<string, unknown>;
        assert.is(r.remaining, 0, `${message} v${v}: all bytes consumed`);
        expectSame(schema, message, value, decoded, `${message}@v${v}`);
        const w2 = new Writer(64);
        codec.write(w2, v, decoded);
        assert.ok(w2.toBuffer().equals(bytes), `${message} v${v}: re-encoding gives the same bytes`);
      }
    }
  });
}

test('truncated input throws a decode error, never returns garbage', () => {
  const w = new Writer();
  generated.writeMetadataRequest(w, 9, { topics: [{ name: 'abc' }], allowAutoTopicCreation: true });
  const bytes = w.toBuffer();
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(() => generated.readMetadataRequest(new Reader(bytes.subarray(0, cut)), 9));
  }
});

test('default values from the spec are written for missing fields', () => {
  const w = new Writer();
  generated.writeFetchResponse(w, 11, { responses: [{ topic: 't', partitions: [{ partitionIndex: 0 }] }] });
  const r = generated.readFetchResponse(new Reader(w.toBuffer()), 11);
  const p = r.responses[0]!.partitions[0]!;
  assert.is(p.preferredReadReplica, -1);
  assert.is(p.lastStableOffset, -1);
  assert.is(p.logStartOffset, -1);
});

test.run();

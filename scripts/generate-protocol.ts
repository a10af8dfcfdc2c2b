/**
 * Generates TypeScript codecs from the Kafka JSON message specs.
 *
 *   node dist/scripts/generate-protocol.js [--spec-dir DIR] [--check]
 *
 * Reads ../shared/kafka-protocol/message/*.json (JSON with // comments; the
 * spec format is described in that folder's README) and writes one module per
 * message into src/protocol/generated/, plus index.ts with the API table.
 * With --check it writes nothing and exits 1 if any generated file differs,
 * which CI uses to prove the committed codecs match the specs.
 *
 * What the generator honours: validVersions, flexibleVersions (compact types,
 * tagged-field sections, header versions), per-field versions,
 * nullableVersions, default, tag/taggedVersions, the field-level
 * flexibleVersions override (RequestHeader.ClientId), commonStructs, and
 * latestVersionUnstable (recorded, not advertised).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const outDir = join(repoRoot, 'src', 'protocol', 'generated');

/** The APIs Millrace serves or sends (by spec name, without Request/Response). */
const APIS = [
  'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'FindCoordinator',
  'JoinGroup', 'Heartbeat', 'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ListGroups', 'SaslHandshake',
  'ApiVersions', 'CreateTopics', 'DeleteTopics', 'DeleteRecords', 'InitProducerId', 'OffsetForLeaderEpoch',
  'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'TxnOffsetCommit', 'DescribeConfigs', 'AlterConfigs',
  'SaslAuthenticate', 'CreatePartitions', 'DeleteGroups', 'IncrementalAlterConfigs', 'OffsetDelete',
  'DescribeCluster', 'DescribeProducers', 'DescribeLogDirs', 'DescribeAcls', 'CreateAcls', 'DeleteAcls',
];
/** Non-API schemas: headers, and the consumer protocol embedded in group metadata. */
const OTHER = ['RequestHeader', 'ResponseHeader', 'ConsumerProtocolSubscription', 'ConsumerProtocolAssignment'];

// ---------------------------------------------------------------- spec model

interface FieldSpec {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: FieldSpec[];
  about?: string;
}
interface MessageSpec {
  apiKey?: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields: FieldSpec[];
  commonStructs?: { name: string; versions: string; fields: FieldSpec[] }[];
}

/** A version range [lo, hi]; hi = Infinity for "N+"; null for "none". */
type Range = readonly [number, number] | null;

function parseRange(s: string | undefined, fallback: Range): Range {
  if (s === undefined) return fallback;
  if (s === 'none') return null;
  if (s.endsWith('+')) return [Number(s.slice(0, -1)), Infinity];
  const [a, b] = s.split('-');
  return [Number(a), Number(b ?? a)];
}

function intersect(a: Range, b: Range): Range {
  if (!a || !b) return null;
  const lo = Math.max(a[0], b[0]);
  const hi = Math.min(a[1], b[1]);
  return lo <= hi ? [lo, hi] : null;
}

function contains(r: Range, v: number): boolean {
  return r !== null && v >= r[0] && v <= r[1];
}

/** A JS condition testing the version variable `v` against a range, within the message's valid versions. */
function cond(r: Range, valid: Range): string {
  const x = intersect(r, valid);
  if (!x) return 'false';
  const [vlo, vhi] = valid!;
  const parts: string[] = [];
  if (x[0] > vlo) parts.push(`v >= ${x[0]}`);
  if (x[1] < vhi) parts.push(`v <= ${x[1]}`);
  return parts.length ? parts.join(' && ') : 'true';
}

function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

const camel = (s: string): string => s[0]!.toLowerCase() + s.slice(1);
const kebab = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

// ----------------------------------------------------------------- generation

const PRIMITIVE_TS: Record<string, string> = {
  bool: 'boolean', int8: 'number', int16: 'number', uint16: 'number', int32: 'number', uint32: 'number',
  int64: 'number', float64: 'number', string: 'string', bytes: 'Buffer', records: 'Buffer', uuid: 'string',
};
const ZERO_UUID = '0'.repeat(32);

interface Ctx {
  spec: MessageSpec;
  valid: Range;
  flexible: Range;
  /** struct name → fields */
  structs: Map<string, FieldSpec[]>;
  out: string[];
}

function elementType(type: string): string | null {
  return type.startsWith('[]') ? type.slice(2) : null;
}
function isStruct(ctx: Ctx, type: string): boolean {
  return ctx.structs.has(type);
}
function tsStructName(ctx: Ctx, name: string): string {
  return name === ctx.spec.name ? name : ctx.spec.name + name;
}
function tsType(ctx: Ctx, f: FieldSpec): string {
  const el = elementType(f.type);
  let t: string;
  if (el) t = `${isStruct(ctx, el) ? tsStructName(ctx, el) : PRIMITIVE_TS[el]}[]`;
  else if (isStruct(ctx, f.type)) t = tsStructName(ctx, f.type);
  else t = PRIMITIVE_TS[f.type] ?? fail(`unknown type ${f.type} in ${ctx.spec.name}`);
  const nullable = intersect(parseRange(f.nullableVersions, null), ctx.valid) !== null;
  return nullable ? `${t} | null` : t;
}
function fail(msg: string): never {
  throw new Error(msg);
}

/** The default value of a field as a JS expression (spec "default", else the type's zero). */
function defaultExpr(ctx: Ctx, f: FieldSpec): string {
  const d = f.default;
  const el = elementType(f.type);
  if (d === 'null') return 'null';
  if (el) return '[]';
  if (isStruct(ctx, f.type)) return `default${tsStructName(ctx, f.type)}()`;
  switch (f.type) {
    case 'bool': return d === undefined ? 'false' : String(d === true || d === 'true');
    case 'string': return JSON.stringify(d === undefined ? '' : String(d));
    case 'bytes': case 'records': return 'EMPTY';
    case 'uuid': return JSON.stringify(ZERO_UUID);
    default: {
      if (d === undefined || d === '') return '0';
      const n = typeof d === 'number' ? d : typeof d === 'string' && /^-?0x/.test(d) ? Number.parseInt(d, 16) : Number(d);
      if (!Number.isFinite(n)) fail(`bad default ${String(d)} for ${f.name}`);
      return String(n);
    }
  }
}

/** Reader/Writer method for a string-like type: string, nullableString, compactString, compactNullableString, ... */
function method(compact: boolean, nullable: boolean, base: 'String' | 'Bytes'): string {
  if (compact) return `compact${nullable ? 'Nullable' : ''}${base}`;
  return nullable ? `nullable${base}` : base.toLowerCase();
}

/** Read expression for a primitive or struct type. `flexCond` is true when compact encodings apply. */
function readScalar(ctx: Ctx, type: string, nullable: string, flex: string): string {
  if (isStruct(ctx, type)) {
    const r = `read${tsStructName(ctx, type)}(r, v)`;
    return nullable === 'false' ? r : `(${nullable} && r.int8() < 0 ? null : ${r})`;
  }
  switch (type) {
    case 'bool': return 'r.bool()';
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'int64': case 'float64': case 'uuid':
      return `r.${type}()`;
    case 'string': case 'bytes': case 'records': {
      const base = type === 'string' ? 'String' as const : 'Bytes' as const;
      const pick = (compact: boolean, nul: boolean): string =>
        `r.${method(compact, nul, base)}()`;
      const forFlex = (compact: boolean): string =>
        nullable === 'true' ? pick(compact, true) : nullable === 'false' ? pick(compact, false) : `(${nullable} ? ${pick(compact, true)} : ${pick(compact, false)})`;
      return flex === 'true' ? forFlex(true) : flex === 'false' ? forFlex(false) : `(${flex} ? ${forFlex(true)} : ${forFlex(false)})`;
    }
    default: return fail(`unknown type ${type}`);
  }
}

function writeScalar(ctx: Ctx, type: string, value: string, nullable: string, flex: string): string {
  if (isStruct(ctx, type)) {
    const w = `write${tsStructName(ctx, type)}(w, v, ${value}`;
    if (nullable === 'false') return `${w} ?? {});`;
    return `if (${value} === null) { w.int8(-1); } else { if (${nullable}) w.int8(1); ${w} ?? {}); }`;
  }
  switch (type) {
    case 'bool': case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'int64': case 'float64': case 'uuid':
      return `w.${type}(${value});`;
    case 'string': case 'bytes': case 'records': {
      const base = type === 'string' ? 'String' as const : 'Bytes' as const;
      const pick = (compact: boolean, nul: boolean): string =>
        `w.${method(compact, nul, base)}(${value}${nul ? '' : '!'})`;
      const forFlex = (compact: boolean): string =>
        nullable === 'true' ? pick(compact, true) : nullable === 'false' ? pick(compact, false) : `(${nullable} ? ${pick(compact, true)} : ${pick(compact, false)})`;
      return (flex === 'true' ? forFlex(true) : flex === 'false' ? forFlex(false) : `(${flex} ? ${forFlex(true)} : ${forFlex(false)})`) + ';';
    }
    default: return fail(`unknown type ${type}`);
  }
}

function fieldVersions(ctx: Ctx, f: FieldSpec, parent: Range): Range {
  return intersect(parseRange(f.versions, parent ?? [0, Infinity]), ctx.valid);
}

/** The per-field flexible range: the message's, unless a string/bytes field overrides it. */
function fieldFlex(ctx: Ctx, f: FieldSpec): string {
  return cond(parseRange(f.flexibleVersions, ctx.flexible), ctx.valid);
}

function genStruct(ctx: Ctx, name: string, fields: FieldSpec[], versions: Range): void {
  const ts = tsStructName(ctx, name);
  const o = ctx.out;
  const regular = fields.filter((f) => f.tag === undefined);
  const tagged = fields.filter((f) => f.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
  const flexCond = cond(ctx.flexible, ctx.valid);

  // interface
  o.push(`export interface ${ts} {`);
  for (const f of fields) {
    const doc = f.about ? `  /** ${f.about.replace(/\*\//g, '* /')} */\n` : '';
    o.push(`${doc}  ${camel(f.name)}${f.tag !== undefined ? '?' : ''}: ${tsType(ctx, f)};`);
  }
  o.push('}', '');

  // default factory
  o.push(`export function default${ts}(): ${ts} {`);
  o.push(`  return { ${fields.filter((f) => f.tag === undefined).map((f) => `${camel(f.name)}: ${defaultExpr(ctx, f)}`).join(', ')} };`);
  o.push('}', '');

  // reader
  o.push(`export function read${ts}(r: Reader, v: number): ${ts} {`);
  for (const f of fields) o.push(`  let f_${camel(f.name)}${f.tag !== undefined ? ` : ${tsType(ctx, f)} | undefined` : ` : ${tsType(ctx, f)} = ${defaultExpr(ctx, f)}`};`);
  for (const f of regular) {
    const fv = fieldVersions(ctx, f, versions);
    if (!fv) continue;
    const c = cond(fv, ctx.valid);
    const body = readField(ctx, f);
    o.push(c === 'true' ? `  ${body}` : `  if (${c}) { ${body} }`);
  }
  if (ctx.flexible && !tagged.length) {
    o.push(flexCond === 'true' ? '  r.skipTaggedFields();' : `  if (${flexCond}) r.skipTaggedFields();`);
  } else if (ctx.flexible) {
    o.push(`  if (${flexCond}) {`);
    o.push('    const nTags = r.uvarint();');
    o.push('    for (let i = 0; i < nTags; i++) {');
    o.push('      const tag = r.uvarint();');
    o.push('      const size = r.uvarint();');
    o.push('      switch (tag) {');
    for (const f of tagged) o.push(`        case ${f.tag}: { ${readField(ctx, f)} break; }`);
    o.push('        default: r.skip(size);');
    o.push('      }');
    o.push('    }');
    o.push('  }');
  }
  const props = fields.map((f) => (f.tag !== undefined ? `...(f_${camel(f.name)} !== undefined ? { ${camel(f.name)}: f_${camel(f.name)} } : {})` : `${camel(f.name)}: f_${camel(f.name)}`));
  o.push(`  return { ${props.join(', ')} };`);
  o.push('}', '');

  // writer
  o.push(`export function write${ts}(w: Writer, v: number, m: Init<${ts}>): void {`);
  for (const f of regular) {
    const fv = fieldVersions(ctx, f, versions);
    if (!fv) continue;
    const c = cond(fv, ctx.valid);
    const body = writeField(ctx, f, `m.${camel(f.name)}`);
    o.push(c === 'true' ? `  ${body}` : `  if (${c}) { ${body} }`);
  }
  if (ctx.flexible && !tagged.length) {
    o.push(flexCond === 'true' ? '  w.uvarint(0); // empty tagged-field section' : `  if (${flexCond}) w.uvarint(0); // empty tagged-field section`);
  } else if (ctx.flexible) {
    o.push(`  if (${flexCond}) {`);
    {
      o.push('    const tags: [number, Buffer][] = [];');
      for (const f of tagged) {
        const tv = intersect(parseRange(f.taggedVersions, null), fieldVersions(ctx, f, versions));
        const c = cond(tv, ctx.valid);
        const val = `m.${camel(f.name)}`;
        const d = defaultExpr(ctx, f);
        const isDefault = elementType(f.type) ? `${val}.length === 0` : d.startsWith('default') ? 'false' : d === 'EMPTY' ? `${val}.length === 0` : `${val} === ${d}`;
        o.push(`    if (${c} && ${val} !== undefined && ${val} !== null && !(${isDefault})) {`);
        o.push(`      const tw = new Writer(64); { const w = tw; ${writeField(ctx, f, val)} } tags.push([${f.tag}, tw.toBuffer()]);`);
        o.push('    }');
      }
      o.push('    w.uvarint(tags.length);');
      o.push('    for (const [tag, bytes] of tags) { w.uvarint(tag); w.uvarint(bytes.length); w.raw(bytes); }');
    }
    o.push('  }');
  }
  o.push('}', '');

  // nested structs
  for (const f of fields) {
    const el = elementType(f.type) ?? f.type;
    if (f.fields) genStruct(ctx, el, f.fields, fieldVersions(ctx, f, versions));
  }
}

function readField(ctx: Ctx, f: FieldSpec): string {
  const local = `f_${camel(f.name)}`;
  const nullable = cond(parseRange(f.nullableVersions, null), ctx.valid);
  const flex = fieldFlex(ctx, f);
  const el = elementType(f.type);
  if (!el) return `${local} = ${readScalar(ctx, f.type, nullable, flex)};`;
  const item = readScalar(ctx, el, 'false', flex);
  return `{ const n = r.arrayLength(${flex}); ${nullable !== 'false' ? `if (n < 0) { ${local} = null; } else ` : 'if (n < 0) throw new ProtocolDecodeError(\'null array\'); else '}{ const a = new Array(n); for (let i = 0; i < n; i++) a[i] = ${item}; ${local} = a; } }`;
}

function writeField(ctx: Ctx, f: FieldSpec, val: string): string {
  const nullable = cond(parseRange(f.nullableVersions, null), ctx.valid);
  const flex = fieldFlex(ctx, f);
  const el = elementType(f.type);
  const d = defaultExpr(ctx, f);
  // A nullable field keeps an explicit null; a missing value takes the spec default.
  const x = nullable === 'false' ? `(${val} ?? ${d})` : `(${val} === undefined ? ${d} : ${val})`;
  if (!el) {
    if (isStruct(ctx, f.type)) return `{ const x = ${x}; ${writeScalar(ctx, f.type, 'x', nullable, flex)} }`;
    return `{ const x = ${x}; ${writeScalar(ctx, f.type, 'x', nullable, flex)} }`;
  }
  const item = writeScalar(ctx, el, 'e', 'false', flex);
  return `{ const x = ${x}; if (x === null) { w.arrayLength(-1, ${flex}); } else { w.arrayLength(x.length, ${flex}); for (const e of x) { ${item} } } }`;
}

/** A one-line wire grammar of the message for a version, for the file's header comment. */
function grammar(ctx: Ctx, fields: FieldSpec[], v: number, parent: Range): string {
  const flex = contains(ctx.flexible, v);
  const parts: string[] = [];
  for (const f of fields) {
    const fv = fieldVersions(ctx, f, parent);
    if (!contains(fv, v)) continue;
    if (f.tag !== undefined && !(flex && contains(parseRange(f.taggedVersions, null), v))) continue;
    const el = elementType(f.type) ?? f.type;
    const structFields = ctx.structs.get(el);
    const nul = contains(parseRange(f.nullableVersions, null), v) ? '?' : '';
    const compact = flex && contains(parseRange(f.flexibleVersions, ctx.flexible), v) && /string|bytes|records/.test(el) ? 'compact_' : '';
    let t = structFields ? `{${grammar(ctx, structFields, v, fv)}}` : compact + el;
    if (elementType(f.type)) t = `[${t}]`;
    parts.push(`${f.tag !== undefined ? `tag${f.tag}:` : ''}${camel(f.name)} ${t}${nul}`);
  }
  return parts.join(', ');
}

/** A compact runtime description of a message's structs, for property tests and tooling. */
interface FieldSchema { name: string; type: string; versions: [number, number]; nullable: [number, number] | null; tag?: number }
const schemaDescriptors: Record<string, { valid: [number, number]; flexible: number; structs: Record<string, FieldSchema[]> }> = {};

function describe(ctx: Ctx): void {
  const cap = (r: Range): [number, number] | null => (r ? [r[0], Math.min(r[1], 32767)] : null);
  const structs: Record<string, FieldSchema[]> = {};
  const walk = (name: string, fields: FieldSpec[], parent: Range): void => {
    structs[tsStructName(ctx, name)] = fields.map((f) => {
      const el = elementType(f.type);
      const base = el ?? f.type;
      const type = isStruct(ctx, base) ? (el ? '[]' : '') + tsStructName(ctx, base) : f.type;
      const fs: FieldSchema = { name: camel(f.name), type, versions: cap(fieldVersions(ctx, f, parent)) ?? [1, 0], nullable: cap(intersect(parseRange(f.nullableVersions, null), ctx.valid)) };
      if (f.tag !== undefined) fs.tag = f.tag;
      return fs;
    });
    for (const f of fields) if (f.fields) walk(elementType(f.type) ?? f.type, f.fields, fieldVersions(ctx, f, parent));
  };
  walk(ctx.spec.name, ctx.spec.fields, ctx.valid);
  for (const cs of ctx.spec.commonStructs ?? []) walk(cs.name, cs.fields, intersect(parseRange(cs.versions, null), ctx.valid));
  schemaDescriptors[ctx.spec.name] = { valid: cap(ctx.valid)!, flexible: ctx.flexible ? ctx.flexible[0] : 32767, structs };
}

function generate(spec: MessageSpec): string {
  const valid = parseRange(spec.validVersions, null);
  const ctx: Ctx = { spec, valid, flexible: intersect(parseRange(spec.flexibleVersions, null), valid), structs: new Map(), out: [] };
  const collect = (fields: FieldSpec[]): void => {
    for (const f of fields) if (f.fields) { ctx.structs.set(elementType(f.type) ?? f.type, f.fields); collect(f.fields); }
  };
  ctx.structs.set(spec.name, spec.fields);
  collect(spec.fields);
  for (const cs of spec.commonStructs ?? []) { ctx.structs.set(cs.name, cs.fields); collect(cs.fields); }

  const head: string[] = [
    `// Generated by scripts/generate-protocol.ts from the Kafka spec ${spec.name}.json. Do not edit.`,
    '//',
    `// Wire grammar (valid versions ${spec.validVersions}, flexible ${spec.flexibleVersions}; "?" = nullable, tagN = tagged field):`,
  ];
  if (valid) {
    let from = valid[0];
    let prev = grammar(ctx, spec.fields, from, valid);
    for (let v = valid[0] + 1; v <= valid[1] + 1; v++) {
      const g = v <= valid[1] ? grammar(ctx, spec.fields, v, valid) : null;
      if (g !== prev) {
        head.push(`//   v${from === v - 1 ? from : `${from}-${v - 1}`}: ${prev}`);
        from = v;
        prev = g ?? '';
      }
    }
  }
  head.push('/* eslint-disable */');
  head.push("import { Reader, Writer, ProtocolDecodeError, type Init } from '../primitives/index.js';");
  head.push('');
  head.push('const EMPTY: Buffer = Buffer.alloc(0);');
  head.push('void ProtocolDecodeError; void EMPTY;');
  head.push('');
  describe(ctx);
  genStruct(ctx, spec.name, spec.fields, valid);
  for (const cs of spec.commonStructs ?? []) genStruct(ctx, cs.name, cs.fields, intersect(parseRange(cs.versions, null), valid));
  return head.concat(ctx.out).join('\n');
}

// ----------------------------------------------------------------------- main

function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const specIdx = args.indexOf('--spec-dir');
  const specDir = specIdx >= 0 ? resolve(args[specIdx + 1]!) : resolve(repoRoot, '..', 'shared', 'kafka-protocol', 'message');
  if (!existsSync(specDir)) {
    console.error(`spec directory not found: ${specDir}`);
    process.exit(2);
  }
  const load = (name: string): MessageSpec => JSON.parse(stripComments(readFileSync(join(specDir, `${name}.json`), 'utf8'))) as MessageSpec;

  const files = new Map<string, string>();
  const apiRows: string[] = [];
  const imports: string[] = [];
  for (const api of APIS) {
    const req = load(`${api}Request`);
    const res = load(`${api}Response`);
    for (const spec of [req, res]) {
      files.set(`${kebab(spec.name)}.ts`, generate(spec));
      imports.push(`import { read${spec.name}, write${spec.name}, type ${spec.name} } from './${kebab(spec.name)}.js';`);
      imports.push(`export * from './${kebab(spec.name)}.js';`);
    }
    const valid = parseRange(req.validVersions, null)!;
    const flex = parseRange(req.flexibleVersions, null);
    apiRows.push(
      `  ${api}: { apiKey: ${req.apiKey}, name: '${api}', minVersion: ${valid[0]}, maxVersion: ${valid[1]}, ` +
        `firstFlexibleVersion: ${flex ? flex[0] : 'Infinity'}, latestVersionUnstable: ${Boolean(req.latestVersionUnstable)}, ` +
        `readRequest: read${req.name}, writeRequest: write${req.name}, readResponse: read${res.name}, writeResponse: write${res.name} } as ApiSchema<${req.name}, ${res.name}>,`,
    );
  }
  for (const name of OTHER) {
    const spec = load(name);
    files.set(`${kebab(name)}.ts`, generate(spec));
    imports.push(`export * from './${kebab(name)}.js';`);
  }
  const index = [
    '// Generated by scripts/generate-protocol.ts. Do not edit.',
    "import type { Reader, Writer, Init } from '../primitives/index.js';",
    ...imports,
    '',
    '/** The schema of one Kafka API: spec version range and its request/response codecs. */',
    'export interface ApiSchema<Req, Res> {',
    '  apiKey: number;',
    '  name: string;',
    '  minVersion: number;',
    '  maxVersion: number;',
    '  /** Versions at or above this use compact types, tagged fields and header v2/v1. */',
    '  firstFlexibleVersion: number;',
    '  latestVersionUnstable: boolean;',
    '  readRequest(r: Reader, v: number): Req;',
    '  writeRequest(w: Writer, v: number, m: Init<Req>): void;',
    '  readResponse(r: Reader, v: number): Res;',
    '  writeResponse(w: Writer, v: number, m: Init<Res>): void;',
    '}',
    '',
    'export const Apis = {',
    ...apiRows,
    '} as const;',
    '',
    'export type ApiName = keyof typeof Apis;',
    '',
  ].join('\n');
  files.set('index.ts', index);
  files.set('schemas.ts', [
    '// Generated by scripts/generate-protocol.ts. Do not edit.',
    '// A runtime description of every generated message (field names, types, version ranges),',
    '// used by property tests and tooling. Version 32767 stands for "and later".',
    'export interface FieldSchema { name: string; type: string; versions: [number, number]; nullable: [number, number] | null; tag?: number }',
    'export interface MessageSchema { valid: [number, number]; flexible: number; structs: Record<string, FieldSchema[]> }',
    `export const MessageSchemas: Record<string, MessageSchema> = ${JSON.stringify(schemaDescriptors, null, 1)};`,
    '',
  ].join('\n'));

  let differs = 0;
  if (!check) {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
  }
  const existing = existsSync(outDir) ? new Set(readdirSync(outDir)) : new Set<string>();
  for (const [name, text] of files) {
    const path = join(outDir, name);
    if (check) {
      if (!existing.has(name) || readFileSync(path, 'utf8') !== text) { console.error(`differs: src/protocol/generated/${name}`); differs++; }
      existing.delete(name);
    } else writeFileSync(path, text);
  }
  if (check) {
    for (const extra of existing) { console.error(`not generated: src/protocol/generated/${extra}`); differs++; }
    if (differs) { console.error(`${differs} generated file(s) differ from the specs; run npm run generate`); process.exit(1); }
    console.log(`src/protocol/generated matches the specs (${files.size} files)`);
  } else console.log(`wrote ${files.size} files to src/protocol/generated`);
}

main();

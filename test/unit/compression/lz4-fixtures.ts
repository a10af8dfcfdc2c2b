/**
 * LZ4 frames written by the reference `lz4` CLI (Debian package lz4, v1.9.4),
 * committed under test/fixtures/lz4/ so the decoder is checked against an
 * independent encoder even where the CLI is not installed. Each entry names
 * the CLI flags that mimic one Kafka producer's frame settings.
 *
 * Regenerate (needs the lz4 CLI):
 *   npx tsc -p . && node dist/test/unit/compression/lz4-fixtures.js --regenerate
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes, recordBytes } from './data.js';

export type FixtureInput = 'records' | 'random' | 'empty' | 'large-repetitive';

export interface Lz4Fixture {
  file: string;
  /** lz4 CLI flags (besides -c and the input file). */
  args: string[];
  input: FixtureInput;
  /** Expected FLG and BD bytes. */
  flg: number;
  bd: number;
  /** undefined: decodes to the input; a RegExp: decoding must fail with a matching message. */
  rejects?: RegExp;
  note: string;
}

export const LZ4_FIXTURES: Lz4Fixture[] = [
  { file: 'java-librdkafka-64k.lz4', args: ['-B4', '-BI', '--no-frame-crc'], input: 'records', flg: 0x60, bd: 0x40, note: 'Java / librdkafka settings: 64 KiB independent blocks, no checksums' },
  // The CLI shrinks the block size to fit a small input, so this one needs > 4 MiB of (very compressible) input.
  { file: 'kafkajs-4m-content-checksum.lz4', args: ['-B7', '-BI'], input: 'large-repetitive', flg: 0x64, bd: 0x70, note: 'kafkajs-lz4 settings: 4 MiB blocks + content checksum (a full 4 MiB block and a partial one)' },
  { file: 'platformatic-256k.lz4', args: ['-B5', '-BI', '--no-frame-crc'], input: 'records', flg: 0x60, bd: 0x50, note: '@platformatic/kafka settings: 256 KiB blocks' },
  { file: 'block-checksum-content-size.lz4', args: ['-B4', '-BI', '-BX', '--content-size'], input: 'records', flg: 0x7c, bd: 0x40, note: 'block checksums, content size and content checksum' },
  { file: 'hc-level9-64k.lz4', args: ['-9', '-B4', '-BI', '--no-frame-crc'], input: 'records', flg: 0x60, bd: 0x40, note: 'LZ4 HC blocks (Java 3.8+ default level 9)' },
  { file: 'stored-incompressible.lz4', args: ['-B4', '-BI'], input: 'random', flg: 0x64, bd: 0x40, note: 'incompressible input: stored (uncompressed) block' },
  { file: 'empty.lz4', args: ['-B4', '-BI'], input: 'empty', flg: 0x64, bd: 0x40, note: 'empty content: header, end mark, content checksum' },
  { file: 'dependent-blocks.lz4', args: ['-B4', '-BD', '--no-frame-crc'], input: 'records', flg: 0x40, bd: 0x40, rejects: /dependent blocks/, note: 'linked blocks: Kafka readers reject them' },
  { file: 'legacy-format.lz4', args: ['-l'], input: 'records', flg: -1, bd: -1, rejects: /legacy LZ4 format/, note: 'legacy (lz4 -l) format: not the frame format' },
];

export function fixtureInput(kind: FixtureInput): Buffer {
  if (kind === 'records') return recordBytes(80_000, 7); // two 64 KiB blocks, the second one partial
  if (kind === 'random') return randomBytes(20_000, 3);
  if (kind === 'large-repetitive') {
    const unit = recordBytes(3000, 11);
    const out = Buffer.allocUnsafe(4 * 1024 * 1024 + 300_001);
    for (let p = 0; p < out.length; p += unit.length) unit.copy(out, p, 0, Math.min(unit.length, out.length - p));
    return out;
  }
  return Buffer.alloc(0);
}

/** The repository's test/fixtures/lz4 directory (works from dist/test/... and test/...). */
export function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'test', 'fixtures', 'lz4');
    if (existsSync(join(dir, 'package.json'))) return p;
    dir = dirname(dir);
  }
  throw new Error('repository root not found');
}

/** True if the lz4 CLI is on PATH. */
export function haveLz4Cli(): boolean {
  return spawnSync('lz4', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs the lz4 CLI over `input`; returns stdout. The input goes through stdin
 * (size unknown, so the CLI keeps the requested block size instead of shrinking
 * it to fit the content) unless --content-size asks for a file.
 */
export function lz4Cli(args: string[], input: Uint8Array): Buffer {
  if (!args.includes('--content-size')) {
    const r = spawnSync('lz4', [...args, '-c'], { input, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`lz4 ${args.join(' ')} failed: ${r.stderr.toString()}`);
    return r.stdout;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'millrace-lz4-'));
  try {
    const inFile = join(tmp, 'in');
    writeFileSync(inFile, input);
    const r = spawnSync('lz4', [...args, '-c', inFile], { maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`lz4 ${args.join(' ')} failed: ${r.stderr.toString()}`);
    return r.stdout;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function regenerate(): void {
  const dir = fixturesDir();
  const version = spawnSync('lz4', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const manifest: Record<string, unknown> = { generator: 'test/unit/compression/lz4-fixtures.ts', lz4: version, files: {} };
  for (const f of LZ4_FIXTURES) {
    const input = fixtureInput(f.input);
    const frame = lz4Cli(f.args, input);
    writeFileSync(join(dir, f.file), frame);
    (manifest.files as Record<string, unknown>)[f.file] = {
      command: `lz4 ${f.args.join(' ')} -c <${f.input} input>`,
      input: f.input,
      inputBytes: input.length,
      inputSha256: createHash('sha256').update(input).digest('hex'),
      frameBytes: frame.length,
      note: f.note,
    };
    process.stdout.write(`${f.file}: ${frame.length} bytes\n`);
  }
  writeFileSync(join(dir, 'MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.includes('--regenerate')) {
  regenerate();
}

/** Reads a committed fixture. */
export function readFixture(file: string): Buffer {
  return readFileSync(join(fixturesDir(), file));
}

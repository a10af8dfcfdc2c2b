#!/usr/bin/env node
// Generates `$lanes`, the 16-lane SIMD part of the CRC-32C kernel, as WAT on
// stdout. wasm/build.sh splices it into crc32c.wat at the LANES-KERNEL line.
//
// Why generated: the function is fully unrolled straight-line code (a 16 x 16
// byte transpose and 16 CRC steps per iteration) whose v128 constants are CRC
// tables; writing them by hand would be error-prone and unreadable.
//
// The method. A table-driven scalar CRC is bound by the integer ALU work of
// extracting table indices (wasm/README.md). Here 16 byte-wise CRCs run at
// once, one per byte lane of a v128, and the 256-entry table lookup becomes
// two 16-entry `i8x16.relaxed_swizzle` (pshufb) lookups, one per nibble:
//
//   CRC of a byte stream, reflected:  c' = (c >>> 8) ^ T[(c ^ b) & 0xFF]
//   T is linear over GF(2), so        T[x] = T[x & 0x0F] ^ T[x & 0xF0]
//
// The register of each lane is kept as four byte vectors s0..s3 (s0 = low
// byte of all 16 registers). One step consumes one byte per lane:
//
//   x = s0 ^ b;  lo = x & 0x0F;  hi = (x >>> 4) & 0x0F
//   t_k = swizzle(TL_k, lo) ^ swizzle(TH_k, hi)   (byte k of T[x], k = 0..3)
//   s0 = s1 ^ t0;  s1 = s2 ^ t1;  s2 = s3 ^ t2;  s3 = t3
//
// Lanes own contiguous chunks. Input is taken in stripes of 16 * L bytes; lane
// j reads chunk j, bytes [j*L, (j+1)*L) of the stripe. Sixteen v128 loads (one
// per lane, 16 bytes each) are transposed with 64 unpack shuffles into 16
// vectors holding "byte i of every chunk", which feed 16 steps.
//
// Combining. With U(R, bytes) the register after bytes and S_m(R) = U(R, m
// zero bytes) (both linear), keep lane registers Q_j such that the true
// register is R = XOR_j S_{(15-j)L}(Q_j). A stripe then updates each lane as
//   Q_j <- U(S_{15L}(Q_j), chunk_j)
// i.e. every lane first skips the 15L bytes of the other lanes (the same 32 x
// 32 bit linear map for all lanes, applied with 32 nibble swizzles) and then
// runs its chunk. The incoming register starts in lane 15 (the others 0), and
// at the end R is folded out by Horner: R = Q_0; R = S_L(R) ^ Q_j for j = 1..15,
// where S_L is four zero-block steps with the scalar kernel's tables T12..T15.
//
// `relaxed_swizzle` instead of `swizzle`: every index here is 0..15, where the
// two agree; V8 compiles `swizzle` to pshufb plus a saturating add that maps
// out-of-range indices to zero, and the add costs ~40% of the throughput
// (wasm/README.md). build.sh also builds a `swizzle` variant for runtimes
// without relaxed SIMD.
//
// Usage: node wasm/crc32c-lanes.mjs > lanes.wat   (deterministic output)

const L = 64; // bytes per lane per stripe; stripe = 1 KiB (measured 32-256, 64 best; wasm/README.md)
const STRIPE = 16 * L;
const POLY = 0x82f63b78;

const T0 = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (POLY & -(c & 1));
  T0[i] = c >>> 0;
}
/** S_m: the register after m zero bytes. */
const skip = (reg, m) => {
  for (let i = 0; i < m; i++) reg = (T0[reg & 0xff] ^ (reg >>> 8)) >>> 0;
  return reg;
};
const byteOf = (word, k) => (word >>> (8 * k)) & 0xff;
const v128 = (bytes) => `(v128.const i8x16 ${bytes.map((b) => (b > 127 ? b - 256 : b)).join(' ')})`;
const nibbles = (fn) => Array.from({ length: 16 }, (_, n) => fn(n));

// Step tables: byte k of T0[n] and of T0[n << 4].
const TL = [0, 1, 2, 3].map((k) => v128(nibbles((n) => byteOf(T0[n], k))));
const TH = [0, 1, 2, 3].map((k) => v128(nibbles((n) => byteOf(T0[n << 4], k))));
// Stripe skip S_{15L}: SK[i][h][k][n] = byte k of S_{15L}(nibble n at bits 8i + 4h).
const SK = [0, 1, 2, 3].map((i) => [0, 1].map((h) => [0, 1, 2, 3].map((k) =>
  v128(nibbles((n) => byteOf(skip((n << (8 * i + 4 * h)) >>> 0, 15 * L), k))))));

// Unpack shuffles (V8 emits one punpck* for each).
const unpackLo = (width) => Array.from({ length: 16 }, (_, i) => {
  const unit = Math.floor(i / width), within = i % width; // alternate a, b units
  return (unit % 2 ? 16 : 0) + Math.floor(unit / 2) * width + within;
});
const unpackHi = (width) => unpackLo(width).map((x) => x + 8);
const shuffle = (pattern, a, b) => `(i8x16.shuffle ${pattern.join(' ')} (local.get ${a}) (local.get ${b}))`;

// 16 x 16 byte transpose: $r0..$r15 (row j = 16 bytes of chunk j) -> one vector
// per column. Four rounds of unpacks (8-, 16-, 32-, 64-bit); lane contents are
// tracked symbolically so the plan is checked, not trusted.
const transpose = [];
let rows = Array.from({ length: 16 }, (_, r) => ({ name: `$r${r}`, lanes: nibbles((c) => [r, c]) }));
for (const [round, width] of [1, 2, 4, 8].entries()) {
  const out = [];
  const stride = 1 << round;
  for (let i = 0; i < 16; i++) {
    if (i & stride) continue;
    const a = rows[i], b = rows[i + stride];
    for (const [half, pattern] of [unpackLo(width), unpackHi(width)].entries()) {
      const name = `$t${round}_${i + half * stride}`;
      transpose.push(`(local.set ${name} ${shuffle(pattern, a.name, b.name)})`);
      out[i + half * stride] = { name, lanes: pattern.map((x) => (x < 16 ? a.lanes[x] : b.lanes[x - 16])) };
    }
  }
  rows = out;
}
const columns = [];
for (const v of rows) {
  const col = v.lanes[0][1];
  v.lanes.forEach(([r, c], lane) => {
    if (r !== lane || c !== col) throw new Error(`transpose plan: ${v.name} lane ${lane} holds [${r}, ${c}]`);
  });
  columns[col] = v.name;
}
if (columns.filter(Boolean).length !== 16) throw new Error('transpose plan: missing columns');

const swz = (table, idx) => `(i8x16.relaxed_swizzle ${table} (local.get ${idx}))`;
const step = (input) => `
          (local.set $x (v128.xor (local.get $s0) (local.get ${input})))
          (local.set $lo (v128.and (local.get $x) (local.get $m0f)))
          (local.set $hi (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $m0f)))
          (local.set $s0 (v128.xor (local.get $s1) (v128.xor ${swz(TL[0], '$lo')} ${swz(TH[0], '$hi')})))
          (local.set $s1 (v128.xor (local.get $s2) (v128.xor ${swz(TL[1], '$lo')} ${swz(TH[1], '$hi')})))
          (local.set $s2 (v128.xor (local.get $s3) (v128.xor ${swz(TL[2], '$lo')} ${swz(TH[2], '$hi')})))
          (local.set $s3 (v128.xor ${swz(TL[3], '$lo')} ${swz(TH[3], '$hi')}))`;

let skipStripe = '';
for (let i = 0; i < 4; i++) {
  skipStripe += `
      (local.set $n${i}l (v128.and (local.get $s${i}) (local.get $m0f)))
      (local.set $n${i}h (v128.and (i16x8.shr_u (local.get $s${i}) (i32.const 4)) (local.get $m0f)))`;
}
for (let k = 0; k < 4; k++) {
  let sum = '';
  for (let i = 0; i < 4; i++) {
    for (let h = 0; h < 2; h++) {
      const term = swz(SK[i][h][k], `$n${i}${h ? 'h' : 'l'}`);
      sum = sum ? `(v128.xor ${sum} ${term})` : term;
    }
  }
  skipStripe += `\n      (local.set $u${k} ${sum})`;
}
for (let k = 0; k < 4; k++) skipStripe += `\n      (local.set $s${k} (local.get $u${k}))`;

let loads = '';
for (let r = 0; r < 16; r++) loads += `\n          (local.set $r${r} (v128.load offset=${r * L} (local.get $q)))`;
let steps = '';
for (let c = 0; c < 16; c++) steps += step(columns[c]);

// S_L on a scalar register: L/16 zero blocks, each the slice-by-16 word-0 lookup (T15..T12).
const zeroBlock = `(local.set $c (i32.xor
        (i32.xor (i32.load offset=15360 (i32.and (i32.shl (local.get $c) (i32.const 2)) (i32.const 1020)))
                 (i32.load offset=14336 (i32.and (i32.shr_u (local.get $c) (i32.const 6)) (i32.const 1020))))
        (i32.xor (i32.load offset=13312 (i32.and (i32.shr_u (local.get $c) (i32.const 14)) (i32.const 1020)))
                 (i32.load offset=12288 (i32.and (i32.shr_u (local.get $c) (i32.const 22)) (i32.const 1020))))))`;
const lane = (j) => `(i32x4.extract_lane ${j & 3} (local.get $w${j >> 2}))`;
let horner = `\n    (local.set $c ${lane(0)})`;
for (let j = 1; j < 16; j++) {
  horner += `
    (local.set $k (i32.const ${L / 16}))
    (loop $skip${j}
      ${zeroBlock}
      (br_if $skip${j} (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
    (local.set $c (i32.xor (local.get $c) ${lane(j)}))`;
}

const locals = (names, type) => names.map((n) => `(local ${n} ${type})`).join(' ');
process.stdout.write(`  ;; ---- generated by wasm/crc32c-lanes.mjs (L = ${L}); see that file for the method ----
  ;; Register $c (not inverted) after memory[p, p+n), n a positive multiple of ${STRIPE}.
  (global $lanes_stripe i32 (i32.const ${STRIPE}))
  (func $lanes (param $c i32) (param $p i32) (param $n i32) (result i32)
    (local $q i32) (local $chunkEnd i32) (local $k i32)
    ${locals(['$s0', '$s1', '$s2', '$s3', '$x', '$lo', '$hi', '$m0f', '$u0', '$u1', '$u2', '$u3', '$w0', '$w1', '$w2', '$w3'], 'v128')}
    ${locals(['$n0l', '$n0h', '$n1l', '$n1h', '$n2l', '$n2h', '$n3l', '$n3h'], 'v128')}
    ${locals(nibbles((r) => `$r${r}`), 'v128')}
    ${locals([0, 1, 2, 3].flatMap((round) => nibbles((i) => `$t${round}_${i}`)), 'v128')}
    (local.set $m0f (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    ;; The incoming register starts in lane 15 (it precedes the first stripe by 15L bytes of lane skips).
    (local.set $s0 (i8x16.replace_lane 15 (v128.const i64x2 0 0) (local.get $c)))
    (local.set $s1 (i8x16.replace_lane 15 (v128.const i64x2 0 0) (i32.shr_u (local.get $c) (i32.const 8))))
    (local.set $s2 (i8x16.replace_lane 15 (v128.const i64x2 0 0) (i32.shr_u (local.get $c) (i32.const 16))))
    (local.set $s3 (i8x16.replace_lane 15 (v128.const i64x2 0 0) (i32.shr_u (local.get $c) (i32.const 24))))
    (loop $stripes
      ;; Every lane skips the other lanes' 15L bytes: S_{15L} on all 16 registers.${skipStripe}
      (local.set $q (local.get $p))
      (local.set $chunkEnd (i32.add (local.get $p) (i32.const ${L})))
      (loop $columns${loads}
        ${transpose.join('\n        ')}${steps}
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br_if $columns (i32.lt_u (local.get $q) (local.get $chunkEnd))))
      (local.set $p (i32.add (local.get $p) (i32.const ${STRIPE})))
      (br_if $stripes (local.tee $n (i32.sub (local.get $n) (i32.const ${STRIPE})))))
    ;; Lane registers as i32 lanes: $w_m holds lanes 4m..4m+3.
    (local.set $x (i8x16.shuffle ${unpackLo(1).join(' ')} (local.get $s0) (local.get $s1)))
    (local.set $lo (i8x16.shuffle ${unpackLo(1).join(' ')} (local.get $s2) (local.get $s3)))
    (local.set $hi (i8x16.shuffle ${unpackHi(1).join(' ')} (local.get $s0) (local.get $s1)))
    (local.set $u0 (i8x16.shuffle ${unpackHi(1).join(' ')} (local.get $s2) (local.get $s3)))
    (local.set $w0 (i8x16.shuffle ${unpackLo(2).join(' ')} (local.get $x) (local.get $lo)))
    (local.set $w1 (i8x16.shuffle ${unpackHi(2).join(' ')} (local.get $x) (local.get $lo)))
    (local.set $w2 (i8x16.shuffle ${unpackLo(2).join(' ')} (local.get $hi) (local.get $u0)))
    (local.set $w3 (i8x16.shuffle ${unpackHi(2).join(' ')} (local.get $hi) (local.get $u0)))
    ;; R = XOR_j S_{(15-j)L}(Q_j), by Horner.${horner}
    (local.get $c))
  ;; ---- end of generated code ----
`);

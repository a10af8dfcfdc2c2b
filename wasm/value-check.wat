;; The load generator's record value check (src/load/record-value.ts,
;; checkValue is its JS twin), for a whole list of values in one call:
;;
;;   value: [sendTimeUs f64][producerId u32][sequence u32][magic u32 "MLR1"][checksum u32][filler…]
;;          all big-endian; checksum = crc32c(filler) XOR mix(the first four words)
;;   mix(w0, w1, w2, w3) = fmix32(w0 ^ fmix32(w1 ^ fmix32(w2 ^ fmix32(w3 ^ 0x9e3779b9))))
;;
;; The verifier (src/load/verifier.ts) copies a batch into WASM memory once
;; (src/wasm/crc32c-workspace.ts), lists where its record values lie, and
;; calls check_values once per batch instead of a checksum call per record.
;; The CRC-32C is the crc32c kernel's own export, imported from its instance
;; on the same memory (wasm/crc32c.wat).
(module
  (import "env" "memory" (memory 1))
  (import "env" "crc32c" (func $crc32c (param i32 i32 i32) (result i32)))

  ;; Big-endian u32 at p.
  (func $be32 (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load align=1 (local.get $p)))
    (i32.or
      (i32.or
        (i32.shl (local.get $x) (i32.const 24))
        (i32.and (i32.shl (local.get $x) (i32.const 8)) (i32.const 0xff0000)))
      (i32.or
        (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0xff00))
        (i32.shr_u (local.get $x) (i32.const 24)))))

  ;; murmur3's 32-bit finalizer.
  (func $fmix (param $h i32) (result i32)
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))

  ;; `list` holds n entries of (ptr, len), i32 little-endian each: the values
  ;; at memory[ptr, ptr + len). Returns the index of the first value that is
  ;; too short for the header, lacks the magic, or fails its checksum; n if
  ;; every one is good. The caller finds out which of the three in JS.
  (func (export "check_values") (param $list i32) (param $n i32) (result i32)
    (local $i i32) (local $e i32) (local $p i32) (local $len i32) (local $h i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (local.get $list) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $p (i32.load (local.get $e)))
        (local.set $len (i32.load offset=4 (local.get $e)))
        (br_if $done (i32.lt_s (local.get $len) (i32.const 24)))
        (br_if $done (i32.ne (call $be32 (i32.add (local.get $p) (i32.const 16))) (i32.const 0x4d4c5231)))
        (local.set $h (call $fmix (i32.xor (call $be32 (i32.add (local.get $p) (i32.const 12))) (i32.const 0x9e3779b9))))
        (local.set $h (call $fmix (i32.xor (call $be32 (i32.add (local.get $p) (i32.const 8))) (local.get $h))))
        (local.set $h (call $fmix (i32.xor (call $be32 (i32.add (local.get $p) (i32.const 4))) (local.get $h))))
        (local.set $h (call $fmix (i32.xor (call $be32 (local.get $p)) (local.get $h))))
        (br_if $done
          (i32.ne
            (i32.xor
              (call $crc32c (i32.const 0) (i32.add (local.get $p) (i32.const 24)) (i32.sub (local.get $len) (i32.const 24)))
              (local.get $h))
            (call $be32 (i32.add (local.get $p) (i32.const 20)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))
)

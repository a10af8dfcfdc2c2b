;; CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven,
;; slice-by-16. Kafka record batches v2 carry a CRC-32C of bytes [21, end).
;;
;; Memory layout (the kernel owns the first 16 KiB of whatever memory it runs on):
;;
;;   [0, 16384)   T0..T15, 16 tables of 256 x u32 (1 KiB each, little-endian).
;;                Tk[b] = CRC register after byte b followed by k zero bytes.
;;                Written by init(); read-only afterwards.
;;   [16384, ...) free for the caller: data to checksum lives here.
;;
;; The table base is 0 so every lookup is `i32.load offset=<k*1024> (index*4)`:
;; the table address folds into the load's immediate and costs no add.
;;
;; Why slice-by-16 and nothing fancier (Node 20 / V8 11.3, 1 MiB input, kernel
;; alone; first column the 2-vCPU EPYC of 2026-11-22, second the 2 GHz
;; first-generation EPYC of 2026-12-07; see wasm/README.md):
;;   slice-by-8, i64 loads                           1.75 GB/s
;;   slice-by-8, i32 loads                           2.1 GB/s
;;   slice-by-16, XOR tree, 1 block per iteration    3.7 / 1.49 GB/s
;;   slice-by-16, running XOR, 2 blocks (this file)  -   / 2.0 GB/s
;;   2-3 interleaved streams + shift-table combine   3.1-3.85 GB/s, slower on 100 B
;;   SIMD (v128 load + lane extracts as indices)     1.6-2.6 GB/s
;; WASM has no CRC32 or carry-less multiply instruction, so the kernel is bound
;; by the ALU ops that extract table indices and by how well V8 schedules them;
;; slice-by-16 halves the length of the loop-carried dependency per byte
;; compared to slice-by-8, and extra streams or SIMD lane extracts only add ops.
;; No SIMD variant is shipped because no SIMD formulation beat the scalar one.
;;
;; Two builds come from this one source (wasm/build.sh): crc32c-shared.wasm
;; imports a `shared` memory (a SharedArrayBuffer, for the shard rings), and
;; crc32c.wasm imports a private one (the copy-in path for ordinary Buffers,
;; where copies into a non-shared memory are ~30% faster). build.sh rewrites the
;; line marked MEMORY-IMPORT for the private build; keep it on one line.
(module
  (import "env" "memory" (memory 1 65536 shared)) ;; MEMORY-IMPORT

  ;; Bytes at the start of memory that the tables occupy.
  (global (export "table_bytes") i32 (i32.const 16384))

  ;; Fill T0..T15. Idempotent: running it again (e.g. from another thread's
  ;; instance on the same shared memory) rewrites the same values.
  (func (export "init")
    (local $i i32) (local $c i32) (local $k i32) (local $a i32)
    ;; T0: bitwise CRC of each byte value.
    (loop $bytes
      (local.set $c (local.get $i))
      (local.set $k (i32.const 8))
      (loop $bits
        ;; c = (c >>> 1) ^ (POLY & -(c & 1))
        (local.set $c
          (i32.xor
            (i32.shr_u (local.get $c) (i32.const 1))
            (i32.and (i32.const 0x82F63B78)
                     (i32.sub (i32.const 0) (i32.and (local.get $c) (i32.const 1))))))
        (local.tee $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $bits))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $c))
      (local.tee $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.lt_u (i32.const 256))))
    ;; Tk[b] = (Tk-1[b] >>> 8) ^ T0[Tk-1[b] & 0xFF]. Tables are contiguous,
    ;; so one pass over [1024, 16384) derives T1..T15 in order.
    (local.set $a (i32.const 1024))
    (loop $derive
      (local.set $c (i32.load offset=0 (i32.sub (local.get $a) (i32.const 1024))))
      (i32.store (local.get $a)
        (i32.xor
          (i32.shr_u (local.get $c) (i32.const 8))
          (i32.load (i32.and (i32.shl (local.get $c) (i32.const 2)) (i32.const 1020)))))
      (local.tee $a (i32.add (local.get $a) (i32.const 4)))
      (br_if $derive (i32.lt_u (i32.const 16384)))))

  ;; CRC-32C of memory[p, p+n), continuing from `crc` (0 for a fresh checksum;
  ;; a previous result to continue). Returns the CRC as an i32 (JS: >>> 0).
  (func (export "crc32c") (param $crc i32) (param $p i32) (param $n i32) (result i32)
    (local $c i32) (local $end i32) (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $a i32)
    (local.set $c (i32.xor (local.get $crc) (i32.const -1)))
    (local.set $end (i32.add (local.get $p) (local.get $n)))

    ;; Head: single bytes until p is 4-aligned (loads then never split a cache line).
    (block $head_done
      (loop $head
        (br_if $head_done (i32.eqz (i32.and (local.get $p) (i32.const 3))))
        (br_if $head_done (i32.eq (local.get $p) (local.get $end)))
        (local.set $c
          (i32.xor
            (i32.load (i32.and (i32.shl (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 2))
                               (i32.const 1020)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $head)))

    ;; Body: slice-by-16. Byte j of a 16-byte block (0-based) is looked up in
    ;; T(15-j); the block's first word is XORed with the register first. Index
    ;; of byte b of a word w, pre-scaled by 4: (w >>> (8b - 2)) & 0x3FC (b = 0:
    ;; (w << 2) & 0x3FC).
    ;;
    ;; Written as one running XOR per block, bytes 15..4 first: they do not
    ;; depend on the register, so the CPU looks them up while the previous
    ;; block's XORs finish, and only the four lookups of word 0 sit on the
    ;; loop-carried path. With a balanced XOR tree V8 kept all 16 lookups live
    ;; at once and spilled registers (1.49 vs 1.63 GB/s on the 2 GHz EPYC, see
    ;; wasm/README.md). Two blocks per iteration halve the loop overhead (V8's
    ;; stack check, the bound test, spills of $p): 2.0 GB/s.
    (block $body_done
      (loop $body
        (br_if $body_done (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 32)))
        (local.set $w1 (i32.load offset=4 (local.get $p)))
        (local.set $w2 (i32.load offset=8 (local.get $p)))
        (local.set $w3 (i32.load offset=12 (local.get $p)))
        (local.set $a (i32.load offset=0     (i32.and (i32.shr_u (local.get $w3) (i32.const 22)) (i32.const 1020))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=1024  (i32.and (i32.shr_u (local.get $w3) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=2048  (i32.and (i32.shr_u (local.get $w3) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=3072  (i32.and (i32.shl   (local.get $w3) (i32.const 2))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=4096  (i32.and (i32.shr_u (local.get $w2) (i32.const 22)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=5120  (i32.and (i32.shr_u (local.get $w2) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=6144  (i32.and (i32.shr_u (local.get $w2) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=7168  (i32.and (i32.shl   (local.get $w2) (i32.const 2))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=8192  (i32.and (i32.shr_u (local.get $w1) (i32.const 22)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=9216  (i32.and (i32.shr_u (local.get $w1) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=10240 (i32.and (i32.shr_u (local.get $w1) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=11264 (i32.and (i32.shl   (local.get $w1) (i32.const 2))  (i32.const 1020)))))
        (local.set $w0 (i32.xor (i32.load offset=0 (local.get $p)) (local.get $c)))
        (local.set $c (i32.xor (local.get $a) (i32.load offset=12288 (i32.and (i32.shr_u (local.get $w0) (i32.const 22)) (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=13312 (i32.and (i32.shr_u (local.get $w0) (i32.const 14)) (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=14336 (i32.and (i32.shr_u (local.get $w0) (i32.const 6))  (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=15360 (i32.and (i32.shl   (local.get $w0) (i32.const 2))  (i32.const 1020)))))
        (local.set $w1 (i32.load offset=20 (local.get $p)))
        (local.set $w2 (i32.load offset=24 (local.get $p)))
        (local.set $w3 (i32.load offset=28 (local.get $p)))
        (local.set $a (i32.load offset=0     (i32.and (i32.shr_u (local.get $w3) (i32.const 22)) (i32.const 1020))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=1024  (i32.and (i32.shr_u (local.get $w3) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=2048  (i32.and (i32.shr_u (local.get $w3) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=3072  (i32.and (i32.shl   (local.get $w3) (i32.const 2))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=4096  (i32.and (i32.shr_u (local.get $w2) (i32.const 22)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=5120  (i32.and (i32.shr_u (local.get $w2) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=6144  (i32.and (i32.shr_u (local.get $w2) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=7168  (i32.and (i32.shl   (local.get $w2) (i32.const 2))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=8192  (i32.and (i32.shr_u (local.get $w1) (i32.const 22)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=9216  (i32.and (i32.shr_u (local.get $w1) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=10240 (i32.and (i32.shr_u (local.get $w1) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=11264 (i32.and (i32.shl   (local.get $w1) (i32.const 2))  (i32.const 1020)))))
        (local.set $w0 (i32.xor (i32.load offset=16 (local.get $p)) (local.get $c)))
        (local.set $c (i32.xor (local.get $a) (i32.load offset=12288 (i32.and (i32.shr_u (local.get $w0) (i32.const 22)) (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=13312 (i32.and (i32.shr_u (local.get $w0) (i32.const 14)) (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=14336 (i32.and (i32.shr_u (local.get $w0) (i32.const 6))  (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=15360 (i32.and (i32.shl   (local.get $w0) (i32.const 2))  (i32.const 1020)))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $body)))

    ;; One more block when 16-31 bytes are left (the same code as above).
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16))
      (then
        (local.set $w1 (i32.load offset=4 (local.get $p)))
        (local.set $w2 (i32.load offset=8 (local.get $p)))
        (local.set $w3 (i32.load offset=12 (local.get $p)))
        (local.set $a (i32.load offset=0     (i32.and (i32.shr_u (local.get $w3) (i32.const 22)) (i32.const 1020))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=1024  (i32.and (i32.shr_u (local.get $w3) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=2048  (i32.and (i32.shr_u (local.get $w3) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=3072  (i32.and (i32.shl   (local.get $w3) (i32.const 2))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=4096  (i32.and (i32.shr_u (local.get $w2) (i32.const 22)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=5120  (i32.and (i32.shr_u (local.get $w2) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=6144  (i32.and (i32.shr_u (local.get $w2) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=7168  (i32.and (i32.shl   (local.get $w2) (i32.const 2))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=8192  (i32.and (i32.shr_u (local.get $w1) (i32.const 22)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=9216  (i32.and (i32.shr_u (local.get $w1) (i32.const 14)) (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=10240 (i32.and (i32.shr_u (local.get $w1) (i32.const 6))  (i32.const 1020)))))
        (local.set $a (i32.xor (local.get $a) (i32.load offset=11264 (i32.and (i32.shl   (local.get $w1) (i32.const 2))  (i32.const 1020)))))
        (local.set $w0 (i32.xor (i32.load offset=0 (local.get $p)) (local.get $c)))
        (local.set $c (i32.xor (local.get $a) (i32.load offset=12288 (i32.and (i32.shr_u (local.get $w0) (i32.const 22)) (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=13312 (i32.and (i32.shr_u (local.get $w0) (i32.const 14)) (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=14336 (i32.and (i32.shr_u (local.get $w0) (i32.const 6))  (i32.const 1020)))))
        (local.set $c (i32.xor (local.get $c) (i32.load offset=15360 (i32.and (i32.shl   (local.get $w0) (i32.const 2))  (i32.const 1020)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))))

    ;; Words: slice-by-4 (T3..T0) for the last 0-3 whole words.
    (block $words_done
      (loop $words
        (br_if $words_done (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 4)))
        (local.set $w0 (i32.xor (i32.load (local.get $p)) (local.get $c)))
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.load offset=3072 (i32.and (i32.shl   (local.get $w0) (i32.const 2))  (i32.const 1020)))
              (i32.load offset=2048 (i32.and (i32.shr_u (local.get $w0) (i32.const 6))  (i32.const 1020))))
            (i32.xor
              (i32.load offset=1024 (i32.and (i32.shr_u (local.get $w0) (i32.const 14)) (i32.const 1020)))
              (i32.load offset=0    (i32.and (i32.shr_u (local.get $w0) (i32.const 22)) (i32.const 1020))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $words)))

    ;; Tail: the last 0-3 bytes.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.eq (local.get $p) (local.get $end)))
        (local.set $c
          (i32.xor
            (i32.load (i32.and (i32.shl (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 2))
                               (i32.const 1020)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))

    (i32.xor (local.get $c) (i32.const -1)))
)

;; Decompressed size of one LZ4 block, from its sequence headers alone.
;;
;; lz4-wasm (lz4_flex) decompresses only when told the exact output size, and
;; an LZ4 frame does not record block sizes, so the frame decoder has to walk
;; the last block's sequences first. In JavaScript that walk was a fifth of a
;; 16 KiB frame decode; here it skips through the block without bounds-checked
;; typed-array reads. The JS twin, and test oracle, is
;; lz4BlockDecompressedSize in src/compression/lz4-block.ts; both return -1 for
;; the same malformed blocks.
;;
;; LZ4 block grammar (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md):
;;   sequence := token [literal-length bytes] literals [offset u16 LE] [match-length bytes]
;;   token    := high nibble literal length (15 = more bytes follow), low nibble match length - 4
;;   extra length bytes: add each byte, stop after the first byte < 255
;;   the last sequence has literals only (no offset, no match)
;;
;; Memory: the caller's (src/wasm/lz4-block-size.ts), holding the block at p.
;; Lengths stay far below 2^31 for any block under 8 MiB (each extension byte
;; adds at most 255), and comparisons are unsigned.
(module
  (import "env" "memory" (memory 1))

  ;; Size of the block memory[p, p+n), or -1 if a length runs past the end, a
  ;; match offset is 0 or reaches before the start of the output, or the block
  ;; does not end with a literals-only sequence.
  (func (export "block_size") (param $p i32) (param $n i32) (result i32)
    (local $s i32) (local $end i32) (local $out i32) (local $token i32) (local $len i32) (local $b i32) (local $offset i32)
    (local.set $s (local.get $p))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (loop $sequence
      ;; A block ends after literals; reaching here at the end means it ended after a match.
      (if (i32.ge_u (local.get $s) (local.get $end)) (then (return (i32.const -1))))
      (local.set $token (i32.load8_u (local.get $s)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      ;; Literals.
      (local.set $len (i32.shr_u (local.get $token) (i32.const 4)))
      (if (i32.eq (local.get $len) (i32.const 15))
        (then
          (loop $more
            (if (i32.ge_u (local.get $s) (local.get $end)) (then (return (i32.const -1))))
            (local.set $b (i32.load8_u (local.get $s)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (local.set $len (i32.add (local.get $len) (local.get $b)))
            (br_if $more (i32.eq (local.get $b) (i32.const 255))))))
      (local.set $s (i32.add (local.get $s) (local.get $len)))
      (local.set $out (i32.add (local.get $out) (local.get $len)))
      (if (i32.ge_u (local.get $s) (local.get $end))
        (then (return (select (local.get $out) (i32.const -1) (i32.eq (local.get $s) (local.get $end))))))
      ;; Match: offset, then its length.
      (if (i32.gt_u (i32.add (local.get $s) (i32.const 2)) (local.get $end)) (then (return (i32.const -1))))
      (local.set $offset (i32.load16_u (local.get $s)))
      (local.set $s (i32.add (local.get $s) (i32.const 2)))
      (if (i32.or (i32.eqz (local.get $offset)) (i32.gt_u (local.get $offset) (local.get $out)))
        (then (return (i32.const -1))))
      (local.set $len (i32.and (local.get $token) (i32.const 15)))
      (if (i32.eq (local.get $len) (i32.const 15))
        (then
          (loop $more
            (if (i32.ge_u (local.get $s) (local.get $end)) (then (return (i32.const -1))))
            (local.set $b (i32.load8_u (local.get $s)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (local.set $len (i32.add (local.get $len) (local.get $b)))
            (br_if $more (i32.eq (local.get $b) (i32.const 255))))))
      (local.set $out (i32.add (local.get $out) (i32.add (local.get $len) (i32.const 4))))
      (br $sequence))
    (i32.const -1))
)

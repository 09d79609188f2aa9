;; The first layer's two hot loops in WebAssembly SIMD (128-bit vectors of four float32).
;;
;; They compute what `sparseForward` and `sparseOuterUpdate` in sparse.ts compute (in float32), on a
;; weight matrix whose rows are padded to a multiple of 4 floats, so that every row is a whole
;; number of vectors. Arguments are byte addresses in the imported memory; H counts floats.
;;
;;   weight [I, H]   row-major float32, H a multiple of 4 (the padding columns stay 0)
;;   entries [nnz]   one 8-byte pair per nonzero input (SparseRows.index and .value interleaved):
;;                   int32 index · H · 4, the byte offset of the input's weight row, then the float32 value
;;   start, end      byte addresses of one example's first entry and of the entry after its last
;;
;; Keeping each entry's row offset next to its value means one stream of memory to read, and no
;; multiplication to find the weight row.
;;
;; The columns go in blocks of 32: eight vectors stay in locals (registers) while the loop runs over
;; the example's nonzero entries; then the remaining columns go four at a time. Multiplies and adds
;; are separate instructions (no fused multiply-add), so results do not depend on the CPU.
;;
;; After editing, rebuild simd_wasm.ts: deno task build:simd

(module
  (import "env" "memory" (memory 1))

  ;; out[0:H] = bias[0:H] + Σ_{entries p in [start, end)} value_p · weight[index_p, 0:H]
  (func $sparseForward (export "sparseForward")
    (param $out i32) (param $weight i32) (param $bias i32) (param $H i32)
    (param $start i32) (param $end i32)
    (call $forwardColumns (local.get $out) (local.get $weight) (local.get $bias) (local.get $start) (local.get $end)
      (i32.const 0) (i32.shl (local.get $H) (i32.const 2)))
  )

  ;; The same on the columns at byte offsets [c, rowBytes) only (a multiple of 16 bytes apart).
  (func $forwardColumns
    (param $out i32) (param $weight i32) (param $bias i32) (param $start i32) (param $end i32)
    (param $c i32) (param $rowBytes i32)
    (local $p i32) (local $row i32) (local $v v128) (local $row2 i32) (local $v2 v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128)

    ;; blocks of 32 columns
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.gt_u (i32.add (local.get $c) (i32.const 128)) (local.get $rowBytes)))
        ;; acc = bias[c : c+32]
        (local.set $acc0 (v128.load offset=0 (i32.add (local.get $bias) (local.get $c))))
        (local.set $acc1 (v128.load offset=16 (i32.add (local.get $bias) (local.get $c))))
        (local.set $acc2 (v128.load offset=32 (i32.add (local.get $bias) (local.get $c))))
        (local.set $acc3 (v128.load offset=48 (i32.add (local.get $bias) (local.get $c))))
        (local.set $acc4 (v128.load offset=64 (i32.add (local.get $bias) (local.get $c))))
        (local.set $acc5 (v128.load offset=80 (i32.add (local.get $bias) (local.get $c))))
        (local.set $acc6 (v128.load offset=96 (i32.add (local.get $bias) (local.get $c))))
        (local.set $acc7 (v128.load offset=112 (i32.add (local.get $bias) (local.get $c))))
        ;; acc += value_p · weight[index_p, c : c+32] for every entry p
        ;; two entries per turn while there are two (the same additions in the same order), then the last one
        (local.set $p (local.get $start))
        (block $pairsDone
          (loop $twoEntries
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
            (local.set $v (f32x4.splat (f32.load offset=4 (local.get $p))))
            (local.set $v2 (f32x4.splat (f32.load offset=12 (local.get $p))))
            (local.set $row (i32.add (i32.add (local.get $weight) (local.get $c)) (i32.load (local.get $p))))
            (local.set $row2 (i32.add (i32.add (local.get $weight) (local.get $c)) (i32.load offset=8 (local.get $p))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $row)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $row)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $row)))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $row)))))
            (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $v) (v128.load offset=64 (local.get $row)))))
            (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $v) (v128.load offset=80 (local.get $row)))))
            (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $v) (v128.load offset=96 (local.get $row)))))
            (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $v) (v128.load offset=112 (local.get $row)))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v2) (v128.load offset=0 (local.get $row2)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $v2) (v128.load offset=16 (local.get $row2)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $v2) (v128.load offset=32 (local.get $row2)))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $v2) (v128.load offset=48 (local.get $row2)))))
            (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $v2) (v128.load offset=64 (local.get $row2)))))
            (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $v2) (v128.load offset=80 (local.get $row2)))))
            (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $v2) (v128.load offset=96 (local.get $row2)))))
            (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $v2) (v128.load offset=112 (local.get $row2)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $twoEntries)))
        (if (i32.lt_u (local.get $p) (local.get $end))
          (then
            (local.set $v (f32x4.splat (f32.load offset=4 (local.get $p))))
            (local.set $row (i32.add (i32.add (local.get $weight) (local.get $c)) (i32.load (local.get $p))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $row)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $row)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $row)))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $row)))))
            (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $v) (v128.load offset=64 (local.get $row)))))
            (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $v) (v128.load offset=80 (local.get $row)))))
            (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $v) (v128.load offset=96 (local.get $row)))))
            (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $v) (v128.load offset=112 (local.get $row)))))))
        ;; out[c : c+32] = acc
        (v128.store offset=0 (i32.add (local.get $out) (local.get $c)) (local.get $acc0))
        (v128.store offset=16 (i32.add (local.get $out) (local.get $c)) (local.get $acc1))
        (v128.store offset=32 (i32.add (local.get $out) (local.get $c)) (local.get $acc2))
        (v128.store offset=48 (i32.add (local.get $out) (local.get $c)) (local.get $acc3))
        (v128.store offset=64 (i32.add (local.get $out) (local.get $c)) (local.get $acc4))
        (v128.store offset=80 (i32.add (local.get $out) (local.get $c)) (local.get $acc5))
        (v128.store offset=96 (i32.add (local.get $out) (local.get $c)) (local.get $acc6))
        (v128.store offset=112 (i32.add (local.get $out) (local.get $c)) (local.get $acc7))
        (local.set $c (i32.add (local.get $c) (i32.const 128)))
        (br $blocks)))

    ;; the remaining columns, 4 at a time
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (local.set $acc0 (v128.load (i32.add (local.get $bias) (local.get $c))))
        (local.set $p (local.get $start))
        (block $entriesDone
          (loop $entries
            (br_if $entriesDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $v (f32x4.splat (f32.load offset=4 (local.get $p))))
            (local.set $row (i32.add (i32.add (local.get $weight) (local.get $c))
              (i32.load (local.get $p))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v) (v128.load (local.get $row)))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $entries)))
        (v128.store (i32.add (local.get $out) (local.get $c)) (local.get $acc0))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $vectors)))
  )

  ;; weight[index_p, 0:H] −= (lr · value_p) · delta[0:H]   for every entry p in [start, end)
  (func $sparseOuterUpdate (export "sparseOuterUpdate")
    (param $weight i32) (param $delta i32) (param $H i32) (param $lr f32)
    (param $start i32) (param $end i32)
    (local $rowBytes i32) (local $c i32) (local $p i32) (local $row i32) (local $v v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $d4 v128) (local $d5 v128) (local $d6 v128) (local $d7 v128)
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 2)))
    (local.set $c (i32.const 0))

    ;; blocks of 32 columns: delta[c : c+32] stays in registers while the rows are updated
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.gt_u (i32.add (local.get $c) (i32.const 128)) (local.get $rowBytes)))
        (local.set $d0 (v128.load offset=0 (i32.add (local.get $delta) (local.get $c))))
        (local.set $d1 (v128.load offset=16 (i32.add (local.get $delta) (local.get $c))))
        (local.set $d2 (v128.load offset=32 (i32.add (local.get $delta) (local.get $c))))
        (local.set $d3 (v128.load offset=48 (i32.add (local.get $delta) (local.get $c))))
        (local.set $d4 (v128.load offset=64 (i32.add (local.get $delta) (local.get $c))))
        (local.set $d5 (v128.load offset=80 (i32.add (local.get $delta) (local.get $c))))
        (local.set $d6 (v128.load offset=96 (i32.add (local.get $delta) (local.get $c))))
        (local.set $d7 (v128.load offset=112 (i32.add (local.get $delta) (local.get $c))))
        (local.set $p (local.get $start))
        (block $entriesDone
          (loop $entries
            (br_if $entriesDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $v (f32x4.splat (f32.mul (local.get $lr)
              (f32.load offset=4 (local.get $p)))))
            (local.set $row (i32.add (i32.add (local.get $weight) (local.get $c))
              (i32.load (local.get $p))))
            (v128.store offset=0 (local.get $row)
              (f32x4.sub (v128.load offset=0 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d0))))
            (v128.store offset=16 (local.get $row)
              (f32x4.sub (v128.load offset=16 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d1))))
            (v128.store offset=32 (local.get $row)
              (f32x4.sub (v128.load offset=32 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d2))))
            (v128.store offset=48 (local.get $row)
              (f32x4.sub (v128.load offset=48 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d3))))
            (v128.store offset=64 (local.get $row)
              (f32x4.sub (v128.load offset=64 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d4))))
            (v128.store offset=80 (local.get $row)
              (f32x4.sub (v128.load offset=80 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d5))))
            (v128.store offset=96 (local.get $row)
              (f32x4.sub (v128.load offset=96 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d6))))
            (v128.store offset=112 (local.get $row)
              (f32x4.sub (v128.load offset=112 (local.get $row)) (f32x4.mul (local.get $v) (local.get $d7))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $entries)))
        (local.set $c (i32.add (local.get $c) (i32.const 128)))
        (br $blocks)))

    ;; the remaining columns, 4 at a time
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (local.set $d0 (v128.load (i32.add (local.get $delta) (local.get $c))))
        (local.set $p (local.get $start))
        (block $entriesDone
          (loop $entries
            (br_if $entriesDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $v (f32x4.splat (f32.mul (local.get $lr)
              (f32.load offset=4 (local.get $p)))))
            (local.set $row (i32.add (i32.add (local.get $weight) (local.get $c))
              (i32.load (local.get $p))))
            (v128.store (local.get $row) (f32x4.sub (v128.load (local.get $row)) (f32x4.mul (local.get $v) (local.get $d0))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $entries)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $vectors)))
  )
;; A whole network with one hidden ReLU layer, I → H → C, one minibatch at a time: `mlpForward` up to the
  ;; logits, then (softmax and its gradient are computed outside, in TypeScript) `mlpBackward`, which applies
  ;; the SGD step to every parameter. Same sums as `JsSparseMlp` in simd.ts, in float32. Layout:
  ;;
  ;;   weight0 [I, Hp], bias0 [Hp]    layer 0, rows padded to Hp = H rounded up to 4 (padding stays 0)
  ;;   weight1 [C, Hp], bias1 [C]     layer 1, transposed (row k holds the Hp weights into class k)
  ;;   entries [nnz]                  (row offset, value) pairs as above
;;   rowStart [n + 1]               int32: example r's entries are rowStart[r] … rowStart[r+1]−1
  ;;   examples [B]                   int32: the batch's example (row) numbers
  ;;   hidden [B, Hp], delta0 [B, Hp], logits [B, C], dLogits [B, C]

  ;; hidden[b, :] = relu(x_r · weight0 + bias0), logits[b, k] = bias1[k] + hidden[b, :] · weight1[k, :]
  (func (export "mlpForward")
    (param $weight0 i32) (param $bias0 i32) (param $Hp i32) (param $entries i32)
    (param $rowStart i32) (param $examples i32) (param $B i32)
    (param $hidden i32) (param $weight1 i32) (param $bias1 i32) (param $C i32) (param $logits i32)
    (local $rowBytes i32) (local $b i32) (local $r i32) (local $row i32) (local $c i32) (local $k i32)
    (local $w i32) (local $x v128) (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $Hp) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $batchDone
      (loop $batch
        (br_if $batchDone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $r (i32.shl (i32.load (i32.add (local.get $examples) (i32.shl (local.get $b) (i32.const 2))))
          (i32.const 2)))
        (local.set $row (i32.add (local.get $hidden) (i32.mul (local.get $b) (local.get $rowBytes))))
        ;; z = x_r · weight0 + bias0
        (call $sparseForward (local.get $row) (local.get $weight0) (local.get $bias0) (local.get $Hp)
          (i32.add (local.get $entries) (i32.shl (i32.load offset=0 (i32.add (local.get $rowStart) (local.get $r)))
            (i32.const 3)))
          (i32.add (local.get $entries) (i32.shl (i32.load offset=4 (i32.add (local.get $rowStart) (local.get $r)))
            (i32.const 3))))
        ;; hidden = z where z > 0, else 0 (the ReLU; a NaN becomes 0, as in reluForward)
        (local.set $c (i32.const 0))
        (block $reluDone
          (loop $relu
            (br_if $reluDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (local.set $x (v128.load (i32.add (local.get $row) (local.get $c))))
            (v128.store (i32.add (local.get $row) (local.get $c))
              (v128.and (local.get $x) (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $relu)))
        ;; logits[b, k] = bias1[k] + Σ_h hidden[b, h] weight1[k, h]
        (local.set $k (i32.const 0))
        (block $classesDone
          (loop $classes
            (br_if $classesDone (i32.ge_u (local.get $k) (local.get $C)))
            (local.set $w (i32.add (local.get $weight1) (i32.mul (local.get $k) (local.get $rowBytes))))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $c (i32.const 0))
            (block $dotDone
              (loop $dot
                (br_if $dotDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                  (v128.load (i32.add (local.get $row) (local.get $c)))
                  (v128.load (i32.add (local.get $w) (local.get $c))))))
                (local.set $c (i32.add (local.get $c) (i32.const 16)))
                (br $dot)))
            (f32.store
              (i32.add (local.get $logits) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $C)) (local.get $k))
                (i32.const 2)))
              (f32.add (f32.load (i32.add (local.get $bias1) (i32.shl (local.get $k) (i32.const 2))))
                (f32.add
                  (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                  (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $classes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batch)))
  )

  ;; Given dLogits = ∂L/∂logits (already divided by B), with the weights mlpForward used:
  ;;   delta0[b, :] = (Σ_k dLogits[b, k] weight1[k, :]) ⊙ [hidden[b, :] > 0]
  ;;   weight1[k, :] −= lr Σ_b dLogits[b, k] hidden[b, :],   bias1[k] −= lr Σ_b dLogits[b, k]
  ;;   bias0 −= lr Σ_b delta0[b, :],   weight0[index_p, :] −= (lr value_p) delta0[b, :] for each entry of x_r
  (func (export "mlpBackward")
    (param $weight0 i32) (param $bias0 i32) (param $Hp i32) (param $entries i32)
    (param $rowStart i32) (param $examples i32) (param $B i32)
    (param $hidden i32) (param $weight1 i32) (param $bias1 i32) (param $C i32) (param $dLogits i32)
    (param $delta0 i32) (param $lr f32)
    (local $rowBytes i32) (local $b i32) (local $r i32) (local $c i32) (local $k i32) (local $w i32)
    (local $acc v128) (local $sum f32)
    (local.set $rowBytes (i32.shl (local.get $Hp) (i32.const 2)))
    ;; delta0, with the old weight1
    (local.set $b (i32.const 0))
    (block $deltaDone
      (loop $delta
        (br_if $deltaDone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $c (i32.const 0))
        (block $columnsDone
          (loop $columns
            (br_if $columnsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $classesDone
              (loop $classes
                (br_if $classesDone (i32.ge_u (local.get $k) (local.get $C)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                  (f32x4.splat (f32.load (i32.add (local.get $dLogits)
                    (i32.shl (i32.add (i32.mul (local.get $b) (local.get $C)) (local.get $k)) (i32.const 2)))))
                  (v128.load (i32.add (i32.add (local.get $weight1) (i32.mul (local.get $k) (local.get $rowBytes)))
                    (local.get $c))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $classes)))
            (local.set $r (i32.add (i32.mul (local.get $b) (local.get $rowBytes)) (local.get $c)))
            (v128.store (i32.add (local.get $delta0) (local.get $r))
              (v128.and (local.get $acc)
                (f32x4.gt (v128.load (i32.add (local.get $hidden) (local.get $r))) (v128.const f32x4 0 0 0 0))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $columns)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $delta)))
    ;; layer 1's step: the gradient summed over the batch, then w −= lr · gradient
    (local.set $k (i32.const 0))
    (block $classesDone
      (loop $classes
        (br_if $classesDone (i32.ge_u (local.get $k) (local.get $C)))
        (local.set $w (i32.add (local.get $weight1) (i32.mul (local.get $k) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        (block $columnsDone
          (loop $columns
            (br_if $columnsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $b (i32.const 0))
            (block $batchDone
              (loop $batch
                (br_if $batchDone (i32.ge_u (local.get $b) (local.get $B)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                  (f32x4.splat (f32.load (i32.add (local.get $dLogits)
                    (i32.shl (i32.add (i32.mul (local.get $b) (local.get $C)) (local.get $k)) (i32.const 2)))))
                  (v128.load (i32.add (i32.add (local.get $hidden) (i32.mul (local.get $b) (local.get $rowBytes)))
                    (local.get $c))))))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $batch)))
            (v128.store (i32.add (local.get $w) (local.get $c))
              (f32x4.sub (v128.load (i32.add (local.get $w) (local.get $c)))
                (f32x4.mul (f32x4.splat (local.get $lr)) (local.get $acc))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $columns)))
        (local.set $sum (f32.const 0))
        (local.set $b (i32.const 0))
        (block $batchDone
          (loop $batch
            (br_if $batchDone (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $sum (f32.add (local.get $sum) (f32.load (i32.add (local.get $dLogits)
              (i32.shl (i32.add (i32.mul (local.get $b) (local.get $C)) (local.get $k)) (i32.const 2))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $batch)))
        (local.set $w (i32.add (local.get $bias1) (i32.shl (local.get $k) (i32.const 2))))
        (f32.store (local.get $w) (f32.sub (f32.load (local.get $w)) (f32.mul (local.get $lr) (local.get $sum))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $classes)))
    ;; bias0 −= lr Σ_b delta0[b, :]
    (local.set $c (i32.const 0))
    (block $columnsDone
      (loop $columns
        (br_if $columnsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $b (i32.const 0))
        (block $batchDone
          (loop $batch
            (br_if $batchDone (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $delta0)
              (i32.add (i32.mul (local.get $b) (local.get $rowBytes)) (local.get $c))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $batch)))
        (v128.store (i32.add (local.get $bias0) (local.get $c))
          (f32x4.sub (v128.load (i32.add (local.get $bias0) (local.get $c)))
            (f32x4.mul (f32x4.splat (local.get $lr)) (local.get $acc))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $columns)))
    ;; weight0, one example at a time
    (local.set $b (i32.const 0))
    (block $updateDone
      (loop $update
        (br_if $updateDone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $r (i32.shl (i32.load (i32.add (local.get $examples) (i32.shl (local.get $b) (i32.const 2))))
          (i32.const 2)))
        (call $sparseOuterUpdate (local.get $weight0)
          (i32.add (local.get $delta0) (i32.mul (local.get $b) (local.get $rowBytes))) (local.get $Hp) (local.get $lr)
          (i32.add (local.get $entries) (i32.shl (i32.load offset=0 (i32.add (local.get $rowStart) (local.get $r)))
            (i32.const 3)))
          (i32.add (local.get $entries) (i32.shl (i32.load offset=4 (i32.add (local.get $rowStart) (local.get $r)))
            (i32.const 3))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $update)))
  )

  ;; ---------------------------------------------------------------------------------------------------
  ;; The general path (`SimdNetwork` in simd_network.ts): dense matrix products, the first layer from a
  ;; minibatch's nonzero pixels, and the optimisers' updates. Byte addresses and strides; sizes in floats.

  ;; C[m, 0:N] = (accumulate ? C[m, 0:N] : bias[0:N]) + Σ_{k<K} A(m, k) · B[k, 0:N]      for m < M
  ;;
  ;;   A(m, k) at A + m·rsA + k·csA   (rsA = row stride, csA = column stride: A or Aᵀ row-major alike)
  ;;   B [K, N] rows ldb bytes apart,  C [M, N] rows ldc bytes apart,  N a multiple of 8
  ;;
  ;; Register tiling: a tile of 4 rows × 8 columns of C (eight f32x4 accumulators) stays in locals while
  ;; k runs over K: per k two vector loads of B, four scalar loads of A (splat), eight multiplies and
  ;; eight adds. Columns are the outer loop, so the strip B[:, n:n+8] stays in the L1 cache while every
  ;; row tile uses it. When fewer than 4 rows remain the last row is repeated: the repeated rows compute
  ;; and store the same values again (all C loads come before the stores), so no remainder code is needed.
  (func $gemm (export "gemm")
    (param $C i32) (param $ldc i32) (param $A i32) (param $rsA i32) (param $csA i32)
    (param $B i32) (param $ldb i32) (param $bias i32) (param $M i32) (param $N i32) (param $K i32)
    (param $accumulate i32)
    (local $n i32) (local $m i32) (local $k i32) (local $last i32) (local $r i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $pb i32)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128)
    (local $x20 v128) (local $x21 v128) (local $x30 v128) (local $x31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $last (i32.sub (local.get $M) (i32.const 1)))
    (local.set $n (i32.const 0)) ;; byte offset of the column block
    (block $columnsDone
      (loop $columns
        (br_if $columnsDone (i32.ge_u (local.get $n) (i32.shl (local.get $N) (i32.const 2))))
        (local.set $m (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $m) (local.get $M)))
            (local.set $r (local.get $m))
            (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $r) (local.get $rsA))))
            (local.set $c0 (i32.add (i32.add (local.get $C) (i32.mul (local.get $r) (local.get $ldc))) (local.get $n)))
            (local.set $r (select (i32.add (local.get $m) (i32.const 1)) (local.get $last)
              (i32.lt_u (i32.add (local.get $m) (i32.const 1)) (local.get $M))))
            (local.set $a1 (i32.add (local.get $A) (i32.mul (local.get $r) (local.get $rsA))))
            (local.set $c1 (i32.add (i32.add (local.get $C) (i32.mul (local.get $r) (local.get $ldc))) (local.get $n)))
            (local.set $r (select (i32.add (local.get $m) (i32.const 2)) (local.get $last)
              (i32.lt_u (i32.add (local.get $m) (i32.const 2)) (local.get $M))))
            (local.set $a2 (i32.add (local.get $A) (i32.mul (local.get $r) (local.get $rsA))))
            (local.set $c2 (i32.add (i32.add (local.get $C) (i32.mul (local.get $r) (local.get $ldc))) (local.get $n)))
            (local.set $r (select (i32.add (local.get $m) (i32.const 3)) (local.get $last)
              (i32.lt_u (i32.add (local.get $m) (i32.const 3)) (local.get $M))))
            (local.set $a3 (i32.add (local.get $A) (i32.mul (local.get $r) (local.get $rsA))))
            (local.set $c3 (i32.add (i32.add (local.get $C) (i32.mul (local.get $r) (local.get $ldc))) (local.get $n)))
            (if (local.get $accumulate)
              (then
                (local.set $x00 (v128.load offset=0 (local.get $c0)))
                (local.set $x01 (v128.load offset=16 (local.get $c0)))
                (local.set $x10 (v128.load offset=0 (local.get $c1)))
                (local.set $x11 (v128.load offset=16 (local.get $c1)))
                (local.set $x20 (v128.load offset=0 (local.get $c2)))
                (local.set $x21 (v128.load offset=16 (local.get $c2)))
                (local.set $x30 (v128.load offset=0 (local.get $c3)))
                (local.set $x31 (v128.load offset=16 (local.get $c3)))
              )
              (else
                (local.set $x00 (v128.load offset=0 (i32.add (local.get $bias) (local.get $n))))
                (local.set $x01 (v128.load offset=16 (i32.add (local.get $bias) (local.get $n))))
                (local.set $x10 (local.get $x00))
                (local.set $x11 (local.get $x01))
                (local.set $x20 (local.get $x00))
                (local.set $x21 (local.get $x01))
                (local.set $x30 (local.get $x00))
                (local.set $x31 (local.get $x01))
              ))
            (local.set $pb (i32.add (local.get $B) (local.get $n)))
            (local.set $k (local.get $K))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.eqz (local.get $k)))
                (local.set $b0 (v128.load offset=0 (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $s (v128.load32_splat (local.get $a0)))
                (local.set $x00 (f32x4.add (local.get $x00) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $x01 (f32x4.add (local.get $x01) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $a0 (i32.add (local.get $a0) (local.get $csA)))
                (local.set $s (v128.load32_splat (local.get $a1)))
                (local.set $x10 (f32x4.add (local.get $x10) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $x11 (f32x4.add (local.get $x11) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $a1 (i32.add (local.get $a1) (local.get $csA)))
                (local.set $s (v128.load32_splat (local.get $a2)))
                (local.set $x20 (f32x4.add (local.get $x20) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $x21 (f32x4.add (local.get $x21) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $a2 (i32.add (local.get $a2) (local.get $csA)))
                (local.set $s (v128.load32_splat (local.get $a3)))
                (local.set $x30 (f32x4.add (local.get $x30) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $x31 (f32x4.add (local.get $x31) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $a3 (i32.add (local.get $a3) (local.get $csA)))
                (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $kLoop)))
            (v128.store offset=0 (local.get $c0) (local.get $x00))
            (v128.store offset=16 (local.get $c0) (local.get $x01))
            (v128.store offset=0 (local.get $c1) (local.get $x10))
            (v128.store offset=16 (local.get $c1) (local.get $x11))
            (v128.store offset=0 (local.get $c2) (local.get $x20))
            (v128.store offset=16 (local.get $c2) (local.get $x21))
            (v128.store offset=0 (local.get $c3) (local.get $x30))
            (v128.store offset=16 (local.get $c3) (local.get $x31))
            (local.set $m (i32.add (local.get $m) (i32.const 4)))
            (br $rows)))
        (local.set $n (i32.add (local.get $n) (i32.const 32)))
        (br $columns)))
  )

  ;; the sum of a vector's four lanes
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v))))
  )

  ;; C[m, n] = Σ_{k<K} A[m, k] · B[n, k]      for m < M, n < N  (C = A · Bᵀ)
  ;;
  ;;   A [M, K] rows lda bytes apart, B [N, K] rows ldb bytes apart, C rows ldc bytes apart; K a multiple of 4
  ;;
  ;; Both operands are read along k, four floats at a time. A tile of 2 rows × 4 columns of C is eight
  ;; f32x4 partial sums; each is summed across its lanes at the end. As in gemm, a row or column past
  ;; the edge repeats the last one, and the repeated stores write the same value again.
  (func $gemmNT (export "gemmNT")
    (param $C i32) (param $ldc i32) (param $A i32) (param $lda i32) (param $B i32) (param $ldb i32)
    (param $M i32) (param $N i32) (param $K i32)
    (local $m i32) (local $n i32) (local $k i32) (local $kBytes i32) (local $r i32)
    (local $p0 i32) (local $p1 i32) (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $c0 i32) (local $c1 i32) (local $n0 i32) (local $n1 i32) (local $n2 i32) (local $n3 i32)
    (local $y00 v128) (local $y01 v128) (local $y02 v128) (local $y03 v128)
    (local $y10 v128) (local $y11 v128) (local $y12 v128) (local $y13 v128)
    (local $u0 v128) (local $u1 v128) (local $w v128)
    (local.set $kBytes (i32.shl (local.get $K) (i32.const 2)))
    (local.set $m (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $m) (local.get $M)))
        (local.set $r (select (i32.add (local.get $m) (i32.const 1)) (local.get $m)
          (i32.lt_u (i32.add (local.get $m) (i32.const 1)) (local.get $M))))
        (local.set $p0 (i32.add (local.get $A) (i32.mul (local.get $m) (local.get $lda))))
        (local.set $p1 (i32.add (local.get $A) (i32.mul (local.get $r) (local.get $lda))))
        (local.set $c0 (i32.add (local.get $C) (i32.mul (local.get $m) (local.get $ldc))))
        (local.set $c1 (i32.add (local.get $C) (i32.mul (local.get $r) (local.get $ldc))))
        (local.set $n (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $n) (local.get $N)))
            (local.set $n0 (local.get $n))
            (local.set $q0 (i32.add (local.get $B) (i32.mul (local.get $n0) (local.get $ldb))))
            (local.set $n1 (select (i32.add (local.get $n) (i32.const 1)) (i32.sub (local.get $N) (i32.const 1))
              (i32.lt_u (i32.add (local.get $n) (i32.const 1)) (local.get $N))))
            (local.set $q1 (i32.add (local.get $B) (i32.mul (local.get $n1) (local.get $ldb))))
            (local.set $n2 (select (i32.add (local.get $n) (i32.const 2)) (i32.sub (local.get $N) (i32.const 1))
              (i32.lt_u (i32.add (local.get $n) (i32.const 2)) (local.get $N))))
            (local.set $q2 (i32.add (local.get $B) (i32.mul (local.get $n2) (local.get $ldb))))
            (local.set $n3 (select (i32.add (local.get $n) (i32.const 3)) (i32.sub (local.get $N) (i32.const 1))
              (i32.lt_u (i32.add (local.get $n) (i32.const 3)) (local.get $N))))
            (local.set $q3 (i32.add (local.get $B) (i32.mul (local.get $n3) (local.get $ldb))))
            (local.set $y00 (v128.const f32x4 0 0 0 0))
            (local.set $y01 (v128.const f32x4 0 0 0 0))
            (local.set $y02 (v128.const f32x4 0 0 0 0))
            (local.set $y03 (v128.const f32x4 0 0 0 0))
            (local.set $y10 (v128.const f32x4 0 0 0 0))
            (local.set $y11 (v128.const f32x4 0 0 0 0))
            (local.set $y12 (v128.const f32x4 0 0 0 0))
            (local.set $y13 (v128.const f32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kBytes)))
                (local.set $u0 (v128.load (i32.add (local.get $p0) (local.get $k))))
                (local.set $u1 (v128.load (i32.add (local.get $p1) (local.get $k))))
                (local.set $w (v128.load (i32.add (local.get $q0) (local.get $k))))
                (local.set $y00 (f32x4.add (local.get $y00) (f32x4.mul (local.get $u0) (local.get $w))))
                (local.set $y10 (f32x4.add (local.get $y10) (f32x4.mul (local.get $u1) (local.get $w))))
                (local.set $w (v128.load (i32.add (local.get $q1) (local.get $k))))
                (local.set $y01 (f32x4.add (local.get $y01) (f32x4.mul (local.get $u0) (local.get $w))))
                (local.set $y11 (f32x4.add (local.get $y11) (f32x4.mul (local.get $u1) (local.get $w))))
                (local.set $w (v128.load (i32.add (local.get $q2) (local.get $k))))
                (local.set $y02 (f32x4.add (local.get $y02) (f32x4.mul (local.get $u0) (local.get $w))))
                (local.set $y12 (f32x4.add (local.get $y12) (f32x4.mul (local.get $u1) (local.get $w))))
                (local.set $w (v128.load (i32.add (local.get $q3) (local.get $k))))
                (local.set $y03 (f32x4.add (local.get $y03) (f32x4.mul (local.get $u0) (local.get $w))))
                (local.set $y13 (f32x4.add (local.get $y13) (f32x4.mul (local.get $u1) (local.get $w))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $kLoop)))
            (f32.store (i32.add (local.get $c0) (i32.shl (local.get $n0) (i32.const 2))) (call $hsum (local.get $y00)))
            (f32.store (i32.add (local.get $c0) (i32.shl (local.get $n1) (i32.const 2))) (call $hsum (local.get $y01)))
            (f32.store (i32.add (local.get $c0) (i32.shl (local.get $n2) (i32.const 2))) (call $hsum (local.get $y02)))
            (f32.store (i32.add (local.get $c0) (i32.shl (local.get $n3) (i32.const 2))) (call $hsum (local.get $y03)))
            (f32.store (i32.add (local.get $c1) (i32.shl (local.get $n0) (i32.const 2))) (call $hsum (local.get $y10)))
            (f32.store (i32.add (local.get $c1) (i32.shl (local.get $n1) (i32.const 2))) (call $hsum (local.get $y11)))
            (f32.store (i32.add (local.get $c1) (i32.shl (local.get $n2) (i32.const 2))) (call $hsum (local.get $y12)))
            (f32.store (i32.add (local.get $c1) (i32.shl (local.get $n3) (i32.const 2))) (call $hsum (local.get $y13)))
            (local.set $n (i32.add (local.get $n) (i32.const 4)))
            (br $cols)))
        (local.set $m (i32.add (local.get $m) (i32.const 2)))
        (br $rows)))
  )

  ;; The first layer from a minibatch's nonzero inputs. entries: (row offset, value) pairs as above, for
  ;; every example of the batch one after the other; starts [B + 1]: int32 byte addresses, example b's
  ;; pairs are starts[b] … starts[b+1]−1. H floats per weight row (a multiple of 4).
  ;;   out[b, 0:H] = bias + Σ_p value_p · weight[index_p, 0:H]       out rows ldo bytes apart
  ;; Column blocks outermost: while every example's row runs over the block, the block's slice of the weight
  ;; rows the batch uses (about 60 kB for MNIST at 32 columns) stays in the L1/L2 cache instead of each
  ;; example fetching its 150-odd rows from the whole matrix again.
  (func (export "sparseGemm")
    (param $out i32) (param $ldo i32) (param $weight i32) (param $bias i32) (param $H i32)
    (param $starts i32) (param $B i32)
    (call $sparseGemmStrided (local.get $out) (local.get $ldo) (local.get $weight) (local.get $bias) (local.get $H)
      (local.get $starts) (i32.const 4) (local.get $B))
  )

  ;; The same with example b's pairs at ranges[2b] … ranges[2b+1]−1 (int32 byte addresses, [2B]): the examples'
  ;; pairs need not follow one another, so a minibatch can use a dataset's pairs listed once per run.
  (func (export "sparseGemmRanges")
    (param $out i32) (param $ldo i32) (param $weight i32) (param $bias i32) (param $H i32)
    (param $ranges i32) (param $B i32)
    (call $sparseGemmStrided (local.get $out) (local.get $ldo) (local.get $weight) (local.get $bias) (local.get $H)
      (local.get $ranges) (i32.const 8) (local.get $B))
  )

  ;; example b's pairs from (starts + b·stride)[0] to (starts + b·stride)[1]
  (func $sparseGemmStrided
    (param $out i32) (param $ldo i32) (param $weight i32) (param $bias i32) (param $H i32)
    (param $starts i32) (param $stride i32) (param $B i32)
    (local $b i32) (local $c i32) (local $cTo i32) (local $rowBytes i32) (local $s i32)
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 2)))
    (block $columnsDone
      (loop $columns
        (br_if $columnsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (local.set $cTo (select (i32.add (local.get $c) (i32.const 128)) (local.get $rowBytes)
          (i32.lt_u (i32.add (local.get $c) (i32.const 128)) (local.get $rowBytes))))
        (local.set $b (i32.const 0))
        (block $done
          (loop $batch
            (br_if $done (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $s (i32.add (local.get $starts) (i32.mul (local.get $b) (local.get $stride))))
            (call $forwardColumns (i32.add (local.get $out) (i32.mul (local.get $b) (local.get $ldo)))
              (local.get $weight) (local.get $bias)
              (i32.load offset=0 (local.get $s))
              (i32.load offset=4 (local.get $s))
              (local.get $c) (local.get $cTo))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $batch)))
        (local.set $c (local.get $cTo))
        (br $columns)))
  )

  ;; The per-pixel lists of `listNonzeroColumns`, made from a minibatch's pairs listed once per run instead of
  ;; from x: example b's pairs are pairs[ranges[2b]] … pairs[ranges[2b+1]−1] (int32 byte addresses of 8-byte
  ;; (row offset, value) pairs), and pixel[k] (int32, at byte address `pixel` + (address of pair k − `first`) / 2)
  ;; is pair k's input number. For each input i nonzero in some example, in increasing i, it writes the triple
  ;; (i · rowBytes, first pair's address, end address) from `columns` on, and that input's (b · ldd, value)
  ;; pairs, b increasing, from `out` on. counts: int32 [I] scratch. Returns the number of triples.
  ;; A counting sort: count each input's pairs, give each input its place, then put each pair in its place.
  (func (export "columnsFromRanges")
    (param $first i32) (param $pixel i32) (param $ranges i32) (param $B i32) (param $I i32) (param $ldd i32)
    (param $rowBytes i32) (param $counts i32) (param $out i32) (param $columns i32) (result i32)
    (local $b i32) (local $p i32) (local $end i32) (local $at i32) (local $i i32) (local $n i32) (local $c i32)
    (local $pos i32) (local $limit i32)
    ;; counts = 0
    (local.set $i (i32.const 0))
    (block $zeroDone
      (loop $zero
        (br_if $zeroDone (i32.ge_u (local.get $i) (local.get $I)))
        (i32.store (i32.add (local.get $counts) (i32.shl (local.get $i) (i32.const 2))) (i32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $zero)))
    ;; counts[i] = the number of pairs of input i
    (local.set $b (i32.const 0))
    (block $countDone
      (loop $count
        (br_if $countDone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $p (i32.load offset=0 (i32.add (local.get $ranges) (i32.shl (local.get $b) (i32.const 3)))))
        (local.set $end (i32.load offset=4 (i32.add (local.get $ranges) (i32.shl (local.get $b) (i32.const 3)))))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $at (i32.add (local.get $counts) (i32.shl
              (i32.load (i32.add (local.get $pixel) (i32.shr_u (i32.sub (local.get $p) (local.get $first)) (i32.const 1))))
              (i32.const 2))))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $pairs)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $count)))
    ;; each input with pairs: its triple, and counts[i] = the address of its next pair
    (local.set $pos (local.get $out))
    (local.set $i (i32.const 0))
    (block $placeDone
      (loop $place
        (br_if $placeDone (i32.ge_u (local.get $i) (local.get $I)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $c (i32.load (local.get $at)))
        (if (local.get $c)
          (then
            (i32.store offset=0 (local.get $columns) (i32.mul (local.get $i) (local.get $rowBytes)))
            (i32.store offset=4 (local.get $columns) (local.get $pos))
            (local.set $pos (i32.add (local.get $pos) (i32.shl (local.get $c) (i32.const 3))))
            (i32.store offset=8 (local.get $columns) (local.get $pos))
            (i32.store (local.get $at) (i32.load offset=4 (local.get $columns)))
            (local.set $columns (i32.add (local.get $columns) (i32.const 12)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $place)))
    ;; each pair into its input's list, examples in order
    (local.set $limit (local.get $pos))
    (local.set $b (i32.const 0))
    (block $putDone
      (loop $put
        (br_if $putDone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $p (i32.load offset=0 (i32.add (local.get $ranges) (i32.shl (local.get $b) (i32.const 3)))))
        (local.set $end (i32.load offset=4 (i32.add (local.get $ranges) (i32.shl (local.get $b) (i32.const 3)))))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $at (i32.add (local.get $counts) (i32.shl
              (i32.load (i32.add (local.get $pixel) (i32.shr_u (i32.sub (local.get $p) (local.get $first)) (i32.const 1))))
              (i32.const 2))))
            (local.set $pos (i32.load (local.get $at)))
            ;; only into the places counted: a thread that lists a step the others have left may see `ranges`
            ;; change between the passes (its lists are then never used), and must not write elsewhere
            (if (i32.and (i32.ge_u (local.get $pos) (local.get $out)) (i32.lt_u (local.get $pos) (local.get $limit)))
              (then
                (i32.store offset=0 (local.get $pos) (i32.mul (local.get $b) (local.get $ldd)))
                (f32.store offset=4 (local.get $pos) (f32.load offset=4 (local.get $p)))
                (i32.store (local.get $at) (i32.add (local.get $pos) (i32.const 8)))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $pairs)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $put)))
    (local.get $n)
  )

  ;; The optimisers over n floats (n a multiple of 4) of weights w and their gradient g; each also sets
  ;; g to 0, ready for the next step's accumulation. Same formulas as optimizers.ts, in float32.
  ;;   sgdStep:       w −= lr (g + λ w)
  (func $sgdStep (export "sgdStep") (param $w i32) (param $g i32) (param $n i32) (param $lr f32) (param $lambda f32)
    (local $end i32) (local $vlr v128) (local $vl v128) (local $x v128)
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $vl (f32x4.splat (local.get $lambda)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
        (local.set $x (v128.load (local.get $w)))
        (v128.store (local.get $w) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr)
          (f32x4.add (v128.load (local.get $g)) (f32x4.mul (local.get $vl) (local.get $x))))))
        (v128.store (local.get $g) (v128.const f32x4 0 0 0 0))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (br $each)))
  )

  ;;   momentumStep:  v = μ v + g + λ w;  w −= lr v
  (func $momentumStep (export "momentumStep")
    (param $w i32) (param $g i32) (param $v i32) (param $n i32) (param $lr f32) (param $mu f32) (param $lambda f32)
    (local $end i32) (local $vlr v128) (local $vmu v128) (local $vl v128) (local $x v128) (local $y v128)
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $vmu (f32x4.splat (local.get $mu)))
    (local.set $vl (f32x4.splat (local.get $lambda)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
        (local.set $x (v128.load (local.get $w)))
        (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $vmu) (v128.load (local.get $v)))
          (v128.load (local.get $g))) (f32x4.mul (local.get $vl) (local.get $x))))
        (v128.store (local.get $v) (local.get $y))
        (v128.store (local.get $w) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
        (v128.store (local.get $g) (v128.const f32x4 0 0 0 0))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (br $each)))
  )

  ;;   adamStep:      m = β₁ m + (1 − β₁) g;  s = β₂ s + (1 − β₂) g²;  w −= lr (c₁ m / (√(c₂ s) + ε) + λ w)
  ;; with c₁ = 1 / (1 − β₁ᵗ), c₂ = 1 / (1 − β₂ᵗ) computed by the caller for step t.
  (func $adamStep (export "adamStep")
    (param $w i32) (param $g i32) (param $m i32) (param $s i32) (param $n i32) (param $lr f32)
    (param $beta1 f32) (param $beta2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $lambda f32)
    (local $end i32) (local $vlr v128) (local $vb1 v128) (local $vb2 v128) (local $vd1 v128) (local $vd2 v128)
    (local $vc1 v128) (local $vc2 v128) (local $veps v128) (local $vl v128)
    (local $x v128) (local $gr v128) (local $mm v128) (local $ss v128)
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $vb1 (f32x4.splat (local.get $beta1)))
    (local.set $vb2 (f32x4.splat (local.get $beta2)))
    (local.set $vd1 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta1))))
    (local.set $vd2 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta2))))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vl (f32x4.splat (local.get $lambda)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
        (local.set $x (v128.load (local.get $w)))
        (local.set $gr (v128.load (local.get $g)))
        (local.set $mm (f32x4.add (f32x4.mul (local.get $vb1) (v128.load (local.get $m)))
          (f32x4.mul (local.get $vd1) (local.get $gr))))
        (local.set $ss (f32x4.add (f32x4.mul (local.get $vb2) (v128.load (local.get $s)))
          (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $gr) (local.get $gr)))))
        (v128.store (local.get $m) (local.get $mm))
        (v128.store (local.get $s) (local.get $ss))
        (v128.store (local.get $w) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
          (f32x4.div (f32x4.mul (local.get $vc1) (local.get $mm))
            (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $ss))) (local.get $veps)))
          (f32x4.mul (local.get $vl) (local.get $x))))))
        (v128.store (local.get $g) (v128.const f32x4 0 0 0 0))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $each)))
  )

  ;; Small element-wise kernels of the general path.

  ;; Lists the nonzero values of x [B, I] (rows I floats apart) as (index · rowBytes, value) pairs from
  ;; byte address `entries` on, example after example, and example b's first pair's byte address in
  ;; starts[b] (starts [B + 1]). Four pixels at a time: a vector of four zeros (most of an MNIST image)
  ;; is skipped after one test; otherwise each of the four is written, and the write position only moves
  ;; past the nonzero ones (branch-free), so `entries` needs one pair of slack. Returns the number of pairs.
  (func (export "listNonzero")
    (param $x i32) (param $B i32) (param $I i32) (param $rowBytes i32) (param $entries i32) (param $starts i32)
    (result i32)
    (local $b i32) (local $i i32) (local $e i32) (local $v f32) (local $I4 i32)
    (local.set $e (local.get $entries))
    (local.set $I4 (i32.and (local.get $I) (i32.const -4)))
    (block $batchDone
      (loop $batch
        (br_if $batchDone (i32.ge_u (local.get $b) (local.get $B)))
        (i32.store (i32.add (local.get $starts) (i32.shl (local.get $b) (i32.const 2))) (local.get $e))
        (local.set $i (i32.const 0))
        (block $rowDone
          (loop $row
            (br_if $rowDone (i32.ge_u (local.get $i) (local.get $I4)))
            (if (v128.any_true (f32x4.ne (v128.load (local.get $x)) (v128.const f32x4 0 0 0 0)))
              (then
                (local.set $v (f32.load offset=0 (local.get $x)))
                (i32.store (local.get $e) (i32.mul (i32.add (local.get $i) (i32.const 0)) (local.get $rowBytes)))
                (f32.store offset=4 (local.get $e) (local.get $v))
                (local.set $e (i32.add (local.get $e) (select (i32.const 8) (i32.const 0) (f32.ne (local.get $v) (f32.const 0)))))
                (local.set $v (f32.load offset=4 (local.get $x)))
                (i32.store (local.get $e) (i32.mul (i32.add (local.get $i) (i32.const 1)) (local.get $rowBytes)))
                (f32.store offset=4 (local.get $e) (local.get $v))
                (local.set $e (i32.add (local.get $e) (select (i32.const 8) (i32.const 0) (f32.ne (local.get $v) (f32.const 0)))))
                (local.set $v (f32.load offset=8 (local.get $x)))
                (i32.store (local.get $e) (i32.mul (i32.add (local.get $i) (i32.const 2)) (local.get $rowBytes)))
                (f32.store offset=4 (local.get $e) (local.get $v))
                (local.set $e (i32.add (local.get $e) (select (i32.const 8) (i32.const 0) (f32.ne (local.get $v) (f32.const 0)))))
                (local.set $v (f32.load offset=12 (local.get $x)))
                (i32.store (local.get $e) (i32.mul (i32.add (local.get $i) (i32.const 3)) (local.get $rowBytes)))
                (f32.store offset=4 (local.get $e) (local.get $v))
                (local.set $e (i32.add (local.get $e) (select (i32.const 8) (i32.const 0) (f32.ne (local.get $v) (f32.const 0)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $row)))
        ;; the last I mod 4 pixels, one at a time
        (block $restDone
          (loop $rest
            (br_if $restDone (i32.ge_u (local.get $i) (local.get $I)))
            (local.set $v (f32.load (local.get $x)))
            (i32.store (local.get $e) (i32.mul (local.get $i) (local.get $rowBytes)))
            (f32.store offset=4 (local.get $e) (local.get $v))
            (local.set $e (i32.add (local.get $e) (select (i32.const 8) (i32.const 0) (f32.ne (local.get $v) (f32.const 0)))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rest)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batch)))
    (i32.store (i32.add (local.get $starts) (i32.shl (local.get $B) (i32.const 2))) (local.get $e))
    (i32.shr_u (i32.sub (local.get $e) (local.get $entries)) (i32.const 3))
  )

  ;; dst[0:N] = Σ_{b<B} src[b, 0:N]   (src rows ld bytes apart; N a multiple of 4): the bias gradient Σ_b δ
  (func (export "sumRows") (param $dst i32) (param $src i32) (param $ld i32) (param $B i32) (param $N i32)
    (local $c i32) (local $b i32) (local $p i32) (local $acc v128)
    (block $done
      (loop $columns
        (br_if $done (i32.ge_u (local.get $c) (i32.shl (local.get $N) (i32.const 2))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $src) (local.get $c)))
        (local.set $b (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $ld)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $rows)))
        (v128.store (i32.add (local.get $dst) (local.get $c)) (local.get $acc))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $columns)))
  )

  ;; x[0:n] = x where x > 0, else 0 (the ReLU; NaN becomes 0); n a multiple of 4
  (func $relu (export "relu") (param $x i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $x) (v128.and (local.get $v) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $each)))
  )

  ;; delta[0:n] = delta where out > 0, else 0 (the ReLU's backward pass from its output); n a multiple of 4
  (func $reluBackward (export "reluBackward") (param $delta i32) (param $out i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $delta) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $delta) (local.get $end)))
        (v128.store (local.get $delta) (v128.and (v128.load (local.get $delta))
          (f32x4.gt (v128.load (local.get $out)) (v128.const f32x4 0 0 0 0))))
        (local.set $delta (i32.add (local.get $delta) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $each)))
  )

;; The same on `rows` rows of n floats, ld bytes apart (a column panel of a [B, Op] array)
  (func (export "reluRows") (param $x i32) (param $ld i32) (param $rows i32) (param $n i32)
    (block $done
      (loop $each
        (br_if $done (i32.eqz (local.get $rows)))
        (call $relu (local.get $x) (local.get $n))
        (local.set $x (i32.add (local.get $x) (local.get $ld)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $each)))
  )
  (func (export "reluBackwardRows") (param $delta i32) (param $out i32) (param $ld i32) (param $rows i32) (param $n i32)
    (block $done
      (loop $each
        (br_if $done (i32.eqz (local.get $rows)))
        (call $reluBackward (local.get $delta) (local.get $out) (local.get $n))
        (local.set $delta (i32.add (local.get $delta) (local.get $ld)))
        (local.set $out (i32.add (local.get $out) (local.get $ld)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $each)))
  )

  ;; dst[0:n] += src[0:n]; src[0:n] = 0   (n a multiple of 4): one thread's gradient added to the sum,
  ;; and its buffer left at 0 for its next accumulation
  (func (export "addAndClear") (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (v128.store (local.get $src) (v128.const f32x4 0 0 0 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $each)))
  )

  ;; The weight gradient of the first layer column by column (CSC: per pixel, the examples where it is nonzero).
  ;; `listNonzeroColumns` lists, for each input i with a nonzero value in some row of x [B, I] (rows ldx bytes
  ;; apart): its triple (i · rowBytes, first pair's address, end address) from byte address `columns` on, and
  ;; its pairs (b · ldd, x[b, i]) from `pairs` on (one pair of slack). Returns the number of triples, in
  ;; increasing i. With x pointing at input i0 of wider rows, I = a range of inputs: i counts from i0.
  (func (export "listNonzeroColumns")
    (param $x i32) (param $B i32) (param $I i32) (param $ldx i32) (param $ldd i32) (param $rowBytes i32)
    (param $pairs i32) (param $columns i32) (result i32)
    (local $i i32) (local $b i32) (local $e i32) (local $first i32) (local $v f32) (local $p i32) (local $n i32)
    (local $count i32) (local $mask v128)
    (local.set $e (local.get $pairs))
    (block $inputsDone
      (loop $inputs
        (br_if $inputsDone (i32.ge_u (local.get $i) (local.get $I)))
        ;; four pixels at a time: a group zero in every row (the border of an MNIST image) is skipped after
        ;; one vector load per row; otherwise its four pixels are listed one by one
        (local.set $count (i32.const 1))
        (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $I))
          (then
            (local.set $mask (v128.const i32x4 0 0 0 0))
            (local.set $p (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $b (i32.const 0))
            (block $maskDone
              (loop $maskRows
                (br_if $maskDone (i32.ge_u (local.get $b) (local.get $B)))
                (local.set $mask (v128.or (local.get $mask)
                  (f32x4.ne (v128.load (local.get $p)) (v128.const f32x4 0 0 0 0))))
                (local.set $p (i32.add (local.get $p) (local.get $ldx)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $maskRows)))
            (if (i32.eqz (v128.any_true (local.get $mask)))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $inputs)))
            (local.set $count (i32.const 4))))
        (loop $group
          (local.set $first (local.get $e))
          (local.set $p (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $b (i32.const 0))
          (block $rowsDone
            (loop $rows
              (br_if $rowsDone (i32.ge_u (local.get $b) (local.get $B)))
              (local.set $v (f32.load (local.get $p)))
              (i32.store (local.get $e) (i32.mul (local.get $b) (local.get $ldd)))
              (f32.store offset=4 (local.get $e) (local.get $v))
              (local.set $e (i32.add (local.get $e) (select (i32.const 8) (i32.const 0) (f32.ne (local.get $v) (f32.const 0)))))
              (local.set $p (i32.add (local.get $p) (local.get $ldx)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br $rows)))
          (if (i32.gt_u (local.get $e) (local.get $first))
            (then
              (i32.store offset=0 (local.get $columns) (i32.mul (local.get $i) (local.get $rowBytes)))
              (i32.store offset=4 (local.get $columns) (local.get $first))
              (i32.store offset=8 (local.get $columns) (local.get $e))
              (local.set $columns (i32.add (local.get $columns) (i32.const 12)))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $count (i32.sub (local.get $count) (i32.const 1)))
          (br_if $group (local.get $count)))
        (br $inputs)))
    (local.get $n)
  )

  ;; The first layer's weight gradient fused with the optimiser's step, row by row: no gradient matrix is
  ;; written or read, and the gradient never leaves the registers. For each row r < rows of w [rows, H]
  ;; (rowBytes = 4H apart, H a multiple of 4), 32 columns at a time (then 4 at a time):
  ;;   g = Σ_{pairs (b, v) of column r} v · delta[b, :]   if r is listed in `columns` (n triples from
  ;;       listNonzeroColumns, increasing r), else g = 0;
  ;;   then the optimiser on those columns of row r, with the arithmetic of the kernels above:
  ;;   kind 0 `sgdStep` (lr, λ; a row with g = 0 and λ = 0 is left alone), 1 `momentumStep` (v = m, μ = a),
  ;;   2 `adamStep` (m, s, β₁ = a, β₂ = b, c₁, c₂, ε).
  ;; Per 4 weights: w and the state read and written once (plain SGD: w only), nothing else stored.
  (func (export "firstLayerStep")
    (param $kind i32) (param $w i32) (param $m i32) (param $s i32) (param $delta i32) (param $H i32)
    (param $columns i32) (param $n i32) (param $rows i32) (param $lr f32) (param $a f32) (param $b f32)
    (param $c1 f32) (param $c2 f32) (param $eps f32) (param $lambda f32)
    (local $end i32) (local $rowBytes i32) (local $at i32) (local $stop i32) (local $first i32) (local $last i32)
    (local $c i32) (local $p i32) (local $d i32) (local $d2 i32) (local $wr i32) (local $mr i32) (local $sr i32)
    (local $v v128) (local $v2 v128) (local $x v128) (local $y v128) (local $z v128)
    (local $vlr v128) (local $vl v128) (local $va v128) (local $vb v128) (local $vd1 v128) (local $vd2 v128)
    (local $vc1 v128) (local $vc2 v128) (local $veps v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128)
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $vl (f32x4.splat (local.get $lambda)))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $vd1 (f32x4.splat (f32.sub (f32.const 1) (local.get $a))))
    (local.set $vd2 (f32x4.splat (f32.sub (f32.const 1) (local.get $b))))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 2)))
    (local.set $end (i32.add (local.get $columns) (i32.mul (local.get $n) (i32.const 12))))
    (local.set $stop (i32.mul (local.get $rows) (local.get $rowBytes)))
    (block $rowsDone
      (loop $eachRow
        (br_if $rowsDone (i32.ge_u (local.get $at) (local.get $stop)))
        ;; this row's pairs, or none
        (local.set $first (i32.const 0))
        (local.set $last (i32.const 0))
        (if (i32.lt_u (local.get $columns) (local.get $end))
          (then
            (if (i32.eq (i32.load offset=0 (local.get $columns)) (local.get $at))
              (then
                (local.set $first (i32.load offset=4 (local.get $columns)))
                (local.set $last (i32.load offset=8 (local.get $columns)))
                (local.set $columns (i32.add (local.get $columns) (i32.const 12)))))))
        (local.set $c (i32.const 0))
        ;; plain SGD without decay leaves a row without pairs alone
        (if (i32.and (i32.eqz (local.get $kind))
              (i32.and (i32.eq (local.get $first) (local.get $last)) (f32.eq (local.get $lambda) (f32.const 0))))
          (then (local.set $c (local.get $rowBytes))))
        (block $blocksDone
          (loop $blocks
            (br_if $blocksDone (i32.gt_u (i32.add (local.get $c) (i32.const 128)) (local.get $rowBytes)))
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (local.set $acc2 (v128.const f32x4 0 0 0 0))
        (local.set $acc3 (v128.const f32x4 0 0 0 0))
        (local.set $acc4 (v128.const f32x4 0 0 0 0))
        (local.set $acc5 (v128.const f32x4 0 0 0 0))
        (local.set $acc6 (v128.const f32x4 0 0 0 0))
        (local.set $acc7 (v128.const f32x4 0 0 0 0))
            ;; two pairs per turn while there are two (the same additions in the same order), then the last one
            (local.set $p (local.get $first))
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $last)))
                (local.set $v (v128.load32_splat offset=4 (local.get $p)))
                (local.set $v2 (v128.load32_splat offset=12 (local.get $p)))
                (local.set $d (i32.add (i32.add (local.get $delta) (local.get $c)) (i32.load (local.get $p))))
                (local.set $d2 (i32.add (i32.add (local.get $delta) (local.get $c)) (i32.load offset=8 (local.get $p))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $d)))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $d)))))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $d)))))
                (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $d)))))
                (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $v) (v128.load offset=64 (local.get $d)))))
                (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $v) (v128.load offset=80 (local.get $d)))))
                (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $v) (v128.load offset=96 (local.get $d)))))
                (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $v) (v128.load offset=112 (local.get $d)))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v2) (v128.load offset=0 (local.get $d2)))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $v2) (v128.load offset=16 (local.get $d2)))))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $v2) (v128.load offset=32 (local.get $d2)))))
                (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $v2) (v128.load offset=48 (local.get $d2)))))
                (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $v2) (v128.load offset=64 (local.get $d2)))))
                (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $v2) (v128.load offset=80 (local.get $d2)))))
                (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $v2) (v128.load offset=96 (local.get $d2)))))
                (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $v2) (v128.load offset=112 (local.get $d2)))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (br $pairs)))
            (if (i32.lt_u (local.get $p) (local.get $last))
              (then
                (local.set $v (v128.load32_splat offset=4 (local.get $p)))
                (local.set $d (i32.add (i32.add (local.get $delta) (local.get $c)) (i32.load (local.get $p))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $d)))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $d)))))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $d)))))
                (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $d)))))
                (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $v) (v128.load offset=64 (local.get $d)))))
                (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $v) (v128.load offset=80 (local.get $d)))))
                (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $v) (v128.load offset=96 (local.get $d)))))
                (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $v) (v128.load offset=112 (local.get $d)))))))
            (local.set $wr (i32.add (i32.add (local.get $w) (local.get $at)) (local.get $c)))
            (local.set $mr (i32.add (i32.add (local.get $m) (local.get $at)) (local.get $c)))
            (local.set $sr (i32.add (i32.add (local.get $s) (local.get $at)) (local.get $c)))
            (if (i32.eqz (local.get $kind))
          (then
              (v128.store (local.get $wr) (f32x4.sub (local.tee $x (v128.load (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc0) (f32x4.mul (local.get $vl) (local.get $x))))))
              (v128.store offset=16 (local.get $wr) (f32x4.sub (local.tee $x (v128.load offset=16 (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc1) (f32x4.mul (local.get $vl) (local.get $x))))))
              (v128.store offset=32 (local.get $wr) (f32x4.sub (local.tee $x (v128.load offset=32 (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc2) (f32x4.mul (local.get $vl) (local.get $x))))))
              (v128.store offset=48 (local.get $wr) (f32x4.sub (local.tee $x (v128.load offset=48 (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc3) (f32x4.mul (local.get $vl) (local.get $x))))))
              (v128.store offset=64 (local.get $wr) (f32x4.sub (local.tee $x (v128.load offset=64 (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc4) (f32x4.mul (local.get $vl) (local.get $x))))))
              (v128.store offset=80 (local.get $wr) (f32x4.sub (local.tee $x (v128.load offset=80 (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc5) (f32x4.mul (local.get $vl) (local.get $x))))))
              (v128.store offset=96 (local.get $wr) (f32x4.sub (local.tee $x (v128.load offset=96 (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc6) (f32x4.mul (local.get $vl) (local.get $x))))))
              (v128.store offset=112 (local.get $wr) (f32x4.sub (local.tee $x (v128.load offset=112 (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc7) (f32x4.mul (local.get $vl) (local.get $x)))))))
          (else
            (if (i32.eq (local.get $kind) (i32.const 1))
              (then
              (local.set $x (v128.load (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load (local.get $mr)))
                (local.get $acc0)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store (local.get $mr) (local.get $y))
              (v128.store (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
              (local.set $x (v128.load offset=16 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=16 (local.get $mr)))
                (local.get $acc1)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store offset=16 (local.get $mr) (local.get $y))
              (v128.store offset=16 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
              (local.set $x (v128.load offset=32 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=32 (local.get $mr)))
                (local.get $acc2)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store offset=32 (local.get $mr) (local.get $y))
              (v128.store offset=32 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
              (local.set $x (v128.load offset=48 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=48 (local.get $mr)))
                (local.get $acc3)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store offset=48 (local.get $mr) (local.get $y))
              (v128.store offset=48 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
              (local.set $x (v128.load offset=64 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=64 (local.get $mr)))
                (local.get $acc4)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store offset=64 (local.get $mr) (local.get $y))
              (v128.store offset=64 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
              (local.set $x (v128.load offset=80 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=80 (local.get $mr)))
                (local.get $acc5)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store offset=80 (local.get $mr) (local.get $y))
              (v128.store offset=80 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
              (local.set $x (v128.load offset=96 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=96 (local.get $mr)))
                (local.get $acc6)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store offset=96 (local.get $mr) (local.get $y))
              (v128.store offset=96 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y))))
              (local.set $x (v128.load offset=112 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=112 (local.get $mr)))
                (local.get $acc7)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store offset=112 (local.get $mr) (local.get $y))
              (v128.store offset=112 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y)))))
              (else
              (local.set $x (v128.load (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc0))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc0) (local.get $acc0)))))
              (v128.store (local.get $mr) (local.get $y))
              (v128.store (local.get $sr) (local.get $z))
              (v128.store (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))
              (local.set $x (v128.load offset=16 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=16 (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc1))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load offset=16 (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc1) (local.get $acc1)))))
              (v128.store offset=16 (local.get $mr) (local.get $y))
              (v128.store offset=16 (local.get $sr) (local.get $z))
              (v128.store offset=16 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))
              (local.set $x (v128.load offset=32 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=32 (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc2))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load offset=32 (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc2) (local.get $acc2)))))
              (v128.store offset=32 (local.get $mr) (local.get $y))
              (v128.store offset=32 (local.get $sr) (local.get $z))
              (v128.store offset=32 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))
              (local.set $x (v128.load offset=48 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=48 (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc3))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load offset=48 (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc3) (local.get $acc3)))))
              (v128.store offset=48 (local.get $mr) (local.get $y))
              (v128.store offset=48 (local.get $sr) (local.get $z))
              (v128.store offset=48 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))
              (local.set $x (v128.load offset=64 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=64 (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc4))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load offset=64 (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc4) (local.get $acc4)))))
              (v128.store offset=64 (local.get $mr) (local.get $y))
              (v128.store offset=64 (local.get $sr) (local.get $z))
              (v128.store offset=64 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))
              (local.set $x (v128.load offset=80 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=80 (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc5))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load offset=80 (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc5) (local.get $acc5)))))
              (v128.store offset=80 (local.get $mr) (local.get $y))
              (v128.store offset=80 (local.get $sr) (local.get $z))
              (v128.store offset=80 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))
              (local.set $x (v128.load offset=96 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=96 (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc6))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load offset=96 (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc6) (local.get $acc6)))))
              (v128.store offset=96 (local.get $mr) (local.get $y))
              (v128.store offset=96 (local.get $sr) (local.get $z))
              (v128.store offset=96 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))
              (local.set $x (v128.load offset=112 (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load offset=112 (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc7))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load offset=112 (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc7) (local.get $acc7)))))
              (v128.store offset=112 (local.get $mr) (local.get $y))
              (v128.store offset=112 (local.get $sr) (local.get $z))
              (v128.store offset=112 (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))))))
            (local.set $c (i32.add (local.get $c) (i32.const 128)))
            (br $blocks)))
        ;; the remaining columns, 4 at a time
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (local.set $acc0 (v128.const f32x4 0 0 0 0))
            (local.set $p (local.get $first))
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $last)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load32_splat offset=4 (local.get $p))
                  (v128.load (i32.add (i32.add (local.get $delta) (local.get $c)) (i32.load (local.get $p)))))))
                (local.set $p (i32.add (local.get $p) (i32.const 8)))
                (br $pairs)))
            (local.set $wr (i32.add (i32.add (local.get $w) (local.get $at)) (local.get $c)))
            (local.set $mr (i32.add (i32.add (local.get $m) (local.get $at)) (local.get $c)))
            (local.set $sr (i32.add (i32.add (local.get $s) (local.get $at)) (local.get $c)))
            (if (i32.eqz (local.get $kind))
          (then
              (v128.store (local.get $wr) (f32x4.sub (local.tee $x (v128.load (local.get $wr))) (f32x4.mul (local.get $vlr)
                (f32x4.add (local.get $acc0) (f32x4.mul (local.get $vl) (local.get $x)))))))
          (else
            (if (i32.eq (local.get $kind) (i32.const 1))
              (then
              (local.set $x (v128.load (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $va) (v128.load (local.get $mr)))
                (local.get $acc0)) (f32x4.mul (local.get $vl) (local.get $x))))
              (v128.store (local.get $mr) (local.get $y))
              (v128.store (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (local.get $y)))))
              (else
              (local.set $x (v128.load (local.get $wr)))
              (local.set $y (f32x4.add (f32x4.mul (local.get $va) (v128.load (local.get $mr)))
                (f32x4.mul (local.get $vd1) (local.get $acc0))))
              (local.set $z (f32x4.add (f32x4.mul (local.get $vb) (v128.load (local.get $sr)))
                (f32x4.mul (local.get $vd2) (f32x4.mul (local.get $acc0) (local.get $acc0)))))
              (v128.store (local.get $mr) (local.get $y))
              (v128.store (local.get $sr) (local.get $z))
              (v128.store (local.get $wr) (f32x4.sub (local.get $x) (f32x4.mul (local.get $vlr) (f32x4.add
                (f32x4.div (f32x4.mul (local.get $vc1) (local.get $y))
                  (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vc2) (local.get $z))) (local.get $veps)))
                (f32x4.mul (local.get $vl) (local.get $x))))))))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $vectors)))
        (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
        (br $eachRow)))
  )
)

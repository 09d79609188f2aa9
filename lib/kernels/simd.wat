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
    (local $rowBytes i32) (local $c i32) (local $p i32) (local $row i32) (local $v v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128)
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 2)))
    (local.set $c (i32.const 0)) ;; byte offset of the current column block

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
        (local.set $p (local.get $start))
        (block $entriesDone
          (loop $entries
            (br_if $entriesDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $v (f32x4.splat (f32.load offset=4 (local.get $p))))
            (local.set $row (i32.add (i32.add (local.get $weight) (local.get $c))
              (i32.load (local.get $p))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $row)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $row)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $row)))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $row)))))
            (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $v) (v128.load offset=64 (local.get $row)))))
            (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $v) (v128.load offset=80 (local.get $row)))))
            (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $v) (v128.load offset=96 (local.get $row)))))
            (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $v) (v128.load offset=112 (local.get $row)))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $entries)))
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
)

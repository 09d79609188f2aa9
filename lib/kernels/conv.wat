;; The memory-bound parts of a convolutional network in WebAssembly SIMD (128-bit vectors of four float32):
;; im2col and its adjoint col2im on channel-last images, and 2 × 2 max pooling forward and backward.
;; The matrix products are `gemm` and `gemmNT` of simd.wat, on the same memory. TypeScript twins:
;; `im2colRows`, `col2imRows`, `maxPoolRows`, `maxPoolRowsBackward` in simd_cnn.ts.
;;
;; Arguments are byte addresses in the imported memory; strides are in bytes; C, K, H, W … count
;; floats or pixels. An image's channels are contiguous (channel stride 4 bytes): pixel (y, x) of
;; example b starts at x + b·xStride + y·sy + x·sx.
;;
;; After editing, rebuild conv_wasm.ts: deno task build:conv

(module
  (import "env" "memory" (memory 1))

  ;; dst[0 : bytes] = src[0 : bytes] (bytes a multiple of 4): four floats at a time, then one at a time
  (func $copy (param $dst i32) (param $src i32) (param $bytes i32)
    (block $vDone
      (loop $v
        (br_if $vDone (i32.lt_u (local.get $bytes) (i32.const 16)))
        (v128.store (local.get $dst) (v128.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $bytes (i32.sub (local.get $bytes) (i32.const 16)))
        (br $v)))
    (block $sDone
      (loop $s
        (br_if $sDone (i32.eqz (local.get $bytes)))
        (i32.store (local.get $dst) (i32.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $bytes (i32.sub (local.get $bytes) (i32.const 4)))
        (br $s)))
  )

  ;; dst[0 : bytes] += src[0 : bytes] (float32; bytes a multiple of 4)
  (func $add (param $dst i32) (param $src i32) (param $bytes i32)
    (block $vDone
      (loop $v
        (br_if $vDone (i32.lt_u (local.get $bytes) (i32.const 16)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $bytes (i32.sub (local.get $bytes) (i32.const 16)))
        (br $v)))
    (block $sDone
      (loop $s
        (br_if $sDone (i32.eqz (local.get $bytes)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $bytes (i32.sub (local.get $bytes) (i32.const 4)))
        (br $s)))
  )

  ;; dst[0 : bytes] = 0 (bytes a multiple of 4)
  (func $zero (param $dst i32) (param $bytes i32)
    (block $vDone
      (loop $v
        (br_if $vDone (i32.lt_u (local.get $bytes) (i32.const 16)))
        (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $bytes (i32.sub (local.get $bytes) (i32.const 16)))
        (br $v)))
    (block $sDone
      (loop $s
        (br_if $sDone (i32.eqz (local.get $bytes)))
        (i32.store (local.get $dst) (i32.const 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $bytes (i32.sub (local.get $bytes) (i32.const 4)))
        (br $s)))
  )

  ;; cols[(b·Ho·Wo + i·Wo + j)·R + (u·K + v)·C + c] = x[b, y = i + u − P, x = j + v − P, c] (0 outside the image),
  ;; R = K·K·C, for the n examples: one row per output position, the patch in (u, v, c) order.
  ;; When sx = 4·C (the channels fill the pixel), a kernel row's K·C values are one contiguous run.
  (func (export "im2col")
    (param $cols i32) (param $x i32) (param $xStride i32) (param $n i32)
    (param $H i32) (param $W i32) (param $C i32) (param $K i32) (param $P i32) (param $Ho i32) (param $Wo i32)
    (param $sy i32) (param $sx i32)
    (local $b i32) (local $i i32) (local $j i32) (local $u i32) (local $v i32) (local $y i32)
    (local $vLo i32) (local $vHi i32) (local $cBytes i32) (local $kcBytes i32) (local $base i32) (local $row i32)
    (local.set $cBytes (i32.shl (local.get $C) (i32.const 2)))
    (local.set $kcBytes (i32.mul (local.get $K) (local.get $cBytes)))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $base (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $xStride))))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $Ho)))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $Wo)))
                ;; v with 0 ≤ j + v − P < W: [max(0, P − j), min(K, W + P − j))
                (local.set $vLo (select (i32.sub (local.get $P) (local.get $j)) (i32.const 0)
                  (i32.gt_s (i32.sub (local.get $P) (local.get $j)) (i32.const 0))))
                (local.set $vHi (i32.sub (i32.add (local.get $W) (local.get $P)) (local.get $j)))
                (local.set $vHi (select (local.get $K) (local.get $vHi) (i32.gt_s (local.get $vHi) (local.get $K))))
                (local.set $u (i32.const 0))
                (block $uDone
                  (loop $uLoop
                    (br_if $uDone (i32.ge_u (local.get $u) (local.get $K)))
                    (local.set $y (i32.sub (i32.add (local.get $i) (local.get $u)) (local.get $P)))
                    (if (i32.or (i32.lt_s (local.get $y) (i32.const 0)) (i32.ge_s (local.get $y) (local.get $H)))
                      (then (call $zero (local.get $cols) (local.get $kcBytes)))
                      (else
                        ;; the pixel (y, j − P), where v = 0 would read
                        (local.set $row (i32.add (i32.add (local.get $base) (i32.mul (local.get $y) (local.get $sy)))
                          (i32.mul (i32.sub (local.get $j) (local.get $P)) (local.get $sx))))
                        (call $zero (local.get $cols) (i32.mul (local.get $vLo) (local.get $cBytes)))
                        (if (i32.eq (local.get $sx) (local.get $cBytes))
                          (then
                            (call $copy
                              (i32.add (local.get $cols) (i32.mul (local.get $vLo) (local.get $cBytes)))
                              (i32.add (local.get $row) (i32.mul (local.get $vLo) (local.get $sx)))
                              (i32.mul (i32.sub (local.get $vHi) (local.get $vLo)) (local.get $cBytes))))
                          (else
                            (local.set $v (local.get $vLo))
                            (block $vDone
                              (loop $vLoop
                                (br_if $vDone (i32.ge_s (local.get $v) (local.get $vHi)))
                                (call $copy
                                  (i32.add (local.get $cols) (i32.mul (local.get $v) (local.get $cBytes)))
                                  (i32.add (local.get $row) (i32.mul (local.get $v) (local.get $sx)))
                                  (local.get $cBytes))
                                (local.set $v (i32.add (local.get $v) (i32.const 1)))
                                (br $vLoop)))))
                        (call $zero (i32.add (local.get $cols) (i32.mul (local.get $vHi) (local.get $cBytes)))
                          (i32.mul (i32.sub (local.get $K) (local.get $vHi)) (local.get $cBytes)))))
                    (local.set $cols (i32.add (local.get $cols) (local.get $kcBytes)))
                    (local.set $u (i32.add (local.get $u) (i32.const 1)))
                    (br $uLoop)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop)))
  )

  ;; The adjoint of im2col: dx (the n examples' xStride bytes each, zeroed first, channel padding included)
  ;; += each entry of dcols at the pixel and channel im2col copied it from.
  (func (export "col2im")
    (param $dx i32) (param $xStride i32) (param $dcols i32) (param $n i32)
    (param $H i32) (param $W i32) (param $C i32) (param $K i32) (param $P i32) (param $Ho i32) (param $Wo i32)
    (param $sy i32) (param $sx i32)
    (local $b i32) (local $i i32) (local $j i32) (local $u i32) (local $v i32) (local $y i32)
    (local $vLo i32) (local $vHi i32) (local $cBytes i32) (local $kcBytes i32) (local $base i32) (local $row i32)
    (call $zero (local.get $dx) (i32.mul (local.get $n) (local.get $xStride)))
    (local.set $cBytes (i32.shl (local.get $C) (i32.const 2)))
    (local.set $kcBytes (i32.mul (local.get $K) (local.get $cBytes)))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $base (i32.add (local.get $dx) (i32.mul (local.get $b) (local.get $xStride))))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $Ho)))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $Wo)))
                (local.set $vLo (select (i32.sub (local.get $P) (local.get $j)) (i32.const 0)
                  (i32.gt_s (i32.sub (local.get $P) (local.get $j)) (i32.const 0))))
                (local.set $vHi (i32.sub (i32.add (local.get $W) (local.get $P)) (local.get $j)))
                (local.set $vHi (select (local.get $K) (local.get $vHi) (i32.gt_s (local.get $vHi) (local.get $K))))
                (local.set $u (i32.const 0))
                (block $uDone
                  (loop $uLoop
                    (br_if $uDone (i32.ge_u (local.get $u) (local.get $K)))
                    (local.set $y (i32.sub (i32.add (local.get $i) (local.get $u)) (local.get $P)))
                    (if (i32.and (i32.ge_s (local.get $y) (i32.const 0)) (i32.lt_s (local.get $y) (local.get $H)))
                      (then
                        (local.set $row (i32.add (i32.add (local.get $base) (i32.mul (local.get $y) (local.get $sy)))
                          (i32.mul (i32.sub (local.get $j) (local.get $P)) (local.get $sx))))
                        (if (i32.eq (local.get $sx) (local.get $cBytes))
                          (then
                            (call $add
                              (i32.add (local.get $row) (i32.mul (local.get $vLo) (local.get $sx)))
                              (i32.add (local.get $dcols) (i32.mul (local.get $vLo) (local.get $cBytes)))
                              (i32.mul (i32.sub (local.get $vHi) (local.get $vLo)) (local.get $cBytes))))
                          (else
                            (local.set $v (local.get $vLo))
                            (block $vDone
                              (loop $vLoop
                                (br_if $vDone (i32.ge_s (local.get $v) (local.get $vHi)))
                                (call $add
                                  (i32.add (local.get $row) (i32.mul (local.get $v) (local.get $sx)))
                                  (i32.add (local.get $dcols) (i32.mul (local.get $v) (local.get $cBytes)))
                                  (local.get $cBytes))
                                (local.set $v (i32.add (local.get $v) (i32.const 1)))
                                (br $vLoop)))))))
                    (local.set $dcols (i32.add (local.get $dcols) (local.get $kcBytes)))
                    (local.set $u (i32.add (local.get $u) (i32.const 1)))
                    (br $uLoop)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop)))
  )

  ;; 2 × 2 max pooling, stride 2, of n channel-last images x [H, W, Cp] into out [floor(H/2), floor(W/2), Cp]
  ;; (Cp a multiple of 4): y = pmax(pmax(pmax(x00, x01), x10), x11), where pmax(a, b) = a < b ? b : a
  ;; keeps the first of equal values, as MaxPool2d's strict comparisons do.
  (func (export "maxPool")
    (param $out i32) (param $x i32) (param $n i32) (param $H i32) (param $W i32) (param $Cp i32)
    (local $b i32) (local $i i32) (local $j i32) (local $c i32) (local $cBytes i32) (local $rowBytes i32)
    (local $Ho i32) (local $Wo i32) (local $p i32) (local $base i32)
    (local.set $cBytes (i32.shl (local.get $Cp) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $W) (local.get $cBytes)))
    (local.set $Ho (i32.shr_u (local.get $H) (i32.const 1)))
    (local.set $Wo (i32.shr_u (local.get $W) (i32.const 1)))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $base (i32.add (local.get $x) (i32.mul (local.get $b) (i32.mul (local.get $H) (local.get $rowBytes)))))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $Ho)))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $Wo)))
                (local.set $p (i32.add (i32.add (local.get $base) (i32.mul (i32.shl (local.get $i) (i32.const 1))
                  (local.get $rowBytes))) (i32.mul (i32.shl (local.get $j) (i32.const 1)) (local.get $cBytes))))
                (local.set $c (i32.const 0))
                (block $cDone
                  (loop $cLoop
                    (br_if $cDone (i32.ge_u (local.get $c) (local.get $cBytes)))
                    (v128.store (local.get $out)
                      (f32x4.pmax
                        (f32x4.pmax
                          (f32x4.pmax (v128.load (local.get $p)) (v128.load (i32.add (local.get $p) (local.get $cBytes))))
                          (v128.load (i32.add (local.get $p) (local.get $rowBytes))))
                        (v128.load (i32.add (i32.add (local.get $p) (local.get $rowBytes)) (local.get $cBytes)))))
                    (local.set $out (i32.add (local.get $out) (i32.const 16)))
                    (local.set $p (i32.add (local.get $p) (i32.const 16)))
                    (local.set $c (i32.add (local.get $c) (i32.const 16)))
                    (br $cLoop)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop)))
  )

  ;; The backward pass of maxPool: dx [n, H, W, Cp] = 0 except, in each window, δ at the first input equal
  ;; to the window's output (the one maxPool kept), from x and out of the forward pass.
  (func (export "maxPoolBackward")
    (param $dx i32) (param $dOut i32) (param $x i32) (param $out i32)
    (param $n i32) (param $H i32) (param $W i32) (param $Cp i32)
    (local $b i32) (local $i i32) (local $j i32) (local $c i32) (local $cBytes i32) (local $rowBytes i32)
    (local $Ho i32) (local $Wo i32) (local $p i32) (local $q i32) (local $offset i32)
    (local $y v128) (local $d v128) (local $e v128) (local $taken v128)
    (local.set $cBytes (i32.shl (local.get $Cp) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $W) (local.get $cBytes)))
    (local.set $Ho (i32.shr_u (local.get $H) (i32.const 1)))
    (local.set $Wo (i32.shr_u (local.get $W) (i32.const 1)))
    (call $zero (local.get $dx) (i32.mul (local.get $n) (i32.mul (local.get $H) (local.get $rowBytes))))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $Ho)))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $Wo)))
                ;; byte offset of the window's first pixel from its image's start, the same in x and dx
                (local.set $offset (i32.add
                  (i32.mul (local.get $b) (i32.mul (local.get $H) (local.get $rowBytes)))
                  (i32.add (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $rowBytes))
                    (i32.mul (i32.shl (local.get $j) (i32.const 1)) (local.get $cBytes)))))
                (local.set $p (i32.add (local.get $x) (local.get $offset)))
                (local.set $q (i32.add (local.get $dx) (local.get $offset)))
                (local.set $c (i32.const 0))
                (block $cDone
                  (loop $cLoop
                    (br_if $cDone (i32.ge_u (local.get $c) (local.get $cBytes)))
                    (local.set $y (v128.load (local.get $out)))
                    (local.set $d (v128.load (local.get $dOut)))
                    (local.set $taken (f32x4.eq (v128.load (local.get $p)) (local.get $y)))
                    (v128.store (local.get $q) (v128.and (local.get $d) (local.get $taken)))
                    (local.set $e (v128.andnot
                      (f32x4.eq (v128.load (i32.add (local.get $p) (local.get $cBytes))) (local.get $y))
                      (local.get $taken)))
                    (v128.store (i32.add (local.get $q) (local.get $cBytes)) (v128.and (local.get $d) (local.get $e)))
                    (local.set $taken (v128.or (local.get $taken) (local.get $e)))
                    (local.set $e (v128.andnot
                      (f32x4.eq (v128.load (i32.add (local.get $p) (local.get $rowBytes))) (local.get $y))
                      (local.get $taken)))
                    (v128.store (i32.add (local.get $q) (local.get $rowBytes)) (v128.and (local.get $d) (local.get $e)))
                    (local.set $taken (v128.or (local.get $taken) (local.get $e)))
                    (local.set $e (v128.andnot
                      (f32x4.eq (v128.load (i32.add (i32.add (local.get $p) (local.get $rowBytes)) (local.get $cBytes)))
                        (local.get $y))
                      (local.get $taken)))
                    (v128.store (i32.add (i32.add (local.get $q) (local.get $rowBytes)) (local.get $cBytes))
                      (v128.and (local.get $d) (local.get $e)))
                    (local.set $out (i32.add (local.get $out) (i32.const 16)))
                    (local.set $dOut (i32.add (local.get $dOut) (i32.const 16)))
                    (local.set $p (i32.add (local.get $p) (i32.const 16)))
                    (local.set $q (i32.add (local.get $q) (i32.const 16)))
                    (local.set $c (i32.add (local.get $c) (i32.const 16)))
                    (br $cLoop)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop)))
  )
)

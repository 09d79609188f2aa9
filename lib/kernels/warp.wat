;; Data augmentation in WebAssembly: the elastic distortion's Gaussian blur in SIMD (four float32 per
;; instruction) and the affine + elastic resampling, one pass per image. What `augment.ts` computes
;; in TypeScript (its `ElasticField` and `warpImage` are the plain twins the tests compare with).
;;
;; Arguments are byte addresses in the imported memory; sizes count floats. Images are side × side
;; float32, row-major, side a multiple of 4. Two layouts carry a zero border so that the inner loops
;; need no bounds tests (the borders are never written, so they stay 0):
;;
;;   padded image  [side + 2, side + 2]     the image with one zero pixel on every side
;;   padded noise  [side + 2r, side + 2r]   the noise with r = (K − 1) / 2 zeros on every side
;;   rows          [side + 2r, side]        the row-blurred noise with r zero rows above and below
;;
;; After editing, rebuild warp_wasm.ts: deno task build:warp

(module
  (import "env" "memory" (memory 1))

  ;; dst's interior (border b) = src [side, side]: one memory.copy per row.
  (func $pad (param $dst i32) (param $src i32) (param $side i32) (param $b i32)
    (local $y i32) (local $rowBytes i32) (local $dstRowBytes i32) (local $d i32)
    (local.set $rowBytes (i32.shl (local.get $side) (i32.const 2)))
    (local.set $dstRowBytes (i32.shl (i32.add (local.get $side) (i32.shl (local.get $b) (i32.const 1))) (i32.const 2)))
    ;; first interior pixel: row b, column b
    (local.set $d (i32.add (local.get $dst)
      (i32.add (i32.mul (local.get $b) (local.get $dstRowBytes)) (i32.shl (local.get $b) (i32.const 2)))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $y) (local.get $side)))
        (memory.copy (local.get $d) (local.get $src) (local.get $rowBytes))
        (local.set $d (i32.add (local.get $d) (local.get $dstRowBytes)))
        (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))
  )

  ;; dst[0 : 16] = scale · Σ_k kernel[k] · src[k·step + (0 : 16)], k from the first tap to the last, in order
  (func $dot4 (param $dst i32) (param $src i32) (param $step i32) (param $kernel i32) (param $kEnd i32)
    (param $scale f32)
    (local $w v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (loop $taps
      (local.set $w (v128.load32_splat (local.get $kernel)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w) (v128.load offset=0 align=4 (local.get $src)))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w) (v128.load offset=16 align=4 (local.get $src)))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $w) (v128.load offset=32 align=4 (local.get $src)))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $w) (v128.load offset=48 align=4 (local.get $src)))))
      (local.set $src (i32.add (local.get $src) (local.get $step)))
      (local.set $kernel (i32.add (local.get $kernel) (i32.const 4)))
      (br_if $taps (i32.lt_u (local.get $kernel) (local.get $kEnd))))
    (local.set $w (f32x4.splat (local.get $scale)))
    (v128.store offset=0 align=4 (local.get $dst) (f32x4.mul (local.get $a0) (local.get $w)))
    (v128.store offset=16 align=4 (local.get $dst) (f32x4.mul (local.get $a1) (local.get $w)))
    (v128.store offset=32 align=4 (local.get $dst) (f32x4.mul (local.get $a2) (local.get $w)))
    (v128.store offset=48 align=4 (local.get $dst) (f32x4.mul (local.get $a3) (local.get $w)))
  )

  ;; dst[0 : 12] = scale · Σ_k kernel[k] · src[k·step + (0 : 12)], k from the first tap to the last, in order
  (func $dot3 (param $dst i32) (param $src i32) (param $step i32) (param $kernel i32) (param $kEnd i32)
    (param $scale f32)
    (local $w v128) (local $a0 v128) (local $a1 v128) (local $a2 v128)
    (loop $taps
      (local.set $w (v128.load32_splat (local.get $kernel)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w) (v128.load offset=0 align=4 (local.get $src)))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w) (v128.load offset=16 align=4 (local.get $src)))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $w) (v128.load offset=32 align=4 (local.get $src)))))
      (local.set $src (i32.add (local.get $src) (local.get $step)))
      (local.set $kernel (i32.add (local.get $kernel) (i32.const 4)))
      (br_if $taps (i32.lt_u (local.get $kernel) (local.get $kEnd))))
    (local.set $w (f32x4.splat (local.get $scale)))
    (v128.store offset=0 align=4 (local.get $dst) (f32x4.mul (local.get $a0) (local.get $w)))
    (v128.store offset=16 align=4 (local.get $dst) (f32x4.mul (local.get $a1) (local.get $w)))
    (v128.store offset=32 align=4 (local.get $dst) (f32x4.mul (local.get $a2) (local.get $w)))
  )

  ;; dst[0 : 4] = scale · Σ_k kernel[k] · src[k·step + (0 : 4)], k from the first tap to the last, in order
  (func $dot1 (param $dst i32) (param $src i32) (param $step i32) (param $kernel i32) (param $kEnd i32)
    (param $scale f32)
    (local $w v128) (local $a0 v128)
    (loop $taps
      (local.set $w (v128.load32_splat (local.get $kernel)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w) (v128.load offset=0 align=4 (local.get $src)))))
      (local.set $src (i32.add (local.get $src) (local.get $step)))
      (local.set $kernel (i32.add (local.get $kernel) (i32.const 4)))
      (br_if $taps (i32.lt_u (local.get $kernel) (local.get $kEnd))))
    (local.set $w (f32x4.splat (local.get $scale)))
    (v128.store offset=0 align=4 (local.get $dst) (f32x4.mul (local.get $a0) (local.get $w)))
  )

  ;; One row of side outputs (side a multiple of 4): four vectors at a time, then three, then one.
  (func $strip (param $dst i32) (param $src i32) (param $step i32) (param $kernel i32) (param $kEnd i32)
    (param $rowBytes i32) (param $scale f32)
    (local $x i32) (local $left i32)
    (block $done
      (loop $each
        (local.set $left (i32.sub (local.get $rowBytes) (local.get $x)))
        (br_if $done (i32.eqz (local.get $left)))
        (if (i32.ge_u (local.get $left) (i32.const 64))
          (then
            (call $dot4 (i32.add (local.get $dst) (local.get $x)) (i32.add (local.get $src) (local.get $x))
              (local.get $step) (local.get $kernel) (local.get $kEnd) (local.get $scale))
            (local.set $x (i32.add (local.get $x) (i32.const 64))))
          (else
            (if (i32.eq (local.get $left) (i32.const 48))
              (then
                (call $dot3 (i32.add (local.get $dst) (local.get $x)) (i32.add (local.get $src) (local.get $x))
                  (local.get $step) (local.get $kernel) (local.get $kEnd) (local.get $scale))
                (local.set $x (i32.add (local.get $x) (i32.const 48))))
              (else
                (call $dot1 (i32.add (local.get $dst) (local.get $x)) (i32.add (local.get $src) (local.get $x))
                  (local.get $step) (local.get $kernel) (local.get $kEnd) (local.get $scale))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))))))
        (br $each)))
  )

  ;; field = α · G ∗ noise, the separable Gaussian blur of the padded noise (zero beyond the border):
  ;;   rows[y + r, x]  = Σ_k kernel[k] · noise[y + r, x + k]      y, x in [0, side)
  ;;   field[y, x]     = α Σ_k kernel[k] · rows[y + k, x]
  ;; Up to sixteen x at a time (four vectors share each broadcast kernel value); every sum runs over k in order.
  (func $blur (param $field i32) (param $noise i32) (param $rows i32) (param $kernel i32) (param $K i32)
    (param $side i32) (param $alpha f32)
    (local $r i32) (local $rowBytes i32) (local $noiseRowBytes i32) (local $y i32) (local $kEnd i32)
    (local.set $r (i32.shr_u (i32.sub (local.get $K) (i32.const 1)) (i32.const 1)))
    (local.set $rowBytes (i32.shl (local.get $side) (i32.const 2)))
    (local.set $noiseRowBytes (i32.shl (i32.add (local.get $side) (i32.shl (local.get $r) (i32.const 1))) (i32.const 2)))
    (local.set $kEnd (i32.add (local.get $kernel) (i32.shl (local.get $K) (i32.const 2))))
    ;; the rows: y over [0, side), written at row y + r; taps step one float along the row
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $side)))
        (call $strip
          (i32.add (local.get $rows) (i32.mul (i32.add (local.get $y) (local.get $r)) (local.get $rowBytes)))
          (i32.add (local.get $noise) (i32.mul (i32.add (local.get $y) (local.get $r)) (local.get $noiseRowBytes)))
          (i32.const 4) (local.get $kernel) (local.get $kEnd) (local.get $rowBytes) (f32.const 1))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop)))
    ;; the columns: taps step one row down
    (local.set $y (i32.const 0))
    (block $colsDone
      (loop $colLoop
        (br_if $colsDone (i32.ge_u (local.get $y) (local.get $side)))
        (call $strip
          (i32.add (local.get $field) (i32.mul (local.get $y) (local.get $rowBytes)))
          (i32.add (local.get $rows) (i32.mul (local.get $y) (local.get $rowBytes)))
          (local.get $rowBytes) (local.get $kernel) (local.get $kEnd) (local.get $rowBytes) (local.get $alpha))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $colLoop)))
  )

  ;; out[y, x] = the padded image read by bilinear interpolation at
  ;;   u = c + cos·(x − c − dx) + sin·(y − c − dy) (+ fieldX[y, x])
  ;;   v = c − sin·(x − c − dx) + cos·(y − c − dy) (+ fieldY[y, x])
  ;; with c = (side − 1) / 2, 0 outside the image; the fields are added when $useField ≠ 0. In float64,
  ;; in the order of `warpImage` and `sampleBilinear`, so that with the same fields the pixels are the same.
  ;;
  ;; Output pixels whose source position falls outside (uLo, uHi) × (vLo, vHi) are 0 without being computed:
  ;; per row, the positions are a line in x, so those pixels are the complement of one interval of x. The
  ;; caller passes a box whose complement has only zero pixels around it (the ink's bounding box widened by
  ;; two pixels), or infinite limits.
  (func $warp (param $out i32) (param $image i32) (param $side i32)
    (param $cos f64) (param $sin f64) (param $dx f64) (param $dy f64)
    (param $fieldX i32) (param $fieldY i32) (param $useField i32)
    (param $uLo f64) (param $uHi f64) (param $vLo f64) (param $vHi f64)
    (local $c f64) (local $x i32) (local $y i32) (local $rx f64) (local $ry f64) (local $u f64) (local $v f64)
    (local $u0 f64) (local $v0 f64) (local $fu f64) (local $fv f64) (local $iu i32) (local $iv i32)
    (local $at i32) (local $padRowBytes i32) (local $value f64)
    (local $a f64) (local $xLo f64) (local $xHi f64) (local $xEnd i32) (local $row i32) (local $rowBytes i32)
    (local $ms f64) (local $dst i32)
    (local.set $c (f64.mul (f64.convert_i32_s (i32.sub (local.get $side) (i32.const 1))) (f64.const 0.5)))
    (local.set $padRowBytes (i32.shl (i32.add (local.get $side) (i32.const 2)) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $side) (i32.const 2)))
    (local.set $ms (f64.neg (local.get $sin)))
    (local.set $y (i32.const 0))
    (block $yDone
      (loop $yLoop
        (br_if $yDone (i32.ge_u (local.get $y) (local.get $side)))
        (local.set $ry (f64.sub (f64.sub (f64.convert_i32_s (local.get $y)) (local.get $c)) (local.get $dy)))
        (local.set $row (i32.add (local.get $out) (i32.mul (local.get $y) (local.get $rowBytes))))
        (memory.fill (local.get $row) (i32.const 0) (local.get $rowBytes))
        ;; the x interval where uLo < u(x) < uHi, u(x) ≈ a + cos · x, and vLo < v(x) < vHi, v(x) ≈ a − sin · x
        (local.set $xLo (f64.const 0))
        (local.set $xHi (f64.convert_i32_s (i32.sub (local.get $side) (i32.const 1))))
        (local.set $a (f64.add (f64.add (local.get $c) (f64.mul (local.get $cos) (f64.sub (f64.neg (local.get $c)) (local.get $dx))))
          (f64.mul (local.get $sin) (local.get $ry))))
        (if (f64.gt (local.get $cos) (f64.const 0))
          (then
            (local.set $xLo (f64.max (local.get $xLo) (f64.div (f64.sub (local.get $uLo) (local.get $a)) (local.get $cos))))
            (local.set $xHi (f64.min (local.get $xHi) (f64.div (f64.sub (local.get $uHi) (local.get $a)) (local.get $cos)))))
          (else
            (if (f64.lt (local.get $cos) (f64.const 0))
              (then
                (local.set $xLo (f64.max (local.get $xLo) (f64.div (f64.sub (local.get $uHi) (local.get $a)) (local.get $cos))))
                (local.set $xHi (f64.min (local.get $xHi) (f64.div (f64.sub (local.get $uLo) (local.get $a)) (local.get $cos)))))
              (else
                (if (i32.eqz (i32.and (f64.lt (local.get $uLo) (local.get $a)) (f64.lt (local.get $a) (local.get $uHi))))
                  (then (local.set $xHi (f64.const -1))))))))
        (local.set $a (f64.add (f64.sub (local.get $c) (f64.mul (local.get $sin) (f64.sub (f64.neg (local.get $c)) (local.get $dx))))
          (f64.mul (local.get $cos) (local.get $ry))))
        (if (f64.gt (local.get $ms) (f64.const 0))
          (then
            (local.set $xLo (f64.max (local.get $xLo) (f64.div (f64.sub (local.get $vLo) (local.get $a)) (local.get $ms))))
            (local.set $xHi (f64.min (local.get $xHi) (f64.div (f64.sub (local.get $vHi) (local.get $a)) (local.get $ms)))))
          (else
            (if (f64.lt (local.get $ms) (f64.const 0))
              (then
                (local.set $xLo (f64.max (local.get $xLo) (f64.div (f64.sub (local.get $vHi) (local.get $a)) (local.get $ms))))
                (local.set $xHi (f64.min (local.get $xHi) (f64.div (f64.sub (local.get $vLo) (local.get $a)) (local.get $ms)))))
              (else
                (if (i32.eqz (i32.and (f64.lt (local.get $vLo) (local.get $a)) (f64.lt (local.get $a) (local.get $vHi))))
                  (then (local.set $xHi (f64.const -1))))))))
        (local.set $x (i32.trunc_sat_f64_s (f64.ceil (local.get $xLo))))
        (local.set $xEnd (i32.add (i32.trunc_sat_f64_s (f64.floor (local.get $xHi))) (i32.const 1)))
        (block $xDone
          (loop $xLoop
            (br_if $xDone (i32.ge_s (local.get $x) (local.get $xEnd)))
            (local.set $dst (i32.add (local.get $row) (i32.shl (local.get $x) (i32.const 2))))
            (local.set $at (i32.add (i32.mul (local.get $y) (local.get $rowBytes)) (i32.shl (local.get $x) (i32.const 2))))
            (local.set $rx (f64.sub (f64.sub (f64.convert_i32_s (local.get $x)) (local.get $c)) (local.get $dx)))
            (local.set $u (f64.add (f64.add (local.get $c) (f64.mul (local.get $cos) (local.get $rx)))
              (f64.mul (local.get $sin) (local.get $ry))))
            (local.set $v (f64.add (f64.sub (local.get $c) (f64.mul (local.get $sin) (local.get $rx)))
              (f64.mul (local.get $cos) (local.get $ry))))
            (if (local.get $useField)
              (then
                (local.set $u (f64.add (local.get $u) (f64.promote_f32 (f32.load (i32.add (local.get $fieldX) (local.get $at))))))
                (local.set $v (f64.add (local.get $v) (f64.promote_f32 (f32.load (i32.add (local.get $fieldY) (local.get $at))))))))
            (local.set $u0 (f64.floor (local.get $u)))
            (local.set $v0 (f64.floor (local.get $v)))
            (local.set $iu (i32.trunc_sat_f64_s (local.get $u0)))
            (local.set $iv (i32.trunc_sat_f64_s (local.get $v0)))
            (local.set $value (f64.const 0))
            (block $pixel
            ;; −1 ≤ iu, iv ≤ side − 1: some neighbour is inside; the padded image's border gives the zeros
            (if (i32.and
                  (i32.le_u (i32.add (local.get $iu) (i32.const 1)) (local.get $side))
                  (i32.le_u (i32.add (local.get $iv) (i32.const 1)) (local.get $side)))
              (then
                (local.set $at (i32.add (local.get $image)
                  (i32.add (i32.mul (i32.add (local.get $iv) (i32.const 1)) (local.get $padRowBytes))
                    (i32.shl (i32.add (local.get $iu) (i32.const 1)) (i32.const 2)))))
                ;; four +0 neighbours (most of an MNIST image) give +0, as the formula would: skip it
                (br_if $pixel (i64.eqz (i64.or (i64.load align=4 (local.get $at))
                  (i64.load align=4 (i32.add (local.get $at) (local.get $padRowBytes))))))
                (local.set $fu (f64.sub (local.get $u) (local.get $u0)))
                (local.set $fv (f64.sub (local.get $v) (local.get $v0)))
                ;; (1 − fv)·((1 − fu)·p00 + fu·p10) + fv·((1 − fu)·p01 + fu·p11)
                (local.set $value
                  (f64.add
                    (f64.mul (f64.sub (f64.const 1) (local.get $fv))
                      (f64.add
                        (f64.mul (f64.sub (f64.const 1) (local.get $fu)) (f64.promote_f32 (f32.load (local.get $at))))
                        (f64.mul (local.get $fu) (f64.promote_f32 (f32.load offset=4 (local.get $at))))))
                    (f64.mul (local.get $fv)
                      (f64.add
                        (f64.mul (f64.sub (f64.const 1) (local.get $fu))
                          (f64.promote_f32 (f32.load (i32.add (local.get $at) (local.get $padRowBytes)))))
                        (f64.mul (local.get $fu)
                          (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $at) (local.get $padRowBytes))))))))))))
            (f32.store (local.get $dst) (f32.demote_f64 (local.get $value)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yLoop)))
  )

  ;; image (side × side, in place) transformed by rotation/zoom/shift (cos, sin already divided by the zoom),
  ;; through the padded copy at $padded.
  ;; $scratch holds side floats. Only the ink's bounding box (pixels whose bits are not 0), widened by two
  ;; pixels, is resampled: a position farther out has four +0 neighbours.
  (func (export "affine") (param $image i32) (param $padded i32) (param $side i32)
    (param $cos f64) (param $sin f64) (param $dx f64) (param $dy f64) (param $scratch i32)
    (local $rowBytes i32) (local $y i32) (local $x i32) (local $p i32) (local $any v128) (local $v v128)
    (local $yMin i32) (local $yMax i32) (local $xMin i32) (local $xMax i32)
    (call $pad (local.get $padded) (local.get $image) (local.get $side) (i32.const 1))
    (local.set $rowBytes (i32.shl (local.get $side) (i32.const 2)))
    ;; the rows with ink, and per column the OR of its pixels' bits (in scratch)
    (memory.fill (local.get $scratch) (i32.const 0) (local.get $rowBytes))
    (local.set $yMin (i32.const -1))
    (local.set $p (local.get $image))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $side)))
        (local.set $any (v128.const i32x4 0 0 0 0))
        (local.set $x (i32.const 0))
        (block $xDone
          (loop $xs
            (br_if $xDone (i32.ge_u (local.get $x) (local.get $rowBytes)))
            (local.set $v (v128.load (i32.add (local.get $p) (local.get $x))))
            (local.set $any (v128.or (local.get $any) (local.get $v)))
            (v128.store (i32.add (local.get $scratch) (local.get $x))
              (v128.or (v128.load (i32.add (local.get $scratch) (local.get $x))) (local.get $v)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $xs)))
        (if (v128.any_true (local.get $any))
          (then
            (if (i32.lt_s (local.get $yMin) (i32.const 0)) (then (local.set $yMin (local.get $y))))
            (local.set $yMax (local.get $y))))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))
    (if (i32.lt_s (local.get $yMin) (i32.const 0))
      (then ;; no ink: an empty box
        (call $warp (local.get $image) (local.get $padded) (local.get $side)
          (local.get $cos) (local.get $sin) (local.get $dx) (local.get $dy) (i32.const 0) (i32.const 0) (i32.const 0)
          (f64.const 1) (f64.const 0) (f64.const 1) (f64.const 0))
        (return)))
    (local.set $xMin (i32.const -1))
    (local.set $x (i32.const 0))
    (block $colsDone
      (loop $cols
        (br_if $colsDone (i32.ge_u (local.get $x) (local.get $side)))
        (if (i32.load (i32.add (local.get $scratch) (i32.shl (local.get $x) (i32.const 2))))
          (then
            (if (i32.lt_s (local.get $xMin) (i32.const 0)) (then (local.set $xMin (local.get $x))))
            (local.set $xMax (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $cols)))
    (call $warp (local.get $image) (local.get $padded) (local.get $side)
      (local.get $cos) (local.get $sin) (local.get $dx) (local.get $dy) (i32.const 0) (i32.const 0) (i32.const 0)
      (f64.convert_i32_s (i32.sub (local.get $xMin) (i32.const 2))) (f64.convert_i32_s (i32.add (local.get $xMax) (i32.const 2)))
      (f64.convert_i32_s (i32.sub (local.get $yMin) (i32.const 2))) (f64.convert_i32_s (i32.add (local.get $yMax) (i32.const 2))))
  )

  ;; The elastic distortion of image (in place): the two noise images [side, side] (uniform in [−1, 1]) are
  ;; padded, blurred by the kernel [K] and scaled by α into fieldX and fieldY, then the affine transform
  ;; plus these fields resample the image. $noisePad [side + 2r]², $rows [(side + 2r) · side].
  (func (export "elastic") (param $image i32) (param $padded i32) (param $side i32)
    (param $cos f64) (param $sin f64) (param $dx f64) (param $dy f64)
    (param $noiseX i32) (param $noiseY i32) (param $noisePad i32) (param $rows i32)
    (param $fieldX i32) (param $fieldY i32) (param $kernel i32) (param $K i32) (param $alpha f32)
    (local $r i32)
    (local.set $r (i32.shr_u (i32.sub (local.get $K) (i32.const 1)) (i32.const 1)))
    (call $pad (local.get $noisePad) (local.get $noiseX) (local.get $side) (local.get $r))
    (call $blur (local.get $fieldX) (local.get $noisePad) (local.get $rows) (local.get $kernel) (local.get $K)
      (local.get $side) (local.get $alpha))
    (call $pad (local.get $noisePad) (local.get $noiseY) (local.get $side) (local.get $r))
    (call $blur (local.get $fieldY) (local.get $noisePad) (local.get $rows) (local.get $kernel) (local.get $K)
      (local.get $side) (local.get $alpha))
    (call $pad (local.get $padded) (local.get $image) (local.get $side) (i32.const 1))
    (call $warp (local.get $image) (local.get $padded) (local.get $side)
      (local.get $cos) (local.get $sin) (local.get $dx) (local.get $dy)
      (local.get $fieldX) (local.get $fieldY) (i32.const 1)
      (f64.const -inf) (f64.const inf) (f64.const -inf) (f64.const inf))
  )

  ;; Only the blur (for the tests): fieldX = α G ∗ noiseX.
  (func (export "field") (param $field i32) (param $noise i32) (param $noisePad i32) (param $rows i32)
    (param $kernel i32) (param $K i32) (param $side i32) (param $alpha f32)
    (call $pad (local.get $noisePad) (local.get $noise) (local.get $side)
      (i32.shr_u (i32.sub (local.get $K) (i32.const 1)) (i32.const 1)))
    (call $blur (local.get $field) (local.get $noisePad) (local.get $rows) (local.get $kernel) (local.get $K)
      (local.get $side) (local.get $alpha))
  )
)

/**
 * The drawing pad: a square canvas that takes strokes from a mouse, a finger
 * or a pen through Pointer Events, white ink on black like MNIST's digits.
 *
 * The canvas keeps its own resolution (its `width` × `height` attributes,
 * 280 × 280 in the page) whatever size CSS gives it on screen; pointer
 * positions are mapped from CSS pixels to canvas pixels. Each pointer draws
 * its own stroke, so two fingers draw two lines.
 *
 * @module
 */

/// <reference lib="dom" />

/** Ink width as a fraction of the pad's side: about MNIST's stroke relative to its 20-pixel digit box. */
export const STROKE = 1 / 13;

/**
 * A drawing pad on a canvas; `onChange` runs after every piece of a stroke
 * and `onStrokeEnd` when a pointer lifts.
 *
 * @example
 * ```ts ignore
 * import { Pad } from "./pad.ts";
 * const pad = new Pad(document.querySelector("canvas")!, { onChange: () => {}, onStrokeEnd: () => {} });
 * pad.clear();
 * ```
 */
export class Pad {
  readonly canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #last = new Map<number, { x: number; y: number }>();
  #empty = true;

  constructor(canvas: HTMLCanvasElement, handlers: { onChange: () => void; onStrokeEnd: () => void }) {
    this.canvas = canvas;
    this.#ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const p = this.#point(event);
      this.#last.set(event.pointerId, p);
      this.#segment(p, p);
      handlers.onChange();
    });
    canvas.addEventListener("pointermove", (event) => {
      let last = this.#last.get(event.pointerId);
      if (last === undefined) return;
      event.preventDefault();
      const events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [];
      for (const e of events.length > 0 ? events : [event]) {
        const p = this.#point(e);
        this.#segment(last, p);
        last = p;
      }
      this.#last.set(event.pointerId, last);
      handlers.onChange();
    });
    const end = (event: PointerEvent) => {
      if (!this.#last.delete(event.pointerId)) return;
      handlers.onStrokeEnd();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);
  }

  /** True until something is drawn after the last clear. */
  get empty(): boolean {
    return this.#empty;
  }

  /** Paints the pad black. */
  clear(): void {
    this.#last.clear();
    this.#ctx.fillStyle = "#000";
    this.#ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.#empty = true;
  }

  /** The pad's RGBA pixels. */
  pixels(): ImageData {
    return this.#ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  #point(event: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: (event.clientX - rect.left) * (this.canvas.width / rect.width),
      y: (event.clientY - rect.top) * (this.canvas.height / rect.height),
    };
  }

  #segment(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const ctx = this.#ctx;
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = this.canvas.width * STROKE;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    if (from.x === to.x && from.y === to.y) { // a dot: a zero-length line may draw nothing
      ctx.fillStyle = "#fff";
      ctx.arc(to.x, to.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }
    this.#empty = false;
  }
}

// The matching's candidates in the reference's order: Python's heapq over tuples.

import { cmpBytes } from "./bytes.js";
import { cmpStr } from "./python.js";

/** A min-heap of arrays compared as Python compares tuples (heapq's order, same pops). */
export class Heap {
  constructor() {
    this.items = [];
  }
  get size() {
    return this.items.length;
  }
  top() {
    return this.items[0];
  }
  push(x) {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (cmpTuple(a[i], a[up]) >= 0) break;
      [a[i], a[up]] = [a[up], a[i]];
      i = up;
    }
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && cmpTuple(a[l], a[m]) < 0) m = l;
        if (r < a.length && cmpTuple(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Tuples of numbers, byte strings and strings, compared element by element. */
export function cmpTuple(x, y) {
  const n = Math.min(x.length, y.length);
  for (let k = 0; k < n; k++) {
    const a = x[k];
    const b = y[k];
    let c;
    if (a instanceof Uint8Array) c = cmpBytes(a, b);
    else if (typeof a === "string") c = cmpStr(a, b);
    else c = a < b ? -1 : a > b ? 1 : 0;
    if (c) return c;
  }
  return x.length - y.length;
}

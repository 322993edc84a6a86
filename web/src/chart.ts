/**
 * A small line/scatter chart on a <canvas>: offline, no dependencies, redrawn whole on
 * every update (the traces here are a few thousand points).
 */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  /** Symmetric error bars (same length as points). */
  errors?: number[];
  dash?: number[];
  /** Draw points as dots (default: a line only). */
  markers?: boolean;
  /** Draw no line between points. */
  noLine?: boolean;
  width?: number;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Shaded x ranges, e.g. burn-in. */
  bands?: Array<{ x0: number; x1: number; label: string }>;
  /** Horizontal reference lines, e.g. L_n(w*). */
  hlines?: Array<{ y: number; label: string; color: string }>;
  xDomain?: [number, number];
  /** Integer ticks only on x (e.g. k). */
  integerX?: boolean;
  /** Text shown when there is nothing to draw yet. */
  empty?: string;
}

const FONT = '12px system-ui, sans-serif';

function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

function ticks(lo: number, hi: number, target: number, integer = false): number[] {
  let step = niceStep(hi - lo, target);
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

export function drawChart(canvas: HTMLCanvasElement, spec: ChartSpec): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 480;
  const cssH = canvas.clientHeight || 260;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.font = FONT;
  ctx.fillStyle = '#222';
  ctx.textBaseline = 'top';
  ctx.fillText(spec.title, 8, 6);

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of spec.series) {
    s.points.forEach(([x, y], i) => {
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      xs.push(x);
      const e = s.errors?.[i];
      if (e != null && Number.isFinite(e)) ys.push(y - e, y + e);
      else ys.push(y);
    });
  }
  for (const h of spec.hlines ?? []) if (Number.isFinite(h.y)) ys.push(h.y);
  const left = 62;
  const right = 12;
  const top = 26;
  const legendRows = spec.series.length > 0 ? 1 : 0;
  const bottom = 40 + legendRows * 16;
  const w = cssW - left - right;
  const h = cssH - top - bottom;
  ctx.strokeStyle = '#999';
  ctx.strokeRect(left, top, w, h);
  if (xs.length === 0) {
    ctx.fillStyle = '#888';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(spec.empty ?? 'no data yet', left + w / 2, top + h / 2);
    ctx.textAlign = 'start';
    return;
  }
  let [x0, x1] = spec.xDomain ?? [Math.min(...xs), Math.max(...xs)];
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.05, y1 + (Math.abs(y1) || 1) * 0.05];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const X = (x: number) => left + ((x - x0) / (x1 - x0)) * w;
  const Y = (y: number) => top + h - ((y - y0) / (y1 - y0)) * h;

  // bands (burn-in)
  for (const b of spec.bands ?? []) {
    const a = X(Math.max(b.x0, x0));
    const z = X(Math.min(b.x1, x1));
    if (z <= a) continue;
    ctx.fillStyle = 'rgba(0,0,0,0.06)';
    ctx.fillRect(a, top, z - a, h);
    ctx.fillStyle = '#777';
    ctx.textBaseline = 'top';
    ctx.fillText(b.label, a + 4, top + 4);
  }
  // grid and ticks
  ctx.strokeStyle = '#eee';
  ctx.fillStyle = '#444';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of ticks(y0, y1, 5)) {
    ctx.beginPath();
    ctx.moveTo(left, Y(t));
    ctx.lineTo(left + w, Y(t));
    ctx.stroke();
    ctx.fillText(formatTick(t), left - 6, Y(t));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks(x0, x1, 6, spec.integerX)) {
    ctx.beginPath();
    ctx.moveTo(X(t), top);
    ctx.lineTo(X(t), top + h);
    ctx.stroke();
    ctx.fillText(formatTick(t), X(t), top + h + 4);
  }
  ctx.fillText(spec.xLabel, left + w / 2, top + h + 20);
  ctx.save();
  ctx.translate(14, top + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(spec.yLabel, 0, 0);
  ctx.restore();

  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, w, h);
  ctx.clip();
  for (const hl of spec.hlines ?? []) {
    if (!Number.isFinite(hl.y)) continue;
    ctx.strokeStyle = hl.color;
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(left, Y(hl.y));
    ctx.lineTo(left + w, Y(hl.y));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = hl.color;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(hl.label, left + w - 4, Y(hl.y) - 2);
  }
  for (const s of spec.series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.width ?? 1.5;
    ctx.setLineDash(s.dash ?? []);
    if (!s.noLine) {
      ctx.beginPath();
      let pen = false;
      for (const [x, y] of s.points) {
        if (!Number.isFinite(y)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(X(x), Y(y));
        else ctx.moveTo(X(x), Y(y));
        pen = true;
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    s.points.forEach(([x, y], i) => {
      if (!Number.isFinite(y)) return;
      const e = s.errors?.[i];
      if (e != null && Number.isFinite(e) && e > 0) {
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(X(x), Y(y - e));
        ctx.lineTo(X(x), Y(y + e));
        ctx.moveTo(X(x) - 3, Y(y - e));
        ctx.lineTo(X(x) + 3, Y(y - e));
        ctx.moveTo(X(x) - 3, Y(y + e));
        ctx.lineTo(X(x) + 3, Y(y + e));
        ctx.stroke();
      }
      if (s.markers) {
        ctx.beginPath();
        ctx.arc(X(x), Y(y), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    });
  }
  ctx.restore();

  // legend
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  let lx = left;
  const ly = cssH - 10;
  for (const s of spec.series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dash ?? []);
    if (!s.noLine) {
      ctx.beginPath();
      ctx.moveTo(lx, ly);
      ctx.lineTo(lx + 16, ly);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    if (s.markers) {
      ctx.beginPath();
      ctx.arc(lx + 8, ly, 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.fillStyle = '#333';
    ctx.fillText(s.name, lx + 20, ly);
    lx += 28 + ctx.measureText(s.name).width;
  }
}

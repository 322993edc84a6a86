/** Figures as vega-lite specs (lib/report/plots.ts): every axis labelled, SVG and PNG rendered offline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderSvg, svgSize, svgToPng, traceSpec } from '../lib/report/plots';

test('traceSpec: one line per chain, values nβ·(L − L*), axes titled; renders to SVG and PNG without a network', async () => {
  const spec = traceSpec([
    { name: 'chain 0', losses: [0.5, 0.6, 0.7], initLoss: 0.5, nbeta: 10 },
    { name: 'chain 1', losses: [0.5, 0.55, 0.5], initLoss: 0.5, nbeta: 10 },
  ]) as {
    data: { values: { chain: string; draw: number; value: number }[] };
    encoding: Record<string, { title?: string }>;
  };
  const values = spec.data.values;
  assert.equal(values.length, 6);
  assert.ok(Math.abs(values[2].value - 2) < 1e-12, 'nβ·(0.7 − 0.5) = 2');
  assert.ok(spec.encoding.x.title && spec.encoding.y.title, 'both axes have titles');
  const svg = await renderSvg(spec);
  assert.match(svg, /^<svg/);
  assert.ok(svgSize(svg).width > 100);
  const png = svgToPng(svg, 1);
  assert.deepEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47], 'a PNG signature');
});

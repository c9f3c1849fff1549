import { escapeHtml } from '../qa/escape.ts';

/**
 * Charts as inline SVG, made when the site is built: readable without
 * JavaScript, scaled by the browser (a viewBox, width 100%), each with a title
 * and a description for screen readers, colours from CSS variables so light
 * and dark mode both work. Every chart on the page also has a table with the
 * same numbers.
 */
export interface Series {
  name: string;
  /** A CSS colour (a var(--...) of the page). */
  colour: string;
  values: number[];
}

const WIDTH = 720;
const HEIGHT = 260;
/** Room for the axis labels, in viewBox units (labels are 20 units high: readable when a chart is a phone's width). */
const PAD = { left: 64, right: 8, top: 14, bottom: 36 };

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

function frame(title: string, description: string, body: string, labels: string[], max: number, unit: string): string {
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const ticks = [0, max / 2, max]
    .map((value) => {
      const y = PAD.top + plotHeight - (value / max) * plotHeight;
      return `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" class="grid"/><text x="${PAD.left - 6}" y="${y + 7}" text-anchor="end">${escapeHtml(formatTick(value, unit))}</text>`;
    })
    .join('');
  const step = (WIDTH - PAD.left - PAD.right) / Math.max(1, labels.length);
  const every = Math.max(1, Math.ceil(labels.length / 6));
  const xLabels = labels
    .map((label, index) => (index % every === 0 ? `<text x="${PAD.left + index * step + step / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escapeHtml(label)}</text>` : ''))
    .join('');
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="t-${slug(title)} d-${slug(title)}" class="chart"><title id="t-${slug(title)}">${escapeHtml(title)}</title><desc id="d-${slug(title)}">${escapeHtml(description)}</desc>${ticks}${body}${xLabels}</svg>`;
}

function formatTick(value: number, unit: string): string {
  const rounded = value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return unit ? `${rounded}${unit}` : String(rounded);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** Stacked bars, one per label (an hour), one segment per series. */
export function stackedBars(title: string, labels: string[], series: Series[]): string {
  const totals = labels.map((_, index) => series.reduce((sum, s) => sum + (s.values[index] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const step = (WIDTH - PAD.left - PAD.right) / Math.max(1, labels.length);
  let body = '';
  labels.forEach((label, index) => {
    let y = PAD.top + plotHeight;
    for (const s of series) {
      const value = s.values[index] ?? 0;
      if (value === 0) continue;
      const height = (value / max) * plotHeight;
      y -= height;
      body += `<rect x="${PAD.left + index * step + 1}" y="${y}" width="${Math.max(1, step - 2)}" height="${height}" fill="${s.colour}"><title>${escapeHtml(`${label}: ${value} ${s.name}`)}</title></rect>`;
    }
  });
  const total = totals.reduce((a, b) => a + b, 0);
  const description = `${total} jobs in ${labels.length} hours; ${series.map((s) => `${s.name} ${s.values.reduce((a, b) => a + b, 0)}`).join(', ')}`;
  return frame(title, description, body, labels, max, '');
}

/** Lines over the labels; a missing value (an hour without jobs) breaks the line. */
export function lines(title: string, labels: string[], series: Series[], unit: string): string {
  const values = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const max = niceMax(Math.max(0, ...values));
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const step = (WIDTH - PAD.left - PAD.right) / Math.max(1, labels.length);
  let body = '';
  for (const s of series) {
    let path = '';
    let pen = false;
    s.values.forEach((value, index) => {
      if (!Number.isFinite(value)) {
        pen = false;
        return;
      }
      const x = PAD.left + index * step + step / 2;
      const y = PAD.top + plotHeight - (value / max) * plotHeight;
      path += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
      pen = true;
      body += `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${s.colour}"><title>${escapeHtml(`${labels[index]}: ${s.name} ${formatTick(value, unit)}`)}</title></circle>`;
    });
    if (path) body += `<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2"/>`;
  }
  const description = series.map((s) => `${s.name}: highest ${formatTick(Math.max(0, ...s.values.filter((v) => Number.isFinite(v))), unit)}`).join('; ');
  return frame(title, description, body, labels, max, unit);
}

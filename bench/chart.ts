/**
 * A dependency-free SVG line chart: per-delivery median time vs body size (log-log), one line
 * per variant, with the floor and its 2x / 4x bars as reference lines.
 */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  readonly points: readonly { readonly bytes: number; readonly ms: number }[];
  /** Reference lines (floor multiples) are drawn thinner and without markers. */
  readonly reference?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly subtitle: string;
  readonly series: readonly ChartSeries[];
}

const WIDTH = 860;
const HEIGHT = 520;
const MARGIN = { left: 78, right: 300, top: 62, bottom: 58 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`;
}

function formatTime(ms: number): string {
  if (ms >= 1) return `${ms >= 10 ? ms.toFixed(0) : ms.toFixed(ms % 1 === 0 ? 0 : 1)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** The nearest 1-2-5 value below (or above) `value`. */
function niceStep(value: number, direction: 'down' | 'up'): number {
  const decade = 10 ** Math.floor(Math.log10(value));
  const steps = [1, 2, 5, 10].map((step) => step * decade);
  return direction === 'down' ? (steps.filter((step) => step <= value).pop() as number) : (steps.find((step) => step >= value) as number);
}

export function renderChart(options: ChartOptions): string {
  const all = options.series.flatMap((series) => series.points);
  const xMin = Math.min(...all.map((p) => p.bytes)) / 1.4;
  const xMax = Math.max(...all.map((p) => p.bytes)) * 1.4;
  const yMin = niceStep(Math.min(...all.map((p) => p.ms)) / 1.25, 'down');
  const yMax = niceStep(Math.max(...all.map((p) => p.ms)) * 1.25, 'up');
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (bytes: number) => MARGIN.left + ((Math.log(bytes) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin))) * plotWidth;
  const y = (ms: number) => MARGIN.top + plotHeight - ((Math.log(ms) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin))) * plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="26" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<text x="${MARGIN.left}" y="46" fill="#555555">${escapeXml(options.subtitle)}</text>`,
  );
  // Grid: 1-2-5 steps on y (labelled), powers of two (KiB) on x.
  for (let decade = 10 ** Math.floor(Math.log10(yMin)); decade <= yMax * 1.0001; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = decade * step;
      if (value > yMax * 1.0001 || value < yMin * 0.9999) continue;
      const py = y(value).toFixed(1);
      parts.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${py}" y2="${py}" stroke="${step === 1 ? '#d0d0d0' : '#eeeeee'}"/>`,
      );
      parts.push(
        `<text x="${MARGIN.left - 8}" y="${py}" text-anchor="end" dominant-baseline="middle" fill="#333333">${formatTime(value)}</text>`,
      );
    }
  }
  for (let bytes = 1024; bytes <= xMax; bytes *= 2) {
    if (bytes < xMin) continue;
    const px = x(bytes).toFixed(1);
    const major = Math.log2(bytes / 1024) % 2 === 0;
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="${major ? '#d0d0d0' : '#eeeeee'}"/>`,
    );
    if (major)
      parts.push(`<text x="${px}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle" fill="#333333">${formatBytes(bytes)}</text>`);
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888888"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 14}" text-anchor="middle">body size on the wire (log scale)</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">median time per delivery (log scale)</text>`,
  );

  options.series.forEach((series, index) => {
    const path = series.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.bytes).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' ');
    const width = series.reference ? 1.2 : 2.2;
    parts.push(
      `<path d="${path}" fill="none" stroke="${series.color}" stroke-width="${width}"${series.dash ? ` stroke-dasharray="${series.dash}"` : ''}/>`,
    );
    if (!series.reference) {
      for (const p of series.points)
        parts.push(`<circle cx="${x(p.bytes).toFixed(1)}" cy="${y(p.ms).toFixed(1)}" r="3.2" fill="${series.color}"/>`);
    }
    const ly = MARGIN.top + 10 + index * 22;
    const lx = MARGIN.left + plotWidth + 18;
    parts.push(
      `<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="${width}"${series.dash ? ` stroke-dasharray="${series.dash}"` : ''}/>`,
      `<text x="${lx + 32}" y="${ly}" dominant-baseline="middle">${escapeXml(series.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

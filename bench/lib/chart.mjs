/**
 * A plain SVG bar chart of ratios, written by the bench itself (no browser, no dependency):
 * one block per operation, one horizontal bar per subject (its ratio to the operation's
 * reference), a solid line at 1× (the reference) and a dashed line at the target.
 *
 *   svgChart({ title, subtitle, groups: [{ label, target?, targetLabel?, bars: [{ name, value, role }] }] })
 *
 * `role` colours a bar: 'ours' (the library), 'limit' (the reference), anything else a peer.
 * The axis stops at 2×: a longer bar is cut there and its value marked with "▸".
 */

const WIDTH = 880;
const LABEL = 250; // room for subject names, left of the bars
const RIGHT = 70; // room for the value printed after the longest bar
const BAR = 14;
const GAP = 4;
const GROUP_HEAD = 26;
const GROUP_GAP = 12;
const TOP = 64;
const COLOURS = { ours: '#1f6fd1', limit: '#8a8a8a', peer: '#e3a33b' };

/** 0.0042 → "0.0042×", 0.87 → "0.87×": small ratios keep two significant digits. */
const label = (v) => `${v > 0 && v < 0.095 ? v.toPrecision(2) : v.toFixed(2)}×`;
const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function svgChart({ title, subtitle = '', groups }) {
  const shown = groups.filter((g) => g.bars.some((b) => Number.isFinite(b.value)));
  const values = shown.flatMap((g) => [...g.bars.map((b) => b.value), g.target ?? 0]).filter(Number.isFinite);
  // The axis ends on a whole quarter past the largest value, between 1.25× and 2×.
  const max = Math.min(2, Math.max(1.25, Math.ceil(Math.max(...values) * 4) / 4));
  const plot = WIDTH - LABEL - RIGHT;
  const x = (v) => LABEL + (Math.min(v, max) / max) * plot;
  const out = [];
  let y = TOP;
  for (const g of shown) {
    const height = g.bars.length * (BAR + GAP);
    out.push(`<text x="10" y="${y + 16}" class="group">${escape(g.label)}</text>`);
    if (g.target !== undefined) out.push(`<text x="${LABEL + plot}" y="${y + 16}" text-anchor="end" class="target">${escape(g.targetLabel ?? `target ≥ ${g.target}×`)}</text>`);
    y += GROUP_HEAD;
    out.push(`<rect x="${LABEL}" y="${y - 2}" width="${plot}" height="${height}" fill="#f5f5f5"/>`);
    for (const b of g.bars) {
      const colour = COLOURS[b.role] ?? COLOURS.peer;
      const weight = b.role === 'ours' ? ' font-weight="bold"' : '';
      out.push(`<text x="${LABEL - 8}" y="${y + BAR - 3}" text-anchor="end"${weight}>${escape(b.name)}</text>`);
      if (Number.isFinite(b.value)) {
        out.push(`<rect x="${LABEL}" y="${y}" width="${(x(b.value) - LABEL).toFixed(1)}" height="${BAR}" fill="${colour}"/>`);
        const cut = b.value > max ? '▸ ' : '';
        out.push(`<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + BAR - 3}" class="value"${weight}>${cut}${label(b.value)}</text>`);
      } else {
        out.push(`<text x="${LABEL + 4}" y="${y + BAR - 3}" fill="#888">not measured</text>`);
      }
      y += BAR + GAP;
    }
    const top = y - height - 2;
    out.push(`<line x1="${x(1)}" y1="${top}" x2="${x(1)}" y2="${y}" stroke="#333" stroke-width="1"/>`);
    if (g.target !== undefined) {
      out.push(`<line x1="${x(g.target)}" y1="${top - 2}" x2="${x(g.target)}" y2="${y + 2}" stroke="#d12c1f" stroke-width="2" stroke-dasharray="5 3"/>`);
    }
    y += GROUP_GAP;
  }
  // Axis ticks every quarter.
  const step = 0.25;
  const ticks = [];
  for (let v = 0; v <= max + 1e-9; v += step) {
    ticks.push(`<line x1="${x(v)}" y1="${y - 6}" x2="${x(v)}" y2="${y}" stroke="#333"/>`);
    ticks.push(`<text x="${x(v)}" y="${y + 12}" text-anchor="middle">${v}×</text>`);
  }
  const legend = [
    ['ours', 'agent-sessions'],
    ['limit', 'reference (1×)'],
    ['peer', 'peers'],
  ].map(([role, text], i) => `<rect x="${LABEL + i * 150}" y="${y + 24}" width="12" height="12" fill="${COLOURS[role]}"/><text x="${LABEL + i * 150 + 16}" y="${y + 34}">${text}</text>`);
  legend.push(`<line x1="${LABEL + 450}" y1="${y + 30}" x2="${LABEL + 474}" y2="${y + 30}" stroke="#d12c1f" stroke-width="2" stroke-dasharray="5 3"/><text x="${LABEL + 478}" y="${y + 34}">target</text>`);
  const height = y + 48;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<style>.title{font-size:16px;font-weight:bold}.sub{fill:#555}.group{font-weight:bold;font-size:13px}.target{fill:#d12c1f;font-size:12px}.value{paint-order:stroke;stroke:#fff;stroke-width:3px}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" class="title">${escape(title)}</text>
<text x="10" y="42" class="sub">${escape(subtitle)}</text>
${[...out, ...ticks, ...legend].join('\n')}
</svg>
`;
}

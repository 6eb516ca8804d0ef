// One self-contained HTML file of evaluations and their comparison: inline CSS and SVG charts, no script, no request
// to anywhere (a Content-Security-Policy meta tag forbids both), every model output and id escaped as text. Opens
// offline in any browser and can be mailed as it is.
import type { Comparison } from './compare.ts';
import { FAILURE_CAUSES, FAILURE_CAUSE_LABELS, failureCauses } from './failure-causes.ts';
import { METRIC_LABELS, pct } from './format-report.ts';
import type { Metrics } from './metrics.ts';
import { EVAL_MODE_LABELS, type ExampleOutput, type ModelEvaluation } from './model-evaluation.ts';

/** Text as HTML text or attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756', '#72b7b2'];

interface Group {
  label: string;
  values: (number | null)[];
}

/** Grouped horizontal bars: one group per row, one bar per model. Values are fractions unless `counts`. */
export function groupedBarsSvg(title: string, groups: Group[], series: string[], o: { counts?: boolean } = {}): string {
  const barH = 12;
  const rowH = series.length * barH + 10;
  const labelW = 190;
  const W = 640;
  const plotW = W - labelW - 70;
  const legendH = 18;
  const H = legendH + groups.length * rowH + 4;
  const top = o.counts ? Math.max(1, ...groups.flatMap((g) => g.values.map((v) => v ?? 0))) : 1;
  const parts: string[] = [];
  series.forEach((s, i) => {
    parts.push(`<rect x="${labelW + i * 150}" y="3" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${labelW + i * 150 + 14}" y="12" class="v">${escapeHtml(s.slice(0, 22))}</text>`);
  });
  groups.forEach((g, r) => {
    const y0 = legendH + r * rowH;
    parts.push(`<text x="${labelW - 6}" y="${y0 + rowH / 2 + 3}" text-anchor="end" class="l">${escapeHtml(g.label)}</text>`);
    g.values.forEach((v, i) => {
      const w = v === null ? 0 : Math.max(0, Math.min(1, v / top)) * plotW;
      const y = y0 + 4 + i * barH;
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[i % COLORS.length]}"/>`);
      parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 3}" class="v">${v === null ? 'n/a' : o.counts ? String(v) : pct(v)}</text>`);
    });
  });
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`;
}

const signed = (v: number | null) => (v === null ? 'n/a' : `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)}`);

function outputHtml(o: ExampleOutput | null): string {
  if (!o) return '<p class="muted">no output</p>';
  if (o.transcript?.length) {
    return o.transcript.map((t) => {
      const text = t.role === 'assistant' ? (t.unparsed ?? [t.content ?? '', ...t.calls.map((c) => `${c.name}(${JSON.stringify(c.arguments)})`)].filter(Boolean).join('\n'))
        : t.role === 'tool' ? t.results.map((r) => `${r.name ?? 'result'}: ${r.content}`).join('\n') : t.content;
      return `<div class="turn ${t.role}"><span class="who">${t.role}</span><pre>${escapeHtml(text)}</pre></div>`;
    }).join('');
  }
  return o.texts.map((t, i) => `<div class="turn assistant"><span class="who">step ${i + 1}</span><pre>${escapeHtml(t)}</pre></div>`).join('');
}

function metricsTable(evals: readonly ModelEvaluation[], cmp: Comparison | null): string {
  const head = `<tr><th>metric</th>${evals.map((e) => `<th>${escapeHtml(e.model.label)}</th>`).join('')}${cmp ? evals.slice(1).map((e) => `<th>Δ ${escapeHtml(e.model.label)} (points)</th><th>test</th>`).join('') : ''}</tr>`;
  const keys = Object.keys(METRIC_LABELS) as (keyof Metrics)[];
  const rows = keys.map((k) => {
    const row = cmp?.metrics.find((m) => m.metric === k);
    const values = row ? row.values : evals.map((e) => e.report.metrics[k]);
    const deltas = row ? row.deltas.map((d) => {
      const t = d.test;
      const test = !t ? '' : t.kind === 'mcnemar' ? `McNemar: ${t.fixed} fixed, ${t.broken} broken, p = ${t.p.toPrecision(3)}` : `bootstrap ${Math.round(t.level * 100)}% [${signed(t.low)}, ${signed(t.high)}]`;
      return `<td class="${d.significant ? 'sig' : ''}">${signed(d.delta)}</td><td class="small">${escapeHtml(test)}${d.significant ? ' *' : ''}</td>`;
    }).join('') : '';
    return `<tr><th>${escapeHtml(METRIC_LABELS[k])}</th>${values.map((v) => `<td>${pct(v)}</td>`).join('')}${deltas}</tr>`;
  });
  return `<table>${head}${rows.join('')}</table>`;
}

export function evaluationReportHtml(evals: readonly ModelEvaluation[], cmp: Comparison | null, title = 'Tool-use evaluation'): string {
  if (evals.length === 0) throw new Error('an HTML report needs at least one evaluation');
  const models = evals.map((e) => e.model.label);
  const first = evals[0];
  const sections: string[] = [];
  sections.push(`<h1>${escapeHtml(title)}</h1>`);
  sections.push(`<p class="muted">${escapeHtml(first.dataset.label)} · ${first.dataset.examples} examples · ${escapeHtml(EVAL_MODE_LABELS[first.mode])} · written ${escapeHtml(new Date(first.createdAt).toISOString())}</p>`);
  sections.push('<table><tr><th>model</th><th>source</th><th>mode</th><th>examples</th><th>tokens/s</th><th>time</th></tr>' + evals.map((e) =>
    `<tr><td>${escapeHtml(e.model.label)}</td><td>${escapeHtml(e.model.source)}</td><td>${escapeHtml(EVAL_MODE_LABELS[e.mode])}</td><td>${e.report.counts.records}</td><td>${e.tokensPerSecond.toFixed(1)}</td><td>${e.seconds.toFixed(1)} s</td></tr>`).join('') + '</table>');
  sections.push('<h2>Metrics</h2>');
  if (cmp) sections.push(`<p class="muted">On the ${cmp.paired} examples every model was scored on${cmp.unpaired ? ` (${cmp.unpaired} unpaired left out)` : ''}. Δ is in percentage points against ${escapeHtml(models[0])}. Chain-level success: McNemar's exact test on per-example pass/fail; other metrics: paired bootstrap over examples (${cmp.resamples} resamples), ${Math.round(cmp.level * 100)}% percentile interval of the difference. * = significant at that level.</p>`);
  sections.push(metricsTable(evals, cmp));
  const keys = (['toolAccuracy', 'chainSuccess', 'stepAccuracy', 'formatValidity', 'schemaValidity', 'argumentF1', 'noToolAccuracy'] as const);
  const valuesOf = (k: keyof Metrics) => cmp?.metrics.find((m) => m.metric === k)?.values ?? evals.map((e) => e.report.metrics[k]);
  sections.push(groupedBarsSvg('Headline metrics', keys.map((k) => ({ label: METRIC_LABELS[k], values: valuesOf(k) })), models));
  const tools = cmp ? cmp.perTool : first.report.perTool.filter((t) => t.expected > 0).map((t) => ({ name: t.name, expected: t.expected, accuracy: [t.accuracy], deltas: [] as (number | null)[] }));
  if (tools.length) {
    sections.push('<h2>Per tool</h2>');
    sections.push(`<table><tr><th>tool</th><th>expected calls</th>${models.map((m) => `<th>${escapeHtml(m)}</th>`).join('')}${models.slice(1).map((m) => `<th>Δ ${escapeHtml(m)}</th>`).join('')}</tr>` +
      tools.map((t) => `<tr><td>${escapeHtml(t.name)}</td><td>${t.expected}</td>${t.accuracy.map((a) => `<td>${pct(a)}</td>`).join('')}${t.deltas.map((d) => `<td>${signed(d)}</td>`).join('')}</tr>`).join('') + '</table>');
    sections.push(groupedBarsSvg('Accuracy per tool', tools.map((t) => ({ label: t.name, values: t.accuracy })), models));
  }
  const causes = cmp ? cmp.failures : evals.map((e) => failureCauses(e.report.records));
  sections.push('<h2>Failed steps by cause</h2>');
  sections.push(groupedBarsSvg('Failed steps by cause', FAILURE_CAUSES.filter((c) => c !== 'unseen-value').map((c) => ({ label: FAILURE_CAUSE_LABELS[c], values: causes.map((f) => f.causes[c]) })), models, { counts: true }));
  if (cmp) {
    cmp.changed.forEach((ch, j) => {
      for (const [kind, list] of [['fixed', ch.fixed], ['broken', ch.broken]] as const) {
        sections.push(`<h2>${kind === 'fixed' ? 'Fixed' : 'Broken'} by ${escapeHtml(models[j + 1])} (${list.length})</h2>`);
        sections.push(list.slice(0, 200).map((x) => `<div class="ex"><h3>${escapeHtml(x.id)}</h3><div class="pair">` +
          `<div><h4>${escapeHtml(models[0])}</h4>${outputHtml(x.before.output)}<ul>${x.before.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul></div>` +
          `<div><h4>${escapeHtml(models[j + 1])}</h4>${outputHtml(x.after.output)}<ul>${x.after.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul></div></div></div>`).join('') || '<p class="muted">none</p>');
      }
    });
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}.muted{color:#777}.small{font-size:12px}.sig{font-weight:700}
figure{margin:.5rem 0 1rem;border:1px solid #ddd;border-radius:6px;padding:.5rem}figcaption{font-weight:600;font-size:13px}
svg{width:100%;height:auto}svg .l{font-size:11px;fill:#222}svg .v{font-size:10px;fill:#555}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.ex{border-top:1px solid #ddd;padding-top:.5rem}
pre{white-space:pre-wrap;word-break:break-word;margin:.1rem 0;font-size:12px}.turn{border-left:3px solid #ccc;padding-left:.4rem;margin:.2rem 0}
.turn.tool{border-color:#54a24b}.turn.assistant{border-color:#4c78a8}.who{font-size:10px;text-transform:uppercase;color:#777}
</style></head><body>
${sections.join('\n')}
</body></html>
`;
}

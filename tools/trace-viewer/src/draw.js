// Drawing the timeline: one lane per CPU (spans, interrupts, marks, density), lock waits, IPI
// arrows, schedule decisions, a deadlock's waits, the counters below, and the legend.

import {
  KIND_COLORS, SPAN, T, GUTTER, LANE_H, LANE_GAP, TOP, IRQ_H, COUNTER_H, $, state, fmtT, taskColor, kindColor, kindName, typeName, lanesCanvas, countersCanvas, plotWidth, xOf, laneY, setupCanvas,
} from './common.js';

// A wait of the report: a dashed arrow from the waiter (when its wait began) to the CPU it
// waits on (when that CPU took the lock, if the report says).
function drawWaits(g) {
  let drawn = 0;
  for (const l of (state.meta.outcome && state.meta.outcome.report) || []) {
    if (l.cpu === null || l.waits_on_cpu === null || l.waits_on_cpu >= state.meta.cpus) continue;
    const tTo = l.waits_on_time !== null ? l.waits_on_time : l.time;
    const x0 = xOf(l.time), x1 = xOf(tTo);
    const y0 = laneY(l.cpu) + LANE_H / 2, y1 = laneY(l.waits_on_cpu) + LANE_H / 2;
    g.save();
    g.setLineDash([5, 3]);
    drawArrow(g, x0, y0, x1, y1, '#7c3aed');
    g.setLineDash([]);
    g.font = '10px system-ui, sans-serif';
    g.fillText(`waits on CPU ${l.waits_on_cpu}`, x0 + 4, y0 - 3);
    g.restore();
    drawn++;
  }
  lanesCanvas.dataset.waits = String(drawn);
}

// ---- drawing -------------------------------------------------------------------------------
export function spanColor(kind, id) {
  switch (kind) {
    case SPAN.idle: return '#e5e7eb';
    case SPAN.kernel: return '#94a3b8';
    case SPAN.offline: return '#374151';
    case SPAN.mixed: return '#818cf8';
    case SPAN.irq: return id < KIND_COLORS.length - 1 ? kindColor(id) : '#0f766e';
    default: return taskColor(id);
  }
}

function markVisible(m) {
  if (!state.filter || !$('f-only').checked) return true;
  return matchesFilter({ cpu: m.cpu, type: m.type, aux: m.aux, a: m.a, b: m.b, time: m.t });
}

function matchesFilter(r) {
  const f = state.filter;
  if (!f) return true;
  if (f.type && typeName(r.type) !== f.type) return false;
  if (f.cpu !== '' && r.cpu !== +f.cpu) return false;
  const taskTypes = [T.taskSwitch, T.enqueue, T.finish, T.block, T.wake];
  if (f.task !== '' && !(taskTypes.includes(r.type) && r.a === +f.task)) return false;
  if (f.lock !== '' && !([T.lockContended, T.lockAcquired].includes(r.type) && r.b === +f.lock)) return false;
  if (f.ipi && !([T.ipiSent, T.ipiReceived, T.ipiCoalesced].includes(r.type) && kindName(r.aux) === f.ipi)) return false;
  return true;
}

export function draw() {
  if (!state.meta) return;
  const n = state.meta.cpus;
  const h = TOP + n * (LANE_H + LANE_GAP) + 8;
  const g = setupCanvas(lanesCanvas, h);
  $('range').textContent = `${fmtT(state.t0)} – ${fmtT(state.t1)} cycles (${fmtT(state.t1 - state.t0)} visible)`;
  state.hits = [];
  state.drawnFlows = [];
  drawAxisAndLanes(g, h, n);
  const d = state.data;
  if (!d) return;
  const pw = plotWidth();
  const clipX = (x) => Math.max(GUTTER, Math.min(GUTTER + pw, x));
  g.save();
  g.beginPath();
  g.rect(GUTTER, 0, pw, h);
  g.clip();
  for (const lane of d.lanes) drawLane(g, lane, clipX);
  drawLockWaits(g, d, clipX);
  drawFlows(g, d);
  drawDecisions(g, d);
  drawWaits(g);
  if (state.selected) {
    g.strokeStyle = '#111827';
    g.lineWidth = 2;
    const x = xOf(state.selected.time), y = laneY(state.selected.cpu);
    g.strokeRect(x - 5, y - 2, 10, LANE_H + 4);
    g.lineWidth = 1;
  }
  g.restore();
  if (d.flows_total > d.flows.length) {
    g.fillStyle = '#b45309';
    g.fillText(`${d.flows.length} of ${d.flows_total} arrows shown: zoom in`, GUTTER + 4, h - 2);
  }
  drawCounters(d);
}

function drawAxisAndLanes(g, h, n) {
  const pw = plotWidth();
  g.fillStyle = '#6b7280';
  g.font = '10px system-ui, sans-serif';
  const step = niceStep((state.t1 - state.t0) / 8);
  for (let t = Math.ceil(state.t0 / step) * step; t <= state.t1; t += step) {
    const x = xOf(t);
    g.fillRect(x, TOP - 4, 1, h - TOP);
    g.fillText(fmtT(t), x + 2, 10);
  }
  g.fillStyle = 'rgba(255,255,255,0.85)';
  g.fillRect(GUTTER, TOP - 3, pw, h);
  for (let cpu = 0; cpu < n; cpu++) {
    const y = laneY(cpu);
    g.fillStyle = '#1d2330';
    g.font = '12px system-ui, sans-serif';
    g.fillText(`CPU ${cpu}`, 6, y + LANE_H / 2 + 4);
    g.strokeStyle = '#e5e7eb';
    g.strokeRect(GUTTER, y, pw, LANE_H);
  }
}

// One CPU's spans (task, idle, kernel, offline), interrupt spans, instant marks and density.
function drawLane(g, lane, clipX) {
  const y = laneY(lane.cpu);
  for (const [t0, t1, kind, id, index] of lane.spans) {
    const x0 = clipX(xOf(t0)), x1 = clipX(xOf(t1));
    g.fillStyle = spanColor(kind, id);
    g.fillRect(x0, y + 10, Math.max(1, x1 - x0), LANE_H - 10 - IRQ_H);
    if (kind === SPAN.offline) {
      g.strokeStyle = '#9ca3af';
      for (let x = x0; x < x1; x += 6) { g.beginPath(); g.moveTo(x, y + LANE_H - IRQ_H); g.lineTo(x + 6, y + 10); g.stroke(); }
    }
    if (kind === SPAN.task && x1 - x0 > 40) {
      g.fillStyle = '#111827';
      g.font = '10px system-ui, sans-serif';
      g.fillText(`task ${id}`, x0 + 3, y + 22);
    }
    state.hits.push({ x0, x1, y0: y + 10, y1: y + LANE_H - IRQ_H, cpu: lane.cpu, index, prio: 0 });
  }
  for (const [t0, t1, kind, id, index] of lane.irqs) {
    const x0 = clipX(xOf(t0)), x1 = clipX(xOf(t1));
    g.fillStyle = spanColor(kind, id);
    g.fillRect(x0, y + LANE_H - IRQ_H, Math.max(1, x1 - x0), IRQ_H);
    state.hits.push({ x0, x1, y0: y + LANE_H - IRQ_H, y1: y + LANE_H, cpu: lane.cpu, index, prio: 1 });
  }
  if (lane.density) {
    const max = Math.max(1, ...lane.density);
    g.fillStyle = 'rgba(17,24,39,0.55)';
    lane.density.forEach((c, x) => { if (c) { const hh = 2 + 7 * c / max; g.fillRect(GUTTER + x, y + 9 - hh, 1, hh); } });
  }
  for (const [t, type, aux, a, b, index] of lane.marks) {
    const mk = { cpu: lane.cpu, t, type, aux, a, b };
    if (!markVisible(mk)) continue;
    const x = xOf(t);
    const hit = state.matches && state.matches.has(`${lane.cpu}:${index}`);
    drawMark(g, x, y, type, aux, hit);
    state.hits.push({ x0: x - 4, x1: x + 4, y0: y, y1: y + 10, cpu: lane.cpu, index, prio: 2 });
  }
}

// Lock waits: a red bar at the top of the lane, from contended to acquired.
function drawLockWaits(g, d, clipX) {
  for (const [t0, t1, cpu, lock, i0] of d.locks) {
    const y = laneY(cpu), x0 = clipX(xOf(t0)), x1 = clipX(xOf(t1));
    if (state.filter && $('f-only').checked && state.filter.lock !== '' && +state.filter.lock !== lock) continue;
    g.fillStyle = 'rgba(220,38,38,0.75)';
    g.fillRect(x0, y + 10, Math.max(2, x1 - x0), 4);
    state.hits.push({ x0, x1: Math.max(x0 + 2, x1), y0: y + 10, y1: y + 14, cpu, index: i0, prio: 3 });
  }
}

function drawFlows(g, d) {
  for (const [ts, tr, src, dst, kind, si, di] of d.flows) {
    if (state.filter && $('f-only').checked && state.filter.ipi && kindName(kind) !== state.filter.ipi) continue;
    const x0 = xOf(ts), x1 = xOf(tr);
    const y0 = laneY(src) + (dst > src ? LANE_H : 0), y1 = laneY(dst) + (dst > src ? 0 : LANE_H);
    drawArrow(g, x0, y0, x1, y1, kindColor(kind));
    state.drawnFlows.push({ t_send: ts, t_recv: tr, src, dst, kind, kind_name: kindName(kind), src_index: si, dst_index: di,
      x0, y0, x1, y1 });
  }
}

// Schedule decisions (a --schedule run, e.g. explore's shrunk failure): where the run left
// the default schedule, as an orange hand-off from the CPU that ran to the CPU that took over.
function drawDecisions(g, d) {
  let drawn = 0;
  for (const [t, from, to, stepNo, preemption] of d.decisions || []) {
    const x = xOf(t), y0 = laneY(from), y1 = laneY(to) + LANE_H / 2;
    g.strokeStyle = g.fillStyle = preemption ? '#ea580c' : '#a8a29e';
    g.lineWidth = 2;
    g.beginPath(); g.moveTo(x, y0); g.lineTo(x, y0 + LANE_H); g.stroke();
    if (to !== from) drawArrow(g, x, y0 + LANE_H / 2, x + 12, y1, g.strokeStyle);
    g.font = '10px system-ui, sans-serif';
    g.fillText(`${preemption ? 'preempted' : 'switch'} @${stepNo}`, x + 3, y0 + 8);
    g.lineWidth = 1;
    drawn++;
  }
  lanesCanvas.dataset.decisions = String(drawn);
}

export function drawMark(g, x, y, type, aux, highlight) {
  g.save();
  if (highlight) { g.fillStyle = '#facc15'; g.fillRect(x - 4, y, 8, 10); }
  switch (type) {
    case T.ipiSent: g.fillStyle = kindColor(aux); tri(g, x, y + 1, 4, true); break;
    case T.ipiReceived: g.fillStyle = kindColor(aux); tri(g, x, y + 9, 4, false); break;
    case T.ipiCoalesced:  // an IPI folded into one already pending: hollow ring in the kind's colour
      g.strokeStyle = kindColor(aux); g.lineWidth = 1.5; g.beginPath(); g.arc(x, y + 5, 3.5, 0, 7); g.stroke(); break;
    case T.lockContended: case T.lockAcquired: g.fillStyle = '#dc2626'; g.fillRect(x - 1, y + 2, 2, 8); break;
    case T.offline: case T.online: g.fillStyle = '#111827'; g.fillRect(x - 1, y, 2, LANE_H); break;
    case T.marker: g.fillStyle = '#db2777'; g.beginPath(); g.arc(x, y + 5, 3, 0, 7); g.fill(); break;
    default: g.fillStyle = '#475569'; g.fillRect(x - 0.5, y + 3, 1, 6);
  }
  g.restore();
}
function tri(g, x, y, s, down) {
  g.beginPath();
  if (down) { g.moveTo(x - s, y); g.lineTo(x + s, y); g.lineTo(x, y + s * 2); } else { g.moveTo(x - s, y); g.lineTo(x + s, y); g.lineTo(x, y - s * 2); }
  g.fill();
}
export function drawArrow(g, x0, y0, x1, y1, color) {
  g.strokeStyle = color;
  g.fillStyle = color;
  g.lineWidth = 1.3;
  g.beginPath(); g.moveTo(x0, y0); g.lineTo(x1, y1); g.stroke();
  const a = Math.atan2(y1 - y0, x1 - x0), s = 6;
  g.beginPath();
  g.moveTo(x1, y1);
  g.lineTo(x1 - s * Math.cos(a - 0.4), y1 - s * Math.sin(a - 0.4));
  g.lineTo(x1 - s * Math.cos(a + 0.4), y1 - s * Math.sin(a + 0.4));
  g.fill();
  g.lineWidth = 1;
}
function niceStep(raw) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
  for (const m of [1, 2, 5, 10]) if (p * m >= raw) return p * m;
  return p * 10;
}

function drawCounters(d) {
  const g = setupCanvas(countersCanvas, COUNTER_H);
  const pw = plotWidth(), half = COUNTER_H / 2 - 6;
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#1d2330';
  g.fillText('run queue', 4, 14);
  g.fillText('IPIs sent', 4, half + 24);
  g.fillText('per interval', 4, half + 36);
  // Run-queue lengths: one step line per CPU.
  let maxRq = 1;
  for (const l of d.lanes) for (const [, v] of l.rq) maxRq = Math.max(maxRq, v);
  d.lanes.forEach((l) => {
    if (!l.rq.length) return;
    g.strokeStyle = taskColor(l.cpu * 3 + 1);
    g.beginPath();
    let first = true, py = 0;
    for (const [t, v] of l.rq) {
      const x = Math.max(GUTTER, Math.min(GUTTER + pw, xOf(t))), y = 4 + half - v / maxRq * (half - 6);
      if (first) { g.moveTo(x, y); first = false; } else { g.lineTo(x, py); g.lineTo(x, y); }
      py = y;
    }
    g.stroke();
  });
  g.fillStyle = '#6b7280';
  g.fillText(`max ${maxRq}`, GUTTER + pw - 50, 12);
  // IPIs per interval, stacked by kind.
  const r = d.ipi_rate, base = COUNTER_H - 4;
  let maxC = 1;
  for (const c of r.counts) maxC = Math.max(maxC, c.reduce((a, b) => a + b, 0));
  const bw = pw / r.counts.length;
  r.counts.forEach((c, i) => {
    let y = base;
    c.forEach((v, k) => {
      if (!v) return;
      const hh = v / maxC * (half - 4);
      g.fillStyle = kindColor(k);
      g.fillRect(GUTTER + i * bw, y - hh, Math.max(1, bw - 1), hh);
      y -= hh;
    });
  });
  g.fillStyle = '#6b7280';
  g.fillText(`max ${maxC} per ${fmtT(r.dt)} cycles`, GUTTER + pw - 170, half + 20);
}

export function legend() {
  const items = [['idle', '#e5e7eb'], ['kernel (no task)', '#94a3b8'], ['offline', '#374151'], ['several spans < 1 px', '#818cf8'],
    ['timer interrupt', '#0f766e'], ['lock wait', 'rgba(220,38,38,0.75)']];
  const kinds = ['reschedule', 'shutdown', 'halt', 'timer', 'call'];
  let html = items.map(([n, c]) => `<span><i style="background:${c}"></i>${n}</span>`).join('');
  html += kinds.map((k, i) => `<span><i style="background:${KIND_COLORS[i]}"></i>IPI ${k}</span>`).join('');
  html += '<span>▼ sent ▲ received ○ coalesced</span>';
  if (state.meta && state.meta.outcome && (state.meta.outcome.report || []).some((l) => l.waits_on_cpu !== null))
    html += '<span><i style="background:#7c3aed"></i>deadlock: waits on (dashed, from the wait\'s start)</span>';
  if (state.meta && state.meta.decisions) html += '<span><i style="background:#ea580c"></i>schedule decision: preemption (grey: after a spin or block)</span>';
  $('legend').innerHTML = html;
}

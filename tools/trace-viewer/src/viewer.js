// The lockstep trace viewer. Plain JavaScript modules, no dependencies, served by `lockstep view`.
// The server decodes the trace; the page asks for one window at a time (/api/window) and draws
// what it gets on canvases (draw.js): one lane per CPU, IPI arrows, lock waits, counters. This
// file loads traces, handles zoom, pan, clicks, search, the profile, the diff and live updates.

import {
  learnTypes, GUTTER, LANE_H, $, state, api, fmtT, esc, lanesCanvas, plotWidth, xOf, tOf, laneY, setupCanvas,
} from './common.js';
import {
  draw, drawMark, spanColor, legend,
} from './draw.js';

// ---- loading -------------------------------------------------------------------------------
async function loadTraces() {
  const { traces } = await api('traces');
  state.traces = traces;
  const sel = $('trace-select'), a = $('diff-a'), b = $('diff-b');
  for (const s of [sel, a, b]) s.innerHTML = '';
  traces.forEach((t, i) => {
    const label = `${i}: ${t.name}`;
    sel.add(new Option(label, i));
    a.add(new Option(label, i));
    b.add(new Option(label, i));
  });
  if (traces.length > 1) b.value = 1;
  $('tab-diff').hidden = traces.length < 2;
  if (traces.some((t) => t.live)) openSocket();
  await selectTrace(0);
}

async function selectTrace(i) {
  state.trace = i;
  state.meta = state.traces[i];
  learnTypes(state.meta.types);
  state.selected = null;
  state.matches = null;
  state.data = null;  // The last window was another trace's.
  $('details').innerHTML = '<p class="muted">Click an event or a span.</p>';
  $('trace-select').value = i;
  fillFilterOptions();
  showSummary();
  legend();
  fit();
  loadProfile();
}

function showSummary() {
  const m = state.meta, c = m.config;
  const outcome = m.live && !m.finished ? '<span>running…</span>'
    : m.outcome.passed ? '<span class="pass">pass</span>' : `<span class="fail">FAIL: ${esc(m.outcome.reason)}</span>`;
  $('run-summary').innerHTML = `${esc(c.scenario)} · ${m.cpus} CPUs · seed ${c.seed} · ${esc(c.strategy)}` +
    `${c.faults ? ' · faults ' + esc(c.faults) : ''} · ${fmtT(m.events)} events · ${outcome}`;
  $('follow-label').hidden = !m.live;
  lanesCanvas.dataset.lanes = m.cpus;
  showReport();
}

// The failure's report, one line per clause (the server reads it: sim/report_lines.hpp); a
// line that names a place links to the event there.
function showReport() {
  const lines = (state.meta.outcome && state.meta.outcome.report) || [];
  $('report').hidden = lines.length === 0;
  $('report-lines').innerHTML = lines.map((l, i) => `<li data-line="${i}" class="${l.index !== null ? 'link' : ''}">` +
    `${l.cpu !== null ? `<b>CPU ${l.cpu} @ ${fmtT(l.time)}</b> ` : ''}${esc(l.text)}</li>`).join('');
  for (const li of $('report-lines').querySelectorAll('li.link')) {
    const l = lines[+li.dataset.line];
    li.onclick = () => showEvent(l.cpu, l.index, true);
  }
}

function fillFilterOptions() {
  const ft = $('f-type'), fi = $('f-ipi');
  ft.length = 1;
  fi.length = 1;
  for (const [num, name] of Object.entries(state.meta.types)) ft.add(new Option(name, name));
  state.meta.ipi_kinds.forEach((k) => fi.add(new Option(k, k)));
}

function fit() {
  const m = state.meta;
  const span = Math.max(1, m.t_max - m.t_min);
  state.t0 = m.t_min;
  state.t1 = m.t_min + span * 1.0 + 1;
  refresh();
}

function refresh() {
  draw();
  clearTimeout(state.fetchTimer);
  state.fetchTimer = setTimeout(fetchWindow, 60);
}

async function fetchWindow() {
  const gen = ++state.fetchGen;
  const t0 = Math.max(0, Math.floor(state.t0)), t1 = Math.max(t0 + 1, Math.ceil(state.t1));
  try {
    const data = await api('window', { trace: state.trace, t0, t1, px: Math.round(plotWidth()) });
    if (gen !== state.fetchGen) return;
    state.data = data;
    draw();
    document.body.dataset.ready = '1';
  } catch (e) {
    $('range').textContent = 'error: ' + e.message;
  }
}

// ---- interaction ---------------------------------------------------------------------------
function zoomAt(x, factor) {
  const t = tOf(x);
  const m = state.meta;
  const full = Math.max(1, m.t_max - m.t_min) * 1.2;
  let w = (state.t1 - state.t0) * factor;
  w = Math.max(20, Math.min(full, w));
  const f = (t - state.t0) / (state.t1 - state.t0);
  state.t0 = t - f * w;
  state.t1 = state.t0 + w;
  clampView();
  refresh();
}
function pan(dx) {
  const dt = dx / plotWidth() * (state.t1 - state.t0);
  state.t0 += dt;
  state.t1 += dt;
  clampView();
  refresh();
}
function clampView() {
  const w = state.t1 - state.t0, m = state.meta;
  const lo = m.t_min - w * 0.5, hi = m.t_max + w * 0.5;
  if (state.t0 < lo) { state.t0 = lo; state.t1 = lo + w; }
  if (state.t1 > hi) { state.t1 = hi; state.t0 = hi - w; }
  if (state.t0 < 0) { state.t0 = 0; state.t1 = w; }
}

lanesCanvas.addEventListener('wheel', (e) => {
  e.preventDefault();
  if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan(e.shiftKey ? e.deltaY : e.deltaX);
  else zoomAt(e.offsetX, Math.exp(e.deltaY * 0.0015));
}, { passive: false });
let drag = null;
lanesCanvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, moved: false }; lanesCanvas.focus(); });
window.addEventListener('mousemove', (e) => {
  if (!drag) return;
  const dx = e.clientX - drag.x;
  if (Math.abs(dx) > 2) drag.moved = true;
  if (drag.moved) { pan(-dx); drag.x = e.clientX; }
});
window.addEventListener('mouseup', (e) => {
  const wasClick = drag && !drag.moved;
  drag = null;
  if (wasClick && e.target === lanesCanvas) pick(e.offsetX, e.offsetY);
});
lanesCanvas.addEventListener('keydown', (e) => {
  const mid = GUTTER + plotWidth() / 2;
  const keys = { '+': () => zoomAt(mid, 0.7), '=': () => zoomAt(mid, 0.7), w: () => zoomAt(mid, 0.7),
    '-': () => zoomAt(mid, 1 / 0.7), s: () => zoomAt(mid, 1 / 0.7), ArrowLeft: () => pan(-plotWidth() * 0.15),
    a: () => pan(-plotWidth() * 0.15), ArrowRight: () => pan(plotWidth() * 0.15), d: () => pan(plotWidth() * 0.15),
    0: fit, f: fit };
  const k = keys[e.key];
  if (k) { e.preventDefault(); k(); }
});
$('fit').onclick = fit;
$('zoom-in').onclick = () => zoomAt(GUTTER + plotWidth() / 2, 0.6);
$('zoom-out').onclick = () => zoomAt(GUTTER + plotWidth() / 2, 1 / 0.6);
$('trace-select').onchange = (e) => selectTrace(+e.target.value);
window.addEventListener('resize', refresh);

function pick(x, y) {
  let best = null;
  for (const h of state.hits) {
    if (x < h.x0 - 1 || x > h.x1 + 1 || y < h.y0 || y > h.y1) continue;
    const dist = Math.abs(x - (h.x0 + h.x1) / 2);
    if (!best || h.prio > best.prio || (h.prio === best.prio && dist < best.dist)) best = { ...h, dist };
  }
  if (best) showEvent(best.cpu, best.index);
}

async function showEvent(cpu, index, center) {
  const ev = await api('event', { trace: state.trace, cpu, index });
  state.selected = { cpu, index, time: ev.time };
  if (center) {
    const w = state.t1 - state.t0;
    state.t0 = ev.time - w / 2;
    state.t1 = ev.time + w / 2;
    clampView();
    refresh();
  } else {
    draw();
  }
  let flow = '';
  if (ev.flow && ev.flow.to_cpu !== undefined) flow = `<dt>arrow</dt><dd>to CPU ${ev.flow.to_cpu} (#${ev.flow.to_index}), ${fmtT(ev.flow.latency)} cycles</dd>`;
  if (ev.flow && ev.flow.from_cpu !== undefined) flow = `<dt>arrow</dt><dd>from CPU ${ev.flow.from_cpu} (#${ev.flow.from_index}), ${fmtT(ev.flow.latency)} cycles</dd>`;
  $('details').innerHTML = `<h2 id="event-title">${esc(ev.description)}</h2>
    <dl><dt>CPU</dt><dd id="event-cpu">${ev.cpu}</dd><dt>event</dt><dd id="event-index">#${ev.index}</dd>
    <dt>time</dt><dd>${fmtT(ev.time)} cycles</dd><dt>kind</dt><dd>${esc(ev.type_name)}${ev.ipi_kind ? ' (' + esc(ev.ipi_kind) + ')' : ''}</dd>
    <dt>fields</dt><dd>aux=${ev.aux} a=${ev.a} b=${ev.b}</dd>${flow}</dl>
    <div>Reproduce the run (${esc(ev.position)}):</div>
    <pre class="cmd" id="run-command">${esc(ev.run_command)}</pre>
    ${ev.replay_command ? `<div>Verify the recorded trace event by event:</div><pre class="cmd" id="replay-command">${esc(ev.replay_command)}</pre>` : ''}
    ${ev.debug_command ? `<div>Stop the run here in gdb (every vCPU, step back: docs/DEBUGGING.md):</div><pre class="cmd" id="debug-command">${esc(ev.debug_command)}</pre>` : ''}`;
}

// ---- search and filter ---------------------------------------------------------------------
$('filter').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = { type: $('f-type').value, ipi: $('f-ipi').value, cpu: $('f-cpu').value.trim(), task: $('f-task').value.trim(),
    lock: $('f-lock').value.trim() };
  state.filter = f;
  const params = { trace: state.trace, limit: 500 };
  if (f.type) params.type = f.type;
  if (f.ipi) params.ipi = f.ipi;
  for (const k of ['cpu', 'task', 'lock']) if (f[k] !== '') params[k] = f[k];
  try {
    const r = await api('search', params);
    state.matches = new Set(r.hits.map((h) => `${h.cpu}:${h.index}`));
    $('results').innerHTML = `<div id="results-count">${fmtT(r.total)} matches${r.total > r.hits.length ? ` (first ${r.hits.length})` : ''}</div>
      <ol>${r.hits.map((h) => `<li data-cpu="${h.cpu}" data-index="${h.index}">${fmtT(h.time)} · CPU ${h.cpu} · ${esc(h.text)}</li>`).join('')}</ol>`;
    for (const li of $('results').querySelectorAll('li')) li.onclick = () => showEvent(+li.dataset.cpu, +li.dataset.index, true);
  } catch (err) {
    $('results').textContent = 'search failed: ' + err.message;
  }
  draw();
});
$('clear').onclick = () => {
  state.filter = null;
  state.matches = null;
  $('filter').reset();
  $('results').innerHTML = '';
  draw();
};
$('f-only').onchange = draw;

// ---- profile -------------------------------------------------------------------------------
async function loadProfile() {
  const p = await api('profile', { trace: state.trace });
  $('profile-table').innerHTML = p.cpus.map((c) => `<h3>CPU ${c.cpu}</h3>` + (c.labels.length ? `<table class="profile" data-cpu="${c.cpu}">
    <tr><th>label</th><th>regions</th><th>cycles</th><th>mean</th><th>max</th></tr>
    ${c.labels.map((l) => `<tr><td class="name">${esc(l.name)}</td><td>${fmtT(l.count)}</td><td>${fmtT(l.cycles)}</td><td>${fmtT(l.mean)}</td><td>${fmtT(l.max)}</td></tr>`).join('')}
    </table>` : '<p class="muted">no profile regions</p>') +
    (c.counters.length ? `<p>counters: ${c.counters.map((x) => `#${x.counter} = ${fmtT(x.total)}`).join(', ')}</p>` : '')).join('');
}

// ---- diff ----------------------------------------------------------------------------------
$('diff-run').onclick = async () => {
  const a = +$('diff-a').value, b = +$('diff-b').value;
  const r = await api('diff', { a, b, context: 12 });
  const summary = $('diff-summary');
  if (r.identical) {
    summary.textContent = 'The traces are identical.';
    summary.className = 'muted';
    $('diff-view').hidden = true;
    return;
  }
  summary.className = 'found';
  const ta = r.a.event ? r.a.event.text : '(trace ends)', tb = r.b.event ? r.b.event.text : '(trace ends)';
  summary.textContent = `First divergence: CPU ${r.cpu}, event #${r.index} at ${fmtT(r.time)} cycles — A: ${ta} · B: ${tb}`;
  summary.dataset.cpu = r.cpu;
  summary.dataset.index = r.index;
  $('diff-view').hidden = false;
  const list = (el, side) => {
    el.innerHTML = side.events.map((e) => `<li class="${e.index === r.index ? 'diverge' : ''}">#${e.index} ${fmtT(e.time)} ${esc(e.text)}</li>`).join('');
  };
  list($('diff-list-a'), r.a);
  list($('diff-list-b'), r.b);
  await drawDiffLanes(a, b, r);
};

// Both traces' lanes of the diverging CPU over the same window, centred on the divergence:
// everything left of the line is identical in both.
async function drawDiffLanes(a, b, r) {
  const canvas = $('diff-lanes');
  const times = [...r.a.events, ...r.b.events].map((e) => e.time);
  const lo = Math.min(...times), hi = Math.max(...times);
  const half = Math.max(200, Math.max(r.time - lo, hi - r.time)) * 1.1;
  const t0 = Math.max(0, Math.floor(r.time - half)), t1 = Math.ceil(r.time + half) + 1;
  const px = Math.max(100, canvas.clientWidth - GUTTER - 8);
  const [wa, wb] = await Promise.all([api('window', { trace: a, t0, t1, px }), api('window', { trace: b, t0, t1, px })]);
  const g = setupCanvas(canvas, 2 * (LANE_H + 24) + 20);
  const X = (t) => GUTTER + (t - t0) / (t1 - t0) * px;
  [[wa, 'A'], [wb, 'B']].forEach(([w, name], row) => {
    const y = 20 + row * (LANE_H + 24);
    g.fillStyle = '#1d2330';
    g.font = '12px system-ui, sans-serif';
    g.fillText(`${name} CPU ${r.cpu}`, 4, y + LANE_H / 2 + 4);
    const lane = w.lanes[r.cpu];
    if (!lane) return;
    for (const [s0, s1, kind, id] of lane.spans) { g.fillStyle = spanColor(kind, id); g.fillRect(X(Math.max(s0, t0)), y + 10, Math.max(1, X(Math.min(s1, t1)) - X(Math.max(s0, t0))), LANE_H - 18); }
    for (const [s0, s1, kind, id] of lane.irqs) { g.fillStyle = spanColor(kind, id); g.fillRect(X(Math.max(s0, t0)), y + LANE_H - 8, Math.max(1, X(Math.min(s1, t1)) - X(Math.max(s0, t0))), 8); }
    for (const [t, type, aux] of lane.marks) drawMark(g, X(t), y, type, aux, false);
  });
  g.strokeStyle = '#b91c1c';
  g.lineWidth = 2;
  g.beginPath(); g.moveTo(X(r.time), 8); g.lineTo(X(r.time), canvas.clientHeight); g.stroke();
  g.fillStyle = '#b91c1c';
  g.fillText(`first divergence t=${fmtT(r.time)}`, X(r.time) + 4, 12);
  canvas.dataset.divergenceX = X(r.time);
}

// ---- tabs, live ----------------------------------------------------------------------------
for (const b of document.querySelectorAll('.tab')) {
  b.onclick = () => {
    for (const x of document.querySelectorAll('.tab')) x.classList.toggle('active', x === b);
    for (const p of document.querySelectorAll('.panel')) p.classList.toggle('active', p.id === b.dataset.tab);
    if (b.dataset.tab === 'timeline') refresh();
  };
}

function openSocket() {
  if (state.ws) return;
  const ws = new WebSocket(`ws://${location.host}/api/live`);
  state.ws = ws;
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type !== 'update') return;
    state.traces[msg.trace] = msg.meta;
    if (msg.trace !== state.trace) return;
    const atEnd = state.t1 >= state.meta.t_max - (state.t1 - state.t0) * 0.02;
    state.meta = msg.meta;
    showSummary();
    if ($('follow').checked || atEnd) {
      const w = Math.max(state.t1 - state.t0, 1);
      if (w >= (state.meta.t_max - state.meta.t_min) * 0.9) { fit(); } else { state.t1 = state.meta.t_max + w * 0.02; state.t0 = state.t1 - w; refresh(); }
    } else {
      refresh();
    }
    if (msg.meta.finished) loadProfile();
  };
  ws.onclose = () => { state.ws = null; };
}

// Test and console hooks.
window.lockstepViewer = {
  state, xOf, laneY, LANE_H, GUTTER,
  drawnFlows: () => state.drawnFlows,
  lanes: () => (state.meta ? state.meta.cpus : 0),
  setWindow: (t0, t1) => { state.t0 = t0; state.t1 = t1; refresh(); return new Promise((r) => setTimeout(r, 0)); },
  showEvent,
};

legend();
loadTraces().catch((e) => { $('run-summary').textContent = 'cannot load: ' + e.message; });

// The lockstep trace viewer. Plain JavaScript, no dependencies, served by `lockstep view`.
// The server decodes the trace; the page asks for one window at a time (/api/window) and draws
// what it gets on canvases: one lane per CPU, IPI arrows, lock waits, counters.
'use strict';

(() => {
  const KIND_COLORS = ['#f97316', '#dc2626', '#6b7280', '#16a34a', '#2563eb', '#a855f7'];
  const SPAN = { kernel: 0, idle: 1, task: 2, offline: 3, irq: 4, mixed: 5 };
  // Trace record types by the names core/trace.hpp gives them; their numbers come from the
  // server (meta.types, from the one definition) with each trace selected.
  const TYPE_NAMES = { online: 'cpu-online', offline: 'cpu-offline', ipiSent: 'ipi-sent', ipiReceived: 'ipi-received',
    ipiCoalesced: 'ipi-coalesced', taskSwitch: 'task-switch', enqueue: 'task-enqueue', finish: 'task-finish',
    lockContended: 'lock-contended', lockAcquired: 'lock-acquired', block: 'task-block', wake: 'task-wake',
    marker: 'marker' };
  const T = {};
  function learnTypes(types) {
    for (const [key, name] of Object.entries(TYPE_NAMES)) {
      const num = Object.keys(types).find((n) => types[n] === name);
      T[key] = num === undefined ? -1 : +num;  // -1 matches no record
    }
  }
  const GUTTER = 64, LANE_H = 34, LANE_GAP = 6, TOP = 18, IRQ_H = 8;
  const COUNTER_H = 150;

  const $ = (id) => document.getElementById(id);
  const state = {
    traces: [], trace: 0, meta: null,
    t0: 0, t1: 1,            // visible window (virtual cycles)
    data: null,              // last /api/window answer
    drawnFlows: [],          // arrows of the last frame (tests read these)
    hits: [],                // click targets of the last frame
    selected: null,          // {cpu, index}
    filter: null, matches: null,
    fetchGen: 0, fetchTimer: 0, ws: null,
  };

  async function api(path, params) {
    const q = new URLSearchParams(params || {}).toString();
    const res = await fetch(`/api/${path}${q ? '?' + q : ''}`);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  const fmtT = (t) => Math.round(t).toLocaleString('en-US');
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  function taskColor(id) {
    const h = (id * 137.508) % 360;
    return `hsl(${h.toFixed(0)} 62% 58%)`;
  }
  const kindColor = (k) => KIND_COLORS[Math.min(k, KIND_COLORS.length - 1)];
  const kindName = (k) => (state.meta && state.meta.ipi_kinds[k]) || `kind ${k}`;
  const typeName = (t) => (state.meta && state.meta.types[t]) || `type ${t}`;

  // ---- geometry ------------------------------------------------------------------------------
  const lanesCanvas = $('lanes'), countersCanvas = $('counters');
  function plotWidth() { return Math.max(50, lanesCanvas.clientWidth - GUTTER - 8); }
  function xOf(t) { return GUTTER + (t - state.t0) / (state.t1 - state.t0) * plotWidth(); }
  function tOf(x) { return state.t0 + (x - GUTTER) / plotWidth() * (state.t1 - state.t0); }
  function laneY(cpu) { return TOP + cpu * (LANE_H + LANE_GAP); }
  function setupCanvas(c, cssH) {
    const dpr = window.devicePixelRatio || 1;
    c.style.height = cssH + 'px';
    const w = c.clientWidth;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(cssH * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(cssH * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, cssH);
    return g;
  }

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

  // ---- drawing -------------------------------------------------------------------------------
  function spanColor(kind, id) {
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

  function draw() {
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

  function drawMark(g, x, y, type, aux, highlight) {
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
  function drawArrow(g, x0, y0, x1, y1, color) {
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

  function legend() {
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
      ${ev.replay_command ? `<div>Verify the recorded trace event by event:</div><pre class="cmd" id="replay-command">${esc(ev.replay_command)}</pre>` : ''}`;
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
})();

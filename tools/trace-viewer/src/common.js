// The viewer's shared pieces: trace record types (numbered by the server), colours, layout,
// the page's state, the API call and the time axis's geometry.

export const KIND_COLORS = ['#f97316', '#dc2626', '#6b7280', '#16a34a', '#2563eb', '#a855f7'];
export const SPAN = { kernel: 0, idle: 1, task: 2, offline: 3, irq: 4, mixed: 5 };
// Trace record types by the names core/trace.hpp gives them; their numbers come from the
// server (meta.types, from the one definition) with each trace selected.
const TYPE_NAMES = { online: 'cpu-online', offline: 'cpu-offline', ipiSent: 'ipi-sent', ipiReceived: 'ipi-received',
  ipiCoalesced: 'ipi-coalesced', taskSwitch: 'task-switch', enqueue: 'task-enqueue', finish: 'task-finish',
  lockContended: 'lock-contended', lockAcquired: 'lock-acquired', block: 'task-block', wake: 'task-wake',
  marker: 'marker' };
export const T = {};
export function learnTypes(types) {
  for (const [key, name] of Object.entries(TYPE_NAMES)) {
    const num = Object.keys(types).find((n) => types[n] === name);
    T[key] = num === undefined ? -1 : +num;  // -1 matches no record
  }
}
export const GUTTER = 64, LANE_H = 34, LANE_GAP = 6, TOP = 18, IRQ_H = 8;
export const COUNTER_H = 150;

export const $ = (id) => document.getElementById(id);
export const state = {
  traces: [], trace: 0, meta: null,
  t0: 0, t1: 1,            // visible window (virtual cycles)
  data: null,              // last /api/window answer
  drawnFlows: [],          // arrows of the last frame (tests read these)
  hits: [],                // click targets of the last frame
  selected: null,          // {cpu, index}
  filter: null, matches: null,
  fetchGen: 0, fetchTimer: 0, ws: null,
};

export async function api(path, params) {
  const q = new URLSearchParams(params || {}).toString();
  const res = await fetch(`/api/${path}${q ? '?' + q : ''}`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

export const fmtT = (t) => Math.round(t).toLocaleString('en-US');
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
export function taskColor(id) {
  const h = (id * 137.508) % 360;
  return `hsl(${h.toFixed(0)} 62% 58%)`;
}
export const kindColor = (k) => KIND_COLORS[Math.min(k, KIND_COLORS.length - 1)];
export const kindName = (k) => (state.meta && state.meta.ipi_kinds[k]) || `kind ${k}`;
export const typeName = (t) => (state.meta && state.meta.types[t]) || `type ${t}`;

// ---- geometry ------------------------------------------------------------------------------
export const lanesCanvas = $('lanes'), countersCanvas = $('counters');
export function plotWidth() { return Math.max(50, lanesCanvas.clientWidth - GUTTER - 8); }
export function xOf(t) { return GUTTER + (t - state.t0) / (state.t1 - state.t0) * plotWidth(); }
export function tOf(x) { return state.t0 + (x - GUTTER) / plotWidth() * (state.t1 - state.t0); }
export function laneY(cpu) { return TOP + cpu * (LANE_H + LANE_GAP); }
export function setupCanvas(c, cssH) {
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

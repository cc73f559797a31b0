// Browser test of the trace viewer: Debian's Chromium, driven by playwright-core (never a
// downloaded browser). The fixture binary writes a known trace and a copy with a planted
// divergence and serves both; the test checks what the page shows and saves screenshots.
//
// Environment: VIEW_FIXTURE (tests/viewer/view_fixture), VIEWER_NODE_MODULES (node_modules
// holding playwright-core), CHROMIUM (default /usr/bin/chromium), VIEWER_ARTIFACTS (output dir).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const fixture = process.env.VIEW_FIXTURE;
const modules = process.env.VIEWER_NODE_MODULES;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = process.env.VIEWER_ARTIFACTS || path.resolve('artifacts');
if (!fixture || !modules) {
  console.error('set VIEW_FIXTURE and VIEWER_NODE_MODULES');
  process.exit(2);
}
if (!existsSync(chromiumPath)) {
  console.error(`no Chromium at ${chromiumPath}: run scripts/install-deps.sh (Debian package chromium)`);
  process.exit(1);
}
const require = createRequire(path.join(modules, 'noop.js'));
const { chromium } = require('playwright-core');
mkdirSync(artifacts, { recursive: true });
const work = mkdtempSync(path.join(tmpdir(), 'lockstep-viewer-'));

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(fixture, [work, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fixture printed no URL: ${out}`)), 60000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^URL (\S+)$/m);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1], output: () => out }); }
    });
    child.on('exit', (code) => reject(new Error(`fixture exited with ${code}: ${out}`)));
  });
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, 'ok']);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push([name, e]);
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

const server = await startServer();
const expect = JSON.parse(readFileSync(path.join(work, 'expect.json'), 'utf8'));
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
const external = [];
page.on('request', (r) => { if (!r.url().startsWith(server.url)) external.push(r.url()); });
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(e.message));
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

try {
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });

  await check('one lane per CPU', async () => {
    assert.equal(await page.evaluate(() => window.lockstepViewer.lanes()), expect.cpus);
    assert.equal(await page.getAttribute('#lanes', 'data-lanes'), String(expect.cpus));
  });

  await check('the known IPI arrow is drawn, coloured by its kind', async () => {
    const f = expect.flow;
    assert.ok(f, 'fixture found no flow');
    await page.evaluate(([a, b]) => window.lockstepViewer.setWindow(a, b), [f.t_send - 3000, f.t_recv + 3000]);
    await page.waitForFunction((f) => window.lockstepViewer.drawnFlows().some(
      (d) => d.src === f.src && d.dst === f.dst && d.kind === f.kind && d.t_send === f.t_send), f, { timeout: 10000 });
    // The arrow's pixels are on the canvas, in a colour of an IPI kind (not background).
    const px = await page.evaluate((f) => {
      const d = window.lockstepViewer.drawnFlows().find((x) => x.src === f.src && x.dst === f.dst && x.t_send === f.t_send);
      const c = document.getElementById('lanes');
      const dpr = window.devicePixelRatio || 1;
      const g = c.getContext('2d');
      const x = (d.x0 + d.x1) / 2, y = (d.y0 + d.y1) / 2;
      const data = g.getImageData(Math.round(x * dpr) - 2, Math.round(y * dpr) - 2, 5, 5).data;
      let colored = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, gr, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.max(r, gr, b) - Math.min(r, gr, b) > 60) colored++;
      }
      return colored;
    }, f);
    assert.ok(px > 0, 'no coloured arrow pixels at the arrow midpoint');
  });

  await check('clicking an event shows its details and the reproduction command', async () => {
    const f = expect.flow;
    const box = await page.locator('#lanes').boundingBox();
    const { x, y } = await page.evaluate((f) => ({ x: window.lockstepViewer.xOf(f.t_send), y: window.lockstepViewer.laneY(f.src) + 5 }), f);
    await page.mouse.click(box.x + x, box.y + y);
    await page.waitForSelector('#run-command', { timeout: 5000 });
    const cmd = await page.textContent('#run-command');
    assert.equal(cmd.trim(), expect.run_command);
    assert.equal(await page.textContent('#event-cpu'), String(f.src));
    const replay = await page.textContent('#replay-command');
    assert.ok(replay.includes('replay') && replay.includes('a.trace'), replay);
    const debug = await page.textContent('#debug-command');
    assert.ok(debug.includes(' debug --scenario ') && debug.includes(` --stop-at-event record:${f.src}:`), debug);
  });

  await page.screenshot({ path: path.join(artifacts, 'viewer.png'), fullPage: true });

  await check('keyboard zoom and pan change the window', async () => {
    const before = await page.evaluate(() => [window.lockstepViewer.state.t0, window.lockstepViewer.state.t1]);
    await page.focus('#lanes');
    await page.keyboard.press('+');
    const zoomed = await page.evaluate(() => [window.lockstepViewer.state.t0, window.lockstepViewer.state.t1]);
    assert.ok(zoomed[1] - zoomed[0] < before[1] - before[0]);
    await page.keyboard.press('ArrowRight');
    const panned = await page.evaluate(() => window.lockstepViewer.state.t0);
    assert.ok(panned > zoomed[0]);
    await page.keyboard.press('0');
    const fit = await page.evaluate(() => [window.lockstepViewer.state.t0, window.lockstepViewer.state.t1]);
    assert.ok(fit[1] - fit[0] > zoomed[1] - zoomed[0]);
    // Mouse wheel zooms at the pointer.
    const box = await page.locator('#lanes').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + 30);
    await page.mouse.wheel(0, -400);
    const wheeled = await page.evaluate(() => [window.lockstepViewer.state.t0, window.lockstepViewer.state.t1]);
    assert.ok(wheeled[1] - wheeled[0] < fit[1] - fit[0]);
  });

  await check('search by IPI kind and CPU lists matching events', async () => {
    await page.selectOption('#f-type', 'ipi-sent');
    await page.fill('#f-cpu', String(expect.flow.src));
    await page.click('#search');
    await page.waitForSelector('#results-count');
    const text = await page.textContent('#results-count');
    assert.ok(parseInt(text.replace(/,/g, ''), 10) > 0, text);
    const items = await page.$$eval('#results li', (ls) => ls.map((l) => l.textContent));
    assert.ok(items.length > 0 && items.every((t) => t.includes(`CPU ${expect.flow.src}`) && t.includes('ipi-sent')), items[0]);
    await page.click('#clear');
  });

  await check("the schedule's decisions are marked where they happened", async () => {
    assert.ok(expect.decisions > 0, 'the fixture has no decisions to show');
    await page.click('#tab-timeline');
    await page.focus('#lanes');
    await page.keyboard.press('0');
    await page.waitForFunction(() => +(document.querySelector('#lanes').dataset.decisions || 0) > 0, null, { timeout: 10000 });
    const drawn = await page.$eval('#lanes', (c) => +c.dataset.decisions);
    assert.ok(drawn > 0 && drawn <= expect.decisions, `${drawn} drawn of ${expect.decisions}`);
    await page.screenshot({ path: path.join(artifacts, 'viewer-decisions.png'), fullPage: true });
  });

  await check("a deadlock's report lists its clauses, draws each wait and links a clause to its event", async () => {
    const r = expect.report;
    assert.ok(r.lines >= 2 && r.waits >= 2, `fixture report: ${JSON.stringify(r)}`);
    await page.click('#tab-timeline');
    await page.selectOption('#trace-select', String(r.trace));
    await page.waitForSelector('#report:not([hidden]) #report-lines li', { timeout: 10000 });
    assert.equal(await page.$$eval('#report-lines li', (l) => l.length), r.lines);
    await page.waitForFunction((n) => +(document.querySelector('#lanes').dataset.waits || 0) === n, r.waits, { timeout: 10000 });
    assert.ok(r.first.index !== null, 'the first clause names no event');
    assert.equal(await page.$('#event-index'), null, 'a new trace starts with no event selected');
    await page.click('#report-lines li.link >> nth=0');
    await page.waitForSelector('#event-index', { timeout: 5000 });
    assert.equal(await page.textContent('#event-cpu'), String(r.first.cpu));
    assert.equal(await page.textContent('#event-index'), `#${r.first.index}`);
    await page.screenshot({ path: path.join(artifacts, 'viewer-deadlock.png'), fullPage: true });
    await page.selectOption('#trace-select', '0');
    await page.waitForFunction((n) => document.querySelectorAll('#profile-table h3').length === n, expect.cpus,
      { timeout: 10000 });
  });

  await check('profile table has one section per CPU', async () => {
    await page.click('#tab-profile');
    const n = await page.$$eval('#profile-table h3', (h) => h.length);
    assert.equal(n, expect.cpus);
  });

  await check('diff view finds the planted first divergence', async () => {
    await page.click('#tab-diff');
    await page.selectOption('#diff-a', '0');
    await page.selectOption('#diff-b', '1');
    await page.click('#diff-run');
    await page.waitForSelector('#diff-summary.found', { timeout: 10000 });
    assert.equal(await page.getAttribute('#diff-summary', 'data-cpu'), String(expect.divergence.cpu));
    assert.equal(await page.getAttribute('#diff-summary', 'data-index'), String(expect.divergence.index));
    const a = await page.textContent('#diff-list-a li.diverge');
    const b = await page.textContent('#diff-list-b li.diverge');
    assert.ok(a.startsWith(`#${expect.divergence.index} `) && b.startsWith(`#${expect.divergence.index} `), `${a} | ${b}`);
    assert.notEqual(a, b);
    assert.ok(await page.getAttribute('#diff-lanes', 'data-divergence-x'));
    await page.screenshot({ path: path.join(artifacts, 'viewer-diff.png'), fullPage: true });
  });

  await check('nothing was fetched from outside the server, no script errors', async () => {
    assert.deepEqual(external, []);
    assert.deepEqual(consoleErrors, []);
  });
} finally {
  await browser.close();
  server.child.kill('SIGINT');
}

const code = await new Promise((r) => server.child.on('exit', (c) => r(c)));
await check('the server stops cleanly on SIGINT', async () => {
  assert.equal(code, 0);
  assert.match(server.output(), /stopped/);
});
const failed = results.filter(([, r]) => r !== 'ok');
console.log(`${results.length - failed.length}/${results.length} checks passed; screenshots in ${artifacts}`);
process.exit(failed.length ? 1 : 0);

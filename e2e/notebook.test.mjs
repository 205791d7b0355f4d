// e2e/notebook.test.mjs: opens a notebook in headless Chromium on a running
// Jupyter (classic Notebook 6) server, runs all its cells the way a person
// would (Cell > Run All), and checks what the page shows. Started by
// e2e/run.sh, which starts the server; it is not meant to be run alone.
//
// Environment (set by run.sh):
//   E2E_URL        the server's base URL, e.g. http://127.0.0.1:40123
//   E2E_TOKEN      its token
//   E2E_NOTEBOOK   the notebook's path on the server, e.g. 00_hello.ipynb
//   E2E_ARTIFACTS  folder for the screenshot and page log
//   E2E_PROFILE    a new, empty folder for Chromium's --user-data-dir
//   E2E_CHROMIUM   the browser (default /usr/bin/chromium)
//   E2E_RUN_MS     how long the cells may take to run (default 240000)
//
// Exits 0 when every check passed, 1 otherwise; run.sh prints the summary.

import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined || v === '') throw new Error(`${name} is not set (run e2e/run.sh)`);
  return v;
};
const base = env('E2E_URL');
const token = env('E2E_TOKEN');
const notebookPath = env('E2E_NOTEBOOK');
const artifacts = env('E2E_ARTIFACTS');
const profile = env('E2E_PROFILE');
const executablePath = env('E2E_CHROMIUM', '/usr/bin/chromium');
const runMs = Number(env('E2E_RUN_MS', '240000'));
const name = notebookPath.replace(/\.ipynb$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
mkdirSync(artifacts, { recursive: true });

const t0 = Date.now();
const log = (...a) => console.log(`e2e: [${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const failures = [];
const check = (ok, what, detail = '') => {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
  if (!ok) failures.push(what);
};

// The flags this machine's docs ask for: without the background-networking
// ones Chromium keeps trying (and failing) to reach Google's hosts.
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1280, height: 1400 },
  timeout: 60_000,
});

const pageLog = [];
let screenshotTaken = false;
const page = context.pages()[0] ?? (await context.newPage());
const screenshot = async (suffix = '') => {
  const file = join(artifacts, `${name}${suffix}.png`);
  try {
    await page.screenshot({ path: file, timeout: 15_000 });
    log(`screenshot: ${file}`);
    screenshotTaken = true;
  } catch (e) {
    log(`screenshot failed: ${e.message}`);
  }
};

try {
  page.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
  // Only this server: anything else (a CDN, a font host) is refused and
  // noted, since the machine has no network and the page must not need one.
  const origin = new URL(base).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + '/') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    pageLog.push(`blocked off-server request: ${url}`);
    return route.abort();
  });

  // 1. Open the notebook, as from the link `make lab` prints.
  const url = `${base}/notebooks/${encodeURI(notebookPath)}?token=${encodeURIComponent(token)}`;
  log(`opening ${url.replace(token, '<token>')}`);
  const resp = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  check(resp && resp.ok(), 'notebook page loads', `HTTP ${resp && resp.status()}`);

  // 2. Wait for the notebook to load and its kernel to start and connect.
  await page.waitForFunction(
    () => window.Jupyter?.notebook?._fully_loaded && window.Jupyter.notebook.kernel?.is_connected?.(),
    null, { timeout: 120_000, polling: 250 });
  // Never write over the notebook: no autosave (classic Notebook saves every
  // 120 s by default). The page is closed without saving.
  await page.evaluate(() => window.Jupyter.notebook.set_autosave_interval(0));
  await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 120_000 });
  const kernelName = (await page.textContent('#kernel_indicator .kernel_indicator_name'))?.trim();
  const specName = await page.evaluate(() => window.Jupyter.notebook.kernel.name);
  check(kernelName === 'Go (gonb)' && specName === 'gonb', 'kernel is "Go (gonb)"',
    `indicator "${kernelName}", kernel spec "${specName}"`);

  // 3. The committed notebook carries the outputs of a real run: clear them,
  // so that everything checked below was made by this run.
  await page.evaluate(() => window.Jupyter.notebook.clear_all_output());
  const before = await page.locator('#notebook .output_area').count();
  check(before === 0, 'outputs cleared before running', `${before} output areas left`);

  // 4. Cell > Run All, with the mouse.
  await page.click('#menus a.dropdown-toggle:text-is("Cell")');
  await page.click('#run_all_cells > a');
  log('clicked Cell > Run All');

  // 5. Wait until every code cell has run (a number in its prompt, no "*")
  // and the kernel is idle again.
  const nCode = await page.evaluate(
    () => window.Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code').length);
  try {
    await page.waitForFunction(() => {
      const nb = window.Jupyter.notebook;
      const code = nb.get_cells().filter((c) => c.cell_type === 'code');
      const done = code.every((c) => typeof c.input_prompt_number === 'number');
      const idle = document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
      return done && idle;
    }, null, { timeout: runMs, polling: 500 });
    log(`all ${nCode} code cells ran`);
  } catch (e) {
    const prompts = await page.evaluate(() => window.Jupyter.notebook.get_cells()
      .filter((c) => c.cell_type === 'code').map((c) => String(c.input_prompt_number)));
    check(false, `all ${nCode} code cells run within ${runMs / 1000}s`, `prompts: ${prompts.join(', ')}`);
  }

  // 6. What a person would look at.
  const texts = (await page.locator('#notebook .output_area .output_subarea').allInnerTexts()).join('\n');
  check(/juanji \| mode: quick/.test(texts), 'text "juanji | mode: quick" appears',
    (texts.match(/juanji \| mode:[^\n]*/) || ['(missing)'])[0]);
  check(/edges found: \d+ of \d+ pixels/.test(texts), 'text "edges found:" appears',
    (texts.match(/edges found:[^\n]*/) || ['(missing)'])[0]);
  check(/juanji: notebook code uses this checkout's pkg\//.test(texts), 'nbsetup.sh line appears');

  const imgs = await page.locator('#notebook .output_area img').evaluateAll((els) =>
    els.map((img) => ({ complete: img.complete, w: img.naturalWidth, h: img.naturalHeight, src: img.src.slice(0, 22) })));
  const shown = imgs.filter((i) => i.complete && i.w > 0 && i.h > 0);
  check(shown.length === 1, 'one image rendered (naturalWidth > 0)',
    imgs.map((i) => `${i.src}... ${i.w}x${i.h}`).join('; ') || 'no <img> in any output area');

  const errors = await page.locator('#notebook .output_area .output_error').allInnerTexts();
  check(errors.length === 0, 'no error output', errors.join('\n---\n').slice(0, 2000));
  const stderr = await page.locator('#notebook .output_area .output_stderr').allInnerTexts();
  check(!/panic:|goroutine \d+ \[|\berror\b/i.test(stderr.join('\n')), 'no panic or error on stderr',
    stderr.join('\n').slice(0, 2000));
  const counts = await page.evaluate(() => window.Jupyter.notebook.get_cells()
    .filter((c) => c.cell_type === 'code').map((c) => c.input_prompt_number));
  check(counts.every((n, i) => n === i + 1), 'code cells ran in order, once each', `In [${counts.join('], In [')}]`);

  // 7. The screenshot: the picture's cell in view.
  if (shown.length > 0) {
    await page.locator('#notebook .output_area img').first().scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('#site').scrollBy(0, 150));
  }
  await page.waitForTimeout(300);
  await screenshot();
} catch (e) {
  check(false, 'test ran to the end', e.stack || String(e));
  if (!screenshotTaken) await screenshot('-failed');
} finally {
  writeFileSync(join(artifacts, `${name}.page.log`), pageLog.join('\n') + '\n');
  const blocked = pageLog.filter((l) => l.startsWith('blocked'));
  if (blocked.length) log(`note: ${blocked.length} off-server requests refused (see ${name}.page.log)`);
  // Close without saving: the tab goes, the kernel is shut down with the server.
  await context.close().catch(() => {});
}

log(failures.length ? `${failures.length} check(s) failed: ${failures.join('; ')}` : 'all checks passed');
process.exit(failures.length ? 1 : 0);

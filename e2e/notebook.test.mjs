// e2e/notebook.test.mjs: opens notebooks in headless Chromium on a running
// Jupyter (classic Notebook 6) server, runs all their cells the way a person
// would (Cell > Run All), and checks what the page shows: the outputs each
// notebook must print (the table `expected` below), its pictures, no error,
// and Go code drawn as a Go programmer expects (tabs without the classic
// Notebook's arrow marks). Started by e2e/run.sh, which starts the server; it
// is not meant to be run alone.
//
// Environment (set by run.sh):
//   E2E_URL        the server's base URL, e.g. http://127.0.0.1:40123
//   E2E_TOKEN      its token
//   E2E_NOTEBOOKS  the notebooks' paths on the server, separated by spaces,
//                  e.g. "00_hello.ipynb 01_lenet_mnist.ipynb"
//   E2E_ARTIFACTS  folder for the screenshot and page log
//   E2E_PROFILE    a new, empty folder for Chromium's --user-data-dir
//   E2E_CHROMIUM   the browser (default /usr/bin/chromium)
//   E2E_RUN_MS     how long the cells of each notebook may take to run (default 240000)
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
const notebookPaths = env('E2E_NOTEBOOKS').split(/\s+/).filter(Boolean);
const artifacts = env('E2E_ARTIFACTS');
const profile = env('E2E_PROFILE');
const executablePath = env('E2E_CHROMIUM', '/usr/bin/chromium');
const runMs = Number(env('E2E_RUN_MS', '240000'));
mkdirSync(artifacts, { recursive: true });

// What each notebook must show once run in quick mode: text (regexps over all
// its outputs), the least number of pictures, and which output to have in
// view for the screenshot (the last picture by default).
const expected = {
  '00_hello': {
    texts: [/juanji \| mode: quick/, /edges found: \d+ of \d+ pixels/, /juanji: notebook code uses this checkout's pkg\//],
    images: 1,
  },
  '01_lenet_mnist': {
    texts: [/juanji \| mode: quick[^\n]*\| device: /, /^labels: /m, /^epoch 1\/2: loss \d\.\d+ train data accuracy/m,
      /saved 2 epochs to data\/runs\/lenet\.ckpt/, /^predictions: /m, /^wrong: \d+ of 100/m, /^accuracy: +[01]\.\d\d$/m],
    images: 4, // the batch, the live curves, the restored curves, the predictions
    shot: 1, // the live curves under the training cell
  },
};

const t0 = Date.now();
const log = (...a) => console.log(`e2e: [${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const failures = [];
let current = 'e2e'; // the notebook being run: names its checks and artifacts
const check = (ok, what, detail = '') => {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
  if (!ok) failures.push(`${current}: ${what}`);
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
const page = context.pages()[0] ?? (await context.newPage());
const screenshot = async (base, suffix = '') => {
  const file = join(artifacts, `${base}${suffix}.png`);
  try {
    await page.screenshot({ path: file, timeout: 15_000 });
    log(`screenshot: ${file}`);
  } catch (e) {
    log(`screenshot failed: ${e.message}`);
  }
};

// runNotebook opens one notebook, runs it and checks it (steps 1 to 7).
const runNotebook = async (notebookPath) => {
  const name = notebookPath.replace(/\.ipynb$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  const exp = expected[name];
  if (!exp) throw new Error(`no expectations for ${name} in e2e/notebook.test.mjs`);
  current = name;
  log(`== ${name}`);
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
  for (const re of exp.texts) {
    const m = texts.match(re);
    check(m !== null, `text ${re} appears`, m ? m[0].split('\n')[0].slice(0, 120) : '(missing)');
  }

  const imgs = await page.locator('#notebook .output_area img').evaluateAll((els) =>
    els.map((img) => ({ complete: img.complete, w: img.naturalWidth, h: img.naturalHeight, src: img.src.slice(0, 22) })));
  const shown = imgs.filter((i) => i.complete && i.w > 0 && i.h > 0);
  check(shown.length >= exp.images, `${exp.images} or more images rendered (naturalWidth > 0)`,
    imgs.map((i) => `${i.src}... ${i.w}x${i.h}`).join('; ') || 'no <img> in any output area');

  const errors = await page.locator('#notebook .output_area .output_error').allInnerTexts();
  check(errors.length === 0, 'no error output', errors.join('\n---\n').slice(0, 2000));
  const stderr = await page.locator('#notebook .output_area .output_stderr').allInnerTexts();
  check(!/panic:|goroutine \d+ \[|\berror\b/i.test(stderr.join('\n')), 'no panic or error on stderr',
    stderr.join('\n').slice(0, 2000));
  const counts = await page.evaluate(() => window.Jupyter.notebook.get_cells()
    .filter((c) => c.cell_type === 'code').map((c) => c.input_prompt_number));
  check(counts.every((n, i) => n === i + 1), 'code cells ran in order, once each', `In [${counts.join('], In [')}]`);

  // Go code is indented with tabs; the classic Notebook's own editor theme
  // draws each tab as an arrow. kernels/notebook-config sets the editor's
  // theme so that tabs are drawn as plain indentation.
  const tabs = await page.evaluate(() => [...document.querySelectorAll('#notebook .CodeMirror .cm-tab')]
    .map((el) => getComputedStyle(el).backgroundImage));
  check(tabs.length > 0 && tabs.every((b) => b === 'none'), 'tabs are drawn as indentation, without arrows',
    `${tabs.length} tabs, backgrounds: ${[...new Set(tabs)].join(', ').slice(0, 120)}`);

  // 7. The screenshot: a picture's cell in view.
  if (shown.length > 0) {
    const imgs = page.locator('#notebook .output_area img');
    await imgs.nth(exp.shot ?? (await imgs.count()) - 1).scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('#site').scrollBy(0, 150));
  }
  await page.waitForTimeout(300);
  await screenshot(name);
  // Leave without saving and without the "leave page?" question.
  await page.evaluate(() => { window.Jupyter.notebook.set_dirty(false); window.onbeforeunload = null; });
};

try {
  page.on('dialog', (d) => d.accept().catch(() => {}));
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

  for (const path of notebookPaths) await runNotebook(path);
} catch (e) {
  check(false, 'test ran to the end', e.stack || String(e));
  await screenshot(current, '-failed');
} finally {
  writeFileSync(join(artifacts, 'page.log'), pageLog.join('\n') + '\n');
  const blocked = pageLog.filter((l) => l.startsWith('blocked'));
  if (blocked.length) log(`note: ${blocked.length} off-server requests refused (see page.log)`);
  // Close without saving: the tab goes, the kernel is shut down with the server.
  await context.close().catch(() => {});
}

log(failures.length ? `${failures.length} check(s) failed: ${failures.join('; ')}` : 'all checks passed');
process.exit(failures.length ? 1 : 0);

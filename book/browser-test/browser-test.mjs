// Reads the built book in a real browser (headless Chromium driven by
// playwright-core) and checks what a reader would notice:
//
// - every page in SUMMARY.md order has the right title;
// - no page throws an error or logs one to the console;
// - no request leaves the machine (only the loopback server that serves
//   the book here; anything else is blocked and reported);
// - every image loads;
// - Rust code is highlighted;
// - search finds `spawn_blocking`;
// - the "next" arrow walks from the first page to the last, in order.
//
// It saves a screenshot of one chapter page for a person to look at.
//
// Usage: node browser-test.mjs [BOOK_DIR] [SCREENSHOT]
//   BOOK_DIR    the book's folder, with book.toml, src/SUMMARY.md and the
//               built book in build/ (default: the folder above this one);
//               build it first with `cargo xtask book --build`
//   SCREENSHOT  where to save the screenshot
//               (default: target/book-screenshot.png in the workspace)
// Environment: CHROMIUM overrides /usr/bin/chromium.

import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm, mkdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bookDir = path.resolve(process.argv[2] ?? path.join(here, '..'));
const workspace = path.resolve(bookDir, '..');
const screenshotPath = path.resolve(
  process.argv[3] ?? path.join(workspace, 'target', 'book-screenshot.png'),
);
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The chapter page photographed for a human reviewer.
const SCREENSHOT_PAGE = 'chapter5.html';
// Nothing here should take long; a hang becomes a failure with a message.
const OVERALL_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 10_000;

// Each distinct problem once, in the order found.
const problems = new Set();
const problem = (where, what) => problems.add(`${where}: ${what}`);

function fail(message) {
  console.error(`browser: ${message}`);
  process.exit(1);
}

const watchdog = setTimeout(
  () => fail(`did not finish within ${OVERALL_TIMEOUT_MS / 1000} s`),
  OVERALL_TIMEOUT_MS,
);

// --- What the book should contain: book.toml and SUMMARY.md. ---

async function readBookToml() {
  const text = await readFile(path.join(bookDir, 'book.toml'), 'utf8');
  let table = '';
  const values = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      table = header[1].trim();
      continue;
    }
    const kv = line.match(/^([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"/);
    if (kv) values[`${table}.${kv[1]}`] = kv[2];
  }
  return {
    title: values['book.title'],
    src: values['book.src'] ?? 'src',
    buildDir: values['build.build-dir'] ?? 'book',
  };
}

// The pages in reading order: every `[Name](file.md)` of SUMMARY.md.
async function readSummary(srcDir) {
  const text = await readFile(path.join(srcDir, 'SUMMARY.md'), 'utf8');
  const pages = [];
  for (const m of text.matchAll(/\[([^\]]+)\]\(([^)]+\.md)\)/g)) {
    pages.push({ name: m[1], html: m[2].replace(/\.md$/, '.html') });
  }
  return pages;
}

// Heading and sidebar name compared loosely: case, code marks and
// punctuation aside, and one may contain the other ("Chapter 7: `join_all`
// and analysis" matches "join_all and analysis").
const simplify = (s) => s.toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, ' ').trim();

// --- A tiny static file server on 127.0.0.1, like `mdbook serve`. ---

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

function serve(root) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
      if (!file.startsWith(root)) throw new Error('outside the book');
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// --- The checks. ---

async function main() {
  const started = Date.now();
  const { title: bookTitle, src, buildDir } = await readBookToml();
  if (!bookTitle) fail(`no [book] title in ${path.join(bookDir, 'book.toml')}`);
  const built = path.join(bookDir, buildDir);
  if (!existsSync(path.join(built, 'index.html'))) {
    fail(`no built book in ${built}: run \`cargo xtask book --build\` first`);
  }
  if (!existsSync(chromiumPath)) {
    fail(`no Chromium at ${chromiumPath}: install it (apt-get install chromium) or set CHROMIUM`);
  }
  const pages = await readSummary(path.join(bookDir, src));
  if (pages.length === 0) fail('SUMMARY.md lists no pages');

  const server = await serve(built);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = await mkdtemp(path.join(tmpdir(), 'book-browser-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);

  const page = context.pages()[0] ?? (await context.newPage());
  try {
    // Whatever a page asks for goes through here: loopback passes,
    // everything else is blocked and reported.
    // Problems are reported against the page being shown, or the step.
    let step = null;
    const where = () => step ?? (new URL(page.url()).pathname.replace(/^\//, '') || page.url());
    const isLocal = (url) => url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:');
    await context.route(
      (url) => !isLocal(url.href),
      (route) => {
        problem(where(), `request leaves the machine: ${route.request().url()}`);
        return route.abort();
      },
    );
    page.on('pageerror', (e) => problem(where(), `page error: ${e.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problem(where(), `console error: ${msg.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problem(where(), `HTTP ${r.status()} for ${r.url()}`);
    });
    page.on('requestfailed', (r) => {
      if (isLocal(r.url())) problem(where(), `request failed: ${r.url()} (${r.failure()?.errorText})`);
    });

    let rustPages = 0;
    let images = 0;
    const checked = new Set();
    const shotPage = pages.some((p) => p.html === SCREENSHOT_PAGE) ? SCREENSHOT_PAGE : pages.at(-1).html;

    // Checks the page on screen, which should be `html`.
    async function checkPage({ name, html }) {
      checked.add(html);
      const expected = `${name} - ${bookTitle}`;
      const title = await page.title();
      if (title !== expected) problem(html, `title is "${title}", expected "${expected}"`);
      // The page's own heading should name what the sidebar promises.
      const h1 = await page.locator('main h1').first().textContent({ timeout: 1000 }).catch(() => null);
      if (h1 === null) problem(html, 'page has no heading');
      else if (!simplify(h1).includes(simplify(name)) && !simplify(name).includes(simplify(h1))) {
        problem(html, `heading is "${h1.trim()}", but SUMMARY.md calls the page "${name}"`);
      }

      // Images: wait until each has finished, then insist it decoded.
      await page.waitForFunction(() => [...document.images].every((i) => i.complete));
      const sizes = await page.evaluate(() =>
        [...document.images].map((i) => [i.getAttribute('src'), i.naturalWidth]),
      );
      for (const [src, width] of sizes) {
        if (width > 0) images += 1;
        else problem(html, `image does not load: ${src}`);
      }

      // Rust code: highlight.js must have coloured it.
      const rust = await page.evaluate(() => {
        const blocks = [...document.querySelectorAll('code.language-rust')];
        return {
          blocks: blocks.length,
          plain: blocks.filter((b) => !b.querySelector('span[class^="hljs-"]')).length,
        };
      });
      if (rust.blocks > 0) rustPages += 1;
      if (rust.plain > 0) problem(html, `${rust.plain} of ${rust.blocks} Rust code blocks are not highlighted`);

      if (html === shotPage) {
        await mkdir(path.dirname(screenshotPath), { recursive: true });
        await page.screenshot({ path: screenshotPath, fullPage: true });
      }
    }

    // Walk the book with the "next" arrow, checking each page on arrival.
    // Which arrow is visible depends on the width (at 1280 px only the
    // small one under the text), so click whichever is visible.
    await page.goto(`${origin}/${pages[0].html}`, { waitUntil: 'load' });
    const walked = [pages[0].html];
    for (;;) {
      const at = walked.at(-1);
      const entry = pages.find((p) => p.html === at);
      if (entry && !checked.has(at)) await checkPage(entry);
      if (walked.length > pages.length) break; // Going round in circles.
      const next = page.locator('a[rel~="next"]:visible').first();
      if ((await next.count()) === 0) break;
      await Promise.all([page.waitForURL((u) => !u.pathname.endsWith(`/${at}`)), next.click()]);
      walked.push(new URL(page.url()).pathname.replace(/^\//, ''));
    }
    const expectedWalk = pages.map((p) => p.html);
    if (walked.join(' ') !== expectedWalk.join(' ')) {
      problem('next arrow', `went ${walked.join(' -> ')}; expected ${expectedWalk.join(' -> ')}`);
    }
    // Pages the walk missed are still checked.
    for (const entry of pages.filter((p) => !checked.has(p.html))) {
      await page.goto(`${origin}/${entry.html}`, { waitUntil: 'load' });
      await checkPage(entry);
    }

    // Search: open it the way a reader does (the `s` key), type the word
    // key by key (filling the field in one go fires no search), and expect
    // results.
    step = `search on ${pages[0].html}`;
    await page.goto(`${origin}/${pages[0].html}`, { waitUntil: 'load' });
    await page.keyboard.press('s');
    await page.locator('#mdbook-searchbar').waitFor({ state: 'visible' });
    await page.keyboard.type('spawn_blocking', { delay: 10 });
    let hits = [];
    try {
      await page.locator('#mdbook-searchresults li').first().waitFor({ state: 'visible' });
      hits = await page.locator('#mdbook-searchresults li a').evaluateAll((as) =>
        as.map((a) => a.getAttribute('href').split('?')[0]),
      );
    } catch {
      problem(step, 'search for spawn_blocking shows no results');
    }
    step = null;

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`browser: search for spawn_blocking found ${hits.length} result(s): ${[...new Set(hits)].join(', ')}`);
    console.log(`browser: next arrow walked ${walked.length} of ${pages.length} pages`);
    console.log(`browser: ${images} image(s) loaded; Rust code highlighted on ${rustPages} page(s)`);
    console.log(`browser: screenshot of ${shotPage} saved to ${screenshotPath}`);
    for (const p of problems) console.log(`  problem: ${p}`);
    console.log(`browser: ${pages.length} pages checked, ${problems.size} problems (${seconds} s)`);
  } finally {
    await context.close();
    server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

main()
  .then(() => {
    clearTimeout(watchdog);
    process.exit(problems.size === 0 ? 0 : 1);
  })
  .catch((e) => fail(e.stack ?? String(e)));

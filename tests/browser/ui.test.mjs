// dossier's web UI in real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; it never downloads a browser). Starts
// `dossier serve` on loopback over the sample corpus, then clicks through as
// an analyst would. Screenshots go to target/browser-screenshots/.
//
// Run by scripts/test.sh after `cargo test` (which builds target/debug/dossier):
//   node --test tests/browser/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const bin = process.env.DOSSIER_BIN ?? join(root, "target/debug/dossier");
const shots = join(root, "target/browser-screenshots");
const token = "browser-test-ingest-token-0123456789";
let data, server, base, browser;

async function startServer() {
  server = spawn(bin, ["--data", data, "serve", "--addr", "127.0.0.1:0"], { env: { ...process.env, DOSSIER_INGEST_TOKEN: token }, stdio: ["ignore", "pipe", "inherit"] });
  base = await new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`dossier serve did not start: ${out}`)), 30_000);
    server.stdout.on("data", (b) => {
      out += b;
      const m = out.match(/serving (http:\/\/[^/\s]+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    server.on("exit", (code) => fail(new Error(`dossier serve exited (${code}): ${out}`)));
  });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  data = mkdtempSync(join(tmpdir(), "dossier-browser-"));
  execFileSync(bin, ["--data", data, "ingest", join(root, "examples/corpus")], { stdio: "inherit" });
  await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
  rmSync(data, { recursive: true, force: true });
});

async function newPage(viewport = { width: 1200, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on("dialog", async (d) => {
    problems.push(`dialog: ${d.message()}`);
    await d.dismiss();
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  return { page, problems };
}

test("feed, story, citation, entity chart and faceted search", async () => {
  const { page, problems } = await newPage();
  await page.goto(base + "/");
  const cards = page.locator(".card.story");
  assert.ok((await cards.count()) >= 3, "the feed lists the stories");
  await page.screenshot({ path: join(shots, "feed.png"), fullPage: true });

  // The broadest story ranks first: the memo, reported by two outlets.
  const first = cards.first().locator("a.title");
  assert.match(await first.innerText(), /no-limits|FSB|enemy/i);
  await first.click();
  await page.waitForURL(/\/stories\//);
  assert.equal(await page.locator("h2", { hasText: "At a Glance" }).count(), 1);
  const matrix = page.locator("table.matrix");
  await matrix.waitFor();
  assert.ok((await matrix.locator("tbody tr").count()) >= 3, "a row per aligned claim");
  assert.ok((await matrix.locator("td.has").count()) >= 2, "cells mark outlets carrying claims");
  assert.ok((await page.locator("svg[aria-label='Timeline of reports'] circle").count()) >= 2, "the timeline shows the reports");
  await page.screenshot({ path: join(shots, "story.png"), fullPage: true });

  // Follow a citation to the article it cites.
  const cite = page.locator("a.cite").first();
  const citedOutlet = await cite.innerText();
  await cite.click();
  await page.waitForURL(/\/articles\//);
  assert.ok((await page.locator(".meta").first().innerText()).includes(citedOutlet), "the cited outlet's article");
  await page.screenshot({ path: join(shots, "article.png"), fullPage: true });

  // An entity page with its charts drawn.
  await page.goto(base + "/entities/China");
  const bars = page.locator("figure.chart svg rect.bar");
  assert.ok((await bars.count()) >= 3, "bars are drawn");
  const box = await bars.first().boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, "with a size on screen");
  assert.ok((await page.locator("figcaption", { hasText: "Appears with" }).count()) === 1);
  await page.screenshot({ path: join(shots, "entity.png"), fullPage: true });

  // A faceted search: type a query, then narrow by an outlet facet.
  await page.goto(base + "/search");
  await page.fill("input[name=q]", "memo");
  await page.press("input[name=q]", "Enter");
  await page.waitForURL(/q=memo/);
  const before = Number((await page.locator("p.results").innerText()).match(/\d+/)[0]);
  assert.ok(before >= 2, `memo matches several articles (${before})`);
  const facet = page.locator("[data-facet=outlet] a").first();
  const outlet = await facet.innerText();
  await facet.click();
  await page.waitForURL(/outlet=/);
  const after = Number((await page.locator("p.results").innerText()).match(/\d+/)[0]);
  assert.ok(after >= 1 && after < before, `the facet narrows ${before} to ${after}`);
  for (const hit of await page.locator("ul.hits li").all()) {
    assert.ok((await hit.innerText()).includes(outlet), "every hit is from the chosen outlet");
  }
  assert.equal(await page.locator("[data-facet=outlet] a.on").count(), 1, "the active facet is shown");
  await page.screenshot({ path: join(shots, "search.png"), fullPage: true });
  assert.deepEqual(problems, []);
});

test("the feed pages, sorts, filters by claim status and exports CSV", async () => {
  const { page, problems } = await newPage();
  await page.goto(base + "/?limit=1");
  const title = () => page.locator(".card.story a.title").first().innerText();
  assert.equal(await page.locator(".card.story").count(), 1, "a page of one");
  const total = Number((await page.locator("nav.pages .meta").innerText()).match(/of (\d+)/)[1]);
  assert.ok(total >= 3, `the sample corpus makes several stories (${total})`);
  const seen = [await title()];
  assert.equal(await page.locator("a[rel=prev]").count(), 0, "no page before the first");
  // Next through every page: each shows a story no earlier page showed.
  for (let i = 1; i < total; i++) {
    await page.locator("a[rel=next]").click();
    await page.waitForURL(new RegExp(`offset=${i}$`));
    assert.match(await page.locator("nav.pages .meta").innerText(), new RegExp(`^${i + 1}–${i + 1} of ${total}$`));
    seen.push(await title());
  }
  assert.equal(new Set(seen).size, total, `every story once: ${seen}`);
  assert.equal(await page.locator("a[rel=next]").count(), 0, "no page after the last");
  await page.locator("a[rel=prev]").click();
  await page.waitForURL(new RegExp(`offset=${total - 2}$|limit=1$`));
  assert.equal(await title(), seen[total - 2], "Previous goes back one page");

  // Each card counts its claims by status; sort and filter by them with the form.
  await page.goto(base + "/");
  assert.ok((await page.locator(".card.story .statuses .badge").count()) >= 1, "claim statuses at a glance");
  await page.selectOption("select[name=sort]", "corroborated");
  await page.check("input[name=has][value=corroborated]");
  await page.click("form.controls button");
  await page.waitForURL(/sort=corroborated&has=corroborated/);
  const badges = page.locator(".card.story");
  assert.ok((await badges.count()) >= 1);
  for (const card of await badges.all()) {
    assert.match(await card.locator(".statuses").innerText(), /\d+ corroborated/, "only stories with corroborated claims");
  }
  await page.screenshot({ path: join(shots, "feed-filtered.png"), fullPage: true });

  // Download the CSV of what the feed lists: a header, and a row per story shown.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("a.csv >> text=Download CSV")]);
  assert.equal(download.suggestedFilename(), "dossier-stories.csv");
  const csv = readFileSync(await download.path(), "utf8");
  const lines = csv.trimEnd().split("\r\n");
  assert.ok(lines[0].startsWith("story_id,title,outlet_count,outlets,articles,"), lines[0]);
  assert.equal(lines.length - 1, await badges.count(), "a row per story listed");
  const firstId = (await badges.first().locator("a.title").getAttribute("href")).split("/").pop();
  assert.ok(lines[1].startsWith(firstId + ","), `the feed's first story leads: ${lines[1]}`);

  // The claims export of the same list, fetched as a client would.
  const claims = await fetch(base + (await page.locator("a.csv >> text=Claims CSV").getAttribute("href")));
  assert.equal(claims.status, 200);
  assert.match(claims.headers.get("content-disposition"), /attachment; filename="dossier-claims.csv"/);
  const rows = (await claims.text()).trimEnd().split("\r\n");
  assert.equal(rows[0], "story_id,claim_id,claim,status,outlets,sources,first_outlet,first_seen,cited_articles,conflict,checkworthiness");
  assert.ok(rows.length >= 2 && rows.slice(1).some((r) => r.includes(",corroborated,")), "claims with their status");
  assert.deepEqual(problems, []);
});

test("phone-sized screens: no page scrolls sideways", async () => {
  const { page, problems } = await newPage({ width: 390, height: 844 });
  await page.goto(base + "/");
  const story = await page.locator(".card.story a.title").first().getAttribute("href");
  for (const path of ["/", "/?limit=1&offset=1&sort=contested", story, "/entities/China", "/search?q=memo", "/changes", "/changes?since=0", "/watches"]) {
    await page.goto(base + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} overflows by ${overflow}px`);
  }
  // The feed's controls and page links fit the screen and can be used there.
  await page.goto(base + "/?limit=1&offset=1");
  for (const sel of ["select[name=sort]", "input[name=has][value=contested]", "form.controls button", "a.csv", "a[rel=prev]", "a[rel=next]"]) {
    const box = await page.locator(sel).first().boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 10, `${sel} on screen: ${JSON.stringify(box)}`);
  }
  await page.screenshot({ path: join(shots, "feed-phone.png"), fullPage: true });
  // The watch form fits and can be used there.
  await page.goto(base + "/watches");
  for (const sel of ["form.watch select[name=kind]", "form.watch input[name=target]", "form.watch input[name=token]", "form.watch button"]) {
    const box = await page.locator(sel).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 10, `${sel} on screen: ${JSON.stringify(box)}`);
  }
  await page.screenshot({ path: join(shots, "watches-phone.png"), fullPage: true });
  await page.goto(base + "/changes?since=0");
  await page.screenshot({ path: join(shots, "changes-phone.png"), fullPage: true });
  await page.goto(base + "/?limit=1&offset=1");
  await page.locator("a[rel=next]").click();
  await page.waitForURL(/offset=2/);
  await page.goto(base + story);
  await page.screenshot({ path: join(shots, "story-phone.png"), fullPage: true });
  assert.deepEqual(problems, []);
});

test("hostile article content never runs", async () => {
  const hostile = {
    url: "https://evil.example/x",
    title: `<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> Chile quake memo`,
    text: `Officials said the quake memo was real. <script>window.__xss=3</script> <img src=x onerror=window.__xss=4> <a href="javascript:window.__xss=5">click</a> <svg onload=window.__xss=6>`,
    outlet: `Evil <img src=x onerror=window.__xss=7> Outlet`,
    published: "2025-06-22T10:00:00Z",
  };
  const res = await fetch(base + "/api/ingest", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(hostile) });
  assert.equal(res.status, 200, await res.text());
  const { page, problems } = await newPage();
  await page.goto(base + "/search?q=quake");
  const link = page.locator("ul.hits a", { hasText: "Chile quake memo" }).first();
  await link.waitFor();
  const pages = [base + "/", base + "/search?q=quake", base + (await link.getAttribute("href"))];
  await link.click();
  await page.waitForURL(/\/articles\//);
  pages.push(base + "/outlets/" + encodeURIComponent(hostile.outlet));
  for (const url of pages) {
    await page.goto(url);
    await page.waitForLoadState("load");
    assert.equal(await page.evaluate(() => window.__xss), undefined, `script ran on ${url}`);
    assert.equal(await page.locator("script").count(), 0, `a script element on ${url}`);
    assert.equal(await page.locator("[onerror], [onload]").count(), 0, `an event handler attribute on ${url}`);
    assert.equal(await page.locator("a[href^='javascript:' i]").count(), 0, `a javascript: link on ${url}`);
  }
  // The text is shown, as text.
  await page.goto(pages[2]);
  assert.ok((await page.locator("h1").innerText()).includes("<script>window.__xss=1</script>"));
  await page.screenshot({ path: join(shots, "hostile.png"), fullPage: true });
  assert.deepEqual(problems, []);
});

// A wire report with a URL (the sample corpus's pages have none, so they cannot be revised),
// stored once; then its story, the article as stored and its claim sentences in order.
const wire = {
  url: "https://wire.example/2025/06/22/fsb-memo-china",
  title: "Leaked FSB memo names China as the enemy",
  outlet: "Wire Example",
  published: "2025-06-22T09:00:00Z",
  text: [
    "A leaked memo from Russia's FSB describes China as the enemy, The New York Times reported on Wednesday.",
    "According to the memo, Chinese intelligence officers tried to recruit 12 Russian scientists in Moscow in 2024.",
    "The FSB said Chinese agents were targeting military research in Novosibirsk, the memo shows.",
    "Kremlin spokesman Dmitry Peskov declined to comment on the document on Thursday.",
  ].join(" "),
};
let wireStored = false;
async function wireArticle() {
  if (!wireStored) {
    const res = await fetch(base + "/api/ingest", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(wire) });
    assert.equal(res.status, 200, await res.text());
    wireStored = true;
  }
  const rows = (await (await fetch(base + "/api/articles.csv")).text()).split("\r\n");
  const [articleId, id] = rows.find((r) => r.includes(wire.url)).split(",");
  const story = await (await fetch(base + "/api/stories/" + id)).json();
  const sentences = story.claims.flatMap((c) => c.members).filter((m) => m.article_id === articleId).sort((x, y) => x.sentence - y.sentence);
  assert.ok(sentences.length >= 2, `the wire report makes claims: ${JSON.stringify(story.claims)}`);
  const article = await (await fetch(base + "/api/articles/" + articleId)).json();
  return { id, article, sentences };
}

// Posts a revision of an article (same URL, changed text) as a client would.
async function ingestRevision(article, text) {
  const body = { url: article.url, title: article.title, text, outlet: article.outlet.name };
  if (article.published) body.published = article.published;
  const res = await fetch(base + "/api/ingest", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const answer = await res.text();
  assert.equal(res.status, 200, answer);
  assert.equal(JSON.parse(answer).revised, 1, answer);
}

test("since your last visit: a revisit shows only what changed after, corrections cited", async () => {
  const { page, problems } = await newPage();
  const { id, article, sentences } = await wireArticle();
  await page.goto(base + "/changes");
  const seen = Number(await page.locator("#changes").getAttribute("data-seen"));
  assert.ok(seen >= 3, `the corpus made changes (${seen})`);
  assert.ok((await page.locator("section.story-changes").count()) >= 2, "grouped by story");
  assert.ok((await page.locator("li.change a.cite[href^='/articles/']").count()) >= 1, "changes cite their articles");
  assert.equal(await page.evaluate(() => localStorage.getItem("dossier.seen")), String(seen), "the browser remembers the last change shown");
  assert.equal(await page.evaluate(() => window.__xss), undefined, "hostile text never runs here either");

  // A revised article: one claim sentence reworded.
  const before = sentences[0].text;
  const after = before.replace(" ", " newly ");
  await ingestRevision(article, article.text.replace(before, after));

  // The next visit goes on from where the last one ended: only the new changes.
  await page.goto(base + "/changes");
  await page.waitForURL(new RegExp(`since=${seen}$`));
  const seqs = await page.locator("li.change").evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  assert.ok(seqs.length >= 1 && seqs.every((n) => n > seen), `only changes after ${seen}: ${seqs}`);
  const fix = page.locator(`section.story-changes[data-story='${id}'] li.change.claim_corrected`).first();
  assert.equal(await fix.locator("del").innerText(), before);
  assert.equal(await fix.locator("ins").innerText(), after);
  assert.equal(await fix.locator("a.cite").getAttribute("href"), "/articles/" + article.id, "cited to the revised article");
  await page.screenshot({ path: join(shots, "changes.png"), fullPage: true });
  // Its claim link leads to the claim's row on the story page.
  const claim = (await fix.locator("a.claim").getAttribute("href")).split("#claim-")[1];
  await fix.locator("a.claim").click();
  await page.waitForURL(new RegExp(`/stories/${id}#claim-${claim}$`));
  assert.equal(await page.locator(":target").getAttribute("data-claim"), claim);
  assert.ok((await page.locator("#changes li.claim_corrected").count()) >= 1, "the story page's What changed section");

  // And once more: nothing new since.
  await page.goto(base + "/changes");
  await page.waitForURL(/since=\d+$/);
  assert.equal(await page.locator("li.change").count(), 0);
  assert.equal(await page.locator("p.nothing").count(), 1);
  assert.deepEqual(problems, []);
});

test("a watch made on the watches page alerts, and the alert leads to its claim", async () => {
  const { page, problems } = await newPage();
  const { id, article, sentences } = await wireArticle();
  await page.goto(base + "/watches");
  await page.selectOption("form.watch select[name=kind]", "story");
  await page.fill("form.watch input[name=target]", id);
  await page.fill("form.watch input[name=token]", token);
  await page.click("form.watch button");
  await page.waitForURL(/\/watches#watch-/);
  const watch = page.locator(":target");
  assert.match(await watch.locator(".title").innerText(), new RegExp(`story ${id}`));
  assert.equal(await watch.locator("li.alert").count(), 0, "no alerts before anything changes");

  // The story changes: a claim sentence of one of its articles is corrected.
  const last = sentences[sentences.length - 1].text;
  await ingestRevision(article, article.text.replace(last, last.replace(" ", " reportedly ")));
  let alerts = 0;
  for (let i = 0; i < 40 && alerts === 0; i++) {
    await page.waitForTimeout(250);
    await page.reload();
    alerts = await page.locator(":target li.alert a[href*='#claim-']").count();
  }
  assert.ok(alerts >= 1, "the watch alerted, with a claim to show");
  await page.screenshot({ path: join(shots, "watches.png"), fullPage: true });
  const alert = page.locator(":target li.alert a[href*='#claim-']").first();
  const claim = (await alert.getAttribute("href")).split("#claim-")[1];
  await alert.click();
  await page.waitForURL(new RegExp(`/stories/${id}#claim-${claim}$`));
  const row = page.locator(":target");
  assert.equal(await row.getAttribute("data-claim"), claim, "the alert's claim, as the page's target");
  assert.ok(await row.isVisible());
  await page.screenshot({ path: join(shots, "alert-claim.png") });

  // The form refuses a wrong token, saying why.
  await page.goto(base + "/watches");
  await page.fill("form.watch input[name=target]", "China");
  await page.fill("form.watch input[name=token]", "not-the-token");
  await page.click("form.watch button");
  await page.waitForLoadState("load");
  assert.match(await page.locator("main").innerText(), /not the ingest token/);
  assert.deepEqual(problems, []);
});

test("the actor pair page draws its charts, escapes what it shows and fits a phone", async () => {
  // A report whose outlet and sentence carry markup, naming both actors (stored through the API).
  const hostile = {
    url: "https://pair.example/2025/06/23/russia-china",
    title: "Russia and China sign a trade pact",
    text: "Russia called China a dependable partner <img src=x onerror=window.__xss=8> at the summit on Monday. The pact covers grain and gas.",
    outlet: "Pair <script>window.__xss=9</script> Daily",
  };
  const res = await fetch(base + "/api/ingest", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(hostile) });
  assert.equal(res.status, 200, await res.text());
  const pair = await (await fetch(base + "/api/pairs?a=Russia&b=China")).json();
  assert.ok(pair.sentences >= 3 && pair.outlets.length >= 2, JSON.stringify(pair).slice(0, 400));
  assert.ok(pair.outlets.some((o) => o.outlet === hostile.outlet), "the new report is counted");

  const { page, problems } = await newPage();
  await page.goto(base + "/pairs");
  await page.fill("input[name=a]", "Russia");
  await page.fill("input[name=b]", "China");
  await page.locator("form.search button").click();
  await page.waitForURL(/\/pairs\?a=Russia&b=China/);
  assert.match(await page.locator(".pair-summary").innerText(), new RegExp(`^${pair.sentences} sentence\\(s\\) in ${pair.articles} article\\(s\\)`));
  // The days chart: a bar per day, drawn with a height, up to the newest day (the sample corpus
  // and the new report are dated when stored: today; other tests' reports a year and more before).
  const bars = page.locator("figure.chart svg rect.bar");
  const newest = pair.days[pair.days.length - 1];
  assert.equal(await bars.last().locator("title").textContent(), `${newest.day}: ${newest.sentences}`);
  assert.ok((await bars.count()) >= 1 && (await bars.count()) <= 366);
  const tallest = Math.max(...(await bars.evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().height))));
  assert.ok(tallest > 10, `bars are drawn: ${tallest}px`);
  // One section per outlet; with the tone model, a line per actor in each, its dots titled.
  assert.equal(await page.locator("section.pair-outlet").count(), pair.outlets.length);
  if (pair.tone) {
    assert.equal(await page.locator(".tone-chart polyline.series").count(), 2 * pair.outlets.length);
    const dot = await page.locator(".tone-chart circle title").first().textContent();
    assert.match(dot, /towards (Russia|China) [+-]\d\.\d\d/);
  }
  // What came from outside is shown as text and never runs.
  const heading = page.locator("section.pair-outlet h2", { hasText: "Pair <script>" });
  assert.equal(await heading.innerText(), hostile.outlet);
  assert.ok((await page.locator("ul.pair-sentences").innerText()).includes("<img src=x onerror=window.__xss=8>"));
  await page.screenshot({ path: join(shots, "pairs.png"), fullPage: true });
  await page.goto(base + "/pairs?a=" + encodeURIComponent("<script>window.__xss=10</script>") + "&b=China");
  assert.equal(await page.locator("input[name=a]").inputValue(), "<script>window.__xss=10</script>");
  for (const url of [base + "/pairs?a=Russia&b=China", page.url()]) {
    await page.goto(url);
    assert.equal(await page.evaluate(() => window.__xss), undefined, `script ran on ${url}`);
    assert.equal(await page.locator("script").count(), 0, `a script element on ${url}`);
    assert.equal(await page.locator("[onerror], [onload]").count(), 0, `an event handler attribute on ${url}`);
  }

  // On a phone: nothing scrolls sideways, the form and the charts fit the screen.
  const phone = await newPage({ width: 390, height: 844 });
  await phone.page.goto(base + "/pairs?a=Russia&b=China");
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `/pairs overflows by ${overflow}px`);
  for (const sel of ["input[name=a]", "input[name=b]", "form.search button", "figure.chart svg"]) {
    const box = await phone.page.locator(sel).first().boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 10, `${sel} on screen: ${JSON.stringify(box)}`);
  }
  await phone.page.screenshot({ path: join(shots, "pairs-phone.png"), fullPage: true });
  assert.deepEqual([...problems, ...phone.problems], []);
});

// Drives Debian's Chromium through playwright-core against a moa server for crates/moa/tests/browser.rs.
// usage: node run.mjs BASE_URL SCREENSHOT_DIR
// Prints one line per check; exits 1 at the first failed one. Images from other hosts are answered with a
// local placeholder, so the page makes no request off this machine.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const executablePath = process.env.MOA_CHROMIUM || "/usr/bin/chromium";

function check(ok, what, detail = "") {
  if (!ok) {
    console.error(`FAIL ${what} ${detail}`);
    process.exit(1);
  }
  console.log(`ok ${what}`);
}

const PLACEHOLDER = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180"><defs><linearGradient id="g" x1="0" x2="1" y1="0" y2="1"><stop offset="0" stop-color="#8ab4f8"/><stop offset="1" stop-color="#188038"/></linearGradient></defs><rect width="320" height="180" fill="url(#g)"/></svg>`,
);

const browser = await chromium.launch({
  executablePath,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/// A page that records console errors, page errors and dialogs, and keeps every request on loopback.
async function open(options = {}) {
  const context = await browser.newContext({ locale: "ko-KR", ...options });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin === new URL(base).origin) return route.continue();
    if (route.request().resourceType() === "image") {
      return route.fulfill({ status: 200, contentType: "image/svg+xml", body: PLACEHOLDER });
    }
    problems.push(`request off the site: ${url}`);
    return route.abort();
  });
  return { context, page, problems };
}

const noHorizontalScroll = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

/// WCAG contrast of an element's text against the page background.
const contrasts = (page) =>
  page.evaluate(() => {
    const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = (c) => {
      const [r, g, b] = c.map((v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const bg = rgb(getComputedStyle(document.body).backgroundColor);
    const out = {};
    for (const sel of [".brand", ".tagline", ".meta", ".meta .company", ".title a", ".summary", ".tags a", ".sections a", "footer.site", ".pages a"]) {
      const el = document.querySelector(sel);
      if (!el) continue;
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)];
      out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }
    return out;
  });

function checkContrast(ratios, theme) {
  for (const [sel, ratio] of Object.entries(ratios)) {
    check(ratio >= 4.5, `${theme}: contrast of ${sel} is AA`, ratio.toFixed(2));
  }
}

// Home, light.
{
  const { context, page, problems } = await open({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  await page.goto(`${base}/`);
  check((await page.title()) === "기술 블로그 모음", "home title");
  const cards = page.locator("li.post");
  check((await cards.count()) === 20, "20 cards on the first page", await cards.count());
  check(await noHorizontalScroll(page), "no horizontal scroll at 1280 px");
  for (const landmark of ["header", "main", "footer", "nav", "form[role=search]"]) {
    check((await page.locator(landmark).count()) >= 1, `landmark ${landmark}`);
  }
  const thumbs = await page.locator("img.thumb").evaluateAll((imgs) =>
    imgs.map((i) => ({ alt: i.getAttribute("alt"), w: i.getAttribute("width"), h: i.getAttribute("height"), lazy: i.loading })),
  );
  check(thumbs.length > 0, "thumbnails shown", thumbs.length);
  check(thumbs.every((t) => t.alt !== null && t.w && t.h && t.lazy === "lazy"), "thumbnails: alt, size, lazy", JSON.stringify(thumbs[0]));
  const times = await page.locator("li.post time").evaluateAll((ts) => ts.map((t) => [t.dateTime, t.title]));
  check(times.every(([dt, title]) => dt.endsWith("+09:00") && /^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(title)), "KST dates on hover");
  checkContrast(await contrasts(page), "light");
  // The keyboard: the first Tab reaches the skip link, which leads to the content.
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement.className)) === "skip", "Tab reaches the skip link first");
  await page.keyboard.press("Enter");
  // The fragment navigation lands after the key press returns: wait for it (it once raced, in CI).
  const reached = await page.waitForURL(/#main$/, { timeout: 5000 }).then(() => true, () => false);
  check(reached, "the skip link leads to the content", page.url());
  await page.goto(`${base}/`);
  await page.screenshot({ path: join(shots, "home-light.png") });

  // Pagination.
  const firstLast = await page.locator("li.post time").last().getAttribute("datetime");
  await page.click("a[rel=next]");
  await page.waitForURL(/before=/);
  check((await cards.count()) > 0, "the next page has posts");
  const nextFirst = await page.locator("li.post time").first().getAttribute("datetime");
  check(nextFirst <= firstLast, "the next page continues older", `${nextFirst} > ${firstLast}`);
  check(await page.locator("text=← 최신 글").count() === 1, "a way back to the newest");

  // The company filter, as a form that works without JavaScript.
  await page.goto(`${base}/`);
  await page.selectOption("#company", "src1");
  await page.click("form.filter button[type=submit]");
  await page.waitForURL(/\/company\/src1/);
  const companies = await page.locator("li.post .company").evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute("href")))]);
  check(companies.length === 1 && companies[0] === "/company/src1", "filtered to one company", JSON.stringify(companies));
  check((await page.locator("h1.company").innerText()).startsWith(process.env.MOA_COMPANY1), "the company's header");

  // Dark mode: the toggle, remembered across loads in localStorage (no cookie).
  await page.goto(`${base}/`);
  const toggle = page.locator("#theme-toggle");
  check(await toggle.isVisible(), "the toggle shows once its script runs");
  check((await toggle.innerText()) === "어두운 화면", "the toggle offers dark");
  await toggle.click();
  check((await page.evaluate(() => document.documentElement.dataset.theme)) === "dark", "dark after the click");
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(dark === "rgb(20, 22, 26)", "dark background", dark);
  await page.reload();
  check((await page.evaluate(() => getComputedStyle(document.body).backgroundColor)) === "rgb(20, 22, 26)", "dark kept after a reload");
  check((await toggle.getAttribute("aria-pressed")) === "true" && (await toggle.innerText()) === "밝은 화면", "the toggle offers light");
  check((await context.cookies()).length === 0, "no cookie set");
  checkContrast(await contrasts(page), "dark");
  await page.screenshot({ path: join(shots, "home-dark.png") });
  await toggle.click();
  check((await page.evaluate(() => getComputedStyle(document.body).backgroundColor)) === "rgb(255, 255, 255)", "light again");

  // English.
  await page.goto(`${base}/?lang=en`);
  check((await page.title()) === "Korean Tech Blogs" && (await page.locator("html").getAttribute("lang")) === "en", "English on request");
  await page.click("text=Popular");
  check(page.url().endsWith("/popular?lang=en"), "English stays chosen");

  check(problems.length === 0, "no console errors, page errors or requests off the site (desktop)", problems.join("; "));
  await context.close();
}

// Without JavaScript: the pages, the pagination and the company filter still work; the toggle stays hidden.
{
  const { context, page, problems } = await open({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  await page.goto(`${base}/`);
  check((await page.locator("li.post").count()) === 20, "no JavaScript: 20 cards");
  check(!(await page.locator("#theme-toggle").isVisible()), "no JavaScript: no toggle that would do nothing");
  await page.click("a[rel=next]");
  await page.waitForURL(/before=/);
  check((await page.locator("li.post").count()) > 0, "no JavaScript: the next page");
  await page.goto(`${base}/`);
  await page.selectOption("#company", "src2");
  await page.click("form.filter button[type=submit]");
  await page.waitForURL(/\/company\/src2/);
  check((await page.locator("li.post").count()) > 0, "no JavaScript: the company filter");
  check(problems.length === 0, "no problems (no JavaScript)", problems.join("; "));
  await context.close();
}

// The system's dark setting, with no choice saved.
{
  const { context, page, problems } = await open({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
  await page.goto(`${base}/`);
  check((await page.evaluate(() => getComputedStyle(document.body).backgroundColor)) === "rgb(20, 22, 26)", "prefers-color-scheme: dark followed");
  check(problems.length === 0, "no problems (system dark)", problems.join("; "));
  await context.close();
}

// Phones: 375 px (and the 360 px floor), no horizontal scroll anywhere.
for (const width of [375, 360]) {
  const { context, page, problems } = await open({
    viewport: { width, height: 780 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    colorScheme: "light",
  });
  for (const path of ["/", "/company/src0", "/companies", "/popular", "/search?q=spring", "/tag/spring"]) {
    await page.goto(`${base}${path}`);
    check(await noHorizontalScroll(page), `no horizontal scroll at ${width} px: ${path}`);
  }
  await page.goto(`${base}/`);
  const box = await page.locator("li.post").first().boundingBox();
  check(box && box.width <= width, `cards fit ${width} px`, JSON.stringify(box));
  if (width === 375) await page.screenshot({ path: join(shots, "home-mobile.png") });
  check(problems.length === 0, `no problems at ${width} px`, problems.join("; "));
  await context.close();
}

// Search: matches marked in titles and snippets, the filters narrow the results and stay in the form.
{
  const { context, page, problems } = await open({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/`);
  await page.fill("#q", "스프링을");
  await page.press("#q", "Enter");
  await page.waitForURL(/\/search\?q=/);
  const marked = await page.locator("li.post b").count();
  check(marked > 0, "search results mark the matches", marked);
  const hits = await page.locator("li.post").count();
  await page.selectOption("#f-sort", "date");
  await page.locator("form.search-filters button[type=submit]").click();
  await page.waitForURL(/sort=date/);
  const times = await page.locator("li.post time").evaluateAll((ts) => ts.map((t) => t.dateTime));
  check(times.length === hits && times.every((t, i) => i === 0 || times[i - 1] >= t), "newest first keeps every hit", JSON.stringify(times));
  const company = await page.locator("li.post a.company").first().getAttribute("href");
  const id = company.split("/").pop().split("?")[0];
  await page.selectOption("#f-company", id);
  await page.locator("form.search-filters button[type=submit]").click();
  await page.waitForURL(new RegExp(`company=${id}`));
  const companies = await page.locator("li.post a.company").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  check(companies.length > 0 && companies.every((h) => h.startsWith(`/company/${id}`)), "the company filter narrows the results", JSON.stringify(companies));
  check((await page.locator("#f-company").inputValue()) === id, "the filter stays chosen");
  checkContrast(await contrasts(page), "search");
  await page.goto(`${base}/search?q=${encodeURIComponent("스프링")}`);
  await page.screenshot({ path: join(shots, "search.png") });
  check(problems.length === 0, "no problems on the search page", problems.join("; "));
  await context.close();
}

// A feed whose titles and summaries carry script: shown as text, nothing runs.
{
  const { context, page, problems } = await open({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    window.__pwned = undefined;
  });
  await page.goto(`${base}/company/src3`);
  await page.hover("li.post .summary");
  await page.waitForTimeout(300);
  check((await page.evaluate(() => window.__pwned)) === undefined, "no payload ran", await page.evaluate(() => String(window.__pwned)));
  const text = await page.locator("main").innerText();
  for (const payload of ['<script>window.__pwned = "title-script"</script>', "onerror=\"window.__pwned='title-onerror'\"", "<script>window.__pwned=\"summary-script\"</script>", "javascript: 링크"]) {
    check(text.includes(payload), `shown as text: ${payload}`);
  }
  const dom = await page.evaluate(() => ({
    scripts: [...document.scripts].map((s) => s.getAttribute("src")),
    handlers: [...document.querySelectorAll("*")].flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith("on")).map((a) => a.name)),
    jsLinks: [...document.querySelectorAll("[href],[src]")].filter((e) => /^\s*javascript:/i.test(e.getAttribute("href") || e.getAttribute("src"))).length,
    injected: document.querySelectorAll("main iframe, main svg, main script, main style, main img:not(.thumb)").length,
  }));
  check(JSON.stringify(dom.scripts) === '["/static/theme.js"]', "only moa's own script", JSON.stringify(dom.scripts));
  check(dom.handlers.length === 0, "no event-handler attributes", dom.handlers.join(","));
  check(dom.jsLinks === 0, "no javascript: links");
  check(dom.injected === 0, "no injected elements");
  check(problems.length === 0, "no problems (hostile feed)", problems.join("; "));
  await context.close();
}

// The curator: sign in, scrap two posts from their cards, write commentary (the preview follows),
// reorder, download the month's post (the Rust test compares it with the CLI's render).
if (process.env.MOA_CURATOR_PASSWORD) {
  const { context, page, problems } = await open({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/curate`);
  check(page.url().endsWith("/login"), "curation needs signing in");
  await page.fill("#name", "kim");
  await page.fill("#password", process.env.MOA_CURATOR_PASSWORD);
  await page.click("form.login button[type=submit]");
  await page.waitForURL(/\/curate\/\d{4}-\d\d/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "moa_session");
  check(session && session.httpOnly && session.sameSite === "Lax", "an HttpOnly, SameSite session cookie", JSON.stringify(session));
  const titles = [];
  for (const i of [0, 1]) {
    await page.goto(`${base}/`);
    const card = page.locator("li.post").nth(i);
    titles.push(await card.locator("h2.title").innerText());
    await card.locator("form.scrap-post button").click();
    await page.waitForURL(/\/curate\/\d{4}-\d\d#scrap-/);
  }
  check((await page.locator("li.scrap").count()) === 2, "two scraps on the month's page");
  const first = page.locator("li.scrap").first();
  await first.locator("textarea").fill("브라우저에서 쓴 코멘트\n둘째 줄\n\n- 요점 `코드`");
  await page.waitForFunction(() => document.getElementById("preview").textContent.includes("브라우저에서 쓴 코멘트"));
  check(true, "the preview follows the commentary before it is saved");
  await first.locator("form.edit button[type=submit]").click();
  await page.waitForLoadState("load");
  check((await page.locator("#preview").innerText()).includes("- 요점 `코드`"), "the commentary is saved");
  await page.locator("li.scrap").nth(1).locator("button[aria-label^='위로']").click();
  await page.waitForLoadState("load");
  const order = await page.locator("li.scrap input[name=title]").evaluateAll((is) => is.map((i) => i.value));
  check(JSON.stringify(order) === JSON.stringify([titles[1], titles[0]]), "reordered", JSON.stringify(order));
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, "curate.png"), fullPage: false });
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  check(/^\d{4}-\d\d\.md$/.test(download.suggestedFilename()), "the download is named for its month", download.suggestedFilename());
  await download.saveAs(join(shots, "download.md"));
  check(problems.length === 0, "no problems (curator)", problems.join("; "));
  await context.close();
}

await browser.close();
console.log("browser checks passed");

// The operator's console in Debian's Chromium, for crates/moa/tests/browser.rs.
// usage: node console.mjs BASE_URL SCREENSHOT_DIR BLOG_HOMEPAGE
// Signs in as an operator, adds a blog by its homepage, checks the preview, saves, refreshes, and finds
// its posts on the home page and its state on the health page, at 1280 and at 375 px; deleting the blog
// with its posts asks first.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, shots, homepage] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
function check(ok, what, detail = "") {
  if (!ok) {
    console.error(`FAIL ${what} ${detail}`);
    process.exit(1);
  }
  console.log(`ok ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.MOA_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
});
const context = await browser.newContext({ locale: "ko-KR", viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const problems = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (url.origin === new URL(base).origin) return route.continue();
  if (route.request().resourceType() === "image") return route.fulfill({ status: 204, body: "" });
  problems.push(`request off the site: ${url}`);
  return route.abort();
});

await page.goto(`${base}/admin/sources/new`);
check(page.url().endsWith("/login"), "the console needs signing in");
await page.fill("#name", "boss");
await page.fill("#password", process.env.MOA_OPERATOR_PASSWORD);
await page.click("form.login button[type=submit]");
// An operator lands on the console; it is also found from the curation page, and adding a blog from its
// navigation.
await page.waitForURL(/\/admin\/sources$/);
await page.goto(`${base}/curate`);
await page.waitForURL(/\/curate\/\d{4}-\d\d/);
await page.click("a.console-link");
await page.waitForURL(/\/admin\/sources$/);
await page.click('nav.admin-nav a[href^="/admin/sources/new"]');
await page.waitForURL(/\/admin\/sources\/new$/);
await page.fill("form.discover #url", homepage);
await page.click("form.discover button[type=submit]");
await page.waitForSelector("section.source-preview");
const previewTitles = await page.locator(".preview-posts .title").allTextContents();
check(previewTitles.length === 3 && previewTitles[0].includes("콘솔 블로그 글 3"), "the preview shows the posts, newest first", JSON.stringify(previewTitles));
check((await page.inputValue("form.save-source #feed_url")).endsWith("/feed.xml"), "the advertised feed is found");
await page.fill("form.save-source #id", "console-blog");
await page.fill("form.save-source #name_ko", "콘솔 블로그");
await page.screenshot({ path: join(shots, "console-add.png") });
await page.click("form.save-source button[type=submit]");
await page.waitForURL(/\/admin\/sources\?done=/);
check((await page.textContent("p.notice")).includes("console-blog"), "saved");
const row = page.locator('tr[data-source="console-blog"]');
check((await row.count()) === 1, "the new blog has a row on the health page");
await row.locator("button").click();
await page.waitForURL(/done=refresh/);
// Its posts reach the home page once the crawl this server started has stored them.
let found = false;
for (let i = 0; i < 50 && !found; i++) {
  await page.goto(`${base}/`);
  found = (await page.locator("ol.posts .title", { hasText: "콘솔 블로그 글 3" }).count()) === 1;
  if (!found) await page.waitForTimeout(200);
}
check(found, "its posts are on the home page");
await page.goto(`${base}/admin/sources?state=ok`);
const state = await page.locator('tr[data-source="console-blog"] td.state').textContent();
check(state.trim() === "정상", "its state on the health page is ok", state);
const mean = await page.locator('tr[data-source="console-blog"] td.num').nth(1).textContent();
check(/\d+ ms/.test(mean), "the mean fetch time is shown", mean);
await page.screenshot({ path: join(shots, "console-health.png"), fullPage: true });
// At 1280 px the table takes the width, and no button wraps.
const tableWidth = (await page.locator("table.health").boundingBox()).width;
check(tableWidth > 1100, "the health table uses the width", `${tableWidth}px`);
const refresh = await page.locator('tr[data-source="console-blog"] td.refresh button').boundingBox();
check(refresh.height < 40, "'지금 새로 고침' stays on one line", `${refresh.height}px`);
// At 375 px each blog is a card: labelled values, nothing wider than the screen.
await page.setViewportSize({ width: 375, height: 800 });
await page.goto(`${base}/admin/sources`);
const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
check(overflow <= 375, "nothing is wider than a 375 px screen", `${overflow}px`);
const card = page.locator('tr[data-source="console-blog"]');
const cardBox = await card.boundingBox();
check(cardBox.width <= 360 && cardBox.height > 100, "a blog is a card on a phone", JSON.stringify(cardBox));
const label = await card.locator("td.state").evaluate((td) => getComputedStyle(td, "::before").content);
check(label.includes("상태"), "each value is labelled", label);
const phoneRefresh = await card.locator("td.refresh button").boundingBox();
check(phoneRefresh.height < 40 && phoneRefresh.x + phoneRefresh.width <= 375, "the refresh button fits", JSON.stringify(phoneRefresh));
await page.screenshot({ path: join(shots, "console-health-375.png"), fullPage: true });
// Deleting a blog with its posts asks first; cancelling keeps everything.
await page.setViewportSize({ width: 1280, height: 900 });
await page.goto(`${base}/admin/sources/console-blog`);
await page.check('.source-actions input[name="with_posts"]');
await page.click(".source-actions button.danger");
await page.waitForSelector("p.confirm");
check((await page.textContent("p.confirm")).includes("글 3개를 지울까요?"), "deleting posts asks first");
await page.screenshot({ path: join(shots, "console-confirm-delete.png") });
await page.click(`a[href="/admin/sources/console-blog"]`);
await page.waitForURL(/\/admin\/sources\/console-blog$/);
check(problems.length === 0, "no console errors or off-site requests", problems.join("; "));
await browser.close();
console.log("console checks passed");

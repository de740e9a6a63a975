// THE SHOWCASE: the seeds' walkthrough (SPEC steps 1 to 10) in Chromium, as
// a person does it: get an ID on the ID service and verify the address
// from the mail, close the browser; open CustomerSource on the business
// site, sign in on the page titled "Sign in to CustomerSource", Account
// Association, type the address the company has on file, "E-mail sent",
// open the association message and click its link, confirm, type the
// password again, the success message, the portal, Sign Out.
//
// Every step is screenshot into tests/out/walkthrough/NN-step.png (desktop
// 1280x900; a few again at 390x844) and checked with axe-core (a serious
// or critical violation fails). The walkthrough's time is printed.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const L = require('../integration/lib.js');
const B = require('../integration/biz-lib.js');

const OUT = path.join(L.ROOT, 'tests', 'out', 'walkthrough');
const AXE = require.resolve('axe-core/axe.min.js');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let srv;
let browser;
let shot = 0;
let checkMs = 0;
let startedAt = 0;
const laps = [];

test.before(async () => {
	fs.mkdirSync(OUT, { recursive: true });
	for (const f of fs.readdirSync(OUT))
		if (f.endsWith('.png'))
			fs.rmSync(path.join(OUT, f));
	// The business site on "localhost", the ID service on 127.0.0.1:
	// two host names, two cookie jars, as `make run` has it.
	srv = await B.startBiz({ bizHost: 'localhost' });
	browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--no-first-run', '--disable-background-networking',
		    '--disable-component-update', '--disable-sync'],
	});
});

test.after(async () => {
	if (browser)
		await browser.close();
	if (srv)
		await srv.stop();
});

async function newContext() {
	const ctx = await browser.newContext({ viewport: DESKTOP,
	    bypassCSP: true });
	ctx.setDefaultTimeout(15000 * L.SLOW);
	return ctx;
}

// Runs axe-core on the page; fails on a serious or critical violation.
async function axe(page, name) {
	await page.addScriptTag({ path: AXE });
	const res = await page.evaluate(async () =>
	    // eslint-disable-next-line no-undef
	    axe.run(document, { resultTypes: ['violations'] }));
	assert.ok(Array.isArray(res.violations), 'axe ran');
	const bad = res.violations.filter((v) => v.impact === 'serious' ||
	    v.impact === 'critical');
	for (const v of res.violations.filter((x) => !bad.includes(x)))
		console.log(`axe (${v.impact}) on ${name}: ${v.id}: ` +
		    `${v.help} (${v.nodes.length} node(s))`);
	if (bad.length) {
		const text = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n` +
		    v.nodes.map((n) => `    ${n.target.join(' ')}: ` +
		    `${n.failureSummary.replace(/\n/g, ' ')}`).join('\n'))
		    .join('\n');
		assert.fail(`axe: ${bad.length} serious/critical violation(s) ` +
		    `on ${name} (${page.url()}):\n${text}`);
	}
}

// Screenshots the page as NN-name.png (and NN-name-phone.png at 390x844
// when phone) and runs axe-core on it.
async function check(page, name, opts = {}) {
	const t0 = Date.now();
	if (startedAt)
		laps.push(`${name} ${((t0 - startedAt - checkMs) / 1000)
		    .toFixed(1)}s`);
	shot++;
	const nn = String(shot).padStart(2, '0');
	await page.screenshot({ path: path.join(OUT, `${nn}-${name}.png`),
	    fullPage: true });
	await axe(page, name);
	if (opts.phone) {
		await page.setViewportSize(PHONE);
		await page.screenshot({ path: path.join(OUT,
		    `${nn}-${name}-phone.png`), fullPage: true });
		await axe(page, `${name} (phone)`);
		await page.setViewportSize(DESKTOP);
	}
	checkMs += Date.now() - t0;
}

async function h1(page) {
	return (await page.locator('h1').first().innerText()).trim();
}

async function click(page, name) {
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.getByRole('button', { name, exact: true }).first().click(),
	]);
}

// Shows a mail's HTML part in a tab, as a mail client would, and clicks
// its first link to href.
async function openMailAndClick(ctx, msg, href, name) {
	const page = await ctx.newPage();
	await page.setContent(msg.html, { waitUntil: 'load' });
	await check(page, name);
	const link = page.locator(`a[href="${href}"]`).first();
	assert.equal(await link.count(), 1, `the mail has a link to ${href}`);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		link.click(),
	]);
	return page;
}

test('the walkthrough in Chromium, steps 1 to 10', async () => {
	const email = L.uniqueEmail('showcase');
	const password = L.genPassword();
	const company = 'Northwind Traders';
	const profileName = 'Dana Whitfield';
	// The company's address for the person differs from the ID's.
	const workAddr = L.uniqueEmail('dana.whitfield');
	await B.addProfile(srv, { email: workAddr, name: profileName,
	    company, type: 'customer' });
	const t0 = Date.now();
	startedAt = t0;

	// Step 1: Get an ID.
	let ctx = await newContext();
	let page = await ctx.newPage();
	await page.goto(`${srv.url}/signup`);
	assert.equal(await h1(page), 'Get an ID');
	await check(page, 'get-an-id', { phone: true });
	await page.getByLabel('E-mail address:', { exact: true }).fill(email);
	await page.getByLabel('Password:', { exact: true }).fill(password);
	await page.getByLabel('Type the password again:', { exact: true })
	    .fill(password);
	await click(page, 'Get an ID');
	assert.equal(await h1(page), 'Check your inbox');
	await check(page, 'check-your-inbox');
	// The verification message.
	const { link: verify, msg: vmsg } = await srv.waitLink(email,
	    '/verify?token=');
	page = await openMailAndClick(ctx, vmsg, verify, 'verification-mail');
	await check(page, 'verify');
	await page.locator('form[method="post"] button').last().click();
	await page.waitForLoadState('load');
	assert.doesNotMatch(await page.locator('body').innerText(),
	    /invalid|expired/i);
	await check(page, 'verified');
	assert.equal((await srv.user(email)).verified, true);
	// "Complete the creation of a Windows Live ID, and then close the
	// browser window."
	await ctx.close();

	// Step 2: go to CustomerSource.
	ctx = await newContext();
	page = await ctx.newPage();
	await page.goto(`${srv.biz}/`);
	assert.equal(await h1(page), 'Business Solutions Home');
	await check(page, 'business-home', { phone: true });
	await Promise.all([
		page.waitForURL((u) => u.pathname === '/signin'),
		page.locator('main a[href="/customersource"]').first().click(),
	]);

	// Step 3: sign in.
	assert.equal(new URL(page.url()).origin, srv.url);
	assert.equal(await h1(page), 'Sign in to CustomerSource');
	await check(page, 'sign-in-to-customersource', { phone: true });
	await page.getByLabel('E-mail address:', { exact: true }).fill(email);
	await page.getByLabel('Password:', { exact: true }).fill(password);
	await page.getByLabel('Always ask for my e-mail address and password',
	    { exact: true }).check();
	await click(page, 'Sign in');
	await page.waitForURL((u) => u.pathname ===
	    '/customersource/associate');

	// Step 4: Account Association.
	assert.equal(new URL(page.url()).origin, srv.biz);
	assert.equal(await h1(page), 'Account Association');
	await check(page, 'account-association', { phone: true });
	await page.getByLabel('E-mail address:', { exact: true })
	    .fill(workAddr);
	const before = B.mailFiles(srv);
	await click(page, 'Continue');

	// Step 5: E-mail sent.
	assert.equal(await h1(page), 'E-mail sent');
	assert.ok((await page.locator('main').innerText()).includes(workAddr));
	await check(page, 'email-sent', { phone: true });

	// Steps 6 and 7: the message; click its link.
	const [m] = await B.waitAssoc(srv, workAddr, 1, before);
	assert.ok(m.msg.text.includes(profileName));
	page = await openMailAndClick(ctx, m.msg, m.link, 'association-mail');
	assert.equal(await h1(page), 'Confirm the association');
	const facts = await page.locator('main').innerText();
	assert.ok(facts.includes(profileName) && facts.includes(company));
	await check(page, 'confirm-the-association', { phone: true });

	// Step 8: confirm; the ID service asks for the password again.
	await click(page, 'Confirm');
	await page.waitForURL((u) => u.pathname === '/signin');
	assert.equal(await h1(page), 'Sign in to CustomerSource');
	await check(page, 'sign-in-again');
	const emailBox = page.getByLabel('E-mail address:', { exact: true });
	if ((await emailBox.inputValue()) !== email)
		await emailBox.fill(email);
	await page.getByLabel('Password:', { exact: true }).fill(password);
	await click(page, 'Sign in');
	await page.waitForURL((u) => u.origin === srv.biz);

	// Step 9: success.
	assert.equal(await h1(page), 'Association complete');
	assert.match(await page.locator('main').innerText(), new RegExp(
	    'You have successfully associated your onepass ID with your ' +
	    `Example Business Solutions profile ${profileName}\\.`));
	await check(page, 'association-complete', { phone: true });

	// Step 10: the portal.
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.getByRole('link', { name: 'Go to CustomerSource' }).click(),
	]);
	assert.equal(new URL(page.url()).pathname, '/customersource');
	assert.equal(await h1(page), `Welcome, ${profileName}`);
	await check(page, 'customersource', { phone: true });
	await click(page, 'Sign Out');
	await page.waitForURL((u) => u.origin === srv.biz &&
	    u.pathname === '/');
	assert.equal(await h1(page), 'Business Solutions Home');
	assert.equal(await page.getByRole('button', { name: 'Sign Out' })
	    .count(), 0, 'still signed in after Sign Out');
	await check(page, 'signed-out');
	const total = Date.now() - t0;

	// Signed out of the ID service too.
	await page.goto(`${srv.url}/account`);
	assert.equal(new URL(page.url()).pathname, '/signin');
	await ctx.close();
	console.log(`walkthrough time: ${(total / 1000).toFixed(1)} s in ` +
	    `all, ${((total - checkMs) / 1000).toFixed(1)} s without the ` +
	    `screenshots and axe-core (${shot} steps)`);
	console.log(`reached (without the checks): ${laps.join(', ')}`);
});

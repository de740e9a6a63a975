// A relying party (tests/browser/rp/app.js, Express + openid-client)
// registered as a third-party client, and Chromium going through it:
// RP /login -> "Sign in to <client name>" -> consent -> Allow -> the RP
// shows the person -> RP logout -> back at the RP, signed out at the
// provider too. Each step is screenshot into tests/out/oidc/; the
// sign-in and consent pages are checked with axe-core.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const L = require('../integration/lib.js');
const O = require('../integration/oidc-lib.js');
const { startRp } = require('./rp/app.js');

const OUT = path.join(L.ROOT, 'tests', 'out', 'oidc');
const AXE = require.resolve('axe-core/axe.min.js');
const RP_NAME = 'Example Partner Site';

let srv;
let rp;
let client;
let browser;
let person;
let shot = 0;

test.before(async () => {
	fs.mkdirSync(OUT, { recursive: true });
	for (const f of fs.readdirSync(OUT))
		if (f.endsWith('.png'))
			fs.rmSync(path.join(OUT, f));
	srv = await L.startServer();
	const port = await L.freePort();
	client = await O.addClient(srv, { name: RP_NAME,
	    redirectUris: [`http://127.0.0.1:${port}/cb`],
	    postLogout: [`http://127.0.0.1:${port}/bye`] });
	rp = await startRp({ issuer: srv.publicUrl, port,
	    clientId: client.client_id, clientSecret: client.client_secret });
	person = await O.newPerson(srv, 'rp-browser');
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
	if (rp)
		await rp.close();
	if (srv)
		await srv.stop();
});

async function screenshot(page, name) {
	shot++;
	const file = path.join(OUT,
	    `${String(shot).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

// axe-core on the page: no serious or critical violation.
async function axe(page, name) {
	await page.addScriptTag({ path: AXE });
	const res = await page.evaluate(async () =>
	    // eslint-disable-next-line no-undef
	    axe.run(document, { resultTypes: ['violations'] }));
	assert.ok(Array.isArray(res.violations), 'axe ran');
	const bad = res.violations.filter((v) => v.impact === 'serious' ||
	    v.impact === 'critical');
	for (const v of res.violations.filter((x) => !bad.includes(x)))
		console.log(`axe (${v.impact}) on ${name}: ${v.id}: ${v.help}`);
	assert.equal(bad.length, 0, `axe on ${name}:\n` + bad.map((v) =>
	    `${v.impact} ${v.id}: ${v.help}: ` + v.nodes.map((n) =>
	    n.target.join(' ')).join(', ')).join('\n'));
}

async function h1(page) {
	return (await page.locator('h1').first().innerText()).trim();
}

async function click(page, name) {
	await Promise.all([
		page.waitForNavigation(),
		page.getByRole('button', { name, exact: true }).click(),
	]);
}

test('RP sign-in through onepass with consent, then RP logout', async () => {
	// bypassCSP: the provider's CSP forbids scripts, and axe is one.
	const ctx = await browser.newContext({ bypassCSP: true,
	    viewport: { width: 1280, height: 800 } });
	ctx.setDefaultTimeout(15000 * L.SLOW);
	const page = await ctx.newPage();

	await page.goto(`${rp.url}/`);
	assert.equal(await h1(page), 'Example RP');
	await screenshot(page, 'rp-home');

	await Promise.all([page.waitForURL(`${srv.url}/signin**`),
	    page.getByRole('link', { name: 'Sign in with onepass ID' })
	    .click()]);
	assert.equal(await h1(page), `Sign in to ${RP_NAME}`);
	assert.match(await page.title(), /Sign in/);
	await screenshot(page, 'signin');
	await axe(page, 'sign-in page');

	await page.getByLabel('E-mail address:', { exact: true })
	    .fill(person.email);
	await page.getByLabel('Password:', { exact: true })
	    .fill(person.password);
	await page.getByLabel('Always ask for my e-mail address and password',
	    { exact: true }).check();
	await click(page, 'Sign in');
	assert.equal(await h1(page), `Allow ${RP_NAME} to use your ID?`);
	assert.equal(new URL(page.url()).origin, srv.url);
	const consentText = await page.locator('main').innerText();
	assert.match(consentText, /e-mail address/);
	await screenshot(page, 'consent');
	await axe(page, 'consent page');

	await Promise.all([page.waitForURL(`${rp.url}/me`),
	    page.getByRole('button', { name: 'Allow', exact: true })
	    .click()]);
	const title = await h1(page);
	const sub = (await page.locator('#sub').innerText()).trim();
	assert.equal(title, `Hello ${sub}`);
	assert.ok(sub.length > 0 && !sub.includes('@'));
	assert.equal((await page.locator('#email').innerText()).trim(),
	    person.email.toLowerCase());
	await screenshot(page, 'rp-signed-in');

	await Promise.all([page.waitForURL(`${rp.url}/bye**`),
	    page.getByRole('link', { name: 'Sign out' }).click()]);
	assert.equal(await h1(page), 'You are signed out',
	    'the RP did not get its state back');
	await screenshot(page, 'rp-signed-out');

	// Signed out at the provider too: its session cookie is gone and
	// the next RP sign-in shows the password page again.
	const cookies = await ctx.cookies(srv.url);
	assert.ok(!cookies.some((c) => c.name === 'op_session' && c.value),
	    'the provider session cookie survived');
	await Promise.all([page.waitForURL(`${srv.url}/signin**`),
	    page.getByRole('link', { name: 'Sign in again' }).click()]);
	assert.equal(await h1(page), `Sign in to ${RP_NAME}`);
	await screenshot(page, 'signin-again');
	await ctx.close();
});

test('"Don\'t allow" on the consent page: the RP gets access_denied',
    async () => {
	const ctx = await browser.newContext({ bypassCSP: true,
	    viewport: { width: 390, height: 844 } });
	ctx.setDefaultTimeout(15000 * L.SLOW);
	const page = await ctx.newPage();
	const other = await O.newPerson(srv, 'rp-deny');
	await page.goto(`${rp.url}/login`);
	await page.getByLabel('E-mail address:', { exact: true })
	    .fill(other.email);
	await page.getByLabel('Password:', { exact: true })
	    .fill(other.password);
	await click(page, 'Sign in');
	assert.equal(await h1(page), `Allow ${RP_NAME} to use your ID?`);
	await screenshot(page, 'consent-phone');
	await axe(page, 'consent page (phone)');
	await Promise.all([page.waitForURL(`${rp.url}/cb**`),
	    page.getByRole('button', { name: 'Don\'t allow', exact: true })
	    .click()]);
	assert.equal(await h1(page), 'Sign-in failed');
	assert.match(await page.getByRole('alert').innerText(),
	    /^access_denied:/);
	await screenshot(page, 'rp-denied');
	await ctx.close();
});

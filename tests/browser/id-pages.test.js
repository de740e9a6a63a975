// The ID service's pages in Chromium (playwright-core): sign up, verify,
// sign out, sign in with each save choice and what survives reopening the
// browser, forgot password, change password. Every page is screenshot into
// tests/out/browser/ and checked with axe-core (serious or critical
// violations fail). One test also runs with the CSP enforced.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const L = require('../integration/lib.js');

const OUT = path.join(L.ROOT, 'tests', 'out', 'browser');
const AXE = require.resolve('axe-core/axe.min.js');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let srv;
let browser;
let shot = 0;
const email = L.uniqueEmail('browser');
let password = L.genPassword();

test.before(async () => {
	fs.mkdirSync(OUT, { recursive: true });
	for (const f of fs.readdirSync(OUT))
		if (f.endsWith('.png'))
			fs.rmSync(path.join(OUT, f));
	srv = await L.startServer();
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

async function newContext(opts = {}) {
	const ctx = await browser.newContext({ viewport: DESKTOP,
	    bypassCSP: true, ...opts });
	ctx.setDefaultTimeout(10000 * L.SLOW);
	return ctx;
}

// "Closes and reopens the browser": a new context with the cookies of ctx
// that outlive the browser (those with an expiry).
async function reopen(ctx) {
	const state = await ctx.storageState();
	state.cookies = state.cookies.filter((c) => c.expires !== -1);
	await ctx.close();
	return newContext({ storageState: state });
}

// Screenshots the page as NN-name.png and runs axe-core on it; fails on a
// serious or critical violation.
async function check(page, name) {
	shot++;
	const file = path.join(OUT,
	    `${String(shot).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	await page.addScriptTag({ path: AXE });
	const res = await page.evaluate(async () =>
	    // eslint-disable-next-line no-undef
	    axe.run(document, { resultTypes: ['violations'] }));
	assert.ok(Array.isArray(res.violations), 'axe ran');
	const bad = res.violations.filter((v) => v.impact === 'serious' ||
	    v.impact === 'critical');
	for (const v of res.violations.filter((x) => !bad.includes(x)))
		console.log(`# axe (${v.impact}) on ${name}: ${v.id}: ` +
		    `${v.help} (${v.nodes.length} node(s))`);
	if (bad.length) {
		const text = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n` +
		    v.nodes.map((n) => `    ${n.target.join(' ')}: ` +
		    `${n.failureSummary.replace(/\n/g, ' ')}`).join('\n'))
		    .join('\n');
		console.log(`# axe on ${name} (${page.url()}):\n${text}`);
		assert.fail(`axe: ${bad.length} serious/critical violation(s) ` +
		    `on ${name}:\n${text}`);
	}
}

async function h1(page) {
	return (await page.locator('h1').first().innerText()).trim();
}

async function submit(page, button) {
	await page.getByRole('button', { name: button, exact: true }).click();
	await page.waitForLoadState('load');
}

async function signInWith(page, save, returnTo = '') {
	await page.goto(`${srv.url}/signin${returnTo}`);
	await page.getByLabel('E-mail address:', { exact: true }).fill(email);
	await page.getByLabel('Password:', { exact: true }).fill(password);
	const label = {
		password: 'Save my e-mail address and password',
		email: 'Save my e-mail address',
		never: 'Always ask for my e-mail address and password',
	}[save];
	await page.getByLabel(label, { exact: true }).check();
	await submit(page, 'Sign in');
}

async function signedIn(page) {
	const r = await page.goto(`${srv.url}/account`);
	return new URL(page.url()).pathname === '/account' && r.status() === 200;
}



test('sign up in the browser', async () => {
	const ctx = await newContext();
	const page = await ctx.newPage();
	await page.goto(`${srv.url}/signup`);
	assert.equal(await h1(page), 'Get an ID');
	await check(page, 'signup');
	await page.getByLabel('E-mail address:', { exact: true }).fill(email);
	await page.getByLabel('Password:', { exact: true }).fill('short');
	await page.getByLabel('Type the password again:', { exact: true })
	    .fill('short');
	// The browser's own minlength check may stop a short password; the
	// server must refuse it in any case.
	await page.locator('form[action="/signup"]').evaluate((f) => {
		f.noValidate = true;
	});
	await submit(page, 'Get an ID');
	assert.equal(await h1(page), 'Get an ID');
	assert.ok((await page.getByRole('alert').innerText()).length > 0);
	await check(page, 'signup-error');
	await page.getByLabel('Password:', { exact: true }).fill(password);
	await page.getByLabel('Type the password again:', { exact: true })
	    .fill(password);
	await submit(page, 'Get an ID');
	assert.equal(await h1(page), 'Check your inbox');
	await check(page, 'signup-done');
	await ctx.close();
});

test('open the verification link from the mail and confirm', async () => {
	const { link } = await srv.waitLink(email, '/verify?token=');
	const ctx = await newContext();
	const page = await ctx.newPage();
	await page.goto(link);
	await check(page, 'verify');
	assert.equal((await srv.user(email)).verified, false,
	    'opening the link verifies nothing');
	await page.locator('form[method="post"] button, form[method="post"] ' +
	    'input[type="submit"]').last().click();
	await page.waitForLoadState('load');
	await check(page, 'verify-done');
	assert.doesNotMatch(await page.locator('body').innerText(),
	    /invalid|expired/i);
	assert.equal((await srv.user(email)).verified, true);
	await ctx.close();
});

test('sign in, see Account Services, sign out from the header', async () => {
	const ctx = await newContext();
	const page = await ctx.newPage();
	await page.goto(`${srv.url}/signin`);
	assert.equal(await h1(page), 'Sign in to onepass ID');
	await check(page, 'signin');
	await signInWith(page, 'never');
	assert.equal(new URL(page.url()).pathname, '/account');
	assert.equal(await h1(page), 'Account Services');
	await check(page, 'account');
	await page.getByRole('button', { name: 'Sign out', exact: true })
	    .first().click();
	await page.waitForLoadState('load');
	await check(page, 'signed-out');
	assert.equal(await signedIn(page), false);
	assert.equal(new URL(page.url()).pathname, '/signin');
	await ctx.close();
});

test('a wrong password shows an accessible error', async () => {
	const ctx = await newContext();
	const page = await ctx.newPage();
	await page.goto(`${srv.url}/signin`);
	await page.getByLabel('E-mail address:', { exact: true }).fill(email);
	await page.getByLabel('Password:', { exact: true })
	    .fill('wrong-' + L.genPassword());
	await submit(page, 'Sign in');
	assert.ok((await page.getByRole('alert').innerText()).trim().length > 0);
	await check(page, 'signin-error');
	await ctx.close();
});

test('"Save my e-mail address and password" survives reopening the ' +
    'browser', async () => {
	let ctx = await newContext();
	let page = await ctx.newPage();
	await signInWith(page, 'password');
	assert.equal(await signedIn(page), true);
	ctx = await reopen(ctx);
	page = await ctx.newPage();
	assert.equal(await signedIn(page), true, 'still signed in');
	await check(page, 'account-after-reopen');
	await ctx.close();
});

test('"Save my e-mail address": signed out after reopening, the address ' +
    'filled in', async () => {
	let ctx = await newContext();
	let page = await ctx.newPage();
	await signInWith(page, 'email');
	assert.equal(await signedIn(page), true);
	ctx = await reopen(ctx);
	page = await ctx.newPage();
	assert.equal(await signedIn(page), false, 'the session ended');
	await page.goto(`${srv.url}/signin`);
	assert.equal(await page.getByLabel('E-mail address:', { exact: true })
	    .inputValue(), email);
	assert.equal(await page.getByLabel('Save my e-mail address',
	    { exact: true }).isChecked(), true);
	await check(page, 'signin-remembered');
	// "Always ask" now forgets it.
	await signInWith(page, 'never');
	assert.equal(await signedIn(page), true);
	ctx = await reopen(ctx);
	page = await ctx.newPage();
	assert.equal(await signedIn(page), false, 'the session ended');
	await page.goto(`${srv.url}/signin`);
	assert.equal(await page.getByLabel('E-mail address:', { exact: true })
	    .inputValue(), '', 'the address is forgotten');
	await ctx.close();
});

test('forgot password end to end', async () => {
	const ctx = await newContext();
	const page = await ctx.newPage();
	await page.goto(`${srv.url}/signin`);
	await page.getByRole('link', { name: 'Forgot your password?' }).click();
	await page.waitForLoadState('load');
	assert.equal(await h1(page), 'Forgot your password?');
	await check(page, 'forgot');
	const before = srv.linksNow(email, '/password/reset?token=');
	await page.getByLabel(/e-mail address/i).fill(email);
	await submit(page, 'Send reset link');
	assert.ok((await page.locator('body').innerText()).includes(
	    'If an ID exists for that address, we have sent it a link'));
	await check(page, 'forgot-sent');
	const { link } = await srv.waitLink(email, '/password/reset?token=',
	    before);
	await page.goto(link);
	await check(page, 'reset');
	password = L.genPassword();
	await page.locator('input[name="password"]').fill(password);
	await page.locator('input[name="password2"]').fill(password);
	await page.locator('form[method="post"] button[type="submit"], ' +
	    'form[method="post"] input[type="submit"]').last().click();
	await page.waitForLoadState('load');
	await check(page, 'reset-done');
	assert.doesNotMatch(await page.locator('body').innerText(),
	    /invalid|expired/i);
	await signInWith(page, 'never');
	assert.equal(await signedIn(page), true, 'the new password works');
	await page.goto(link);
	await check(page, 'reset-spent');
	assert.match(await page.locator('body').innerText(),
	    /invalid|expired|no longer|already/i);
	await ctx.close();
});

test('Account Services: change the password', async () => {
	const ctx = await newContext();
	const page = await ctx.newPage();
	await signInWith(page, 'never', '?return_to=%2Faccount');
	assert.equal(new URL(page.url()).pathname, '/account');
	const form = page.locator('form[action="/account/password"]');
	const np = L.genPassword();
	await form.locator('input[name="current"]').fill(password);
	await form.locator('input[name="password"]').fill(np);
	await form.locator('input[name="password2"]').fill(np);
	await form.locator('button, input[type="submit"]').first().click();
	await page.waitForLoadState('load');
	assert.equal(new URL(page.url()).pathname, '/account');
	assert.ok((await page.getByRole('status').first().innerText())
	    .trim().length > 0, 'a notice');
	await check(page, 'account-password-changed');
	password = np;
	await page.getByRole('button', { name: 'Sign out', exact: true })
	    .first().click();
	await page.waitForLoadState('load');
	await signInWith(page, 'never');
	assert.equal(await signedIn(page), true, 'the new password works');
	await ctx.close();
});

test('content pages and the 404 page', async () => {
	const ctx = await newContext();
	const page = await ctx.newPage();
	for (const [p, name] of [['/help', 'help'], ['/privacy', 'privacy'],
	    ['/terms', 'terms'], ['/no-such-page', 'not-found']]) {
		await page.goto(srv.url + p);
		await check(page, name);
	}
	await ctx.close();
});

test('phone size (390x844): sign-in, sign-up, account, help', async () => {
	const ctx = await newContext({ viewport: PHONE, isMobile: true,
	    hasTouch: true });
	const page = await ctx.newPage();
	for (const [p, name] of [['/signin', 'phone-signin'],
	    ['/signup', 'phone-signup'], ['/help', 'phone-help']]) {
		await page.goto(srv.url + p);
		await check(page, name);
		const overflow = await page.evaluate(() =>
		    document.documentElement.scrollWidth > window.innerWidth + 1);
		assert.equal(overflow, false, `${name}: no horizontal scrolling`);
	}
	await signInWith(page, 'never');
	assert.equal(new URL(page.url()).pathname, '/account');
	await check(page, 'phone-account');
	const overflow = await page.evaluate(() =>
	    document.documentElement.scrollWidth > window.innerWidth + 1);
	assert.equal(overflow, false, 'account: no horizontal scrolling');
	await ctx.close();
});

test('dark colour scheme: sign-in, sign-up, account', async () => {
	const ctx = await newContext({ colorScheme: 'dark' });
	const page = await ctx.newPage();
	for (const [p, name] of [['/signin', 'dark-signin'],
	    ['/signup', 'dark-signup']]) {
		await page.goto(srv.url + p);
		await check(page, name);
	}
	await signInWith(page, 'never');
	assert.equal(new URL(page.url()).pathname, '/account');
	await check(page, 'dark-account');
	await ctx.close();
});

test('pages load under their own CSP with no violation', async () => {
	const ctx = await browser.newContext({ viewport: DESKTOP });
	const page = await ctx.newPage();
	const errors = [];
	page.on('console', (m) => {
		if (/Content Security Policy|Refused to/i.test(m.text()))
			errors.push(m.text());
	});
	page.on('pageerror', (e) => errors.push(String(e)));
	for (const p of ['/signin', '/signup', '/password/forgot', '/help']) {
		await page.goto(srv.url + p);
		await page.waitForLoadState('load');
	}
	await signInWith(page, 'never');
	await page.waitForLoadState('load');
	const cssOk = await page.evaluate(() =>
	    [...document.styleSheets].some((s) => {
		try {
			return s.cssRules.length > 0;
		} catch {
			return false;
		}
	}));
	assert.ok(cssOk, 'the style sheet applies');
	assert.deepEqual(errors, []);
	await ctx.close();
});

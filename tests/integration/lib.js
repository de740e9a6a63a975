// Shared helpers of the black-box tests: start and stop the real binary on
// a free port with a temporary data directory, an HTTP client with a cookie
// jar (on node's fetch, redirects handled by hand), form and Maildir helpers,
// raw socket requests for input fetch refuses to send, and random passwords.
'use strict';

const assert = require('node:assert/strict');
const { spawn, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.ONEPASS_BIN || path.join(ROOT, 'build', 'onepass');
const ASAN = process.env.ONEPASS_ASAN === '1';
// Everything is slower under the sanitizers.
const SLOW = ASAN ? 4 : 1;

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls fn until it returns a truthy value; throws after timeoutMs.
async function waitFor(fn, timeoutMs, what) {
	const end = Date.now() + timeoutMs;
	let last;
	for (;;) {
		try {
			const v = await fn();
			if (v)
				return v;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what || 'condition'}` +
			    (last ? `: ${last.message}` : ''));
		await sleep(50);
	}
}

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

function runCli(args, opts = {}) {
	return new Promise((resolve, reject) => {
		execFile(BIN, args, {
			env: { ...process.env, ...(opts.env || {}) },
			timeout: 30000 * SLOW,
			maxBuffer: 16 << 20,
		}, (err, stdout, stderr) => {
			if (err && !opts.allowFail) {
				err.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
				reject(err);
				return;
			}
			resolve({ code: err ? err.code : 0, stdout, stderr });
		});
	});
}

const SAN_ERRORS = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;

class Server {
	constructor(dataDir, port, env, ownDir) {
		this.dataDir = dataDir;
		this.port = port;
		this.url = `http://127.0.0.1:${port}`;
		this.env = env;
		this.ownDir = ownDir;
		this.stderr = '';
		this.stdout = '';
		this.proc = null;
		this.exited = null;
	}

	get mailDir() {
		return path.join(this.dataDir, 'mail', 'new');
	}

	cli(args, opts = {}) {
		return runCli([...args, '--data-dir', this.dataDir],
		    { env: this.env, ...opts });
	}

	// `onepass user list` output, one entry per non-empty line.
	async userList() {
		const r = await this.cli(['user', 'list']);
		return r.stdout;
	}

	// The lines of `user list` that name this address (canonical,
	// lower case, as a whole word).
	async userLines(email) {
		const out = await this.userList();
		const e = email.toLowerCase();
		return out.split('\n').filter((l) =>
		    l.toLowerCase().split(/[\s,;|<>"']+/).includes(e));
	}

	// The `user list` record of an address (tab separated: id, address,
	// verified|unverified, active|disabled, created), or null.
	async user(email) {
		const lines = await this.userLines(email);
		assert.ok(lines.length <= 1, `several IDs for ${email}`);
		if (lines.length === 0)
			return null;
		const f = lines[0].split('\t');
		return { id: f[0], email: f[1], verified: f[2] === 'verified',
		    disabled: f[3] === 'disabled', line: lines[0] };
	}

	mail() {
		return readMaildir(this.mailDir, this.url);
	}

	// Waits until at least n messages to addr exist; returns them all
	// (oldest first).
	async mailTo(addr, n = 1, timeoutMs = 5000 * SLOW) {
		const a = addr.toLowerCase();
		return waitFor(() => {
			const m = this.mail().filter((x) => x.toAddrs.includes(a));
			return m.length >= n ? m : null;
		}, timeoutMs, `${n} message(s) to ${addr}`);
	}

	// The links of the messages to addr now that contain part.
	linksNow(addr, part) {
		return this.mailNow(addr).flatMap((m) =>
		    m.links.filter((l) => l.includes(part)));
	}

	// Waits for a message to addr with a link containing part that is
	// not in notIn (the links seen before the action that sends it).
	// Returns { link, msg }.
	async waitLink(addr, part, notIn = [], timeoutMs = 5000 * SLOW) {
		const seen = new Set(notIn);
		return waitFor(() => {
			for (const m of this.mailNow(addr).reverse()) {
				const l = m.links.find((x) => x.includes(part) &&
				    !seen.has(x));
				if (l)
					return { link: l, msg: m };
			}
			return null;
		}, timeoutMs, `a new ${part} link mailed to ${addr}`);
	}

	// Waits for a message to addr that pred accepts; returns it.
	async waitMail(addr, pred, what, timeoutMs = 5000 * SLOW) {
		return waitFor(() => this.mailNow(addr).find(pred), timeoutMs,
		    `${what} mailed to ${addr}`);
	}

	// The messages to addr now (no waiting).
	mailNow(addr) {
		const a = addr.toLowerCase();
		return this.mail().filter((x) => x.toAddrs.includes(a));
	}

	async stop() {
		if (this.proc && this.exited === null) {
			const done = new Promise((resolve) =>
			    this.proc.once('exit', resolve));
			this.proc.kill('SIGTERM');
			const t = setTimeout(() => {
				if (this.exited === null)
					this.proc.kill('SIGKILL');
			}, 15000 * SLOW);
			await done;
			clearTimeout(t);
		}
		if (this.ownDir)
			fs.rmSync(this.dataDir, { recursive: true, force: true });
		if (SAN_ERRORS.test(this.stderr))
			throw new Error('sanitizer report in server stderr:\n' +
			    this.stderr.slice(-8000));
		if (this.exited && this.exited.signal &&
		    this.exited.signal !== 'SIGTERM')
			throw new Error(`server died by ${this.exited.signal}:\n` +
			    this.stderr.slice(-4000));
		if (this.exited && this.exited.code)
			throw new Error(`server exited with status ` +
			    `${this.exited.code}:\n${this.stderr.slice(-4000)}`);
	}
}

// Starts `onepass serve` on a free port with a fresh data directory (or
// opts.dataDir) and waits until GET /signin answers. opts.env adds or
// overrides environment variables.
async function startServer(opts = {}) {
	const port = await freePort();
	const ownDir = !opts.dataDir;
	const dataDir = opts.dataDir ||
	    fs.mkdtempSync(path.join(os.tmpdir(), 'onepass-it-'));
	const env = {
		ONEPASS_ID_LISTEN: `127.0.0.1:${port}`,
		ONEPASS_ID_PUBLIC_URL: `http://127.0.0.1:${port}`,
		ONEPASS_BUSINESS_LISTEN: '',
		ONEPASS_LOG_LEVEL: 'warn',
		...(opts.env || {}),
	};
	const srv = new Server(dataDir, port, env, ownDir);
	srv.publicUrl = env.ONEPASS_ID_PUBLIC_URL;
	const proc = spawn(BIN, ['serve', '--data-dir', dataDir], {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	srv.proc = proc;
	proc.stdout.on('data', (d) => { srv.stdout += d; });
	proc.stderr.on('data', (d) => { srv.stderr += d; });
	proc.on('exit', (code, signal) => { srv.exited = { code, signal }; });
	proc.on('error', (e) => { srv.exited = { code: -1, error: e }; });
	try {
		await waitFor(async () => {
			if (srv.exited)
				throw new Error('server exited: ' +
				    JSON.stringify(srv.exited) + '\n' + srv.stderr);
			const r = await fetch(`${srv.url}/signin`,
			    { redirect: 'manual' }).catch(() => null);
			if (r)
				await r.arrayBuffer();
			return r && r.status === 200;
		}, 15000 * SLOW, `${BIN} serve on port ${port}`);
	} catch (e) {
		await srv.stop().catch(() => {});
		throw e;
	}
	return srv;
}

// ---- cookies ----

// Parses one Set-Cookie header into { name, value, attrs } where attrs has
// lower-case keys: 'httponly' and 'secure' are true when present, the rest
// keep their text ('samesite', 'max-age', 'expires', 'path', 'domain').
function parseSetCookie(line) {
	const parts = line.split(';');
	const first = parts.shift();
	const eq = first.indexOf('=');
	const c = {
		name: first.slice(0, eq).trim(),
		value: first.slice(eq + 1).trim(),
		attrs: {},
		raw: line,
	};
	for (const p of parts) {
		const i = p.indexOf('=');
		const k = (i < 0 ? p : p.slice(0, i)).trim().toLowerCase();
		if (!k)
			continue;
		c.attrs[k] = i < 0 ? true : p.slice(i + 1).trim();
	}
	return c;
}

function cookieIsPersistent(c) {
	return c.attrs['max-age'] !== undefined || c.attrs.expires !== undefined;
}

function cookieExpired(c, now = Date.now()) {
	if (c.attrs['max-age'] !== undefined)
		return Number(c.attrs['max-age']) <= 0;
	if (c.attrs.expires !== undefined)
		return Date.parse(c.attrs.expires) <= now;
	return false;
}

// ---- HTTP client with a cookie jar ----

class Client {
	constructor(base, opts = {}) {
		this.base = base;
		this.jar = new Map();	// name -> parsed cookie
		this.userAgent = opts.userAgent || 'onepass-tests';
		this.seenCookies = [];	// every Set-Cookie received, parsed
	}

	cookieHeader() {
		const now = Date.now();
		const out = [];
		for (const [k, c] of this.jar) {
			if (c.expiresAt !== undefined && c.expiresAt <= now) {
				this.jar.delete(k);
				continue;
			}
			out.push(`${c.name}=${c.value}`);
		}
		return out.join('; ');
	}

	store(setCookies) {
		for (const line of setCookies) {
			const c = parseSetCookie(line);
			this.seenCookies.push(c);
			if (cookieExpired(c)) {
				this.jar.delete(c.name);
				continue;
			}
			if (c.attrs['max-age'] !== undefined)
				c.expiresAt = Date.now() +
				    Number(c.attrs['max-age']) * 1000;
			else if (c.attrs.expires !== undefined)
				c.expiresAt = Date.parse(c.attrs.expires);
			this.jar.set(c.name, c);
		}
	}

	// Drops the cookies that end with the browser (no Max-Age/Expires),
	// as closing and reopening a browser does.
	restartBrowser() {
		for (const [k, c] of this.jar)
			if (!cookieIsPersistent(c))
				this.jar.delete(k);
	}

	// One request; no redirect following unless opts.follow. Returns
	// { status, headers, text, location, setCookies, url }.
	async request(method, pathOrUrl, opts = {}) {
		const url = pathOrUrl.startsWith('http') ? pathOrUrl :
		    this.base + pathOrUrl;
		const headers = { 'user-agent': this.userAgent,
		    ...(opts.headers || {}) };
		const ck = this.cookieHeader();
		if (ck && !opts.noCookies)
			headers.cookie = ck;
		let body;
		if (opts.form !== undefined) {
			body = typeof opts.form === 'string' ? opts.form :
			    encodeForm(opts.form);
			headers['content-type'] =
			    'application/x-www-form-urlencoded';
		} else if (opts.body !== undefined) {
			body = opts.body;
		}
		const r = await fetch(url, { method, headers, body,
		    redirect: 'manual' });
		const text = await r.text();
		const setCookies = r.headers.getSetCookie();
		this.store(setCookies);
		const res = {
			status: r.status,
			headers: r.headers,
			text,
			location: r.headers.get('location'),
			setCookies: setCookies.map(parseSetCookie),
			url,
		};
		if (opts.follow && res.location && res.status >= 300 &&
		    res.status < 400) {
			const hops = (opts.hops || 0) + 1;
			if (hops > 10)
				throw new Error('too many redirects');
			const next = new URL(res.location, url).toString();
			const r2 = await this.request('GET', next,
			    { follow: true, hops });
			r2.redirects = [res, ...(r2.redirects || [])];
			return r2;
		}
		return res;
	}

	get(p, opts = {}) {
		return this.request('GET', p, opts);
	}

	post(p, form, opts = {}) {
		return this.request('POST', p, { ...opts, form });
	}

	// GETs page, then POSTs to action (default: the same path without
	// the query) the fields plus the page's csrf token.
	async submit(page, fields, opts = {}) {
		const g = await this.get(page, { follow: true });
		assert.equal(g.status, 200, `GET ${page}: ${g.status}`);
		const csrf = csrfOf(g.text);
		assert.ok(csrf, `no csrf token on ${page}`);
		const action = opts.action || page.replace(/\?.*$/, '');
		return this.post(action, { csrf, ...fields }, opts);
	}
}

function encodeForm(fields) {
	const sp = new URLSearchParams();
	for (const [k, v] of Object.entries(fields))
		if (v !== undefined && v !== null)
			sp.append(k, v);
	return sp.toString();
}

// ---- HTML ----

function decodeEntities(s) {
	return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|nbsp);/gi,
	    (m, e) => {
		const l = e.toLowerCase();
		if (l[0] === '#')
			return String.fromCodePoint(l[1] === 'x' ?
			    parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
		return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'",
		    nbsp: '\u00a0' }[l];
	});
}

function tagAttrs(tag) {
	const attrs = {};
	const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
	const inner = tag.replace(/^<\s*[a-zA-Z0-9]+/, '').replace(/\/?>$/, '');
	let m;
	while ((m = re.exec(inner)) !== null) {
		const v = m[2] !== undefined ? m[2] : m[3] !== undefined ?
		    m[3] : m[4];
		attrs[m[1].toLowerCase()] = v === undefined ? true :
		    decodeEntities(v);
	}
	return attrs;
}

// Every <input>, <textarea> and <select> of html with its attributes.
function inputsOf(html) {
	const out = [];
	for (const m of html.matchAll(/<input\b[^>]*>/gi))
		out.push({ tag: 'input', ...tagAttrs(m[0]) });
	for (const m of html.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi))
		out.push({ tag: 'textarea', ...tagAttrs(`<textarea${m[1]}>`),
		    value: decodeEntities(m[2]) });
	return out;
}

// The value of the first input named name, or undefined when absent.
function inputValue(html, name) {
	const i = inputsOf(html).find((x) => x.name === name);
	if (!i)
		return undefined;
	return i.value === undefined || i.value === true ? '' : i.value;
}

function csrfOf(html) {
	return inputValue(html, 'csrf');
}

// The forms of html: { action, method, fields } with the fields' current
// values (checked radios and checkboxes only).
function formsOf(html) {
	const out = [];
	for (const m of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)) {
		const open = m[0].match(/^<form\b[^>]*>/i)[0];
		const a = tagAttrs(open);
		const fields = {};
		for (const i of inputsOf(m[0])) {
			if (!i.name)
				continue;
			const type = String(i.type || 'text').toLowerCase();
			if ((type === 'radio' || type === 'checkbox') &&
			    !i.checked)
				continue;
			if (type === 'submit' || type === 'button')
				continue;
			fields[i.name] = i.value === undefined ||
			    i.value === true ? '' : i.value;
		}
		out.push({ action: a.action, method: String(a.method || 'get')
		    .toLowerCase(), fields, html: m[0] });
	}
	return out;
}

// The text of the role="alert" element(s) (error messages), trimmed.
function alertText(html) {
	return [...html.matchAll(/<([a-z0-9]+)\b[^>]*role\s*=\s*["']?alert["']?[^>]*>([\s\S]*?)<\/\1>/gi)]
	    .map((m) => textOf(m[2])).join(' ').trim();
}

function statusText(html) {
	return [...html.matchAll(/<([a-z0-9]+)\b[^>]*role\s*=\s*["']?status["']?[^>]*>([\s\S]*?)<\/\1>/gi)]
	    .map((m) => textOf(m[2])).join(' ').trim();
}

// Visible text of an HTML fragment, white space collapsed.
function textOf(html) {
	return decodeEntities(html
	    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
	    .replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function h1Of(html) {
	const m = html.match(/<h1\b[^>]*>([\s\S]*?)<\/h1>/i);
	return m ? textOf(m[1]) : undefined;
}

// html with every csrf token value replaced by a fixed string.
function stripCsrf(html) {
	return html.replace(/(name\s*=\s*["']?csrf["']?[^>]*?value\s*=\s*["'])[^"']*/gi, '$1CSRF')
	    .replace(/(value\s*=\s*["'])[^"']*(["'][^>]*name\s*=\s*["']?csrf)/gi, '$1CSRF$2');
}

// ---- Maildir ----

function decodeQP(s) {
	const bytes = [];
	const t = s.replace(/=\r?\n/g, '');
	for (let i = 0; i < t.length; i++) {
		const ch = t[i];
		if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(t.substr(i + 1, 2))) {
			bytes.push(parseInt(t.substr(i + 1, 2), 16));
			i += 2;
		} else {
			for (const b of Buffer.from(ch, 'utf8'))
				bytes.push(b);
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body, cte) {
	const e = String(cte || '').toLowerCase().trim();
	if (e === 'quoted-printable')
		return decodeQP(body);
	if (e === 'base64')
		return Buffer.from(body.replace(/\s+/g, ''), 'base64')
		    .toString('utf8');
	return body;
}

// RFC 2047 encoded words in a header value.
function decodeWords(v) {
	return v.replace(/\?=\s+=\?/g, '?==?').replace(
	    /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (m, cs, enc, txt) => {
		if (enc.toLowerCase() === 'b')
			return Buffer.from(txt, 'base64').toString('utf8');
		return decodeQP(txt.replace(/_/g, ' '));
	});
}

// Splits an RFC 5322 text into { headers: Map lower-name -> [values],
// body }.
function splitMessage(raw) {
	const m = raw.match(/\r?\n\r?\n/);
	const head = m ? raw.slice(0, m.index) : raw;
	const body = m ? raw.slice(m.index + m[0].length) : '';
	const headers = new Map();
	const lines = head.split(/\r?\n/);
	const unfolded = [];
	for (const l of lines) {
		if (/^[ \t]/.test(l) && unfolded.length)
			unfolded[unfolded.length - 1] += ' ' + l.trim();
		else
			unfolded.push(l);
	}
	for (const l of unfolded) {
		const i = l.indexOf(':');
		if (i <= 0)
			continue;
		const k = l.slice(0, i).trim().toLowerCase();
		if (!headers.has(k))
			headers.set(k, []);
		headers.get(k).push(l.slice(i + 1).trim());
	}
	return { headers, body, head };
}

function headerParam(value, name) {
	const m = String(value || '').match(new RegExp(
	    `;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i'));
	return m ? (m[1] !== undefined ? m[1] : m[2]) : undefined;
}

// Collects the leaf parts of a MIME entity as { type, text }.
function mimeParts(headers, body) {
	const ct = (headers.get('content-type') || ['text/plain'])[0];
	const type = ct.split(';')[0].trim().toLowerCase();
	if (type.startsWith('multipart/')) {
		const b = headerParam(ct, 'boundary');
		if (!b)
			return [];
		const out = [];
		const chunks = body.split(new RegExp(`\\r?\\n?--${b.replace(
		    /[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?\\n?`));
		for (const c of chunks.slice(1)) {
			if (!c.trim())
				continue;
			const p = splitMessage(c);
			out.push(...mimeParts(p.headers, p.body));
		}
		return out;
	}
	const cte = (headers.get('content-transfer-encoding') || [''])[0];
	return [{ type, text: decodeBody(body, cte) }];
}

function addrsOf(v) {
	return [...String(v || '').matchAll(/[^\s<>,;:"]+@[^\s<>,;:"]+/g)]
	    .map((m) => m[0].toLowerCase());
}

// Parses every file of dir (a Maildir's new/) into messages, oldest first:
// { file, raw, headers, subject, from, to, toAddrs, text, html, links }.
// links are the URLs in the plain text that start with publicUrl.
function readMaildir(dir, publicUrl) {
	let files;
	try {
		files = fs.readdirSync(dir);
	} catch {
		return [];
	}
	const out = [];
	for (const f of files) {
		if (f.startsWith('.'))
			continue;
		const full = path.join(dir, f);
		let raw, st;
		try {
			raw = fs.readFileSync(full, 'utf8');
			st = fs.statSync(full);
		} catch {
			continue;
		}
		out.push(parseMessage(raw, publicUrl, f, st.mtimeMs));
	}
	out.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));
	return out;
}

function parseMessage(raw, publicUrl, file, mtime) {
	const { headers, body, head } = splitMessage(raw);
	const parts = mimeParts(headers, body);
	const text = parts.filter((p) => p.type === 'text/plain')
	    .map((p) => p.text).join('\n');
	const html = parts.filter((p) => p.type === 'text/html')
	    .map((p) => p.text).join('\n');
	const h = (k) => decodeWords((headers.get(k) || []).join(', '));
	const esc = (publicUrl || 'http').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	const links = [...(text || decodeEntities(html)).matchAll(
	    new RegExp(`${esc}[^\\s<>"')\\]]*`, 'g'))]
	    .map((m) => m[0].replace(/[.,;:!?]+$/, ''));
	return {
		file, mtime, raw, head, headers,
		subject: h('subject'),
		from: h('from'),
		to: h('to'),
		toAddrs: addrsOf(h('to')),
		text, html, links,
	};
}

// ---- raw HTTP over a socket (for requests fetch refuses to make) ----

// Sends data (string or Buffer) to 127.0.0.1:port and resolves with
// { status, head, body, closed } once the server answers and closes or
// timeoutMs passes. status is 0 when the server closed without an answer.
function rawRequest(port, data, timeoutMs = 5000 * SLOW) {
	return new Promise((resolve) => {
		const sock = net.connect(port, '127.0.0.1');
		const chunks = [];
		let done = false;
		const finish = (how) => {
			if (done)
				return;
			done = true;
			clearTimeout(t);
			sock.destroy();
			const all = Buffer.concat(chunks).toString('latin1');
			const m = all.match(/^HTTP\/1\.[01] (\d{3})/);
			const i = all.indexOf('\r\n\r\n');
			resolve({
				status: m ? Number(m[1]) : 0,
				head: i < 0 ? all : all.slice(0, i),
				body: i < 0 ? '' : all.slice(i + 4),
				how,
			});
		};
		const t = setTimeout(() => finish('timeout'), timeoutMs);
		sock.on('data', (d) => {
			chunks.push(d);
			const all = Buffer.concat(chunks).toString('latin1');
			const i = all.indexOf('\r\n\r\n');
			if (i >= 0) {
				const cl = all.slice(0, i)
				    .match(/\r\ncontent-length:\s*(\d+)/i);
				if (cl && all.length - i - 4 >= Number(cl[1]))
					finish('complete');
			}
		});
		sock.on('end', () => finish('end'));
		sock.on('close', () => finish('close'));
		sock.on('error', () => finish('error'));
		sock.write(data, () => {});
	});
}

// ---- accounts ----

// A strong random passphrase (well over 20 characters, never in a
// blocklist).
function genPassword() {
	const words = [];
	for (let i = 0; i < 4; i++)
		words.push(crypto.randomBytes(5).toString('base64url'));
	return words.join('-') + '!' + crypto.randomInt(10, 99);
}

let mailSeq = 0;
function uniqueEmail(tag = 'u') {
	mailSeq++;
	return `${tag}-${mailSeq}-${crypto.randomBytes(4).toString('hex')}` +
	    '@example.com';
}

// Fills and posts the sign-up form. Returns the POST's response.
async function signUp(c, email, password, extra = {}) {
	return c.submit('/signup', { email, password, password2: password,
	    ...extra });
}

// Fills and posts the sign-in form with a save choice ('password',
// 'email' or 'never'). Returns the POST's response.
async function signIn(c, email, password, save = 'never', extra = {}) {
	return c.submit('/signin', { email, password, save, ...extra });
}

// True when c's session opens /account.
async function isSignedIn(c) {
	const r = await c.get('/account');
	if (r.status === 200)
		return true;
	assert.ok(r.status >= 300 && r.status < 400,
	    `GET /account: unexpected status ${r.status}`);
	return false;
}

// Creates an ID through the sign-up form of a throwaway client. Returns a
// fresh client (no session) with the address and password.
async function newAccount(srv, tag = 'acct') {
	const email = uniqueEmail(tag);
	const password = genPassword();
	const r = await signUp(new Client(srv.url), email, password);
	assert.ok(r.status === 200 || r.status === 303,
	    `sign-up of ${email}: status ${r.status}\n${r.text.slice(0, 2000)}`);
	return { c: new Client(srv.url), email, password };
}

// Signs c out through the header's form.
async function signOut(c) {
	const g = await c.get('/signout');
	assert.equal(g.status, 200);
	return c.post('/signout', { csrf: csrfOf(g.text) });
}

// Asks for a reset link for email, waits for the mail, opens the link and
// sets newPassword. Returns { link, page } (page: the answer to the POST,
// redirect followed).
async function resetViaMail(srv, email, newPassword) {
	const part = '/password/reset?token=';
	const before = srv.linksNow(email, part);
	const c = new Client(srv.url);
	const r = await c.submit('/password/forgot', { email });
	assert.ok(r.status === 200 || r.status === 303, `forgot: ${r.status}`);
	const { link } = await srv.waitLink(email, part, before);
	const g = await c.get(localTarget(link, srv.url));
	assert.equal(g.status, 200, 'reset page');
	const token = new URL(link).searchParams.get('token');
	const p = await c.post('/password/reset', { csrf: csrfOf(g.text), token,
	    password: newPassword, password2: newPassword });
	const page = p.status === 303 ? await c.get(p.location,
	    { follow: true }) : p;
	return { link, token, post: p, page, client: c };
}

// Resolves a Location header against base; returns the path + query when
// it is on base's origin, else the absolute URL.
function localTarget(location, base) {
	const u = new URL(location, base + '/');
	if (u.origin === new URL(base).origin)
		return u.pathname + u.search;
	return u.toString();
}

module.exports = {
	ROOT, BIN, ASAN, SLOW,
	sleep, waitFor, freePort, runCli,
	startServer, Server, Client,
	parseSetCookie, cookieIsPersistent,
	encodeForm, inputsOf, inputValue, csrfOf, formsOf, alertText,
	statusText, textOf, h1Of, stripCsrf, decodeEntities,
	decodeQP, readMaildir, parseMessage,
	rawRequest,
	genPassword, uniqueEmail, signUp, signIn, signOut, isSignedIn,
	newAccount, localTarget, resetViaMail,
};

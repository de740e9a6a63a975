// Helpers of the SMTP tests (t5*): a real SMTP server on loopback
// (tests/support/smtp_server.py, on Debian's python3-aiosmtpd) that records
// what it receives and answers as the test says; onepass started to deliver
// to it; mail triggered through the real pages; and readers of the
// messages it received, parsed with lib.js's MIME reader.
'use strict';

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const L = require('./lib.js');

// Debian's interpreter, where python3-aiosmtpd is installed (a python3
// earlier in PATH may be another one).
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' :
    'python3';
const SERVER = path.join(L.ROOT, 'tests', 'support', 'smtp_server.py');

function tmpDir(tag) {
	return fs.mkdtempSync(path.join(os.tmpdir(), `onepass-${tag}-`));
}

// True when the test SMTP server can run here.
function smtpAvailable() {
	try {
		execFileSync(PYTHON, ['-c', 'import aiosmtpd'],
		    { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

class SmtpServer {
	// opts: port (0: any), tls: { cert, key, implicit, require },
	// auth: 'user:password', mode: the first control file contents.
	constructor(opts = {}) {
		this.opts = opts;
		this.root = tmpDir('smtp');
		this.dir = path.join(this.root, 'mail');
		this.control = path.join(this.root, 'control.json');
		this.port = opts.port || 0;
		this.proc = null;
		this.stderr = '';
		this.setMode(opts.mode || {});
	}

	// Sets how the server answers from now on (see smtp_server.py).
	setMode(mode) {
		fs.writeFileSync(this.control + '.tmp', JSON.stringify(mode));
		fs.renameSync(this.control + '.tmp', this.control);
	}

	async start() {
		const args = [SERVER, '--dir', this.dir, '--port',
		    String(this.port), '--control', this.control];
		const t = this.opts.tls;
		if (t) {
			args.push('--tls-cert', t.cert, '--tls-key', t.key);
			if (t.implicit)
				args.push('--implicit-tls');
			if (t.require)
				args.push('--require-tls');
		}
		if (this.opts.auth)
			args.push('--auth', this.opts.auth);
		const proc = spawn(PYTHON, args,
		    { stdio: ['ignore', 'pipe', 'pipe'] });
		this.proc = proc;
		this.exited = null;
		let out = '';
		proc.stdout.on('data', (d) => { out += d; });
		proc.stderr.on('data', (d) => { this.stderr += d; });
		proc.on('exit', (code, signal) => {
			this.exited = { code, signal };
		});
		const m = await L.waitFor(() => {
			if (this.exited)
				throw new Error('smtp server exited: ' +
				    this.stderr);
			return out.match(/^READY (\d+)/m);
		}, 15000, 'the test SMTP server');
		this.port = Number(m[1]);
		this.startedAt = Date.now();
		return this;
	}

	// Stops the server (by its PID); keeps what it received.
	async stop() {
		if (this.proc && !this.exited) {
			this.proc.kill('SIGTERM');
			await L.waitFor(() => this.exited, 5000, 'the SMTP ' +
			    'server to stop').catch(() => {
				this.proc.kill('SIGKILL');
				return L.waitFor(() => this.exited, 5000,
				    'the SMTP server to die');
			});
		}
		this.proc = null;
	}

	async close() {
		await this.stop();
		fs.rmSync(this.root, { recursive: true, force: true });
	}

	// Every message received, oldest first, parsed (lib.js), with env
	// (the envelope and what the server saw) and messageId.
	messages(publicUrl) {
		let files;
		try {
			files = fs.readdirSync(this.dir).filter((f) =>
			    f.endsWith('.eml')).sort();
		} catch {
			return [];
		}
		return files.map((f) => {
			const raw = fs.readFileSync(path.join(this.dir, f),
			    'utf8');
			const env = JSON.parse(fs.readFileSync(path.join(
			    this.dir, f.replace(/\.eml$/, '.json')), 'utf8'));
			const m = L.parseMessage(raw, publicUrl, f, env.at * 1000);
			m.env = env;
			m.messageId = (m.headers.get('message-id') || [''])[0];
			return m;
		});
	}

	// The answers the server gave to RCPT and DATA (and AUTH).
	events() {
		let t;
		try {
			t = fs.readFileSync(path.join(this.dir, 'events.jsonl'),
			    'utf8');
		} catch {
			return [];
		}
		return t.split('\n').filter(Boolean).map((l) => JSON.parse(l));
	}

	mailNow(addr, publicUrl) {
		const a = addr.toLowerCase();
		return this.messages(publicUrl).filter((m) =>
		    m.env.rcpt_tos.map((x) => x.toLowerCase()).includes(a));
	}

	// Waits until at least n messages to addr arrived; returns them.
	mailTo(addr, n = 1, publicUrl, timeoutMs = 10000 * L.SLOW) {
		return L.waitFor(() => {
			const m = this.mailNow(addr, publicUrl);
			return m.length >= n ? m : null;
		}, timeoutMs, `${n} message(s) to ${addr} by SMTP`);
	}

	// Waits until the server received n messages in all.
	waitCount(n, timeoutMs = 10000 * L.SLOW) {
		return L.waitFor(() => {
			const m = this.messages();
			return m.length >= n ? m : null;
		}, timeoutMs, `${n} message(s) at the SMTP server`);
	}
}

async function startSmtp(opts = {}) {
	return new SmtpServer(opts).start();
}

// The environment that points onepass at the test server: short time
// limits so faults resolve within the suite's time.
function smtpEnv(port, extra = {}) {
	return {
		ONEPASS_MAIL_SMTP_URL: `smtp://127.0.0.1:${port}`,
		ONEPASS_MAIL_REQUIRE_TLS: 'false',
		ONEPASS_MAIL_HELO_NAME: 'id.onepass.test',
		ONEPASS_MAIL_TIMEOUT_SEC: '2',
		ONEPASS_MAIL_RETRY_SEC: '1',
		ONEPASS_LOG_LEVEL: 'info',
		...extra,
	};
}

// Starts `onepass serve` (ID service only) delivering to port.
function startOnepass(port, opts = {}) {
	return L.startServer({ dataDir: opts.dataDir,
	    env: smtpEnv(port, opts.env) });
}

// Kills onepass with SIGKILL and waits for it; checks its stderr for
// sanitizer reports (lib's stop() would take the SIGKILL for a crash).
async function killHard(srv) {
	if (srv.proc && srv.exited === null) {
		srv.proc.kill('SIGKILL');
		await L.waitFor(() => srv.exited, 10000, 'onepass to die');
	}
	assert.doesNotMatch(srv.stderr, /ERROR: AddressSanitizer|runtime error:/,
	    'no sanitizer report before the kill');
}

// ---- mail through the pages ----

// Signs up a new ID (one verification mail). Returns { email, password }.
async function signUpNew(srv, tag = 'smtp') {
	const email = L.uniqueEmail(tag);
	const password = L.genPassword();
	const r = await L.signUp(new L.Client(srv.url), email, password);
	assert.ok(r.status === 200 || r.status === 303,
	    `sign-up of ${email}: ${r.status}`);
	return { email, password };
}

// Asks for a reset link for email (one mail; five an hour per address).
async function forgot(srv, email) {
	const c = new L.Client(srv.url);
	const r = await c.submit('/password/forgot', { email });
	assert.ok(r.status === 200 || r.status === 303, `forgot: ${r.status}`);
}

// Queues n messages through the pages: sign-ups, then up to four reset
// requests for each new ID. Returns the addresses, one per message.
async function queueMail(srv, n, tag = 'q') {
	const rcpts = [];
	while (rcpts.length < n) {
		const { email } = await signUpNew(srv, tag);
		rcpts.push(email);
		for (let i = 0; i < 4 && rcpts.length < n; i++) {
			await forgot(srv, email);
			rcpts.push(email);
		}
	}
	return rcpts;
}

// `onepass mail list [filter]` as { id, status, rcpt, line } rows.
async function mailList(srv, filter) {
	const r = await srv.cli(['mail', 'list', ...(filter ? [filter] : [])]);
	return r.stdout.split('\n').filter(Boolean).map((line) => {
		const f = line.split(/\s{2,}/);
		return { id: f[0], status: f[1], rcpt: f[3], line };
	});
}

// Message-ID -> number of copies received.
function countByMessageId(msgs) {
	const n = new Map();
	for (const m of msgs)
		n.set(m.messageId, (n.get(m.messageId) || 0) + 1);
	return n;
}

// A self-signed certificate for 127.0.0.1 and localhost in dir.
function makeCert(dir) {
	const cert = path.join(dir, 'cert.pem');
	const key = path.join(dir, 'key.pem');
	execFileSync('openssl', ['req', '-x509', '-newkey', 'ec',
	    '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
	    '-subj', '/CN=localhost', '-addext',
	    'subjectAltName=IP:127.0.0.1,DNS:localhost',
	    '-keyout', key, '-out', cert], { stdio: 'ignore' });
	return { cert, key };
}

module.exports = {
	PYTHON, SmtpServer, startSmtp, smtpAvailable, smtpEnv, startOnepass,
	killHard, signUpNew, forgot, queueMail, mailList, countByMessageId,
	makeCert, tmpDir,
};

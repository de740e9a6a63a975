// Helpers of the PostgreSQL black-box tests (t6*): a fresh database per
// test on the server ONEPASS_TEST_PG_DSN names (scripts/run-tests.sh
// starts a throwaway one with tests/support/pg.sh), several `onepass
// serve` nodes on it behind a small round-robin HTTP proxy per site that
// stands for the load balancer (one for the ID service, one for the
// business site when the nodes run it), the union of the nodes' Maildirs,
// and stopping and starting the database server (ONEPASS_TEST_PG_DIR) for
// the restart test.
//
// Without ONEPASS_TEST_PG_DSN the t6 tests are skipped, loudly: pgSkip()
// gives node:test's skip reason, which TAP reports as "# SKIP".
'use strict';

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const L = require('./lib.js');

const DSN = process.env.ONEPASS_TEST_PG_DSN || '';
const PG_DIR = process.env.ONEPASS_TEST_PG_DIR || '';
const PG_SH = path.join(L.ROOT, 'tests', 'support', 'pg.sh');

// false when the PostgreSQL tests can run, else the reason to skip.
function pgSkip() {
	return DSN ? false :
	    'ONEPASS_TEST_PG_DSN not set (no PostgreSQL server)';
}

// false when the database server can be stopped and started, else why not.
function pgRestartSkip() {
	return pgSkip() || (PG_DIR ? false :
	    'ONEPASS_TEST_PG_DIR not set (the server is not ours to restart)');
}

function run(cmd, args, opts = {}) {
	return new Promise((resolve, reject) => {
		execFile(cmd, args, { timeout: 60000, ...opts },
		    (err, stdout, stderr) => {
			if (err) {
				err.message += `\n${stderr}`;
				reject(err);
				return;
			}
			resolve(stdout);
		});
	});
}

// Runs one SQL statement as the DSN's (super)user; returns psql's output
// (unaligned, tuples only).
function psql(sql, dsn = DSN) {
	return run('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
	    '-d', dsn, '-c', sql]);
}

// The DSN with its database name replaced.
function dsnFor(db) {
	const u = new URL(DSN);
	u.pathname = '/' + db;
	return u.toString();
}

// Creates an empty database; returns { name, url, drop() }.
async function createDatabase(tag = 'it') {
	const name = `onepass_${tag}_${process.pid}_` +
	    crypto.randomBytes(4).toString('hex');
	await psql(`CREATE DATABASE ${name}`);
	return {
		name,
		url: dsnFor(name),
		drop: () => psql(
		    `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
	};
}

// Stops / starts the database server (fast shutdown; start waits until it
// accepts connections).
function pgStop() {
	return run(PG_SH, ['stop', PG_DIR]);
}

function pgStart() {
	return run(PG_SH, ['start', PG_DIR]);
}

// A round-robin HTTP proxy on a free loopback port: each request goes to
// the next node in turn; a node that refuses the connection (killed) is
// skipped and the request goes to the next one, as a load balancer's
// health check would do. served[i] counts the requests node i answered;
// trail lists, per request, "METHOD PATH -> i".
class Proxy {
	constructor(ports) {
		this.setPorts(ports);
		this.trail = [];
		this.server = http.createServer((req, res) => this.handle(req,
		    res));
	}

	setPorts(ports) {
		this.ports = ports;
		this.next = 0;
		this.served = ports.map(() => 0);
		this.dead = ports.map(() => false);
	}

	async listen() {
		await new Promise((resolve) => this.server.listen(0,
		    '127.0.0.1', resolve));
		this.port = this.server.address().port;
		this.url = `http://127.0.0.1:${this.port}`;
		return this;
	}

	pick() {
		for (let k = 0; k < this.ports.length; k++) {
			const i = (this.next + k) % this.ports.length;
			if (!this.dead[i]) {
				this.next = (i + 1) % this.ports.length;
				return i;
			}
		}
		return -1;
	}

	forward(i, req, body) {
		return new Promise((resolve, reject) => {
			const r = http.request({ host: '127.0.0.1',
			    port: this.ports[i], method: req.method,
			    path: req.url, headers: req.headers,
			    agent: false }, resolve);
			r.on('error', reject);
			r.end(body);
		});
	}

	async handle(req, res) {
		const chunks = [];
		for await (const c of req)
			chunks.push(c);
		const body = Buffer.concat(chunks);
		for (let tries = 0; tries < this.ports.length; tries++) {
			const i = this.pick();
			if (i < 0)
				break;
			let up;
			try {
				up = await this.forward(i, req, body);
			} catch (e) {
				if (e.code === 'ECONNREFUSED' ||
				    e.code === 'ECONNRESET') {
					this.dead[i] = true;
					continue;
				}
				break;
			}
			this.served[i]++;
			this.trail.push(`${req.method} ${req.url} -> ${i}`);
			res.writeHead(up.statusCode, up.rawHeaders);
			up.pipe(res);
			return;
		}
		res.writeHead(502, { 'content-type': 'text/plain' });
		res.end('no node answered\n');
	}

	close() {
		return new Promise((resolve) => this.server.close(resolve));
	}
}

// n nodes of `onepass serve` on database db (from createDatabase) behind
// one proxy whose URL is every node's ID service public URL; with
// opts.business, each node also runs the business site, behind a second
// proxy. opts.env adds environment variables. Returns a Cluster.
//
// The first node starts alone (it creates the schema, the signing keys
// and the portals' client registrations), then the others together, as a
// rolling deployment does. Nodes starting together on an empty database
// would each create signing keys and serve a JWKS without the others' for
// up to KEYRING_RELOAD_SEC (see the report of issue 6); concurrent
// migrations are proved by the store tests (test_store_pg's
// PgOpenConcurrent).
async function startCluster(db, n = 2, opts = {}) {
	const proxy = await new Proxy([]).listen();
	const bizProxy = opts.business ? await new Proxy([]).listen() : null;
	const envFor = async () => {
		const env = {
			ONEPASS_ID_PUBLIC_URL: proxy.url,
			ONEPASS_STORE_URL: db.url,
			ONEPASS_STORE_POOL_SIZE: '4',
			...(opts.env || {}),
		};
		if (bizProxy) {
			env.bizPort = await L.freePort();
			env.ONEPASS_BUSINESS_LISTEN = `127.0.0.1:${env.bizPort}`;
			env.ONEPASS_BUSINESS_PUBLIC_URL = bizProxy.url;
		}
		return env;
	};
	const start = async () => {
		const env = await envFor();
		const bizPort = env.bizPort;
		delete env.bizPort;
		const srv = await L.startServer({ env });
		if (bizPort) {
			srv.bizPort = bizPort;
			srv.bizLocal = `http://127.0.0.1:${bizPort}`;
			await waitBusiness(srv);
		}
		return srv;
	};
	const nodes = [];
	try {
		nodes.push(await start());
		const rest = await Promise.allSettled(Array.from(
		    { length: n - 1 }, start));
		for (const r of rest)
			if (r.status === 'fulfilled')
				nodes.push(r.value);
		const failed = rest.find((r) => r.status === 'rejected');
		if (failed)
			throw failed.reason;
	} catch (e) {
		for (const s of nodes)
			await s.stop().catch(() => {});
		await proxy.close();
		if (bizProxy)
			await bizProxy.close();
		throw e;
	}
	proxy.setPorts(nodes.map((s) => s.port));
	if (bizProxy)
		bizProxy.setPorts(nodes.map((s) => s.bizPort));
	return new Cluster(nodes, proxy, db, bizProxy);
}

// Waits until the business site of srv answers on its own port.
async function waitBusiness(srv) {
	try {
		await L.waitFor(async () => {
			const r = await fetch(`${srv.bizLocal}/`,
			    { redirect: 'manual' }).catch(() => null);
			if (r)
				await r.arrayBuffer();
			return r && r.status === 200;
		}, 15000 * L.SLOW, `the business site on port ${srv.bizPort}`);
	} catch (e) {
		await srv.stop().catch(() => {});
		throw e;
	}
}

class Cluster {
	constructor(nodes, proxy, db, bizProxy) {
		this.nodes = nodes;
		this.proxy = proxy;
		this.bizProxy = bizProxy;
		this.db = db;
		// What lib.js, oidc-lib.js and biz-lib.js expect of a server.
		this.url = proxy.url;
		this.publicUrl = proxy.url;
		this.biz = bizProxy ? bizProxy.url : undefined;
		this.killed = new Set();
	}

	// Every message in every node's Maildir (a message is delivered by
	// whichever node's outbox worker claimed it), oldest first; links
	// are those starting with base (default: the ID service's URL).
	mail(base = this.url) {
		const all = this.nodes.flatMap((s, i) =>
		    L.readMaildir(s.mailDir, base)
			.map((m) => ({ ...m, node: i })));
		all.sort((a, b) => a.mtime - b.mtime ||
		    a.file.localeCompare(b.file));
		return all;
	}

	mailNow(addr) {
		const a = addr.toLowerCase();
		return this.mail().filter((m) => m.toAddrs.includes(a));
	}

	// Waits for a message to addr with a link containing part that is not
	// in notIn. Returns { link, msg }.
	async waitLink(addr, part, notIn = [], timeoutMs = 10000 * L.SLOW) {
		const seen = new Set(notIn);
		return L.waitFor(() => {
			for (const m of this.mailNow(addr).reverse()) {
				const l = m.links.find((x) =>
				    x.includes(part) && !seen.has(x));
				if (l)
					return { link: l, msg: m };
			}
			return null;
		}, timeoutMs, `a new ${part} link mailed to ${addr}`);
	}

	linksNow(addr, part) {
		return this.mailNow(addr).flatMap((m) =>
		    m.links.filter((l) => l.includes(part)));
	}

	// The CLI on the shared database (through node i's settings).
	cli(args, i = 0) {
		const node = this.nodes[i];
		return node.cli(args);
	}

	// Kills node i with SIGKILL and waits until it is gone.
	async kill(i) {
		const node = this.nodes[i];
		const gone = new Promise((resolve) => node.proc.once('exit',
		    resolve));
		node.proc.kill('SIGKILL');
		await gone;
		this.killed.add(i);
	}

	alive(i) {
		return this.nodes[i].exited === null;
	}

	async stop() {
		const errors = [];
		for (const [i, n] of this.nodes.entries()) {
			try {
				await n.stop();
			} catch (e) {
				// A node this test killed on purpose.
				if (!(this.killed.has(i) &&
				    /died by SIGKILL/.test(e.message)))
					errors.push(e);
			}
		}
		await this.proxy.close();
		if (this.bizProxy)
			await this.bizProxy.close();
		if (errors.length)
			throw errors[0];
	}
}

// A person whose browser talks to the cluster through the proxy (so their
// requests alternate between the nodes), with a new ID signed up through
// the sign-up form. Returns { c, email, password, srv } as oidc-lib.js's
// newPerson does.
async function newPerson(cluster, tag = 'pg') {
	const email = L.uniqueEmail(tag);
	const password = L.genPassword();
	const r = await L.signUp(new L.Client(cluster.url), email, password);
	assert.ok(r.status === 200 || r.status === 303,
	    `sign-up of ${email}: ${r.status}\n${r.text.slice(0, 1000)}`);
	return { c: new L.Client(cluster.url), email, password, srv: cluster };
}

module.exports = {
	DSN, PG_DIR, pgSkip, pgRestartSkip, psql, createDatabase, pgStop,
	pgStart, Proxy, startCluster, Cluster, newPerson,
};

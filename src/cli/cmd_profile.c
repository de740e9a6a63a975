/*
 * cmd_profile.c - `onepass profile add|import|list`: the business profile
 * directory from the shell.
 *
 * import reads a CSV file (business/csv.h) whole, checks every row, and
 * imports nothing unless every row is good: each bad row is reported on
 * stderr as "line N: reason" (N the physical line where the record
 * starts), including rows that repeat another row of the file or a
 * profile already stored. The rows then go to the store in one
 * all-or-nothing store_profile_import().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "business/csv.h"
#include "cli/cli.h"
#include "core/arena.h"
#include "core/xmalloc.h"
#include "store/store.h"

static const char *
type_name(enum profile_type t)
{
	return t == PROFILE_PARTNER ? "partner" : "customer";
}

static void
audit(struct onepass *op, const char *event, const char *detail)
{
	struct audit_event ev = { 0 };

	ev.at = op->now();
	ev.event = event;
	ev.detail = detail;
	if (store_audit_add(op->store, &ev) != OP_OK)
		fprintf(stderr, "onepass: warning: audit event not written\n");
}

/* ---- add ---- */

struct add_opts {
	const char *email, *name, *company, *type;
};

static int
parse_add(int argc, char **argv, struct add_opts *o)
{
	const char **slot;
	int i;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--email") == 0)
			slot = &o->email;
		else if (strcmp(argv[i], "--name") == 0)
			slot = &o->name;
		else if (strcmp(argv[i], "--company") == 0)
			slot = &o->company;
		else if (strcmp(argv[i], "--type") == 0)
			slot = &o->type;
		else {
			fprintf(stderr, "onepass: unknown option '%s'\n",
				argv[i]);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "onepass: '%s' needs a value\n",
				argv[i]);
			return -1;
		}
		*slot = argv[++i];
	}
	if (o->email == NULL || o->name == NULL || o->company == NULL ||
	    o->type == NULL) {
		fprintf(stderr, "onepass: profile add needs --email, --name, "
				"--company and --type\n");
		return -1;
	}
	return 0;
}

static int
profile_add(struct onepass *op, int argc, char **argv)
{
	struct add_opts o = { 0 };
	struct csv_profile_row row = { 0 };
	struct profile p = { 0 };
	struct arena *a;
	const char *why;
	enum op_rc rc;
	char id[32];
	int status = 1;

	if (parse_add(argc, argv, &o) != 0)
		return 2;
	a = arena_new();
	why = csv_profile_check(a, o.email, o.name, o.company, o.type, &row);
	if (why != NULL) {
		fprintf(stderr, "onepass: profile not added: %s\n", why);
		goto out;
	}
	p.email = (char *)row.email;
	p.email_canon = (char *)row.email_canon;
	p.name = (char *)row.name;
	p.company = (char *)row.company;
	p.type = row.type;
	p.created_at = op->now();
	rc = store_profile_create(op->store, &p);
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: profile not added: %s\n",
			rc == OP_E_EXISTS ? "that address already has a "
					    "profile of that name, company "
					    "and type"
					  : op_strerror(rc));
		goto out;
	}
	snprintf(id, sizeof(id), "%lld", (long long)p.id);
	audit(op, "profile.added", id);
	printf("%s\n", id);
	status = 0;
out:
	arena_free(a);
	return status;
}

/* ---- list ---- */

static int
print_profile(const struct profile *p, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)p->id, p->email,
	       p->name, p->company, type_name(p->type),
	       p->issuer != NULL ? "yes" : "no");
	return 0;
}

static int
profile_list(struct onepass *op)
{
	enum op_rc rc;

	rc = store_profile_list(op->store, print_profile, NULL);
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: store: %s\n", op_strerror(rc));
		return 1;
	}
	return 0;
}

/* ---- import ---- */

/*
 * Reads the file at path whole into a new buffer (*len_out bytes, plus a
 * NUL); NULL with a message on stderr when it cannot be read or is larger
 * than CSV_PROFILES_MAX_BYTES.
 */
static char *
read_file(const char *path, size_t *len_out)
{
	size_t len = 0, cap = CSV_PROFILES_MAX_BYTES + 1;
	char *data = NULL;
	struct stat sb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "onepass: '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "onepass: '%s': not a regular file\n", path);
		goto fail;
	}
	if (sb.st_size > (off_t)CSV_PROFILES_MAX_BYTES)
		goto too_big;
	/* The size may change while we read: read at most one byte more
	 * than the limit to notice. */
	data = xmalloc(cap + 1);
	for (;;) {
		n = read(fd, data + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "onepass: '%s': %s\n", path,
				strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CSV_PROFILES_MAX_BYTES)
			goto too_big;
	}
	close(fd);
	data[len] = '\0';
	*len_out = len;
	return data;
too_big:
	fprintf(stderr, "onepass: '%s' is larger than 16 MiB\n", path);
fail:
	xfree(data);
	close(fd);
	return NULL;
}

struct existing {
	const struct csv_profile_row *row;
	int64_t id;
};

static int
match_existing(const struct profile *p, void *arg)
{
	struct existing *e = arg;

	if (strcmp(p->name, e->row->name) == 0 &&
	    strcmp(p->company, e->row->company) == 0 &&
	    p->type == e->row->type) {
		e->id = p->id;
		return 1;
	}
	return 0;
}

/*
 * After an import refused for a profile that exists: reports every row
 * that is already stored. Returns how many, or -1 on a store failure.
 */
static long
report_existing(struct onepass *op, const struct csv_profiles *cp)
{
	struct existing e;
	long found = 0;
	size_t i;

	for (i = 0; i < cp->n_rows; i++) {
		e.row = &cp->rows[i];
		e.id = 0;
		if (store_profile_by_email(op->store, e.row->email_canon,
					   match_existing, &e) != OP_OK)
			return -1;
		if (e.id == 0)
			continue;
		fprintf(stderr, "line %zu: profile %lld already has this "
				"address, name, company and type\n",
			e.row->line, (long long)e.id);
		found++;
	}
	return found;
}

/* Imports the rows of cp in one transaction; returns the exit status. */
static int
import_rows(struct onepass *op, const struct csv_profiles *cp)
{
	struct profile *v;
	size_t i, bad = 0;
	enum op_rc rc;
	long found;
	char detail[64];

	v = xcalloc(cp->n_rows > 0 ? cp->n_rows : 1, sizeof(*v));
	for (i = 0; i < cp->n_rows; i++) {
		v[i].email = (char *)cp->rows[i].email;
		v[i].email_canon = (char *)cp->rows[i].email_canon;
		v[i].name = (char *)cp->rows[i].name;
		v[i].company = (char *)cp->rows[i].company;
		v[i].type = cp->rows[i].type;
		v[i].created_at = op->now();
	}
	rc = store_profile_import(op->store, v, cp->n_rows, &bad);
	xfree(v);
	if (rc == OP_OK) {
		snprintf(detail, sizeof(detail), "%zu profiles", cp->n_rows);
		audit(op, "profile.imported", detail);
		printf("imported %zu profiles\n", cp->n_rows);
		return 0;
	}
	if (rc == OP_E_EXISTS) {
		found = report_existing(op, cp);
		/* None found now: another import took it meanwhile. */
		if (found == 0 && bad < cp->n_rows)
			fprintf(stderr, "line %zu: a profile with this "
					"address, name, company and type "
					"already exists\n",
				cp->rows[bad].line);
	} else if (rc == OP_E_INVALID && bad < cp->n_rows) {
		fprintf(stderr, "line %zu: refused by the store\n",
			cp->rows[bad].line);
	} else {
		fprintf(stderr, "onepass: store: %s\n", op_strerror(rc));
	}
	fprintf(stderr, "onepass: nothing imported\n");
	return 1;
}

static int
profile_import(struct onepass *op, const char *path)
{
	struct csv_profiles cp;
	struct arena *a;
	size_t len, i;
	char *data;
	int status;

	data = read_file(path, &len);
	if (data == NULL)
		return 1;
	a = arena_new();
	if (csv_profiles_parse(a, data, len, &cp) == OP_OK) {
		status = import_rows(op, &cp);
	} else {
		for (i = 0; i < cp.n_problems; i++) {
			if (cp.problems[i].line == 0)
				fprintf(stderr, "%s: %s\n", path,
					cp.problems[i].reason);
			else
				fprintf(stderr, "line %zu: %s\n",
					cp.problems[i].line,
					cp.problems[i].reason);
		}
		fprintf(stderr, "onepass: nothing imported (%zu %s)\n",
			cp.n_problems,
			cp.n_problems == 1 ? "problem" : "problems");
		status = 1;
	}
	csv_profiles_release(&cp);
	arena_free(a);
	xfreezero(data, len);
	return status;
}

int
cmd_profile(struct onepass *op, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return profile_add(op, argc, argv);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return profile_list(op);
	if (argc == 3 && strcmp(argv[1], "import") == 0)
		return profile_import(op, argv[2]);
	fprintf(stderr,
		"usage: onepass profile add --email E --name N --company C "
		"--type customer|partner\n"
		"       onepass profile import FILE.csv\n"
		"       onepass profile list\n");
	return 2;
}

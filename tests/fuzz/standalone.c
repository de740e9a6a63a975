/*
 * standalone.c - a main() for the fuzz targets when they are built with
 * gcc for `make check`: it replays every regular file of the directory
 * given as argument (in name order) through LLVMFuzzerTestOneInput and
 * prints TAP, one "ok N - replay FILE" per file. A target that crashes or
 * aborts on a seed ends the run, which the harness counts as a failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole file into a new buffer; caller frees with xfree(). */
static unsigned char *
read_file(const char *path, size_t *len)
{
	unsigned char *data = NULL;
	size_t n = 0, cap = 0, got;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			data = xrealloc(data, cap);
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		xfree(data);
		return NULL;
	}
	fclose(f);
	*len = n;
	return data;
}

int
main(int argc, char **argv)
{
	char **names = NULL, *path;
	size_t n = 0, cap = 0, i, len;
	unsigned char *data;
	struct dirent *de;
	struct stat st;
	int failed = 0;
	DIR *d;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (d == NULL) {
		printf("not ok 1 - open corpus '%s'\n1..1\n", argv[1]);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		path = xasprintf("%s/%s", argv[1], de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			xfree(path);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = path;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		data = read_file(names[i], &len);
		if (data == NULL) {
			printf("not ok %zu - replay %s (unreadable)\n", i + 1,
			       names[i]);
			failed = 1;
			continue;
		}
		LLVMFuzzerTestOneInput(data, len);
		xfree(data);
		printf("ok %zu - replay %s\n", i + 1, names[i]);
		fflush(stdout);
	}
	printf("1..%zu\n", n);
	for (i = 0; i < n; i++)
		xfree(names[i]);
	xfree(names);
	return failed;
}

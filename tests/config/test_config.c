// SPDX-License-Identifier: BSD-3-Clause
/*
 * The config module against files: every YAML file in tests/config/bad must fail with exactly
 * the messages its "# expect: LINE:COL: PATH: MESSAGE" lines name (the file name prefixed, in
 * that order); every file in good/ must load, and its values are checked below.
 *
 * Like the daemon, enabled plugins are checked against their real descriptor: the test
 * plugins built in tests/plugins are dlopen()ed from the directory given as argv[2]. The
 * read_pcap section is checked against a stand-in schema (the offline reader owns the real
 * one); files that exercise it say "# only: unit" and are skipped by check_config.py.
 *
 * usage: test_config CASES_DIR TEST_PLUGIN_DIR
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static int failures;
static const char *plugin_dir;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			failures++;                                                        \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);             \
			printf(__VA_ARGS__);                                               \
			printf("\n");                                                      \
		}                                                                          \
	} while (0)

static void check_str(const char *got, const char *want, const char *what, int line)
{
	if (got && want && !strcmp(got, want))
		return;
	failures++;
	printf("FAIL %s:%d: %s: \"%s\", expected \"%s\"\n", __FILE__, line, what,
	       got ? got : "(null)", want ? want : "(null)");
}

#define CHECK_STR(got, want, what) check_str((got), (want), (what), __LINE__)

/* A test double: stands in for the offline reader's schema of the read_pcap: section. */
static const struct jp_config_key fake_read_pcap_schema[] = {
	{ .name = "file", .type = JP_CFG_STRING, .required = true },
	{ .name = "speed", .type = JP_CFG_INT, .default_value = "1", .min = 1, .max = 100 },
	{ 0 },
};

static const struct jp_plugin_descriptor *plugin_descriptor(const char *name)
{
	char path[4096];
	void *h;

	snprintf(path, sizeof(path), "%s/%s.so", plugin_dir, name);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);	/* kept open: the schema lives in it */
	if (!h) {
		printf("cannot load %s: %s\n", path, dlerror());
		return NULL;
	}
	return dlsym(h, JP_PLUGIN_SYMBOL);
}

/* What the daemon does with --check-config, up to (not including) loading plugin code. */
static int load_all(const char *path, struct cfg **out)
{
	struct jp_config *c;
	int err = cfg_load(path, out);

	for (size_t i = 0; !err && i < (*out)->n_plugins; i++) {
		const struct cfg_plugin *p = &(*out)->plugins[i];
		const struct jp_plugin_descriptor *d;

		if (!p->enabled)
			continue;
		d = plugin_descriptor(p->name);
		if (!d)
			return -ENOENT;
		err = cfg_plugin_validate(*out, p, d->config_keys, &c);
		cfg_config_free(c);
	}
	if (!err && (*out)->read_pcap) {
		err = cfg_section_validate(*out, (*out)->read_pcap, "read_pcap",
					   fake_read_pcap_schema, &c);
		cfg_config_free(c);
	}
	if (err) {
		cfg_free(*out);
		*out = NULL;
	}
	return err;
}

/* What the config module prints on stderr between capture_begin() and capture_end(). */
struct capture {
	FILE *tmp;
	int saved;
};

static void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	c->saved = dup(STDERR_FILENO);
	if (c->tmp && c->saved >= 0)
		dup2(fileno(c->tmp), STDERR_FILENO);
}

static char *capture_end(struct capture *c)
{
	char *text = calloc(1, 65536);
	size_t len = 0, n;

	fflush(stderr);
	if (c->saved >= 0) {
		dup2(c->saved, STDERR_FILENO);
		close(c->saved);
	}
	if (!c->tmp)
		return text;
	rewind(c->tmp);
	while (text && len < 65535 && (n = fread(text + len, 1, 65535 - len, c->tmp)) > 0)
		len += n;
	fclose(c->tmp);
	return text;
}

static int load_captured(const char *path, struct cfg **out, char **captured)
{
	struct capture c;
	int err;

	capture_begin(&c);
	err = load_all(path, out);
	*captured = capture_end(&c);
	return err;
}

/* The "# expect: " lines of a case, each prefixed with "PATH:", joined by newlines. */
static char *expected_messages(const char *path, bool *unit_only)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	char *out = calloc(1, 65536);
	size_t len = 0;

	*unit_only = false;
	if (!f || !out) {
		free(out);
		if (f)
			fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "# only: unit", 12))
			*unit_only = true;
		if (strncmp(line, "# expect: ", 10))
			continue;
		len += snprintf(out + len, 65536 - len, "%s:%s", path, line + 10);
		if (len >= 65536)
			break;
	}
	fclose(f);
	return out;
}

static void bad_case(const char *path)
{
	struct cfg *cfg = NULL;
	char *got = NULL, *want;
	bool unit_only;
	int err;

	want = expected_messages(path, &unit_only);
	CHECK(want && want[0], "%s: no \"# expect:\" line", path);
	err = load_captured(path, &cfg, &got);
	CHECK(err == -EINVAL, "%s: returned %d, expected -EINVAL", path, err);
	CHECK(cfg == NULL, "%s: a config was returned", path);
	CHECK(got && want && !strcmp(got, want), "%s:\n--- expected\n%s--- got\n%s", path,
	      want ? want : "", got ? got : "");
	cfg_free(cfg);
	free(got);
	free(want);
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int yaml_only(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".yaml");
}

static int bad_cases(const char *dir)
{
	struct dirent **names;
	char path[8192];
	int n = scandir(dir, &names, yaml_only, name_cmp);

	CHECK(n >= 25, "%s: %d cases, expected at least 25", dir, n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		bad_case(path);
		free(names[i]);
	}
	free(names);
	return n;
}

/* A zero-byte file cannot carry its own expectation. */
static void empty_file(void)
{
	char path[] = "/tmp/ja4probe-test-config-XXXXXX";
	int fd = mkstemp(path);
	char want[256], *got = NULL;
	struct cfg *cfg = NULL;
	int err;

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	if (fd < 0)
		return;
	close(fd);
	snprintf(want, sizeof(want),
		 "%s:1:1: top level: expected a mapping of settings, found an empty file\n", path);
	err = load_captured(path, &cfg, &got);
	CHECK(err == -EINVAL, "empty file: returned %d", err);
	CHECK(got && !strcmp(got, want), "empty file: got \"%s\"", got ? got : "");
	unlink(path);
	free(got);
}

/* Files the daemon cannot even parse: missing, not a file, nested past the limit. */
static void generated_cases(void)
{
	char path[] = "/tmp/ja4probe-test-config-XXXXXX", want[8192], *got = NULL;
	struct cfg *cfg = NULL;
	size_t len;
	FILE *f;
	int fd = mkstemp(path), err;

	CHECK(fd >= 0 && (f = fdopen(fd, "w")), "mkstemp: %s", strerror(errno));
	if (fd < 0 || !f)
		return;
	/* 100000 levels: without the limit this overflows the stack or keeps libyaml busy */
	fputs("x: ", f);
	for (int i = 0; i < 100000; i++)
		fputc('[', f);
	for (int i = 0; i < 100000; i++)
		fputc(']', f);
	fclose(f);
	/* the 64th level is the first one refused: the 64th '[' at column 4 + 63 */
	len = (size_t)snprintf(want, sizeof(want), "%s:1:67: x", path);
	for (int i = 0; i < 63; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "[0]");
	snprintf(want + len, sizeof(want) - len,
		 ": expected at most 64 levels of nesting, found more\n");
	err = load_captured(path, &cfg, &got);
	CHECK(err == -EINVAL && !cfg, "deep nesting: %d", err);
	CHECK_STR(got, want, "deep nesting");
	free(got);

	unlink(path);
	snprintf(want, sizeof(want), "%s: cannot read the config: %s\n", path, strerror(ENOENT));
	err = load_captured(path, &cfg, &got);
	CHECK(err == -ENOENT && !cfg, "missing file: %d", err);
	CHECK_STR(got, want, "missing file");
	free(got);

	snprintf(want, sizeof(want), "/tmp: expected a regular file of at most %d bytes\n",
		 1 << 20);
	err = load_captured("/tmp", &cfg, &got);
	CHECK(err == -EINVAL && !cfg, "directory: %d", err);
	CHECK_STR(got, want, "directory");
	free(got);
}

static const struct jp_config_key *schema_key(const struct jp_config_key *schema,
					      const char *name)
{
	for (; schema && schema->name; schema++)
		if (!strcmp(schema->name, name))
			return schema;
	return NULL;
}

static struct cfg *good(const char *dir, const char *name)
{
	char path[4096], *got = NULL;
	struct cfg *cfg = NULL;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	err = load_captured(path, &cfg, &got);
	CHECK(!err && cfg, "%s: returned %d", path, err);
	CHECK(got && !got[0], "%s: printed \"%s\"", path, got ? got : "");
	free(got);
	return cfg;
}

static struct jp_config *plugin_config(const struct cfg *cfg, size_t i)
{
	const struct jp_plugin_descriptor *d = plugin_descriptor(cfg->plugins[i].name);
	struct jp_config *c = NULL;

	CHECK(d && !cfg_plugin_validate(cfg, &cfg->plugins[i], d->config_keys, &c), "plugin %s",
	      cfg->plugins[i].name);
	return c;
}

static void good_full(const char *dir)
{
	struct cfg *cfg = good(dir, "full.yaml");
	const struct jp_config_key *facility = schema_key(sink_type_schema("syslog"), "facility");
	const struct jp_config_key *events;
	struct jp_config *c;

	if (!cfg)
		return;
	CHECK(cfg->log_level == JP_LOG_DEBUG, "log_level %d", cfg->log_level);
	CHECK(cfg->stats_interval == 5, "stats_interval %u", cfg->stats_interval);
	CHECK_STR(cfg->plugin_dir, "/opt/ja4probe/plugins", "plugin_dir");
	CHECK_STR(cfg->host_name, "probe-1", "host_name");
	CHECK(cfg->n_outputs == 2, "n_outputs %zu", cfg->n_outputs);
	if (cfg->n_outputs == 2) {
		CHECK_STR(cfg->outputs[0].type, "json", "outputs[0].type");
		CHECK_STR(cfg_get_string(cfg->outputs[0].keys, "path"),
			  "/var/log/ja4probe/events.json", "outputs[0].path");
		CHECK(cfg->outputs[0].line == 8 && cfg->outputs[0].col == 5, "outputs[0] at %d:%d",
		      cfg->outputs[0].line, cfg->outputs[0].col);
		CHECK_STR(cfg->outputs[1].type, "syslog", "outputs[1].type");
		CHECK_STR(cfg_get_string(cfg->outputs[1].keys, "target"), "tcp://127.0.0.1:6514",
			  "outputs[1].target");
		CHECK_STR(cfg_get_string(cfg->outputs[1].keys, "format"), "rfc3164", "format");
		/* a default comes from the sink's own schema */
		CHECK(facility, "the syslog sink declares no facility");
		CHECK_STR(cfg_get_string(cfg->outputs[1].keys, "facility"),
			  facility ? facility->default_value : NULL, "outputs[1].facility");
		CHECK(!cfg_is_set(cfg->outputs[1].keys, "facility"), "facility is defaulted");
		CHECK(cfg_is_set(cfg->outputs[1].keys, "format"), "format is set");
	}
	CHECK(cfg->n_plugins == 2, "n_plugins %zu", cfg->n_plugins);
	if (cfg->n_plugins == 2) {
		CHECK_STR(cfg->plugins[0].name, "tp_good", "plugins[0]");
		CHECK(cfg->plugins[0].enabled && cfg->plugins[0].required, "tp_good flags");
		CHECK(cfg->plugins[0].line == 15 && cfg->plugins[0].col == 3, "tp_good at %d:%d",
		      cfg->plugins[0].line, cfg->plugins[0].col);
		CHECK_STR(cfg->plugins[1].name, "tc_capture", "plugins[1]");
		CHECK(!cfg->plugins[1].enabled && !cfg->plugins[1].required, "tc_capture flags");
		c = plugin_config(cfg, 0);
		CHECK(cfg_list_len(c, "ports") == 2, "ports: %zu items", cfg_list_len(c, "ports"));
		CHECK(cfg_list_int(c, "ports", 0) == 8443 && cfg_list_int(c, "ports", 1) == 9443,
		      "ports %" PRId64 " %" PRId64, cfg_list_int(c, "ports", 0),
		      cfg_list_int(c, "ports", 1));
		CHECK(cfg_list_int(c, "ports", 2) == 0, "past the end reads 0");
		CHECK_STR(cfg_get_string(c, "label"), "b", "label");
		events = schema_key(plugin_descriptor("tp_good")->config_keys, "events");
		CHECK(events &&
			      cfg_get_int(c, "events") == strtoll(events->default_value, NULL, 10),
		      "events defaulted to %" PRId64, cfg_get_int(c, "events"));
		CHECK(!cfg_is_set(c, "events") && cfg_is_set(c, "ports"), "is_set");
		cfg_config_free(c);
	}
	CHECK(cfg->read_pcap != NULL, "read_pcap kept");
	CHECK(!cfg_section_validate(cfg, cfg->read_pcap, "read_pcap", fake_read_pcap_schema, &c),
	      "read_pcap");
	CHECK_STR(cfg_get_string(c, "file"), "capture.pcap", "read_pcap.file");
	CHECK(cfg_get_int(c, "speed") == 1, "read_pcap.speed %" PRId64, cfg_get_int(c, "speed"));
	cfg_config_free(c);
	cfg_free(cfg);
}

static void good_minimal(const char *dir)
{
	struct cfg *cfg = good(dir, "minimal.yaml");
	struct jp_config *c = NULL;
	char want[8192], *got;
	struct capture cap;
	int err;

	if (!cfg)
		return;
	CHECK(cfg->log_level == JP_LOG_WARN, "log_level %d", cfg->log_level);
	CHECK(cfg->stats_interval == 60, "stats_interval %u", cfg->stats_interval);
	CHECK(!cfg->plugin_dir && !cfg->host_name, "plugin_dir, host_name unset");
	CHECK(cfg->n_outputs == 1, "n_outputs %zu", cfg->n_outputs);
	if (cfg->n_outputs == 1) {
		CHECK_STR(cfg->outputs[0].type, "json", "outputs[0].type");
		CHECK_STR(cfg_get_string(cfg->outputs[0].keys, "path"), "-", "outputs[0].path");
	}
	CHECK(cfg->n_plugins == 0 && !cfg->read_pcap, "no plugins, no read_pcap");
	/* an absent section still gets its defaults and its required keys checked */
	capture_begin(&cap);
	err = cfg_section_validate(cfg, NULL, "read_pcap", fake_read_pcap_schema, &c);
	got = capture_end(&cap);
	snprintf(want, sizeof(want), "%s/minimal.yaml:1:1: read_pcap: missing required key "
		 "\"file\" (a string)\n", dir);
	CHECK(err == -EINVAL && !c, "absent read_pcap lacks file: %d", err);
	CHECK_STR(got, want, "absent read_pcap");
	free(got);
	cfg_free(cfg);
}

static void good_forms(const char *dir)
{
	struct cfg *cfg = good(dir, "forms.yaml");
	struct jp_config *c;

	if (!cfg)
		return;
	CHECK(cfg->log_level == JP_LOG_ERROR, "log_level %d", cfg->log_level);
	CHECK(cfg->stats_interval == 0, "stats_interval %u", cfg->stats_interval);
	CHECK(cfg->n_outputs == 1 && cfg_get_int(cfg->outputs[0].keys, "queue_size") == 128,
	      "queue_size");
	CHECK(cfg->n_plugins == 2 && cfg->plugins[0].enabled && !cfg->plugins[0].required &&
		      !cfg->plugins[1].enabled,
	      "plugin flags");
	c = plugin_config(cfg, 0);
	CHECK(cfg_list_len(c, "ports") == 1 && cfg_list_int(c, "ports", 0) == 8080,
	      "a scalar is a one-item list");
	CHECK(cfg_get_string(c, "label") == NULL, "unset, no default: NULL");
	cfg_config_free(c);
	cfg_free(cfg);
}

static void builtin_default(void)
{
	struct cfg *cfg = NULL;

	CHECK(!cfg_default(&cfg) && cfg, "cfg_default");
	if (!cfg)
		return;
	CHECK(cfg->stats_interval == 0 && cfg->n_plugins == 0 && !cfg->read_pcap, "stats off");
	CHECK(cfg->n_outputs == 1, "one output");
	CHECK_STR(cfg->outputs[0].type, "json", "type");
	CHECK_STR(cfg_get_string(cfg->outputs[0].keys, "path"), "-", "stdout");
	cfg_free(cfg);
}

int main(int argc, char **argv)
{
	char dir[4096];
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CASES_DIR TEST_PLUGIN_DIR\n", argv[0]);
		return 2;
	}
	plugin_dir = argv[2];
	snprintf(dir, sizeof(dir), "%s/bad", argv[1]);
	n = bad_cases(dir);
	empty_file();
	generated_cases();
	snprintf(dir, sizeof(dir), "%s/good", argv[1]);
	good_full(dir);
	good_minimal(dir);
	good_forms(dir);
	builtin_default();
	printf("%d malformed configs, %d failures\n", n + 4, failures);
	return failures ? 1 : 0;
}

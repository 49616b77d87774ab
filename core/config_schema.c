// SPDX-License-Identifier: BSD-3-Clause
/*
 * A mapping checked against a schema -> struct jp_config.
 *
 * How scalars are read (the key's declared type decides; quoting does not matter, except that
 * an unquoted empty value, "~" or "null" is "nothing"):
 *  - bool: true/True/TRUE or false/False/FALSE, the forms YAML 1.1 and 1.2 agree on. yes, no,
 *    on, off are refused: YAML 1.2 reads them as strings, YAML 1.1 as booleans, and a config
 *    should not mean different things to different readers;
 *  - int: decimal with an optional sign, nothing after it, within int64 and within [min, max];
 *    no leading zero, which YAML 1.1 reads as octal and YAML 1.2 as decimal;
 *  - string: any scalar, checked against the choices when there are some;
 *  - lists: a YAML sequence of scalars, or one scalar read as a one-item list.
 * Defaults are YAML text parsed by the same code, except that a string key's default is taken
 * literally: a default such as "-" is not valid YAML on its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_node.h"
#include "config_schema.h"
#include "log.h"

#define CFG_DEFAULT_FILE "(built-in default)"

struct cfg_value {
	const struct jp_config_key *key;	/* the schema outlives the config */
	bool set;		/* written in the file (not defaulted) */
	bool has_value;		/* set, or defaulted */
	bool b;
	int64_t i;
	char *s;
	size_t n;		/* list length */
	char **strs;
	int64_t *ints;
};

struct jp_config {
	size_t n;
	struct cfg_value v[];
};

static const char *type_name(enum jp_cfg_type type)
{
	switch (type) {
	case JP_CFG_BOOL:
		return "true or false";
	case JP_CFG_INT:
		return "an integer";
	case JP_CFG_STRING:
		return "a string";
	case JP_CFG_STRING_LIST:
		return "a string or a list of strings";
	case JP_CFG_INT_LIST:
		return "an integer or a list of integers";
	}
	return "a value";
}

/* "a, b, c" into buf; for the messages that list what is allowed */
static void join(char *buf, size_t size, const char *const *words, const char *const *more)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		for (const char *const *w = pass ? more : words; w && *w && len < size; w++) {
			int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *w);

			len = n < 0 ? size : len + (size_t)n;
		}
	}
}

static int scalar_expected(const char *file, const struct cfg_node *n, const char *what)
{
	char found[64];

	cfg_node_error(file, n, "expected %s, found %s", what,
		       cfg_node_describe(n, found, sizeof(found)));
	return -EINVAL;
}

static int read_bool(const char *file, const struct cfg_node *n, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };

	if (n->kind == CFG_NODE_SCALAR) {
		for (size_t i = 0; i < 3; i++) {
			if (!strcmp(n->value, yes[i]) || !strcmp(n->value, no[i])) {
				*out = !strcmp(n->value, yes[i]);
				return 0;
			}
		}
	}
	return scalar_expected(file, n, "true or false");
}

static int read_int(const char *file, const struct jp_config_key *k, const struct cfg_node *n,
		    int64_t *out)
{
	char what[96] = "an integer";
	const char *s = n->value;
	char *end;
	long long v;

	if (k->min < k->max)
		snprintf(what, sizeof(what), "an integer in %" PRId64 "..%" PRId64, k->min, k->max);
	if (n->kind != CFG_NODE_SCALAR || n->null)
		return scalar_expected(file, n, what);
	/* strtoll alone would take leading blanks, hex with base 0, and stop at garbage */
	if (*s == '+' || *s == '-')
		s++;
	if (*s < '0' || *s > '9' || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]))
		return scalar_expected(file, n, what);
	errno = 0;
	v = strtoll(n->value, &end, 10);
	if (errno == ERANGE || (k->min < k->max && (v < k->min || v > k->max))) {
		cfg_node_error(file, n, "expected %s, found %s%s", what, n->value,
			       errno == ERANGE ? " (too large)" : "");
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int read_string(const char *file, const struct jp_config_key *k, const struct cfg_node *n,
		       char **out)
{
	char choices[512], found[64];

	if (n->kind != CFG_NODE_SCALAR || n->null)
		return scalar_expected(file, n, "a string");
	if (k->choices) {
		const char *const *c = k->choices;

		while (*c && strcmp(*c, n->value))
			c++;
		if (!*c) {
			join(choices, sizeof(choices), k->choices, NULL);
			cfg_node_error(file, n, "expected one of %s; found %s", choices,
				       cfg_node_describe(n, found, sizeof(found)));
			return -EINVAL;
		}
	}
	*out = strdup(n->value);
	return *out ? 0 : -ENOMEM;
}

static int read_list(const char *file, const struct jp_config_key *k, const struct cfg_node *n,
		     struct cfg_value *v)
{
	bool one = n->kind == CFG_NODE_SCALAR;
	size_t count = one ? 1 : n->n;
	int err = 0;

	if (n->kind == CFG_NODE_MAPPING || (one && n->null))
		return scalar_expected(file, n, type_name(k->type));
	if (k->type == JP_CFG_STRING_LIST)
		v->strs = calloc(count ? count : 1, sizeof(*v->strs));
	else
		v->ints = calloc(count ? count : 1, sizeof(*v->ints));
	if (!v->strs && !v->ints)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct cfg_node *item = one ? n : n->items[i];
		int r = k->type == JP_CFG_STRING_LIST ? read_string(file, k, item, &v->strs[i])
						      : read_int(file, k, item, &v->ints[i]);

		if (r == -ENOMEM)
			return r;
		err = err ? err : r;
		if (!r)
			v->n = i + 1;	/* what was read so far is freed on error */
	}
	return err;
}

static int read_value(const char *file, const struct cfg_node *n, struct cfg_value *v)
{
	const struct jp_config_key *k = v->key;

	switch (k->type) {
	case JP_CFG_BOOL:
		return read_bool(file, n, &v->b);
	case JP_CFG_INT:
		return read_int(file, k, n, &v->i);
	case JP_CFG_STRING:
		return read_string(file, k, n, &v->s);
	case JP_CFG_STRING_LIST:
	case JP_CFG_INT_LIST:
		return read_list(file, k, n, v);
	}
	cfg_node_error(file, n, "the schema declares an unknown type %d", (int)k->type);
	return -EINVAL;
}

/* A default is text in the descriptor: read it as if it were written under the section. */
static int read_default(const struct cfg_node *section, struct cfg_value *v)
{
	const struct jp_config_key *k = v->key;
	struct cfg_node literal = {
		.kind = CFG_NODE_SCALAR, .line = 1, .col = 1, .parent = section, .key = k->name,
		.value = (char *)k->default_value,
	};
	struct cfg_node *root = &literal;
	int err = 0;

	if (k->type != JP_CFG_STRING) {
		err = cfg_node_parse_string(CFG_DEFAULT_FILE, k->default_value, &root);
		if (!err && !root) {
			cfg_error_at(CFG_DEFAULT_FILE, 1, 1, k->name, "expected %s, found nothing",
				     type_name(k->type));
			err = -EINVAL;
		}
		if (err) {
			cfg_node_free(root);
			return err;
		}
		root->parent = section;
		root->key = k->name;
	}
	err = read_value(CFG_DEFAULT_FILE, root, v);
	if (root != &literal)
		cfg_node_free(root);
	return err;
}

static bool in_list(const char *const *list, const char *word)
{
	for (; list && *list; list++)
		if (!strcmp(*list, word))
			return true;
	return false;
}

static void unknown_key(const struct cfg_section *s, const struct jp_config_key *schema,
			const struct cfg_node *key)
{
	const char *names[64];
	char allowed[768];
	size_t n = 0;

	for (const struct jp_config_key *k = schema; k->name && n < 63; k++)
		names[n++] = k->name;
	names[n] = NULL;
	join(allowed, sizeof(allowed), names, s->extra_keys);
	cfg_node_error(s->file, key, "unknown key; expected one of: %s",
		       allowed[0] ? allowed : "(none)");
}

static int read_given(const struct cfg_section *s, const struct jp_config_key *schema,
		      const struct cfg_node *map, struct jp_config *c)
{
	int err = 0;

	for (size_t i = 0; i < map->n; i++) {
		const struct cfg_node *key = map->keys[i];
		struct cfg_value *v = NULL;
		int r;

		for (size_t j = 0; j < c->n && !v; j++)
			if (!strcmp(c->v[j].key->name, key->value))
				v = &c->v[j];
		if (!v) {
			if (in_list(s->extra_keys, key->value) || s->ignore_unknown)
				continue;
			unknown_key(s, schema, key);
			err = -EINVAL;
			continue;
		}
		r = read_value(s->file, map->items[i], v);
		if (r == -ENOMEM)
			return r;
		err = err ? err : r;
		v->set = v->has_value = !r;
	}
	return err;
}

int cfg_schema_validate(const struct cfg_section *s, const struct jp_config_key *schema,
			struct jp_config **out)
{
	/* an absent section reads as an empty mapping named s->name, so paths stay right */
	struct cfg_node top = { .kind = CFG_NODE_MAPPING, .line = s->line, .col = s->col };
	struct cfg_node absent = {
		.kind = CFG_NODE_MAPPING, .line = s->line, .col = s->col, .parent = &top,
		.key = s->name,
	};
	const struct cfg_node *map = s->node ? s->node : &absent;
	struct jp_config *c;
	size_t n = 0;
	int err = 0;

	*out = NULL;
	while (schema[n].name)
		n++;
	c = calloc(1, sizeof(*c) + n * sizeof(c->v[0]));
	if (!c)
		return -ENOMEM;
	c->n = n;
	for (size_t i = 0; i < n; i++)
		c->v[i].key = &schema[i];

	if (map->kind != CFG_NODE_MAPPING) {
		err = scalar_expected(s->file, map, "a mapping of keys");
		goto out;
	}
	err = read_given(s, schema, map, c);
	for (size_t i = 0; i < n && err != -ENOMEM; i++) {
		struct cfg_value *v = &c->v[i];
		char path[256];
		int r = 0;

		if (v->set || cfg_node_get(map, v->key->name))
			continue;	/* a key given with a wrong value is not also "missing" */
		if (v->key->required) {
			cfg_node_path(map, path, sizeof(path));
			cfg_error_at(s->file, map->line, map->col, path,
				     "missing required key \"%s\" (%s)", v->key->name,
				     type_name(v->key->type));
			r = -EINVAL;
		} else if (v->key->default_value) {
			r = read_default(map, v);
			v->has_value = !r;
		}
		err = err ? err : r;
	}
out:
	if (err) {
		cfg_config_free(c);
		return err;
	}
	*out = c;
	return 0;
}

void cfg_config_free(struct jp_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct cfg_value *v = &c->v[i];

		free(v->s);
		for (size_t j = 0; v->strs && j < v->n; j++)
			free(v->strs[j]);
		free(v->strs);
		free(v->ints);
	}
	free(c);
}

/* The accessors: asking for an undeclared key or with the wrong type is a bug in the caller. */
static const struct cfg_value *lookup(const struct jp_config *c, const char *key,
				      enum jp_cfg_type type, enum jp_cfg_type alt)
{
	for (size_t i = 0; c && i < c->n; i++) {
		const struct cfg_value *v = &c->v[i];

		if (strcmp(v->key->name, key))
			continue;
		if (v->key->type != type && v->key->type != alt) {
			log_error("config key \"%s\" is read as %s but declared as %s", key,
				  type_name(type), type_name(v->key->type));
			return NULL;
		}
		return v->has_value ? v : NULL;
	}
	log_error("config key \"%s\" is read but was never declared", key);
	return NULL;
}

bool cfg_get_bool(const struct jp_config *c, const char *key)
{
	const struct cfg_value *v = lookup(c, key, JP_CFG_BOOL, JP_CFG_BOOL);

	return v && v->b;
}

int64_t cfg_get_int(const struct jp_config *c, const char *key)
{
	const struct cfg_value *v = lookup(c, key, JP_CFG_INT, JP_CFG_INT);

	return v ? v->i : 0;
}

const char *cfg_get_string(const struct jp_config *c, const char *key)
{
	const struct cfg_value *v = lookup(c, key, JP_CFG_STRING, JP_CFG_STRING);

	return v ? v->s : NULL;
}

size_t cfg_list_len(const struct jp_config *c, const char *key)
{
	const struct cfg_value *v = lookup(c, key, JP_CFG_STRING_LIST, JP_CFG_INT_LIST);

	return v ? v->n : 0;
}

const char *cfg_list_string(const struct jp_config *c, const char *key, size_t i)
{
	const struct cfg_value *v = lookup(c, key, JP_CFG_STRING_LIST, JP_CFG_STRING_LIST);

	return v && i < v->n ? v->strs[i] : NULL;
}

int64_t cfg_list_int(const struct jp_config *c, const char *key, size_t i)
{
	const struct cfg_value *v = lookup(c, key, JP_CFG_INT_LIST, JP_CFG_INT_LIST);

	return v && i < v->n ? v->ints[i] : 0;
}

bool cfg_is_set(const struct jp_config *c, const char *key)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (!strcmp(c->v[i].key->name, key))
			return c->v[i].set;
	return false;
}

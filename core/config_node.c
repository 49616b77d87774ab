// SPDX-License-Identifier: BSD-3-Clause
/*
 * YAML text -> struct cfg_node tree, through libyaml's event parser.
 *
 * Choices, so that a config means one thing:
 *  - anchors, aliases and tags are rejected (with the key path), not resolved: a config small
 *    enough to read does not need them, and resolving aliases invites billion-laughs files;
 *  - one document per file; duplicate keys are errors (libyaml itself lets them through);
 *  - nesting is limited to CFG_MAX_DEPTH so a hostile file cannot exhaust the stack (nor
 *    keep libyaml busy: parsing stops there).
 * Scalars stay text here; their type is decided by the schema of the key they belong to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "config_node.h"

#define CFG_MAX_DEPTH 64
#define CFG_MAX_FILE_SIZE (1 << 20)

struct parse {
	yaml_parser_t parser;
	const char *name;
	const char *text;	/* for turning a reader error's byte offset into line:col */
	size_t len;
	int errors;
	bool fatal;		/* parsing stopped (a syntax error, too deep): no tree */
};

void cfg_verror_at(const char *file, int line, int col, const char *path, const char *fmt,
		   va_list ap)
{
	/* one write per line: other threads or processes may share stderr */
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%s:%d:%d: %s%s", file, line, col, path ? path : "",
			 path ? ": " : "");

	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	fprintf(stderr, "%s\n", msg);
}

void cfg_error_at(const char *file, int line, int col, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror_at(file, line, col, path, fmt, ap);
	va_end(ap);
}

static size_t path_append(const struct cfg_node *node, char *buf, size_t size, size_t len)
{
	const struct cfg_node *parent = node->parent;
	int n;

	if (!parent)
		return len;
	len = path_append(parent, buf, size, len);
	if (len >= size)
		return len;
	if (parent->kind == CFG_NODE_SEQUENCE)
		n = snprintf(buf + len, size - len, "[%zu]", node->index);
	else
		n = snprintf(buf + len, size - len, "%s%s", len ? "." : "",
			     node->key ? node->key : "?");	/* inside a non-scalar key */
	return n < 0 ? size : len + (size_t)n;
}

void cfg_node_path(const struct cfg_node *node, char *buf, size_t size)
{
	if (!size)
		return;
	buf[0] = '\0';
	if (!node->parent)
		snprintf(buf, size, "top level");
	else
		path_append(node, buf, size, 0);
}

void cfg_node_error(const char *file, const struct cfg_node *node, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	cfg_node_path(node, path, sizeof(path));
	va_start(ap, fmt);
	cfg_verror_at(file, node->line, node->col, path, fmt, ap);
	va_end(ap);
}

const char *cfg_node_describe(const struct cfg_node *node, char *buf, size_t size)
{
	if (node->kind == CFG_NODE_MAPPING)
		return "a mapping";
	if (node->kind == CFG_NODE_SEQUENCE)
		return "a list";
	if (node->null)
		return "nothing";
	snprintf(buf, size, "\"%.*s%s\"", 40, node->value, strlen(node->value) > 40 ? "..." : "");
	return buf;
}

const struct cfg_node *cfg_node_get(const struct cfg_node *map, const char *key)
{
	if (!map || map->kind != CFG_NODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return map->items[i];
	return NULL;
}

void cfg_node_free(struct cfg_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->n; i++) {
		cfg_node_free(node->items[i]);
		if (node->keys)
			cfg_node_free(node->keys[i]);
	}
	free(node->items);
	free(node->keys);
	free(node->value);
	free(node);
}

/* libyaml counts columns in characters: count UTF-8 lead bytes up to the offset */
static void offset_to_mark(const struct parse *p, size_t offset, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset && i < p->len; i++) {
		unsigned char c = (unsigned char)p->text[i];

		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static void report_syntax(struct parse *p)
{
	const yaml_parser_t *y = &p->parser;
	const char *problem = y->problem ? y->problem : "cannot parse";
	int line = (int)y->problem_mark.line + 1, col = (int)y->problem_mark.column + 1;

	p->errors++;
	p->fatal = true;
	if (y->error == YAML_READER_ERROR) {
		offset_to_mark(p, y->problem_offset, &line, &col);
		cfg_error_at(p->name, line, col, "yaml", "%s (byte 0x%02x at offset %zu)", problem,
			     (unsigned)y->problem_value & 0xff, y->problem_offset);
	} else if (y->context) {
		cfg_error_at(p->name, line, col, "yaml", "%s (%s at %d:%d)", problem, y->context,
			     (int)y->context_mark.line + 1, (int)y->context_mark.column + 1);
	} else {
		cfg_error_at(p->name, line, col, "yaml", "%s", problem);
	}
}

static int next_event(struct parse *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(&p->parser, ev))
		return 0;
	report_syntax(p);
	return -EINVAL;
}

static struct cfg_node *node_new(enum cfg_node_kind kind, const yaml_event_t *ev,
				 const struct cfg_node *parent, const char *key, size_t index)
{
	struct cfg_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->parent = parent;
	n->key = key;
	n->index = index;
	return n;
}

static void node_error(struct parse *p, const struct cfg_node *node, const char *what,
		       const char *sigil, const char *text)
{
	p->errors++;
	cfg_node_error(p->name, node, "%s (%s%s) are not supported; write the value out", what,
		       sigil, text);
}

/* Anchors and tags of the node that ev starts; the node is kept so that parsing goes on. */
static void check_properties(struct parse *p, const struct cfg_node *node, const char *anchor,
			     const char *tag)
{
	if (anchor)
		node_error(p, node, "anchors", "&", anchor);
	if (tag)
		node_error(p, node, "tags", "", tag);
}

static int scalar_from_event(struct parse *p, struct cfg_node *n, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	n->value = strndup(v, len);
	if (!n->value)
		return -ENOMEM;
	if (!n->key && n->parent && n->parent->kind == CFG_NODE_MAPPING)
		n->key = n->value;	/* a key: named by its own text, so its path is "map.key" */
	n->null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		  (!len || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
		   !strcmp(v, "NULL"));
	check_properties(p, n, (const char *)ev->data.scalar.anchor,
			 (const char *)ev->data.scalar.tag);
	if (strlen(n->value) != len) {
		p->errors++;
		cfg_node_error(p->name, n, "expected text, found a NUL character in it");
	}
	return 0;
}

static int build(struct parse *p, yaml_event_t *ev, const struct cfg_node *parent,
		 const char *key, size_t index, int depth, struct cfg_node **out);

static int append(struct cfg_node *n, struct cfg_node *item, struct cfg_node *key)
{
	if (n->n == n->cap) {	/* doubling: a long list is not copied once per item */
		size_t cap = n->cap ? 2 * n->cap : 4;
		struct cfg_node **items = realloc(n->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		n->items = items;
		if (n->kind == CFG_NODE_MAPPING) {
			struct cfg_node **keys = realloc(n->keys, cap * sizeof(*keys));

			if (!keys)
				return -ENOMEM;
			n->keys = keys;
		}
		n->cap = cap;
	}
	if (n->kind == CFG_NODE_MAPPING)
		n->keys[n->n] = key;
	n->items[n->n++] = item;
	return 0;
}

struct key_ref {
	const char *text;
	size_t pos;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * Reports every repeated key of a mapping, in file order, and drops it so that the tree holds
 * each key once. Sorting keeps this O(n log n) for a mapping of any size.
 */
static int drop_duplicates(struct parse *p, struct cfg_node *map)
{
	struct key_ref *refs;
	size_t *first, kept = 0;

	if (map->n < 2)
		return 0;
	refs = malloc(map->n * sizeof(*refs));
	first = malloc(map->n * sizeof(*first));
	if (!refs || !first) {
		free(refs);
		free(first);
		return -ENOMEM;
	}
	for (size_t i = 0; i < map->n; i++) {
		refs[i] = (struct key_ref){ map->keys[i]->value, i };
		first[i] = i;
	}
	qsort(refs, map->n, sizeof(*refs), key_ref_cmp);
	for (size_t i = 1; i < map->n; i++)
		if (!strcmp(refs[i].text, refs[i - 1].text))
			first[refs[i].pos] = first[refs[i - 1].pos];
	for (size_t i = 0; i < map->n; i++) {
		const struct cfg_node *k = map->keys[first[i]];

		if (first[i] == i) {
			map->keys[kept] = map->keys[i];
			map->items[kept++] = map->items[i];
			continue;
		}
		p->errors++;
		cfg_node_error(p->name, map->keys[i], "duplicate key (first at %d:%d)", k->line,
			       k->col);
		cfg_node_free(map->keys[i]);
		cfg_node_free(map->items[i]);
	}
	map->n = kept;
	free(refs);
	free(first);
	return 0;
}

/* One item of a sequence or one key/value pair of a mapping; *done at the closing event. */
static int build_child(struct parse *p, struct cfg_node *n, int depth, bool *done)
{
	yaml_event_t ev;
	struct cfg_node *key = NULL, *value = NULL;
	int err = next_event(p, &ev);

	if (err)
		return err;
	if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
		*done = true;
		yaml_event_delete(&ev);
		return 0;
	}
	if (n->kind == CFG_NODE_MAPPING) {
		err = build(p, &ev, n, NULL, 0, depth + 1, &key);
		yaml_event_delete(&ev);
		if (err) {
			cfg_node_free(key);	/* built as far as it went */
			return err;
		}
		if (key->kind != CFG_NODE_SCALAR) {
			char path[256];

			p->errors++;
			cfg_node_path(n, path, sizeof(path));
			cfg_error_at(p->name, key->line, key->col, path,
				     "expected a plain key, found %s",
				     key->kind == CFG_NODE_MAPPING ? "a mapping" : "a list");
			cfg_node_free(key);
			key = NULL;
		}
		err = next_event(p, &ev);
		if (err) {
			cfg_node_free(key);
			return err;
		}
	}
	err = build(p, &ev, n, key ? key->value : "?", n->n, depth + 1, &value);
	yaml_event_delete(&ev);
	if (!err && (n->kind == CFG_NODE_SEQUENCE || key))
		err = append(n, value, key);
	else if (!err)
		cfg_node_free(value);	/* the value of a rejected key */
	if (err) {
		cfg_node_free(value);
		cfg_node_free(key);
	}
	return err;
}

/* Builds the node that ev starts, consuming the events up to its end. */
static int build(struct parse *p, yaml_event_t *ev, const struct cfg_node *parent,
		 const char *key, size_t index, int depth, struct cfg_node **out)
{
	struct cfg_node *n;
	bool done = false;
	int err = 0;

	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(CFG_NODE_SCALAR, ev, parent, key, index);
		if (!n)
			return -ENOMEM;
		*out = n;
		return scalar_from_event(p, n, ev);
	case YAML_ALIAS_EVENT:
		n = node_new(CFG_NODE_SCALAR, ev, parent, key, index);
		if (!n || !(n->value = strdup("")))
			goto nomem;
		n->null = true;
		node_error(p, n, "aliases", "*", (const char *)ev->data.alias.anchor);
		*out = n;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(CFG_NODE_SEQUENCE, ev, parent, key, index);
		if (!n)
			return -ENOMEM;
		check_properties(p, n, (const char *)ev->data.sequence_start.anchor,
				 (const char *)ev->data.sequence_start.tag);
		break;
	case YAML_MAPPING_START_EVENT:
		n = node_new(CFG_NODE_MAPPING, ev, parent, key, index);
		if (!n)
			return -ENOMEM;
		check_properties(p, n, (const char *)ev->data.mapping_start.anchor,
				 (const char *)ev->data.mapping_start.tag);
		break;
	default:
		/* libyaml only produces the events above inside a document */
		return -EINVAL;
	}
	*out = n;
	if (depth >= CFG_MAX_DEPTH) {
		/* stop here: libyaml's scanner slows down with the square of the nesting */
		p->errors++;
		p->fatal = true;
		cfg_node_error(p->name, n, "expected at most %d levels of nesting, found more",
			       CFG_MAX_DEPTH);
		return -EINVAL;
	}
	while (!err && !done)
		err = build_child(p, n, depth, &done);
	if (!err && n->kind == CFG_NODE_MAPPING)
		err = drop_duplicates(p, n);
	return err;
nomem:
	free(n);
	return -ENOMEM;
}

static int parse_document(struct parse *p, struct cfg_node **root)
{
	yaml_event_t ev;
	int err;

	bool in_document = false;

	*root = NULL;
	while (!in_document) {	/* STREAM_START, then DOCUMENT_START or STREAM_END (no document) */
		err = next_event(p, &ev);
		if (err)
			return err;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		in_document = ev.type == YAML_DOCUMENT_START_EVENT;
		yaml_event_delete(&ev);
	}

	err = next_event(p, &ev);
	if (err)
		return err;
	err = build(p, &ev, NULL, NULL, 0, 0, root);
	yaml_event_delete(&ev);
	if (err)
		return err;

	err = next_event(p, &ev);	/* DOCUMENT_END */
	if (err)
		return err;
	yaml_event_delete(&ev);
	err = next_event(p, &ev);
	if (err)
		return err;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		p->errors++;
		cfg_error_at(p->name, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
			     "yaml", "expected one document, found a second one");
	}
	yaml_event_delete(&ev);
	return 0;
}

static int parse_text(const char *name, const char *text, size_t len, struct cfg_node **root)
{
	struct parse p = { .name = name, .text = text, .len = len };
	int err;

	*root = NULL;
	if (!yaml_parser_initialize(&p.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)text, len);
	err = parse_document(&p, root);
	yaml_parser_delete(&p.parser);
	if (!err && p.errors)
		err = -EINVAL;
	if (err && p.fatal) {
		cfg_node_free(*root);
		*root = NULL;
	}
	return err;
}

int cfg_node_parse_string(const char *name, const char *text, struct cfg_node **root)
{
	return parse_text(name, text, strlen(text), root);
}

static int read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	int fd, err = 0;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		fprintf(stderr, "%s: cannot read the config: %s\n", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CFG_MAX_FILE_SIZE) {
		err = -EINVAL;
		fprintf(stderr, "%s: expected a regular file of at most %d bytes\n", path,
			CFG_MAX_FILE_SIZE);
		goto out;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		err = -ENOMEM;
		goto out;
	}
	while (*len < (size_t)st.st_size) {
		ssize_t n = read(fd, *text + *len, (size_t)st.st_size - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			fprintf(stderr, "%s: cannot read the config: %s\n", path, strerror(errno));
			free(*text);
			*text = NULL;
			goto out;
		}
		if (!n)
			break;	/* the file shrank meanwhile */
		*len += (size_t)n;
	}
	(*text)[*len] = '\0';
out:
	if (fd >= 0)
		close(fd);
	return err;
}

/* The length is passed on, not strlen(): libyaml reports a NUL byte with its position. */
int cfg_node_parse_file(const char *path, struct cfg_node **root)
{
	char *text;
	size_t len;
	int err = read_file(path, &text, &len);

	*root = NULL;
	if (err)
		return err;
	err = parse_text(path, text, len, root);
	free(text);
	return err;
}

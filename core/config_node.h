/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML document as a tree of nodes that remember where they were written, so that every
 * config error can name FILE:LINE:COL and the key path (e.g. "outputs[1].format").
 * Internal to the config module.
 */
#ifndef JA4PROBE_CONFIG_NODE_H
#define JA4PROBE_CONFIG_NODE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <ja4probe/plugin.h>

enum cfg_node_kind { CFG_NODE_SCALAR, CFG_NODE_SEQUENCE, CFG_NODE_MAPPING };

struct cfg_node {
	enum cfg_node_kind kind;
	int line, col;			/* 1-based */
	const struct cfg_node *parent;	/* NULL for the document's root */
	const char *key;		/* parent is a mapping: the key this value belongs to */
	size_t index;			/* parent is a sequence: the position in it */
	char *value;			/* scalar: the text, NUL-terminated */
	bool null;			/* scalar: plain "", "~" or "null" (no value written) */
	size_t n;			/* mapping: pairs; sequence: items */
	size_t cap;			/* allocated items (and keys) */
	struct cfg_node **items;	/* mapping: the values; sequence: the items */
	struct cfg_node **keys;		/* mapping: the key scalars, for their positions */
};

/*
 * Parse one YAML document. name is the file name used in messages. Errors are reported; any
 * error returns -EINVAL. After a syntax error *root is NULL; after errors that do not stop
 * parsing (duplicate keys, anchors, aliases, tags) *root is kept so that the caller can report
 * more in one pass, and must still be freed. A file without a document yields *root == NULL
 * and 0: the caller decides whether empty is valid.
 */
int cfg_node_parse_file(const char *path, struct cfg_node **root);
int cfg_node_parse_string(const char *name, const char *text, struct cfg_node **root);
void cfg_node_free(struct cfg_node *node);

/* The value of KEY in a mapping, or NULL. */
const struct cfg_node *cfg_node_get(const struct cfg_node *map, const char *key);
/* "a mapping", "a list", "nothing", or the scalar quoted: for "found ..." in messages. */
const char *cfg_node_describe(const struct cfg_node *node, char *buf, size_t size);

/* "outputs[1].format"; "top level" for the root. */
void cfg_node_path(const struct cfg_node *node, char *buf, size_t size);

/* Print "FILE:LINE:COL: PATH: MESSAGE" to stderr, PATH taken from node. */
void cfg_node_error(const char *file, const struct cfg_node *node, const char *fmt, ...)
	JP_PRINTF(3, 4);
/* The same with explicit position and path (for errors without a node); path may be NULL. */
void cfg_verror_at(const char *file, int line, int col, const char *path, const char *fmt,
		   va_list ap);
/* The same with explicit position and path (for errors without a node). */
void cfg_error_at(const char *file, int line, int col, const char *path, const char *fmt, ...)
	JP_PRINTF(5, 6);

#endif

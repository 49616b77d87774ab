// SPDX-License-Identifier: BSD-3-Clause
/*
 * The config file's own layout: global keys, outputs, plugins, read_pcap. The YAML tree comes
 * from config_node.c, every mapping is checked by config_schema.c; this file says which schema
 * applies where. Errors are collected over the whole file before cfg_load() fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_node.h"
#include "config_schema.h"

#define CFG_BUILTIN "(built-in default)"

/* in the order of enum jp_log_level, which turns the choice into the level */
static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };

static const struct jp_config_key global_keys[] = {
	{ .name = "log_level", .type = JP_CFG_STRING, .default_value = "info",
	  .choices = log_levels, .description = "least severe message logged" },
	{ .name = "stats_interval", .type = JP_CFG_INT, .default_value = "60", .min = 0,
	  .max = 86400, .description = "seconds between stats events; 0: none" },
	{ .name = "plugin_dir", .type = JP_CFG_STRING,
	  .description = "where plugins are loaded from; default: the installed directory" },
	{ .name = "host_name", .type = JP_CFG_STRING,
	  .description = "\"host\" in events; default: the system's host name" },
	{ 0 },
};
/* the top-level keys checked here rather than through global_keys */
static const char *const section_keys[] = { "outputs", "plugins", "read_pcap", NULL };

/* what cfg_load() reads of a plugin's entry; the rest waits for the plugin's schema */
static const struct jp_config_key plugin_keys[] = {
	{ .name = "enabled", .type = JP_CFG_BOOL, .default_value = "false",
	  .description = "load this plugin" },
	{ .name = "required", .type = JP_CFG_BOOL, .default_value = "false",
	  .description = "exit when this plugin fails to start" },
	{ 0 },
};
static const char *const plugin_key_names[] = { "enabled", "required", NULL };
static const char *const output_key_names[] = { "type", NULL };

void cfg_report(const struct cfg *cfg, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror_at(cfg->path, line, col, NULL, fmt, ap);
	va_end(ap);
}

static int load_globals(struct cfg *cfg)
{
	struct cfg_section s = { .file = cfg->path, .node = cfg->root, .extra_keys = section_keys };
	const char *level;
	int err = cfg_schema_validate(&s, global_keys, &cfg->globals);

	if (err)
		return err;
	level = cfg_get_string(cfg->globals, "log_level");
	for (size_t i = 0; log_levels[i]; i++)
		if (!strcmp(level, log_levels[i]))
			cfg->log_level = (enum jp_log_level)i;
	cfg->stats_interval = (unsigned)cfg_get_int(cfg->globals, "stats_interval");
	cfg->plugin_dir = cfg_get_string(cfg->globals, "plugin_dir");
	cfg->host_name = cfg_get_string(cfg->globals, "host_name");
	/* every event carries it whole: cut to fit, it could end inside a UTF-8 character and
	 * then no event could be written */
	if (cfg->host_name && strlen(cfg->host_name) > CFG_HOST_NAME_MAX) {
		cfg_node_error(cfg->path, cfg_node_get(cfg->root, "host_name"),
			       "%zu bytes; at most %d", strlen(cfg->host_name), CFG_HOST_NAME_MAX);
		return -EINVAL;
	}
	return 0;
}

/* A sink of the given type from a mapping, or from its defaults when item is NULL. */
static int load_output(struct cfg *cfg, const struct cfg_node *item, const char *type,
		       struct cfg_output *out)
{
	const struct jp_config_key *schema = sink_type_schema(type);
	struct cfg_section s = {
		.file = cfg->path, .node = item, .name = "outputs[0]", .line = 1, .col = 1,
		.extra_keys = output_key_names,
	};

	if (!schema) {
		cfg_error_at(cfg->path, 1, 1, s.name, "no sink type \"%s\" in this build", type);
		return -EINVAL;
	}
	out->type = type;
	out->line = item ? item->line : 1;
	out->col = item ? item->col : 1;
	return cfg_schema_validate(&s, schema, &out->keys);
}

static int check_output(struct cfg *cfg, const struct cfg_node *item, struct cfg_output *out)
{
	const struct cfg_node *type = cfg_node_get(item, "type");
	char path[256], found[64];

	if (item->kind != CFG_NODE_MAPPING) {
		cfg_node_error(cfg->path, item, "expected a mapping with a \"type\" key, found %s",
			       cfg_node_describe(item, found, sizeof(found)));
		return -EINVAL;
	}
	if (!type) {
		cfg_node_path(item, path, sizeof(path));
		cfg_error_at(cfg->path, item->line, item->col, path,
			     "missing required key \"type\" (one of %s)", sink_type_names());
		return -EINVAL;
	}
	if (type->kind != CFG_NODE_SCALAR || type->null || !sink_type_schema(type->value)) {
		cfg_node_error(cfg->path, type, "unknown sink type; expected one of %s; found %s",
			       sink_type_names(), cfg_node_describe(type, found, sizeof(found)));
		return -EINVAL;
	}
	return load_output(cfg, item, type->value, out);
}

static int load_outputs(struct cfg *cfg)
{
	const struct cfg_node *list = cfg_node_get(cfg->root, "outputs");
	char found[64];
	int err = 0;

	if (!list) {	/* no outputs: events go to stdout, as without a config */
		cfg->outputs = calloc(1, sizeof(*cfg->outputs));
		if (!cfg->outputs)
			return -ENOMEM;
		cfg->n_outputs = 1;
		return load_output(cfg, NULL, "json", &cfg->outputs[0]);
	}
	if (list->kind != CFG_NODE_SEQUENCE || !list->n) {
		cfg_node_error(cfg->path, list, "expected a list of at least one output, found %s",
			       list->kind == CFG_NODE_SEQUENCE
				       ? "an empty list"
				       : cfg_node_describe(list, found, sizeof(found)));
		return -EINVAL;
	}
	cfg->outputs = calloc(list->n, sizeof(*cfg->outputs));
	if (!cfg->outputs)
		return -ENOMEM;
	cfg->n_outputs = list->n;
	for (size_t i = 0; i < list->n && err != -ENOMEM; i++) {
		int r = check_output(cfg, list->items[i], &cfg->outputs[i]);

		err = err ? err : r;
	}
	return err;
}

static int load_plugin(struct cfg *cfg, const struct cfg_node *key, const struct cfg_node *node,
		       struct cfg_plugin *p)
{
	struct cfg_section s = { .file = cfg->path, .node = node, .ignore_unknown = true };
	struct jp_config *c;
	int err = cfg_schema_validate(&s, plugin_keys, &c);

	if (err)
		return err;
	p->name = key->value;
	p->enabled = cfg_get_bool(c, "enabled");
	p->required = cfg_get_bool(c, "required");
	p->node = node;
	p->line = key->line;
	p->col = key->col;
	cfg_config_free(c);
	return 0;
}

static int load_plugins(struct cfg *cfg)
{
	const struct cfg_node *map = cfg_node_get(cfg->root, "plugins");
	char found[64];
	int err = 0;

	if (!map)
		return 0;
	if (map->kind != CFG_NODE_MAPPING) {
		cfg_node_error(cfg->path, map, "expected a mapping from plugin name to its keys, "
			       "found %s", cfg_node_describe(map, found, sizeof(found)));
		return -EINVAL;
	}
	cfg->plugins = calloc(map->n ? map->n : 1, sizeof(*cfg->plugins));
	if (!cfg->plugins)
		return -ENOMEM;
	cfg->n_plugins = map->n;
	for (size_t i = 0; i < map->n && err != -ENOMEM; i++) {
		int r = load_plugin(cfg, map->keys[i], map->items[i], &cfg->plugins[i]);

		err = err ? err : r;
	}
	return err;
}

static int load_read_pcap(struct cfg *cfg)
{
	const struct cfg_node *node = cfg_node_get(cfg->root, "read_pcap");
	char found[64];

	if (node && node->kind != CFG_NODE_MAPPING) {
		cfg_node_error(cfg->path, node, "expected a mapping of keys, found %s",
			       cfg_node_describe(node, found, sizeof(found)));
		return -EINVAL;
	}
	cfg->read_pcap = node;
	return 0;
}

static struct cfg *cfg_new(const char *path)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (cfg && !(cfg->path = strdup(path))) {
		free(cfg);
		cfg = NULL;
	}
	if (cfg)
		cfg->log_level = JP_LOG_INFO;
	return cfg;
}

/* The document must be a mapping: 0, or -EINVAL reported. */
static int check_root(const char *path, const struct cfg_node *root)
{
	char found[64];

	if (!root || (root->kind == CFG_NODE_SCALAR && root->null)) {
		cfg_error_at(path, root ? root->line : 1, root ? root->col : 1, "top level",
			     "expected a mapping of settings, found an empty file");
		return -EINVAL;
	}
	if (root->kind != CFG_NODE_MAPPING) {
		cfg_node_error(path, root, "expected a mapping of settings, found %s",
			       cfg_node_describe(root, found, sizeof(found)));
		return -EINVAL;
	}
	return 0;
}

int cfg_load(const char *path, struct cfg **out)
{
	/* each part reports its own errors: see all of them before failing */
	int (*const parts[])(struct cfg *) = { load_globals, load_outputs, load_plugins,
					       load_read_pcap };
	struct cfg *cfg = cfg_new(path);
	int err;

	*out = NULL;
	if (!cfg)
		return -ENOMEM;
	err = cfg_node_parse_file(path, &cfg->root);
	/* after a duplicate key or an alias the tree is still there: check the rest too */
	if ((err && !cfg->root) || err == -ENOMEM)
		goto fail;
	if (check_root(path, cfg->root)) {
		err = -EINVAL;
		goto fail;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && err != -ENOMEM; i++) {
		int r = parts[i](cfg);

		err = err ? err : r;
	}
	if (err)
		goto fail;
	*out = cfg;
	return 0;
fail:
	cfg_free(cfg);
	return err;
}

int cfg_default(struct cfg **out)
{
	struct cfg *cfg = cfg_new(CFG_BUILTIN);
	int err;

	*out = NULL;
	if (!cfg)
		return -ENOMEM;
	cfg->outputs = calloc(1, sizeof(*cfg->outputs));
	if (!cfg->outputs) {
		cfg_free(cfg);
		return -ENOMEM;
	}
	cfg->n_outputs = 1;
	err = load_output(cfg, NULL, "json", &cfg->outputs[0]);
	if (err) {
		cfg_free(cfg);
		return err;
	}
	*out = cfg;
	return 0;
}

int cfg_section_validate(const struct cfg *cfg, const struct cfg_node *node,
			 const char *section_name, const struct jp_config_key *schema,
			 struct jp_config **out)
{
	struct cfg_section s = {
		.file = cfg->path, .node = node, .name = section_name, .line = 1, .col = 1,
	};

	return cfg_schema_validate(&s, schema, out);
}

int cfg_plugin_validate(const struct cfg *cfg, const struct cfg_plugin *plugin,
			const struct jp_config_key *schema, struct jp_config **out)
{
	struct cfg_section s = {
		.file = cfg->path, .node = plugin->node, .line = plugin->line, .col = plugin->col,
		.extra_keys = plugin_key_names,
	};

	return cfg_schema_validate(&s, schema, out);
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_outputs; i++)
		cfg_config_free(cfg->outputs[i].keys);
	free(cfg->outputs);
	free(cfg->plugins);
	cfg_config_free(cfg->globals);
	cfg_node_free(cfg->root);
	free((char *)cfg->path);
	free(cfg);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one YAML config file. Parsing keeps every node's line and column, so that every error
 * reads "FILE:LINE:COL: KEY: what was expected" and nothing is attached when it is invalid.
 * Global keys and sink keys are checked by cfg_load(); a plugin's keys are checked against the
 * schema in its descriptor by cfg_plugin_validate(), once the plugin is loaded, and the
 * read_pcap section by cfg_section_validate() against the offline reader's schema.
 * Anchors, aliases and tags are refused; see config_node.c and config_schema.c for how values
 * are read (booleans are true/false only, integers decimal).
 */
#ifndef JA4PROBE_CONFIG_H
#define JA4PROBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <ja4probe/plugin.h>

/* the longest host_name, in bytes (struct host in host.h holds it with its NUL) */
#define CFG_HOST_NAME_MAX 255

struct cfg_node;	/* a parsed YAML node with its position */

struct cfg_output {
	const char *type;		/* "json", "syslog" */
	struct jp_config *keys;		/* validated against the sink type's schema */
	int line, col;
};

struct cfg_plugin {
	const char *name;
	bool enabled, required;
	const struct cfg_node *node;	/* its mapping, checked once the plugin is loaded */
	int line, col;
};

struct cfg {
	const char *path;
	enum jp_log_level log_level;
	unsigned stats_interval;	/* seconds; 0: no stats events */
	const char *plugin_dir;		/* NULL: the built-in plugin directory */
	const char *host_name;		/* "host" in events (<= CFG_HOST_NAME_MAX bytes);
					 * NULL: gethostname() */
	size_t n_outputs;
	struct cfg_output *outputs;
	size_t n_plugins;
	struct cfg_plugin *plugins;
	const struct cfg_node *read_pcap;	/* the read_pcap: mapping; NULL when absent */

	/* private to the config module: what the strings above point into */
	struct cfg_node *root;
	struct jp_config *globals;
};

/* Sink types and their schemas, for validating outputs: (provided by core/sinks) */
const struct jp_config_key *sink_type_schema(const char *type);
/* "json, syslog": for the message that lists the allowed types */
const char *sink_type_names(void);

/* Parse and validate FILE; errors are printed to stderr. 0, or -EINVAL / -errno. */
int cfg_load(const char *path, struct cfg **out);
/* The config used when none is given (e.g. --read-pcap without -c): JSON lines on stdout. */
int cfg_default(struct cfg **out);
void cfg_free(struct cfg *cfg);

/* Validate a plugin's keys (all but enabled/required) against its schema. */
int cfg_plugin_validate(const struct cfg *cfg, const struct cfg_plugin *plugin,
			const struct jp_config_key *schema, struct jp_config **out);
/*
 * Validate any mapping of the file (e.g. cfg->read_pcap) against a schema; section_name is its
 * key path in messages when node is NULL (absent: defaults only, missing required keys reported).
 */
int cfg_section_validate(const struct cfg *cfg, const struct cfg_node *node,
			 const char *section_name, const struct jp_config_key *schema,
			 struct jp_config **out);
/* Report "FILE:LINE:COL: MESSAGE" for a plugin entry, e.g. unknown plugin name. */
void cfg_report(const struct cfg *cfg, int line, int col, const char *fmt, ...) JP_PRINTF(4, 5);
void cfg_config_free(struct jp_config *config);

/* Accessors behind struct jp_host's cfg_* services (also used for sink keys). A key that is
 * unset and has no default reads as false / 0 / NULL / empty list. */
bool cfg_get_bool(const struct jp_config *c, const char *key);
int64_t cfg_get_int(const struct jp_config *c, const char *key);
const char *cfg_get_string(const struct jp_config *c, const char *key);
size_t cfg_list_len(const struct jp_config *c, const char *key);
const char *cfg_list_string(const struct jp_config *c, const char *key, size_t i);
int64_t cfg_list_int(const struct jp_config *c, const char *key, size_t i);
/* Was the key given in the file (rather than defaulted)? */
bool cfg_is_set(const struct jp_config *c, const char *key);

#endif

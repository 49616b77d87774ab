/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checking one YAML mapping against a schema (struct jp_config_key[]) and turning it into a
 * struct jp_config with the defaults filled in. Internal to the config module; used for the
 * global keys, every output, every plugin and the read_pcap section alike.
 */
#ifndef JA4PROBE_CONFIG_SCHEMA_H
#define JA4PROBE_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <ja4probe/plugin.h>

struct cfg_node;

struct cfg_section {
	const char *file;		/* for messages */
	const struct cfg_node *node;	/* the mapping; NULL: absent (defaults only) */
	const char *name;		/* its key path when absent */
	int line, col;			/* its position when absent */
	const char *const *extra_keys;	/* allowed here, checked by the caller; NULL-terminated */
	bool ignore_unknown;		/* a first pass; the other keys are checked later */
};

/* 0, or -EINVAL after every error found was reported; -ENOMEM. */
int cfg_schema_validate(const struct cfg_section *section, const struct jp_config_key *schema,
			struct jp_config **out);

#endif

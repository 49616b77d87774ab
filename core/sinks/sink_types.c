// SPDX-License-Identifier: BSD-3-Clause
/* The table of sink types: the config validates outputs against it, sinks_open() builds from it. */
#include <string.h>

#include "config.h"
#include "sink_impl.h"

static const struct sink_type *const sink_types[] = { &sink_type_json, &sink_type_syslog };
#define N_TYPES (sizeof(sink_types) / sizeof(sink_types[0]))

const struct sink_type *sink_type_find(const char *name)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (strcmp(sink_types[i]->name, name) == 0)
			return sink_types[i];
	return NULL;
}

const struct jp_config_key *sink_type_schema(const char *type)
{
	const struct sink_type *t = type ? sink_type_find(type) : NULL;

	return t ? t->schema : NULL;
}

const char *sink_type_names(void)
{
	static char names[64];

	if (!names[0]) {
		for (size_t i = 0; i < N_TYPES; i++) {
			if (i)
				strcat(names, ", ");
			strcat(names, sink_types[i]->name);
		}
	}
	return names;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one host the tests (and the decoder benchmark) give plugins and libraries: the daemon's
 * own services (struct jp_host from core/host.c and core/event.c), with every emitted event
 * kept as the line of JSON the daemon would write, so that tests can read the fields back and
 * decoders fed the same traffic by different paths can be compared event by event. A host made
 * with keep false builds and serializes each event the same way, counts it and drops it.
 * Names the source ("plugin" in each event).
 */
#ifndef JA4PROBE_TEST_HOST_H
#define JA4PROBE_TEST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <ja4probe/plugin.h>

struct th_host;

struct th_host *th_new(const char *name, bool keep);
const struct jp_host *th_services(struct th_host *h);
size_t th_count(const struct th_host *h);
const char *th_line(const struct th_host *h, size_t i);
/*
 * Field path ("tls.ja4") of kept event i as text: strings as they are, numbers in decimal,
 * true/false, lists joined with ","; NULL when the event or the field does not exist. Kept
 * until th_free().
 */
const char *th_field(struct th_host *h, size_t i, const char *path);
/* a counter's value, 0 when the plugin never asked for it */
uint64_t th_counter_value(const struct th_host *h, const char *name);
/* "events N" then "name value" for every other non-zero counter, on one line */
void th_print_counters(const struct th_host *h, FILE *out);
void th_free(struct th_host *h);

#endif /* JA4PROBE_TEST_HOST_H */

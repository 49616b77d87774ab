/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A jp_host whose events are counted and dropped and whose counters live in a small table: for
 * driving the decoder without the daemon (the decoder fuzz target, the --read-pcap benchmark).
 */
#ifndef JA4PROBE_NULL_HOST_H
#define JA4PROBE_NULL_HOST_H

#include <stdio.h>
#include <ja4probe/plugin.h>

const struct jp_host *null_host(void);
uint64_t null_host_events(void);
/* "name value" for every non-zero counter, on one line */
void null_host_print(FILE *out);

#endif

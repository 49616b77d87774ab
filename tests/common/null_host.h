/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One test host (test_host.h) that counts events and drops them: for driving the decoder without
 * the daemon (the decoder fuzz target, the --read-pcap benchmark).
 */
#ifndef JA4PROBE_NULL_HOST_H
#define JA4PROBE_NULL_HOST_H

#include <stdio.h>
#include <ja4probe/plugin.h>

const struct jp_host *null_host(void);
/* "events N" and "name value" for every other non-zero counter, on one line */
void null_host_print(FILE *out);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A host for tests: the services a decoder uses, with every emitted event kept as one line of
 * JSON (the event time and type, then the fields in the order added; each byte outside
 * printable ASCII as \u00NN), so that decoders fed the same traffic by different paths can be
 * compared event by event.
 */
#ifndef TCAP_FAKEHOST_H
#define TCAP_FAKEHOST_H

#include <stddef.h>

#include <ja4probe/plugin.h>

struct fh_host;

struct fh_host *fh_new(const char *name);
const struct jp_host *fh_services(struct fh_host *h);
size_t fh_count(const struct fh_host *h);
const char *fh_line(const struct fh_host *h, size_t i);
void fh_free(struct fh_host *h);

#endif /* TCAP_FAKEHOST_H */

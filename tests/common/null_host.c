// SPDX-License-Identifier: BSD-3-Clause
/* The process's one dropping test host: see null_host.h. */
#include "null_host.h"
#include "test_host.h"

static struct th_host *null_host_get(void)
{
	static struct th_host *h;

	if (!h)
		h = th_new("null-host", false);
	return h;
}

const struct jp_host *null_host(void)
{
	return th_services(null_host_get());
}

void null_host_print(FILE *out)
{
	th_print_counters(null_host_get(), out);
}

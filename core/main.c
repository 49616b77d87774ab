// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
int main(void) { puts("ja4probe " JA4PROBE_VERSION); return 0; }

// SPDX-License-Identifier: BSD-3-Clause
/* TLS version numbers: the JA4 two-character codes and the names events print. */
#include "fp_internal.h"

static const struct {
	uint16_t version;
	const char *code;	/* JA4 */
	const char *name;	/* events */
} fp_tls_versions[] = {
	{ 0x0304, "13", "1.3" },
	{ 0x0303, "12", "1.2" },
	{ 0x0302, "11", "1.1" },
	{ 0x0301, "10", "1.0" },
	{ 0x0300, "s3", "ssl3" },
	{ 0x0002, "s2", "ssl2" },
	{ 0xfeff, "d1", "dtls1.0" },
	{ 0xfefd, "d2", "dtls1.2" },
	{ 0xfefc, "d3", "dtls1.3" },
};

#define FP_N_VERSIONS (sizeof(fp_tls_versions) / sizeof(fp_tls_versions[0]))

const char *fp_ja4_version_code(uint16_t version)
{
	for (size_t i = 0; i < FP_N_VERSIONS; i++)
		if (fp_tls_versions[i].version == version)
			return fp_tls_versions[i].code;
	return "00";
}

const char *fp_tls_version_name(uint16_t version)
{
	for (size_t i = 0; i < FP_N_VERSIONS; i++)
		if (fp_tls_versions[i].version == version)
			return fp_tls_versions[i].name;
	return NULL;
}

/*
 * JA4 spec: the highest supported_versions value, GREASE ignored, when the extension is
 * there; else the hello's legacy version (the record version is never used). A
 * supported_versions list of GREASE only falls back to the legacy version.
 */
uint16_t fp_tls_effective_version(const struct fp_tls_hello *hello)
{
	uint16_t best = 0;
	bool found = false;

	for (size_t i = 0; i < hello->n_versions; i++) {
		uint16_t v = hello->versions[i];

		if (fp_tls_is_grease(v))
			continue;
		/* DTLS counts down (0xfeff is 1.0, 0xfefc is 1.3): compare within a family */
		if (!found || ((v >> 8) == 0xfe ? v < best : v > best))
			best = v;
		found = true;
	}
	return found ? best : hello->legacy_version;
}

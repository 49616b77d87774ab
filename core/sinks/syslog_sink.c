// SPDX-License-Identifier: BSD-3-Clause
/*
 * syslog: the JSON event as MSG of an RFC 5424 (or, for old receivers, RFC 3164) message, to
 * /dev/log (unix datagram), UDP, or TCP with RFC 6587 octet counting ("LEN SP FRAME").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sink_impl.h"

/* Index i is facility code i, except local0..local7 which are codes 16..23 (12..15 unused). */
static const char *const facility_names[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	"authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
	"local7", NULL
};
#define FACILITY_LOCAL0_INDEX 12
#define FACILITY_LOCAL0_CODE 16

/* Index is the severity code. */
static const char *const severity_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", NULL
};
static const char *const format_names[] = { "rfc5424", "rfc3164", NULL };
static const char *const framing_names[] = { "octet-counting", "newline", NULL };

static const struct jp_config_key syslog_schema[] = {
	{ .name = "target", .type = JP_CFG_STRING, .required = true,
	  .description = "unix:///dev/log, udp://HOST:PORT or tcp://HOST:PORT" },
	{ .name = "format", .type = JP_CFG_STRING, .default_value = "rfc5424",
	  .choices = format_names,
	  .description = "rfc5424, or rfc3164 for receivers that need it" },
	{ .name = "facility", .type = JP_CFG_STRING, .default_value = "local0",
	  .choices = facility_names,
	  .description = "a local facility keeps events apart from the system's own logs" },
	{ .name = "severity", .type = JP_CFG_STRING, .default_value = "info",
	  .choices = severity_names, .description = "severity of every event" },
	{ .name = "app_name", .type = JP_CFG_STRING, .default_value = "ja4probe",
	  .description = "APP-NAME (RFC 5424, up to 48 characters) or TAG (RFC 3164, up to 32)" },
	{ .name = "tcp_framing", .type = JP_CFG_STRING, .default_value = "octet-counting",
	  .choices = framing_names,
	  .description = "over TCP: RFC 6587 octet counting, or newline-terminated frames" },
	SINK_KEY_QUEUE_SIZE,
	{ 0 }
};

struct syslog_sink {
	bool rfc3164;
	bool octet_counting;
	int pri;
	int pid;
	char app_name[49];
	char host[256];
};

static int choice_index(const char *const *choices, const char *value)
{
	for (int i = 0; value && choices[i]; i++)
		if (strcmp(choices[i], value) == 0)
			return i;
	return -1;
}

/* RFC 5424 header fields are PRINTUSASCII without spaces */
static bool printusascii(const char *s)
{
	for (; *s; s++)
		if (*s < 33 || *s > 126)
			return false;
	return true;
}

static void set_host(struct syslog_sink *p, const struct cfg *cfg)
{
	if (cfg && cfg->host_name)
		snprintf(p->host, sizeof(p->host), "%s", cfg->host_name);
	else if (gethostname(p->host, sizeof(p->host)) < 0)
		p->host[0] = '\0';
	p->host[sizeof(p->host) - 1] = '\0';
	for (char *c = p->host; *c; c++)
		if (*c < 33 || *c > 126)
			*c = '_';
	if (!p->host[0])
		strcpy(p->host, "-");
}

static int syslog_open(struct sink *s, const struct jp_config *keys, const struct cfg *cfg)
{
	const char *app = cfg_get_string(keys, "app_name");
	int facility = choice_index(facility_names, cfg_get_string(keys, "facility"));
	int severity = choice_index(severity_names, cfg_get_string(keys, "severity"));
	bool rfc3164 = choice_index(format_names, cfg_get_string(keys, "format")) == 1;
	size_t max_app = rfc3164 ? 32 : 48;

	if (facility < 0 || severity < 0) {
		sink_log(s, JP_LOG_ERROR, "facility or severity not one of the allowed names");
		return -EINVAL;
	}
	if (!app || !app[0] || strlen(app) > max_app || !printusascii(app)) {
		sink_log(s, JP_LOG_ERROR,
			 "app_name: expected 1 to %zu printable ASCII characters without spaces",
			 max_app);
		return -EINVAL;
	}
	struct syslog_sink *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (facility >= FACILITY_LOCAL0_INDEX)
		facility += FACILITY_LOCAL0_CODE - FACILITY_LOCAL0_INDEX;
	p->pri = facility * 8 + severity;
	p->rfc3164 = rfc3164;
	p->octet_counting = choice_index(framing_names, cfg_get_string(keys, "tcp_framing")) != 1;
	p->pid = getpid();
	strcpy(p->app_name, app);
	set_host(p, cfg);
	s->priv = p;
	return 0;
}

/*
 * MSGID: the event_type, which the serializer writes near the start of the object. An
 * unescaped "event_type":" cannot occur inside a JSON string, so a match is the key.
 */
static void msgid_of(const char *json, size_t len, char *out, size_t out_len)
{
	static const char key[] = "\"event_type\":\"";
	const char *v = memmem(json, len < 160 ? len : 160, key, sizeof(key) - 1);
	size_t n = 0;

	if (v) {
		const char *end = json + len;

		v += sizeof(key) - 1;
		while (v + n < end && v[n] != '"' && v[n] > 32 && v[n] < 127 && v[n] != '\\' &&
		       n < out_len - 1)
			n++;
		if (v + n >= end || v[n] != '"')
			n = 0;	/* too long for a MSGID (32) or not a plain string */
	}
	if (n)
		memcpy(out, v, n);
	else
		out[n++] = '-';
	out[n] = '\0';
}

static int format_header(const struct syslog_sink *p, char *h, size_t cap, const char *json,
			 size_t len, const struct timespec *ts)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (p->rfc3164) {
		/* RFC 3164 timestamps are the sender's local time, without a year or zone */
		localtime_r(&ts->tv_sec, &tm);
		return snprintf(h, cap, "<%d>%s %2d %02d:%02d:%02d %s %s[%d]: ", p->pri,
				months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
				p->host, p->app_name, p->pid);
	}
	char msgid[33];

	gmtime_r(&ts->tv_sec, &tm);
	msgid_of(json, len, msgid, sizeof(msgid));
	return snprintf(h, cap, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s %d %s - ",
			p->pri, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000, p->host, p->app_name, p->pid,
			msgid);
}

static int syslog_frame(struct sink *s, struct sink_buf *out, const char *json, size_t len,
			const struct timespec *ts)
{
	const struct syslog_sink *p = s->priv;
	char header[512];
	int hlen = format_header(p, header, sizeof(header), json, len, ts);
	int rc = 0;

	if (hlen < 0 || (size_t)hlen >= sizeof(header))
		return -EOVERFLOW;
	bool tcp = s->target.kind == TARGET_TCP;

	if (tcp && p->octet_counting)
		rc = sink_buf_printf(out, "%zu ", (size_t)hlen + len);
	if (!rc)
		rc = sink_buf_append(out, header, hlen);
	if (!rc)
		rc = sink_buf_append(out, json, len);
	if (!rc && tcp && !p->octet_counting)
		rc = sink_buf_append(out, "\n", 1);
	return rc;
}

static void syslog_close(struct sink *s)
{
	free(s->priv);
	s->priv = NULL;
}

const struct sink_type sink_type_syslog = {
	.name = "syslog",
	.schema = syslog_schema,
	.target_key = "target",
	.unix_kind = TARGET_UNIX_DGRAM,
	.target_kinds = 1 << TARGET_UNIX_DGRAM | 1 << TARGET_UDP | 1 << TARGET_TCP,
	.open = syslog_open,
	.frame = syslog_frame,
	.close = syslog_close,
};

// SPDX-License-Identifier: BSD-3-Clause
/* ja4probe: load the config, the enabled plugins and the outputs; run the loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "plugin_host.h"
#include "preflight.h"
#include "read_pcap.h"
#include "sinks/sink.h"

enum exit_code { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_CONFIG = 2 };

struct options {
	const char *config_path;
	const char *plugin_dir;
	const char *read_pcap;		/* --read-pcap FILE */
	bool config_given, check_config, list_plugins;
	int verbosity;		/* -v: +1, -q: -1 */
};

struct daemon {
	struct cfg *cfg;
	struct host host;
	struct jp_plugin_ctx core;	/* the host's own events: stats */
	size_t n_plugins;
	struct plugin *plugins;
	int signal_fd;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ja4probe [-c FILE] [--check-config] [--list-plugins] [--plugin-dir DIR]\n"
		"                [--read-pcap FILE] [-v|-q] [--version] [--help]\n"
		"\n"
		"Fingerprints the clients of this host (JA4T, JA4, JA3, JA4H) with eBPF and writes\n"
		"the events to the outputs named in the config.\n"
		"\n"
		"  -c, --config FILE   config file (default " JA4PROBE_CONFIG ")\n"
		"      --check-config  validate the config and the keys of every enabled plugin,\n"
		"                      attach nothing, and exit\n"
		"      --list-plugins  list the plugins found: name, version, ABI, description, status\n"
		"      --plugin-dir DIR  load plugins from DIR (default: plugin_dir in the config,\n"
		"                      else " JA4PROBE_PLUGIN_DIR ")\n"
		"      --read-pcap FILE  read a pcap or pcapng file through the capture decoder, write\n"
		"                      its events (JSON lines on stdout unless -c names outputs) and\n"
		"                      exit; no plugin is loaded\n"
		"  -v, --verbose       more log output (repeat for debug)\n"
		"  -q, --quiet         errors only\n"
		"      --version       print the version and the plugin ABI version\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 success (and a valid config with --check-config), 1 runtime failure\n"
		"(a required plugin failed, an output could not be opened, missing privileges),\n"
		"2 config or usage error.\n"
		"Signals: SIGINT/SIGTERM detach every probe, flush the outputs and exit 0;\n"
		"SIGHUP reopens the outputs (logrotate).\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_CHECK = 256, OPT_LIST, OPT_PLUGIN_DIR, OPT_VERSION, OPT_READ_PCAP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "list-plugins", no_argument, NULL, OPT_LIST },
		{ "plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR },
		{ "read-pcap", required_argument, NULL, OPT_READ_PCAP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; o->config_given = true; break;
		case OPT_READ_PCAP: o->read_pcap = optarg; break;
		case OPT_CHECK: o->check_config = true; break;
		case OPT_LIST: o->list_plugins = true; break;
		case OPT_PLUGIN_DIR: o->plugin_dir = optarg; break;
		case 'v': o->verbosity++; break;
		case 'q': o->verbosity--; break;
		case OPT_VERSION:
			printf("ja4probe %s (plugin ABI %d.%d)\n", JA4PROBE_VERSION, JP_ABI_MAJOR,
			       JP_ABI_MINOR);
			exit(EXIT_OK);
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ja4probe: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static void apply_log_level(enum jp_log_level configured, int verbosity)
{
	int level = (int)configured + verbosity;

	if (verbosity < 0)
		level = JP_LOG_ERROR;
	if (level > JP_LOG_DEBUG)
		level = JP_LOG_DEBUG;
	log_set_level(level < JP_LOG_ERROR ? JP_LOG_ERROR : (enum jp_log_level)level);
}

static int list_plugins(const char *dir)
{
	char **names;
	size_t count;
	int err = plugin_list_dir(dir, &names, &count);

	if (err) {
		fprintf(stderr, "ja4probe: cannot read plugin directory %s: %s\n", dir,
			strerror(-err));
		return EXIT_RUNTIME;
	}
	if (!count)
		fprintf(stderr, "ja4probe: no plugins in %s\n", dir);
	for (size_t i = 0; i < count; i++) {
		struct plugin p;
		char why[512] = "";
		char *path = plugin_find(dir, names[i]);

		if (path && plugin_open(&p, path, why, sizeof(why)) == 0) {
			printf("%-12s %-8s ABI %u.%u  %s  ok\n", p.desc->name,
			       p.desc->version ? p.desc->version : "-", p.desc->abi_major,
			       p.desc->abi_minor, p.desc->description ? p.desc->description : "");
			plugin_close(&p);
		} else {
			printf("%-12s %-8s %-8s  -  not loadable: %s\n", names[i], "-", "-", why);
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return EXIT_OK;
}

/*
 * The plugins of this source tree (plugin_names in meson.build). Each ships in its own Debian
 * package, ja4probe-plugin-<name> with '_' written '-' (packaging/debian/control), so a missing
 * one most likely means that package is not installed.
 */
static void package_hint(const char *name, char *buf, size_t size)
{
	char word[128];

	buf[0] = '\0';
	snprintf(word, sizeof(word), " %s ", name);
	if (!strstr(" " JA4PROBE_TREE_PLUGINS " ", word))
		return;
	snprintf(buf, size, "; install the package ja4probe-plugin-%s", name);
	for (char *c = buf; *c; c++)
		if (*c == '_')
			*c = '-';
}

/* Load and validate every enabled plugin. Config errors return EXIT_CONFIG; a plugin that
 * exists but cannot be loaded is reported and skipped, or fatal when required. */
static int load_plugins(struct daemon *d, const char *dir)
{
	const struct cfg *cfg = d->cfg;

	d->plugins = calloc(cfg->n_plugins ? cfg->n_plugins : 1, sizeof(*d->plugins));
	if (!d->plugins)
		return EXIT_RUNTIME;
	for (size_t i = 0; i < cfg->n_plugins; i++) {
		const struct cfg_plugin *cp = &cfg->plugins[i];

		if (!cp->enabled)
			continue;
		char *path = plugin_find(dir, cp->name);

		if (!path) {
			char hint[96];

			package_hint(cp->name, hint, sizeof(hint));
			cfg_report(cfg, cp->line, cp->col,
				   "plugins.%s: no such plugin in %s (see ja4probe --list-plugins)%s",
				   cp->name, dir, hint);
			return EXIT_CONFIG;
		}
		struct plugin *p = &d->plugins[d->n_plugins];
		char why[512];
		int err = plugin_open(p, path, why, sizeof(why));

		free(path);
		if (err) {
			log_error("plugin %s: %s", cp->name, why);
			if (cp->required)
				return EXIT_RUNTIME;
			continue;
		}
		if (strcmp(p->desc->name, cp->name)) {
			cfg_report(cfg, cp->line, cp->col,
				   "plugins.%s: the file %s calls itself '%s'", cp->name, p->path,
				   p->desc->name);
			plugin_close(p);
			return EXIT_CONFIG;
		}
		if (cfg_plugin_validate(cfg, cp, p->desc->config_keys, &p->config)) {
			plugin_close(p);
			return EXIT_CONFIG;
		}
		p->required = cp->required;
		d->n_plugins++;
	}
	return EXIT_OK;
}

static void emit_stats(void *arg)
{
	struct daemon *d = arg;
	struct jp_event *ev = host_event_new(&d->core, "stats", NULL);

	if (!ev)
		return;
	json_t *plugins = json_object();

	for (size_t i = 0; i < d->n_plugins; i++) {
		plugin_collect_stats(&d->plugins[i]);
		if (d->plugins[i].ctx.name)
			json_object_set_new(plugins, d->plugins[i].desc->name,
					    host_ctx_stats(&d->plugins[i].ctx));
	}
	host_event_set_json(ev, "stats", json_pack("{s:o, s:o}", "plugins", plugins, "sinks",
						   sinks_stats(d->host.sinks)));
	host_event_emit(ev);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reopening outputs");
			sinks_reopen(d->host.sinks);
		} else {
			log_info("%s: stopping", strsignal(si.ssi_signo));
			loop_stop(d->host.loop);
		}
	}
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signal_fd < 0) {
		int err = -errno;

		log_error("signalfd: %s", strerror(-err));
		return err;
	}
	return loop_watch(d->host.loop, d->signal_fd, EPOLLIN, on_signal, d);
}

static int start_plugins(struct daemon *d)
{
	size_t running = 0;

	for (size_t i = 0; i < d->n_plugins; i++) {
		struct plugin *p = &d->plugins[i];

		if (plugin_run(p, &d->host) == 0) {
			running++;
		} else if (p->required) {
			log_error("%s is required (required: true): stopping", p->desc->name);
			return EXIT_RUNTIME;
		}
	}
	if (d->n_plugins && !running) {
		log_error("no plugin is running: nothing to capture");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int run_daemon(struct daemon *d)
{
	int rc;

	if (d->n_plugins && preflight_check())
		return EXIT_RUNTIME;
	if (loop_new(&d->host.loop) || setup_signals(d))
		return EXIT_RUNTIME;
	if (sinks_open(d->cfg, d->host.loop, &d->host.sinks))
		return EXIT_RUNTIME;
	if (host_ctx_init(&d->core, &d->host, "ja4probe"))
		return EXIT_RUNTIME;
	rc = start_plugins(d);
	if (rc == EXIT_OK && d->cfg->stats_interval &&
	    loop_timer_add(d->host.loop, d->cfg->stats_interval * 1000ull,
			   d->cfg->stats_interval * 1000ull, emit_stats, d) < 0)
		rc = EXIT_RUNTIME;
	if (rc == EXIT_OK && loop_run(d->host.loop))
		rc = EXIT_RUNTIME;
	for (size_t i = 0; i < d->n_plugins; i++)
		plugin_stop(&d->plugins[i]);
	/* the last counts, after every probe is detached and before the plugins are gone, so
	 * that nothing lost goes unreported */
	if (rc == EXIT_OK && d->cfg->stats_interval)
		emit_stats(d);
	return rc;
}

static void daemon_free(struct daemon *d)
{
	for (size_t i = 0; i < d->n_plugins; i++) {
		plugin_shutdown(&d->plugins[i]);
		host_ctx_free(&d->plugins[i].ctx);
		plugin_close(&d->plugins[i]);
	}
	free(d->plugins);
	if (d->host.sinks)
		sinks_close(d->host.sinks, 2000);
	if (d->core.name)
		host_ctx_free(&d->core);
	if (d->signal_fd > 0)
		close(d->signal_fd);
	loop_free(d->host.loop);
	cfg_free(d->cfg);
}

int main(int argc, char **argv)
{
	struct options o = { .config_path = JA4PROBE_CONFIG };
	struct daemon d = { .signal_fd = -1 };
	int rc;

	if (parse_args(argc, argv, &o))
		return EXIT_CONFIG;
	apply_log_level(JP_LOG_INFO, o.verbosity);
	log_route_libbpf();
	if (o.list_plugins)
		return list_plugins(o.plugin_dir ? o.plugin_dir : JA4PROBE_PLUGIN_DIR);

	if (o.read_pcap && !o.config_given ? cfg_default(&d.cfg) : cfg_load(o.config_path, &d.cfg))
		return EXIT_CONFIG;
	apply_log_level(d.cfg->log_level, o.verbosity);
	const char *dir = o.plugin_dir ? o.plugin_dir
		: d.cfg->plugin_dir ? d.cfg->plugin_dir : JA4PROBE_PLUGIN_DIR;

	if (d.cfg->host_name)
		snprintf(d.host.host_name, sizeof(d.host.host_name), "%s", d.cfg->host_name);
	else
		gethostname(d.host.host_name, sizeof(d.host.host_name) - 1);

	if (o.read_pcap) {
		rc = read_pcap_main(&d.host, d.cfg, o.read_pcap);
		daemon_free(&d);
		return rc;
	}
	rc = load_plugins(&d, dir);
	if (rc == EXIT_OK && o.check_config)
		printf("%s: configuration is valid\n", o.config_path);
	else if (rc == EXIT_OK)
		rc = run_daemon(&d);
	daemon_free(&d);
	return rc;
}

/* Shared helpers for physopt subcommands (see cli/common.h). */
#include "cli/common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int g_argc;
static char **g_argv;

void po_cli_set_argv(int argc, char **argv) {
  g_argc = argc;
  g_argv = argv;
}

/* Appends s to the growing buffer, single-quoted when it holds shell
 * metacharacters. */
static int append_quoted(char **buf, size_t *len, size_t *cap, const char *s) {
  int plain = *s != '\0';
  for (const char *c = s; *c; c++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%", *c))
      plain = 0;
  size_t need = *len + 4 * strlen(s) + 4;
  if (need > *cap) {
    size_t ncap = need * 2;
    char *nb = realloc(*buf, ncap);
    if (!nb) return -1;
    *buf = nb;
    *cap = ncap;
  }
  char *p = *buf + *len;
  if (*len) *p++ = ' ';
  if (plain) {
    p += sprintf(p, "%s", s);
  } else {
    *p++ = '\'';
    for (const char *c = s; *c; c++) {
      if (*c == '\'') {
        memcpy(p, "'\\''", 4);
        p += 4;
      } else {
        *p++ = *c;
      }
    }
    *p++ = '\'';
    *p = '\0';
  }
  *len = (size_t)(p - *buf);
  return 0;
}

char *po_cli_command_line(void) {
  char *buf = NULL;
  size_t len = 0, cap = 0;
  if (append_quoted(&buf, &len, &cap, "physopt") != 0) return NULL;
  for (int i = 1; i < g_argc; i++)
    if (append_quoted(&buf, &len, &cap, g_argv[i]) != 0) {
      free(buf);
      return NULL;
    }
  return buf;
}

double po_cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- options -------------------------------------------------------------- */

enum { OPT_CONFIG = -10, OPT_SET = -11, OPT_HELP = -12 };

static const po_cli_option common_opts[] = {
    {"seed", "run.seed", "X", "master seed"},
    {"threads", "run.threads", "T", "OpenMP threads (0 = all)"},
    {"out", "run.out", "FILE.h5", "write the results to an HDF5 file"},
    {"force", "run.force", NULL, "replace an existing --out file"},
    {"json", "run.json", NULL, "print a JSON summary on stdout instead of the table"},
    {"quiet", "run.quiet", NULL, "no progress bar or progress lines on stderr"},
    {NULL, NULL, NULL, NULL}};

/* Finds `name` (no dashes, no '=value') in the command's and common tables;
 * returns the option, or sets *special for --config/--set/--help. */
static const po_cli_option *find_option(const po_cli_spec *spec, const char *name, size_t len,
                                        int *special) {
  *special = 0;
  if (len == 6 && !strncmp(name, "config", 6)) *special = OPT_CONFIG;
  if (len == 3 && !strncmp(name, "set", 3)) *special = OPT_SET;
  if (len == 4 && !strncmp(name, "help", 4)) *special = OPT_HELP;
  if (*special) return NULL;
  for (const po_cli_option *o = spec->options; o && o->flag; o++)
    if (strlen(o->flag) == len && !strncmp(o->flag, name, len)) return o;
  for (const po_cli_option *o = common_opts; o->flag; o++)
    if (strlen(o->flag) == len && !strncmp(o->flag, name, len)) return o;
  return NULL;
}

static int unknown_option(const po_cli_spec *spec, const char *arg) {
  char list[2048];
  size_t n = 0;
  list[0] = '\0';
  const po_cli_option *tables[2] = {spec->options, common_opts};
  for (int t = 0; t < 2; t++)
    for (const po_cli_option *o = tables[t]; o && o->flag; o++)
      n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s--%s",
                            n ? ", " : "", o->flag);
  if (n >= sizeof list) n = sizeof list - 1;
  snprintf(list + n, sizeof list - n, "%s", ", --config, --set, --help");
  return po_error(PO_ERR_ARG, "unknown option '%s' for 'physopt %s' (valid: %s)", arg, spec->name,
                  list);
}

static int parse_args(po_cli *cli, const po_cli_spec *spec, int argc, char **argv);

/* On an error or --help nothing stays allocated (commands may return at once). */
int po_cli_parse(po_cli *cli, const po_cli_spec *spec, int argc, char **argv) {
  int rc = parse_args(cli, spec, argc, argv);
  if (rc) po_cli_free(cli);
  return rc;
}

static int parse_args(po_cli *cli, const po_cli_spec *spec, int argc, char **argv) {
  memset(cli, 0, sizeof *cli);
  cli->spec = spec;
  cli->threads = 0;
  cli->args = calloc((size_t)(argc > 0 ? argc : 1), sizeof(char *));
  if (!cli->args) return po_error(PO_ERR_NOMEM, "out of memory");
  int rc = po_params_create(&cli->params);
  if (rc) return rc;

  /* Pass 1: syntax, --help and --config files (loaded first, in order). */
  for (int pass = 1; pass <= 2; pass++) {
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
      const char *a = argv[i];
      if (options_done || a[0] != '-' || a[1] == '\0') {
        if (pass == 2) {
          if (cli->n_args >= spec->max_args)
            return po_error(PO_ERR_ARG, "'physopt %s' takes %s: unexpected argument '%s'",
                            spec->name, spec->max_args ? "fewer arguments" : "no arguments", a);
          cli->args[cli->n_args++] = argv[i];
        }
        continue;
      }
      if (!strcmp(a, "--")) {
        options_done = 1;
        continue;
      }
      if (a[1] != '-') {
        if (!strcmp(a, "-h"))
          a = "--help";
        else
          return po_error(PO_ERR_ARG,
                          "unknown option '%s' for 'physopt %s' (options are long: --name)", a,
                          spec->name);
      }
      const char *name = a + 2;
      const char *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      int special;
      const po_cli_option *o = find_option(spec, name, len, &special);
      if (!o && !special) return unknown_option(spec, a);
      if (special == OPT_HELP) {
        if (pass == 1) {
          po_cli_usage(stdout, spec);
          return PO_CLI_HELP;
        }
        continue;
      }
      int takes_value = special || (o && o->metavar);
      const char *value = NULL;
      if (takes_value) {
        if (eq) {
          value = eq + 1;
        } else if (i + 1 < argc) {
          value = argv[++i];
        } else {
          return po_error(PO_ERR_ARG, "option --%.*s needs a value (%s)", (int)len, name,
                          special == OPT_CONFIG ? "FILE.ini"
                          : special == OPT_SET  ? "section.key=value"
                                                : o->metavar);
        }
      } else if (eq) {
        return po_error(PO_ERR_ARG, "option --%.*s takes no value", (int)len, name);
      }
      if (pass == 1) {
        cli->n_options++;
        if (special == OPT_CONFIG && (rc = po_params_load_config(cli->params, value))) return rc;
        continue;
      }
      if (special == OPT_CONFIG) continue;
      if (special == OPT_SET) {
        if ((rc = po_params_assign(cli->params, value)))
          return po_error_wrap(rc, "--set %s", value);
      } else if ((rc = po_params_set(cli->params, o->key, o->metavar ? value : "true"))) {
        return po_error_wrap(rc, "--%s", o->flag);
      }
    }
  }
  return PO_OK;
}

int po_cli_param_u64(const po_params *p, const po_param_section *sec, const char *key,
                     uint64_t *out) {
  return po_params_u64(p, sec, key, out);
}

/* A result is never replaced by accident: the config stored in a results
 * file names its own run.out, so re-running it would overwrite the
 * original.  (A sweep's master is derived from OUT.d/ and rewritten.) */
static int refuse_overwrite(const po_cli *cli, const po_param_section *run) {
  int force = 0, rc = po_params_bool(cli->params, run, "force", &force);
  if (rc || force || access(cli->out, F_OK) != 0) return rc;
  return po_error(PO_ERR_IO,
                  "run.out = %s exists: pass --force (run.force = true) to replace it, or choose "
                  "another --out",
                  cli->out);
}

int po_cli_read_common(po_cli *cli, const po_param_section *run) {
  long threads;
  int json, quiet, rc;
  if ((rc = po_cli_param_u64(cli->params, run, "seed", &cli->seed)) ||
      (rc = po_params_int(cli->params, run, "threads", &threads)) ||
      (rc = po_params_bool(cli->params, run, "json", &json)) ||
      (rc = po_params_bool(cli->params, run, "quiet", &quiet)))
    return rc;
  cli->threads = (int)threads;
  cli->json = json;
  cli->quiet = quiet;
  cli->out = po_params_get(cli->params, "run", "out");
  if (cli->out && !*cli->out) cli->out = NULL;
  if (!cli->out) return PO_OK;
  if ((rc = po_cli_check_out(cli->out, "run.out"))) return rc;
  /* sweep and tune rewrite their own files from OUT.d/. */
  return strcmp(cli->spec->name, "sweep") && strcmp(cli->spec->name, "tune")
             ? refuse_overwrite(cli, run)
             : PO_OK;
}

/* Creates and removes a file in dir: the only test that holds for root,
 * read-only mounts, quotas on inodes and /proc alike (access() does not),
 * so that an output that cannot be written fails before hours of work. */
static int probe_writable(const char *dir, const char *path, const char *key) {
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/.physopt-probe.%ld", dir, (long)getpid());
  int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    int e = errno;
    if (e == EEXIST) return PO_OK; /* our pid's leftover: the directory is writable */
    return po_error(PO_ERR_IO, "%s = %s: cannot write there: cannot create a file in %s: %s", key,
                    path, dir, strerror(e));
  }
  close(fd);
  unlink(probe);
  return PO_OK;
}

int po_cli_check_out(const char *path, const char *key) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return po_error(PO_ERR_IO, "%s = %s is a directory (expected a file name)", key, path);
  const char *slash = strrchr(path, '/');
  if (!slash) return probe_writable(".", path, key);
  size_t len = slash == path ? 1 : (size_t)(slash - path);
  char *dir = malloc(len + 1);
  if (!dir) return po_error(PO_ERR_NOMEM, "out of memory");
  memcpy(dir, path, len);
  dir[len] = '\0';
  int rc = PO_OK;
  if (stat(dir, &st) != 0)
    rc = po_error(PO_ERR_IO, "%s = %s: cannot write there: directory %s: %s", key, path, dir,
                  strerror(errno));
  else if (!S_ISDIR(st.st_mode))
    rc = po_error(PO_ERR_IO, "%s = %s: cannot write there: %s is not a directory", key, path, dir);
  else
    rc = probe_writable(dir, path, key);
  free(dir);
  return rc;
}

int po_cli_load_file_params(po_cli *cli, const char *usage, const po_param_section *run) {
  if (cli->n_args != 1) return po_error(PO_ERR_ARG, "%s", usage);
  po_params *p = NULL;
  int rc = po_params_create(&p);
  if (!rc) rc = po_params_load_config(p, cli->args[0]);
  for (size_t i = 0; !rc && i < po_params_count(cli->params); i++) {
    const char *sec, *key, *val;
    po_params_entry(cli->params, i, &sec, &key, &val);
    char name[512];
    snprintf(name, sizeof name, "%s.%s", sec, key);
    rc = po_params_set(p, name, val ? val : "");
  }
  if (rc) {
    po_params_destroy(p);
    return rc;
  }
  po_params_destroy(cli->params);
  cli->params = p;
  return po_cli_read_common(cli, run);
}

void po_cli_dir_of(const char *path, char *buf, size_t size) {
  snprintf(buf, size, "%s", path);
  char *slash = strrchr(buf, '/');
  if (slash)
    slash[1] = 0;
  else
    buf[0] = 0;
}

void po_cli_free(po_cli *cli) {
  po_params_destroy(cli->params);
  free(cli->args);
  memset(cli, 0, sizeof *cli);
}

const po_param_spec *po_cli_find_spec(const po_param_section *const *secs, size_t n,
                                      const char *sec, const char *key) {
  for (size_t s = 0; s < n; s++) {
    if (!secs[s] || strcmp(secs[s]->name, sec)) continue;
    for (size_t k = 0; k < secs[s]->n_specs; k++)
      if (!strcmp(secs[s]->specs[k].key, key)) return &secs[s]->specs[k];
  }
  return NULL;
}

/* " (default 64, range [1, 1e+06], unit s)" for a config key. */
static void describe_key(char *buf, size_t size, const po_cli_spec *spec, const char *dotted) {
  buf[0] = '\0';
  const char *dot = strrchr(dotted, '.');
  if (!dot) return;
  char sec[64];
  snprintf(sec, sizeof sec, "%.*s", (int)(dot - dotted), dotted);
  const po_param_spec *ps = po_cli_find_spec(spec->sections, spec->n_sections, sec, dot + 1);
  if (!ps) return;
  size_t n = 0;
#define ADD(...)                                                                                   \
  do {                                                                                             \
    if (n < size) n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__);                           \
  } while (0)
  if (ps->def) ADD(" default %s", ps->def);
  if ((ps->type == PO_PARAM_INT || ps->type == PO_PARAM_DOUBLE) && ps->min < ps->max &&
      fabs(ps->min) < 1e300 && fabs(ps->max) < 1e300) {
    char range[96];
    ADD("%s range %s", ps->def ? "," : "", po_param_range_text(ps, range, sizeof range));
  }
  if (ps->choices) ADD("%s one of %s", (ps->def || n) ? "," : "", ps->choices);
  if (ps->unit && strcmp(ps->unit, "1") && ps->type != PO_PARAM_STRING)
    ADD("%s unit %s", n ? "," : "", ps->unit);
#undef ADD
}

static void print_option(FILE *f, const po_cli_spec *spec, const po_cli_option *o) {
  char left[64], desc[256];
  snprintf(left, sizeof left, "--%s%s%s", o->flag, o->metavar ? " " : "",
           o->metavar ? o->metavar : "");
  describe_key(desc, sizeof desc, spec, o->key);
  fprintf(f, "  %-24s %s\n", left, o->help);
  fprintf(f, "  %-24s   [%s]%s\n", "", o->key, desc);
}

void po_cli_usage(FILE *f, const po_cli_spec *spec) {
  fprintf(f, "usage: physopt %s %s\n\n", spec->name, spec->synopsis ? spec->synopsis : "");
  if (spec->description) fprintf(f, "%s\n\n", spec->description);
  if (spec->options && spec->options->flag) {
    fprintf(f, "options (each sets the config key in brackets):\n");
    for (const po_cli_option *o = spec->options; o->flag; o++) print_option(f, spec, o);
    fprintf(f, "\n");
  }
  fprintf(f, "common options:\n");
  for (const po_cli_option *o = common_opts; o->flag; o++) print_option(f, spec, o);
  fprintf(f, "  %-24s %s\n", "--config FILE.ini",
          "read a configuration (repeatable; later files override earlier)");
  fprintf(f, "  %-24s %s\n", "--set SECTION.KEY=VALUE",
          "override one config key (repeatable; flags and --set override --config)");
  fprintf(f, "  %-24s %s\n", "--help", "this text");
  /* Keys no flag sets: name, description, default and range. */
  int header = 0;
  for (size_t si = 0; si < spec->n_sections; si++) {
    const po_param_section *sec = spec->sections[si];
    for (size_t k = 0; sec && k < sec->n_specs; k++) {
      char dotted[128], desc[256];
      snprintf(dotted, sizeof dotted, "%s.%s", sec->name, sec->specs[k].key);
      int mapped = 0;
      const po_cli_option *tables[2] = {spec->options, common_opts};
      for (int t = 0; t < 2 && !mapped; t++)
        for (const po_cli_option *o = tables[t]; o && o->flag && !mapped; o++)
          mapped = !strcmp(o->key, dotted);
      if (mapped) continue;
      if (!header++) fprintf(f, "\nconfig keys without a flag (--set KEY=VALUE or --config):\n");
      describe_key(desc, sizeof desc, spec, dotted);
      fprintf(f, "  %-24s %s\n", dotted, sec->specs[k].help ? sec->specs[k].help : "");
      if (*desc) fprintf(f, "  %-24s  %s\n", "", desc);
    }
  }
  if (spec->n_sections) {
    fprintf(f, "\nconfig sections:");
    for (size_t s = 0; s < spec->n_sections; s++) fprintf(f, " [%s]", spec->sections[s]->name);
    fprintf(f, "\n");
  }
}

/* The full effective configuration: explicit values plus every default of
 * the given sections, as INI text (for the HDF5 provenance). */
char *po_cli_config_text(const po_params *p, const po_param_section *const *secs, size_t n) {
  po_params *eff;
  if (po_params_clone(p, &eff)) return NULL;
  for (size_t s = 0; s < n; s++) {
    if (!secs[s]) continue;
    for (size_t k = 0; k < secs[s]->n_specs; k++) {
      const po_param_spec *ps = &secs[s]->specs[k];
      if (ps->def && !po_params_get(eff, secs[s]->name, ps->key)) {
        char name[256];
        snprintf(name, sizeof name, "%s.%s", secs[s]->name, ps->key);
        po_params_set(eff, name, ps->def);
      }
    }
  }
  char *text = po_params_to_ini(eff);
  po_params_destroy(eff);
  return text;
}

/* ---- errors ---------------------------------------------------------------- */

int po_cli_exit_code(int status) {
  switch (status) {
  case PO_OK:
  case PO_CLI_HELP:
    return 0;
  case PO_ERR_ARG:
  case PO_ERR_NOT_FOUND:
    return 2;
  case PO_ERR_PARSE:
    return 3;
  case PO_ERR_IO:
    return 4;
  case PO_ERR_NOMEM:
    return 5;
  case PO_ERR_UNSUPPORTED:
    return 6;
  case PO_ERR_NUMERIC:
    return 7;
  default:
    return 1;
  }
}

int po_cli_exit(int status) {
  if (status != PO_OK && status != PO_CLI_HELP) {
    const char *msg = po_last_error();
    fprintf(stderr, "physopt: error: %s\n", msg && *msg ? msg : po_strerror(status));
  }
  return po_cli_exit_code(status);
}

/* ---- JSON ------------------------------------------------------------------ */

void po_json_begin(po_json *j, FILE *f) {
  memset(j, 0, sizeof *j);
  j->f = f;
  fputc('{', f);
  j->close[0] = '}';
}

static void json_indent(po_json *j) {
  fputc('\n', j->f);
  for (int i = 0; i <= j->depth; i++) fputs("  ", j->f);
}

static void json_string_body(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    switch (*c) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    case '\b':
      fputs("\\b", f);
      break;
    case '\f':
      fputs("\\f", f);
      break;
    default:
      if (*c < 0x20)
        fprintf(f, "\\u%04x", *c);
      else
        fputc(*c, f);
    }
  }
  fputc('"', f);
}

static void json_key(po_json *j, const char *key) {
  if (j->count[j->depth]++) fputc(',', j->f);
  json_indent(j);
  if (key) {
    json_string_body(j->f, key);
    fputs(": ", j->f);
  }
}

static void json_open(po_json *j, const char *key, char open, char close) {
  if (j->depth + 1 >= (int)PO_CLI_N(j->count)) return;
  json_key(j, key);
  fputc(open, j->f);
  j->depth++;
  j->count[j->depth] = 0;
  j->close[j->depth] = close;
}

void po_json_object(po_json *j, const char *key) {
  json_open(j, key, '{', '}');
}
void po_json_array(po_json *j, const char *key) {
  json_open(j, key, '[', ']');
}

void po_json_close(po_json *j) {
  if (j->depth == 0) return;
  int had = j->count[j->depth];
  char c = j->close[j->depth];
  j->depth--;
  if (had) json_indent(j);
  fputc(c, j->f);
}

void po_json_end(po_json *j) {
  while (j->depth > 0) po_json_close(j);
  if (j->count[0]) fputc('\n', j->f);
  fputs("}\n", j->f);
  fflush(j->f);
}

void po_json_int8_array(po_json *j, const char *key, const int8_t *v, size_t n, int as_bit) {
  json_key(j, key);
  fputc('[', j->f);
  for (size_t i = 0; i < n; i++) {
    int x = as_bit ? v[i] > 0 : v[i];
    fprintf(j->f, i ? ", %d" : "%d", x);
  }
  fputc(']', j->f);
}

void po_json_string(po_json *j, const char *key, const char *v) {
  json_key(j, key);
  if (v)
    json_string_body(j->f, v);
  else
    fputs("null", j->f);
}

void po_json_number(po_json *j, const char *key, double v) {
  json_key(j, key);
  if (!isfinite(v)) {
    fputs("null", j->f);
    return;
  }
  char buf[40];
  snprintf(buf, sizeof buf, "%.15g", v);
  if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
  fputs(buf, j->f);
}

void po_json_int(po_json *j, const char *key, long long v) {
  json_key(j, key);
  fprintf(j->f, "%lld", v);
}

void po_json_uint(po_json *j, const char *key, unsigned long long v) {
  json_key(j, key);
  fprintf(j->f, "%llu", v);
}

void po_json_bool(po_json *j, const char *key, int v) {
  json_key(j, key);
  fputs(v ? "true" : "false", j->f);
}

void po_json_null(po_json *j, const char *key) {
  json_key(j, key);
  fputs("null", j->f);
}

/* ---- progress bar ---------------------------------------------------------- */

void po_cli_progress_init(po_cli_progress *p, const char *label, int quiet) {
  memset(p, 0, sizeof *p);
  p->label = label ? label : "";
  p->t0 = p->last = po_cli_now();
  p->tty = isatty(STDERR_FILENO);
  p->enabled = !quiet;
  const char *after = getenv("PHYSOPT_PROGRESS_AFTER"); /* test hooks, seconds */
  const char *every = getenv("PHYSOPT_PROGRESS_EVERY");
  p->after = after && *after ? atof(after) : 1.0;
  p->every = every && *every ? atof(every) : 30.0;
}

void po_cli_format_eta(char *buf, size_t size, double elapsed, double fraction) {
  if (!(fraction > 0)) {
    snprintf(buf, size, "ETA unknown");
    return;
  }
  double eta = elapsed * (1 - fraction) / fraction;
  if (eta < 120)
    snprintf(buf, size, "ETA %.0f s", eta);
  else if (eta < 7200)
    snprintf(buf, size, "ETA %.1f min", eta / 60);
  else
    snprintf(buf, size, "ETA %.1f h", eta / 3600);
}

void po_cli_progress_update(void *ctx, double fraction) {
  po_cli_progress *p = ctx;
  if (!p || !p->enabled) return;
  double now = po_cli_now(), el = now - p->t0;
  if (!(fraction >= 0)) fraction = 0;
  if (fraction > 1) fraction = 1;
  char eta[32];
  if (!p->tty) { /* a log: one line every p->every seconds */
    if (now - p->last < p->every) return;
    p->last = now;
    po_cli_format_eta(eta, sizeof eta, el, fraction);
    fprintf(stderr, "physopt %s: %.0f%% after %.0f s, %s\n", p->label, 100 * fraction, el, eta);
    fflush(stderr);
    return;
  }
  if (el < p->after || (p->drawn && now - p->last < 0.1)) return;
  p->last = now;
  enum { WIDTH = 30 };
  char bar[WIDTH + 1];
  int fill = (int)(fraction * WIDTH + 0.5);
  for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : ' ';
  bar[WIDTH] = '\0';
  po_cli_format_eta(eta, sizeof eta, el, fraction);
  fprintf(stderr, "\r%s [%s] %3.0f%%  %.1f s  %s\033[K", p->label, bar, 100 * fraction, el, eta);
  fflush(stderr);
  p->drawn = 1;
}

void po_cli_progress_done(po_cli_progress *p) {
  if (p->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  p->drawn = 0;
}

/* ---- interrupts ----------------------------------------------------------- */

static char interrupt_note[1024] = "nothing was saved; run the command again to start over";

void po_cli_interrupt_note(const char *fmt, ...) {
  char buf[sizeof interrupt_note];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* Block the signals while the note changes, so the handler never reads
   * a half-written note. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, &old);
  memcpy(interrupt_note, buf, sizeof buf);
  sigprocmask(SIG_SETMASK, &old, NULL);
}

static void write_stderr(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static int interrupt_tty; /* isatty(2) at installation (isatty is not async-signal-safe) */

/* Only async-signal-safe calls: write and _exit.  The \r\033[K erases a
 * progress bar. */
static void on_interrupt(int sig) {
  write_stderr(interrupt_tty ? "\r\033[K" : "\n");
  write_stderr(sig == SIGINT ? "physopt: interrupted (SIGINT): "
                             : "physopt: terminated (SIGTERM): ");
  write_stderr(interrupt_note);
  write_stderr("\n");
  _exit(128 + sig);
}

void po_cli_install_interrupt_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  interrupt_tty = isatty(STDERR_FILENO);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static char reading_path[1024];
static volatile sig_atomic_t reading_active;

void po_cli_reading(const char *path) {
  reading_active = 0;
  if (!path) return;
  snprintf(reading_path, sizeof reading_path, "%s", path);
  reading_active = 1;
}

#ifndef PO_SANITIZE

/* Only async-signal-safe calls: write, _exit, signal, raise. */
static void on_fault(int sig) {
  if (!reading_active) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  write_stderr("physopt: error: ");
  write_stderr(reading_path);
  write_stderr(": the HDF5 library faulted while reading this file (or a part file it links "
               "to); it is corrupted (a damaged variable-length string heap?); nothing was "
               "written\n");
  _exit(3);
}

void po_cli_install_fault_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
}
#else
void po_cli_install_fault_handler(void) {}
#endif

/* Shared helpers for physopt subcommands: option parsing onto po_params,
 * usage text, error reporting and exit codes, a JSON writer and a progress
 * bar.
 *
 * A subcommand is `int po_cmd_<name>(int argc, char **argv)` (argv[0] is the
 * command name) listed in cli/commands.h.  The usual shape:
 *
 *   static const po_param_spec run_specs[] = {
 *     PO_CLI_COMMON_RUN_SPECS,          // run.seed, run.threads, run.out, run.json
 *     {"replicas", PO_PARAM_INT, "64", 1, 1e6, NULL, "1", "independent runs"},
 *   };
 *   static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
 *   static const po_param_section *const secs[] = {&run_sec};
 *   static const po_cli_option opts[] = {
 *     {"replicas", "run.replicas", "R", "independent runs"},
 *     {NULL, NULL, NULL, NULL}};
 *   static const po_cli_spec spec = {"demo", "[options]", "What it does.", opts, secs, 1, 0};
 *
 *   int po_cmd_demo(int argc, char **argv) {
 *     po_cli cli;
 *     int rc = po_cli_parse(&cli, &spec, argc, argv);
 *     if (rc == PO_CLI_HELP) return 0;
 *     if (!rc) rc = po_params_check(cli.params, secs, 1);  // unknown keys
 *     if (!rc) rc = po_cli_read_common(&cli, &run_sec);   // seed, threads, out, json
 *     ...
 *     po_cli_free(&cli);
 *     return po_cli_exit(rc);   // prints "physopt: error: ..." when rc != 0
 *   }
 *
 * Options: every subcommand accepts the common options
 *   --config FILE.ini    (repeatable; files load in order, before anything else)
 *   --set SECTION.KEY=V  (repeatable)
 *   --seed X, --threads T, --out FILE.h5, --json   (= run.seed, run.threads,
 *                        run.out, run.json)
 *   --help
 * plus its own table of po_cli_option, each mapped onto a config key.  Flags
 * and --set are applied in command-line order after all --config files, so
 * the command line overrides the configuration.  "--opt=value" and
 * "--opt value" are both accepted; "--" ends the options.
 *
 * Exit codes (po_cli_exit_code): 0 success, 2 invalid argument or unknown
 * name (PO_ERR_ARG, PO_ERR_NOT_FOUND, usage errors), 3 malformed input file,
 * 4 I/O error, 5 out of memory, 6 unsupported, 7 numerical failure, 1 other. */
#ifndef PHYSOPT_CLI_COMMON_H
#define PHYSOPT_CLI_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include "physopt/physopt.h"
#include "physopt/run.h"

#define PO_CLI_N(a) (sizeof(a) / sizeof((a)[0]))

/* Returned by po_cli_parse after printing --help: the command returns 0. */
#define PO_CLI_HELP (-1)

/* The run-section specs of the common options (physopt/run.h); put them
 * first in each command's [run] table.  run.task: what a configuration
 * runs; physopt sweep dispatches on it, the single-run commands check it
 * with po_cli_check_task. */
#define PO_CLI_COMMON_RUN_SPECS PO_RUN_COMMON_SPECS
#define PO_CLI_TASK_SPEC        PO_RUN_TASK_SPEC

/* An error unless run.task is unset or names `task` (physopt/run.h). */
#define po_cli_check_task po_run_check_task

typedef struct po_cli_option {
  const char *flag;    /* long option without dashes: "replicas" */
  const char *key;     /* config key it sets: "run.replicas" */
  const char *metavar; /* "R"; NULL for a boolean flag (sets the key to "true") */
  const char *help;    /* one line; the default and range come from the spec tables */
} po_cli_option;

typedef struct po_cli_spec {
  const char *name;                        /* "solve" */
  const char *synopsis;                    /* "[--problem FILE|sk:N:SEED] [options]" */
  const char *description;                 /* printed by --help under the synopsis */
  const po_cli_option *options;            /* terminated by {NULL} */
  const po_param_section *const *sections; /* the command's config sections */
  size_t n_sections;
  int max_args; /* positional arguments accepted */
} po_cli_spec;

typedef struct po_cli {
  const po_cli_spec *spec;
  po_params *params; /* --config files, then --set and flags in order */
  int n_args;        /* positional arguments (pointers into argv) */
  char **args;
  int n_options; /* options given on the command line (0 = bare command) */
  /* Filled by po_cli_read_common. */
  uint64_t seed;
  int threads;
  const char *out; /* NULL when no output file */
  int json;
  int quiet; /* run.quiet: no progress lines or bars */
} po_cli;

/* Records the whole argv (called once by main) for po_cli_command_line. */
void po_cli_set_argv(int argc, char **argv);

/* Reading untrusted HDF5 files.  libhdf5 does not checksum the global heap
 * that holds variable-length strings, and a corrupted heap can make its
 * attribute reader fault inside the library (measured: 3 of 1500 single-bit
 * flips of a results file; docs/hdf5-layout.md).  po_cli_install_fault_handler
 * (main) turns SIGSEGV / SIGBUS / SIGFPE raised while po_cli_reading(path)
 * is in effect into "physopt: error: PATH: ..." and exit status 3 (malformed
 * input) instead of a crash; outside such a section the signal keeps its
 * default action.  po_cli_reading(NULL) ends the section.  Not installed in
 * sanitizer builds, whose own handlers report faults. */
void po_cli_install_fault_handler(void);
void po_cli_reading(const char *path);
/* "physopt solve --problem sk:12:1 ..." (shell-quoted where needed); caller frees. */
char *po_cli_command_line(void);

/* The directory part of a path, with its trailing '/' ("" for a bare
 * name): where a sweep's relative part-file paths start. */
void po_cli_dir_of(const char *path, char *buf, size_t size);

/* Parses argv (argv[0] = command name).  Returns PO_OK, PO_CLI_HELP after
 * printing the usage on stdout, or an error status with the message set.
 * Unless it returns PO_OK, cli holds nothing to free (po_cli_free stays harmless). */
int po_cli_parse(po_cli *cli, const po_cli_spec *spec, int argc, char **argv);
/* Reads run.seed, run.threads, run.out and run.json from `run` (a section
 * that includes PO_CLI_COMMON_RUN_SPECS); checks run.out with po_cli_check_out. */
int po_cli_read_common(po_cli *cli, const po_param_section *run);
/* For commands driven by one file (`physopt sweep SWEEP.ini`, `physopt tune
 * TUNE.ini`): the file named by the single argument, then --config files and
 * --set settings on top (command line wins); cli->params is replaced by the
 * merged set and po_cli_read_common is applied.  `usage` names the expected
 * argument in the error ("sweep: expected one sweep file (...)"). */
int po_cli_load_file_params(po_cli *cli, const char *usage, const po_param_section *run);
void po_cli_free(po_cli *cli);
/* Before a long run: an output path must not be a directory and its
 * directory must exist (the error names `key` and the path). */
int po_cli_check_out(const char *path, const char *key);
/* An integer key spanning all of uint64_t (seeds, run ids): decimal or 0x
 * hex; other forms, and the default when unset, go through po_params_int. */
int po_cli_param_u64(const po_params *p, const po_param_section *sec, const char *key,
                     uint64_t *out);
/* Usage text: synopsis, description, options with config keys, defaults
 * and ranges, and the common options. */
void po_cli_usage(FILE *f, const po_cli_spec *spec);

/* The full effective configuration as INI text (for HDF5 provenance): the
 * values in p plus the default of every other key of the given sections,
 * so that `--config` with this text repeats the run.  Caller frees. */
char *po_cli_config_text(const po_params *p, const po_param_section *const *secs, size_t n);

/* Exit code of a status (table above). */
int po_cli_exit_code(int status);
/* For status != 0 prints "physopt: error: <po_last_error()>" on stderr;
 * returns po_cli_exit_code(status).  PO_CLI_HELP gives 0. */
int po_cli_exit(int status);

/* Finds the spec of `key` in section `sec` among the sections, or NULL. */
const po_param_spec *po_cli_find_spec(const po_param_section *const *secs, size_t n,
                                      const char *sec, const char *key);

/* Monotonic seconds. */
double po_cli_now(void);

/* ---- JSON writer ---------------------------------------------------------
 * Pretty-printed, keys in call order.  Strings are escaped; NaN and +/-Inf
 * become null; doubles print with the shortest of %.15g/%.17g that reads
 * back exactly.  `key` is NULL inside arrays. */
typedef struct po_json {
  FILE *f;
  int depth;
  int count[16]; /* members written at each depth */
  char close[16];
} po_json;

void po_json_begin(po_json *j, FILE *f); /* "{" */
void po_json_end(po_json *j);            /* closes everything, "}\n" */
void po_json_object(po_json *j, const char *key);
void po_json_array(po_json *j, const char *key);
void po_json_close(po_json *j); /* ends the innermost object or array */
void po_json_string(po_json *j, const char *key, const char *v); /* NULL -> null */
void po_json_number(po_json *j, const char *key, double v);
void po_json_int(po_json *j, const char *key, long long v);
void po_json_uint(po_json *j, const char *key, unsigned long long v);
void po_json_bool(po_json *j, const char *key, int v);
void po_json_null(po_json *j, const char *key);
/* A +/-1 spin vector on one line: [1, -1, ...]; as_bit writes x = (1 + s)/2
 * instead ([1, 0, ...]). */
void po_json_int8_array(po_json *j, const char *key, const int8_t *v, size_t n, int as_bit);

/* ---- progress ------------------------------------------------------------
 * When stderr is a terminal: a bar "label [#####     ]  42%  3.1 s  ETA 4 s"
 * redrawn at most ten times a second, once one second has passed since
 * po_cli_progress_init.  When it is not (batch jobs, logs): a line
 * "physopt label: 42% after 31 s, ETA 43 s" every 30 s.  Nothing when
 * `quiet` (run.quiet, --quiet).  po_cli_progress_update has the signature of
 * po_progress_fn: pass it with &bar as the context.  ETA = elapsed (1 - f)/f.
 * Test hooks: PHYSOPT_PROGRESS_AFTER (seconds before the bar, default 1) and
 * PHYSOPT_PROGRESS_EVERY (seconds between lines, default 30). */
typedef struct po_cli_progress {
  const char *label;
  double t0, last, after, every;
  int enabled, drawn, tty;
} po_cli_progress;

void po_cli_progress_init(po_cli_progress *p, const char *label, int quiet);
void po_cli_progress_update(void *ctx, double fraction);
/* Erases the bar if it was drawn. */
void po_cli_progress_done(po_cli_progress *p);
/* "ETA 43 s" / "ETA 2.1 h" for the elapsed time and fraction done into buf. */
void po_cli_format_eta(char *buf, size_t size, double elapsed, double fraction);

/* ---- interrupts ----------------------------------------------------------
 * po_cli_install_interrupt_handler (main) makes SIGINT and SIGTERM print
 * "physopt: interrupted: NOTE" on stderr and exit with 128 + signal number.
 * A command sets NOTE (what was saved, how to resume) with
 * po_cli_interrupt_note before its long part; the default says nothing was
 * saved.  The note is copied (at most 1023 bytes). */
void po_cli_install_interrupt_handler(void);
void po_cli_interrupt_note(const char *fmt, ...);

#endif

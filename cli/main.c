/* physopt: dispatches to the subcommands listed in cli/commands.h. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/common.h"
#include "io/h5.h"

#define PO_COMMAND(name, help) int po_cmd_##name(int argc, char **argv);
#include "cli/commands.h"
#undef PO_COMMAND

typedef struct command {
  const char *name;
  const char *help;
  int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
#define PO_COMMAND(name, help) {#name, help, po_cmd_##name},
#include "cli/commands.h"
#undef PO_COMMAND
};

static void list_commands(FILE *f) {
  fprintf(f, "commands:\n");
  for (size_t i = 0; i < PO_CLI_N(commands); i++)
    fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

static void usage(FILE *f) {
  fprintf(f, "usage: physopt COMMAND [options]\n"
             "       physopt COMMAND --help\n"
             "       physopt --version\n\n"
             "Simulated physical optimizers (coherent Ising machines, photonic matrix\n"
             "multipliers, cavity-QED associative memories) and their digital reference,\n"
             "compared in quality, time and energy.\n\n");
  list_commands(f);
  fprintf(f, "\n`physopt solve` with no options runs the demonstration.\n");
}

#ifdef PO_SANITIZE
/* Sanitizer builds: after a failed close (disk full) HDF5 1.10 keeps the
 * half-destroyed file's memory, and its shutdown, which would free it,
 * crashes on it, so physopt skips that shutdown (io/h5.h).  What stays
 * allocated then is HDF5's own; every other HDF5 allocation is freed by the
 * shutdown of a normal exit, so this suppression hides nothing of ours.
 * Default visibility: the build hides symbols (-fvisibility=hidden), and
 * LeakSanitizer finds this hook only when it is exported. */
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void);
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void) {
  return "leak:libhdf5_serial.so\n";
}
#endif

int main(int argc, char **argv) {
  /* HDF5's own exit handler crashes after a failed close (disk full);
   * ours skips it then (io/h5.h).  A file size limit (ulimit -f) makes
   * writes fail with EFBIG instead of killing us mid-file with SIGXFSZ,
   * so temporary files are removed and the exit code says what happened. */
  po_h5_end_at_exit();
  signal(SIGXFSZ, SIG_IGN);
  po_cli_set_argv(argc, argv);
  po_cli_install_fault_handler();
  po_cli_install_interrupt_handler();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    if (!strcmp(cmd, "help") && argc > 2) {
      for (size_t i = 0; i < PO_CLI_N(commands); i++)
        if (!strcmp(argv[2], commands[i].name)) {
          char *sub[] = {argv[2], "--help", NULL};
          return commands[i].run(2, sub);
        }
    } else {
      usage(stdout);
      return 0;
    }
  } else if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
    printf("physopt %s (git %s)\n", po_version(), po_git_revision());
    return 0;
  } else {
    for (size_t i = 0; i < PO_CLI_N(commands); i++)
      if (!strcmp(cmd, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  }
  const char *unknown = !strcmp(cmd, "help") ? argv[2] : cmd;
  fprintf(stderr, "physopt: error: unknown command '%s'\n", unknown);
  list_commands(stderr);
  return 2;
}

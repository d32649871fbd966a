/* physopt backends: every registered backend with its capabilities,
 * algorithms, fallback, device parameters and energy cost model, read from
 * the spec tables (the same tables that validate configs). */
#include <string.h>
#include "cli/common.h"
#include "cli/devices.h"
#include "cli/run_config.h"

static const po_param_spec run_specs[] = {PO_CLI_COMMON_RUN_SPECS};
static const po_param_section run_sec = {"run", run_specs, PO_CLI_N(run_specs)};
static const po_param_section *const secs[] = {&run_sec};
static const po_cli_option opts[] = {{NULL, NULL, NULL, NULL}};
static const po_cli_spec spec = {
    "backends",
    "[NAME] [--json]",
    "Lists every registered backend (or only NAME): capabilities, annealing algorithms,\n"
    "the fallback that serves the ops it lacks, its device parameters ([NAME] section)\n"
    "and its energy cost model ([energy.NAME] section), each with default, range,\n"
    "unit and source.  Change them with --set NAME.KEY=VALUE or --config FILE.ini.",
    opts,
    secs,
    1,
    1};

static const char *type_name(po_param_type t) {
  switch (t) {
  case PO_PARAM_INT:
    return "int";
  case PO_PARAM_DOUBLE:
    return "double";
  case PO_PARAM_STRING:
    return "string";
  case PO_PARAM_BOOL:
    return "bool";
  }
  return "?";
}

static void caps_text(unsigned caps, char *buf, size_t size) {
  snprintf(buf, size, "%s%s%s%s", caps & PO_CAP_MATMUL ? "matmul " : "",
           caps & PO_CAP_ISING ? "ising_anneal " : "", caps & PO_CAP_RECALL ? "recall " : "",
           caps ? "" : "none");
  size_t n = strlen(buf);
  if (n && buf[n - 1] == ' ') buf[n - 1] = '\0';
}

static void range_text(const po_param_spec *s, char *buf, size_t size) {
  if (s->type == PO_PARAM_INT || s->type == PO_PARAM_DOUBLE)
    po_param_range_text(s, buf, size);
  else if (s->choices)
    snprintf(buf, size, "%s", s->choices);
  else if (s->type == PO_PARAM_BOOL)
    snprintf(buf, size, "true|false");
  else
    snprintf(buf, size, "text");
}

static void print_section(const char *title, const po_param_section *sec) {
  if (!sec || !sec->n_specs) {
    printf("  %s: none\n", title);
    return;
  }
  printf("  %s [%s]:\n", title, sec->name);
  printf("    %-22s %-12s %-24s %-6s %s\n", "key", "default", "range", "unit", "description");
  for (size_t i = 0; i < sec->n_specs; i++) {
    const po_param_spec *s = &sec->specs[i];
    char range[128];
    range_text(s, range, sizeof range);
    printf("    %-22s %-12s %-24s %-6s %s\n", s->key, s->def ? s->def : "-", range,
           s->unit && *s->unit ? s->unit : "-", s->help ? s->help : "");
  }
}

static void json_section(po_json *j, const char *name, const po_param_section *sec) {
  po_json_array(j, name);
  for (size_t i = 0; sec && i < sec->n_specs; i++) {
    const po_param_spec *s = &sec->specs[i];
    po_json_object(j, NULL);
    po_json_string(j, "key", s->key);
    po_json_string(j, "section", sec->name);
    po_json_string(j, "type", type_name(s->type));
    po_json_string(j, "default", s->def);
    if (s->type == PO_PARAM_INT || s->type == PO_PARAM_DOUBLE) {
      po_json_number(j, "min", s->min);
      po_json_number(j, "max", s->max);
    }
    po_json_string(j, "choices", s->choices);
    po_json_string(j, "unit", s->unit);
    po_json_string(j, "help", s->help);
    po_json_close(j);
  }
  po_json_close(j);
}

static void json_algorithms(po_json *j, const po_backend_info *info) {
  po_json_array(j, "algorithm_table");
  for (const po_algorithm *a = info->algorithms; a && a->name; a++) {
    po_json_object(j, NULL);
    po_json_string(j, "name", a->name);
    po_json_string(j, "summary", a->summary);
    po_json_int(j, "default_steps", a->default_steps);
    po_json_close(j);
  }
  po_json_close(j);
}

static void json_backend(po_json *j, const po_backend_info *info) {
  const po_backend_ops *o = info->ops;
  char own[64], all[64], names[512];
  caps_text(o->caps, own, sizeof own);
  caps_text(info->caps, all, sizeof all);
  po_json_object(j, NULL);
  po_json_string(j, "name", o->name);
  po_json_string(j, "summary", o->summary);
  po_json_string(j, "capabilities", own);
  po_json_string(j, "capabilities_with_fallback", all);
  po_json_string(j, "algorithms",
                 info->algorithms ? po_backend_algorithm_names(info, "|", names, sizeof names)
                                  : NULL);
  if (info->algorithms) po_json_int(j, "default_steps", info->algorithms[0].default_steps);
  po_json_string(j, "anneals_on", po_backend_info_server(info, PO_OP_ANNEAL));
  po_json_string(j, "matmul_on", po_backend_info_server(info, PO_OP_MATMUL));
  po_json_string(j, "recall_on", po_backend_info_server(info, PO_OP_RECALL));
  json_algorithms(j, info);
  po_json_string(j, "fallback", o->fallback);
  json_section(j, "parameters", o->params);
  json_section(j, "energy", o->energy);
  po_cli_list_devices(o->name, j);
  po_cli_list_recipes(o->name, j);
  po_json_close(j);
}

/* "cpu" or "cpu (fallback)" for the backend that runs op. */
static const char *server_text(const po_backend_info *info, po_op op, char *buf, size_t size) {
  const char *s = po_backend_info_server(info, op);
  snprintf(buf, size, "%s%s", s ? s : "-", s && info->serves[op] != info->ops ? " (fallback)" : "");
  return buf;
}

static void print_backend(const po_backend_info *info, int blank_line) {
  const po_backend_ops *o = info->ops;
  char own[64], all[64], m[64], a[64], r[64];
  caps_text(o->caps, own, sizeof own);
  caps_text(info->caps, all, sizeof all);
  if (blank_line) printf("\n");
  printf("%s: %s\n", o->name, o->summary ? o->summary : "");
  printf("  capabilities: %s", own);
  if (o->fallback) printf(" (with fallback %s: %s)", o->fallback, all);
  printf("\n  runs:         matmul on %s, ising_anneal on %s, recall on %s\n",
         server_text(info, PO_OP_MATMUL, m, sizeof m), server_text(info, PO_OP_ANNEAL, a, sizeof a),
         server_text(info, PO_OP_RECALL, r, sizeof r));
  char names[512];
  printf("  algorithms:   %s%s\n", po_backend_algorithm_names(info, "|", names, sizeof names),
         info->algorithms ? " (the first is the default)" : "");
  for (const po_algorithm *al = info->algorithms; al && al->name; al++)
    printf("    %-12s %6ld steps by default  %s\n", al->name, al->default_steps, al->summary);
  printf("  fallback:     %s\n", o->fallback ? o->fallback : "none");
  printf("  sections:    ");
  for (int k = 0; k < info->n_sections; k++) printf(" [%s]", info->sections[k]->name);
  printf("\n");
  print_section("parameters", o->params);
  print_section("energy cost model", o->energy);
  po_cli_list_devices(o->name, NULL);
  po_cli_list_recipes(o->name, NULL);
}

int po_cmd_backends(int argc, char **argv) {
  po_cli cli;
  int rc = po_cli_parse(&cli, &spec, argc, argv);
  if (!rc) rc = po_params_check(cli.params, secs, PO_CLI_N(secs));
  if (!rc) rc = po_cli_read_common(&cli, &run_sec);
  if (!rc && cli.out)
    rc = po_error(PO_ERR_ARG, "physopt backends writes no file: --out (run.out) is not accepted");
  const char *only = !rc && cli.n_args ? cli.args[0] : NULL;
  po_backend_info checked;
  if (!rc && only) rc = po_backend_info_get(only, &checked); /* the error lists the names */
  if (rc) {
    po_cli_free(&cli);
    return po_cli_exit(rc);
  }
  po_json j;
  if (cli.json) {
    po_json_begin(&j, stdout);
    po_json_array(&j, "backends");
  }
  for (size_t i = 0; i < po_backend_count(); i++) {
    const po_backend_ops *o = po_backend_ops_at(i);
    if (only && strcmp(o->name, only)) continue;
    po_backend_info info;
    if ((rc = po_backend_info_get(o->name, &info))) break;
    if (cli.json)
      json_backend(&j, &info);
    else
      print_backend(&info, i && !only);
  }
  if (rc) {
    po_cli_free(&cli);
    return po_cli_exit(rc);
  }
  if (cli.json) po_json_end(&j);
  po_cli_free(&cli);
  return 0;
}

/* Backend registry and dispatch (PETSc/libCEED pattern): backends/list.h
 * names every backend once; a NULL op is served by the backend's fallback
 * (the CPU reference) or fails with an error naming backend and op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/backend.h"
#include "physopt/error.h"

#define PO_BACKEND(name) extern const po_backend_ops po_backend_ops_##name;
#include "backends/list.h"
#undef PO_BACKEND

static const po_backend_ops *const registry[] = {
#define PO_BACKEND(name) &po_backend_ops_##name,
#include "backends/list.h"
#undef PO_BACKEND
};

size_t po_backend_count(void) {
  return sizeof registry / sizeof registry[0];
}

const po_backend_ops *po_backend_ops_at(size_t i) {
  return i < po_backend_count() ? registry[i] : NULL;
}

const po_backend_ops *po_backend_find(const char *name) {
  for (size_t i = 0; i < po_backend_count(); i++)
    if (!strcmp(registry[i]->name, name)) return registry[i];
  return NULL;
}

static int unknown_backend(const char *name) {
  char list[512];
  size_t used = 0;
  list[0] = '\0';
  for (size_t i = 0; i < po_backend_count(); i++)
    used +=
        (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", registry[i]->name);
  return po_error(PO_ERR_NOT_FOUND, "unknown backend '%s' (available: %s)", name, list);
}

/* Reads every declared parameter once so that a bad value fails at open. */
static int validate_section(const po_params *p, const po_param_section *sec) {
  if (!sec) return PO_OK;
  for (size_t i = 0; i < sec->n_specs; i++) {
    const po_param_spec *s = &sec->specs[i];
    long l;
    double d;
    const char *t;
    int v, rc = PO_OK;
    if (!s->def && !po_params_get(p, sec->name, s->key)) continue;
    switch (s->type) {
    case PO_PARAM_INT:
      rc = po_params_int(p, sec, s->key, &l);
      break;
    case PO_PARAM_DOUBLE:
      rc = po_params_double(p, sec, s->key, &d);
      break;
    case PO_PARAM_STRING:
      rc = po_params_string(p, sec, s->key, &t);
      break;
    case PO_PARAM_BOOL:
      rc = po_params_bool(p, sec, s->key, &v);
      break;
    }
    if (rc) return rc;
  }
  return PO_OK;
}

int po_backend_open(const char *name, const po_params *p, po_backend **out) {
  *out = NULL;
  const po_backend_ops *ops = po_backend_find(name);
  if (!ops) return unknown_backend(name);
  po_backend *b = calloc(1, sizeof *b);
  if (!b) return po_error(PO_ERR_NOMEM, "out of memory");
  b->ops = ops;
  int rc = p ? po_params_clone(p, &b->params) : po_params_create(&b->params);
  if (!rc) rc = validate_section(b->params, ops->params);
  if (!rc) rc = validate_section(b->params, ops->energy);
  if (!rc && ops->create) rc = ops->create(b, b->params);
  if (rc) {
    po_params_destroy(b->params);
    free(b);
    return rc;
  }
  *out = b;
  return PO_OK;
}

void po_backend_close(po_backend *b) {
  if (!b) return;
  if (b->ops->destroy) b->ops->destroy(b);
  po_backend_close(b->fallback);
  po_params_destroy(b->params);
  free(b);
}

const char *po_backend_name(const po_backend *b) {
  return b->ops->name;
}

unsigned po_backend_caps(const po_backend *b) {
  po_backend_info info;
  return po_backend_info_get(b->ops->name, &info) == PO_OK ? info.caps : b->ops->caps;
}

/* The op table entry of op, as a truth value. */
static int offers(const po_backend_ops *o, po_op op) {
  switch (op) {
  case PO_OP_MATMUL:
    return o->matmul != NULL;
  case PO_OP_ANNEAL:
    return o->algorithms != NULL && o->algorithms[0].name != NULL;
  case PO_OP_RECALL:
    return o->recall != NULL;
  default:
    return 0;
  }
}

static void add_section(po_backend_info *info, const po_param_section *sec) {
  if (sec && info->n_sections < PO_BACKEND_MAX_SECTIONS) info->sections[info->n_sections++] = sec;
}

int po_backend_info_get(const char *name, po_backend_info *out) {
  memset(out, 0, sizeof *out);
  const po_backend_ops *o = name ? po_backend_find(name) : NULL;
  if (!o) return unknown_backend(name ? name : "(null)");
  const po_backend_ops *f = o->fallback ? po_backend_find(o->fallback) : NULL;
  if (o->fallback && !f)
    return po_error(PO_ERR_NOT_FOUND, "backend %s: its fallback '%s' is not registered", o->name,
                    o->fallback);
  out->ops = o;
  out->caps = o->caps | (f ? f->caps : 0u);
  for (int op = 0; op < PO_OP_COUNT; op++)
    out->serves[op] = offers(o, (po_op)op) ? o : f && offers(f, (po_op)op) ? f : NULL;
  if (out->serves[PO_OP_ANNEAL]) out->algorithms = out->serves[PO_OP_ANNEAL]->algorithms;
  add_section(out, o->params);
  add_section(out, o->energy);
  if (f) {
    add_section(out, f->params);
    add_section(out, f->energy);
  }
  return PO_OK;
}

const char *po_backend_info_server(const po_backend_info *info, po_op op) {
  return op < PO_OP_COUNT && info->serves[op] ? info->serves[op]->name : NULL;
}

const char *po_backend_algorithm_names(const po_backend_info *info, const char *sep, char *buf,
                                       size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (const po_algorithm *a = info->algorithms; a && a->name && used < size; a++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", a == info->algorithms ? "" : sep,
                             a->name);
  if (!info->algorithms) snprintf(buf, size, "-");
  return buf;
}

int po_backend_algorithm(const po_backend_info *info, const char *name, const po_algorithm **out) {
  *out = NULL;
  const po_backend_ops *o = info->ops, *server = info->serves[PO_OP_ANNEAL];
  if (!server)
    return po_error(PO_ERR_UNSUPPORTED, "backend %s has no op ising_anneal%s%s", o->name,
                    name && *name ? " (run.algorithm = " : "", name && *name ? name : "");
  if (!name || !*name) {
    *out = &info->algorithms[0];
    return PO_OK;
  }
  for (const po_algorithm *a = info->algorithms; a->name; a++)
    if (!strcmp(a->name, name)) {
      *out = a;
      return PO_OK;
    }
  char list[512];
  return po_error(
      PO_ERR_ARG, "run.algorithm = '%s' is not an algorithm of backend %s%s%s (valid: %s)", name,
      o->name, server != o ? ", which anneals on " : "", server != o ? server->name : "",
      po_backend_algorithm_names(info, "|", list, sizeof list));
}

po_ledger *po_backend_ledger(po_backend *b) {
  return &b->ledger;
}
void po_backend_ledger_reset(po_backend *b) {
  po_ledger_reset(&b->ledger);
}
void po_backend_set_seed(po_backend *b, uint64_t seed) {
  b->seed = seed;
  b->calls = 0;
}

/* The fallback is opened lazily with the same parameters; its ledger
 * entries are moved into the caller's after every delegated call. */
static int fallback_for(po_backend *b, const char *op, po_backend **f) {
  if (!b->ops->fallback)
    return po_error(PO_ERR_UNSUPPORTED, "backend %s has no op %s", b->ops->name, op);
  if (!b->fallback) {
    int rc = po_backend_open(b->ops->fallback, b->params, &b->fallback);
    if (rc) return po_error_wrap(rc, "opening fallback backend of %s", b->ops->name);
  }
  b->fallback->seed = b->seed;
  *f = b->fallback;
  return PO_OK;
}

static void absorb_ledger(po_backend *b, po_backend *f) {
  po_ledger_merge(&b->ledger, &f->ledger);
  po_ledger_reset(&f->ledger);
}

int po_backend_matmul(po_backend *b, po_trans ta, po_trans tb, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc) {
  if (M < 0 || N < 0 || K < 0)
    return po_error(PO_ERR_ARG, "matmul: negative dimension (M=%d N=%d K=%d)", M, N, K);
  if (b->ops->matmul)
    return b->ops->matmul(b, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  po_backend *f = NULL;
  int rc = fallback_for(b, "matmul", &f);
  if (rc) return rc;
  rc = po_backend_matmul(f, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  absorb_ledger(b, f);
  return rc;
}

int po_backend_ising_anneal(po_backend *b, const po_ising *m, const po_schedule *s,
                            const po_anneal_opts *o, po_samples *out) {
  if (o->replicas < 1) return po_error(PO_ERR_ARG, "replicas = %d must be >= 1", o->replicas);
  if (o->steps < 1) return po_error(PO_ERR_ARG, "steps = %ld must be >= 1", o->steps);
  if (b->ops->algorithms) {
    po_backend_info info;
    const po_algorithm *a;
    int rc = po_backend_info_get(b->ops->name, &info);
    if (!rc) rc = po_backend_algorithm(&info, o->algorithm, &a);
    return rc ? rc : a->run(b, m, s, o, out);
  }
  po_backend *f = NULL;
  int rc = fallback_for(b, "ising_anneal", &f);
  if (rc) return rc;
  rc = po_backend_ising_anneal(f, m, s, o, out);
  absorb_ledger(b, f);
  return rc;
}

int po_backend_recall(po_backend *b, const po_recall_task *t, int8_t *states, int trials) {
  if (b->ops->recall) return b->ops->recall(b, t, states, trials);
  po_backend *f = NULL;
  int rc = fallback_for(b, "recall", &f);
  if (rc) return rc;
  rc = po_backend_recall(f, t, states, trials);
  absorb_ledger(b, f);
  return rc;
}

int po_backend_param_double(const po_backend *b, const char *key, double *out) {
  return po_params_double(b->params, b->ops->params, key, out);
}

int po_backend_param_int(const po_backend *b, const char *key, long *out) {
  return po_params_int(b->params, b->ops->params, key, out);
}

int po_backend_param_string(const po_backend *b, const char *key, const char *out[]) {
  return po_params_string(b->params, b->ops->params, key, out);
}

int po_backend_energy_cost(const po_backend *b, const char *key, double *joules) {
  if (!b->ops->energy)
    return po_error(PO_ERR_NOT_FOUND, "backend %s has no energy cost model", b->ops->name);
  return po_params_double(b->params, b->ops->energy, key, joules);
}
